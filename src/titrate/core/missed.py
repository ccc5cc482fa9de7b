"""Missed-dose advice: "I missed my 14:00 dose and it is 17:30 — do I take it?"

The rule comes from the regimen's `missed_dose:` data. With S the missed dose's time
and N the next scheduled dose's time, take it now if now − S ≤ take_within_fraction ×
(N − S) (or now − S ≤ take_within_hours, but never past N), else skip it and take the
next dose at its time and planned amount. After `contact_prescriber_after` doses in a
row, the advice is to contact the prescriber first. A plan's last dose has no next
dose: N is where the next dose would be if the daily pattern went on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from titrate.citation import BASIS_TEXT, cite
from titrate.clock import (
    add_fraction,
    add_hours,
    fixed,
    fixed_plan,
    hours_delta,
    next_time,
    wall,
    zone,
)
from titrate.core.ending import maintenance_doses
from titrate.errors import InputError
from titrate.model import (
    Advice,
    AdviceAction,
    Dose,
    Limit,
    MissedDose,
    Plan,
    Regimen,
    Sourced,
)
from titrate.model.units import decimal_text

NEVER_DOUBLE = "Never take two doses at once, and never take extra to make up for a missed dose."

_MICROSECOND = timedelta(microseconds=1)


# ---------------------------------------------------------------------------------------
# Finding the missed dose


def dose_by_number(plan: Plan, number: int) -> Dose:
    for dose in plan.doses:
        if dose.number == number:
            return dose
    raise InputError(
        f"dose {number} is not in the plan (it has doses 1 to {len(plan.doses)})",
        field="dose_number",
    )


def dose_at(plan: Plan, scheduled: datetime) -> Dose:
    """The plan's dose scheduled at exactly `scheduled`; otherwise name the nearest."""
    plan = fixed_plan(plan)
    scheduled = fixed(scheduled)
    for dose in plan.doses:
        if dose.at == scheduled:
            return dose
    tz = zone(plan.timezone)
    if not plan.doses:
        raise InputError("the plan has no doses", field="dose")
    nearest = sorted(plan.doses, key=lambda dose: abs(dose.at - scheduled))[:2]
    named = " and ".join(
        f"dose {dose.number} at {wall(dose.at, tz)}" for dose in sorted(nearest, key=_by_time)
    )
    raise InputError(
        f"no dose is scheduled at {wall(scheduled, tz)} ({tz.key}); the nearest: {named}",
        field="dose",
    )


def _by_time(dose: Dose) -> tuple[datetime, int]:
    return dose.at, dose.number


# ---------------------------------------------------------------------------------------
# The advice


def _amount(dose: Dose) -> str:
    text = f"{_mg(dose.dose_mg)} mg"
    return f"{text} ({dose.amount.text})" if dose.amount is not None else text


def _mg(value: Decimal) -> str:
    return decimal_text(value)


