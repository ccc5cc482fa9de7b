"""Read a plan JSON file written by `titrate plan -f json` back into a Plan.

A plan file is trusted only as far as it is consistent: `audit`, `missed` and
`taper` from a plan file, and `check` act on its doses, so a file edited by hand (or damaged)
until its days no longer match its doses is refused with the file, line and field rather
than used. Checked: every dose belongs to a listed day, falls on that day's date in the
plan's zone with that zone's UTC offset, and carries that day's step; dose numbers run
1, 2, 3 … in time order; the days run one calendar day apart from the plan's start (dates
the zone skipped passed over); each
day's dose count and total are the sum of its doses. A consistent plan with a dose that
breaks a limit is not refused: its findings are computed afresh from the regimen data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from msgspec.structs import asdict
from pydantic import ValidationError

from titrate.errors import InputError
from titrate.io.jsontext import JSONTextError, json_lines, loads
from titrate.io.text import walk_strings
from titrate.io.yamltext import line_for, read_text
from titrate.model import Plan, Regimen
from titrate.model.units import decimal_text
from titrate.schema import validate


def parse_plan_json(text: str, name: str, *, totals: bool = False) -> Plan:
    """Validate plan JSON text; errors name the file, the line and the field.

    `totals`: also refuse days whose dose count or total disagrees with their doses
    (`load_plan` does; `titrate check` checks that itself, with advice of its own)."""
    try:
        data = loads(text, exact=False, holder="a plan")
    except JSONTextError as exc:
        message = "JSON nested too deeply to be a plan" if "nested" in exc.message else exc.message
        raise InputError(message, f"{name}:{exc.lineno}" if exc.lineno else name) from None
    if not isinstance(data, dict) or "doses" not in data:
        raise InputError("not a titrate plan (expected the JSON of `titrate plan -f json`)", name)
    refused = walk_strings(data)
    if refused is not None:
        text_at, reason = refused
        dotted = ".".join(str(part) for part in text_at)
        raise InputError(f"{dotted}: text holds {reason}", _where(text, name, text_at))
    try:
        plan = validate(Plan, data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InputError(f"{path}: {first['msg']}", _where(text, name, first["loc"])) from None
    problem = inconsistency(plan, totals=totals)
    if problem is not None:
        loc, message = problem
        dotted = ".".join(str(part) for part in loc)
        raise InputError(
            f"{dotted}: {message}; the plan file is inconsistent (edited or damaged): "
            "write it again with `titrate plan -f json`",
            _where(text, name, loc),
        )
    return plan


def load_plan(path: Path) -> Plan:
    """A plan file to act on (audit, and missed or taper from a plan file): fully checked."""
    return parse_plan_json(read_text(path, "plan file"), str(path), totals=True)


# ---------------------------------------------------------------------------------------
# Consistency


def inconsistency(plan: Plan, *, totals: bool = True) -> tuple[tuple[str | int, ...], str] | None:
    """The first place where a plan contradicts itself, as (JSON path, what is wrong);
    `totals`: also compare each day's dose count and total with its doses."""
    from titrate.clock import PlanDates, zone

    try:
        tz = zone(plan.timezone)
    except InputError as exc:
        return ("timezone",), exc.message
    dates = PlanDates(plan.start, tz)  # as the plan was written: dates the zone skipped are passed
    for index, day in enumerate(plan.days):
        if day.day != index + 1:
            return ("days", index, "day"), f"day {day.day} where day {index + 1} was expected"
        try:
            expected = dates.take()
        except OverflowError:
            return ("days", index, "date"), f"day {day.day} would fall after 9999-12-31"
        if day.date != expected:
            return (
                ("days", index, "date"),
                f"day {day.day} is dated {day.date.isoformat()}, but the plan starts "
                f"{plan.start.isoformat()}, so it is {expected.isoformat()}",
            )
    by_number = {day.day: day for day in plan.days}
    day_mg: dict[int, Decimal] = defaultdict(Decimal)
    counts: dict[int, int] = defaultdict(int)
    previous = None
    for index, dose in enumerate(plan.doses):
        where: tuple[str | int, ...] = ("doses", index)
        if dose.number != index + 1:
            return (*where, "number"), f"dose number {dose.number} where {index + 1} was expected"
        if dose.day not in by_number:
            return (*where, "day"), f"dose {dose.number} is on day {dose.day}, not in `days`"
        day = by_number[dose.day]
        # The wall time as written: JSON offsets are whole minutes, so an old zone's
        # local mean time (-00:01:15) is written truncated; compare at that precision.
        wall = dose.at.replace(tzinfo=None)
        if wall.date() != day.date:
            return (
                (*where, "at"),
                f"dose {dose.number} at {dose.at.isoformat()} is on {wall.date().isoformat()}, "
                f"outside its day {day.day} ({day.date.isoformat()})",
            )
        allowed = [wall.replace(tzinfo=tz, fold=fold).utcoffset() for fold in (0, 1)]
        if _minutes(dose.at.utcoffset()) not in {_minutes(offset) for offset in allowed}:
            return (
                (*where, "at"),
                f"dose {dose.number} at {dose.at.isoformat()} does not carry {tz.key}'s UTC "
                f"offset for that wall time ({_offset(allowed[0])})",
            )
        if dose.step != day.step:
            return (
                (*where, "step"),
                f"dose {dose.number} is step {dose.step}, its day {day.day} step {day.step}",
            )
        # Equal instants are allowed: two wall times in one spring-forward gap share its end.
        if previous is not None and dose.at < previous:
            return (
                (*where, "at"),
                f"dose {dose.number} at {dose.at.isoformat()} is before dose {dose.number - 1}",
            )
        previous = dose.at
        day_mg[dose.day] += dose.dose_mg
        counts[dose.day] += 1
    for index, day in enumerate(plan.days if totals else []):
        if day.doses != counts[day.day] or day.total_mg != day_mg[day.day]:
            return (
                ("days", index),
                f"day {day.day} says {day.doses} doses, {_mg(day.total_mg)} mg, but its "
                f"doses are {counts[day.day]}, {_mg(day_mg[day.day])} mg",
            )
    return None


def _minutes(offset: timedelta | None) -> int:
    """A UTC offset in whole minutes, truncated toward zero as JSON writes it."""
    return int((offset or timedelta(0)).total_seconds() / 60)


def _offset(offset: timedelta | None) -> str:
    minutes = _minutes(offset)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _mg(value: Decimal) -> str:
    return decimal_text(value)


def _where(text: str, name: str, loc: tuple[Any, ...] | list[Any]) -> str:
    try:
        line = line_for(tuple(loc), json_lines(text))
    except (ValueError, IndexError):  # pragma: no cover - the text parsed as JSON already
        line = None
    return f"{name}:{line}" if line else name


def regimen_mismatch(plan: Plan, regimen: Regimen) -> str | None:
    """Where a plan file's copy of its regimen (id, name, limits) disagrees with the
    regimen of that id: a file whose `regimen.id` was changed to another drug must not be
    judged by that drug's limits as if it were its plan."""
    from titrate.core.schedule import regimen_ref

    written, current = asdict(plan.regimen), asdict(regimen_ref(regimen))
    for key, value in written.items():
        if key == "source":  # citation wording follows the data's sources, not the drug
            continue
        if current.get(key) != value:
            return (
                f"regimen.{key}: the plan says {value!r} but regimen {regimen.id!r} has "
                f"{current.get(key)!r}; the plan file is inconsistent (edited, or written with "
                "other regimen data): write it again with `titrate plan -f json`"
            )
    return None
