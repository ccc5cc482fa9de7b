"""Dose log vs plan: which scheduled doses were taken, late, missed, or doubled.

Each scheduled dose owns a window of time: from halfway since the previous dose to
halfway to the next (the first and last doses of a plan use where the neighbouring dose
would be if the daily pattern went on). A log entry belongs to the window it falls in.
Within a window, entries count towards the scheduled dose until its amount is reached;
the rest are extra. The log-scope rules (rules/audit.py) turn this into findings.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from titrate.doselog import DoseLog
from titrate.errors import InputError
from titrate.missed import fixed, fixed_plan, hours_delta, next_time, previous_time, wall
from titrate.model import (
    AuditResult,
    DayTotal,
    Dose,
    DoseStatus,
    Finding,
    LogEntry,
    Plan,
    Regimen,
    RejectedRow,
)
from titrate.schedule import zone

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Window:
    """The stretch of time a scheduled dose owns: [start, end)."""

    dose: Dose
    start: datetime
    end: datetime


def midpoint(earlier: datetime, later: datetime) -> datetime:
    return earlier + (later - earlier) / 2


def dose_windows(plan: Plan, tz: ZoneInfo) -> list[Window]:
    doses = sorted(plan.doses, key=lambda dose: (dose.at, dose.number))
    return [
        Window(
            dose=dose,
            start=midpoint(previous_time(doses, index, tz), dose.at),
            end=midpoint(dose.at, next_time(doses, index, tz)),
        )
        for index, dose in enumerate(doses)
    ]


@dataclass(frozen=True)
class LogContext:
    """What a log rule may look at: the plan, the matched log and the audit time."""

    regimen: Regimen
    plan: Plan
    tz: ZoneInfo
    as_of: datetime
    windows: list[Window]
    entries: list[LogEntry]  # readable, at or before as_of, in time order
    window_of: dict[int, int | None]  # log line → dose number of its window (None: outside)
    statuses: list[DoseStatus]
    days: list[DayTotal]

    def window_total(self, dose_number: int) -> Decimal:
        """Everything logged in a dose's window (its own row plus extras)."""
        return sum(
            (row.taken_mg for row in self.statuses if row.dose == dose_number),
            Decimal(0),
        )

    def day_of(self, instant: datetime) -> int | None:
        """Plan day number of an instant's local date (None outside the plan)."""
        local = instant.astimezone(self.tz).date()
        return next((day.day for day in self.plan.days if day.date == local), None)


def _assign(windows: list[Window], entries: Iterable[LogEntry]) -> dict[int, int | None]:
    starts = [window.start for window in windows]
    found: dict[int, int | None] = {}
    for entry in entries:
        index = bisect.bisect_right(starts, entry.taken_at) - 1
        inside = index >= 0 and entry.taken_at < windows[index].end
        found[entry.line] = windows[index].dose.number if inside else None
    return found


def _minutes(delta: timedelta) -> int:
    return int(delta / _MINUTE)


def match(
    plan: Plan, regimen: Regimen, entries: list[LogEntry], as_of: datetime | None
) -> LogContext:
    """Assign log entries to dose windows and give every scheduled dose a status."""
    tz = zone(plan.timezone)
    plan = fixed_plan(plan)
    entries = [entry.model_copy(update={"taken_at": fixed(entry.taken_at)}) for entry in entries]
    windows = dose_windows(plan, tz)
    if not windows:
        raise InputError("the plan has no doses to audit against")
    effective = fixed(as_of) if as_of is not None else windows[-1].end
    ordered = sorted(entries, key=lambda entry: (entry.taken_at, entry.line))
    window_of = _assign(windows, ordered)
    late_after = None
    if regimen.audit is not None and regimen.audit.late_after_hours is not None:
        late_after = hours_delta(regimen.audit.late_after_hours.value)
    by_dose: dict[int, list[LogEntry]] = {}
    outside: list[LogEntry] = []
    for entry in ordered:
        number = window_of[entry.line]
        if number is None:
            outside.append(entry)
        else:
            by_dose.setdefault(number, []).append(entry)

    rows: list[tuple[tuple[datetime, int, int], DoseStatus]] = []
    for window in windows:
        dose = window.dose
        found = by_dose.get(dose.number, [])
        if not found:
            status = "missed" if window.end <= effective else "pending"
            rows.append(
                (
                    (dose.at, 0, dose.number),
                    DoseStatus(
                        status=status,
                        dose=dose.number,
                        day=dose.day,
                        step=dose.step,
                        scheduled_at=dose.at,
                        scheduled_mg=dose.dose_mg,
                        taken_mg=Decimal(0),
                    ),
                )
            )
            continue
        counted: list[LogEntry] = []
        total = Decimal(0)
        for entry in found:
            if total < dose.dose_mg:
                counted.append(entry)
                total += entry.dose_mg
            else:
                rows.append(((entry.taken_at, 1, entry.line), _extra(entry, dose)))
        offset = counted[0].taken_at - dose.at
        late = late_after is not None and offset > late_after
        rows.append(
            (
                (dose.at, 0, dose.number),
                DoseStatus(
                    status="late" if late else "taken",
                    dose=dose.number,
                    day=dose.day,
                    step=dose.step,
                    scheduled_at=dose.at,
                    scheduled_mg=dose.dose_mg,
                    taken_mg=total,
                    entries=counted,
                    minutes_from_schedule=_minutes(offset),
                ),
            )
        )
    for entry in outside:
        rows.append(((entry.taken_at, 1, entry.line), _extra(entry, None)))
    statuses = [row for _, row in sorted(rows, key=lambda pair: pair[0])]
    context = LogContext(
        regimen=regimen,
        plan=plan,
        tz=tz,
        as_of=effective,
        windows=windows,
        entries=ordered,
        window_of=window_of,
        statuses=statuses,
        days=[],
    )
    return dataclasses.replace(context, days=_day_totals(context))


