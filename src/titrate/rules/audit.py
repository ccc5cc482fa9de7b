"""Log rules: what a dose log shows against its plan (scope "log", run by `audit`).

Each rule reads the matched log (rules.base.LogContext, built by core.audit): every dose's
status, the entries in time order with the dose window each falls in, and the day
totals in the plan's zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from titrate.clock import between, hours_delta, wall
from titrate.model import DoseStatus, Sourced
from titrate.model.units import decimal_text
from titrate.rules.base import Example, Hit, LogContext, LogExample, rule


def _mg(value: Decimal) -> str:
    return decimal_text(value) + " mg"


def _duration(delta: timedelta) -> str:
    minutes = delta // timedelta(minutes=1)
    return f"{minutes // 60}h{minutes % 60:02d}"


def _never_double_fact(ctx: LogContext) -> Sourced:
    """The missed-dose wording (never double) when the data has it, else the ladder."""
    return ctx.regimen.missed_dose or ctx.regimen.titration


@rule(
    "TT501",
    "missed-dose",
    "warning",
    "missed_dose",
    scope="log",
    passes=[
        Example(
            "a log with an entry at every scheduled time up to the audit time.",
            log=LogExample(now="2026-12-05T09:00"),
        )
    ],
    fails=[
        Example(
            "a log with nothing between 11:00 and 17:00 for the 14:00 dose.",
            log=LogExample(now="2026-12-05T09:00", skip=("2026-12-02T14:00",)),
        )
    ],
)
def missed_dose(ctx: LogContext) -> Iterator[Hit]:
    """A scheduled dose with no log entry in its window (once the window has closed).

    What it does: every scheduled dose owns a window (halfway from the dose before to
    halfway to the next); a closed window with no entry is a missed dose. Doses missed in
    a row are one finding ("9 doses missed in a row, … to …; last dose logged …"); several
    in a row (`missed_dose.contact_prescriber_after`) also say to contact the prescriber.
    Why it matters: missed doses lower the drug level; for baclofen several in a row are
    the start of an abrupt stop.
    """
    fact = _never_double_fact(ctx)
    contact = ctx.regimen.missed_dose.contact_prescriber_after if ctx.regimen.missed_dose else None
    for run in _missed_runs(ctx.statuses):
        first, last = run[0], run[-1]
        assert first.scheduled_at is not None and last.scheduled_at is not None
        if len(run) == 1:
            assert first.scheduled_mg is not None
            message = (
                f"Dose {first.dose} (day {first.day}, {wall(first.scheduled_at, ctx.tz)}, "
                f"{_mg(first.scheduled_mg)}) has no log entry."
            )
        else:
            message = (
                f"{len(run)} doses missed in a row, {wall(first.scheduled_at, ctx.tz)} to "
                f"{wall(last.scheduled_at, ctx.tz)} (doses {first.dose}–{last.dose})"
                + _last_logged(ctx, first.scheduled_at)
                + "."
            )
        if contact is not None and len(run) >= int(contact.value):
            message += (
                f" {int(contact.value)} or more doses in a row missed: contact the prescriber "
                "before continuing (withdrawal risk; restarting at a higher step may be unsafe)."
            )
        yield Hit(
            message,
            fact,
            day=first.day,
            dose=first.dose,
            at=first.scheduled_at,
            last_day=last.day,
        )


def _missed_runs(statuses: list[DoseStatus]) -> Iterator[list[DoseStatus]]:
    """Consecutive missed scheduled doses (extra entries neither break nor extend a run)."""
    run: list[DoseStatus] = []
    for row in statuses:
        if row.scheduled_at is None:
            continue
        if row.status == "missed":
            run.append(row)
            continue
        if run:
            yield run
        run = []
    if run:
        yield run


def _window_totals(ctx: LogContext) -> dict[int, Decimal]:
    """Everything logged in each dose's window (`LogContext.window_total` for every dose at
    once: an audit long after a continuing plan has thousands of maintenance doses)."""
    totals: dict[int, Decimal] = {}
    for row in ctx.statuses:
        if row.dose is not None:
            totals[row.dose] = totals.get(row.dose, Decimal(0)) + row.taken_mg
    return totals


def _last_logged(ctx: LogContext, before: datetime) -> str:
    earlier = [entry for entry in ctx.entries if entry.taken_at < before]
    if not earlier:
        return "; nothing logged before them"
    return f"; last dose logged {wall(earlier[-1].taken_at, ctx.tz)}"


@rule(
    "TT502",
    "double-dose",
    "error",
    "missed_dose",
    scope="log",
    passes=[
        Example(
            "10 mg logged at 14:05 for a 10 mg dose at 14:00.",
            log=LogExample(
                now="2026-12-05T09:00",
                skip=("2026-12-04T14:00",),
                extra=(("2026-12-04T14:05", "10"),),
            ),
        )
    ],
    fails=[
        Example(
            "10 mg logged at 14:00 and again at 15:30 for the same 10 mg dose.",
            log=LogExample(now="2026-12-05T09:00", extra=(("2026-12-04T15:30", "10"),)),
        )
    ],
)
def double_dose(ctx: LogContext) -> Iterator[Hit]:
    """More logged within one dose window than the dose scheduled for it.

    What it does: adds up what the log records in each dose window and compares it with
    the scheduled dose.
    Why it matters: taking a forgotten dose on top of the next, or twice by mistake, is
    the double dose the missed-dose advice forbids.
    """
    fact = _never_double_fact(ctx)
    totals = _window_totals(ctx)
    for row in ctx.statuses:
        if row.scheduled_at is None or row.scheduled_mg is None or row.dose is None:
            continue
        total = totals.get(row.dose, Decimal(0))
        if total > row.scheduled_mg:
            times = [
                entry.taken_at
                for other in ctx.statuses
                if other.dose == row.dose
                for entry in other.entries
            ]
            logged = ", ".join(wall(at, ctx.tz)[-5:] for at in sorted(times))
            yield Hit(
                f"Dose {row.dose} (day {row.day}, {wall(row.scheduled_at, ctx.tz)}): "
                f"{_mg(total)} logged in its window (at {logged}), more than the "
                f"{_mg(row.scheduled_mg)} scheduled. Never take two doses at once.",
                fact,
                day=row.day,
                dose=row.dose,
                at=row.scheduled_at,
            )


@rule(
    "TT503",
    "doses-too-close",
    "warning",
    "audit.min_interval_hours",
    scope="log",
    passes=[
        Example(
            "a late 14:00 dose taken at 16:30, then the 20:00 dose on time (3h30 apart).",
            log=LogExample(
                now="2026-12-05T09:00",
                skip=("2026-12-04T14:00",),
                extra=(("2026-12-04T16:30", "10"),),
            ),
        )
    ],
    fails=[
        Example(
            "the 14:00 dose taken at 16:59 and the 20:00 dose at 17:30 (31 minutes apart).",
            log=LogExample(
                now="2026-12-05T09:00",
                skip=("2026-12-04T14:00", "2026-12-04T20:00"),
                extra=(("2026-12-04T16:59", "10"), ("2026-12-04T17:30", "10")),
            ),
        )
    ],
)
def doses_too_close(ctx: LogContext) -> Iterator[Hit]:
    """Two logged doses, for different scheduled doses, closer than the minimum interval.

    What it does: compares each logged dose with the one before it when they belong to
    different dose windows (two entries in one window are a double dose, not this).
    Why it matters: a late dose followed by the next on time stacks two doses within
    minutes: in effect a double dose, though each looks right on its own.
    """
    audit = ctx.regimen.audit
    if audit is None or audit.min_interval_hours is None:
        return
    limit = audit.min_interval_hours
    minimum = hours_delta(limit.value)
    for earlier, later in zip(ctx.entries, ctx.entries[1:], strict=False):
        first, second = ctx.window_of[earlier.line], ctx.window_of[later.line]
        if first == second and first is not None:
            continue
        gap = between(earlier.taken_at, later.taken_at)  # on instants, not wall clocks
        if gap < minimum:
            yield Hit(
                f"Doses logged at {wall(earlier.taken_at, ctx.tz)} (line {earlier.line}) and "
                f"{wall(later.taken_at, ctx.tz)} (line {later.line}) are {_duration(gap)} "
                f"apart, less than the {format(limit.value.normalize(), 'f')} hours minimum.",
                limit,
                day=ctx.day_of(later.taken_at),
                dose=second,
                at=later.taken_at,
            )


@rule(
    "TT504",
    "dose-differs",
    "warning",
    "titration",
    scope="log",
    passes=[
        Example("10 mg logged for each 10 mg dose.", log=LogExample(now="2026-12-05T09:00")),
        Example(
            "20 mg logged at 08:00, 14:00 and 20:00 the day after a plan that continues at "
            "20 mg three times a day (its maintenance doses).",
            log=LogExample(
                now="2026-12-14T09:00",
                extra=tuple((f"2026-12-13T{hour}:00", "20") for hour in ("08", "14", "20")),
            ),
        ),
    ],
    fails=[
        Example(
            "5 mg logged for a 10 mg dose.",
            log=LogExample(
                now="2026-12-05T09:00",
                skip=("2026-12-04T14:00",),
                extra=(("2026-12-04T14:00", "5"),),
            ),
        ),
        Example(
            "a dose logged the day after a plan that stops (`then: stop`) has ended.",
            {"then": "stop"},
            log=LogExample(now="2026-12-14T09:00", extra=(("2026-12-13T08:00", "20"),)),
        ),
    ],
)
def dose_differs(ctx: LogContext) -> Iterator[Hit]:
    """Less logged for a scheduled dose than planned, or doses logged outside the plan.

    What it does: compares what was logged in each dose window with the scheduled dose
    (more than planned is a double dose), and reports entries outside every window. A
    plan that continues (or is reviewed, up to its review date) schedules its last day's
    doses after it: those are scheduled doses too; after a plan that stops there are none.
    Why it matters: a patient who takes less than planned is not on the plan; the next
    step up then starts from a different dose than the one the plan assumes.
    """
    fact = ctx.regimen.titration
    totals = _window_totals(ctx)
    for row in ctx.statuses:
        if row.scheduled_at is None or row.scheduled_mg is None or row.dose is None:
            continue
        total = totals.get(row.dose, Decimal(0))
        if Decimal(0) < total < row.scheduled_mg:
            yield Hit(
                f"Dose {row.dose} (day {row.day}, {wall(row.scheduled_at, ctx.tz)}): "
                f"{_mg(total)} logged, {_mg(row.scheduled_mg)} planned.",
                fact,
                day=row.day,
                dose=row.dose,
                at=row.scheduled_at,
            )
    outside = [row for row in ctx.statuses if row.status == "extra" and row.dose is None]
    first_start = ctx.windows[0].start
    for label, rows in (
        ("before the plan's first dose", [r for r in outside if _at(r) < first_start]),
        (_after_label(ctx), [r for r in outside if _at(r) >= first_start]),
    ):
        if rows:
            total = sum((row.taken_mg for row in rows), Decimal(0))
            yield Hit(
                f"{len(rows)} dose(s), {_mg(total)} in all, logged {label} "
                f"({wall(_at(rows[0]), ctx.tz)} to {wall(_at(rows[-1]), ctx.tz)}); the plan "
                "schedules none then.",
                fact,
                day=ctx.day_of(_at(rows[0])),
                at=_at(rows[0]),
            )


def _after_label(ctx: LogContext) -> str:
    """After the last dose the plan schedules: its own, or its maintenance's (a reviewed
    plan's end at its review date)."""
    plan, then = ctx.plan, ctx.plan.then
    if then is None or not plan.days or plan.days[-1].date < then.from_date:
        return "after the plan's last dose"
    if plan.ends == "review" and plan.review_by is not None:
        return f"after the plan's review date ({plan.review_by.date.isoformat()})"
    return "after the plan's last maintenance dose"


