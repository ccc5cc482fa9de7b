"""Dose log vs plan: which scheduled doses were taken, late, missed, or doubled.

Each scheduled dose owns a window of time: from halfway since the previous dose to
halfway to the next (the first and last doses of a plan use where the neighbouring dose
would be if the daily pattern went on). A log entry belongs to the window it falls in.
Within a window, entries count towards the scheduled dose until its amount is reached;
the rest are extra. The log-scope rules (rules/audit.py) turn this into findings.

Memory stays flat however long the log: rows are streamed (titrate.core.doselog), rejected
rows beyond MAX_LISTED_REJECTED are counted but not listed (a note and the CLI say how
many, from which line), and only entries that can matter are kept: those counted towards
a scheduled dose, and at most MAX_EXTRA_ENTRIES extra ones. A log with more extra entries
than that (entries outside the plan, or beyond what a dose window schedules) is not the
log of this plan, and the audit refuses it rather than list them all. MAX_KEPT_ENTRIES
bounds the total kept (doses split into many tiny parts).
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from msgspec.structs import replace

from titrate.clock import fixed, fixed_plan, hours_delta, next_time, previous_time, wall, zone
from titrate.core.doselog import DoseLog
from titrate.core.ending import MAX_MAINTENANCE_DAYS, Maintenance, maintenance
from titrate.errors import InputError
from titrate.model import (
    ABSURD_MG,
    AuditResult,
    DayTotal,
    Dose,
    DoseStatus,
    DoseStatusName,
    Finding,
    LogEntry,
    Plan,
    Regimen,
    RejectedRow,
)
from titrate.model.units import decimal_text
from titrate.rules.base import LogContext, Window

_MINUTE = timedelta(minutes=1)

# Rejected rows listed one by one in the result (all are counted; the rest are noted).
MAX_LISTED_REJECTED = 1_000
# Extra entries (outside every dose window, or more than a window's dose) an audit keeps:
# over nine years of three doses a day. More is refused: it is not this plan's log.
MAX_EXTRA_ENTRIES = 10_000
# All entries an audit keeps (counted + extra): a ten-year plan at four doses a day, each
# dose logged in several parts, fits.
MAX_KEPT_ENTRIES = 100_000


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
class Expected:
    """What an audit at a given time expects: the plan (fixed UTC offsets) with the
    maintenance days and doses after it, the dose windows, and what was added."""

    plan: Plan
    windows: list[Window]
    added: Maintenance


def expected(plan: Plan, as_of: datetime | None) -> Expected:
    """The plan's doses and, for a plan that continues (or is reviewed, up to its review
    date), its maintenance doses whose window has opened by `as_of`: the patient is
    expected to keep taking them after the plan's last day. Without an audit time, only
    the plan's own doses."""
    tz = zone(plan.timezone)
    plan = fixed_plan(plan)
    added = Maintenance([], [])
    if as_of is not None and plan.ends != "stop" and plan.days:
        # the day after as_of too: a dose's window may open the evening before
        through = as_of.astimezone(tz).date()
        with contextlib.suppress(OverflowError):
            through += timedelta(days=1)
        added = maintenance(plan, through)
    if not added.doses:
        return Expected(plan, dose_windows(plan, tz), added)
    extended = replace(
        plan,
        doses=[*plan.doses, *(_fixed_dose(dose) for dose in added.doses)],
        days=[*plan.days, *added.days],
    )
    assert as_of is not None  # maintenance is expanded only up to an audit time
    limit = fixed(as_of)
    windows = dose_windows(extended, tz)
    last = plan.doses[-1].number
    windows = [w for w in windows if w.dose.number <= last or w.start <= limit]
    kept = {window.dose.number for window in windows}
    doses = [dose for dose in extended.doses if dose.number in kept]
    on_days = {dose.day for dose in doses}
    days = [day for day in extended.days if day.day in on_days or day.day <= plan.days[-1].day]
    added = replace(added, doses=doses[len(plan.doses) :], days=days[len(plan.days) :])
    return Expected(replace(plan, doses=doses, days=days), windows, added)


def _fixed_dose(dose: Dose) -> Dose:
    return replace(dose, at=fixed(dose.at))


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
    """Assign log entries to dose windows and give every scheduled dose a status (the
    maintenance doses after a continuing plan included: see `expected`)."""
    return _match(expected(plan, as_of), regimen, entries, as_of)


def _match(
    schedule: Expected, regimen: Regimen, entries: list[LogEntry], as_of: datetime | None
) -> LogContext:
    plan, windows = schedule.plan, schedule.windows
    tz = zone(plan.timezone)
    entries = [replace(entry, taken_at=fixed(entry.taken_at)) for entry in entries]
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
            status: DoseStatusName = "missed" if window.end <= effective else "pending"
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
    return replace(context, days=_day_totals(context))


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


