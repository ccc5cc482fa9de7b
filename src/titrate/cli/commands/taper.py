"""`titrate taper`: plan stopping a drug slowly, from a dose or from a plan file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from titrate.cli.edge import exit_for, input_errors
from titrate.cli.options import (
    AgeOpt,
    CrclOpt,
    DialysisOpt,
    EveryDaysOpt,
    FailOn,
    FailOnOpt,
    FirstDoseOpt,
    FormatOpt,
    HepaticOpt,
    MadeAtOpt,
    OutputOpt,
    PatientOpt,
    PregnantOpt,
    ProductOpt,
    RegimenArg,
    RegimenFiles,
    RenalAdjustOpt,
    StartOpt,
    StepMgOpt,
    StrengthsOpt,
    TimesOpt,
    TzOpt,
    WithOpt,
    build,
)
from titrate.cli.output import emit, load_catalog, refuse_unchosen_utc

app = typer.Typer()

HELP = """Plan stopping REGIMEN slowly: from the current dose down to zero.

The default pace comes from the regimen's taper data (baclofen: 5 mg less per dose
every 3 days, a convention: US labels say "reduce slowly" without numbers).

Example: titrate taper baclofen --from-mg 20 --doses-per-day 3 --start 2026-12-01
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
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    regimen_files: RegimenFiles = None,
) -> None:
    _run(dict(locals()))


def _run(params: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    from titrate.requests import TaperRequest

    with input_errors():
        request = build(TaperRequest, params)
        # 'now' is read once, here: it sets 'today' and the dose times of today that passed
        now = params["now"] or datetime.now(UTC)
        result = request.plan(load_catalog(params["regimen_files"]), now=now)
        if params["from_plan"] is None:  # a plan file states its own zone
            refuse_unchosen_utc(params["fmt"], params["output"], params["tz"], result.timezone)
        emit(result, params["fmt"], params["output"])
    exit_for(result.findings, params["fail_on"].value)
