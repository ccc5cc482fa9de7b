"""Terminal table (rich): grouped by day, findings beside their day, readable at 80
columns and without colour."""

from __future__ import annotations

import io
import textwrap

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from titrate.model import Plan, ProductRef, Regimen
from titrate.render import RenderOptions
from titrate.render.common import finding_line, mg, number, title
from titrate.render.ending import then_text

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
    if plan.product is not None:
        console.print(f"Product: {product_summary(plan)}.")
    for notice in plan.notices:
        if notice.boxed:  # framed, so it stands out without colour too
            console.print(
                Panel(
                    Text(f"! {notice.text}", style="bold"),
                    title="BOXED WARNING",
                    title_align="left",
                    box=box.DOUBLE,
                    expand=True,
                )
            )
    review = plan.review_by
    if review is not None:
        console.print(
            Text(
                f"Review by {review.date.isoformat()} (day {review.day}): {review.text}",
                style="bold",
            )
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
    if plan.product is not None:
        table.add_column("Amount", overflow="fold")
    table.add_column("Day total", justify="right", no_wrap=True)
    table.add_column("Notes", overflow="fold")
    doses_by_day: dict[int, list[tuple[str, str, Text | None]]] = {}
    for dose in plan.doses:
        amount: Text | None = None
        if plan.product is not None:
            amount = (
                Text(dose.amount.text)
                if dose.amount is not None
                else Text("not measurable", style=_STYLE["error"])
            )
        doses_by_day.setdefault(dose.day, []).append(
            (dose.at.strftime("%H:%M"), mg(dose.dose_mg), amount)
        )
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
        rows = doses_by_day.get(day.day, [])
        for index, (clock, dose_mg, amount) in enumerate(rows):
            first = index == 0
            table.add_row(
                str(day.day) if first else "",
                day.date.isoformat() if first else "",
                clock,
                dose_mg,
                *([amount] if amount is not None else []),
                mg(day.total_mg) if first else "",
                Text("; ").join(notes) if first else "",
                end_section=index == len(rows) - 1,
            )
        previous_step = day.step
    console.print(table)
    if review is not None and all(day.day != review.day for day in plan.days):
        console.print(
            Text(
                f"Day {review.day} ({review.date.isoformat()}): REVIEW BY THIS DATE, after the "
                "last day of this plan (see the top).",
                style="bold",
            )
        )

    ending = then_text(plan)
    if ending is not None:
        console.print(Text(f"Then: {ending}", style="bold"))
    for note in plan.notes:
        console.print(f"Note: {note}")
    if plan.product is not None:
        _print_product(console, plan)
    for notice in plan.notices:
        if not notice.boxed:  # boxed warnings are printed at the top
            console.print(Text(f"! {notice.text}"))
    console.print()
    console.print(Text("Sources:", style="bold"))
    for source in plan.sources:
        section = f", {source.section}" if source.section else ""
        console.print(
            f"  [{source.id}] {source.title}{section}. {source.url} (retrieved {source.retrieved})"
        )
    console.print(Text(plan.disclaimer, style="italic"))
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


def _print_product(console: Console, plan: Plan) -> None:
    """Dispensing summary, storage and administration under the schedule."""
    product = plan.product
    assert product is not None
    console.print()
    console.print(Text("Dispense:", style="bold"))
    if not plan.dispense:
        console.print("  nothing: no dose can be made from this product.")
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
        console.print(Text(f"  {label}: {line.text}", style="bold" if line.step is None else ""))
    if product.storage:
        console.print(f"Storage: {product.storage}")
    if product.discard_after_opening_days is not None:
        console.print(
            f"Discard an opened bottle {product.discard_after_opening_days} days after first "
            "opening, even if not empty."
        )
    for text in product.administration:
        console.print(f"How to take: {text}")
    for note in product.notes:
        console.print(f"Product note: {note}")


def products_text(regimen: Regimen, products: list[ProductRef], width: int = 88) -> str:
    """`titrate products REGIMEN`: each product with strengths, storage and sources."""
    lines = [f"Products for {regimen.name} ({regimen.id})", ""]

    def wrapped(text: str, indent: str = "  ", hang: str = "    ") -> None:
        lines.extend(textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=hang))

    for product in products:
        default = " (default)" if product.id == regimen.default_product else ""
        lines.append(f"{product.id}{default}: {product.name}")
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