class _Keeper:
    """Streamed log entries → the ones an audit needs, in bounded memory.

    Per dose window it keeps the shortest run of entries, in time order, that reaches the
    scheduled amount (what `match` counts); everything else is extra. A later row that is
    earlier in time can only push kept entries out, never bring one back, so the classes
    are final once the stream ends, and `match` on the kept entries gives what it would on
    all of them.
    """

    def __init__(self, windows: list[Window], name: str, tz: ZoneInfo) -> None:
        self.tz = tz
        self.day_mg: dict[date, Decimal] = {}
        self.starts = [window.start for window in windows]
        self.ends = [window.end for window in windows]
        self.amounts = [window.dose.dose_mg for window in windows]
        self.kept: dict[int, list[tuple[datetime, int, int, LogEntry]]] = {}
        self.kept_mg: dict[int, Decimal] = {}
        self.extras: list[LogEntry] = []
        self.count = 0
        self.sequence = 0
        self.name = name

    def add(self, entry: LogEntry) -> RejectedRow | None:
        """Keep the entry, or say why not (a total no dose could reach)."""
        at = entry.taken_at
        index = bisect.bisect_right(self.starts, at) - 1
        inside = index >= 0 and at < self.ends[index]
        on = at.astimezone(self.tz).date()
        day_total = self.day_mg.get(on, Decimal(0)) + entry.dose_mg
        window_total = self.kept_mg.get(index, Decimal(0)) + entry.dose_mg if inside else None
        for total, what in ((day_total, f"on {on.isoformat()}"), (window_total, "for one dose")):
            if total is not None and total > ABSURD_MG:
                return RejectedRow(
                    line=entry.line,
                    message=(
                        f"with this row {_mg(total)} mg are logged {what}, more than any "
                        f"plausible amount ({_mg(ABSURD_MG)} mg): check the log"
                    ),
                    text=f"{at.isoformat()},{entry.dose_mg}",
                )
        self.day_mg[on] = day_total
        self.sequence += 1
        self.count += 1
        if self.count > MAX_KEPT_ENTRIES:
            raise InputError(
                f"more than {MAX_KEPT_ENTRIES} readable entries to audit (line {entry.line}); "
                "split the log by period and audit each part",
                self.name,
            )
        if not inside:
            self._extra(entry)
            return None
        rows = self.kept.setdefault(index, [])
        bisect.insort(rows, (at, entry.line, self.sequence, entry))
        total = self.kept_mg.get(index, Decimal(0)) + entry.dose_mg
        while len(rows) > 1 and total - rows[-1][3].dose_mg >= self.amounts[index]:
            dropped = rows.pop()[3]
            total -= dropped.dose_mg
            self._extra(dropped)
        self.kept_mg[index] = total
        return None

    def _extra(self, entry: LogEntry) -> None:
        self.extras.append(entry)
        if len(self.extras) > MAX_EXTRA_ENTRIES:
            first = min(self.extras, key=lambda row: row.line)
            raise InputError(
                f"more than {MAX_EXTRA_ENTRIES} log entries are extra to this plan (outside "
                f"its dose windows or beyond a dose's amount; the first at line {first.line}): "
                "is this the log of this plan?",
                self.name,
            )

    def entries(self) -> list[LogEntry]:
        kept = [row[3] for rows in self.kept.values() for row in rows]
        return [*kept, *self.extras]


def _fixed_entry(entry: LogEntry) -> LogEntry:
    """The entry with a fixed-offset time (doselog gives one already; API callers may not)."""
    if isinstance(entry.taken_at.tzinfo, timezone):
        return entry
    return replace(entry, taken_at=fixed(entry.taken_at))


@dataclass
class AuditRun:
    """An audit result and what it does not list one by one."""

    result: AuditResult
    rejected_total: int  # rejected rows, listed or not
    first_unlisted: int | None  # line of the first rejected row not listed


def rejected_summary(audited: AuditRun, log_name: str, shown: int) -> list[str]:
    """Lines naming the first `shown` unreadable rows (`LOG:LINE: why`), and how many
    more there are and where they are listed."""
    result = audited.result
    lines = [f"{log_name}:{row.line}: {row.message}" for row in result.rejected_rows[:shown]]
    if audited.rejected_total > shown:
        listed = len(result.rejected_rows)
        where = (
            "listed in the output"
            if audited.first_unlisted is None
            else f"the output lists the first {listed}"
        )
        lines.append(
            f"{log_name}: {audited.rejected_total - shown} more unreadable row(s), {where}"
        )
    return lines


def audit_log(
    plan: Plan, regimen: Regimen, log: DoseLog, as_of: datetime | None = None
) -> AuditResult:
    """Compare a dose log with its plan. Doses whose window ends after `as_of` are
    pending, not missed (None: audit the whole plan); entries after `as_of` are
    rejected as probably mistyped."""
    return run_audit(plan, regimen, log, as_of).result


