"""`titrate missed`: take a missed dose now, skip it, or contact the prescriber?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from titrate.cli.edge import exit_for, input_errors
from titrate.cli.options import (
    AgeOpt,
    EveryDaysOpt,
    FailOn,
    FailOnOpt,
    FormatOpt,
    HoldOpt,
    IndicationOpt,
    NowOpt,
    OutputOpt,
    PatientOpt,
    ProductOpt,
    RegimenFiles,
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
from titrate.cli.output import emit, load_catalog, table_or_json, text_width

app = typer.Typer()

HELP = """A dose was missed: take it now, skip it, or contact the prescriber?

The rule and its source come from the regimen data (missed_dose). Exit status 1 only
when the plan itself has findings at or above --fail-on.

Example: titrate missed baclofen --start 2026-12-01 --dose 2026-12-02T14:00
--now 2026-12-02T15:30
"""

MaybeRegimenArg = Annotated[
    str | None,
    typer.Argument(metavar="[REGIMEN]", help="Regimen id, to build the plan (or give --plan)."),
]
PlanFileOpt = Annotated[
    Path | None,
    typer.Option("--plan", metavar="FILE", help="Plan JSON written by `titrate plan -f json`."),
]
DoseOpt = Annotated[
    str | None,
    typer.Option(
        "--dose",
        metavar="DATETIME",
        help="Scheduled time of the missed dose, ISO 8601 (no offset: the plan's zone).",
    ),
]
DoseNumberOpt = Annotated[
    int | None,
    typer.Option("--dose-number", metavar="N", help="The missed dose's number in the plan."),
]


@app.command(help=HELP)
def missed(
    regimen: MaybeRegimenArg = None,
    plan_file: PlanFileOpt = None,
    dose: DoseOpt = None,
    dose_number: DoseNumberOpt = None,
    now: NowOpt = None,
    start: StartOpt = None,
    times: TimesOpt = None,
    tz: TzOpt = None,
    target_mg: TargetOpt = None,
    step_mg: StepMgOpt = None,
    every_days: EveryDaysOpt = None,
    hold_days: HoldOpt = 0,
    steps: StepsOpt = None,
    then: ThenOpt = None,
    indication: IndicationOpt = None,
    with_: WithOpt = None,
    age: AgeOpt = None,
    patient: PatientOpt = None,
    product: ProductOpt = None,
    strengths: StrengthsOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    regimen_files: RegimenFiles = None,
) -> None:
    _run(dict(locals(), regimen=regimen or ""))


def _run(params: dict[str, Any]) -> None:
    from titrate.render.advice import render as render_advice
    from titrate.requests import MissedRequest, PlanRequest

    output = params["output"]
    with input_errors():
        name = table_or_json(params["fmt"], output)
        request = MissedRequest(
            plan_request=build(PlanRequest, params),
            plan_file=params["plan_file"],
            dose=params["dose"],
            dose_number=params["dose_number"],
            now=params["now"],
        )
        advice = request.advise(load_catalog(params["regimen_files"]))
        width, _ = text_width(output)
        emit(render_advice(advice, name, width), name, output)
    exit_for(advice.findings, params["fail_on"].value)
