"""Regimen + options → dated, timed doses and daily totals (no findings, no text).

Clock-time policy (stated in every plan that it touches): doses are set at local wall
time in the plan's zone. A wall time that does not exist (the skipped hour of a
spring-forward day) is set at the end of the gap, e.g. 02:30 → 03:00, so it keeps its place
before the day's later doses (two doses in one gap share that instant, in their order, and
the plan says so); a wall time that happens twice (the repeated hour of a fall-back day) is
the first occurrence; a date the zone skipped entirely carries no day (`clock.PlanDates`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import replace

from titrate.citation import BASIS_TEXT, citations, cite
from titrate.clock import PlanDates, instant_key, local_instant, skipped_date_note, zone
from titrate.core.ending import default_action, plan_end
from titrate.errors import InputError
from titrate.model import (
    ABSURD_MG,
    DISCLAIMER,
    MG_DECIMAL_PLACES,
    Amount,
    Day,
    Dose,
    NoticeRef,
    Plan,
    PlanOptions,
    Regimen,
    RegimenRef,
    ReviewBy,
    SourceRef,
    Step,
)

# A plan longer than this is almost certainly a typo (hold_days of 1000000000); ten years
# of daily doses is still only tens of thousands of rows.
MAX_PLAN_DAYS = 3660

_STEP_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*[xX×]\s*([0-9]+)\s*:\s*([0-9]+)\s*$")


def parse_steps(spec: str, field: str = "steps", where: str | None = None) -> list[Step]:
    """Parse `"5x3:3,10x3:3"` (mg × doses per day : days) into steps."""
    steps: list[Step] = []
    parts = [part for part in spec.split(",")]
    if not spec.strip():
        raise InputError(
            "empty; expected e.g. '5x3:3,10x3:3' (mg x doses a day : days)", where, field=field
        )
    for index, part in enumerate(parts, start=1):
        match = _STEP_RE.match(part)
        if match is None:
            raise InputError(
                f"step {index} {part.strip()!r} is not MGxPER_DAY:DAYS (e.g. '5x3:3')",
                where,
                field=field,
            )
        try:
            dose_mg = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            raise InputError(
                f"step {index}: {match.group(1)!r} is not a number", where, field=field
            ) from None
        per_day, days = int(match.group(2)), int(match.group(3))
        if dose_mg <= 0:
            raise InputError(f"step {index}: the dose must be more than 0 mg", where, field=field)
        if dose_mg > ABSURD_MG:
            raise InputError(
                f"step {index}: {dose_mg} mg is not a plausible dose", where, field=field
            )
        if not 1 <= per_day <= 24:
            raise InputError(
                f"step {index}: doses a day must be 1 to 24, got {per_day}", where, field=field
            )
        if not 1 <= days <= MAX_PLAN_DAYS:
            raise InputError(
                f"step {index}: days must be 1 to {MAX_PLAN_DAYS}, got {days}", where, field=field
            )
        if -dose_mg.as_tuple().exponent > MG_DECIMAL_PLACES:  # type: ignore[operator]
            raise InputError(
                f"step {index}: {dose_mg} mg has more than {MG_DECIMAL_PLACES} decimal places",
                where,
                field=field,
            )
        steps.append(Step(dose_mg=dose_mg, per_day=per_day, days=days))
    return steps


def parse_times(spec: str, field: str = "times", where: str | None = None) -> list[time]:
    """Parse `"08:00,14:00,20:00"` into clock times (24-hour HH:MM)."""
    times = [parse_time(part, field, where) for part in spec.split(",")]
    if sorted(times) != times or len(set(times)) != len(times):
        raise InputError("times must be distinct and in order through the day", where, field=field)
    return times


def parse_time(text: str, field: str = "first_dose", where: str | None = None) -> time:
    """Parse one clock time `"14:00"` (24-hour HH:MM)."""
    text = text.strip()
    if not re.fullmatch(r"[0-9]{1,2}:[0-9]{2}", text):
        raise InputError(f"{text!r} is not a 24-hour time HH:MM (e.g. 08:00)", where, field=field)
    hour, minute = (int(piece) for piece in text.split(":"))
    if hour > 23 or minute > 59:
        raise InputError(f"{text!r} is not a time of day (00:00 to 23:59)", where, field=field)
    return time(hour, minute)


_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str, field: str = "start", where: str | None = None) -> date:
    """Only YYYY-MM-DD, as the message says (`date.fromisoformat` also takes 20261201)."""
    try:
        if not _DATE_RE.fullmatch(text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{text!r} is not a date YYYY-MM-DD that exists", where, field=field
        ) from None


class Ladder(msgspec.Struct, frozen=True):
    """The steps a plan follows, and what the planner had to decide to get them."""

    steps: list[Step]
    notes: list[str]


def ladder_for(regimen: Regimen, options: PlanOptions) -> Ladder:
    """The steps to schedule: custom steps as given; else the regimen's ladder cut at the
    target (or continued toward it by the labeled increment), or for a rule-based
    titration the prescriber's step, interval and target; then the hold."""
    notes: list[str] = []
    chosen = options.step_mg is not None or options.every_days is not None
    if chosen and (options.steps is not None or regimen.titration.rule is None):
        raise InputError(
            (
                "applies to the regimen's own titration, not to <steps>"
                if options.steps is not None
                else f"regimen {regimen.id!r} has a fixed ladder; <step_mg> and <every_days> "
                "apply to rule-based titration (write another schedule with <steps>)"
            ),
            field="step_mg" if options.step_mg is not None else "every_days",
        )
    if options.steps is not None:
        steps = list(options.steps)
    elif regimen.titration.rule is not None:
        steps = _by_rule(regimen, options, notes)
    else:
        steps = list(regimen.titration.steps)
        target = options.target_mg
        if target is not None:
            steps = _to_target(regimen, steps, target, notes)
    if options.hold_days:
        last = steps[-1]
        steps[-1] = replace(last, days=last.days + options.hold_days)
        notes.append(
            f"The last step ({last.dose_mg} mg {last.per_day}× a day) continues "
            f"{options.hold_days} more day(s)."
        )
    total_days = sum(step.days for step in steps)
    if total_days > MAX_PLAN_DAYS:
        raise InputError(
            f"the plan would last {total_days} days; the limit is {MAX_PLAN_DAYS} days",
            field="hold_days" if options.hold_days else "steps",
        )
    return Ladder(steps, notes)


