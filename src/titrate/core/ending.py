"""How a plan ends (`Plan.then`): continue at the last step, review, or stop.

A titration reaches its maintenance dose and the patient keeps taking it: the plan's
last day is not the last dose. Saying so in every format keeps a patient from stopping
on the day the sheet ends, the abrupt stop the sheet warns about.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import msgspec

from titrate.clock import PlanDates, local_instant, zone
from titrate.model import Day, Dose, Plan, PlanAction, PlanEnd, ReviewBy


def default_action(kind: str, review: ReviewBy | None) -> PlanAction:
    """A taper stops; a plan with a review date is reviewed; any other plan continues."""
    if kind == "taper":
        return "stop"
    return "review" if review is not None else "continue"


def plan_end(action: PlanAction, doses: Sequence[Dose], days: Sequence[Day]) -> PlanEnd | None:
    """`then` for a plan with these doses and days (None for a plan without days)."""
    if not days:
        return None
    # A plan ending on 9999-12-31 has no day after it: the OverflowError reaches the edge,
    # which says the plan reaches the end of the calendar.
    after_last_day = days[-1].date + timedelta(days=1)
    last = doses[-1] if doses else None
    if action == "stop" or last is None:
        return PlanEnd(action=action, from_date=after_last_day, after=last.at if last else None)
    final_day = [dose.dose_mg for dose in doses if dose.day == last.day]
    same = len(set(final_day)) == 1
    return PlanEnd(
        action=action,
        from_date=after_last_day,
        after=last.at,
        dose_mg=final_day[0] if same else None,
        per_day=len(final_day),
        daily_total_mg=sum(final_day, Decimal(0)),
    )


# Days of maintenance a continuing plan is extended by for questions about its last doses
# (a missed dose on the last day is followed by the next day's first dose).
MAINTENANCE_DAYS = 2

# The most days of maintenance ever expanded after a plan (an audit long after the plan
# ended): ten years, as long as the longest plan.
MAX_MAINTENANCE_DAYS = 3660


class Maintenance(msgspec.Struct, frozen=True):
    """The scheduled doses after a plan that continues (or is reviewed): the last day's
    doses at the same wall-clock times on each date after it, numbered on from the plan's
    doses and days; `until` is the review date that ends them, if one does."""

    doses: list[Dose]
    days: list[Day]
    until: date | None = None
    limited: bool = False  # stopped at MAX_MAINTENANCE_DAYS before `through`


def maintenance(plan: Plan, through: date) -> Maintenance:
    """The maintenance doses and days of `plan` from the day after its last day up to
    `through` (a reviewed plan: no later than its review date; at most
    MAX_MAINTENANCE_DAYS); nothing for a plan that stops. Dates the zone skipped carry no
    day, as in the plan."""
    if plan.ends == "stop" or not plan.doses or not plan.days:
        return Maintenance([], [])
    until = plan.review_by.date if plan.ends == "review" and plan.review_by else None
    if until is not None:
        through = min(through, until)
    tz = zone(plan.timezone)
    last = plan.doses[-1]
    final_day = [dose for dose in plan.doses if dose.day == last.day]
    clocks = [dose.at.astimezone(tz).time().replace(fold=0) for dose in final_day]
    last_day = plan.days[-1]
    total = sum((dose.dose_mg for dose in final_day), Decimal(0))
    doses: list[Dose] = []
    days: list[Day] = []
    limited = False
    try:
        dates = PlanDates(last_day.date + timedelta(days=1), tz)
        for number in range(last_day.day + 1, last_day.day + MAX_MAINTENANCE_DAYS + 2):
            on = dates.take()
            if on > through:
                break
            if number > last_day.day + MAX_MAINTENANCE_DAYS:
                limited = True
                break
            for clock, dose in zip(clocks, final_day, strict=True):
                instant, _ = local_instant(on, clock, tz)
                doses.append(
                    Dose(
                        number=last.number + len(doses) + 1,
                        at=instant,
                        day=number,
                        step=dose.step,
                        dose_mg=dose.dose_mg,
                        amount=dose.amount,
                    )
                )
            days.append(
                Day(
                    day=number,
                    date=on,
                    step=last.step,
                    doses=len(final_day),
                    total_mg=total,
                )
            )
    except OverflowError:
        pass  # the calendar ends: nothing can be scheduled after it
    return Maintenance(doses, days, until, limited)


def maintenance_doses(plan: Plan, days: int = MAINTENANCE_DAYS) -> list[Dose]:
    """The doses of the `days` days after a plan that continues (or is reviewed, up to its
    review date); none for a plan that stops."""
    if not plan.days:
        return []
    try:
        through = plan.days[-1].date + timedelta(days=days)
    except OverflowError:
        through = date.max
    return maintenance(plan, through).doses
