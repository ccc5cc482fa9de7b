"""Markdown: the schedule, findings and sources as a document students paste into notes.

Built from the shared view model, like HTML and PDF. Every piece of text is escaped
(CommonMark backslash escapes), so a name such as `<script>` or `*x*` prints literally
and a `|` cannot break a table; `<https://…>` autolinks in citations stay links.
"""

from __future__ import annotations

import re

from titrate.model import Plan
from titrate.render import RenderOptions
from titrate.render.view import DayView, DoseRow, PlanView, StepRun, build_view, uncited_note

# Characters with meaning in Markdown (emphasis, code, links, tables, headings, entities,
# inline HTML); CommonMark lets a backslash escape any of them.
_SPECIAL = re.compile(r"([\\`*_\[\]|#&~<>])")
_AUTOLINK = re.compile(r"(<https?://[^\s<>]+>)")


# GitHub-flavoured Markdown also links bare `http://…` and `www.…`; an escaped character
# in them stops that, so a URL typed into a name stays text.
_BARE_LINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|\b(www)(\.)")


def _unlinked(text: str) -> str:
    return _BARE_LINK.sub(lambda m: "\\:" if m.group(1) else f"{m.group(2)}\\.", text)


def md(text: str) -> str:
    """Escape text for Markdown (inline, one line); `<https://…>` autolinks stay links."""
    parts = _AUTOLINK.split(" ".join(text.split()))
    return "".join(
        part if index % 2 else _unlinked(_SPECIAL.sub(r"\\\1", part))
        for index, part in enumerate(parts)
    )


def url(address: str) -> str:
    """A URL for an autolink: `<`, `>` and spaces would end it early."""
    return address.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def _table(header: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    rule = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule[a] for a in align) + "|"]
    lines += ["| " + " | ".join(cell if cell else " " for cell in row) + " |" for row in rows]
    return lines


def _day_rows(view: PlanView, day: DayView) -> list[list[str]]:
    marks = [
        f"**{finding.label}** {md(finding.rule)}: {md(finding.message)}" for finding in day.findings
    ]
    if day.review is not None:
        marks.append(f"**⚑ REVIEW DAY** {md(day.review.text)}")
    findings = "<br>".join(marks)
    rows: list[list[str]] = []
    doses: list[DoseRow | None] = list(day.doses) or [None]
    for index, dose in enumerate(doses):
        first = index == 0
        row = [
            ("⚠ " if first and day.worst else "") + (str(day.day) if first else ""),
            md(day.date_text) if first else "",
            dose.time if dose else "no doses",
            md(dose.dose) if dose else "",
        ]
        if view.has_amounts:
            row.append(md(dose.amount) if dose else "")
        row += [
            "☐" if dose else "",
            f"**{md(day.total)}**" if first else "",
            findings if first else "",
        ]
        rows.append(row)
    return rows


def _schedule(view: PlanView) -> list[str]:
    header = ["Day", "Date", "Time", "Dose"]
    align = ["r", "l", "l", "r"]
    if view.has_amounts:
        header.append("Amount")
        align.append("l")
    header += ["Taken", "Day total", "Findings"]
    align += ["c", "r", "l"]
    lines: list[str] = ["## Schedule", ""]
    run: StepRun | None = None
    rows: list[list[str]] = []
    for day in view.days:
        if day.starts_run:
            if run is not None:
                lines += [*_table(header, align, rows), ""]
            run, rows = day.run, []
            marker = "▶ " if run.starts_new_step and run.sequence > 1 else ""
            lines += [f"### {marker}{md(run.caption())}", ""]
        rows += _day_rows(view, day)
    if run is not None:
        lines += [*_table(header, align, rows), ""]
    if view.then is not None:
        lines += [f"**Then:** {md(view.then)}", ""]
    review = view.review_after_plan
    if review is not None:
        lines += [
            f"### ⚑ Day {review.day} · {md(review.date_text)}: review by this date "
            "(after the last day of this plan)",
            "",
            f"{md(review.text)} Source: {md(review.source_short)}",
            "",
        ]
    return lines


