"""`titrate rules`: the rule catalogue."""

from __future__ import annotations

from typing import Annotated

import typer

from titrate.cli.edge import input_errors
from titrate.cli.options import FormatOpt, RegimenFiles
from titrate.cli.output import emit, load_catalog, table_or_json

app = typer.Typer()

RegimenOpt = Annotated[
    str | None,
    typer.Option(
        "--regimen", metavar="REGIMEN", help="Also show which data and sources each rule enforces."
    ),
]


@app.command()
def rules(
    regimen: RegimenOpt = None, fmt: FormatOpt = None, regimen_files: RegimenFiles = None
) -> None:
    """Print the rule catalogue: code, slug, severity, what it checks, examples, source.

    -f md writes the catalogue as Markdown (docs/rules.md is `titrate rules -f md`).
    """
    with input_errors():
        from titrate.render.regimen import rules_json, rules_text
        from titrate.rules import catalogue

        chosen = None
        if regimen:
            from titrate.catalog import get_regimen

            chosen = get_regimen(regimen, load_catalog(regimen_files))
        if fmt == "md":
            from titrate.catalog import load_regimens
            from titrate.render.regimen import rules_markdown

            shown = [chosen] if chosen else list(load_regimens(regimen_files or []).values())
            emit(rules_markdown(catalogue(), shown), "md", None)
        elif table_or_json(fmt) == "json":
            emit(rules_json(catalogue(), chosen), "json", None)
        else:
            emit(rules_text(catalogue(), chosen), "table", None)
