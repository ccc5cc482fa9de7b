"""How a plan ends (`Plan.then`): continue at the last step, review, or stop.

A titration reaches its maintenance dose and the patient keeps taking it: the plan's
last day is not the last dose. Saying so in every format keeps a patient from stopping
on the day the sheet ends, the abrupt stop the sheet warns about.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from titrate.clock import local_instant, zone
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
        daily_total_mg=sum(final_day),
    )


# Days of maintenance a continuing plan is extended by for questions about its last doses
# (a missed dose on the last day is followed by the next day's first dose).
MAINTENANCE_DAYS = 2


def maintenance_doses(plan: Plan, days: int = MAINTENANCE_DAYS) -> list[Dose]:
    """The doses after a plan that continues (or is reviewed): its last day's doses, at
    the same wall-clock times, on each of the next `days` days; none for a plan that stops."""
    if plan.ends == "stop" or not plan.doses or not plan.days:
        return []
    tz = zone(plan.timezone)
    last = plan.doses[-1]
    final_day = [dose for dose in plan.doses if dose.day == last.day]
    last_date = plan.days[-1].date
    extra: list[Dose] = []
    for offset in range(1, days + 1):
        try:
            on = last_date + timedelta(days=offset)
        except OverflowError:
            break  # the calendar ends: nothing can be scheduled after it
        for dose in final_day:
            clock = dose.at.astimezone(tz).time().replace(fold=0)
            instant, _ = local_instant(on, clock, tz)
            extra.append(
                dose.model_copy(
                    update={
                        "number": last.number + len(extra) + 1,
                        "at": instant,
                        "day": last.day + offset,
                    }
                )
            )
    return extra
