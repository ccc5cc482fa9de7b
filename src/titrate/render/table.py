"""Terminal table (rich): grouped by day, findings beside their day, readable at 80
columns and without colour."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from titrate.model import Plan
from titrate.render import RenderOptions
from titrate.render.common import finding_line, mg, title

_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}


def render(plan: Plan, options: RenderOptions) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=options.width,
        force_terminal=options.color,
        color_system="standard" if options.color else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        markup=False,
    )
    console.print(Text(title(plan), style="bold"))
    console.print(
        f"{len(plan.days)} days, {len(plan.doses)} doses, {mg(plan.total_mg)} in all; "
        f"daily maximum {mg(plan.regimen.max_daily_mg)}; times in {plan.timezone}."
    )
    if plan.findings:
        console.print()
        console.print(Text(f"Findings ({len(plan.findings)}):", style="bold"))
        for finding in plan.findings:
            console.print(Text("  " + finding_line(finding), style=_STYLE[finding.severity]))
    else:
        console.print("No findings: the plan stays within the regimen's limits.")
    console.print()

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("Day", justify="right", no_wrap=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Time", no_wrap=True)
    table.add_column("Dose", justify="right", no_wrap=True)
    table.add_column("Day total", justify="right", no_wrap=True)
    table.add_column("Notes", overflow="fold")
    doses_by_day: dict[int, list[str]] = {}
    for dose in plan.doses:
        doses_by_day.setdefault(dose.day, []).append(dose.at.strftime("%H:%M") + "|" + mg(dose.dose_mg))
    previous_step = 0
    for day in plan.days:
        notes: list[Text] = []
        if day.step != previous_step:
            notes.append(Text(f"step {day.step}" + (" starts" if previous_step else ""), style="bold"))
        for finding in plan.findings_for_day(day.day):
            notes.append(Text(f"{finding.severity.upper()} {finding.rule}", style=_STYLE[finding.severity]))
        rows = doses_by_day.get(day.day, [])
        for index, row in enumerate(rows):
            clock, amount = row.split("|")
            first = index == 0
            table.add_row(
                str(day.day) if first else "",
                day.date.isoformat() if first else "",
                clock,
                amount,
                mg(day.total_mg) if first else "",
                Text("; ").join(notes) if first else "",
                end_section=index == len(rows) - 1,
            )
        previous_step = day.step
    console.print(table)

    for note in plan.notes:
        console.print(f"Note: {note}")
    for notice in plan.notices:
        console.print(Text(f"! {notice.text}"))
    console.print()
    console.print(Text("Sources:", style="bold"))
    for source in plan.sources:
        section = f", {source.section}" if source.section else ""
        console.print(f"  [{source.id}] {source.title}{section}. {source.url} (retrieved {source.retrieved})")
    console.print(Text(plan.disclaimer, style="italic"))
    return out.getvalue()
