"""Terminal table (rich for styles only): grouped by day, findings beside their day,
readable at 60 columns and more and without colour.

The layout is computed here, not by rich's column shrinking, so that no word, rule slug
or amount is ever broken across lines: from 100 columns the day's notes and findings
sit in a Notes column; below that (or when the Notes would not fit) the layout is
compact: the amount drops its form word (the column header names it) and the notes go
on their own lines under the day. Prose wraps at spaces with a hanging indent; an amount
such as `½ × 10 mg` is one unit; a web address too long for a line breaks after a `/`.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from titrate.model import Plan, ProductRef, Regimen
from titrate.render import RenderOptions
from titrate.render.common import finding_line, mg, number, title
from titrate.render.ending import then_text
from titrate.render.grid import Block, Column, beside_width, fits, grid, widths
from titrate.render.view import cited_ids, uncited_note
from titrate.render.wrap import wrap

_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
WIDE = 100  # from this width the notes have their own column
_GAP_WIDE, _GAP_COMPACT = 3, 2
_HEADER = {"tablet": "Tablets", "capsule": "Capsules", "packet": "Packets"}


def _columns(plan: Plan, compact: bool) -> list[Column]:
    """(header, right-aligned) of the schedule's columns."""
    columns = [("Day", True), ("Date", False), ("Time", False), ("Dose", True)]
    if plan.product is not None:
        units = {dose.amount.unit for dose in plan.doses if dose.amount is not None}
        header = _HEADER.get(units.pop(), "Amount") if compact and len(units) == 1 else "Amount"
        columns.append((header, False))
    columns.append(("Day total", True))
    return columns


def _amount(text: str, unit: str, compact: bool) -> str:
    """`1½ × 10 mg tablet`, or compact `1½ × 10 mg` (the header names the form)."""
    if not compact or unit == "mL":
        return text
    return " + ".join(part.removesuffix(f" {unit}") for part in text.split(" + "))


def _days(plan: Plan, compact: bool) -> list[Block]:
    review = plan.review_by
    days: list[Block] = []
    previous_step = 0
    for day in plan.days:
        notes: list[Text] = []
        if day.step != previous_step:
            notes.append(
                Text(f"step {day.step}" + (" starts" if previous_step else ""), style="bold")
            )
        for finding in plan.findings_for_day(day.day):
            notes.append(
                Text(f"{finding.severity.upper()} {finding.rule}", style=_STYLE[finding.severity])
            )
        if review is not None and day.day == review.day:
            notes.append(Text("REVIEW DAY", style="bold"))
        lines: list[list[Text]] = []
        for dose in (dose for dose in plan.doses if dose.day == day.day):
            first = not lines
            cells = [
                Text(str(day.day) if first else ""),
                Text(day.date.isoformat() if first else ""),
                Text(dose.at.strftime("%H:%M")),
                Text(mg(dose.dose_mg)),
            ]
            if plan.product is not None:
                cells.append(
                    Text(_amount(dose.amount.text, dose.amount.unit, compact))
                    if dose.amount is not None
                    else Text("not measurable", style=_STYLE["error"])
                )
            cells.append(Text(mg(day.total_mg) if first else ""))
            lines.append(cells)
        if not lines:  # a day off (a dose every other day): said, never a silent gap
            width = 5 if plan.product is not None else 4
            lines.append(
                [Text(str(day.day)), Text(day.date.isoformat()), Text("—"), Text("no dose")]
                + [Text("")] * (width - 4)
                + [Text(mg(day.total_mg))]
            )
        days.append(Block(lines, notes))
        previous_step = day.step
    return days


def _split_amounts(days: list[Block], column: int) -> None:
    """Put each part of a mixed amount (`1 × 20 mg + 1 × 5 mg`) on its own line."""
    for day in days:
        split: list[list[Text]] = []
        for cells in day.lines:
            parts = cells[column].plain.split(" + ")
            for index, part in enumerate(parts):
                more = " +" if index < len(parts) - 1 else ""
                text = Text(part + more, style=cells[column].style)
                split.append(
                    [
                        text if at == column else (cell if index == 0 else Text(""))
                        for at, cell in enumerate(cells)
                    ]
                )
        day.lines = split


