"""Regimen + options → dated, timed doses and daily totals (no findings, no text).

Clock-time policy (stated in every plan that it touches): doses are set at local wall
time in the plan's zone. A wall time that does not exist (the skipped hour of a
spring-forward day) moves forward by the gap, e.g. 02:30 → 03:30; a wall time that
happens twice (the repeated hour of a fall-back day) is the first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from titrate.errors import InputError
from titrate.model import (
    ABSURD_MG,
    MG_DECIMAL_PLACES,
    DISCLAIMER,
    Day,
    Dose,
    NoticeRef,
    Plan,
    PlanOptions,
    Regimen,
    RegimenRef,
    SourceRef,
    Step,
)

# A plan longer than this is almost certainly a typo (--hold-days 1000000000); ten years
# of daily doses is still only tens of thousands of rows.
MAX_PLAN_DAYS = 3660

_STEP_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*[xX×]\s*([0-9]+)\s*:\s*([0-9]+)\s*$")


def parse_steps(spec: str, where: str = "--steps") -> list[Step]:
    """Parse `"5x3:3,10x3:3"` (mg × doses per day : days) into steps."""
    steps: list[Step] = []
    parts = [part for part in spec.split(",")]
    if not spec.strip():
        raise InputError("empty; expected e.g. '5x3:3,10x3:3' (mg x doses a day : days)", where)
    for index, part in enumerate(parts, start=1):
        match = _STEP_RE.match(part)
        if match is None:
            raise InputError(
                f"step {index} {part.strip()!r} is not MGxPER_DAY:DAYS (e.g. '5x3:3')", where
            )
        try:
            dose_mg = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            raise InputError(f"step {index}: {match.group(1)!r} is not a number", where) from None
        per_day, days = int(match.group(2)), int(match.group(3))
        if dose_mg <= 0:
            raise InputError(f"step {index}: the dose must be more than 0 mg", where)
        if dose_mg > ABSURD_MG:
            raise InputError(f"step {index}: {dose_mg} mg is not a plausible dose", where)
        if not 1 <= per_day <= 24:
            raise InputError(f"step {index}: doses a day must be 1 to 24, got {per_day}", where)
        if not 1 <= days <= MAX_PLAN_DAYS:
            raise InputError(f"step {index}: days must be 1 to {MAX_PLAN_DAYS}, got {days}", where)
        if -dose_mg.as_tuple().exponent > MG_DECIMAL_PLACES:  # type: ignore[operator]
            raise InputError(
                f"step {index}: {dose_mg} mg has more than {MG_DECIMAL_PLACES} decimal places",
                where,
            )
        steps.append(Step(dose_mg=dose_mg, per_day=per_day, days=days))
    return steps


def parse_times(spec: str, where: str = "--times") -> list[time]:
    """Parse `"08:00,14:00,20:00"` into clock times (24-hour HH:MM)."""
    times: list[time] = []
    for part in spec.split(","):
        text = part.strip()
        if not re.fullmatch(r"[0-9]{1,2}:[0-9]{2}", text):
            raise InputError(f"{text!r} is not a 24-hour time HH:MM (e.g. 08:00)", where)
        hour, minute = (int(piece) for piece in text.split(":"))
        if hour > 23 or minute > 59:
            raise InputError(f"{text!r} is not a time of day (00:00 to 23:59)", where)
        times.append(time(hour, minute))
    if sorted(times) != times or len(set(times)) != len(times):
        raise InputError("times must be distinct and in order through the day", where)
    return times


def parse_date(text: str, where: str = "--start") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date YYYY-MM-DD that exists", where) from None


def zone(name: str, where: str = "--tz") -> ZoneInfo:
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"unknown time zone {name!r} (use an IANA name, e.g. Europe/London)", where
        ) from None


@dataclass(frozen=True)
class Ladder:
    """The steps a plan follows, and what the planner had to decide to get them."""

    steps: list[Step]
    notes: list[str]


def ladder_for(regimen: Regimen, options: PlanOptions) -> Ladder:
    """The steps to schedule: custom steps as given, else the regimen's ladder cut at the
    target (or continued toward it by the labeled increment), then the hold."""
    notes: list[str] = []
    if options.steps is not None:
        steps = list(options.steps)
    else:
        steps = list(regimen.titration.steps)
        target = options.target_mg
        if target is not None:
            steps = _to_target(regimen, steps, target, notes)
    if options.hold_days:
        last = steps[-1]
        steps[-1] = last.model_copy(update={"days": last.days + options.hold_days})
        notes.append(
            f"The last step ({last.dose_mg} mg {last.per_day}× a day) continues "
            f"{options.hold_days} more day(s) (--hold-days)."
        )
    total_days = sum(step.days for step in steps)
    if total_days > MAX_PLAN_DAYS:
        raise InputError(
            f"the plan would last {total_days} days; the limit is {MAX_PLAN_DAYS} days",
            "--hold-days" if options.hold_days else "--steps",
        )
    return Ladder(steps, notes)


def _to_target(
    regimen: Regimen, steps: list[Step], target: Decimal, notes: list[str]
) -> list[Step]:
    kept: list[Step] = []
    for step in steps:
        if step.dose_mg >= target:
            if step.dose_mg > target:
                previous = kept[-1].dose_mg if kept else Decimal(0)
                kept.append(step.model_copy(update={"dose_mg": target}))
                notes.append(
                    f"Target {target} mg is not a step of the labeled ladder: the last step is "
                    f"{target} mg (after {previous} mg)."
                )
            else:
                kept.append(step)
            return kept
        kept.append(step)
    # Above the ladder's top: continue by the labeled increment and interval.
    escalation = regimen.limits.escalation
    if escalation is None:
        raise InputError(
            f"target {target} mg is above the regimen's ladder and the regimen gives no "
            "increment to continue by",
            "--target-mg",
        )
    last = kept[-1]
    days = max(escalation.min_days_between_increases, 1)
    dose = last.dose_mg
    while dose < target:
        dose = min(dose + escalation.max_increment_mg_per_dose, target)
        kept.append(Step(dose_mg=dose, per_day=last.per_day, days=days))
    notes.append(
        f"Steps above the labeled ladder follow the labeled increment "
        f"({escalation.max_increment_mg_per_dose} mg per dose every {days} days) up to the "
        f"target {target} mg."
    )
    return kept


def times_by_frequency(
    regimen: Regimen, options: PlanOptions, steps: Sequence[Step], notes: list[str]
) -> dict[int, list[time]]:
    """Clock times for each number of doses a day used by the steps."""
    table = dict(regimen.dose_times.by_frequency)
    if options.times is not None:
        per_day = len(options.times)
        if not any(step.per_day == per_day for step in steps):
            used = sorted({step.per_day for step in steps})
            raise InputError(
                f"{per_day} time(s) given but no step is taken {per_day}× a day "
                f"(steps use {', '.join(map(str, used))}× a day)",
                "--times",
            )
        table[per_day] = list(options.times)
    used_times: dict[int, list[time]] = {}
    for step in steps:
        if step.per_day not in table:
            table[step.per_day] = spread_times(table, step.per_day)
            notes.append(
                f"The regimen gives no clock times for {step.per_day} doses a day: they are "
                "spread evenly over its waking-hours window "
                f"({', '.join(t.strftime('%H:%M') for t in table[step.per_day])})."
            )
        used_times[step.per_day] = table[step.per_day]
    return used_times


def spread_times(table: dict[int, list[time]], per_day: int) -> list[time]:
    """Evenly spaced whole-minute times across the window the regimen's own default
    times span (first to last dose of the day)."""
    all_times = [clock for clocks in table.values() for clock in clocks]
    first, last = min(all_times), max(all_times)
    start_minute = first.hour * 60 + first.minute
    window = (last.hour * 60 + last.minute) - start_minute
    if per_day == 1 or window <= 0:
        return [first]
    if per_day > window + 1:  # more doses than minutes in the window: use the whole day
        start_minute, window = 0, 24 * 60 - 1
    minutes = [start_minute + (window * index) // (per_day - 1) for index in range(per_day)]
    return [time(minute // 60, minute % 60) for minute in minutes]


def local_instant(day: date, clock: time, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """Wall time → aware instant, with a note when the wall time does not exist."""
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


def build_schedule(regimen: Regimen, options: PlanOptions) -> Plan:
    """Expand the regimen into a plan with doses and days (findings come later)."""
    tz = zone(options.timezone)
    shared = regimen_parts(regimen)
    ladder = ladder_for(regimen, options)
    notes = list(ladder.notes)
    clock_times = times_by_frequency(regimen, options, ladder.steps, notes)
    doses: list[Dose] = []
    days: list[Day] = []
    day_number = 0
    try:
        for step_number, step in enumerate(ladder.steps, start=1):
            for _ in range(step.days):
                day_number += 1
                on = options.start + timedelta(days=day_number - 1)
                for clock in clock_times[step.per_day]:
                    instant, note = local_instant(on, clock, tz)
                    if note:
                        notes.append(note)
                    # model_construct: every value is a validated step's, or a count or an
                    # aware instant made here; re-validating 36+ doses per plan is the
                    # largest cost of a batch (bench/run.py).
                    doses.append(
                        Dose.model_construct(
                            number=len(doses) + 1,
                            at=instant,
                            day=day_number,
                            step=step_number,
                            dose_mg=step.dose_mg,
                        )
                    )
                days.append(
                    Day(
                        day=day_number,
                        date=on,
                        step=step_number,
                        doses=step.per_day,
                        total_mg=step.dose_mg * step.per_day,
                    )
                )
    except OverflowError:
        raise InputError("the plan runs past the year 9999", "--start") from None
    basis = regimen.dose_times.basis
    if options.times is None and basis != "label":
        notes.append(
            "Clock times are "
            + ("a convention" if basis == "convention" else f"{basis}")
            + " (evenly spaced waking hours); use --times to fit the patient's day."
        )
    return Plan(
        kind=options.kind or ("custom" if options.steps is not None else "titration"),
        regimen=shared.ref,
        patient=options.patient,
        start=options.start,
        timezone=tz.key,
        times={
            per_day: [clock.strftime("%H:%M") for clock in clocks]
            for per_day, clocks in sorted(clock_times.items())
        },
        doses=doses,
        days=days,
        findings=[],
        sources=list(shared.sources),
        notes=notes,
        notices=list(shared.notices),
        disclaimer=DISCLAIMER,
    )


@dataclass(frozen=True)
class RegimenParts:
    """What every plan of a regimen repeats: built once per regimen, not once per plan."""

    regimen: Regimen
    ref: RegimenRef
    sources: tuple[SourceRef, ...]
    notices: tuple[NoticeRef, ...]


_PARTS: dict[int, RegimenParts] = {}


def regimen_parts(regimen: Regimen) -> RegimenParts:
    """Regimens are frozen, so their parts can be kept by identity (the catalog's live
    for the whole process; the check `parts.regimen is regimen` guards a reused id)."""
    parts = _PARTS.get(id(regimen))
    if parts is None or parts.regimen is not regimen:
        if len(_PARTS) >= 64:  # regimens made on the fly (tests, scripts) must not pile up
            _PARTS.clear()
        parts = _PARTS[id(regimen)] = RegimenParts(
            regimen=regimen,
            ref=regimen_ref(regimen),
            sources=tuple(
                SourceRef(
                    id=source.id,
                    title=source.title,
                    section=source.section,
                    url=source.url,
                    retrieved=source.retrieved,
                )
                for source in regimen.sources
            ),
            notices=tuple(
                NoticeRef(id=notice.id, text=notice.text, source=regimen.cite(notice))
                for notice in regimen.notices
            ),
        )
    return parts


def regimen_ref(regimen: Regimen) -> RegimenRef:
    limits = regimen.limits
    return RegimenRef(
        id=regimen.id,
        name=regimen.name,
        drug=regimen.drug,
        route=regimen.route,
        summary=regimen.summary,
        max_daily_mg=limits.max_daily_mg.value,
        max_single_mg=limits.max_single_mg.value if limits.max_single_mg else None,
        max_doses_per_day=int(limits.max_doses_per_day.value) if limits.max_doses_per_day else None,
    )
