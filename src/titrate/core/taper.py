"""Taper plans: from the dose a patient takes now down to stopping.

The pace is the regimen's `taper:` data (baclofen: 5 mg less per dose every 3 days, a
convention: US labels say "reduce slowly" and give no numbers), or `step_mg` /
`every_days` given by the caller. The result is an ordinary Plan (kind "taper"), so
every output format, product measurement and dispensing count applies to it.

How the steps are made:
- the first cut is on day 1 (the current dose is what the patient takes now); each step
  lowers every dose to the next lower multiple of the step (12 mg → 10 → 5 with 5 mg
  steps), so the doses stay on the strengths the pace is written in;
- a step to the next lower multiple never takes off more than half of a dose;
- when the smallest dose still gives more a day than the regimen's stopping threshold
  (5 mg four times a day is 20 mg), one dose a day is dropped per interval until it does
  not (5 mg three times a day, 15 mg);
- a taper at the regimen's pace or slower that would be shorter than the regimen's
  minimum taper duration holds its last step longer. A faster pace asked for by the
  caller is kept as asked, and `taper-too-fast` says so.

A pace written as a fall in the day's total (`taper.step_mg_per_day`, e.g. "2 to 4 mg
per day") lowers one dose at a time instead: each interval takes the step off the largest
dose (the latest of equal doses first; a dose that reaches zero is dropped), until the
day's total is at or below the stopping threshold. Unless a step is asked for, no cut
takes off more than half of the day's remaining dose (a convention). The default step is
the slower end of the range; a given `step_mg` then means the fall in the day's total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from msgspec.structs import replace

from titrate.citation import BASIS_TEXT, basis_text
from titrate.core.pipeline import plan as build_plan
from titrate.errors import InputError
from titrate.model import (
    ABSURD_MG,
    MG_DECIMAL_PLACES,
    Plan,
    PlanOptions,
    Regimen,
    Step,
)
from titrate.rules import StartingDose, checked

# A taper longer than this is a typo (every_days of 1000 with many steps).
MAX_TAPER_DAYS = 3660


@dataclass(frozen=True)
class TaperLadder:
    """The taper's steps and what the planner decided to get them (for `Plan.notes`)."""

    steps: list[Step]
    notes: list[str]


def taper_ladder(
    regimen: Regimen,
    from_mg: Decimal,
    doses_per_day: int,
    *,
    step_mg: Decimal | None = None,
    every_days: int | None = None,
    pace_percent: Decimal | None = None,
) -> TaperLadder:
    """The steps from `from_mg` taken `doses_per_day` times a day down to stopping."""
    pace = regimen.taper
    if pace_percent is not None:
        return _proportional_ladder(regimen, from_mg, doses_per_day, pace_percent, every_days)
    if pace is not None and pace.frequency_steps is not None and step_mg is None:
        if every_days is not None:
            raise InputError(
                f"regimen {regimen.id!r} tapers by doses a day (its own days per step); "
                "<every_days> applies only with <step_mg>",
                field="every_days",
            )
        return frequency_ladder(regimen, from_mg, doses_per_day)
    if pace is not None and pace.step_mg_per_day is not None:
        return _per_day_ladder(regimen, from_mg, doses_per_day, step_mg, every_days)
    step = step_mg if step_mg is not None else (pace.step_mg_per_dose if pace else None)
    by_count = pace is not None and pace.frequency_steps is not None
    every = every_days if every_days is not None else (pace.every_days if pace else None)
    if by_count and every_days is None:
        every = None  # a pace by doses a day has no interval to lend a step in mg
    if by_count and every is None:
        raise InputError(
            f"regimen {regimen.id!r} tapers by doses a day; a step in mg needs <every_days> too",
            field="every_days",
        )
    if step is None or every is None:
        raise InputError(
            f"regimen {regimen.id!r} has no taper pace; give both <step_mg> and <every_days>",
            field="step_mg" if step is None else "every_days",
        )
    _check_inputs(from_mg, step, every, doses_per_day)
    reductions = (from_mg / step).to_integral_value(rounding=ROUND_CEILING)
    if reductions * every > MAX_TAPER_DAYS:
        raise InputError(
            f"{int(reductions)} reductions of {step} mg every {every} day(s) would last more than "
            f"{MAX_TAPER_DAYS} days",
            field="step_mg",
        )
    notes = [_pace_note(regimen, step, every, step_mg is not None or every_days is not None)]
    dose = from_mg
    steps: list[Step] = []
    # Going to the next lower multiple of the step never takes off more than half of a
    # dose (the lower multiple is at least half of it), so no cap is needed here.
    while (lower := _next_lower_multiple(dose, step)) > 0:
        dose = lower
        steps.append(Step(dose_mg=dose, per_day=doses_per_day, days=every))
    if from_mg % step:
        notes.append(
            f"{from_mg} mg is not a multiple of the {step} mg step: the first reduction goes "
            f"to {steps[0].dose_mg if steps else 0} mg so the doses stay on multiples "
            f"of {step} mg."
        )

    stopping = regimen.stopping
    per_day = doses_per_day
    if stopping is not None:
        threshold = stopping.max_daily_mg_to_stop_from
        while dose * per_day > threshold and per_day > 1:
            per_day -= 1
            steps.append(Step(dose_mg=dose, per_day=per_day, days=every))
        if per_day != doses_per_day:
            notes.append(
                f"At {dose} mg a dose the taper drops one dose a day every {every} day(s), "
                f"down to {per_day}× a day ({dose * per_day} mg a day), so it ends from "
                f"{threshold} mg a day or less (the regimen's stopping threshold: "
                f"{BASIS_TEXT[stopping.basis]})."
            )

    if not steps:
        # Nothing to cut to (the current dose is one step or less): the taper is the
        # current dose for one interval, then stop.
        steps = [Step(dose_mg=from_mg, per_day=doses_per_day, days=every)]
    else:
        notes.append(_FIRST_CUT_NOTE)
    steps = _held_to_minimum(regimen, steps, step, every, notes, from_mg * doses_per_day)
    total_days = sum(s.days for s in steps)
    if total_days > MAX_TAPER_DAYS:
        raise InputError(
            f"the taper would last {total_days} days; the limit is {MAX_TAPER_DAYS} days",
            field="every_days",
        )
    return TaperLadder(steps, notes)


