"""Stopping rules: a course must not end from a high dose, and a taper must not be
shorter or steeper than the regimen's guidance.

What "ends" means is the plan's `then`: a plan that stops (a taper; a plan or checked
file stated to stop; a checked custom course) lists every dose the patient will take, so
the day after its last dose is the day the drug stops. A plan that continues or is
reviewed (a titration; a custom plan by default) ends on a step the patient keeps taking:
it does not stop the drug.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

import msgspec

from titrate.citation import BASIS_TEXT
from titrate.model import Plan, Sourced
from titrate.rules.base import Context, Example, Hit, rule


class Level(msgspec.Struct, frozen=True):
    """What one plan day gives: its largest single dose, its total and its dose count."""

    day: int
    largest_mg: Decimal
    total_mg: Decimal
    doses: int


def day_levels(plan: Plan, largest: Mapping[int, Decimal]) -> list[Level]:
    """The plan's days that have doses, in order (a day without doses is a gap);
    `largest` is each day's largest single dose (`Context.largest_mg_by_day`). A plan that
    starts later in day 1 (`first_dose`) takes that day only the last doses of day 2's
    pattern: day 1 is at day 2's level, not a lower level before a rise."""
    levels = [
        Level(day.day, largest[day.day], day.total_mg, day.doses)
        for day in plan.days
        if day.day in largest
    ]
    if len(levels) > 1 and levels[0].day == 1 and levels[1].day == 2 and _short_first_day(plan):
        second = levels[1]
        levels[0] = Level(1, second.largest_mg, second.total_mg, second.doses)
    return levels


def _short_first_day(plan: Plan) -> bool:
    """Day 1's doses are the last doses of day 2 (same wall times, same amounts), fewer."""
    first: list[tuple[object, Decimal]] = []
    second: list[tuple[object, Decimal]] = []
    for dose in plan.doses:
        if dose.day > 2:
            break
        (first if dose.day == 1 else second).append((dose.at.time(), dose.dose_mg))
    return 0 < len(first) < len(second) and second[-len(first) :] == first


def _pattern(plan: Plan, day: int) -> str:
    doses = [dose.dose_mg for dose in plan.doses if dose.day == day]
    if len(set(doses)) == 1:
        return f"{doses[0]} mg {len(doses)}× a day"
    return " + ".join(f"{dose} mg" for dose in doses)


@rule(
    "TT301",
    "abrupt-stop",
    "error",
    "stopping",
    passes=[
        Example(
            "baclofen 5x3:3,10x3:3,5x3:4, then stop (from 15 mg a day).",
            {"steps": "5x3:3,10x3:3,5x3:4", "then": "stop"},
        ),
        Example(
            "baclofen 20x4:14, continuing at 20 mg four times a day (not a stop).",
            {"steps": "20x4:14"},
        ),
    ],
    fails=[
        Example(
            "baclofen 5x3:3,10x3:3, then stop (from 30 mg a day, 10 mg three times).",
            {"steps": "5x3:3,10x3:3", "then": "stop"},
        )
    ],
)
def abrupt_stop(ctx: Context) -> Iterator[Hit]:
    """A plan that stops from more than the regimen's stopping threshold (no taper).

    What it does: for plans that stop (`then: stop`: tapers, plans stated to stop, checked
    custom courses, whose last listed dose is the last dose taken), compares the last
    day's total with the regimen's `stopping.max_daily_mg_to_stop_from` (baclofen: 15 mg a
    day, a convention: the labels say to reduce the dose slowly and give no numbers). A
    plan that continues at its last step (a titration, a custom plan by default) is not a
    stop.
    Why it matters: stopping baclofen abruptly can cause hallucinations, seizures, high
    fever and rebound spasticity; stopping from a high dose is the most dangerous.
    """
    stopping = ctx.regimen.stopping
    if stopping is None or ctx.plan.ends != "stop":
        return
    levels = day_levels(ctx.plan, ctx.largest_mg_by_day)
    if not levels:
        return
    last = levels[-1]
    limit = stopping.max_daily_mg_to_stop_from
    if last.total_mg <= limit:
        return
    yield Hit(
        f"The plan ends after day {last.day} from {last.total_mg} mg a day "
        f"({_pattern(ctx.plan, last.day)}) with no taper: ending from more than {limit} mg "
        f"a day is an abrupt stop ({BASIS_TEXT[stopping.basis]}). Taper down first, from "
        f"{_largest_dose(ctx.plan, last.day)} mg {last.doses} times a day.",
        stopping,
        day=last.day,
    )


def _largest_dose(plan: Plan, day: int) -> Decimal:
    return max(dose.dose_mg for dose in plan.doses if dose.day == day)


