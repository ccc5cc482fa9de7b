"""`titrate schema`: the published JSON Schemas."""

from __future__ import annotations

from typing import Annotated

import typer

from titrate.cli.edge import fail, input_errors

app = typer.Typer()

KindOpt = Annotated[
    str,
    typer.Option(
        "--kind", metavar="KIND", help="plan (default), advice (`missed`) or audit (`audit`)."
    ),
]


@app.command()
def schema(kind: KindOpt = "plan") -> None:
    """Print the JSON Schema (draft 2020-12) of the plan JSON (or --kind advice|audit)."""
    from titrate.io import write_stdout

    with input_errors():
        if kind == "advice":
            from titrate.render.advice import advice_schema_text

            write_stdout(advice_schema_text())
        elif kind == "audit":
            from titrate.render.audit import audit_schema_text

            write_stdout(audit_schema_text())
        elif kind == "plan":
            from titrate.render.json import schema_text

            write_stdout(schema_text())
        else:
            fail(f"unknown kind {kind!r} (choose plan, advice or audit)", "kind")