def _extra(entry: LogEntry, dose: Dose | None) -> DoseStatus:
    return DoseStatus(
        status="extra",
        dose=dose.number if dose else None,
        day=dose.day if dose else None,
        step=dose.step if dose else None,
        scheduled_at=None,
        scheduled_mg=None,
        taken_mg=entry.dose_mg,
        entries=[entry],
        minutes_from_schedule=_minutes(entry.taken_at - dose.at) if dose else None,
    )


def _day_totals(context: LogContext) -> list[DayTotal]:
    """Planned and logged mg per calendar day in the plan's zone."""
    planned: dict[date, tuple[int | None, Decimal]] = {
        day.date: (day.day, day.total_mg) for day in context.plan.days
    }
    taken: dict[date, Decimal] = {}
    for entry in context.entries:
        local = entry.taken_at.astimezone(context.tz).date()
        taken[local] = taken.get(local, Decimal(0)) + entry.dose_mg
    return [
        DayTotal(
            date=on,
            day=planned.get(on, (None, Decimal(0)))[0],
            planned_mg=planned.get(on, (None, Decimal(0)))[1],
            taken_mg=taken.get(on, Decimal(0)),
        )
        for on in sorted(set(planned) | set(taken))
    ]


def audit_log(
    plan: Plan, regimen: Regimen, log: DoseLog, as_of: datetime | None = None
) -> AuditResult:
    """Compare a dose log with its plan. Doses whose window ends after `as_of` are
    pending, not missed (None: audit the whole plan); entries after `as_of` are
    rejected as probably mistyped."""
    from titrate.rules import catalogue, sort_findings

    tz = zone(plan.timezone)
    rejected = list(log.rejected)
    entries = [
        entry.model_copy(update={"taken_at": fixed(entry.taken_at)}) for entry in log.entries
    ]
    if as_of is not None:
        as_of = fixed(as_of)
        for entry in entries:
            if entry.taken_at > as_of:
                rejected.append(
                    RejectedRow(
                        line=entry.line,
                        message=(
                            f"taken_at {wall(entry.taken_at, tz)} is after the audit time "
                            f"{wall(as_of, tz)}: check the date, the UTC offset or --now"
                        ),
                        text=f"{entry.taken_at.isoformat()},{entry.dose_mg}",
                    )
                )
        entries = [entry for entry in entries if entry.taken_at <= as_of]
    context = match(plan, regimen, entries, as_of)
    findings: list[Finding] = []
    for rule in catalogue():
        if rule.scope == "log":
            findings.extend(rule.finding(regimen, hit) for hit in rule.check(context))
    summary = {name: 0 for name in ("taken", "late", "missed", "pending", "extra")}
    for row in context.statuses:
        summary[row.status] += 1
    return AuditResult(
        regimen=plan.regimen,
        plan_start=plan.start,
        timezone=plan.timezone,
        as_of=context.as_of.astimezone(tz),
        log=log.name,
        entries=len(log.entries) + len(log.rejected),
        summary=summary,
        doses=context.statuses,
        days=context.days,
        findings=sort_findings(findings),
        rejected_rows=sorted(rejected, key=lambda row: row.line),
        notes=_notes(regimen, tz),
        sources=list(plan.sources),
    )


def _notes(regimen: Regimen, tz: ZoneInfo) -> list[str]:
    notes = [
        "Each scheduled dose owns the time from halfway since the previous dose to halfway "
        "to the next; a log entry counts for the dose whose window it falls in.",
        f"Times are shown and days counted in the plan's zone, {tz.key}; log times with "
        "another UTC offset are converted.",
    ]
    thresholds = regimen.audit
    if thresholds is None:
        notes.append(
            "The regimen data has no `audit:` thresholds: late doses, doses too close and "
            "abrupt stops are not checked."
        )
        return notes
    if thresholds.late_after_hours is not None:
        notes.append(
            f"Late: logged more than {_hours(thresholds.late_after_hours.value)} after the "
            f"scheduled time (audit.late_after_hours, {thresholds.late_after_hours.basis})."
        )
    return notes


def _hours(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text} hour" + ("" if value == 1 else "s")
