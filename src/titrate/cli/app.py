"""The `titrate` group: global options, and commands loaded one at a time."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Any, NoReturn

import typer
import typer.core
import typer.main
from typer import _click as click  # typer 0.29 carries its own click
from typer._click.utils import make_default_short_help
from typer.exceptions import Abort

from titrate import __version__
from titrate.cli import coerce, edge
from titrate.cli.registry import COMMANDS


class LazyGroup(typer.core.TyperGroup):
    """Lists commands from the registry; builds only the one that runs; a usage error is
    one line on stderr and exit status 2 (not click's usage block)."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> object:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        refused = control_in_arguments(sys.argv[1:] if args is None else list(args))
        if refused is not None:
            edge.say_error(refused)
            sys.exit(2)
        try:
            status = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.ClickException as exc:
            edge.say_error(usage_line(exc))
            sys.exit(2)
        except Abort:
            edge.say("titrate: interrupted")
            sys.exit(130)
        sys.exit(status if isinstance(status, int) else 0)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        coerce.install(self, ctx)  # the group's own options (--version, --debug, completion)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry.module)
        command = typer.main.get_command(module.app)
        command.name = cmd_name
        coerce.install(command, ctx)  # no pydantic adapter per option
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


def control_in_arguments(arguments: list[str]) -> str | None:
    """The first argument holding a control character (an ESC in --patient would reach the
    terminal and the page raw), named by its option; None when every argument is clean."""
    from titrate.io.text import text_problem

    for index, argument in enumerate(arguments):
        problem = text_problem(argument)
        if problem is None:
            continue
        if argument.startswith("--") and "=" in argument:
            named = argument.split("=", 1)[0]
        elif index > 0 and arguments[index - 1].startswith("-"):
            named = arguments[index - 1]
        else:
            named = f"argument {index + 1}"
        return f"{named}: text holds {problem}"
    return None


def usage_line(exc: click.exceptions.ClickException) -> str:
    """Click's message on one line, with where to find help."""
    message = " ".join(exc.format_message().split()).replace("Value error, ", "")
    context = getattr(exc, "ctx", None)
    command = context.command_path if context is not None else "titrate"
    return f"{message} (see '{command} -h')"


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


class Terminated(BaseException):
    """A termination signal: unwinds like an interrupt, so temporary files are removed."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


def _terminate(signal_number: int, frame: object) -> None:
    raise Terminated(signal_number)


def _on_termination_signals() -> None:
    """SIGTERM, SIGHUP and SIGQUIT end the command as SIGINT does: `finally` blocks run
    (an atomic output removes its temporary file), then the status is 128 + the signal."""
    import signal

    for name in ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGXCPU", "SIGXFSZ"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) == signal.SIG_DFL:
            signal.signal(number, _terminate)


def entry() -> None:
    """Console-script entry point: an unexpected crash exits 3, never 1 (= findings).
    A finished command leaves without the interpreter's teardown (`leave`)."""
    try:
        run()
    except SystemExit as exc:
        leave(exc)


def run() -> None:
    """The command line, every way it can end turned into a SystemExit."""
    _on_termination_signals()
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        edge.say("titrate: interrupted")
        sys.exit(130)
    except Terminated as exc:
        edge.say(f"titrate: stopped by signal {exc.signal_number}")
        sys.exit(128 + exc.signal_number)
    except Exception as exc:
        if edge.DEBUG or os.environ.get("TITRATE_DEBUG"):
            raise
        edge.say(
            f"titrate: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback; please report it)"
        )
        sys.exit(3)


def leave(exit: SystemExit) -> NoReturn:
    """Exit with `exit`'s status now, skipping the interpreter's teardown (freeing every
    module and object: tens of milliseconds), once all a normal exit does for the user is
    done: stdout and stderr flushed, atexit handlers run. Output files are already closed
    (or renamed into place) by then. Anything unusual (a status that is not a number, a
    stream that will not flush, another thread still running) exits the normal way."""
    import atexit

    status = 0 if exit.code is None else exit.code
    threading = sys.modules.get("threading")
    others = threading is not None and threading.active_count() > 1
    if not isinstance(status, int) or others or not _flushed():
        raise exit
    atexit._run_exitfuncs()  # runs each handler once, then forgets them
    if not _flushed():  # a handler wrote to a stream that cannot take it: as Python does
        status = 120
    os._exit(status & 0xFF)


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None and not stream.closed:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True
