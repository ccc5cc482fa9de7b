"""The pharmacist's page of the PDF, on a page of its own after the patient's: the plan's
fields, every finding with its rule code and source, the steps, the product's notes, the
dispensing summary, the conventions and the sources the plan cites. Denser than the
patient's pages: it is read by a professional."""

from __future__ import annotations

from titrate.render.handout import Handout
from titrate.render.pdf_page import Line, Run, Writer, shortened
from titrate.render.pdf_patient import disclaimer
from titrate.render.view import PlanView

_BODY = 8.5  # as the HTML pharmacist sheet
_SMALL = 7.5
_SOURCES = 6.8
_TITLE = 13.0
_HEADING = 11.0
_RULE = 0.25
_USER_FIELDS = frozenset({"Patient", "Prescriber", "Pharmacy"})


def pharmacist_page(writer: Writer, view: PlanView, handout: Handout) -> None:
    _title(writer, view)
    _fields(writer, view)
    _findings(writer, view)
    _steps(writer, view)
    _product(writer, view)
    _dispense(writer, view)
    if view.notes:
        writer.heading("Notes and conventions", _HEADING, keep=8)
        for note in view.notes:
            writer.flow([Run(note, _SMALL)])
    _sources(writer, view, handout)
    disclaimer(writer, view.disclaimer, _BODY)


def _title(writer: Writer, view: PlanView) -> None:
    who = f" for {shortened(view.patient)}" if view.patient else ""
    title = f"For the pharmacist: {view.title_head}{who}{view.title_tail}"
    writer.flow([Run(title, _TITLE, bold=True)])
    writer.gap(0.8)
    writer.flow([Run(view.summary, _BODY)])


def _fields(writer: Writer, view: PlanView) -> None:
    """The header fields in two label/value pairs per row, boxed."""
    pdf = writer.pdf
    half = (pdf.epw - 4) / 2
    label_width = 26.0
    rows: list[list[tuple[Line, list[Line]]]] = []
    for index in range(0, len(view.header), 2):
        row = []
        for field in view.header[index : index + 2]:
            value = (
                writer.user_text(shortened(field.value))
                if field.label in _USER_FIELDS
                else field.value
            )
            label = writer.wrap([Run(field.label, _BODY, True)], label_width)[0]
            row.append((label, writer.wrap([Run(value, _BODY)], half - label_width - 3)))
        rows.append(row)
    writer.gap(2)
    top, top_page = pdf.get_y(), pdf.page_no()
    y = top + 1.5
    for row in rows:
        height = max(writer.height(lines) for _, lines in row)
        if y + height > pdf.page_break_trigger:
            pdf.add_page()
            y = pdf.get_y() + 1.5
        for column, (label, lines) in enumerate(row):
            x = pdf.l_margin + 2 + column * half
            writer.draw_line(label, x, y)
            writer.draw_lines(lines, x + label_width, y)
        y += height + 0.3
    writer.frame(top, top_page, y + 1.2, _RULE)
    pdf.set_y(y + 1.2)


def _findings(writer: Writer, view: PlanView) -> None:
    width = writer.pdf.epw - 6
    writer.gap(2.5)
    if not view.findings:
        lines = writer.wrap(
            [Run("No findings: every day stays within the regimen's limits.", _BODY)], width
        )
        writer.boxed(lines, border=_RULE, inset=3, dashed=True)
        return
    count = len(view.alerts)
    verdict = "DO NOT USE AS WRITTEN" if view.error_count else "CHECK BEFORE USE"
    heading = f"⚠ {verdict}: {count} finding{'' if count == 1 else 's'} against the regimen's rules"
    lines = writer.wrap([Run(heading, _HEADING, True)], width)
    for alert in view.alerts:
        basis = f" ({alert.basis})" if alert.basis else ""
        runs = [
            Run(f"• {alert.label}", _BODY, True),
            Run(alert.text[len(alert.label) :] + " ", _BODY),
            Run(f"Source: {alert.source_short}{basis}", _SMALL),
        ]
        lines += writer.wrap(runs, width)
    writer.boxed(lines, border=0.8, inset=3, double=view.error_count > 0)


def _steps(writer: Writer, view: PlanView) -> None:
    writer.heading("Steps", _HEADING, keep=8)
    for run in view.runs:
        writer.flow([Run(f"• {run.caption()}", _BODY)], hanging=3.0)


def _product(writer: Writer, view: PlanView) -> None:
    if not view.product_name:
        return
    writer.heading(view.product_name, _HEADING, keep=8)
    for line in view.product_notes:
        writer.flow([Run(line, _SMALL)])
    if view.product_source:
        writer.flow([Run(f"Source: {view.product_source_short}", _SMALL)])


def _dispense(writer: Writer, view: PlanView) -> None:
    pdf = writer.pdf
    if not view.dispense:
        return
    writer.heading("Dispensing summary", _HEADING, keep=14)
    widths = [24.0, 36.0, 20.0, 0.0, 22.0]
    widths[3] = pdf.epw - sum(widths)
    titles = ["For", "Item", "Quantity", "Detail", "Dispensed"]
    aligns = ["L", "L", "R", "L", "C"]
    header = [
        writer.wrap([Run(title, _BODY, True)], width - 2)
        for title, width in zip(titles, widths, strict=True)
    ]
    _table_row(writer, header, widths, aligns, fill=217)
    for line in view.dispense:
        values = [line.scope, line.item, line.quantity, line.text]
        cells = [
            writer.wrap([Run(value, _BODY)], width - 2)
            for value, width in zip(values, widths, strict=False)
        ]
        _table_row(writer, [*cells, []], widths, aligns, tick=True)


def _table_row(
    writer: Writer,
    cells: list[list[Line]],
    widths: list[float],
    aligns: list[str],
    fill: int | None = None,
    tick: bool = False,
) -> None:
    pdf = writer.pdf
    height = max(max(writer.height(lines) for lines in cells) + 1.2, 5.6 if tick else 0.0)
    writer.ensure_room(height)
    top, x = pdf.get_y(), pdf.l_margin
    pdf.set_line_width(_RULE)
    if fill is not None:
        pdf.set_fill_color(fill)
    for lines, width, align in zip(cells, widths, aligns, strict=True):
        pdf.rect(x, top, width, height, style="DF" if fill is not None else "D")
        writer.draw_lines(lines, x + 1, top + 0.6, align, width - 2)
        if tick and not lines:  # the "dispensed" tick box
            writer.tick_box(x + (width - 4) / 2, top + (height - 4) / 2, side=4.0)
        x += width
    pdf.set_y(top + height)


def _sources(writer: Writer, view: PlanView, handout: Handout) -> None:
    cited, every = len(handout.pharmacist_sources), len(view.sources)
    counted = f" ({cited} of the regimen's {every}; the JSON lists all)" if cited < every else ""
    writer.heading(f"Sources this plan cites{counted}", _HEADING, keep=8)
    for source in handout.pharmacist_sources:
        writer.flow([Run(source.line, _SOURCES, leading=1.1)], hanging=3.0)
