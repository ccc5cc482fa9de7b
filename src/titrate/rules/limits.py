"""Limit rules: daily maximum, single-dose maximum, doses per day, time between doses."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from titrate.citation import BASIS_TEXT
from titrate.clock import between, hours_delta, instant_key
from titrate.rules.base import Context, Example, Hit, rule


@rule(
    "TT101",
    "over-daily-max",
    "error",
    "limits.max_daily_mg",
    passes=[
        Example("baclofen 20 mg four times a day (80 mg, the maximum itself).", {"steps": "20x4:3"})
    ],
    fails=[
        Example(
            "baclofen 25 mg four times a day (100 mg on each of those days).", {"steps": "25x4:3"}
        )
    ],
)
def over_daily_max(ctx: Context) -> Iterator[Hit]:
    """A day's total exceeds the regimen's daily maximum.

    What it does: adds up each plan day's doses and compares the total with the regimen's
    daily maximum; every day over it is a finding.
    Why it matters: the daily maximum is the ceiling the label sets; above it, dose-related
    harm (for baclofen: sedation, weakness, confusion) is more likely and unstudied.
    """
    limit = ctx.regimen.limits.max_daily_mg
    for day in ctx.plan.days:
        if day.total_mg > limit.value:
            yield Hit(
                f"Day {day.day} ({day.date.isoformat()}): {day.total_mg} mg in the day, "
                f"over the {limit.value} mg daily maximum.",
                limit,
                day=day.day,
            )


@rule(
    "TT102",
    "over-single-dose",
    "warning",
    "limits.max_single_mg",
    passes=[Example("baclofen 20 mg per dose.", {"steps": "20x3:3"})],
    fails=[
        Example(
            "baclofen 25 mg per dose (the label's largest is 20 mg, implied by "
            '"20 mg four times a day"): a warning.',
            {"steps": "25x3:3"},
        ),
        Example(
            "baclofen 60 mg once a day (3 times the largest single dose): an error, past "
            "limits.grading's 1.5 times.",
            {"steps": "5x3:3,10x3:3,60x1:3,10x3:3,5x3:3"},
            severity="error",
        ),
    ],
)
def over_single_dose(ctx: Context) -> Iterator[Hit]:
    """One administration exceeds the largest labeled single dose.

    What it does: compares every dose with the regimen's largest single dose; one finding
    per day that has a dose over it, a warning, or an error when the dose is more than
    `limits.grading.single_dose_error_ratio` times the largest (a convention: 1.5).
    Why it matters: a day can stay under its maximum while one dose is larger than any the
    label describes, so the peak effect after that dose is unstudied.
    """
    limit = ctx.regimen.limits.max_single_mg
    if limit is None:
        return
    grading = ctx.regimen.limits.grading
    flagged_days: set[int] = set()
    for dose in ctx.plan.doses:
        if dose.dose_mg > limit.value and dose.day not in flagged_days:
            flagged_days.add(dose.day)  # one finding per day keeps long plans readable
            severe = grading is not None and (
                dose.dose_mg > limit.value * grading.single_dose_error_ratio
            )
            graded = (
                f" More than {grading.single_dose_error_ratio}× it: an error "
                f"({BASIS_TEXT[grading.basis]})."
                if severe and grading is not None
                else ""
            )
            yield Hit(
                f"Day {dose.day}: {dose.dose_mg} mg per dose is over the largest single "
                f"dose of {limit.value} mg.{graded}",
                grading if severe and grading is not None else limit,
                day=dose.day,
                dose=dose.number,
                at=dose.at,
                severity="error" if severe else None,
            )


@rule(
    "TT103",
    "too-many-doses-per-day",
    "warning",
    "limits.max_doses_per_day",
    passes=[Example("baclofen four times a day.", {"steps": "5x4:3"})],
    fails=[Example("baclofen five times a day.", {"steps": "5x5:3"})],
)
def too_many_doses_per_day(ctx: Context) -> Iterator[Hit]:
    """More administrations in a day than the regimen allows.

    What it does: counts each plan day's doses against the regimen's most doses a day.
    Why it matters: more doses than labeled crowd the day, shorten the gaps between doses
    and make doses easier to confuse or double.
    """
    limit = ctx.regimen.limits.max_doses_per_day
    if limit is None:
        return
    for day in ctx.plan.days:
        if day.doses > limit.value:
            yield Hit(
                f"Day {day.day}: {day.doses} doses, more than the {limit.value} a day allowed.",
                limit,
                day=day.day,
            )


@rule(
    "TT105",
    "doses-too-close",
    "warning",
    "limits.min_hours_between_doses",
    passes=[
        Example(
            "tizanidine three times a day at 08:00, 14:00 and 20:00 (6-hour minimum).",
            {"regimen": "tizanidine", "steps": "2x3:3", "times": "08:00,14:00,20:00"},
        )
    ],
    fails=[
        Example(
            "tizanidine three times a day at 08:00, 12:00 and 16:00 (6-hour minimum).",
            {"regimen": "tizanidine", "steps": "2x3:3", "times": "08:00,12:00,16:00"},
        )
    ],
)
def doses_too_close(ctx: Context) -> Iterator[Hit]:
    """Two scheduled doses closer than the regimen's minimum interval between doses.

    What it does: checks each dose against the one before it, across midnight too, for
    clock times given by the prescriber or spread for a frequency the regimen gives no
    times for. One finding per day.
    Why it matters: doses bunched together stack their peaks (for tizanidine: low blood
    pressure and sedation) and leave a long gap without cover later in the day.
    """
    limit = ctx.regimen.limits.min_hours_between_doses
    if limit is None:
        return
    minimum = hours_delta(limit.value)
    # On instants: a wall-clock difference miscounts a night the clocks change.
    ordered = sorted(ctx.plan.doses, key=lambda dose: (instant_key(dose.at), dose.number))
    flagged_days: set[int] = set()
    for earlier, later in pairwise(ordered):
        gap = between(earlier.at, later.at)
        if gap < minimum and later.day not in flagged_days:
            flagged_days.add(later.day)
            minutes = int(gap.total_seconds()) // 60
            yield Hit(
                f"Day {later.day}: doses at {earlier.at.strftime('%H:%M')} and "
                f"{later.at.strftime('%H:%M')} are {minutes // 60}h{minutes % 60:02d} apart, "
                f"less than the {limit.value} hours minimum between doses.",
                limit,
                day=later.day,
                dose=later.number,
                at=later.at,
            )