@rule(
    "TT302",
    "taper-too-fast",
    "warning",
    "taper",
    passes=[
        Example(
            "baclofen taper from 20 mg three times a day: 15 → 10 → 5 mg three times a day, "
            "3 days each, the first cut (60 → 45 mg a day) on day 1.",
            {"from_mg": "20", "doses_per_day": 3, "step_mg": "5", "every_days": 3},
            taper=True,
        ),
        Example(
            "tizanidine from 8 mg three times a day at its pace of 2 to 4 mg a day less.",
            {"regimen": "tizanidine", "from_mg": "8", "doses_per_day": 3},
            taper=True,
        ),
    ],
    fails=[
        Example(
            "the same baclofen taper with 1 day per step (reductions after 1 day).",
            {"from_mg": "20", "doses_per_day": 3, "step_mg": "5", "every_days": 1},
            taper=True,
        ),
        Example(
            "baclofen taper from 20 mg three times a day in 10 mg steps: day 1 is 10 mg three "
            "times a day, 10 mg less per dose than the starting dose.",
            {"from_mg": "20", "doses_per_day": 3, "step_mg": "10", "every_days": 3},
            taper=True,
        ),
        Example(
            "tizanidine taper from 8 mg three times a day in 6 mg steps: day 1 is 18 mg, 6 mg "
            "a day less than the starting 24 mg.",
            {"regimen": "tizanidine", "from_mg": "8", "doses_per_day": 3, "step_mg": "6"},
            taper=True,
        ),
        Example(
            "tizanidine 8 mg three times a day, then 6 mg three times a day (6 mg a day less).",
            {"regimen": "tizanidine", "steps": "8x3:3,6x3:3,4x3:3,2x3:3,2x1:3"},
        ),
    ],
)
def taper_too_fast(ctx: Context) -> Iterator[Hit]:
    """A taper shorter or steeper than the regimen's taper guidance.

    What it does: every reduction (a day whose total is below the day before) may lower
    each dose by at most the regimen's `taper.step_mg_per_dose` (and the day's total by at
    most that times the doses a day) or, for a pace written per day, the day's total by at
    most `taper.step_mg_per_day.max`; no sooner than `taper.every_days` after the last
    change. A taper made from a current dose makes its first cut on day 1, so that cut is
    judged against the starting dose (the current dose × doses a day), which the patient
    has taken for longer than an interval; a checked file has no dose before its day 1. A
    course that stops from above the stopping threshold must taper for at least
    `taper.min_duration.min_days`: a taper plan counts from its first day (and from its
    starting dose when known); a custom course from the last level held before its final
    run of reductions (at most one taper interval of it, so weeks of maintenance do not
    count as tapering). Baclofen: 5 mg per dose every 3 days (a convention; US labels give
    no numbers), at least 7 days (non-US labels: about 1-2 weeks).
    Why it matters: a taper that is too quick is an abrupt stop in slow motion: withdrawal
    and rebound come back, and the patient cannot tell a bad step from a relapse.
    """
    pace = ctx.regimen.taper
    if pace is None:
        return
    levels = _with_starting_level(ctx, day_levels(ctx.plan, ctx.largest_mg_by_day))
    if pace.frequency_steps is not None:
        yield from _frequency_too_fast(ctx, levels)
        return
    pace_basis = BASIS_TEXT[pace.basis]
    # The starting dose has been taken for an unknown time before day 1: its cut is
    # judged by size only.
    level_since: int | None = None if ctx.starting else (levels[0].day if levels else 0)
    final_run_start: int | None = None  # index of the first reduction after the last rise
    for index in range(1, len(levels)):
        before, now = levels[index - 1], levels[index]
        if now.total_mg == before.total_mg and now.largest_mg == before.largest_mg:
            continue
        held = None if level_since is None else now.day - level_since
        if now.total_mg > before.total_mg:
            final_run_start = None
        elif now.total_mg < before.total_mg:
            if final_run_start is None:
                final_run_start = index
            per_dose_drop = before.largest_mg - now.largest_mg
            daily_drop = before.total_mg - now.total_mg
            reasons = []
            if pace.step_mg_per_day is not None:
                if daily_drop > pace.step_mg_per_day.max:
                    reasons.append(
                        f"lowers the day's total by {daily_drop} mg (guidance: at most "
                        f"{pace.step_mg_per_day.max} mg a day)"
                    )
            elif (per_dose := pace.step_mg_per_dose) is not None:
                if per_dose_drop > per_dose:
                    reasons.append(
                        f"lowers each dose by {per_dose_drop} mg (guidance: at most {per_dose} mg)"
                    )
                elif daily_drop > per_dose * before.doses:
                    reasons.append(
                        f"lowers the day's total by {daily_drop} mg (guidance: at most "
                        f"{per_dose * before.doses} mg at {before.doses} doses a day)"
                    )
            if held is not None and held < pace.every_days:
                reasons.append(
                    f"after {held} day(s) (guidance: every {pace.every_days} days at the soonest)"
                )
            if reasons:
                yield _too_fast(before, now, reasons, pace_basis, pace)
        level_since = now.day
    yield from _too_short(ctx, levels, final_run_start)


