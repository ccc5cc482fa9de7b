"""`titrate regimens`: list the regimens."""

from __future__ import annotations

import typer

from titrate.cli.edge import input_errors
from titrate.cli.options import FormatOpt, RegimenFiles
from titrate.cli.output import emit, load_catalog, table_or_json

app = typer.Typer()


@app.command()
def regimens(fmt: FormatOpt = None, regimen_files: RegimenFiles = None) -> None:
    """List the regimens (built-in and from --regimens files)."""
    with input_errors():
        catalog = load_catalog(regimen_files)
        name = table_or_json(fmt)
        if name == "json":
            import json

            rows = [{"id": r.id, "name": r.name, "summary": r.summary} for r in catalog.values()]
            emit(json.dumps(rows, indent=2) + "\n", "json", None)
        else:
            emit("".join(f"{r.id:<16} {r.name}\n" for r in catalog.values()), "table", None)