def _at(row: object) -> datetime:
    entries = getattr(row, "entries", [])
    at: datetime = entries[0].taken_at
    return at


@rule(
    "TT505",
    "over-daily-max",
    "error",
    "limits.max_daily_mg",
    scope="log",
    passes=[
        Example(
            "20 mg logged three times on one day (60 mg; the maximum is 80 mg).",
            log=LogExample(now="2026-12-11T09:00"),
        )
    ],
    fails=[
        Example(
            "20 mg three times and 30 mg more on the same day (90 mg).",
            log=LogExample(now="2026-12-11T09:00", extra=(("2026-12-10T17:00", "30"),)),
        )
    ],
)
def over_daily_max_logged(ctx: LogContext) -> Iterator[Hit]:
    """A calendar day's logged total (in the plan's zone) exceeds the daily maximum.

    What it does: adds up the log's entries by calendar day in the plan's zone and compares
    each day's total with the regimen's daily maximum.
    Why it matters: whatever the schedule said, what was taken is what acts; a day over
    the ceiling needs the same attention as a plan over it.
    """
    limit = ctx.regimen.limits.max_daily_mg
    for day in ctx.days:
        if day.taken_mg > limit.value:
            where = f"day {day.day}, " if day.day is not None else ""
            yield Hit(
                f"{day.date.isoformat()} ({where}planned {_mg(day.planned_mg)}): "
                f"{_mg(day.taken_mg)} logged, over the {_mg(limit.value)} daily maximum.",
                limit,
                day=day.day,
            )


