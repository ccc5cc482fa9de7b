"""`titrate plan`: build the dated, timed schedule for a regimen and check it."""

from __future__ import annotations

from typing import Any

import typer

from titrate.cli.edge import exit_for, input_errors
from titrate.cli.options import (
    AgeOpt,
    CrclOpt,
    DialysisOpt,
    EveryDaysOpt,
    ExcelOpt,
    FailOn,
    FailOnOpt,
    FhirIntentOpt,
    FindingsCsvOpt,
    FirstDoseOpt,
    HepaticOpt,
    HoldOpt,
    IndicationOpt,
    MadeAtOpt,
    OutputOpt,
    PaperOpt,
    PatientOpt,
    PharmacyOpt,
    PharmacyPhoneOpt,
    PlanFormatOpt,
    PregnantOpt,
    PrescriberOpt,
    PrintedOnOpt,
    ProductOpt,
    RegimenArg,
    RegimenFiles,
    RemindMinutesOpt,
    RenalAdjustOpt,
    SheetOpt,
    StartOpt,
    StepMgOpt,
    StepsOpt,
    StrengthsOpt,
    TargetOpt,
    ThenOpt,
    TimesOpt,
    TzOpt,
    WithOpt,
    build,
)
from titrate.cli.output import (
    check_excel,
    emit,
    load_catalog,
    refuse_unchosen_utc,
    render_options,
    write_findings_csv,
)

app = typer.Typer()

HELP = """Build the dated, timed schedule for REGIMEN and check it against its limits.

Example: titrate plan baclofen --start 2026-12-01 --times 08:00,14:00,20:00

A plan that starts today begins with the first dose time not yet passed, and says so
(--first-dose HH:MM chooses day 1's first dose instead).

A regimen that titrates by a rule (see `titrate show REGIMEN`) needs the prescriber's
choices: --target-mg, --step-mg and --every-days.

Printable: titrate plan baclofen --patient "A. Patient" -o plan.html (or .pdf, .csv,
.md, .ics, .fhir.json)

For a spreadsheet: titrate plan baclofen -o plan.csv --excel
"""


def plan(
    regimen: RegimenArg,
    start: StartOpt = None,
    first_dose: FirstDoseOpt = None,
    now: MadeAtOpt = None,
    times: TimesOpt = None,
    tz: TzOpt = None,
    target_mg: TargetOpt = None,
    step_mg: StepMgOpt = None,
    every_days: EveryDaysOpt = None,
    hold_days: HoldOpt = 0,
    steps: StepsOpt = None,
    then: ThenOpt = None,
    indication: IndicationOpt = None,
    age: AgeOpt = None,
    patient: PatientOpt = None,
    product: ProductOpt = None,
    strengths: StrengthsOpt = None,
    crcl: CrclOpt = None,
    dialysis: DialysisOpt = False,
    with_: WithOpt = None,
    pregnant: PregnantOpt = False,
    hepatic: HepaticOpt = False,
    renal_adjust: RenalAdjustOpt = False,
    fmt: PlanFormatOpt = None,
    output: OutputOpt = None,
    prescriber: PrescriberOpt = None,
    pharmacy: PharmacyOpt = None,
    pharmacy_phone: PharmacyPhoneOpt = None,
    sheet: SheetOpt = "both",
    printed_on: PrintedOnOpt = None,
    remind_minutes: RemindMinutesOpt = 10,
    paper: PaperOpt = None,
    fhir_intent: FhirIntentOpt = "proposal",
    findings_csv: FindingsCsvOpt = None,
    excel: ExcelOpt = False,
    fail_on: FailOnOpt = FailOn.error,
    regimen_files: RegimenFiles = None,
) -> None:
    _run(dict(locals()))


# Registered here rather than by a decorator: the signature (one line per option) is the
# whole command; its body is the one line above.
app.command(help=HELP)(plan)


def _run(params: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    from titrate.requests import PlanRequest

    with input_errors():
        request = build(PlanRequest, params)
        catalog = load_catalog(params["regimen_files"])
        chosen = request.regimen_from(catalog)
        # 'now' is read once, here: it sets 'today' and the dose times of today that passed
        options = request.options(now=params["now"] or datetime.now(UTC))
        refuse_unchosen_utc(params["fmt"], params["output"], params["tz"], options.timezone)
        check_excel(params["excel"], params["fmt"], params["output"], params["findings_csv"])
        shown = render_options(
            zone_name=options.timezone,
            prescriber=params["prescriber"],
            pharmacy=params["pharmacy"],
            printed_on=params["printed_on"],
            remind_minutes=params["remind_minutes"],
            paper=params["paper"],
            pharmacy_phone=params["pharmacy_phone"],
            sheet=params["sheet"],
            fhir_intent=params["fhir_intent"],
            excel=params["excel"],
        )
        from titrate.core.pipeline import plan as build_plan

        result = build_plan(chosen, options)
        emit(result, params["fmt"], params["output"], shown)
        write_findings_csv(result, params["findings_csv"], params["excel"])
    exit_for(result.findings, params["fail_on"].value)
