"""The patient's pages of the PDF: the grid of days × dose times with tick boxes, the
findings beside their day, how the plan ends, the notices in plain words, who to call,
the sources these pages cite and the disclaimer; every word at 12 pt or more but the
source list. The content and its wording come from `render.view` and `render.handout`,
as in the HTML handout; this module only lays it out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from titrate.render import RenderOptions
from titrate.render.handout import Cell, Handout, Row
from titrate.render.pdf_page import MAX_NAME, TICK, Line, Run, Writer
from titrate.render.view import PlanView

BODY = 12.0  # USP <17>: critical text at least 12 pt
_TITLE = 17.0
_HEADING = 14.0
_BOX_HEADING = 12.5
_SOURCES = 7.5
_PAD = 1.2  # cell padding, mm
_TICK_X = 1.6  # a tick box's distance from its cell's left edge
_RULE = 0.25  # table lines, mm
_HEAVY = 0.85  # a step's top line, an error's frame (2.4 pt)
_GREY_HEAD, _GREY_STEP = 217, 239
# Below this text width beside a tick box, a dose cell puts the box above its words.
_NARROW = 22.0


def patient_pages(
    writer: Writer, view: PlanView, handout: Handout, zone: str, options: RenderOptions
) -> None:
    _title(writer, view, handout, zone)
    _alerts(writer, view, handout)
    _schedule(writer, view, handout)
    _ending(writer, view)
    _good_to_know(writer, view, handout, options)
    _sources(writer, handout)
    disclaimer(writer, view.disclaimer, BODY)


def _title(writer: Writer, view: PlanView, handout: Handout, zone: str) -> None:
    # A name longer than the page can hold is cut with "…" (no note meant for the
    # pharmacist here: the pharmacist's page says it was cut, and why).
    patient = view.patient or ""
    name = f": {patient[:MAX_NAME]}{'…' if len(patient) > MAX_NAME else ''}" if patient else ""
    writer.flow([Run(f"Your {view.drug} schedule{name}", _TITLE, bold=True)])
    writer.flow([Run(f"{handout.medicine} · {handout.date_range} · times are {zone}", BODY)])


def _alerts(writer: Writer, view: PlanView, handout: Handout) -> None:
    width = writer.pdf.epw - 6
    if view.findings:
        heading = handout.banner or "Check with your pharmacist before you start"
        lines = writer.wrap([Run(f"⚠ {heading}", _BOX_HEADING, bold=True)], width)
        for alert in view.alerts:
            lines += writer.wrap([Run(f"• {alert.message}", BODY)], width)
        writer.gap(2)
        writer.boxed(lines, border=_HEAVY, inset=3, double=handout.banner is not None)
    for notice in view.boxed_notices:
        heading = "⚠ Important warning (the label's boxed warning)"
        lines = writer.wrap([Run(heading, _BOX_HEADING, bold=True)], width)
        lines += writer.wrap([Run(notice.text, BODY)], width)
        writer.gap(2)
        writer.boxed(lines, border=1.05, inset=3)
    if view.review is not None:
        review = view.review
        heading = f"⚑ See your prescriber by {review.date_text}"
        lines = writer.wrap([Run(heading, _BOX_HEADING, bold=True)], width)
        lines += writer.wrap([Run(review.text, BODY)], width)
        writer.gap(2)
        writer.boxed(lines, border=0.64, inset=3, dashed=True)


# -- the grid ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    day_width: float
    column_width: float


class _Block(Protocol):
    """A part of one day on the grid: its height is known before it is drawn."""

    height: float

    def draw(self, writer: Writer, top: float) -> None: ...


def _schedule(writer: Writer, view: PlanView, handout: Handout) -> None:
    writer.heading("When to take it", _HEADING, gap=3, keep=40)
    grid = _grid(writer, handout)
    _grid_header(writer, handout, grid)
    for row in handout.rows:
        # A day stays on one page with its step's caption and its findings.
        blocks = _row_blocks(writer, view, row, grid)
        if writer.ensure_room(sum(block.height for block in blocks)):
            _grid_header(writer, handout, grid)
        for block in blocks:
            top = writer.pdf.get_y()
            block.draw(writer, top)
            writer.pdf.set_y(top + block.height)


def _grid(writer: Writer, handout: Handout) -> _Grid:
    """The day column as wide as its widest line ("⚠ Day 12" or "Thu 10 Dec"); the dose
    columns share the rest."""
    widest = max(
        (
            max(
                writer.width_of(f"⚠ Day {row.day}", BODY, bold=True),
                writer.width_of(row.date_text, BODY),
            )
            for row in handout.rows
        ),
        default=writer.width_of("Day", BODY, bold=True),
    )
    day_width = widest + 2 * _PAD + 1.0  # and the heavy left edge of a flagged day
    columns = max(len(handout.columns), 1)
    return _Grid(day_width, (writer.pdf.epw - day_width) / columns)


def _grid_header(writer: Writer, handout: Handout, grid: _Grid) -> None:
    pdf = writer.pdf
    width = grid.column_width - 2 * _PAD
    heads = [
        writer.wrap([Run(column.label, BODY, True), Run(f"\n{column.clock}", BODY, True)], width)
        if column.label
        else writer.wrap([Run(column.clock, BODY, True)], width)
        for column in handout.columns
    ] or [[]]
    height = max(writer.height(lines) for lines in heads) + 2 * _PAD
    top, x = pdf.get_y(), pdf.l_margin
    pdf.set_fill_color(_GREY_HEAD)
    pdf.set_line_width(_RULE)
    pdf.rect(x, top, grid.day_width, height, style="DF")
    writer.draw_lines(writer.wrap([Run("Day", BODY, True)], grid.day_width), x + _PAD, top + _PAD)
    x += grid.day_width
    for lines in heads:
        pdf.rect(x, top, grid.column_width, height, style="DF")
        writer.draw_lines(lines, x + _PAD, top + _PAD)
        x += grid.column_width
    pdf.set_y(top + height)


def _row_blocks(writer: Writer, view: PlanView, row: Row, grid: _Grid) -> list[_Block]:
    """The parts of one day: its step's caption, the day, and each finding (and the
    review) beside it, never hidden."""
    width = writer.pdf.epw - 2 * _PAD
    blocks: list[_Block] = []
    if row.caption:
        blocks.append(_Caption(writer.wrap([Run(row.caption, BODY, bold=True)], width)))
    blocks.append(_Day(writer, row, grid))
    inner = width - 2 * _PAD - 2
    for finding in row.findings:
        runs = [Run(finding.label, BODY, True), Run(f" {finding.rule}: {finding.message}", BODY)]
        border = _HEAVY if finding.severity == "error" else 0.42
        blocks.append(_Note(writer.wrap(runs, inner), border, dashed=False))
    if row.review and view.review is not None:
        runs = [Run("⚑ See your prescriber today", BODY, True), Run(f" {view.review.text}", BODY)]
        blocks.append(_Note(writer.wrap(runs, inner), 0.56, dashed=True))
    return blocks


class _Caption:
    """ "Days 4–6: 1 tablet (10 mg) 3 times a day" on grey, under a heavy line."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.height = sum(line.height for line in lines) + 2 * _PAD

    def draw(self, writer: Writer, top: float) -> None:
        pdf = writer.pdf
        pdf.set_fill_color(_GREY_STEP)
        pdf.set_line_width(_RULE)
        pdf.rect(pdf.l_margin, top, pdf.epw, self.height, style="DF")
        pdf.set_fill_color(0)  # the heavy line as a bar: it ends where the table ends
        pdf.rect(pdf.l_margin, top - _HEAVY / 2, pdf.epw, _HEAVY, style="F")
        writer.draw_lines(self.lines, pdf.l_margin + _PAD, top + _PAD)


