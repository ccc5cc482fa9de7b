"""The plan's ending (`Plan.then`) and amounts in the patient's words.

USP <17> asks for explicit instructions with numerals that separate the dose from its
timing ("Take 2 tablets in the morning and 2 tablets in the evening"); every format says
how the plan ends in these words after its last day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from titrate.model import Amount, Plan
from titrate.render.common import number

# English names, not the process locale: output must not change with LC_TIME.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FRACTIONS = {Decimal("0.25"): "¼", Decimal("0.5"): "½", Decimal("0.75"): "¾"}


def short_day(on: date) -> str:
    """`Sun 13 Dec` (the caller adds the year where it is not plain)."""
    return f"{_WEEKDAYS[on.weekday()]} {on.day} {_MONTHS[on.month - 1]}"


def count_words(count: Decimal) -> str:
    """1.5 → `1½`, 0.5 → `½`, 2 → `2`."""
    whole = int(count)
    part = count - whole
    if part in _FRACTIONS:
        return (str(whole) if whole else "") + _FRACTIONS[part]
    return number(count)


def amount_words(amount: Amount) -> str:
    """`1½ tablets`, `½ tablet`, `2 capsules`, `3 mL`; mixed strengths keep their detail
    (`1 × 10 mg + 1 × 5 mg tablet`)."""
    if amount.unit == "mL":
        return f"{number(amount.value)} mL"
    if len({piece.strength_mg for piece in amount.pieces}) > 1:
        return amount.text
    plural = "" if amount.value <= 1 else "s"
    return f"{count_words(amount.value)} {amount.unit}{plural}"


def times_words(count: int) -> str:
    return {1: "once a day", 2: "twice a day"}.get(count, f"{count} times a day")


def then_text(plan: Plan) -> str | None:
    """How the plan ends, for the patient: `From Sun 13 Dec: keep taking 2 tablets (20 mg)
    3 times a day until your prescriber changes it.`; None for a plan without `then`."""
    then = plan.then
    if then is None:
        return None
    if then.action == "stop":
        if then.after is None:
            return "This plan stops here. Do not restart without your prescriber."
        last = then.after.astimezone(ZoneInfo(plan.timezone))
        return (
            f"After the {last:%H:%M} dose on {short_day(last.date())}, stop. "
            "Do not restart without your prescriber."
        )
    keep = _kept_dose(plan)
    until = "until your prescriber changes it"
    if then.action == "review":
        review = plan.review_by
        until = (
            f"and see your prescriber by {short_day(review.date)} {review.date.year} to "
            "decide whether to go on"
            if review is not None
            else "until your prescriber reviews it"
        )
    return f"From {short_day(then.from_date)}: keep taking {keep} {until}."


def _kept_dose(plan: Plan) -> str:
    then = plan.then
    assert then is not None and then.per_day is not None
    if then.dose_mg is None:  # unequal doses on the last day
        return f"the doses of the last day ({number(then.daily_total_mg or Decimal(0))} mg a day)"
    amount = plan.doses[-1].amount if plan.doses else None
    mg = f"{number(then.dose_mg, '0.001')} mg"
    dose = f"{amount_words(amount)} ({mg})" if amount is not None else mg
    return f"{dose} {times_words(then.per_day)}"