def _by_rule(regimen: Regimen, options: PlanOptions, notes: list[str]) -> list[Step]:
    """Rule-based titration: the labeled start, then + step every interval up to the
    target (the last rise may be smaller), each level held for the interval. Choices
    outside the labeled ranges are kept as given: `escalation-too-fast` reports a faster
    one; a slower one gets a note."""
    rule = regimen.titration.rule
    escalation = regimen.limits.escalation
    assert rule is not None and escalation is not None  # the Regimen model guarantees both
    low, high = escalation.min_increment_mg_per_dose, escalation.max_increment_mg_per_dose
    soon, late = escalation.min_days_between_increases, escalation.max_days_between_increases
    step_range = f"{low}-{high}" if low is not None else f"at most {high}"
    day_range = f"{soon}-{late}" if late is not None else f"at least {soon}"
    missing = [
        option
        for option, value in (
            ("target_mg", options.target_mg),
            ("step_mg", options.step_mg),
            ("every_days", options.every_days),
        )
        if value is None
    ]
    if missing:
        raise InputError(
            f"regimen {regimen.id!r} titrates by a rule, not a fixed ladder: the prescriber "
            f"chooses the target dose (<target_mg>), the rise per dose (<step_mg>, labeled "
            f"{step_range} mg) and the days between rises (<every_days>, labeled {day_range}); "
            f"missing {', '.join(f'<{name}>' for name in missing)}",
            field=missing[0],
        )
    target, step, every = options.target_mg, options.step_mg, options.every_days
    assert target is not None and step is not None and every is not None
    per_day = rule.per_day.value
    start = rule.start_mg
    if target < start:
        notes.append(
            f"Target {target} mg is below the labeled starting dose {start} mg: the plan "
            f"holds {target} mg."
        )
        return [Step(dose_mg=target, per_day=per_day, days=every)]
    steps = [Step(dose_mg=start, per_day=per_day, days=every)]
    dose = start
    while dose < target:
        dose = min(dose + step, target)
        steps.append(Step(dose_mg=dose, per_day=per_day, days=every))
        if len(steps) * every > MAX_PLAN_DAYS:
            raise InputError(
                f"reaching {target} mg by {step} mg every {every} day(s) would take more than "
                f"{MAX_PLAN_DAYS} days",
                field="step_mg",
            )
    notes.append(
        f"Titration by the regimen's rule ({BASIS_TEXT[regimen.titration.basis]}): start "
        f"{start} mg {per_day}× a day, then {step} mg more per dose every {every} day(s) up to "
        f"{target} mg (the prescriber's choices; labeled: {step_range} mg per dose, "
        f"{day_range} days between rises)."
    )
    if (target - start) % step:
        notes.append(
            f"{target} mg is not a whole number of {step} mg rises from {start} mg: the last "
            f"rise is {target - steps[-2].dose_mg} mg."
        )
    slower = []
    if low is not None and step < low:
        slower.append(f"a rise of {step} mg is below the labeled {low} mg")
    if late is not None and every > late:
        slower.append(f"{every} days between rises is above the labeled {late} days")
    if slower:
        notes.append(" and ".join(slower) + ": slower than the labeled titration (not a finding).")
    return steps


