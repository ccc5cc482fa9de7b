"""Zones and instants: every interval, spacing and DST move is computed on instants.

Python compares and subtracts two datetimes that share one ZoneInfo by their wall
clocks (a spring-forward night would look 12 hours long, not 11), so every time used in
arithmetic carries a fixed UTC offset instead (`fixed`): exact, and still local in JSON.
The zone a plan uses is always stated in it; `system_timezone` is what an edge falls
back to, and it says which zone it chose.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from titrate.errors import InputError
from titrate.model import Dose, Plan

_MICROSECOND = timedelta(microseconds=1)


def zone(name: str, field: str = "timezone", where: str | None = None) -> ZoneInfo:
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"unknown time zone {name!r} (use an IANA name, e.g. Europe/London)", where, field=field
        ) from None


def local_instant(day: date, clock: time, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """Wall time → aware instant, with a note when the wall time does not exist."""
    return _local_instant(day, clock, tz, clock.fold)


# A pure function of its arguments, called for every dose: plans of one batch share most
# of their dates, clock times and zones. `fold` is in the key because times that differ
# only in fold compare (and hash) equal.
@lru_cache(maxsize=8192)
def _local_instant(day: date, clock: time, tz: ZoneInfo, fold: int) -> tuple[datetime, str | None]:
    wall = datetime.combine(day, clock, tzinfo=tz)
    if wall.utcoffset() == wall.replace(fold=1).utcoffset():
        return wall, None  # neither skipped nor repeated: the common case, kept cheap
    instant = wall.astimezone(UTC).astimezone(tz)  # normalises a skipped wall time
    if instant.replace(tzinfo=None) != wall.replace(tzinfo=None):
        note = (
            f"{day.isoformat()} {clock.strftime('%H:%M')} does not exist in {tz.key} "
            f"(clocks go forward); that dose is at {instant.strftime('%H:%M')}."
        )
        return instant, note
    return instant, None


def fixed(value: datetime) -> datetime:
    """The same instant with a fixed UTC offset (the one in force at that instant)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("a naive date-time cannot be placed in time")
    return value.replace(tzinfo=timezone(offset), fold=0)


def fixed_plan(plan: Plan) -> Plan:
    """The plan with every dose time carrying a fixed UTC offset (see `fixed`)."""
    doses = [dose.model_copy(update={"at": fixed(dose.at)}) for dose in plan.doses]
    return plan.model_copy(update={"doses": doses})


# ---------------------------------------------------------------------------------------
# Neighbouring dose times (shared with the audit's dose windows)


def previous_time(doses: Sequence[Dose], index: int, tz: ZoneInfo) -> datetime:
    """The time of the dose before `doses[index]`; for the first dose of a plan, where it
    would be if the first day's pattern had started a day earlier (its last clock time,
    the day before)."""
    if index > 0:
        return doses[index - 1].at
    first = doses[index]
    same_day = [dose for dose in doses if dose.day == first.day]
    last = same_day[-1].at.astimezone(tz)
    return fixed(local_instant(last.date() - timedelta(days=1), last.time(), tz)[0])


def next_time(doses: Sequence[Dose], index: int, tz: ZoneInfo) -> datetime:
    """The time of the dose after `doses[index]`; for the last dose of a plan, where it
    would be if the last day's pattern went on (its first clock time, the next day)."""
    if index + 1 < len(doses):
        return doses[index + 1].at
    last = doses[index]
    same_day = [dose for dose in doses if dose.day == last.day]
    first = same_day[0].at.astimezone(tz)
    return fixed(local_instant(first.date() + timedelta(days=1), first.time(), tz)[0])


def add_fraction(start: datetime, end: datetime, fraction: Decimal) -> datetime:
    """start + fraction × (end − start), exact to the microsecond (rounded down)."""
    span = (end.astimezone(UTC) - start.astimezone(UTC)) // _MICROSECOND
    offset = int(Decimal(span) * fraction)
    return fixed(start) + timedelta(microseconds=offset)


def hours_delta(hours: Decimal) -> timedelta:
    """Exact Decimal hours → timedelta (to the microsecond, rounded down)."""
    return timedelta(microseconds=int(hours * 3600 * 1_000_000))


def add_hours(start: datetime, hours: Decimal) -> datetime:
    return fixed(start) + hours_delta(hours)


def wall(instant: datetime, tz: ZoneInfo) -> str:
    """`2026-12-02 14:00` in the plan's zone."""
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def system_timezone() -> str:
    """The machine's IANA zone name: $TZ, /etc/timezone, or the /etc/localtime link."""
    name = os.environ.get("TZ", "").lstrip(":")
    if (name and "/" in name) or name == "UTC":
        return name
    try:
        text = Path("/etc/timezone").read_text().strip()
        if text:
            return text
    except OSError:
        pass
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


def today_in(zone_name: str) -> date:
    """'Today' in a zone (resolved once, at the edge that asks)."""
    return datetime.now(zone(zone_name)).date()
