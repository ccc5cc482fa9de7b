"""`titrate check`: a proposed plan or regimen against a regimen's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from titrate.cli.edge import exit_for, input_errors
from titrate.cli.options import (
    AgeOpt,
    CrclOpt,
    DialysisOpt,
    FailOn,
    FailOnWarningOpt,
    HepaticOpt,
    OutputOpt,
    PatientOpt,
    PregnantOpt,
    RegimenFiles,
    StartOpt,
    TzOpt,
    WithOpt,
    build,
)
from titrate.cli.output import emit, format_or_report, load_catalog, text_width

app = typer.Typer()

HELP = """Check a proposed plan or regimen against a regimen's rules: why it fails and
where each rule comes from.

The patient options add to (and override) a patient given in the file. Exit status 1
on findings at or above --fail-on (default warning).

Example: titrate check proposed.yaml --crcl 40
Example: titrate check order.fhir.json    (a FHIR MedicationRequest or Bundle)
"""

FileArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="A proposed plan (YAML/JSON with regimen: and steps: or doses:), the JSON "
        "of `titrate plan -f json`, a regimens YAML file holding one regimen, or a FHIR R4 "
        "MedicationRequest or Bundle (titrate's own or an EHR's order).",
        dir_okay=False,
    ),
]
AgainstOpt = Annotated[
    str | None,
    typer.Option(
        "--regimen",
        metavar="REGIMEN",
        help="Check against this regimen's rules (default: the one the file names, or the "
        "one a FHIR order's medication text or code names).",
    ),
]
ReportFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="report (default: every finding with its rule and source) or any plan "
        "format (table, json, ...).",
    ),
]


@app.command(help=HELP)
def check(
    file: FileArg,
    against: AgainstOpt = None,
    start: StartOpt = None,
    tz: TzOpt = None,
    age: AgeOpt = None,
    patient: PatientOpt = None,
    crcl: CrclOpt = None,
    dialysis: DialysisOpt = False,
    with_: WithOpt = None,
    pregnant: PregnantOpt = False,
    hepatic: HepaticOpt = False,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnWarningOpt = FailOn.warning,
    regimen_files: RegimenFiles = None,
) -> None:
    _run(dict(locals(), regimen_id=against))


def _run(params: dict[str, Any]) -> None:
    from titrate.requests import CheckRequest

    output = params["output"]
    with input_errors():
        result = build(CheckRequest, params).check(load_catalog(params["regimen_files"]))
        name = params["fmt"] or (None if output is None else format_or_report(output))
        if name in (None, "report"):
            from titrate.render.check import report_text

            width, _ = text_width(output)
            emit(report_text(result, str(params["file"]), width), "table", output)
        else:
            emit(result, name, output)
    exit_for(result.findings, params["fail_on"].value)
