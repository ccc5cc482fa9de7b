"""The rule machinery: a registry of small functions, each with a code, a slug, a
severity, a docstring (What it does / Why it matters), passing and failing examples
written as data (a test runs each), and the regimen fact it enforces (whose sources
every finding cites)."""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import replace

from titrate.citation import cite
from titrate.model import (
    SEVERITY_RANK,
    DayTotal,
    Dose,
    DoseStatus,
    Finding,
    LogEntry,
    Plan,
    Regimen,
    Severity,
    Sourced,
)

Scope = Literal["plan", "log"]


class Hit(msgspec.Struct, frozen=True):
    """What a rule function reports; the registry turns it into a Finding."""

    message: str
    fact: Sourced
    day: int | None = None
    dose: int | None = None
    at: datetime | None = None
    # A breach large enough to grade up (limits.grading) is reported more severely than
    # the rule's usual severity; None keeps the rule's own.
    severity: Severity | None = None
    last_day: int | None = None  # a hit about a run of days ends on this one


class StartingDose(msgspec.Struct, frozen=True):
    """What the patient took before a plan's day 1 (a taper's current dose): `dose_mg`
    `per_day` times a day."""

    dose_mg: Decimal
    per_day: int


class Context(msgspec.Struct, frozen=True, dict=True):
    """What a plan rule may look at; `starting` is the dose before day 1 when the plan
    knows it (a taper made from a current dose), else None."""

    regimen: Regimen
    plan: Plan
    starting: StartingDose | None = None

    @cached_property
    def largest_mg_by_day(self) -> dict[int, Decimal]:
        """The largest single dose of each plan day that has doses, in day order
        (several rules compare days by it; computed once per check)."""
        largest: dict[int, Decimal] = {}
        for dose in self.plan.doses:
            known = largest.get(dose.day)
            if known is None or dose.dose_mg > known:
                largest[dose.day] = dose.dose_mg
        return dict(sorted(largest.items()))


class Window(msgspec.Struct, frozen=True):
    """The stretch of time a scheduled dose owns: [start, end)."""

    dose: Dose
    start: datetime
    end: datetime


class LogContext(msgspec.Struct, frozen=True):
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


Check = Callable[[Context], Iterable[Hit]]


class LogExample(msgspec.Struct, frozen=True):
    """A dose log against an example's plan: every scheduled dose taken on time, up to
    `until` (default: every dose), except those scheduled at a time in `skip`, plus the
    `extra` rows (taken_at, mg); audited at `now`. Times without an offset are UTC."""

    now: str
    until: str | None = None
    skip: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()


class Example(msgspec.Struct, frozen=True):
    """A documented case, as data a test runs against its rule: `says` is what the docs
    print; `request` holds `PlanRequest` fields as typed (default: baclofen, starting
    2026-12-01, in UTC), or `TaperRequest` fields when `taper` is set; log rules add
    `log`."""

    says: str
    request: Mapping[str, object] = msgspec.field(default_factory=dict)
    taper: bool = False
    log: LogExample | None = None
    severity: Severity | None = None  # a breach graded up (limits.grading); None: the rule's


def _example_lines(label: str, examples: Iterable[Example]) -> list[str]:
    lines: list[str] = []
    for example in examples:
        lines += textwrap.wrap(
            example.says, 88, initial_indent=label.ljust(8), subsequent_indent=" " * 8
        )
    return lines


def compose_doc(
    docstring: str, enforces: str, passes: Iterable[Example], fails: Iterable[Example]
) -> str:
    """A rule's documentation: its docstring, then Passes, Fails and Source."""
    lines = [inspect.cleandoc(docstring), ""]
    lines += _example_lines("Passes:", passes)
    lines += _example_lines("Fails:", fails)
    lines.append(f"Source: the regimen's `{enforces}` data; each finding cites its sources.")
    return "\n".join(lines)


