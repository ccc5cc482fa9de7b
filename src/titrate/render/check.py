"""The student's view of `titrate check`: every finding with the rule's documentation
and the sources it comes from, then the schedule day by day (plain text, no colour)."""

from __future__ import annotations

import re
import textwrap

from titrate.citation import BASIS_TEXT
from titrate.model import Finding, Patient, Plan
from titrate.render.common import SEVERITY_LABEL, mg, number

_KIND = {"custom": "a course", "taper": "a taper", "titration": "a titration"}
_ENDS = {
    "stop": "it ends after its last dose",
    "continue": "its last step continues",
    "review": "its last step continues until the review",
}
_WIDTH = 92


def _patient_line(patient: Patient) -> str | None:
    parts = []
    if patient.name:
        parts.append(patient.name)
    if patient.age_years is not None:
        parts.append(f"age {number(patient.age_years)}")
    if patient.dialysis:
        parts.append("on dialysis")
    if patient.crcl_ml_min is not None:
        parts.append(f"CrCl {number(patient.crcl_ml_min)} mL/min")
    if patient.co_medications:
        parts.append("with " + ", ".join(patient.co_medications))
    if patient.pregnant:
        parts.append("pregnant")
    return "; ".join(parts) if parts else None


def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
    ) or [first or indent]


def _finding_block(index: int, finding: Finding, plan: Plan) -> list[str]:
    from titrate.rules import REGISTRY

    where = ""
    if finding.day is not None:
        day = next((d for d in plan.days if d.day == finding.day), None)
        where = f", day {finding.day}" + (f" ({day.date.isoformat()})" if day else "")
    head = f"{index}. {SEVERITY_LABEL[finding.severity]} {finding.rule} ({finding.code}){where}"
    lines = [head]
    lines += _wrap(finding.message, "   ")
    rule = REGISTRY.get(finding.code)
    if rule is not None and rule.doc:
        doc_lines = rule.doc.splitlines()
        lines.append("   Why: " + doc_lines[0])
        lines += ["        " + line if line else "" for line in doc_lines[1:]]
    basis = f" ({BASIS_TEXT[finding.basis]})" if finding.basis else ""
    citations = re.split(r"; (?=\[)", finding.source) if finding.source else ["(none)"]
    lines.append(f"   Source{basis}:")
    lines += ["     " + citation for citation in citations]
    return lines


def report_text(plan: Plan, checked: str) -> str:
    """The check report for the plan read from `checked` (a file name)."""
    lines = [f"titrate check: {checked}"]
    lines.append(f"Checked against: {plan.regimen.name} ({plan.regimen.id})")
    first = plan.days[0].date.isoformat() if plan.days else plan.start.isoformat()
    last = plan.days[-1].date.isoformat() if plan.days else first
    lines.append(
        f"Plan: {_KIND[plan.kind]}: {_ENDS[plan.ends]}; {len(plan.days)} days, "
        f"{len(plan.doses)} doses, {first} to {last}; "
        f"daily maximum {mg(plan.regimen.max_daily_mg)}."
    )
    patient = _patient_line(plan.patient)
    if patient:
        lines.append(f"Patient: {patient}")
    if plan.review_by is not None:
        review = plan.review_by
        lines += _wrap(
            f"Review by {review.date.isoformat()} (day {review.day}): {review.text}", "  ", ""
        )
    lines.append("")
    counts = {
        severity: sum(1 for f in plan.findings if f.severity == severity)
        for severity in ("error", "warning", "info")
    }
    if plan.findings:
        summary = ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items() if n)
        lines.append(f"{len(plan.findings)} finding(s): {summary}.")
        for index, finding in enumerate(plan.findings, start=1):
            lines.append("")
            lines += _finding_block(index, finding, plan)
    else:
        lines.append("No findings: the plan keeps to every rule of the regimen that applies.")
    lines += ["", "Days:", "  Day  Date        Doses                      Day total  Findings"]
    doses_by_day: dict[int, list[str]] = {}
    for dose in plan.doses:
        doses_by_day.setdefault(dose.day, []).append(mg(dose.dose_mg))
    for day in plan.days:
        amounts = doses_by_day.get(day.day, [])
        if amounts and len(set(amounts)) == 1:
            given = f"{len(amounts)} × {amounts[0]}"
        else:
            given = " + ".join(amounts) or "none"
        flags = ", ".join(f"{f.severity.upper()} {f.rule}" for f in plan.findings_for_day(day.day))
        row = f"  {day.day:>3}  {day.date.isoformat()}  {given:<26} {mg(day.total_mg):>9}"
        lines.append(f"{row}  {flags}".rstrip())
    if plan.notes:
        lines += ["", "Notes:"]
        for note in plan.notes:
            lines += _wrap(note, "    ", "  - ")
    if plan.notices:
        lines.append("")
        for notice in plan.notices:
            lines += _wrap(notice.text, "    ", "  ! ")
    lines += ["", "Sources:"]
    for source in plan.sources:
        section = f", {source.section}" if source.section else ""
        lines.append(f"  [{source.id}] {source.title}{section}")
        lines.append(f"       {source.url} (retrieved {source.retrieved.isoformat()})")
    lines += ["", plan.disclaimer]
    return "\n".join(lines) + "\n"
