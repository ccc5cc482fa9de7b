"""The `titrate` group: global options, and commands loaded one at a time."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer
import typer.core
import typer.main
from typer import _click as click  # typer 0.29 carries its own click
from typer._click.utils import make_default_short_help

from titrate import __version__
from titrate.cli import edge
from titrate.cli.registry import COMMANDS


class LazyGroup(typer.core.TyperGroup):
    """Lists commands from the registry; builds only the one that runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry.module)
        command = typer.main.get_command(module.app)
        command.name = cmd_name
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, make_default_short_help(entry.summary, limit))
            for name, entry in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="titrate",
    cls=LazyGroup,
    help="Dosing titration planner: dated, timed, checked schedules for starting and "
    "stopping a drug slowly. Schedules support, and do not replace, the prescriber's "
    "instructions.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"titrate {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    """titrate: turn a titration regimen into a checked, dated dosing schedule."""
    edge.DEBUG = debug or bool(os.environ.get("TITRATE_DEBUG"))


def entry() -> None:
    """Console-script entry point: an unexpected crash exits 3, never 1 (= findings)."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("titrate: interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if edge.DEBUG or os.environ.get("TITRATE_DEBUG"):
            raise
        sys.stderr.write(
            f"titrate: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback; please report it)\n"
        )
        sys.exit(3)