class _Note:
    """A finding (or the review day) framed beside its day, across the grid."""

    def __init__(self, lines: list[Line], border: float, dashed: bool) -> None:
        self.lines, self.border, self.dashed = lines, border, dashed
        self.height = sum(line.height for line in lines) + 2 * _PAD + 2.4

    def draw(self, writer: Writer, top: float) -> None:
        pdf = writer.pdf
        pdf.set_line_width(_RULE)
        pdf.rect(pdf.l_margin, top, pdf.epw, self.height)
        if self.dashed:
            pdf.set_dash_pattern(dash=1.6, gap=0.9)
        pdf.set_line_width(self.border)
        inner_top, inner_height = top + 1.2, self.height - 2.4
        pdf.rect(pdf.l_margin + _PAD, inner_top, pdf.epw - 2 * _PAD, inner_height)
        pdf.set_dash_pattern()
        pdf.set_line_width(_RULE)
        writer.draw_lines(self.lines, pdf.l_margin + 2 * _PAD + 1, inner_top + _PAD)


class _Day:
    """One day: "Day 4" and its date, then each dose time's tick box and amount."""

    def __init__(self, writer: Writer, row: Row, grid: _Grid) -> None:
        self.row, self.grid = row, grid
        mark = "⚠ " if row.findings else ""
        self.day_lines = writer.wrap(
            [Run(f"{mark}Day {row.day}", BODY, True), Run(f"\n{row.date_text}", BODY)],
            grid.day_width - 2 * _PAD,
        )
        beside = _TICK_X + TICK + 1.4 + _PAD  # the tick box and the padding around the words
        self.narrow = grid.column_width - beside < _NARROW
        text_width = grid.column_width - (2 * _PAD if self.narrow else beside)
        self.cells = [_cell_lines(writer, cell, text_width) for cell in row.cells]
        tallest = max([writer.height(lines) for lines in self.cells], default=0.0)
        if self.narrow:
            tallest += TICK + 1.0
        self.height = max(writer.height(self.day_lines), tallest, TICK) + 2 * _PAD

    def draw(self, writer: Writer, top: float) -> None:
        pdf, grid = writer.pdf, self.grid
        pdf.set_line_width(_RULE)
        x = pdf.l_margin
        pdf.rect(x, top, grid.day_width, self.height)
        writer.draw_lines(self.day_lines, x + _PAD + 0.6, top + _PAD)
        if self.row.findings:  # a heavy left edge, like the HTML's flagged day
            pdf.set_fill_color(0)
            pdf.rect(x, top, 1.4, self.height, style="F")
        x += grid.day_width
        for cell, lines in zip(self.row.cells or [None], self.cells or [[]], strict=True):
            pdf.rect(x, top, grid.column_width, self.height)
            self._cell(writer, cell, lines, x, top)
            x += grid.column_width

    def _cell(
        self, writer: Writer, cell: Cell | None, lines: Sequence[Line], x: float, top: float
    ) -> None:
        inner = self.height - 2 * _PAD
        if cell is None:  # no dose at this time of day
            dash = writer.wrap([Run("—", BODY)], self.grid.column_width)
            writer.draw_lines(
                dash, x, top + (self.height - writer.height(dash)) / 2, "C", self.grid.column_width
            )
            return
        text_height = writer.height(lines)
        if self.narrow:
            writer.tick_box(x + _TICK_X, top + _PAD)
            writer.draw_lines(lines, x + _PAD, top + _PAD + TICK + 1.0)
            return
        writer.tick_box(x + _TICK_X, top + (self.height - TICK) / 2)
        text_x = x + _TICK_X + TICK + 1.4
        writer.draw_lines(lines, text_x, top + _PAD + (inner - text_height) / 2)


