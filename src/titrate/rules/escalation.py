"""Escalation rule: no bigger or sooner rise than the labeled titration."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from titrate.rules.base import Context, Hit, rule


@rule("TT104", "escalation-too-fast", "warning", "limits.escalation")
def escalation_too_fast(ctx: Context) -> Iterator[Hit]:
    """A step rises by more, or sooner, than the labeled titration.

    Compares the largest single dose of each day with the day before; the first day is
    compared with the regimen's first step (a plan that starts higher is flagged).
    Passes: baclofen 5 → 10 → 15 mg three times a day, 3 days each.
    Fails:  baclofen 5 mg for 1 day, then 15 mg (10 mg more per dose, after 1 day).
    """
    escalation = ctx.regimen.limits.escalation
    if escalation is None or ctx.plan.kind == "taper":
        return
    per_day_max: dict[int, Decimal] = {}
    for dose in ctx.plan.doses:
        per_day_max[dose.day] = max(per_day_max.get(dose.day, Decimal(0)), dose.dose_mg)
    if not per_day_max:
        return
    start_mg = ctx.regimen.titration.steps[0].dose_mg
    first_day = min(per_day_max)
    first_mg = per_day_max[first_day]
    if first_mg > start_mg + escalation.max_increment_mg_per_dose:
        yield Hit(
            f"Day {first_day}: starts at {first_mg} mg per dose; the labeled titration starts "
            f"at {start_mg} mg (ignore if the patient already takes this dose).",
            escalation,
            day=first_day,
        )
    level = first_mg
    level_since = first_day
    for day in sorted(per_day_max)[1:]:
        dose_mg = per_day_max[day]
        if dose_mg <= level:
            if dose_mg < level:
                level, level_since = dose_mg, day
            continue
        rise = dose_mg - level
        held = day - level_since
        too_big = rise > escalation.max_increment_mg_per_dose
        too_soon = held < escalation.min_days_between_increases
        if too_big or too_soon:
            reasons = []
            if too_big:
                reasons.append(
                    f"rises {rise} mg per dose (labeled: at most "
                    f"{escalation.max_increment_mg_per_dose} mg)"
                )
            if too_soon:
                reasons.append(
                    f"after {held} day(s) (labeled: every "
                    f"{escalation.min_days_between_increases} days at the soonest)"
                )
            yield Hit(
                f"Day {day}: {level} → {dose_mg} mg per dose " + " and ".join(reasons) + ".",
                escalation,
                day=day,
            )
        level, level_since = dose_mg, day
