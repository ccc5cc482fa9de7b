"""Findings as the printed formats show them: one line per rule in the top box, each
finding beside every day of its run, the rules broken with their sources."""

from __future__ import annotations

import re
from dataclasses import dataclass

from titrate.citation import BASIS_TEXT
from titrate.model import Finding, Plan
from titrate.render.common import SEVERITY_LABEL, finding_line

_CITED_ID = re.compile(r"\[([A-Za-z0-9_.-]{1,32})\]")


def short_citation(citation: str) -> str:
    """`[B1] Title, section <url>; [O1] …` → `[B1] [O1]`: the printed page lists each
    source in full once, at the end. A citation in another shape is kept whole."""
    ids = _CITED_ID.findall(citation)
    return " ".join(f"[{source_id}]" for source_id in ids) if ids else citation


def finding_day(plan: Plan, finding: Finding) -> int | None:
    """The plan day a finding sits beside (a dose-only finding sits beside its dose's day)."""
    if finding.day is not None:
        return finding.day
    if finding.dose is not None:
        for dose in plan.doses:
            if dose.number == finding.dose:
                return dose.day
    return None


def finding_days(plan: Plan, finding: Finding) -> list[int]:
    """Every plan day a finding sits beside: its day, or its run of days (… last_day)."""
    first = finding_day(plan, finding)
    if first is None:
        return []
    return list(range(first, (finding.last_day or first) + 1))


@dataclass(frozen=True)
class FindingView:
    severity: str
    label: str  # ERROR / WARNING / NOTE: the severity in words, never colour alone
    rule: str
    code: str
    message: str
    source: str
    source_short: str  # "[B1] [O1]": the ids of the sources listed at the end
    basis: str | None  # e.g. "implied by the label's wording …"
    day: int | None
    line: str  # "ERROR over-daily-max (TT101): message"
    last_day: int | None = None  # a run of days (day … last_day) with the same finding

    @property
    def days(self) -> list[int]:
        if self.day is None:
            return []
        return list(range(self.day, (self.last_day or self.day) + 1))

    def about(self, day: int) -> bool:
        return day in self.days


@dataclass(frozen=True)
class RuleSource:
    """A rule the plan breaks, once, with where it comes from (students ask for this)."""

    label: str
    rule: str
    code: str
    source: str
    basis: str | None
    days: list[int]


@dataclass(frozen=True)
class Alert:
    """One line of the boxed warning at the top of a printed plan: a finding, or one
    rule broken on several days (each day's own message stays beside that day)."""

    severity: str
    label: str
    rule: str
    code: str
    days: list[int]
    message: str
    source_short: str
    basis: str | None
    first_run_length: int = 1  # how many of `days` the message itself is about

    @property
    def text(self) -> str:
        """`ERROR over-daily-max (TT101): Days 4–6 (…): <message>`, and the other days
        where the same rule is broken, once, as ranges."""
        said = self.message.startswith(("Day ", "Days "))
        first_run = self.days[: self.first_run_length]
        where = "" if said or not first_run else f", {days_text(first_run)}"
        others = self.days[self.first_run_length :]
        more = f" Also on {days_text(others)}: see beside each day." if others else ""
        return f"{self.label} {self.rule} ({self.code}){where}: {self.message}{more}"


def days_text(days: list[int]) -> str:
    """[4, 5, 6, 9] → `days 4–6, 9`; [3] → `day 3`."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] + 1 == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs]
    plural = "s" if len(days) > 1 else ""
    return f"day{plural} {', '.join(parts)}"


def finding_view(plan: Plan, finding: Finding) -> FindingView:
    return FindingView(
        severity=finding.severity,
        label=SEVERITY_LABEL[finding.severity],
        rule=finding.rule,
        code=finding.code,
        message=finding.message,
        source=finding.source,
        source_short=short_citation(finding.source),
        basis=BASIS_TEXT[finding.basis] if finding.basis else None,
        day=finding_day(plan, finding),
        line=finding_line(finding),
        last_day=finding.last_day,
    )


def rules_broken(findings: list[FindingView]) -> list[RuleSource]:
    """Each rule among the findings once, in order of first appearance, with its days."""
    by_rule: dict[str, RuleSource] = {}
    for finding in findings:
        known = by_rule.get(finding.rule)
        days = finding.days
        if known is None:
            by_rule[finding.rule] = RuleSource(
                finding.label, finding.rule, finding.code, finding.source, finding.basis, days
            )
        else:
            known.days.extend(day for day in days if day not in known.days)
    return list(by_rule.values())


def alerts(findings: list[FindingView]) -> list[Alert]:
    """The top box: findings of the same rule on several days become one line (the
    first day's message and the other days' numbers); a finding about the whole plan
    is always its own line. Order: first appearance."""
    grouped: dict[str, Alert] = {}
    result: list[Alert] = []
    for finding in findings:
        day = finding.day
        if day is not None and finding.rule in grouped:
            grouped[finding.rule].days.extend(finding.days)
            continue
        alert = Alert(
            severity=finding.severity,
            label=finding.label,
            rule=finding.rule,
            code=finding.code,
            days=finding.days,
            first_run_length=len(finding.days),
            message=finding.message,
            source_short=finding.source_short,
            basis=finding.basis,
        )
        if day is not None:
            grouped[finding.rule] = alert
        result.append(alert)
    return result
