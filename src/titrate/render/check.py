"""The student's view of `titrate check`: every finding with the rule's documentation
and the sources it comes from, then the schedule day by day (plain text, no colour).

Fits the terminal's width as the plan table does: prose wraps at spaces with a hanging
indent (render.wrap), never inside an amount or a rule slug; a web address too long for
a line breaks after a `/`; the days table keeps every cell whole (render.grid).
"""

from __future__ import annotations

import re

from titrate.citation import BASIS_TEXT
from titrate.model import Finding, Patient, Plan
from titrate.render.common import SEVERITY_LABEL, mg, number
from titrate.render.wrap import wrap

_KIND = {"custom": "a course", "taper": "a taper", "titration": "a titration"}
_ENDS = {
    "stop": "it ends after its last dose",
    "continue": "its last step continues",
    "review": "its last step continues until the review",
}
# A line of a rule's documentation that starts a paragraph: `What it does:`, `Fails:`…
_DOC_LABEL = re.compile(r"^[A-Z][A-Za-z ]{0,20}:")


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


def _doc_paragraphs(doc: str) -> list[str]:
    """A rule's documentation after its first line, reflowed: one string per paragraph
    (a line that starts with a label or follows a blank line), "" for a blank line."""
    paragraphs: list[str] = []
    fresh = True
    for line in doc.splitlines()[1:]:
        if not line.strip():
            paragraphs.append("")
            fresh = True
        elif fresh or _DOC_LABEL.match(line):
            paragraphs.append(line.strip())
            fresh = False
        else:
            paragraphs[-1] += " " + line.strip()
    return paragraphs


def _finding_block(index: int, finding: Finding, plan: Plan, width: int) -> list[str]:
    from titrate.rules import REGISTRY

    where = ""
    if finding.day is not None:
        day = next((d for d in plan.days if d.day == finding.day), None)
        where = f", day {finding.day}" + (f" ({day.date.isoformat()})" if day else "")
    head = f"{index}. {SEVERITY_LABEL[finding.severity]} {finding.rule} ({finding.code}){where}"
    lines = wrap(head, width, hang="   ")
    lines += wrap(finding.message, width, "   ")
    rule = REGISTRY.get(finding.code)
    if rule is not None and rule.doc:
        lines += wrap("Why: " + rule.doc.splitlines()[0], width, "   ", " " * 8)
        for paragraph in _doc_paragraphs(rule.doc):
            label, _, text = paragraph.partition(" ")
            if label in ("Passes:", "Fails:"):  # the example's text aligned under the last
                lines += wrap(text, width, " " * 8 + label.ljust(8), " " * 16)
            else:
                lines += wrap(paragraph, width, " " * 8) if paragraph else [""]
    basis = f" ({BASIS_TEXT[finding.basis]})" if finding.basis else ""
    citations = re.split(r"; (?=\[)", finding.source) if finding.source else ["(none)"]
    lines.append(f"   Source{basis}:")
    for citation in citations:
        lines += wrap(citation, width, " " * 5, " " * 7)
    return lines


def _days(plan: Plan, width: int) -> list[str]:
    """The schedule a day a line; a day's findings beside it, or under it when they do not
    fit beside."""
    from rich.text import Text

    from titrate.render.grid import Block, Column, beside_width, grid, widths

    columns: list[Column] = [("Day", True), ("Date", False), ("Doses", False), ("Day total", True)]
    doses_by_day: dict[int, list[str]] = {}
    for dose in plan.doses:
        doses_by_day.setdefault(dose.day, []).append(mg(dose.dose_mg))
    blocks = []
    for day in plan.days:
        amounts = doses_by_day.get(day.day, [])
        if amounts and len(set(amounts)) == 1:
            given = f"{len(amounts)} × {amounts[0]}"
        else:
            given = " + ".join(amounts) or "none"
        cells = [Text(str(day.day)), Text(day.date.isoformat()), Text(given)]
        flags = [Text(f"{f.severity.upper()} {f.rule}") for f in plan.findings_for_day(day.day)]
        blocks.append(Block([[*cells, Text(mg(day.total_mg))]], flags))
    sizes = widths(columns, blocks)
    notes = beside_width(blocks, width - sum(sizes) - 2 * len(sizes), "Findings")
    if notes is None:
        lines = grid(columns, sizes, blocks, width, beside=False, gap=2)
    else:
        beside = [*columns, ("Findings", False)]
        lines = grid(beside, [*sizes, notes], blocks, width, beside=True, gap=2)
    return [line.plain for line in lines]


def report_text(plan: Plan, checked: str, width: int = 100) -> str:
    """The check report for the plan read from `checked` (a file name), for a terminal of
    `width` columns."""

    def say(text: str, indent: str = "", hang: str = "  ") -> list[str]:
        return wrap(text, width, indent, hang)

    lines = say(f"titrate check: {checked}")
    lines += say(f"Checked against: {plan.regimen.name} ({plan.regimen.id})")
    first = plan.days[0].date.isoformat() if plan.days else plan.start.isoformat()
    last = plan.days[-1].date.isoformat() if plan.days else first
    lines += say(
        f"Plan: {_KIND[plan.kind]}: {_ENDS[plan.ends]}; {len(plan.days)} days, "
        f"{len(plan.doses)} doses, {first} to {last}; "
        f"daily maximum {mg(plan.regimen.max_daily_mg)}."
    )
    patient = _patient_line(plan.patient)
    if patient:
        lines += say(f"Patient: {patient}")
    if plan.review_by is not None:
        review = plan.review_by
        lines += say(f"Review by {review.date.isoformat()} (day {review.day}): {review.text}")
    lines.append("")
    counts = {
        severity: sum(1 for f in plan.findings if f.severity == severity)
        for severity in ("error", "warning", "info")
    }
    if plan.findings:
        summary = ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items() if n)
        lines += say(f"{len(plan.findings)} finding(s): {summary}.")
        for index, finding in enumerate(plan.findings, start=1):
            lines.append("")
            lines += _finding_block(index, finding, plan, width)
    else:
        lines += say("No findings: the plan keeps to every rule of the regimen that applies.")
    lines += ["", "Days:", *_days(plan, width)]
    if plan.notes:
        lines += ["", "Notes:"]
        for note in plan.notes:
            lines += say(note, "  - ", "    ")
    if plan.notices:
        lines.append("")
        for notice in plan.notices:
            lines += say(notice.text, "  ! ", "    ")
    lines += ["", "Sources:"]
    for source in plan.sources:
        section = f", {source.section}" if source.section else ""
        lines += say(f"[{source.id}] {source.title}{section}", "  ", "       ")
        lines += say(f"{source.url} (retrieved {source.retrieved.isoformat()})", " " * 7, " " * 7)
    lines += ["", *say(plan.disclaimer, hang="")]
    return "\n".join(lines) + "\n"
