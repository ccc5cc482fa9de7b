"""Zones and instants: every interval, spacing and DST move is computed on instants.

Python compares and subtracts two datetimes that share one ZoneInfo by their wall
clocks (a spring-forward night would look 12 hours long, not 11), so every time used in
arithmetic carries a fixed UTC offset instead (`fixed`): exact, and still local in JSON.
The zone a plan uses is always stated in it; `system_timezone` is what an edge falls
back to, and it says which zone it chose.

Wall times that do not exist: a time in a spring-forward gap is set at the end of the gap
(the instant the clocks change), so it never passes a later dose of the same day; a
calendar date the zone skipped entirely (Pacific/Apia's 2011-12-30) has no wall times at
all, and a plan's day that would fall on it falls on the next date that exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

from msgspec.structs import replace

from titrate.errors import InputError
from titrate.model import Dose, Plan

_MICROSECOND = timedelta(microseconds=1)


# What an IANA name is made of (`Etc/GMT+5`, `America/Port-au-Prince`): no dots, so no
# `..` or hidden files, and no leading slash.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")


def zone(name: str, field: str = "timezone", where: str | None = None) -> ZoneInfo:
    """The zone of an IANA name listed by `zoneinfo.available_timezones()`; any other name
    (`right/Europe/London`, whose leap-second offsets are wrong for clocks, `posixrules`,
    a path) is refused."""
    try:
        if not listed_zone(name):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"unknown time zone {name!r} (use an IANA name, e.g. Europe/London)", where, field=field
        ) from None


@lru_cache(maxsize=1024)
def listed_zone(name: str) -> bool:
    """Whether `name` is in `zoneinfo.available_timezones()`, decided for this one name
    (listing them all reads every file of the zone database: about 50 ms). The same
    test: a TZif file under a TZPATH folder, outside its `right/` and `posix/` trees and
    not `posixrules`, or a name the tzdata package lists."""
    if not isinstance(name, str) or not _ZONE_NAME.fullmatch(name) or name == "posixrules":
        return False
    parts = name.split("/")
    for root in TZPATH:
        if len(parts) > 1 and parts[0] in ("right", "posix"):
            continue
        if _tzif_file(root, parts):
            return True
    return name in _tzdata_names()


def _tzif_file(root: str, parts: list[str]) -> bool:
    folder = root
    for part in parts[:-1]:  # `os.walk` does not follow a linked folder: neither does this
        folder = os.path.join(folder, part)
        if os.path.islink(folder) or not os.path.isdir(folder):
            return False
    path = os.path.join(folder, parts[-1])
    try:
        if os.path.isdir(path):
            return False
        with open(path, "rb") as handle:
            return handle.read(4) == b"TZif"
    except OSError:
        return False


@lru_cache(maxsize=1)
def _tzdata_names() -> frozenset[str]:
    try:
        from importlib import resources

        text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def local_instant(day: date, clock: time, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """Wall time → aware instant, with a note when the wall time does not exist."""
    return _local_instant(day, clock, tz, clock.fold)


# A pure function of its arguments, called for every dose: plans of one batch share most
# of their dates, clock times and zones. `fold` is in the key because times that differ
# only in fold compare (and hash) equal. Sized for a batch: requests starting on any day
# of two years, in 5 zones, with 2 sets of clock times need ≈ 26,000 entries (8,192 missed
# 67 % of calls on such a file; 32,768 miss 5 %, costing ≈ 340 bytes an entry, ≈ 11 MB full).
@lru_cache(maxsize=32_768)
def _local_instant(day: date, clock: time, tz: ZoneInfo, fold: int) -> tuple[datetime, str | None]:
    wall = datetime.combine(day, clock, tzinfo=tz)
    if wall.utcoffset() == wall.replace(fold=1).utcoffset():
        return wall, None  # neither skipped nor repeated: the common case, kept cheap
    instant = wall.astimezone(UTC).astimezone(tz)
    if instant.replace(tzinfo=None) == wall.replace(tzinfo=None):
        return wall, None  # a repeated wall time: the first occurrence (fold 0)
    end = gap_end(wall)
    moved_to = end.strftime("%H:%M") if end.date() == day else end.strftime("%Y-%m-%d %H:%M")
    note = (
        f"{day.isoformat()} {clock.strftime('%H:%M')} does not exist in {tz.key} "
        f"(clocks go forward); that dose is at {moved_to}, when the clocks change."
    )
    return end, note


def gap_end(wall: datetime) -> datetime:
    """The instant a spring-forward gap ends, for a wall time inside it: the first instant
    whose wall time is later (found to the second; zone changes fall on whole seconds)."""
    tz = wall.tzinfo
    assert isinstance(tz, ZoneInfo)
    naive = wall.replace(tzinfo=None)
    # The wall time read with the offsets before and after the change brackets it.
    low, high = sorted(wall.replace(fold=fold).astimezone(UTC) for fold in (0, 1))
    second = timedelta(seconds=1)
    while high - low > second:
        middle = low + ((high - low) // second // 2) * second
        if middle.astimezone(tz).replace(tzinfo=None) > naive:
            high = middle
        else:
            low = middle
    return high.astimezone(tz)


def date_exists(day: date, tz: ZoneInfo) -> bool:
    """False for a calendar date the zone skipped entirely (its midnight lies in a gap
    that ends on a later date)."""
    return _local_instant(day, time(0), tz, 0)[0].date() == day


class PlanDates:
    """The dates of a plan's days, one after another from its start, on dates that exist
    in its zone; `skipped` holds each date passed over (for the plan to state)."""

    def __init__(self, start: date, tz: ZoneInfo) -> None:
        self._tz = tz
        self._next: date | None = start
        self._last: date | None = None
        self.skipped: list[date] = []

    def take(self) -> date:
        """The next day's date (OverflowError past 9999-12-31)."""
        on = self._next if self._next is not None else _day_after(self._last)
        while not date_exists(on, self._tz):
            self.skipped.append(on)
            on = _day_after(on)
        self._next, self._last = None, on  # the day after is computed only when asked for
        return on