class Rule(msgspec.Struct, frozen=True):
    code: str
    slug: str
    severity: Severity
    enforces: str
    check: Callable[..., Iterable[Hit]]
    scope: Scope = "plan"
    docstring: str = ""  # the function's own; `doc` adds the examples and the source
    passes: tuple[Example, ...] = ()
    fails: tuple[Example, ...] = ()

    @property
    def doc(self) -> str:
        """The rule's documentation (composed when asked for: wrapping every rule's
        examples at registration cost ~1 ms of each start-up)."""
        return compose_doc(self.docstring, self.enforces, self.passes, self.fails)

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.slug

    def finding(self, regimen: Regimen, hit: Hit) -> Finding:
        return Finding(
            code=self.code,
            rule=self.slug,
            severity=hit.severity or self.severity,
            message=hit.message,
            day=hit.day,
            last_day=hit.last_day if hit.last_day != hit.day else None,
            dose=hit.dose,
            at=hit.at,
            source=cite(regimen, hit.fact),
            basis=hit.fact.basis,
        )


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    slug: str,
    severity: Severity,
    enforces: str,
    scope: Scope = "plan",
    *,
    passes: Iterable[Example] = (),
    fails: Iterable[Example] = (),
) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
    """Register a rule function under a stable code and slug, with its examples."""
    passing, failing = tuple(passes), tuple(fails)

    def register(function: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        # A slug may have one rule per scope (over-daily-max checks plans and logs).
        if code in REGISTRY or any(r.slug == slug and r.scope == scope for r in REGISTRY.values()):
            raise ValueError(f"rule {code} {slug} registered twice")
        REGISTRY[code] = Rule(
            code=code,
            slug=slug,
            severity=severity,
            enforces=enforces,
            check=function,
            scope=scope,
            docstring=function.__doc__ or "",
            passes=passing,
            fails=failing,
        )
        return function

    return register


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The most severe first; within a severity, plan order (day, dose), then code."""
    return sorted(
        findings,
        key=lambda f: (-SEVERITY_RANK[f.severity], f.day or 0, f.dose or 0, f.code),
    )


# A message about one day starts "Day 5: " or "Day 5 (2026-12-05): "; what follows is
# what the runs of days compare.
_DAY_PREFIX = re.compile(r"^Day (\d+)(?: \((\d{4}-\d{2}-\d{2})\))?: ")


def collapse_runs(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per rule per run of consecutive days with the same message: "Days
    4–6: 100 mg in the day, over the 80 mg daily maximum." (the run's first dose and
    instant are kept; `last_day` ends the run). Findings about no day stay as they are."""
    kept: list[Finding] = []
    open_runs: dict[tuple[str, str, str], int] = {}  # (code, severity, rest) → index in kept
    for finding in sorted(findings, key=lambda f: (f.day or 0, f.dose or 0)):
        match = _DAY_PREFIX.match(finding.message)
        if finding.day is None or match is None or int(match.group(1)) != finding.day:
            kept.append(finding)
            continue
        key = (finding.code, finding.severity, finding.message[match.end() :])
        index = open_runs.get(key)
        if index is not None and (kept[index].last_day or kept[index].day or 0) + 1 == finding.day:
            kept[index] = replace(kept[index], last_day=finding.day)
            continue
        open_runs[key] = len(kept)
        kept.append(finding)
    return [_run_message(finding) for finding in kept]


def _run_message(finding: Finding) -> Finding:
    if finding.last_day is None or finding.day is None:
        return finding
    match = _DAY_PREFIX.match(finding.message)
    if match is None:  # a rule that reports a run itself says so in its own words
        return finding
    days = f"Days {finding.day}–{finding.last_day}"
    if match.group(2):
        first = date.fromisoformat(match.group(2))
        last = first + timedelta(days=finding.last_day - finding.day)
        days += f" ({first.isoformat()} to {last.isoformat()})"
    return replace(finding, message=f"{days}: {finding.message[match.end() :]}")


def at_or_above(findings: Iterable[Finding], threshold: str) -> bool:
    """True when any finding is at or above `threshold` ("never" → False)."""
    if threshold == "never":
        return False
    return any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold] for f in findings)
