"""`titrate audit`: a dose log against its plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from titrate.cli.edge import exit_for, input_errors, say_error
from titrate.cli.options import FailOn, FailOnWarningOpt, FormatOpt, NowOpt, OutputOpt, RegimenFiles
from titrate.cli.output import emit, load_catalog, table_or_json, text_width

app = typer.Typer()

HELP = """Compare a dose log with its plan: taken, late, missed, extra; doubles, doses too
close, amounts that differ, days over the maximum, abrupt stops.

Doses due after --now (default: now) are pending. Unreadable log rows are listed
with their line numbers (and on stderr) and give exit status 2; the other rows are
still audited.

Example: titrate audit plan.json doses.csv --now 2026-12-13T09:00
"""

PlanArg = Annotated[
    Path, typer.Argument(metavar="PLAN", help="Plan JSON written by `titrate plan -f json`.")
]
LogArg = Annotated[
    Path,
    typer.Argument(
        metavar="LOG", help="Dose log: CSV taken_at,dose_mg[,note] or JSON Lines (.jsonl)."
    ),
]

# Unreadable rows named on stderr; the output lists more, and stderr stays readable.
SHOWN_ON_STDERR = 10


@app.command(help=HELP)
def audit(
    plan_file: PlanArg,
    log_file: LogArg,
    now: NowOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnWarningOpt = FailOn.warning,
    regimen_files: RegimenFiles = None,
) -> None:
    from titrate.core.audit import rejected_summary
    from titrate.render.audit import render as render_audit
    from titrate.requests import AuditRequest

    with input_errors():
        name = table_or_json(fmt, output)
        request = AuditRequest(plan_file=plan_file, log_file=log_file, now=now)
        audited = request.audit(load_catalog(regimen_files))
        width, color = text_width(output)
        emit(render_audit(audited.result, name, width, color), name, output)
        for line in rejected_summary(audited, str(log_file), SHOWN_ON_STDERR):
            say_error(line)
    if audited.result.rejected_rows:
        sys.stderr.flush()
        raise typer.Exit(2)
    exit_for(audited.result.findings, fail_on.value)