def _cell_lines(writer: Writer, cell: Cell | None, width: float) -> list[Line]:
    """ "1½ tablets (15 mg)" on one line when it fits, else the dose on a line of its own."""
    if cell is None:
        return []
    amount = Run(cell.amount, BODY, bold=True)
    if cell.dose is None:
        return writer.wrap([amount], width)
    whole = writer.wrap([amount, Run(f" {cell.dose}", BODY)], width)
    if len(whole) == 1:
        return whole
    return writer.wrap([amount], width) + writer.wrap([Run(cell.dose, BODY, keep=True)], width)


# -- after the grid ---------------------------------------------------------------------


def _ending(writer: Writer, view: PlanView) -> None:
    width = writer.pdf.epw - 6
    if view.then is not None:
        writer.gap(3)
        lines = writer.wrap(
            [Run("Then: ", _BOX_HEADING, True), Run(view.then, _BOX_HEADING)], width
        )
        writer.boxed(lines, border=_HEAVY, inset=3)
    review = view.review_after_plan
    if review is not None:
        runs = [
            Run(f"⚑ {review.date_text}: ", _BOX_HEADING, True),
            Run(f"see your prescriber. {review.text}", _BOX_HEADING),
        ]
        writer.gap(2)
        writer.boxed(writer.wrap(runs, width), border=_HEAVY, inset=3)