def _check_inputs(from_mg: Decimal, step: Decimal, every: int, doses_per_day: int) -> None:
    for value, option in ((from_mg, "from_mg"), (step, "step_mg")):
        if value <= 0 or value > ABSURD_MG:
            raise InputError(f"{value} mg is not a plausible dose", field=option)
        if -value.as_tuple().exponent > MG_DECIMAL_PLACES:  # type: ignore[operator]
            raise InputError(
                f"{value} mg has more than {MG_DECIMAL_PLACES} decimal places", field=option
            )
    if not 1 <= every <= 365:
        raise InputError(f"must be 1 to 365 days, got {every}", field="every_days")
    if not 1 <= doses_per_day <= 24:
        raise InputError(f"must be 1 to 24, got {doses_per_day}", field="doses_per_day")


def _per_day_ladder(
    regimen: Regimen,
    from_mg: Decimal,
    doses_per_day: int,
    step_mg: Decimal | None,
    every_days: int | None,
) -> TaperLadder:
    """A taper whose pace is a fall in the day's total, taken off one dose at a time."""
    pace = regimen.taper
    assert pace is not None and pace.step_mg_per_day is not None
    step = step_mg if step_mg is not None else pace.step_mg_per_day.min
    every = every_days if every_days is not None else pace.every_days
    _check_inputs(from_mg, step, every, doses_per_day)
    total = from_mg * doses_per_day
    reductions = (total / step).to_integral_value(rounding=ROUND_CEILING)
    if reductions * every > MAX_TAPER_DAYS:
        raise InputError(
            f"{int(reductions)} reductions of {step} mg a day every {every} day(s) would last "
            f"more than {MAX_TAPER_DAYS} days",
            field="step_mg",
        )
    notes = [_pace_note(regimen, step, every, step_mg is not None or every_days is not None)]
    stopping = regimen.stopping
    threshold = stopping.max_daily_mg_to_stop_from if stopping is not None else Decimal(0)
    doses = [from_mg] * doses_per_day
    steps: list[Step] = []
    halved = False
    while (day_total := sum(doses, Decimal(0))) > threshold:
        cut = step
        if step_mg is None and step * 2 > day_total:
            cut, halved = day_total / 2, True
        doses = _lower_one_dose_at_a_time(doses, cut)
        if not doses:
            break
        unequal = len(set(doses)) > 1
        steps.append(
            Step(
                dose_mg=max(doses),
                per_day=len(doses),
                days=every,
                doses_mg=list(doses) if unequal else None,
            )
        )
    if halved:
        notes.append(_HALF_CAP_NOTE)
    if not steps:
        steps = [Step(dose_mg=from_mg, per_day=doses_per_day, days=every)]
    else:
        notes.append(_FIRST_CUT_NOTE)
    if stopping is not None and total > threshold:
        notes.append(
            f"The taper ends from {steps[-1].total_mg} mg a day, at or below the regimen's "
            f"stopping threshold of {threshold} mg a day ({BASIS_TEXT[stopping.basis]})."
        )
    steps = _held_to_minimum(regimen, steps, step, every, notes, total)
    return TaperLadder(steps, notes)