@rule(
    "TT506",
    "abrupt-stop",
    "error",
    "audit.abrupt_stop_after_hours",
    scope="log",
    passes=[
        Example(
            "a log that follows the plan to its last dose.",
            log=LogExample(now="2026-12-13T09:00"),
        )
    ],
    fails=[
        Example(
            "a log on 20 mg three times a day that stops on day 10 of 12, audited on day 12.",
            log=LogExample(now="2026-12-12T21:00", until="2026-12-10T20:00"),
        ),
        Example(
            "a log that follows the plan to its last dose and stops, while the plan continues "
            "at 20 mg three times a day, audited two days later.",
            log=LogExample(now="2026-12-15T09:00"),
        ),
    ],
)
def abrupt_stop_logged(ctx: LogContext) -> Iterator[Hit]:
    """The log ends mid-plan from a non-trivial dose with nothing after it for too long.

    What it does: non-trivial is more than `stopping.max_daily_mg_to_stop_from` logged in
    the 24 hours up to the last entry; too long is more than
    `audit.abrupt_stop_after_hours` until the audit time, with scheduled doses missed since
    (the maintenance doses after a plan that continues are scheduled doses).
    Why it matters: a log that simply stops may be a patient who stopped; for baclofen that
    is the withdrawal the plan exists to prevent, and someone should call.
    """
    audit, stopping = ctx.regimen.audit, ctx.regimen.stopping
    if audit is None or audit.abrupt_stop_after_hours is None or stopping is None:
        return
    if not ctx.entries:
        return
    limit = audit.abrupt_stop_after_hours
    last = ctx.entries[-1]
    gap = ctx.as_of - last.taken_at
    if gap <= hours_delta(limit.value):
        return
    missed_after = [
        row
        for row in ctx.statuses
        if row.status == "missed"
        and row.scheduled_at is not None
        and row.scheduled_at > last.taken_at
    ]
    if not missed_after:
        return
    day_before = last.taken_at - timedelta(days=1)
    recent = sum(
        (entry.dose_mg for entry in ctx.entries if day_before < entry.taken_at <= last.taken_at),
        Decimal(0),
    )
    if recent <= stopping.max_daily_mg_to_stop_from:
        return
    first = missed_after[0]
    yield Hit(
        f"The log stops at {wall(last.taken_at, ctx.tz)} ({_mg(recent)} logged in the 24 "
        f"hours before) while the plan goes on: nothing logged for {_duration(gap)}, more "
        f"than {format(limit.value.normalize(), 'f')} hours, and {len(missed_after)} "
        f"scheduled dose(s) missed since. Stopping from more than "
        f"{_mg(stopping.max_daily_mg_to_stop_from)} a day without a taper risks withdrawal "
        "reactions: contact the prescriber.",
        limit,
        day=first.day,
        dose=first.dose,
        at=last.taken_at,
    )