def _good_to_know(writer: Writer, view: PlanView, handout: Handout, options: RenderOptions) -> None:
    writer.heading("Good to know", _HEADING, gap=3, keep=25)
    for notice in handout.notices:
        _notice(writer, notice.heading, [Run(notice.text, BODY)])
    if view.storage or view.administration:
        lines = [*view.administration, *([view.storage] if view.storage else [])]
        _notice(writer, "Taking and keeping it", [Run("\n".join(lines), BODY)])
    _notice(writer, "Questions", _questions(writer, view, options))


def _questions(writer: Writer, view: PlanView, options: RenderOptions) -> list[Run]:
    """Who to ask, with the pharmacy's phone number in bold when it is given. A name
    longer than a line is cut there (the pharmacist's page has it whole)."""
    room = writer.pdf.epw - 30

    def name(text: str) -> str:
        return writer.one_line(text, room, BODY)

    runs = [Run("Ask your pharmacist", BODY)]
    if options.pharmacy:
        runs.append(Run(f" at {name(options.pharmacy)}", BODY))
    if options.pharmacy_phone:
        runs += [Run(": call ", BODY), Run(name(options.pharmacy_phone), BODY, True)]
    runs.append(Run(", or your prescriber", BODY))
    if options.prescriber:
        runs.append(Run(f", {name(options.prescriber)}", BODY))
    runs.append(Run(".", BODY))
    return runs


def _notice(writer: Writer, heading: str | None, runs: list[Run]) -> None:
    """A heading and its words beside a heavy left bar, kept on one page if they fit."""
    pdf = writer.pdf
    lines = writer.wrap([Run(heading, _BOX_HEADING, True)], pdf.epw - 4) if heading else []
    lines += writer.wrap(runs, pdf.epw - 4)
    writer.gap(1.2)
    writer.ensure_room(writer.height(lines))
    top = pdf.get_y()
    for line in lines:
        if line.height > writer.room():
            _bar(writer, top)
            pdf.add_page()
            top = pdf.get_y()
        writer.draw_line(line, pdf.l_margin + 4, pdf.get_y())
        pdf.set_y(pdf.get_y() + line.height)
    _bar(writer, top)


def _bar(writer: Writer, top: float) -> None:
    pdf = writer.pdf
    pdf.set_line_width(_HEAVY)
    pdf.line(pdf.l_margin + 0.5, top, pdf.l_margin + 0.5, pdf.get_y())
    pdf.set_line_width(_RULE)


def _sources(writer: Writer, handout: Handout) -> None:
    writer.heading("Where this comes from", 11, gap=3, keep=8)
    for source in handout.sources:
        writer.flow([Run(source.line, _SOURCES, leading=1.1)], hanging=3.0)


def disclaimer(writer: Writer, text: str, size: float) -> None:
    writer.gap(3)
    writer.boxed(writer.wrap([Run(text, size, True)], writer.pdf.epw - 6), border=0.42, inset=3)