def frequency_ladder(regimen: Regimen, from_mg: Decimal, doses_per_day: int) -> TaperLadder:
    """A taper that keeps each dose at `from_mg` and lowers the doses a day by the
    regimen's `taper.frequency_steps`, from the first step with fewer doses a day than
    taken now (the patient already on that count or fewer: its last step), then stop."""
    pace = regimen.taper
    assert pace is not None and pace.frequency_steps is not None
    _check_inputs(from_mg, from_mg, 1, doses_per_day)
    chosen = [step for step in pace.frequency_steps if step.per_day < doses_per_day]
    if not chosen:
        chosen = [pace.frequency_steps[-1]]
    steps = [Step(dose_mg=from_mg, per_day=step.per_day, days=step.days) for step in chosen]
    plan_words = ", then ".join(
        f"{from_mg} mg {step.per_day}× a day for {step.days} day(s)" for step in steps
    )
    notes = [
        f"Taper pace: each dose stays {from_mg} mg and the doses a day fall: {plan_words}, "
        f"then stop, from the regimen's taper data ({BASIS_TEXT[pace.basis]}) "
        f"[{', '.join(pace.source)}]."
    ]
    first = pace.frequency_steps[0]
    if chosen[0] is not first:
        notes.append(
            f"The regimen's frequency taper starts from more than {first.per_day}× a day; "
            f"at {doses_per_day}× a day now, this taper starts at its step of "
            f"{chosen[0].per_day}× a day."
        )
    elif doses_per_day > first.per_day + 1:
        notes.append(
            f"At {doses_per_day}× a day now, the first step ({first.per_day}× a day) drops "
            f"{doses_per_day - first.per_day} doses a day at once; the regimen's steps start "
            f"from {first.per_day + 1}× a day: ask the prescriber about a slower start."
        )
    if chosen[0].per_day >= doses_per_day:
        notes.append(
            f"Already at {doses_per_day}× a day: the taper holds the current dose for the "
            f"regimen's last step ({chosen[0].days} day(s)), then stops."
        )
    else:
        notes.append(_FIRST_CUT_NOTE)
    return TaperLadder(steps, notes)


_FIRST_CUT_NOTE = (
    "The first reduction is on day 1: the current dose is what the patient takes now, so "
    "the taper does not repeat it (this project's convention)."
)
_HALF_CAP_NOTE = (
    "No reduction takes off more than half of the day's remaining dose unless a step is "
    "asked for: where the pace would, the cut is half the day's dose (this project's "
    "convention; a step given with the taper is kept as asked)."
)