def run_audit(
    plan: Plan, regimen: Regimen, log: DoseLog, as_of: datetime | None = None
) -> AuditRun:
    """`audit_log`, streaming the log (see the module's note on memory), with the count
    of rejected rows not listed."""
    from titrate.rules import run, sort_findings

    tz = zone(plan.timezone)
    schedule = expected(plan, as_of)
    if not schedule.windows:
        raise InputError("the plan has no doses to audit against")
    keeper = _Keeper(schedule.windows, log.name, tz)
    limit = fixed(as_of) if as_of is not None else None
    rejected: list[RejectedRow] = []
    rejected_total = 0
    first_unlisted: int | None = None
    rows_read = 0
    limit_shown = wall(limit, tz) if limit is not None else ""
    for row in log.rows():
        rows_read += 1
        if isinstance(row, LogEntry):
            if limit is None or row.taken_at <= limit:  # aware: compared as instants
                refused = keeper.add(_fixed_entry(row))
                if refused is None:
                    continue
                row = refused
            else:
                row = RejectedRow(
                    line=row.line,
                    message=(
                        f"taken_at {wall(row.taken_at, tz)} is after the audit time "
                        f"{limit_shown}: check the date, the UTC offset or the audit time"
                    ),
                    text=f"{fixed(row.taken_at).isoformat()},{row.dose_mg}",
                )
        rejected_total += 1
        if len(rejected) < MAX_LISTED_REJECTED:
            rejected.append(row)
        elif first_unlisted is None:
            first_unlisted = row.line
    context = _match(schedule, regimen, keeper.entries(), as_of)
    # The plan's own findings come first: a plan that breaks a limit (say, edited by hand
    # to 50 mg a dose) is flagged in its audit, never silently audited against.
    findings: list[Finding] = list(plan.findings)
    findings.extend(run("log", context))
    summary = {name: 0 for name in ("taken", "late", "missed", "pending", "extra")}
    for status in context.statuses:
        summary[status.status] += 1
    notes = _notes(regimen, tz)
    notes += _maintenance_notes(plan, schedule.added, as_of, tz)
    if plan.findings:
        notes.append(
            f"{len(plan.findings)} finding(s) are about the plan itself (checked against the "
            "regimen data), not the log."
        )
    notes += log.clock.lines()
    if first_unlisted is not None:
        notes.append(
            f"{rejected_total} rows could not be read; the first {len(rejected)} are listed, "
            f"{rejected_total - len(rejected)} more from line {first_unlisted} on are not."
        )
    result = AuditResult(
        regimen=plan.regimen,
        plan_start=plan.start,
        timezone=plan.timezone,
        as_of=context.as_of.astimezone(tz),
        log=log.name,
        entries=rows_read,
        summary=summary,
        doses=context.statuses,
        days=context.days,
        findings=sort_findings(findings),
        rejected_rows=sorted(rejected, key=lambda row: row.line),
        notes=notes,
        sources=list(plan.sources),
    )
    return AuditRun(result=result, rejected_total=rejected_total, first_unlisted=first_unlisted)


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


def _maintenance_notes(
    plan: Plan, added: Maintenance, as_of: datetime | None, tz: ZoneInfo
) -> list[str]:
    """Say which doses after the plan's last day the audit expected, and why."""
    if plan.ends == "stop" or not plan.days:
        return []
    last_date = plan.days[-1].date.isoformat()
    then = plan.then
    kept = (
        f"{_mg(then.dose_mg)} mg {then.per_day} times a day"
        if then is not None and then.dose_mg is not None and then.per_day is not None
        else "the doses of its last day"
    )
    until = f" until its review date ({added.until.isoformat()})" if added.until else ""
    if as_of is None:
        return [
            f"The plan continues after its last day ({last_date}) at {kept}{until}; audited "
            "without an audit time, only the plan's own doses are expected."
        ]
    if not added.doses:
        return []
    first, last = added.doses[0], added.doses[-1]
    span = (
        f"in the {MAX_MAINTENANCE_DAYS} days after it (the most an audit expects)"
        if added.limited
        else "up to the audit time"
    )
    which = (
        f"its maintenance dose {span}, dose {first.number} ({wall(first.at, tz)}), is "
        "audited as a scheduled dose"
        if first is last
        else f"its {len(added.doses)} maintenance doses {span}, doses {first.number}–"
        f"{last.number} ({wall(first.at, tz)} to {wall(last.at, tz)}), are audited as "
        "scheduled doses"
    )
    return [f"The plan continues after its last day ({last_date}) at {kept}{until}: {which}."]


def _mg(value: Decimal) -> str:
    return decimal_text(value)


def _hours(value: Decimal) -> str:
    text = decimal_text(value)
    return f"{text} hour" + ("" if value == 1 else "s")
