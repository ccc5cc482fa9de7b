"""Dose-log audit as a terminal table (rich, imported only for the table) or JSON.
Formats only: statuses, totals and findings come from titrate.core.audit and its rules."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from titrate.model import AuditResult, DoseStatus, Finding
from titrate.model.jsonout import dump_json
from titrate.render.common import finding_line, mg
from titrate.render.wrap import wrap

if TYPE_CHECKING:  # rich (through render.grid) is imported only when a table is printed
    from rich.text import Text

    from titrate.render.grid import Block, Column

AUDIT_SCHEMA_ID = "https://titrate.invalid/schema/audit-1.json"

_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
_STATUS_STYLE = {"missed": "yellow", "late": "yellow", "extra": "bold red", "pending": "dim"}


def render(result: AuditResult, fmt: str, width: int = 100, color: bool = False) -> str:
    if fmt == "json":
        return dump_json(result, indent=2) + "\n"
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


_DOSE_COLUMNS: list[Column] = [
    ("Dose", True),
    ("Day", True),
    ("Date", False),
    ("Time", False),
    ("Planned", True),
    ("Status", False),
    ("Logged", False),
    ("Line", True),
    ("Taken", True),
]
_BY_DATE = {"Day", "Date"}  # the columns a narrow layout moves into a heading per date
_GAP, _GAP_DAYS = 2, 3


def _dose_blocks(result: AuditResult, by_date: bool, split: bool) -> list[Block]:
    """A block per dose row, its findings as notes. `split`: each log entry (and the
    offset from the scheduled time) on a line of its own; `by_date`: the day and date in
    a heading line above the first row of each date instead of in columns."""
    from rich.text import Text

    from titrate.render.grid import Block

    blocks: list[Block] = []
    shown = ""
    for row in result.doses:
        when = row.scheduled_at or (row.entries[0].taken_at if row.entries else None)
        on = _clock(when, result)[:10]
        logged = [_logged(entry.taken_at, on, result) for entry in row.entries]
        lines_ = [str(entry.line) for entry in row.entries]
        offset = _offset(row.minutes_from_schedule).strip() if row.entries else ""
        if split:
            logged, lines_ = logged + ([offset] if offset else []), lines_
        else:
            logged = [" ".join(filter(None, (", ".join(logged), offset)))]
            lines_ = [",".join(lines_)]
        scheduled = row.scheduled_at is not None
        day = str(row.day) if scheduled and row.day is not None else ""
        first = [
            Text(str(row.dose) if scheduled else ""),
            Text(day),
            Text(on if on != shown else ""),
            Text(_clock(row.scheduled_at, result, with_date=False)),
            Text(mg(row.scheduled_mg) if row.scheduled_mg is not None else ""),
            Text(row.status, style=_STATUS_STYLE.get(row.status, "")),
            Text(logged[0] if logged else ""),
            Text(lines_[0] if lines_ else ""),
            Text(mg(row.taken_mg) if row.entries else ""),
        ]
        cells = [first]
        for at in range(1, max(len(logged), len(lines_))):
            more = [Text("") for _ in _DOSE_COLUMNS]
            more[6] = Text(logged[at] if at < len(logged) else "")
            more[7] = Text(lines_[at] if at < len(lines_) else "")
            cells.append(more)
        heading = None
        if by_date:
            if on != shown:
                heading = Text(f"Day {day}  {on}" if day else on, style="bold")
            cells = [[cell for cell, (name, _) in zip(line, _DOSE_COLUMNS, strict=True)
                      if name not in _BY_DATE] for line in cells]  # fmt: skip
        notes = [
            Text(f"{finding.severity.upper()} {finding.rule}", style=_STYLE[finding.severity])
            for finding in _row_findings(row, result.findings)
        ]
        blocks.append(Block(cells, notes, heading))
        shown = on
    return blocks


def _dose_table(result: AuditResult, width: int) -> list[Text]:
    """The doses, in the widest layout that fits: findings beside the row, else under it;
    then each log entry on its own line; then the date as a heading; then a 1-space gap."""
    from titrate.render.grid import beside_width, fits, grid, widths

    for by_date, split in ((False, False), (False, True), (True, False), (True, True)):
        blocks = _dose_blocks(result, by_date, split)
        columns = [column for column in _DOSE_COLUMNS if not by_date or column[0] not in _BY_DATE]
        sizes = widths(columns, blocks)
        if not (by_date or split):
            room = width - sum(sizes) - _GAP * len(sizes)
            notes = beside_width(blocks, room, "Findings")
            if notes is not None:
                beside = [*columns, ("Findings", False)]
                return grid(beside, [*sizes, notes], blocks, width, beside=True, gap=_GAP)
        if fits(sizes, _GAP, width):
            return grid(columns, sizes, blocks, width, beside=False, gap=_GAP)
    return grid(columns, sizes, blocks, width, beside=False, gap=1)


def _days_table(result: AuditResult, width: int) -> list[Text]:
    """Daily totals: planned and logged mg a day, an over-daily-max finding beside (or
    under) its day."""
    from rich.text import Text

    from titrate.render.grid import Block, beside_width, grid, widths

    columns: list[Column] = [("Date", False), ("Day", True), ("Planned", True), ("Logged", True)]
    blocks = [
        Block(
            [[
                Text(day.date.isoformat()),
                Text(str(day.day) if day.day is not None else ""),
                Text(mg(day.planned_mg)),
                Text(mg(day.taken_mg)),
            ]],
            [
                Text(f"{f.severity.upper()} {f.rule}", style=_STYLE[f.severity])
                for f in result.findings
                if f.rule == "over-daily-max" and f.day == day.day and day.day is not None
            ],
        )
        for day in result.days
    ]  # fmt: skip
    sizes = widths(columns, blocks)
    notes = beside_width(blocks, width - sum(sizes) - _GAP_DAYS * len(sizes), "Findings")
    if notes is None:
        return grid(columns, sizes, blocks, width, beside=False, gap=_GAP_DAYS)
    beside = [*columns, ("Findings", False)]
    return grid(beside, [*sizes, notes], blocks, width, beside=True, gap=_GAP_DAYS)


def audit_text(result: AuditResult, width: int = 100, color: bool = False) -> str:
    """The audit for a terminal of `width` columns: no word, rule slug, time or amount
    broken across lines (prose wraps at spaces, the tables choose a layout that fits)."""
    import io

    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        soft_wrap=True,  # the lines are already wrapped here
        markup=False,
    )

    def say(text: str, style: str = "", indent: str = "", hang: str = "  ") -> None:
        for line in wrap(text, width, indent, hang):
            console.print(Text(line, style=style))

    say(f"Dose-log audit: {result.regimen.name}, plan starting {result.plan_start}", "bold")
    counts = ", ".join(f"{count} {name}" for name, count in result.summary.items() if count)
    say(
        f"Log {result.log}: {result.entries} row(s). Audited as of "
        f"{_clock(result.as_of, result)} ({result.timezone}). {counts or 'no doses'}."
    )
    if result.rejected_rows:
        console.print()
        say(f"Unreadable rows ({len(result.rejected_rows)}), left out of the audit:", "bold red")
        for rejected in result.rejected_rows:
            say(f"line {rejected.line}: {rejected.message}", "red", "  ", "    ")
    console.print()
    if result.findings:
        say(f"Findings ({len(result.findings)}):", "bold")
        for finding in result.findings:
            say(finding_line(finding), _STYLE[finding.severity], "  ", "    ")
    else:
        say("No findings: the log matches the plan.")
    console.print()
    for line in _dose_table(result, width):
        console.print(line)
    console.print()
    say("Daily totals:", "bold")
    for line in _days_table(result, width):
        console.print(line)
    for note in result.notes:
        say(f"Note: {note}")
    console.print()
    say("Sources:", "bold")
    for source in result.sources:
        section = f", {source.section}" if source.section else ""
        say(
            f"[{source.id}] {source.title}{section}. {source.url} (retrieved {source.retrieved})",
            indent="  ",
            hang="    ",
        )
    say(result.disclaimer, "italic")
    return out.getvalue()


def audit_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the audit JSON (from its edge model)."""
    from titrate.schema.audit import AuditResult as AuditResultModel

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": AUDIT_SCHEMA_ID,
        **AuditResultModel.model_json_schema(mode="serialization"),
    }


def audit_schema_text() -> str:
    return json.dumps(audit_schema(), indent=2) + "\n"
