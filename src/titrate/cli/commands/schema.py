"""`titrate schema`: the published JSON Schemas."""

from __future__ import annotations

from pathlib import Path
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


ValidateOpt = Annotated[
    Path | None,
    typer.Option(
        "--validate",
        metavar="FILE",
        dir_okay=False,
        help="Instead of printing the schema, check a plan JSON file against it: exit 0 "
        "and say so, or one line naming the file, line and field, exit 2.",
    ),
]


@app.command()
def schema(kind: KindOpt = "plan", validate: ValidateOpt = None) -> None:
    """Print the JSON Schema (draft 2020-12) of the plan JSON (or --kind advice|audit)."""
    from titrate.io import write_stdout

    with input_errors():
        if validate is not None:
            _validate(validate, kind)
        elif kind == "advice":
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


def _validate(path: Path, kind: str) -> None:
    """The plan models are the schema's source: what they refuse, the schema refuses."""
    from titrate.core.planfile import load_plan
    from titrate.io import write_stdout

    if kind != "plan":
        fail("only plan files can be validated", "kind")
    load_plan(path)
    write_stdout(f"{path}: a valid plan (schema version 1)\n")
