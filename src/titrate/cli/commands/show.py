"""`titrate show`: print one regimen."""

from __future__ import annotations

from typing import Annotated

import typer

from titrate.cli.edge import input_errors
from titrate.cli.options import FormatOpt, RegimenFiles
from titrate.cli.output import emit, load_catalog, table_or_json

app = typer.Typer()


@app.command()
def show(
    regimen: Annotated[str, typer.Argument(metavar="REGIMEN", help="Regimen id.")],
    fmt: FormatOpt = None,
    regimen_files: RegimenFiles = None,
) -> None:
    """Print a regimen: steps, limits, population, clock times and sources."""
    with input_errors():
        from titrate.catalog import get_regimen
        from titrate.render.regimen import regimen_text

        chosen = get_regimen(regimen, load_catalog(regimen_files))
        if table_or_json(fmt) == "json":
            emit(chosen.model_dump_json(indent=2) + "\n", "json", None)
        else:
            emit(regimen_text(chosen), "table", None)
