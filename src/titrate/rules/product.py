"""Product rules: can the chosen product deliver each dose, and for how long may an
opened container be used."""

from __future__ import annotations

from collections.abc import Iterator

from titrate.core.amounts import liquid_name, why_not_measurable
from titrate.core.measure import in_use_windows, restart_days
from titrate.rules.base import Context, Example, Hit, rule


@rule(
    "TT401",
    "dose-not-measurable",
    "error",
    "products",
    passes=[
        Example(
            "baclofen 15 mg with 10 mg tablets (1½ tablets; 10 mg is scored).",
            {"steps": "15x3:3", "strengths": "10"},
        )
    ],
    fails=[
        Example(
            "baclofen 7.5 mg with Lyvispah 5/10/20 mg granule packets (not split).",
            {"steps": "7.5x3:3,10x3:3", "product": "granules"},
        ),
        Example(
            "baclofen 2.5 mg with 5 mg tablets (not scored).",
            {"steps": "2.5x3:1,5x3:1", "strengths": "5"},
        ),
    ],
)
def dose_not_measurable(ctx: Context) -> Iterator[Hit]:
    """A dose that the chosen product cannot deliver exactly.

    What it does: tablets may be whole or halves of scored strengths; packets and capsules
    whole units; liquids a whole number of the measuring step (0.1 mL for baclofen's oral
    liquids). A dose that does not fit gets no amount; nothing is rounded to make it fit.
    Why it matters: a dose the patient cannot measure is a dose the patient will guess,
    and every guess is a different dose from the one prescribed.
    """
    ref = ctx.plan.product
    product = ctx.regimen.product(ref.id) if ref is not None else None
    if ref is None or product is None:
        return
    fact = product.measure_step if product.measure_step is not None else product
    flagged: set[int] = set()
    for dose in ctx.plan.doses:
        if dose.amount is None and dose.day not in flagged:
            flagged.add(dose.day)  # one finding per day keeps long plans readable
            yield Hit(
                f"Day {dose.day}: " + why_not_measurable(dose.dose_mg, product, ref.strengths_mg),
                fact,
                day=dose.day,
                dose=dose.number,
                at=dose.at,
            )


@rule(
    "TT402",
    "in-use-expiry",
    "warning",
    "products",
    passes=[
        Example(
            "the 12-day baclofen label plan with the 5 mg/mL suspension (59-day limit).",
            {"product": "suspension"},
        )
    ],
    fails=[
        Example(
            "the same suspension for 70 days (58 more days at the last step): bottles "
            "opened on day 1 are discarded after day 59 and fresh ones opened on day 60.",
            {"product": "suspension", "hold_days": 58},
        )
    ],
)
def in_use_expiry(ctx: Context) -> Iterator[Hit]:
    """A liquid course runs past its discard-after-opening limit.

    What it does: compares the course's length with the product's in-use period; the
    dispensing totals then count fresh bottles for each period.
    Why it matters: an opened bottle must be thrown away at the end of its in-use period
    even if it is not empty, so the patient needs to know when, and to have the next one.
    """
    ref = ctx.plan.product
    product = ctx.regimen.product(ref.id) if ref is not None else None
    if product is None or product.discard_after_opening is None:
        return
    limit = product.discard_after_opening
    days = [day.day for day in ctx.plan.days if day.doses]
    windows = in_use_windows(days, limit.days)
    if len(windows) < 2:
        return
    first_day, last_day = windows[0][0], windows[-1][1]
    restart = windows[1][0]
    dates = {day.day: day.date for day in ctx.plan.days}
    name = liquid_name(product) if product.liquid else product.name
    restarts = restart_days(windows, limit.days, dates)
    yield Hit(
        f"The course lasts {last_day - first_day + 1} days, longer than the {limit.days} days "
        f"an opened bottle of {name} may be used: discard opened bottles at the end of day "
        f"{restart - 1} and open fresh ones on {restarts}.",
        limit,
        day=restart,
    )
