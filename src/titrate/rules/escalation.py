"""Escalation rule: no bigger or sooner rise than the labeled titration."""

from __future__ import annotations

from collections.abc import Iterator

from titrate.citation import BASIS_TEXT
from titrate.rules.base import Context, Example, Hit, rule


@rule(
    "TT104",
    "escalation-too-fast",
    "warning",
    "limits.escalation",
    passes=[
        Example(
            "baclofen 5 → 10 → 15 mg three times a day, 3 days each.",
            {"steps": "5x3:3,10x3:3,15x3:3"},
        ),
        Example(
            "tizanidine by its rule (2 to 4 mg more per dose, 1 to 4 days apart): "
            "2 → 4 → 6 mg every 3 days.",
            {"regimen": "tizanidine", "target_mg": "6", "step_mg": "2", "every_days": 3},
        ),
    ],
    fails=[
        Example(
            "baclofen 5 mg for 1 day, then 15 mg (10 mg more per dose, after 1 day).",
            {"steps": "5x3:1,15x3:3"},
        ),
        Example(
            "tizanidine 2 → 8 mg (6 mg more per dose).",
            {"regimen": "tizanidine", "steps": "2x3:3,8x3:3"},
        ),
        Example(
            "baclofen 5 → 20 mg per dose after 3 days (15 mg more, over twice the labeled "
            "5 mg): an error, past limits.grading.",
            {"steps": "5x3:3,20x3:3"},
            severity="error",
        ),
    ],
)
def escalation_too_fast(ctx: Context) -> Iterator[Hit]:
    """A step rises by more, or sooner, than the labeled titration.

    What it does: compares the largest single dose of each day with the day before; the
    first day is compared with the labeled starting dose (a plan that starts higher is
    flagged). `limits.escalation` holds the fastest labeled rise (the largest increment,
    the fewest days); for a labeled range ("2 to 4 mg per dose, 1 to 4 days between
    increases") any rise within it passes, and a smaller or later rise is slower than
    labeled and passes too. The same for a fixed ladder and for rule-based titration. A
    warning, or an error when the rise is more than `limits.grading.increment_error_ratio`
    times the largest labeled increment (a convention: twice).
    Why it matters: the slow start is what lets the patient adapt; rising faster than
    labeled brings on the drowsiness, dizziness and weakness the titration exists to avoid.
    """
    escalation = ctx.regimen.limits.escalation
    if escalation is None or ctx.plan.kind == "taper":
        return
    per_day_max = ctx.largest_mg_by_day
    if not per_day_max:
        return
    start_mg = ctx.regimen.titration.start_mg
    grading = ctx.regimen.limits.grading
    low = escalation.min_increment_mg_per_dose
    step_text = (
        f"{low}-{escalation.max_increment_mg_per_dose} mg"
        if low is not None
        else f"at most {escalation.max_increment_mg_per_dose} mg"
    )
    late = escalation.max_days_between_increases
    days_text = (
        f"{escalation.min_days_between_increases}-{late} days between increases"
        if late is not None
        else f"every {escalation.min_days_between_increases} days at the soonest"
    )
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
        severe = grading is not None and rise > (
            escalation.max_increment_mg_per_dose * grading.increment_error_ratio
        )
        too_soon = held < escalation.min_days_between_increases
        if too_big or too_soon:
            reasons = []
            if too_big:
                reasons.append(f"rises {rise} mg per dose (labeled: {step_text})")
            if too_soon:
                reasons.append(f"after {held} day(s) (labeled: {days_text})")
            graded = (
                f" A rise over {grading.increment_error_ratio}× the largest labeled one is an "
                f"error ({BASIS_TEXT[grading.basis]})."
                if severe and grading is not None
                else ""
            )
            yield Hit(
                f"Day {day}: {level} → {dose_mg} mg per dose "
                + " and ".join(reasons)
                + "."
                + graded,
                grading if severe and grading is not None else escalation,
                day=day,
                severity="error" if severe else None,
            )
        level, level_since = dose_mg, day