def _with_starting_level(ctx: Context, levels: list[Level]) -> list[Level]:
    """The plan's days, led by the starting dose (as day 0) when the plan knows it."""
    starting = ctx.starting
    if starting is None:
        return levels
    total = starting.dose_mg * starting.per_day
    return [Level(0, starting.dose_mg, total, starting.per_day), *levels]


def _frequency_too_fast(ctx: Context, levels: list[Level]) -> Iterator[Hit]:
    """A taper paced by doses a day (`taper.frequency_steps`): each fall in the doses a
    day goes to the next step's count at most, after the current count's days; the last
    count is held for its days before the stop; the whole taper lasts the steps' days."""
    pace = ctx.regimen.taper
    assert pace is not None and pace.frequency_steps is not None
    days_at = {step.per_day: step.days for step in pace.frequency_steps}
    basis = BASIS_TEXT[pace.basis]
    since: int | None = None if ctx.starting else (levels[0].day if levels else 0)
    final_run_start: int | None = None
    for index in range(1, len(levels)):
        before, now = levels[index - 1], levels[index]
        if now.total_mg == before.total_mg and now.largest_mg == before.largest_mg:
            continue
        if now.total_mg > before.total_mg:
            final_run_start = None
        elif now.total_mg < before.total_mg:
            if final_run_start is None:
                final_run_start = index
            reasons = []
            lower = [count for count in days_at if count < before.doses]
            if lower and now.doses < max(lower):
                reasons.append(
                    f"goes from {before.doses} to {now.doses} doses a day (guidance: "
                    f"{max(lower)}× a day next)"
                )
            held = None if since is None else now.day - since
            wanted = days_at.get(before.doses)
            if held is not None and wanted is not None and held < wanted:
                reasons.append(f"after {held} day(s) at {before.doses}× a day (guidance: {wanted})")
            if reasons:
                yield _too_fast(before, now, reasons, basis, pace)
        since = now.day
    if ctx.plan.ends == "stop" and levels and since is not None:
        last = levels[-1]
        wanted = days_at.get(last.doses)
        held = last.day - since + 1
        if wanted is not None and held < wanted and last.day > 0:
            yield Hit(
                f"Day {last.day}: the taper stops after {held} day(s) at {last.doses}× a day "
                f"(guidance: {wanted} days before stopping; taper pace: {basis}).",
                pace,
                day=last.day,
            )
    yield from _too_short(ctx, levels, final_run_start)


def _too_fast(before: Level, now: Level, reasons: list[str], basis: str, pace: Sourced) -> Hit:
    """`Day 4: 60 → 45 mg a day from the starting dose by 15 mg and … (taper pace: …).`"""
    start = " from the starting dose" if before.day == 0 else ""
    return Hit(
        f"Day {now.day}: {before.total_mg} → {now.total_mg} mg a day{start} "
        + " and ".join(reasons)
        + f" (taper pace: {basis}).",
        pace,
        day=now.day,
    )


def _too_short(ctx: Context, levels: list[Level], final_run_start: int | None) -> Iterator[Hit]:
    pace = ctx.regimen.taper
    if pace is None or ctx.plan.ends != "stop" or not levels:
        return
    if pace.min_duration is None and pace.frequency_steps is None:
        return
    minimum: Sourced = pace.min_duration if pace.min_duration is not None else pace
    stopping = ctx.regimen.stopping
    last = levels[-1]
    if ctx.plan.kind == "taper":
        top = levels[0]  # the starting dose when known, else day 1
        first_day = next((level.day for level in levels if level.day > 0), last.day)
        length = last.day - first_day + 1
    else:
        if final_run_start is None:
            return  # no reductions: abrupt-stop speaks for an ending from a high dose
        top = levels[final_run_start - 1]
        top_start = top.day
        for level in reversed(levels[: final_run_start - 1]):
            if level.total_mg != top.total_mg or level.largest_mg != top.largest_mg:
                break
            top_start = level.day
        # a starting dose (day 0) has been held for longer than any interval
        held = pace.every_days if top_start == 0 else levels[final_run_start].day - top_start
        length = min(held, pace.every_days) + last.day - levels[final_run_start].day + 1
    if stopping is not None and top.total_mg <= stopping.max_daily_mg_to_stop_from:
        return  # stopping from this daily dose needs no taper at all
    if pace.min_duration is not None:
        min_days = pace.min_duration.min_days
    else:  # a frequency taper lasts its steps below the count it starts from
        assert pace.frequency_steps is not None
        min_days = sum(step.days for step in pace.frequency_steps if step.per_day < top.doses)
    if length < min_days:
        yield Hit(
            f"The taper from {top.total_mg} mg a day lasts {length} day(s); the guidance is "
            f"at least {min_days} days ({BASIS_TEXT[minimum.basis]}).",
            minimum,
            day=last.day,
        )