def _schedule(plan: Plan, width: int) -> list[Text]:
    """The schedule's lines: wide (a Notes column) when it fits, else compact."""
    if width >= WIDE:
        days = _days(plan, compact=False)
        columns = [*_columns(plan, compact=False), ("Notes", False)]
        sizes = widths(columns[:-1], days)
        notes = beside_width(days, width - sum(sizes) - _GAP_WIDE * len(sizes), "Notes")
        if notes is not None:  # every note fits whole beside its day
            sizes.append(notes)
            return grid(columns, sizes, days, width, beside=True, gap=_GAP_WIDE, spaced=True)
    days = _days(plan, compact=True)
    columns = _columns(plan, compact=True)
    sizes = widths(columns, days)
    if plan.product is not None and not fits(sizes, _GAP_COMPACT, width):
        _split_amounts(days, 4)
        sizes = widths(columns, days)
    return grid(columns, sizes, days, width, beside=False, gap=_GAP_COMPACT, spaced=True)


def render(plan: Plan, options: RenderOptions) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=options.width,
        force_terminal=options.color,
        color_system="standard" if options.color else None,
        highlight=False,
        emoji=False,
        soft_wrap=True,  # the lines are already wrapped here
        markup=False,
    )
    width = options.width

    def say(text: str, style: str = "", indent: str = "", hang: str = "  ") -> None:
        for line in wrap(text, width, indent, hang):
            console.print(Text(line, style=style))

    say(title(plan), "bold")
    say(
        f"{len(plan.days)} days, {len(plan.doses)} doses, {mg(plan.total_mg)} in all; "
        f"daily maximum {mg(plan.regimen.max_daily_mg)}; times in {plan.timezone}."
    )
    if plan.product is not None:
        say(f"Product: {product_summary(plan)}.")
    for notice in plan.notices:
        if notice.boxed:  # framed, so it stands out without colour too
            console.print(
                Panel(
                    Text(f"! {notice.text}", style="bold"),
                    title="BOXED WARNING",
                    title_align="left",
                    box=box.DOUBLE,
                    expand=True,
                ),
                soft_wrap=False,
            )
    review = plan.review_by
    if review is not None:
        say(f"Review by {review.date.isoformat()} (day {review.day}): {review.text}", "bold")
    if plan.findings:
        console.print()
        say(f"Findings ({len(plan.findings)}):", "bold")
        for finding in plan.findings:
            say(finding_line(finding), _STYLE[finding.severity], "  ", "    ")
    else:
        say("No findings: the plan stays within the regimen's limits.")
    console.print()
    for line in _schedule(plan, width):
        console.print(line)
    if review is not None and all(day.day != review.day for day in plan.days):
        say(
            f"Day {review.day} ({review.date.isoformat()}): REVIEW BY THIS DATE, after the "
            "last day of this plan (see the top).",
            "bold",
        )

    ending = then_text(plan)
    if ending is not None:
        say(f"Then: {ending}", "bold")
    for note in plan.notes:
        say(f"Note: {note}")
    if plan.product is not None:
        _print_product(say, plan)
    for notice in plan.notices:
        if not notice.boxed:  # boxed warnings are printed at the top
            say(f"! {notice.text}")
    console.print()
    say("Sources:", "bold")
    cited = cited_ids(plan, everything=True)  # as the pharmacist's page: the JSON has all
    shown = [source for source in plan.sources if source.id in cited]
    for source in shown:
        section = f", {source.section}" if source.section else ""
        say(
            f"[{source.id}] {source.title}{section}. {source.url} (retrieved {source.retrieved})",
            indent="  ",
            hang="    ",
        )
    more = uncited_note(plan, len(shown))
    if more is not None:
        say(more[0] + ":", indent="  ", hang="  ")
        say(more[1], indent="    ")
    say(plan.disclaimer, "italic")
    return out.getvalue()


