"""`titrate batch`: one plan per row of a CSV or JSON Lines file."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from titrate.cli.edge import fail, input_errors
from titrate.cli.options import FailOn, FailOnOpt, RegimenFiles, TzOpt
from titrate.cli.output import load_catalog

app = typer.Typer()

HELP = """Plan one request per row of FILE: one JSON line per row, in order.

Columns (CSV header or JSON keys): id, regimen, and these `plan` options: start,
times, tz, target_mg, step_mg, every_days, hold_days, steps, age, patient, product,
strengths, crcl, dialysis, with (names separated by ';'), pregnant, renal_adjust
(flags: true/false, yes/no, 1/0; empty is false). Each line is {"row": N, "id": ...,
"plan": {...}} or {"row": N, "id": ..., "error": "..."}. Exit 2 if any row was
invalid, else 1 if any plan has findings at or above --fail-on (all rows are always
planned first).

Example: titrate batch clinic.csv -o plans.jsonl --tz Europe/London
"""

FileArg = Annotated[
    Path,
    typer.Argument(metavar="FILE", help="CSV (with a header) or JSON Lines; '-' reads stdin."),
]
JobsOpt = Annotated[
    str,
    typer.Option(
        "--jobs",
        "-j",
        metavar="N|auto",
        help="Worker processes: auto (the default) uses one per CPU core for a file of more "
        "than 2,000 rows; 1 plans every row in this process. The output is the same.",
    ),
]
JsonLinesOutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write the JSON Lines to FILE."),
]


@app.command(help=HELP)
def batch(
    file: FileArg,
    output: JsonLinesOutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    tz: TzOpt = None,
    regimen_files: RegimenFiles = None,
    jobs: JobsOpt = "auto",
) -> None:
    from titrate import batch as batching
    from titrate import batchpool
    from titrate.requests import zone_name

    with input_errors():
        lines = batchpool.writer(_workers(jobs))
        planner = batching.Planner(
            load_catalog(regimen_files), default_zone=zone_name(tz), fail_on=fail_on.value
        )
        source = None if str(file) == "-" else file
        # a bar on the terminal that is also showing the JSON lines would garble both
        lines_on_screen = output is None and sys.stdout.isatty()
        show_bar = sys.stderr.isatty() and not lines_on_screen
        show_bar = show_bar and batching.worth_a_progress_bar(source)
        progress = batching.terminal_progress if show_bar else None
        try:
            summary = batching.run(source, output, planner, progress=progress, lines=lines)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, as other Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None
    _exit(file, summary, fail_on.value)


def _workers(jobs: str) -> int | None:
    """--jobs: None for auto, else a count of worker processes (1: none)."""
    text = jobs.strip().lower()
    if text == "auto":
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1024:
        fail(f"{jobs!r} is not auto or a number of processes from 1 to 1024", field="jobs")
    return int(text)


def _exit(file: Path, summary: object, fail_on: str) -> None:
    from titrate.batch import Summary

    assert isinstance(summary, Summary)
    if summary.invalid:
        sys.stderr.write(
            f"titrate: error: {file}: {summary.invalid} of {summary.rows} rows invalid "
            f"(first: {summary.first_error}); their lines are error records\n"
        )
        raise typer.Exit(2)
    if summary.failing:
        sys.stderr.write(
            f"titrate: {summary.failing} of {summary.rows} plans have findings at or above "
            f"{fail_on}\n"
        )
        raise typer.Exit(1)
