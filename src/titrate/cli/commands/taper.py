"""`titrate taper`: plan stopping a drug slowly, from a dose or from a plan file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    FirstDoseOpt,
    HepaticOpt,
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
    StrengthsOpt,
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
)

if TYPE_CHECKING:
    from titrate.render import RenderOptions

app = typer.Typer()

HELP = """Plan stopping REGIMEN slowly: from the current dose down to zero.

The default pace comes from the regimen's taper data (baclofen: 5 mg less per dose
every 3 days, a convention: US labels say "reduce slowly" without numbers).

Example: titrate taper baclofen --from-mg 20 --doses-per-day 3 --start 2026-12-01

Printable, with the pharmacy's phone and only the patient's pages: titrate taper baclofen
--from-mg 20 --doses-per-day 3 --pharmacy-phone "555 0100" --sheet patient -o taper.pdf
"""

FromMgOpt = Annotated[
    str | None,
    typer.Option("--from-mg", metavar="MG", help="The dose taken now, mg per dose."),
]
DosesPerDayOpt = Annotated[
    int | None,
    typer.Option(
        "--doses-per-day",
        metavar="N",
        help="Doses a day taken now. Default: as the regimen's last titration step.",
    ),
]
PacePercentOpt = Annotated[
    str | None,
    typer.Option(
        "--pace-percent",
        metavar="PERCENT",
        help="Proportional pace: each reduction takes PERCENT (1-50) of the current dose, "
        "never less than the regimen's floor, every --every-days days (see `titrate show "
        "REGIMEN`).",
    ),
]
FromPlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--from-plan",
        metavar="PLAN.json",
        help="Taper from the last day of a plan written by `titrate plan -f json`; it "
        "starts the day after that plan ends unless --start is given.",
        dir_okay=False,
    ),
]


@app.command(help=HELP)
def taper(
    regimen: RegimenArg,
    from_mg: FromMgOpt = None,
    doses_per_day: DosesPerDayOpt = None,
    from_plan: FromPlanOpt = None,
    step_mg: StepMgOpt = None,
    every_days: EveryDaysOpt = None,
    pace_percent: PacePercentOpt = None,
    start: StartOpt = None,
    first_dose: FirstDoseOpt = None,
    now: MadeAtOpt = None,
    times: TimesOpt = None,
    tz: TzOpt = None,
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
    excel: ExcelOpt = False,
    fail_on: FailOnOpt = FailOn.error,
    regimen_files: RegimenFiles = None,
) -> None:
    _run(dict(locals()))


def _run(params: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    from titrate.requests import TaperRequest

    with input_errors():
        check_excel(params["excel"], params["fmt"], params["output"])
        request = build(TaperRequest, params)
        # 'now' is read once, here: it sets 'today' and the dose times of today that passed
        now = params["now"] or datetime.now(UTC)
        result = request.plan(load_catalog(params["regimen_files"]), now=now)
        if params["from_plan"] is None:  # a plan file states its own zone
            refuse_unchosen_utc(params["fmt"], params["output"], params["tz"], result.timezone)
        emit(result, params["fmt"], params["output"], _shown(params, result.timezone))
    exit_for(result.findings, params["fail_on"].value)


def _shown(params: dict[str, Any], zone_name: str) -> RenderOptions:
    """What the printed formats show besides the taper: the options `plan` has too."""
    return render_options(
        zone_name=zone_name,
        prescriber=params["prescriber"],
        pharmacy=params["pharmacy"],
        printed_on=params["printed_on"],
        remind_minutes=params["remind_minutes"],
        paper=params["paper"],
        pharmacy_phone=params["pharmacy_phone"],
        sheet=params["sheet"],
        excel=params["excel"],
    )