def render(plan: Plan, options: RenderOptions) -> str:
    view = build_view(plan, options)
    who = f" for {md(view.patient)}" if view.patient else ""
    lines = [f"# {md(view.regimen_name)}: {view.kind}{who}", "", md(view.summary), ""]
    lines += _table(
        ["Field", "Value"],
        ["l", "l"],
        [[f"**{field.label}**", md(field.value)] for field in view.header],
    )
    lines += ["", "## Findings", ""]
    if view.findings:
        count = len(view.alerts)
        verdict = "DO NOT USE AS WRITTEN" if view.error_count else "CHECK BEFORE USE"
        lines.append(
            f"> **⚠ {verdict}: {count} finding{'' if count == 1 else 's'} "
            "against the regimen's rules**"
        )
        lines.append(">")
        for finding in view.findings:
            where = f", day {finding.day}" if finding.day else ""
            basis = f" ({md(finding.basis)})" if finding.basis else ""
            lines.append(
                f"> - **{finding.label}** `{finding.rule}` ({finding.code}){where}: "
                f"{md(finding.message)} Source: {md(finding.source_short)}{basis}"
            )
        lines += ["", "### Rules broken and where they come from", ""]
        for rule in view.rules_broken:
            days = ", ".join(str(day) for day in rule.days)
            on_days = f" (day{'s' if len(rule.days) > 1 else ''} {days})" if days else ""
            basis = f" Basis: {md(rule.basis)}." if rule.basis else ""
            lines.append(
                f"- **{rule.label}** `{rule.rule}` ({rule.code}){on_days}: "
                f"{md(rule.source)}.{basis}"
            )
    else:
        lines.append("No findings: every day stays within the regimen's limits.")
    lines.append("")
    for notice in view.boxed_notices:
        lines += [
            f"> **⚠ BOXED WARNING:** {md(notice.text)} Source: {md(notice.source_short)}",
            "",
        ]
    if view.review is not None:
        after = "" if view.review.within_plan else ", after the last day of this plan"
        lines += [
            f"> **⚑ REVIEW BY {md(view.review.when)}{after}:** {md(view.review.text)} "
            f"Source: {md(view.review.source_short)} ({md(view.review.basis)})",
            "",
        ]
    lines += _schedule(view)
    if view.other_notices:
        lines += ["## Important", ""]
        for notice in view.other_notices:
            if notice.heading:
                lines += [f"### {md(notice.heading)}", ""]
            lines += [md(notice.text), "", f"Source: {md(notice.source)}", ""]
    if view.product_name:
        lines += [f"## {md(view.product_name)}", ""]
        if view.storage:
            lines += [f"**Storage:** {md(view.storage)}", ""]
        lines += [f"- **How to take:** {md(line)}" for line in view.administration]
        lines += [f"- {md(line)}" for line in view.product_notes]
        if view.administration or view.product_notes:
            lines.append("")
        if view.product_source:
            lines += [f"Source: {md(view.product_source)}", ""]
    if view.dispense:
        lines += ["## Dispensing summary", ""]
        lines += _table(
            ["For", "Item", "Quantity", "Detail", "Dispensed"],
            ["l", "l", "r", "l", "c"],
            [
                [md(row.scope), md(row.item), md(row.quantity), md(row.text), "☐"]
                for row in view.dispense
            ],
        )
        lines.append("")
    if view.notes:
        lines += ["## Notes", ""]
        lines += [f"- {md(note)}" for note in view.notes]
        lines.append("")
    lines += ["## Sources", ""]
    for source in view.cited_sources:
        section = f", {md(source.section)}" if source.section else ""
        lines.append(
            f"- \\[{md(source.id)}\\] {md(source.title)}{section}. <{url(source.url)}> "
            f"(retrieved {source.retrieved})"
        )
    more = uncited_note(plan, len(view.cited_sources))
    if more is not None:  # a regimen id is letters, digits and `-`: safe in a code span
        lines += ["", f"{more[0]} `{more[1]}`."]
    lines += ["", "---", "", f"*{md(view.disclaimer)}*", ""]
    return "\n".join(lines)