def _to_target(
    regimen: Regimen, steps: list[Step], target: Decimal, notes: list[str]
) -> list[Step]:
    kept: list[Step] = []
    for step in steps:
        if step.dose_mg >= target:
            if step.dose_mg > target:
                previous = kept[-1].dose_mg if kept else Decimal(0)
                kept.append(replace(step, dose_mg=target))
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
            field="target_mg",
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
                field="times",
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


# Given the ladder's steps, each distinct dose's amount in the chosen product.
AmountsFor = Callable[[Sequence[Step]], Mapping[Decimal, Amount | None]]


def build_schedule(
    regimen: Regimen, options: PlanOptions, amounts_for: AmountsFor | None = None
) -> Plan:
    """Expand the regimen into a plan with doses and days (findings come later).

    With `amounts_for` (`api.plan` passes it when no renal reduction will change the
    doses afterwards) each dose is built with its amount, once; otherwise the amounts
    are None and `measure.measure_plan` fills them in."""
    tz = zone(options.timezone)
    shared = regimen_parts(regimen)
    ladder = ladder_for(regimen, options)
    notes = list(ladder.notes)
    for number, step in enumerate(ladder.steps, start=1):
        if step.every_days > 1:
            notes.append(
                f"Step {number} ({step.dose_mg} mg): a dose day every {step.every_days} days "
                f"(days 1, {1 + step.every_days}, {1 + 2 * step.every_days} … of the step); "
                "no dose on the days between."
            )
    clock_times = times_by_frequency(regimen, options, ladder.steps, notes)
    amounts: Mapping[Decimal, Amount | None] = {}
    deferred: InputError | None = None
    if amounts_for is not None:
        try:
            amounts = amounts_for(ladder.steps)
        except InputError as exc:
            # Raised once the schedule is complete, so that its own errors (a plan past
            # the year 9999) still come first, as when measuring came after it.
            deferred = exc
    kind = options.kind or ("custom" if options.steps is not None else "titration")
    first = day_one(options, clock_times[ladder.steps[0].per_day], tz)
    if first.note:
        notes.insert(0, first.note)
    doses: list[Dose] = []
    days: list[Day] = []
    day_number = 0
    dates = PlanDates(first.start, tz)
    try:
        for step_number, step in enumerate(ladder.steps, start=1):
            # Dose and Day are light records (no validation): the doses come from
            # validated Steps (custom ones too), their amounts from validated products,
            # the instants are aware datetimes, and numbers count from 1.
            slots = list(zip(clock_times[step.per_day], step.amounts, strict=True))
            total_mg = step.total_mg
            for day_of_step in range(1, step.days + 1):
                day_number += 1
                on = dates.take()
                while dates.skipped:
                    notes.append(skipped_date_note(dates.skipped.pop(0), tz, day_number, on))
                today, day_mg = slots, total_mg
                if not step.doses_on(day_of_step):  # every other day: no dose today
                    today, day_mg = [], Decimal(0)
                if day_number == 1 and first.skip:  # a plan that starts later in day 1
                    today = slots[first.skip :]
                    day_mg = sum((dose_mg for _, dose_mg in today), Decimal(0))
                for clock, dose_mg in today:
                    instant, note = local_instant(on, clock, tz)
                    if note:
                        notes.append(note)
                        if doses and instant_key(instant) == instant_key(doses[-1].at):
                            notes.append(_shared_instant_note(doses[-1], instant, clock))
                    doses.append(
                        Dose(
                            number=len(doses) + 1,
                            at=instant,
                            day=day_number,
                            step=step_number,
                            dose_mg=dose_mg,
                            amount=amounts.get(dose_mg),
                        )
                    )
                days.append(
                    Day(
                        day=day_number,
                        date=on,
                        step=step_number,
                        doses=len(today),
                        total_mg=day_mg,
                    )
                )
    except OverflowError:
        raise InputError("the plan runs past the year 9999", field="start") from None
    basis = regimen.dose_times.basis
    if options.times is None and basis != "label":
        notes.append(
            "Clock times are "
            + ("a convention" if basis == "convention" else f"{basis}")
            + " (evenly spaced waking hours); choose times that fit the patient's day."
        )
    review = review_by(regimen, first.start, kind)
    then = plan_end(options.then or default_action(kind, review), doses, days)
    if deferred is not None:
        raise deferred
    return Plan(
        kind=kind,
        regimen=shared.ref,
        patient=options.patient,
        start=first.start,
        timezone=tz.key,
        times={
            per_day: [clock.strftime("%H:%M") for clock in clocks]
            for per_day, clocks in sorted(clock_times.items())
        },
        doses=doses,
        days=days,
        then=then,
        findings=[],
        sources=list(shared.sources),
        notes=notes,
        notices=list(shared.notices),
        review_by=review,
        disclaimer=DISCLAIMER,
    )


