"""Dose-log audit as a terminal table (rich, imported only for the table) or JSON.
Formats only: statuses, totals and findings come from titrate.core.audit and its rules."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from titrate.model import AuditResult, DoseStatus, Finding
from titrate.render.common import finding_line, mg

AUDIT_SCHEMA_ID = "https://titrate.invalid/schema/audit-1.json"

_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
_STATUS_STYLE = {"missed": "yellow", "late": "yellow", "extra": "bold red", "pending": "dim"}


def render(result: AuditResult, fmt: str, width: int = 100, color: bool = False) -> str:
    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    return audit_text(result, width, color)


def _clock(instant: datetime | None, result: AuditResult, with_date: bool = True) -> str:
    from titrate.clock import zone

    if instant is None:
        return ""
    local = instant.astimezone(zone(result.timezone))
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def _offset(minutes: int | None) -> str:
    if minutes is None or minutes == 0:
        return ""
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f" ({sign}{hours}h{rest:02d})"


def _logged(instant: datetime, on: str, result: AuditResult) -> str:
    """`14:05`, or `2026-12-03 01:10` when logged on another date than the row's."""
    text = _clock(instant, result)
    return text[11:] if text[:10] == on else text


def _row_findings(row: DoseStatus, findings: list[Finding]) -> list[Finding]:
    if row.dose is None or row.status == "extra":
        return []
    return [finding for finding in findings if finding.dose == row.dose and finding.day == row.day]


def audit_text(result: AuditResult, width: int = 100, color: bool = False) -> str:
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        markup=False,
    )
    console.print(
        Text(
            f"Dose-log audit: {result.regimen.name}, plan starting {result.plan_start}",
            style="bold",
        )
    )
    counts = ", ".join(f"{count} {name}" for name, count in result.summary.items() if count)
    console.print(
        f"Log {result.log}: {result.entries} row(s). Audited as of "
        f"{_clock(result.as_of, result)} ({result.timezone}). {counts or 'no doses'}."
    )
    if result.rejected_rows:
        console.print()
        console.print(
            Text(
                f"Unreadable rows ({len(result.rejected_rows)}), left out of the audit:",
                style="bold red",
            )
        )
        for rejected in result.rejected_rows:
            console.print(Text(f"  line {rejected.line}: {rejected.message}", style="red"))
    console.print()
    if result.findings:
        console.print(Text(f"Findings ({len(result.findings)}):", style="bold"))
        for finding in result.findings:
            console.print(Text("  " + finding_line(finding), style=_STYLE[finding.severity]))
    else:
        console.print("No findings: the log matches the plan.")
    console.print()

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Dose", justify="right", no_wrap=True)
    table.add_column("Day", justify="right", no_wrap=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Time", no_wrap=True)
    table.add_column("Planned", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Logged", overflow="fold")
    table.add_column("Line", justify="right", overflow="fold")
    table.add_column("Taken", justify="right", no_wrap=True)
    table.add_column("Findings", overflow="fold", min_width=19)
    shown_date = ""
    for row in result.doses:
        when = row.scheduled_at or (row.entries[0].taken_at if row.entries else None)
        on = _clock(when, result)[:10]
        logged = ", ".join(_logged(entry.taken_at, on, result) for entry in row.entries)
        if row.entries:
            logged += _offset(row.minutes_from_schedule)
        notes = Text("; ").join(
            Text(f"{finding.severity.upper()} {finding.rule}", style=_STYLE[finding.severity])
            for finding in _row_findings(row, result.findings)
        )
        scheduled = row.scheduled_at is not None
        table.add_row(
            str(row.dose) if scheduled else "",
            str(row.day) if scheduled and row.day is not None else "",
            on if on != shown_date else "",
            _clock(row.scheduled_at, result, with_date=False),
            mg(row.scheduled_mg) if row.scheduled_mg is not None else "",
            Text(row.status, style=_STATUS_STYLE.get(row.status, "")),
            logged,
            ",".join(str(entry.line) for entry in row.entries),
            mg(row.taken_mg) if row.entries else "",
            notes,
        )
        shown_date = on
    console.print(table)

    days = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title_justify="left")
    days.add_column("Date", no_wrap=True)
    days.add_column("Day", justify="right", no_wrap=True)
    days.add_column("Planned", justify="right", no_wrap=True)
    days.add_column("Logged", justify="right", no_wrap=True)
    days.add_column("Findings", overflow="fold")
    for day in result.days:
        flagged = [
            finding
            for finding in result.findings
            if finding.rule == "over-daily-max" and finding.day == day.day and day.day is not None
        ]
        days.add_row(
            day.date.isoformat(),
            str(day.day) if day.day is not None else "",
            mg(day.planned_mg),
            mg(day.taken_mg),
            Text("; ").join(
                Text(f"{f.severity.upper()} {f.rule}", style=_STYLE[f.severity]) for f in flagged
            ),
        )
    console.print(Text("Daily totals:", style="bold"))
    console.print(days)

    for note in result.notes:
        console.print(f"Note: {note}")
    console.print()
    console.print(Text("Sources:", style="bold"))
    for source in result.sources:
        section = f", {source.section}" if source.section else ""
        console.print(
            f"  [{source.id}] {source.title}{section}. {source.url} (retrieved {source.retrieved})"
        )
    console.print(Text(result.disclaimer, style="italic"))
    return out.getvalue()


def audit_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the audit JSON."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": AUDIT_SCHEMA_ID,
        **AuditResult.model_json_schema(mode="serialization"),
    }


def audit_schema_text() -> str:
    return json.dumps(audit_schema(), indent=2) + "\n"
