"""The commands: name → module and one-line summary, in the order `--help` lists them.

`titrate --help` is served from here without importing any command module (as pip's
`commands_dict` does); each module defines `app`, a Typer holding its one command.
"""

from __future__ import annotations

from typing import NamedTuple


class CommandEntry(NamedTuple):
    module: str
    summary: str


COMMANDS: dict[str, CommandEntry] = {
    "plan": CommandEntry(
        "titrate.cli.commands.plan",
        "Build the dated, timed schedule for REGIMEN and check it against its limits.",
    ),
    "taper": CommandEntry(
        "titrate.cli.commands.taper",
        "Plan stopping REGIMEN slowly: from the current dose down to zero.",
    ),
    "check": CommandEntry(
        "titrate.cli.commands.check",
        "Check a proposed plan or regimen against a regimen's rules: why it fails and "
        "where each rule comes from.",
    ),
    "regimens": CommandEntry(
        "titrate.cli.commands.regimens",
        "List the regimens (built-in and from --regimens files).",
    ),
    "show": CommandEntry(
        "titrate.cli.commands.show",
        "Print a regimen: steps, limits, population, clock times and sources.",
    ),
    "rules": CommandEntry(
        "titrate.cli.commands.rules",
        "Print the rule catalogue: code, slug, severity, what it checks, examples, source.",
    ),
    "products": CommandEntry(
        "titrate.cli.commands.products",
        "List REGIMEN's products: strengths or concentration, storage, packs, sources.",
    ),
    "batch": CommandEntry(
        "titrate.cli.commands.batch",
        "Plan one request per row of FILE: one JSON line per row, in order.",
    ),
    "schema": CommandEntry(
        "titrate.cli.commands.schema",
        "Print the JSON Schema (draft 2020-12) of the plan JSON (or --kind advice|audit).",
    ),
    "missed": CommandEntry(
        "titrate.cli.commands.missed",
        "A dose was missed: take it now, skip it, or contact the prescriber?",
    ),
    "audit": CommandEntry(
        "titrate.cli.commands.audit",
        "Compare a dose log with its plan: taken, late, missed, extra; doubles, doses too "
        "close, amounts that differ, days over the maximum, abrupt stops.",
    ),
}