def _proportional_ladder(
    regimen: Regimen, from_mg: Decimal, doses_per_day: int, percent: Decimal, every: int | None
) -> TaperLadder:
    """Each reduction takes `percent` of the current dose (per dose; of the day's total
    for a per-day pace, one dose at a time), rounded down to the floor's multiples and
    at least the floor, until the day's total is at or below the stopping threshold."""
    pace = regimen.taper
    if pace is None or pace.proportional is None:
        raise InputError(
            f"regimen {regimen.id!r} has no proportional taper data (a floor for each cut); "
            "give <step_mg> and <every_days> instead",
            field="pace_percent",
        )
    if not 1 <= percent <= 50:
        raise InputError(
            f"must be 1 to 50 (a cut of more than half the dose is not a taper), got {percent}",
            field="pace_percent",
        )
    floor = pace.proportional.floor_mg
    days = every if every is not None else pace.every_days
    _check_inputs(from_mg, floor, days, doses_per_day)
    stopping = regimen.stopping
    threshold = stopping.max_daily_mg_to_stop_from if stopping is not None else Decimal(0)
    per_day_pace = pace.step_mg_per_day is not None
    doses = [from_mg] * doses_per_day
    steps: list[Step] = []
    while sum(doses, Decimal(0)) > threshold:
        current = sum(doses, Decimal(0)) if per_day_pace else max(doses)
        cut = max(floor, (current * percent / 100 // floor) * floor)
        if per_day_pace:
            doses = _lower_one_dose_at_a_time(doses, cut)
        else:
            doses = [dose - cut for dose in doses if dose - cut > 0]
        if not doses:
            break
        steps.append(
            Step(
                dose_mg=max(doses),
                per_day=len(doses),
                days=days,
                doses_mg=list(doses) if len(set(doses)) > 1 else None,
            )
        )
        if sum(s.days for s in steps) > MAX_TAPER_DAYS:
            raise InputError(
                f"the taper would last more than {MAX_TAPER_DAYS} days", field="pace_percent"
            )
    if not steps:
        steps = [Step(dose_mg=from_mg, per_day=doses_per_day, days=days)]
    of = "the day's total" if per_day_pace else "each dose"
    notes = [
        f"Taper pace: proportional, each reduction {plain_percent(percent)}% of {of} every "
        f"{days} day(s), rounded down to multiples of {floor} mg and at least {floor} mg "
        f"({BASIS_TEXT[pace.proportional.basis]}) [{', '.join(pace.proportional.source)}].",
        _FIRST_CUT_NOTE,
    ]
    if stopping is not None:
        notes.append(
            f"The taper ends from {steps[-1].total_mg} mg a day, at or below the regimen's "
            f"stopping threshold of {threshold} mg a day ({BASIS_TEXT[stopping.basis]})."
        )
    return TaperLadder(steps, notes)


def plain_percent(value: Decimal) -> str:
    return str(value.quantize(Decimal(1)) if value == value.to_integral_value() else value)


def _lower_one_dose_at_a_time(doses: list[Decimal], step: Decimal) -> list[Decimal]:
    """The day's doses with `step` mg taken off: from the largest dose (the latest of
    equal doses), then the next if that dose reaches zero; zero doses are dropped."""
    left = step
    lowered = list(doses)
    while left > 0 and any(lowered):
        index = max(range(len(lowered)), key=lambda i: (lowered[i], i))
        cut = min(left, lowered[index])
        lowered[index] -= cut
        left -= cut
    return [dose for dose in lowered if dose > 0]


def _regimen_step(regimen: Regimen) -> Decimal | None:
    """The regimen's own taper step: per dose, or the slower end of a per-day range."""
    pace = regimen.taper
    if pace is None:
        return None
    if pace.step_mg_per_day is not None:
        return pace.step_mg_per_day.min
    return pace.step_mg_per_dose


def _next_lower_multiple(dose: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of `step` below `dose` (0 when none is left)."""
    count = (dose / step).to_integral_value(rounding=ROUND_CEILING) - 1
    return max(count, Decimal(0)) * step


def _pace_note(regimen: Regimen, step: Decimal, every: int, overridden: bool) -> str:
    pace = regimen.taper
    per_day = pace is not None and pace.step_mg_per_day is not None
    if per_day:
        text = (
            f"Taper pace: the day's total {step} mg lower every {every} day(s), one dose at "
            "a time (the largest dose, the latest of equal doses first)"
        )
    else:
        text = f"Taper pace: each dose {step} mg lower every {every} day(s)"
    if pace is not None and not overridden:
        daily = pace.step_mg_per_day
        chosen = (
            f"; {step} mg is the slower end of the guidance's {daily.min}-{daily.max} mg a "
            f"day ({basis_text(regimen, daily)}) [{', '.join(daily.source)}]"
            if daily is not None
            else ""
        )
        return (
            f"{text}, from the regimen's taper data ({BASIS_TEXT[pace.basis]}) "
            f"[{', '.join(pace.source)}]{chosen}."
        )
    if pace is not None and pace.frequency_steps is not None:
        counts = ", then ".join(
            f"{step.per_day}× a day for {step.days} day(s)" for step in pace.frequency_steps
        )
        return (
            f"{text}, as the prescriber chose; the regimen's pace keeps each dose and lowers "
            f"the doses a day: {counts}, then stop ({BASIS_TEXT[pace.basis]})."
        )
    if pace is not None:
        regimen_pace = (
            f"{pace.step_mg_per_day.min}-{pace.step_mg_per_day.max} mg a day"
            if pace.step_mg_per_day is not None
            else f"{pace.step_mg_per_dose} mg"
        )
        return (
            f"{text}, as the prescriber chose; the regimen's pace is "
            f"{regimen_pace} every {pace.every_days} day(s) ({BASIS_TEXT[pace.basis]})."
        )
    return f"{text}, as the prescriber chose."


def _held_to_minimum(
    regimen: Regimen,
    steps: list[Step],
    step: Decimal,
    every: int,
    notes: list[str],
    from_total: Decimal,
) -> list[Step]:
    """Hold the last step longer when a taper at the regimen's pace (or slower) is
    shorter than its minimum duration; a faster pace asked for is left as asked."""
    pace, stopping = regimen.taper, regimen.stopping
    regimen_step = _regimen_step(regimen)
    if pace is None or pace.min_duration is None or regimen_step is None:
        return steps
    if step > regimen_step or every < pace.every_days:
        return steps
    if stopping is not None and from_total <= stopping.max_daily_mg_to_stop_from:
        return steps  # stopping from here needs no taper, so no minimum length
    total = sum(s.days for s in steps)
    minimum = pace.min_duration
    if total >= minimum.min_days:
        return steps
    last = steps[-1]
    held = last.days + minimum.min_days - total
    notes.append(
        f"The last step ({last.dose_mg} mg {last.per_day}× a day) lasts {held} days so the "
        f"taper lasts the regimen's minimum of {minimum.min_days} days "
        f"({BASIS_TEXT[minimum.basis]}) [{', '.join(minimum.source)}]."
    )
    return [*steps[:-1], replace(last, days=held)]


def taper(
    regimen: Regimen,
    options: PlanOptions,
    *,
    from_mg: Decimal,
    doses_per_day: int | None = None,
    step_mg: Decimal | None = None,
    every_days: int | None = None,
    pace_percent: Decimal | None = None,
) -> Plan:
    """A taper plan (kind "taper") from `from_mg` per dose, with every finding.

    `doses_per_day` defaults to the doses a day of the regimen's last titration step.

    >>> from datetime import date
    >>> from decimal import Decimal
    >>> from titrate import get_regimen, PlanOptions
    >>> p = taper(get_regimen("baclofen"), PlanOptions(start=date(2026, 12, 1), timezone="UTC"),
    ...           from_mg=Decimal(20), doses_per_day=3)
    >>> [str(day.total_mg) for day in p.days][::3], p.findings
    (['45', '30', '15'], [])
    """
    if options.steps is not None or options.target_mg is not None or options.hold_days:
        raise InputError("a taper makes its own steps; steps, target and hold do not apply")
    per_day = doses_per_day if doses_per_day is not None else regimen.titration.per_day
    ladder = taper_ladder(
        regimen,
        from_mg,
        per_day,
        step_mg=step_mg,
        every_days=every_days,
        pace_percent=pace_percent,
    )
    result = build_plan(regimen, replace(options, steps=ladder.steps, kind="taper"))
    # The first cut is on day 1: the rules judge it against the dose taken now.
    result = checked(result, regimen, StartingDose(from_mg, per_day))
    return replace(result, notes=[*ladder.notes, *result.notes])


def current_dose(previous: Plan, where: str | None) -> tuple[Decimal, int]:
    """The dose and doses a day of a plan's last day with doses (what a taper starts from)."""
    last_day = max((dose.day for dose in previous.doses), default=None)
    if last_day is None:
        raise InputError("the plan has no doses to taper from", where, field="from_plan")
    doses = [dose.dose_mg for dose in previous.doses if dose.day == last_day]
    if len(set(doses)) != 1:
        listed = " + ".join(f"{dose} mg" for dose in doses)
        raise InputError(
            f"the plan's last day has unequal doses ({listed}); give <from_mg> and "
            "<doses_per_day> instead",
            where,
            field="from_plan",
        )
    return doses[0], len(doses)


def day_after(previous: Plan) -> date:
    """The first day after a plan: where a taper that follows it starts by default."""
    last = max((day.date for day in previous.days), default=previous.start)
    return last + timedelta(days=1)


def taper_after(
    regimen: Regimen,
    previous: Plan,
    options: PlanOptions,
    *,
    step_mg: Decimal | None = None,
    every_days: int | None = None,
    where: str | None = None,
    pace_percent: Decimal | None = None,
) -> Plan:
    """A taper from the last day of `previous` (e.g. the JSON of `titrate plan`)."""
    if previous.regimen.id != regimen.id:
        raise InputError(
            f"the plan is for regimen {previous.regimen.id!r}, not {regimen.id!r}",
            where,
            field="from_plan",
        )
    from_mg, per_day = current_dose(previous, where)
    result = taper(
        regimen,
        options,
        from_mg=from_mg,
        doses_per_day=per_day,
        step_mg=step_mg,
        every_days=every_days,
        pace_percent=pace_percent,
    )
    note = (
        f"Tapers from the last day of the earlier plan (started {previous.start.isoformat()}): "
        f"{from_mg} mg {per_day}× a day."
    )
    return replace(result, notes=[note, *result.notes])