class DayOne(msgspec.Struct, frozen=True):
    """Where a plan starts: its first date, how many of day 1's clock times it leaves out,
    and what it says about them (None when the caller chose the first dose)."""

    start: date
    skip: int = 0
    note: str | None = None


def day_one(options: PlanOptions, clocks: Sequence[time], tz: ZoneInfo) -> DayOne:
    """Day 1 from `first_dose` (one of day 1's clock times) or, without it, from `now`:
    when the plan is made on its first date, the dose times already passed are left out
    (said in a note), or day 1 moves to the next date when every one has passed. Every
    step keeps its length; later days are whole."""
    start = options.start
    if options.first_dose is not None:
        wanted = options.first_dose
        if wanted not in clocks:
            raise InputError(
                f"{_hhmm(wanted)} is not a dose time of day 1 (its times: "
                f"{', '.join(map(_hhmm, clocks))})",
                field="first_dose",
            )
        return DayOne(start, skip=list(clocks).index(wanted))
    now = options.now
    if now is None or now.astimezone(tz).date() != start:
        return DayOne(start)
    now = now.replace(second=0, microsecond=0)  # to the minute, as the note shows it
    made = f"when the plan was made ({now.astimezone(tz).strftime('%H:%M')})"
    try:
        passed = [
            clock
            for clock in clocks
            if instant_key(local_instant(start, clock, tz)[0]) < instant_key(now)
        ]
    except OverflowError:
        raise InputError("the plan runs past the year 9999", field="start") from None
    if not passed:
        return DayOne(start)
    if len(passed) < len(clocks):
        return DayOne(
            start,
            skip=len(passed),
            note=(
                f"The {_and(passed)} dose time{'s' if len(passed) > 1 else ''} of "
                f"{start.isoformat()} (day 1) had passed {made}: the plan starts with the "
                f"{_hhmm(clocks[len(passed)])} dose, and every step keeps its length."
            ),
        )
    try:
        tomorrow = start + timedelta(days=1)
    except OverflowError:
        raise InputError("the plan runs past the year 9999", field="start") from None
    which = (
        f"The {_hhmm(passed[0])} dose time"
        if len(passed) == 1
        else f"Every dose time ({_and(passed)})"
    )
    return DayOne(
        tomorrow,
        note=(
            f"{which} of {start.isoformat()} had passed {made}: the plan starts on "
            f"{tomorrow.isoformat()} with the {_hhmm(clocks[0])} dose."
        ),
    )


def _hhmm(clock: time) -> str:
    return clock.strftime("%H:%M")


def _and(clocks: Sequence[time]) -> str:
    """`08:00`, `08:00 and 14:00`, `08:00, 14:00 and 20:00`."""
    texts = [_hhmm(clock) for clock in clocks]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _shared_instant_note(previous: Dose, instant: datetime, clock: time) -> str:
    """Two wall times in one spring-forward gap both move to its end: said, not hidden."""
    return (
        f"The {clock.strftime('%H:%M')} dose is at {instant.strftime('%H:%M')}, the same time "
        f"as dose {previous.number} before it (both fall in the hour the clocks skip); they "
        "stay in their order."
    )


def review_by(regimen: Regimen, start: date, kind: str) -> ReviewBy | None:
    """The regimen's review date for a plan starting on `start` (day 1); a taper, which
    stops the drug, has none."""
    review = regimen.review
    if review is None or kind == "taper":
        return None
    try:
        on = start + timedelta(days=review.by_day - 1)
    except OverflowError:
        raise InputError("the review date runs past the year 9999", field="start") from None
    return ReviewBy(
        date=on,
        day=review.by_day,
        text=review.text,
        source=cite(regimen, review),
        basis=review.basis,
    )


class RegimenParts(msgspec.Struct, frozen=True):
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
            notices=notice_refs(regimen),
        )
    return parts


def notice_refs(regimen: Regimen) -> tuple[NoticeRef, ...]:
    """The regimen's notices, a boxed warning first (otherwise in the data's order)."""
    ordered = sorted(regimen.notices, key=lambda notice: not notice.boxed)
    return tuple(
        NoticeRef(id=notice.id, text=notice.text, source=cite(regimen, notice), boxed=notice.boxed)
        for notice in ordered
    )


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
        source="; ".join(
            dict.fromkeys(
                citations(regimen, regimen.titration) + citations(regimen, limits.max_daily_mg)
            )
        ),
    )