_DEMO = "tests/rules/regimens/issue18.yaml"
# demo-taper (three doses a day, 0.25 → 0.5 → 1 mg weekly; restart after 127 hours):
# nothing logged from the 2026-12-05 08:00 dose to the 2026-12-10 20:00 dose (an
# 18-dose, 6-day gap), so the log resumes on 2026-12-11 at the plan's 0.5 mg.
_GAP = tuple(f"2026-12-{day:02d}T{hour}:00" for day in range(5, 11) for hour in ("08", "14", "20"))


@rule(
    "TT507",
    "restart-without-retitration",
    "error",
    "restart",
    scope="log",
    passes=[
        Example(
            "a test regimen (demo-taper, restart after 127 hours): a log with every dose "
            "taken on time.",
            {"regimen": "demo-taper", "regimens": _DEMO},
            log=LogExample(now="2026-12-14T09:00"),
        ),
        Example(
            "the same regimen: a 4-day gap (2026-12-05 to 2026-12-08), resumed at the "
            "plan's dose (96 hours, not more than 127).",
            {"regimen": "demo-taper", "regimens": _DEMO},
            log=LogExample(now="2026-12-14T09:00", skip=_GAP[:12]),
        ),
    ],
    fails=[
        Example(
            "the same regimen: nothing logged from 2026-12-05 to 2026-12-10 (148 hours), "
            "then 0.5 mg, above the 0.25 mg first step.",
            {"regimen": "demo-taper", "regimens": _DEMO},
            log=LogExample(now="2026-12-14T09:00", skip=_GAP),
        )
    ],
)
def restart_without_retitration(ctx: LogContext) -> Iterator[Hit]:
    """A log that resumes above the first step after a break longer than the restart gap.

    What it does: for a regimen with a `restart` rule (after more than so many hours or
    days without a dose, the titration starts again from its first step), finds each gap
    between logged doses longer than the rule's and reports the entry that ends it when
    its dose is larger than the titration's first dose.
    Why it matters: after a long enough break the body has lost its tolerance to the drug
    (for lamotrigine, the serious-rash risk of starting fast comes back); going straight
    back to the last dose is the fast start the titration exists to prevent.
    """
    restart = ctx.regimen.restart
    if restart is None:
        return
    limit = hours_delta(restart.hours)
    first_mg = ctx.regimen.titration.start_mg
    gap_words = (
        f"{format(restart.after_days.normalize(), 'f')} day(s)"
        if restart.after_days is not None
        else f"{format(restart.hours.normalize(), 'f')} hours"
    )
    for before, after in pairwise(ctx.entries):
        gap = after.taken_at - before.taken_at
        if gap <= limit or after.dose_mg <= first_mg:
            continue
        yield Hit(
            f"{_mg(after.dose_mg)} logged at {wall(after.taken_at, ctx.tz)} after "
            f"{_duration(gap)} with no dose logged (since {wall(before.taken_at, ctx.tz)}), "
            f"more than {gap_words}: after such a break the titration starts again from its "
            f"first step ({_mg(first_mg)}), not at the last dose. Contact the prescriber.",
            restart,
            day=ctx.day_of(after.taken_at),
            at=after.taken_at,
        )