def _day_after(day: date | None) -> date:
    assert day is not None
    return day + timedelta(days=1)


def skipped_date_note(skipped: date, tz: ZoneInfo, day_number: int, on: date) -> str:
    return (
        f"{skipped.isoformat()} does not exist in {tz.key} (the zone skipped that calendar "
        f"day): no dose is set on it, and day {day_number} is {on.isoformat()}."
    )


def between(earlier: datetime, later: datetime) -> timedelta:
    """The time from one instant to another, on instants (never on wall clocks)."""
    return instant_key(later) - instant_key(earlier)


_EPOCH = datetime(1970, 1, 1)


def instant_key(value: datetime) -> timedelta:
    """The instant as time since 1970-01-01 UTC: orders and subtracts by instant (datetimes
    sharing a ZoneInfo compare by wall clock), and, unlike `astimezone(UTC)`, cannot
    overflow at the calendar's ends (0001-01-01 08:00 in Tokyo is still an instant)."""
    return value.replace(tzinfo=None) - _EPOCH - (value.utcoffset() or timedelta(0))


def fixed(value: datetime) -> datetime:
    """The same instant with a fixed UTC offset (the one in force at that instant)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("a naive date-time cannot be placed in time")
    return value.replace(tzinfo=timezone(offset), fold=0)


def fixed_plan(plan: Plan) -> Plan:
    """The plan with every dose time carrying a fixed UTC offset (see `fixed`)."""
    doses = [replace(dose, at=fixed(dose.at)) for dose in plan.doses]
    return replace(plan, doses=doses)


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
    """The machine's IANA zone name: $TZ, else /etc/timezone, else the /etc/localtime link,
    else UTC."""
    value = os.environ.get("TZ")
    if value is not None:
        return zone_of_tz_variable(value)
    try:
        text = Path("/etc/timezone").read_text().strip()
        if listed_zone(text):
            return text
    except (OSError, UnicodeDecodeError):
        pass
    try:
        found = _zone_for_path(os.readlink("/etc/localtime"))
        if found:
            return found
    except OSError:
        pass
    return "UTC"


def zone_of_tz_variable(value: str) -> str:
    """$TZ in the forms the C library reads: empty (UTC), `NAME` or `:NAME` of the zone
    database (`Japan`, `CET`, `EST5EDT` too), or a path to one of its files. A POSIX rule
    (`JST-9`, `EST5EDT,M3.2.0,M11.1.0`) names no zone a plan could state, and anything
    else the C library would quietly read as UTC: both are refused."""
    name = value.removeprefix(":")
    if not name.strip():
        return "UTC"
    if listed_zone(name):
        return name
    if name.startswith("/"):
        found = _zone_for_path(name)
        if found:
            return found
        reason = "is not a file of the time-zone database"
    elif any(char.isdigit() for char in name) and "/" not in name:
        reason = "is a POSIX rule, which names no zone"
    else:
        reason = "is not a zone of the time-zone database"
    raise InputError(
        f"{value!r} {reason}; set TZ to an IANA name (e.g. Europe/London) or give <timezone>",
        "TZ",
    )


def _zone_for_path(path: str) -> str | None:
    """The zone name of a file of the zone database (`/usr/share/zoneinfo/Asia/Tokyo`,
    or a link such as /etc/localtime pointing there): by the path as given (so a zone that
    is a link keeps its own name), else by the file it resolves to."""
    given = os.path.normpath(path if os.path.isabs(path) else os.path.join("/etc", path))
    for candidate in (given, os.path.realpath(given)):
        for root in TZPATH:
            for folder in {root, os.path.realpath(root)}:
                if candidate.startswith(folder + os.sep):
                    name = candidate[len(folder) + 1 :]
                    if listed_zone(name):
                        return name
    return None


def today_in(zone_name: str) -> date:
    """'Today' in a zone (resolved once, at the edge that asks)."""
    return datetime.now(zone(zone_name)).date()
