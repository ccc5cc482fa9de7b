"""The edge: library errors → one line on stderr and exit status 2; findings → status 1;
an unexpected crash → status 3. Fields are named here as the user typed them (flags)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

from titrate.errors import InputError

if TYPE_CHECKING:
    from titrate.model import Finding

DEBUG = False

# Request fields whose flag is not the field name with `-` for `_`.
_FLAG_FOR_FIELD = {
    "name": "--patient",
    "age_years": "--age",
    "crcl_ml_min": "--crcl",
    "co_medications": "--with",
    "timezone": "--tz",
    "regimen_id": "--regimen",
    "plan_file": "--plan",
    "regimen": "REGIMEN",
}


CALENDAR_END = (
    "the plan reaches the end of the calendar (0001-01-01 or 9999-12-31) and this needs a "
    "day beyond it; give a later or an earlier --start"
)


def flag(field: str) -> str:
    """The command-line name of a request field: `step_mg` → `--step-mg`."""
    return _FLAG_FOR_FIELD.get(field) or "--" + field.replace("_", "-")


def fail(message: str, field: str | None = None) -> NoReturn:
    """Bad usage found by the CLI itself (a field named as the library names it)."""
    raise InputError(message, field=field)


def say_error(text: str) -> None:
    say(f"titrate: error: {text}")


def say(line: str) -> None:
    """One line on stderr; a closed or broken stderr must not change the exit status."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(line + "\n")
        stream.flush()
    except (OSError, ValueError, UnicodeEncodeError):
        try:
            stream.write(line.encode("ascii", "backslashreplace").decode("ascii") + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass


@contextmanager
def input_errors() -> Iterator[None]:
    """Bad input → one line on stderr and exit status 2."""
    from pydantic import ValidationError

    from titrate.io import tracking_inputs

    try:
        with tracking_inputs():
            yield
    except InputError as exc:
        say_error(exc.describe(flag))
        raise typer.Exit(2) from None
    except OverflowError:
        # Only dates overflow: an output (a calendar's end date, a taper's next day)
        # needs a day before 0001-01-01 or after 9999-12-31.
        say_error(CALENDAR_END)
        raise typer.Exit(2) from None
    except ValidationError as exc:
        # A value the option parsers let through but a model refuses.
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        say_error(f"{flag(field) if field else 'input'}: {message}")
        raise typer.Exit(2) from None


def exit_for(findings: Iterable[Finding], fail_on: str) -> None:
    """Exit status 1 when any finding is at or above `fail_on`."""
    from titrate.rules import at_or_above

    if at_or_above(findings, fail_on):
        raise typer.Exit(1)