def product_summary(plan: Plan) -> str:
    """`Baclofen tablets: 10 mg tablets used (of 5, 10, 15, 20 mg)`, or a liquid's step."""
    product = plan.product
    assert product is not None
    if product.concentration_mg_per_ml is not None:
        if product.measure_step_ml is None:
            return product.name
        return f"{product.name}, measured in {number(product.measure_step_ml, '0.001')} mL steps"
    used = sorted({line.strength_mg for line in plan.dispense if line.strength_mg is not None})
    available = ", ".join(number(mg_) for mg_ in sorted(product.strengths_mg))
    unit = f"{product.form}s" if product.form != "granules" else "packets"
    if not used:
        return f"{product.name} ({available} mg)"
    shown = ", ".join(number(mg_) for mg_ in used)
    return f"{product.name}: {shown} mg {unit} used (of {available} mg)"


def _print_product(say: Callable[..., None], plan: Plan) -> None:
    """Dispensing summary, storage and administration under the schedule."""
    product = plan.product
    assert product is not None
    say("")
    say("Dispense:", "bold")
    if not plan.dispense:
        say("nothing: no dose can be made from this product.", indent="  ", hang="    ")
    step_days: dict[int, list[int]] = {}
    for day in plan.days:
        step_days.setdefault(day.step, []).append(day.day)
    for line in plan.dispense:
        if line.step is None:
            label = "Whole course"
        else:
            days = step_days.get(line.step, [])
            span = f"day {days[0]}" if len(days) == 1 else f"days {days[0]}-{days[-1]}"
            label = f"Step {line.step} ({span})" if days else f"Step {line.step}"
        say(f"{label}: {line.text}", "bold" if line.step is None else "", "  ", "    ")
    if product.storage:
        say(f"Storage: {product.storage}")
    if product.discard_after_opening_days is not None:
        say(
            f"Discard an opened bottle {product.discard_after_opening_days} days after first "
            "opening, even if not empty."
        )
    for text in product.administration:
        say(f"How to take: {text}")
    for note in product.notes:
        say(f"Product note: {note}")


def products_text(regimen: Regimen, products: list[ProductRef], width: int = 88) -> str:
    """`titrate products REGIMEN`: each product with strengths, storage and sources."""
    lines = [f"Products for {regimen.name} ({regimen.id})", ""]

    def wrapped(text: str, indent: str = "  ", hang: str = "    ") -> None:
        lines.extend(wrap(text, width, indent, hang))

    for product in products:
        default = " (default)" if product.id == regimen.default_product else ""
        wrapped(f"{product.id}{default}: {product.name}", "")
        if product.concentration_mg_per_ml is not None:
            what = f"{product.form}, {number(product.concentration_mg_per_ml)} mg/mL"
            if product.measure_step_ml is not None:
                what += f", measured in {number(product.measure_step_ml, '0.001')} mL steps"
        else:
            sizes = ", ".join(number(mg_) for mg_ in sorted(product.strengths_mg))
            what = f"{product.form}, {sizes} mg"
            if product.form == "tablet":
                scored = ", ".join(number(mg_) for mg_ in sorted(product.scored_mg))
                what += f"; may be halved: {scored + ' mg' if scored else 'none'}"
            else:
                what += f"; whole {'packets' if product.form == 'granules' else 'units'} only"
        wrapped(f"Form: {what}")
        if product.pack_sizes:
            unit = "mL" if product.concentration_mg_per_ml is not None else f"{product.form}s"
            unit = "packets" if product.form == "granules" else unit
            sizes = " or ".join(number(size) for size in product.pack_sizes)
            wrapped(f"Packs: {product.pack_name or 'pack'}s of {sizes} {unit}")
        wrapped("Storage: " + (product.storage or "not in this tool's sources; follow the carton"))
        if product.discard_after_opening_days is not None:
            wrapped(f"Discard: {product.discard_after_opening_days} days after first opening")
        for text in product.administration:
            wrapped(f"How to take: {text}")
        for note in product.notes:
            wrapped(f"Note: {note}")
        wrapped(f"Source: {product.source}")
        lines.append("")
    return "\n".join(lines)