def _clock(instant: datetime, tz: ZoneInfo, today: datetime) -> str:
    """`17:00` on the same local date as `today`, else `2026-12-04 08:00`."""
    local = instant.astimezone(tz)
    if local.date() == today.astimezone(tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def _fraction_words(fraction: Decimal) -> str:
    if fraction == Decimal("0.5"):
        return "half"
    if fraction == 1:
        return "all"
    return f"{_mg(fraction * 100)}%"


def _window_rule(rule: MissedDose) -> tuple[str, str, Limit]:
    """(rule in words, data field, the sourced number) for the take/skip decision."""
    contact = int(rule.contact_prescriber_after.value)
    after = f" After {contact} missed doses in a row, contact the prescriber first."
    if rule.take_within_fraction is not None:
        fraction = rule.take_within_fraction
        words = (
            "Take a missed dose as soon as you remember if no more than "
            f"{_fraction_words(fraction.value)} of the time from its scheduled time to the next "
            "dose has passed; after that it is almost time for the next dose: skip it." + after
        )
        return words, "missed_dose.take_within_fraction", fraction
    hours = rule.take_within_hours
    assert hours is not None  # the model requires one of the two
    words = (
        f"Take a missed dose if no more than {_mg(hours.value)} hour(s) have passed since "
        "its scheduled time (and the next dose is not due yet); otherwise skip it." + after
    )
    return words, "missed_dose.take_within_hours", hours


def cutoff_for(rule: MissedDose, scheduled: datetime, next_at: datetime) -> datetime:
    """The last moment the missed dose may still be taken."""
    if rule.take_within_fraction is not None:
        return add_fraction(scheduled, next_at, rule.take_within_fraction.value)
    assert rule.take_within_hours is not None
    return min(add_hours(scheduled, rule.take_within_hours.value), next_at)


def advise(plan: Plan, regimen: Regimen, missed_number: int, now: datetime) -> Advice:
    """What to do now about missed dose `missed_number` (1-based) of `plan`.

    Every dose scheduled from the missed one until `now` counts as missed (the advice
    says so): someone who took a later dose would ask about the dose after it.
    """
    rule = regimen.missed_dose
    if rule is None:
        raise InputError(
            f"regimen {regimen.id!r} has no missed-dose rule (`missed_dose:` in its data); "
            "ask the pharmacist or prescriber"
        )
    tz = zone(plan.timezone)
    plan = fixed_plan(plan)
    now = fixed(now)
    # A plan that continues goes on at its last step: those doses are scheduled too.
    doses = sorted([*plan.doses, *maintenance_doses(plan)], key=_by_time)
    missed = dose_by_number(plan, missed_number)
    start = doses.index(missed)
    if now < missed.at:
        raise InputError(
            f"dose {missed.number} is scheduled at {wall(missed.at, tz)}, after now "
            f"({wall(now, tz)}); it is not missed yet",
            field="now",
        )
    passed = [missed, *(dose for dose in doses[start + 1 :] if dose.at < now)]
    latest = passed[-1]
    latest_index = doses.index(latest)
    next_dose = doses[latest_index + 1] if latest_index + 1 < len(doses) else None
    next_at = next_time(doses, latest_index, tz)
    contact_after = int(rule.contact_prescriber_after.value)
    words, field_name, window = _window_rule(rule)
    notes: list[str] = []
    if len(passed) > 1:
        notes.append(
            f"Counted as missed: {len(passed)} doses, every dose from "
            f"{wall(missed.at, tz)} until now. If any of them was taken, ask about the "
            "first dose missed after it instead."
        )
    step_note = _step_change(latest, next_dose)
    if next_dose is None:
        notes.append(
            "This was the last dose of the plan: the cut-off assumes the next dose would "
            f"have been at {wall(next_at, tz)}. Follow the prescriber's instructions for what "
            "comes next."
        )

    fact: Sourced = window
    cutoff: datetime | None
    action: AdviceAction
    restart = _restart_gap(regimen, doses[start - 1] if start > 0 else None, now)
    if restart is not None:
        action, cutoff = "contact-prescriber", None
        fact, field_name = restart
        words, message = _restart_words(regimen, doses[start - 1], now, tz)
    elif len(passed) >= contact_after:
        action = "contact-prescriber"
        cutoff = None
        fact, field_name = rule.contact_prescriber_after, "missed_dose.contact_prescriber_after"
        message = _contact_message(passed, next_dose, tz)
    else:
        cutoff = fixed(cutoff_for(rule, latest.at, next_at).astimezone(tz))
        gone = ""
        if latest is not missed:
            gone = (
                f"The missed {_clock(missed.at, tz, now)} dose is gone: the next dose's time "
                f"({_clock(latest.at, tz, now)}) has passed too. "
            )
        if now <= cutoff:
            action = "take"
            message = gone + (
                f"Take the {_clock(latest.at, tz, now)} dose now: {_amount(latest)}. It is "
                f"{_clock(now, tz, now)}, no later than the cut-off at "
                f"{_clock(cutoff, tz, now)}. "
            )
            if next_dose is not None:
                message += (
                    f"Then take the next dose at {_clock(next_dose.at, tz, now)} as planned: "
                    f"{_amount(next_dose)}. "
                )
        else:
            action = "skip"
            message = gone + (
                f"Skip the {_clock(latest.at, tz, now)} dose of {_amount(latest)}: it is "
                f"{_clock(now, tz, now)}, past the cut-off at {_clock(cutoff, tz, now)}, "
                "so it is almost time for the next dose. Do not make it up. "
            )
            if next_dose is not None:
                message += (
                    f"Take the next dose at {_clock(next_dose.at, tz, now)} as planned: "
                    f"{_amount(next_dose)}. "
                )
        if step_note:
            message += step_note + " "
        message += NEVER_DOUBLE
    return Advice(
        action=action,
        dose=missed if action == "contact-prescriber" else latest,
        next_dose=next_dose,
        cutoff=cutoff,
        now=now.astimezone(tz),
        missed=[dose.number for dose in passed],
        rule=words,
        rule_field=field_name,
        basis=fact.basis,
        source=cite(regimen, fact),
        message=message,
        never_double=NEVER_DOUBLE,
        notes=notes,
        findings=list(plan.findings),
        regimen=plan.regimen,
        timezone=plan.timezone,
        sources=list(plan.sources),
    )


def _restart_gap(
    regimen: Regimen, last_taken: Dose | None, now: datetime
) -> tuple[Sourced, str] | None:
    """The regimen's restart rule and its field when the time since the last dose taken
    (the one before the missed run) is more than the rule's gap; else None."""
    rule = regimen.restart
    if rule is None or last_taken is None:
        return None
    if now - last_taken.at <= hours_delta(rule.hours):
        return None
    return rule, "restart.after_hours" if rule.after_hours is not None else "restart.after_days"


def _restart_words(
    regimen: Regimen, last_taken: Dose, now: datetime, tz: ZoneInfo
) -> tuple[str, str]:
    """(the restart rule in words, the instruction) for a gap longer than the rule's."""
    rule = regimen.restart
    assert rule is not None
    gap = rule.after_days if rule.after_days is not None else rule.hours
    unit = "day(s)" if rule.after_days is not None else "hour(s)"
    titration = regimen.titration
    first = (
        f"{_mg(titration.rule.start_mg)} mg {titration.rule.per_day.value}× a day"
        if titration.rule is not None
        else f"{_mg(titration.steps[0].dose_mg)} mg {titration.steps[0].per_day}× a day"
    )
    hours = (now - last_taken.at) // timedelta(hours=1)
    words = (
        f"After more than {_mg(gap)} {unit} without a dose, the titration starts again from "
        f"its first step ({first}); the last dose is not simply resumed "
        f"({BASIS_TEXT[rule.basis]})."
    )
    message = (
        f"The last dose taken was {wall(last_taken.at, tz)} ({_amount(last_taken)}), "
        f"{hours} hours ago: more than {_mg(gap)} {unit} without {regimen.drug}. Do not "
        "restart at your last dose and do not take the missed doses; ask your prescriber: "
        f"the titration starts again from its first step ({first}). " + NEVER_DOUBLE
    )
    return words, message


def _step_change(latest: Dose, next_dose: Dose | None) -> str:
    """Say so when the next dose is at another step: keep it at its planned amount."""
    if next_dose is None or next_dose.dose_mg == latest.dose_mg:
        return ""
    direction = "up" if next_dose.dose_mg > latest.dose_mg else "down"
    return (
        f"It starts step {next_dose.step} ({direction} from {_mg(latest.dose_mg)} mg): keep it "
        f"at {_mg(next_dose.dose_mg)} mg, with nothing added for the missed dose."
    )


def _contact_message(passed: list[Dose], next_dose: Dose | None, tz: ZoneInfo) -> str:
    restart = ""
    if next_dose is not None:
        restart = f" at the planned step ({_amount(next_dose)})"
    return (
        f"{len(passed)} doses in a row have been missed ({wall(passed[0].at, tz)} to "
        f"{wall(passed[-1].at, tz)}). Do not take the missed doses and do not restart on "
        "your own: contact the prescriber before continuing. Stopping suddenly can cause "
        f"withdrawal reactions, and restarting{restart} after a gap may be unsafe. " + NEVER_DOUBLE
    )
