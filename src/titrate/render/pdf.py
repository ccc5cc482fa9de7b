"""PDF (optional extra `titrate[pdf]`, fpdf2): the printed plan, from the same view model
as the HTML so both show the same things in the same order.

Text is set in DejaVu Sans, shipped in `titrate/fonts` with its licence, because the
PDF core fonts are Latin-1 only and a patient's name may be written in any script.
A character DejaVu Sans lacks (e.g. Chinese) is printed as "?" with a note beside the
field rather than silently dropped; the HTML shows it. Tick boxes are drawn rectangles,
so they never depend on a glyph. Output is byte-identical for the same input: the
creation date comes from the plan's start date, never from the clock.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import TTFFont

from titrate.model import Plan
from titrate.render import RenderOptions
from titrate.render.view import DayView, PlanView, build_view

FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

# Page geometry in millimetres. The column widths mirror the HTML's <colgroup>; date and
# amount are at least this wide and grow to their longest text.
_MARGIN_X = 12.0
_MARGIN_TOP = 11.0
_MARGIN_BOTTOM = 13.0
_LINE = 3.6  # body text line height (8.5 pt)
_SMALL_LINE = 3.1  # small text line height (7.5 pt)
_ROW = 4.0  # one dose row
_TICK = 2.8  # side of a tick box
_LINE_PER_PT = 0.3528 * 1.2  # line height in mm per point of font size (1.2 leading)
_COLUMNS = {
    "Day": 8.5,
    "Date": 20.0,
    "Time": 11.0,
    "Dose": 14.0,
    "Amount": 20.0,
    "Taken": 10.5,
    "Day total": 16.0,
}
_ALIGN = {"Day": "R", "Dose": "R", "Day total": "R", "Taken": "C"}
_NOT_SHOWN = " (some characters cannot be shown in this PDF; the HTML format shows them)"
# fpdf2 lays text out left to right, in the order it was typed (right-to-left layout needs
# uharfbuzz): a name with right-to-left letters or direction controls says so.
_RTL_CLASSES = frozenset({"R", "AL", "RLE", "RLO", "RLI", "LRO", "LRE"})
_RTL_NOTE = (
    " (right-to-left text is shown here in the order it was typed; the HTML format shows it"
    " as written)"
)
# Names longer than this (the tool accepts up to 10,000 characters) are cut in the PDF,
# which says so; the HTML, Markdown and machine formats carry them whole.
_MAX_NAME = 120
_TRUNCATED = "…\n(truncated; full name in the HTML)"


def _font_path(name: str) -> Path:
    return Path(str(files("titrate").joinpath("fonts", name)))


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    align: str


class _Document(FPDF):
    """An A4/Letter page with the plan's title on top and "Page n of N" at the bottom."""

    running_title = ""

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FONT, "", 7.5)
            self.cell(0, _SMALL_LINE, self.running_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)

    def footer(self) -> None:
        self.set_y(-_MARGIN_BOTTOM + 3)
        self.set_font(FONT, "", 7.5)
        self.cell(0, _SMALL_LINE, f"Page {self.page_no()} of {{nb}}", align="R")


def spaced(text: str) -> str:
    """Tabs as spaces and any line ending as a line break (the font has no tab glyph)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def shortened(text: str) -> str:
    """A name the page can hold: cut at `_MAX_NAME` characters, saying so."""
    return text if len(text) <= _MAX_NAME else text[:_MAX_NAME] + _TRUNCATED


_USER_FIELDS = frozenset({"Patient", "Prescriber", "Pharmacy"})


class _Writer:
    """Lays the view out on pages; every decision about content is the view's."""

    def __init__(self, view: PlanView, plan: Plan) -> None:
        paper = "letter" if view.paper == "letter" else "A4"
        pdf = _Document(orientation="P", unit="mm", format=paper)
        for style, name in _FONT_FILES.items():
            pdf.add_font(FONT, style, str(_font_path(name)))
        pdf.set_margins(_MARGIN_X, _MARGIN_TOP, _MARGIN_X)
        pdf.set_auto_page_break(auto=True, margin=_MARGIN_BOTTOM)
        pdf.set_creation_date(datetime.combine(plan.start, time(0), tzinfo=UTC))
        pdf.set_producer("titrate")
        pdf.set_creator("titrate")
        pdf.set_lang("en")
        self.pdf = pdf
        self.view = view
        font = pdf.fonts[FONT.lower()]
        assert isinstance(font, TTFFont)  # added from our TTF file just above
        self.glyphs: dict[int, Any] = font.cmap
        who = f" for {shortened(view.patient)}" if view.patient else ""
        self.title = f"{view.title_head}{who}{view.title_tail}"
        pdf.set_font(FONT, "", 7.5)
        self.title_line = self.one_line(self.title.replace("\n", " "), pdf.epw)
        pdf.running_title = self.title_line
        pdf.set_title(self.printable(self.title))
        # Date and amount columns as wide as their longest text (never cut), the
        # findings column takes the rest.
        pdf.set_font(FONT, "", 8.5)
        fitted = {
            "Date": [day.date_text for day in view.days],
            "Amount": [dose.amount for day in view.days for dose in day.doses],
        }
        widths = dict(_COLUMNS)
        for title, texts in fitted.items():
            longest = max((pdf.get_string_width(self.printable(t)) for t in texts), default=0)
            widths[title] = max(widths[title], longest + 2 * pdf.c_margin + 0.6)
        columns = [
            Column(title, width, _ALIGN.get(title, "L"))
            for title, width in widths.items()
            if title != "Amount" or view.has_amounts
        ]
        rest = pdf.epw - sum(column.width for column in columns)
        self.columns = [*columns, Column("Findings", rest, "L")]

    # -- text helpers ---------------------------------------------------------------

    def printable(self, text: str) -> str:
        """Replace characters the font cannot draw (fpdf2 would drop them silently)."""
        text = spaced(text)
        return "".join(char if ord(char) in self.glyphs or char in "\n" else "?" for char in text)

    def user_text(self, text: str) -> str:
        shown = self.printable(text)
        notes = "" if shown == spaced(text) else _NOT_SHOWN
        if any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text):
            notes += _RTL_NOTE
        return shown + notes

    def one_line(self, text: str, width: float) -> str:
        """`text` cut with "…" to fit one line of `width` mm in the current font."""
        shown = self.printable(text)
        if self.pdf.get_string_width(shown) <= width:
            return shown
        low, high = 0, len(shown)
        while low < high:  # the longest prefix that fits with the ellipsis
            middle = (low + high + 1) // 2
            if self.pdf.get_string_width(shown[:middle] + "…") <= width:
                low = middle
            else:
                high = middle - 1
        return shown[:low] + "…"

    def font(self, size: float = 8.5, bold: bool = False) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)

    def paragraph(
        self,
        text: str,
        size: float = 8.5,
        bold: bool = False,
        indent: float = 0,
        wrap: WrapMode = WrapMode.WORD,
    ) -> None:
        self.font(size, bold)
        line = size * _LINE_PER_PT
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(
            self.pdf.epw - indent,
            line,
            self.printable(text),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            wrapmode=wrap,
        )

    def heading(self, text: str, size: float = 10.5) -> None:
        self.ensure_room(12)
        self.pdf.ln(1.5)
        self.paragraph(text, size=size, bold=True)
        self.pdf.ln(0.5)

    def lines_needed(self, width: float, text: str, size: float, bold: bool = False) -> int:
        self.font(size, bold)
        lines = self.pdf.multi_cell(
            width, _LINE, self.printable(text), align="L", dry_run=True, output="LINES"
        )
        assert isinstance(lines, list)  # output="LINES" returns the wrapped lines
        return len(lines)

    def ensure_room(self, height: float) -> bool:
        """Start a new page unless `height` mm still fit; True when a page was added."""
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()
            return True
        return False

    # -- sections -------------------------------------------------------------------

    def title_block(self) -> None:
        view, pdf = self.view, self.pdf
        who = f" for {shortened(view.patient)}" if view.patient else ""
        self.paragraph(f"{view.regimen_name}: {view.kind}{who}", size=14, bold=True)
        pdf.ln(0.5)
        self.paragraph(view.summary)
        pdf.ln(1)
        # Header fields in two label/value pairs per row, boxed like the HTML.
        half = pdf.epw / 2
        label_width = 24.0
        top = pdf.get_y()
        pdf.set_y(top + 1.2)
        pairs = [view.header[index : index + 2] for index in range(0, len(view.header), 2)]
        for pair in pairs:
            row_top = pdf.get_y()
            bottom = row_top
            for column, field in enumerate(pair):
                x = pdf.l_margin + 2 + column * half
                self.font(8.5, bold=True)
                pdf.set_xy(x, row_top)
                pdf.cell(label_width, _LINE, field.label)
                self.font(8.5)
                pdf.set_xy(x + label_width, row_top)
                value = self.user_text(
                    shortened(field.value) if field.label in _USER_FIELDS else field.value
                )
                pdf.multi_cell(half - label_width - 4, _LINE, value, align="L")
                bottom = max(bottom, pdf.get_y())
            pdf.set_y(bottom)
        pdf.set_line_width(0.28)
        pdf.rect(pdf.l_margin, top, pdf.epw, pdf.get_y() - top + 1.2)
        pdf.set_y(pdf.get_y() + 3)

    def findings_box(self) -> None:
        view, pdf = self.view, self.pdf
        if not view.findings:
            self.font()
            pdf.set_dash_pattern(dash=1, gap=0.8)
            pdf.set_line_width(0.28)
            pdf.cell(
                0,
                _LINE + 2,
                "No findings: every day stays within the regimen's limits.",
                border=1,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            pdf.set_dash_pattern()
            pdf.ln(2)
            return
        count = len(view.alerts)
        verdict = "DO NOT USE AS WRITTEN" if view.error_count else "CHECK BEFORE USE"
        heading = (
            f"⚠ {verdict}: {count} finding{'' if count == 1 else 's'} against the regimen's rules"
        )
        top, top_page = pdf.get_y(), pdf.page_no()
        pdf.set_y(top + 2.5)
        inner = 4.0
        self.paragraph(heading, size=11, bold=True, indent=inner)
        pdf.ln(0.8)
        for alert in view.alerts:
            basis = f" ({alert.basis})" if alert.basis else ""
            self.mixed_paragraph(
                [
                    (f"• {alert.label}", 8, True),
                    (alert.text[len(alert.label) :] + " ", 8, False),
                    (f"Source: {alert.source_short}{basis}", 7, False),
                ],
                indent=inner,
            )
            pdf.ln(0.5)
        bottom = pdf.get_y() + 1.5
        self.frame(top, top_page, bottom, 0.8)
        if view.error_count:  # a double frame, like the HTML's double border
            self.frame(top + 1.2, top_page, bottom - 1.2, 0.35, inset=1.2)
        pdf.set_line_width(0.18)
        pdf.set_y(bottom + 2.5)

    def boxed_notices(self) -> None:
        """The label's boxed warning, framed like the findings box, before the schedule."""
        pdf = self.pdf
        for notice in self.view.boxed_notices:
            top, top_page = pdf.get_y(), pdf.page_no()
            pdf.set_y(top + 2.0)
            self.paragraph("⚠ BOXED WARNING", size=10.5, bold=True, indent=4)
            self.paragraph(f"{notice.text} Source: {notice.source_short}", indent=4)
            bottom = pdf.get_y() + 1.5
            self.frame(top, top_page, bottom, 0.8)
            pdf.set_line_width(0.18)
            pdf.set_y(bottom + 2.5)

    def review(self) -> None:
        """The review date, framed (dashed) under the boxed warning, before the schedule."""
        review, pdf = self.view.review, self.pdf
        if review is None:
            return
        top, top_page = pdf.get_y(), pdf.page_no()
        pdf.set_y(top + 2.0)
        after = "" if review.within_plan else ", after the last day of this plan"
        self.paragraph(f"⚑ REVIEW BY {review.when}{after}", size=10, bold=True, indent=4)
        self.paragraph(f"{review.text} Source: {review.source_short} ({review.basis})", indent=4)
        bottom = pdf.get_y() + 1.5
        pdf.set_dash_pattern(dash=1.6, gap=0.8)
        self.frame(top, top_page, bottom, 0.6)
        pdf.set_dash_pattern()
        pdf.set_line_width(0.18)
        pdf.set_y(bottom + 2.5)

    def review_after_plan(self) -> None:
        """A review date after the last day: a last row under the schedule, in words."""
        review, pdf = self.view.review_after_plan, self.pdf
        if review is None:
            return
        banner = (
            f"⚑ Day {review.day} · {review.date_text}: REVIEW BY THIS DATE "
            "(after the last day of this plan)"
        )
        text = f"{review.text} Source: {review.source_short}"
        height = (
            self.lines_needed(pdf.epw - 2, banner, 8.5, True)
            + self.lines_needed(pdf.epw - 2, text, 8.5)
        ) * _LINE + 2.4
        self.ensure_room(height)
        top = pdf.get_y()
        pdf.set_line_width(0.85)
        pdf.line(pdf.l_margin, top, pdf.l_margin + pdf.epw, top)
        pdf.set_line_width(0.18)
        pdf.set_xy(pdf.l_margin + 1, top + 0.7)
        self.font(8.5, bold=True)
        pdf.multi_cell(pdf.epw - 2, _LINE, self.printable(banner), align="L")
        pdf.set_x(pdf.l_margin + 1)
        self.font(8.5)
        pdf.multi_cell(pdf.epw - 2, _LINE, self.printable(text), align="L")
        pdf.rect(pdf.l_margin, top, pdf.epw, pdf.get_y() - top + 0.7)
        pdf.set_xy(pdf.l_margin, pdf.get_y() + 0.7)

    def mixed_paragraph(self, parts: Sequence[tuple[str, float, bool]], indent: float) -> None:
        """One wrapped paragraph whose parts differ in size or weight (label in bold)."""
        pdf = self.pdf
        left, right = pdf.l_margin, pdf.r_margin
        pdf.set_left_margin(left + indent)
        pdf.set_right_margin(right + indent)
        pdf.set_x(left + indent)
        for text, size, bold in parts:
            self.font(size, bold)
            pdf.write(_SMALL_LINE + 0.3, self.printable(text))
        pdf.ln(_SMALL_LINE + 0.3)
        pdf.set_left_margin(left)
        pdf.set_right_margin(right)

    def frame(
        self, top: float, top_page: int, bottom: float, width: float, inset: float = 0.0
    ) -> None:
        """A box from (top_page, top) to the current page's `bottom`, drawn in pieces when
        its content ran onto the next page(s)."""
        pdf = self.pdf
        last_page = pdf.page_no()
        x, w = pdf.l_margin + inset, pdf.epw - 2 * inset
        pdf.set_line_width(width)
        for page in range(top_page, last_page + 1):
            pdf.page = page
            upper = top if page == top_page else pdf.t_margin + inset
            lower = bottom if page == last_page else pdf.page_break_trigger - inset
            pdf.rect(x, upper, w, lower - upper)
        pdf.page = last_page

    def table_header(self) -> None:
        pdf = self.pdf
        self.font(8, bold=True)
        pdf.set_fill_color(217)
        pdf.set_line_width(0.18)
        for column in self.columns:
            pdf.cell(column.width, _ROW, column.title, border=1, align=column.align, fill=True)
        pdf.ln(_ROW)

    def day_block(self, day: DayView, first: bool) -> None:
        pdf = self.pdf
        findings_width = self.columns[-1].width - 1.6
        finding_texts = [
            (f"{finding.label} {finding.rule}: {finding.message}", finding.severity == "error")
            for finding in day.findings
        ]
        if day.review is not None:
            finding_texts.append((f"⚑ REVIEW DAY {day.review.text}", True))
        findings_height = sum(
            self.lines_needed(findings_width - 1.6, text, 7.5, bold) * _SMALL_LINE + 1.8
            for text, bold in finding_texts
        )
        rows = max(len(day.doses), 1)
        row_height = max(_ROW, (findings_height + 0.8) / rows)
        banner = ""
        if day.starts_run:
            marker = "▶ " if day.run.starts_new_step and not first else ""
            banner = marker + day.run.caption()
        banner_lines = self.lines_needed(pdf.epw - 2, banner, 8.5, True) if banner else 0
        banner_height = banner_lines * _LINE + 1.4 if banner else 0
        if self.ensure_room(banner_height + rows * row_height):
            self.table_header()
        if banner:
            top = pdf.get_y()
            pdf.set_fill_color(239)
            pdf.rect(pdf.l_margin, top, pdf.epw, banner_height, style="DF")
            pdf.set_line_width(0.85)
            pdf.line(pdf.l_margin, top, pdf.l_margin + pdf.epw, top)
            pdf.set_line_width(0.18)
            pdf.set_xy(pdf.l_margin + 1, top + 0.7)
            self.font(8.5, bold=True)
            pdf.multi_cell(pdf.epw - 2, _LINE, self.printable(banner), align="L")
            pdf.set_y(top + banner_height)
        top = pdf.get_y()
        block_height = rows * row_height
        x = pdf.l_margin
        cells: dict[str, str] = {
            "Day": ("⚠ " if day.worst else "") + str(day.day),
            "Date": day.date_text,
            "Day total": day.total,
        }
        for column in self.columns:
            if column.title in ("Day", "Date", "Day total", "Findings"):
                pdf.rect(x, top, column.width, block_height)
                if column.title in cells:
                    self.font(8.5, bold=column.title == "Day total")
                    pdf.set_xy(x, top)
                    pdf.cell(
                        column.width,
                        row_height if rows == 1 else _ROW,
                        cells[column.title],
                        align=column.align,
                    )
                if column.title == "Findings":
                    self.day_findings(x + 0.8, top + 0.8, findings_width, finding_texts)
            else:
                for index in range(rows):
                    y = top + index * row_height
                    pdf.rect(x, y, column.width, row_height)
                    dose = day.doses[index] if day.doses else None
                    text = ""
                    if dose is None:
                        text = "no doses" if column.title == "Time" else ""
                    elif column.title == "Time":
                        text = dose.time
                    elif column.title == "Dose":
                        text = dose.dose
                    elif column.title == "Amount":
                        text = dose.amount
                    elif column.title == "Taken":
                        self.tick_box(x + (column.width - _TICK) / 2, y + (_ROW - _TICK) / 2)
                    if text:
                        self.font(8.5)
                        pdf.set_xy(x, y)
                        pdf.cell(column.width, _ROW, self.printable(text), align=column.align)
            x += column.width
        if day.worst in ("error", "warning"):  # a heavy left edge, like the HTML
            pdf.set_line_width(1.0)
            pdf.line(pdf.l_margin, top, pdf.l_margin, top + block_height)
            pdf.set_line_width(0.18)
        pdf.set_xy(pdf.l_margin, top + block_height)

    def tick_box(self, x: float, y: float) -> None:
        """A drawn box (no glyph needed) for the patient or pharmacist to tick."""
        self.pdf.set_line_width(0.4)
        self.pdf.rect(x, y, _TICK, _TICK)
        self.pdf.set_line_width(0.18)

    def day_findings(
        self, x: float, y: float, width: float, texts: Sequence[tuple[str, bool]]
    ) -> None:
        pdf = self.pdf
        for text, is_error in texts:
            self.font(7.5, bold=is_error)
            lines = self.lines_needed(width - 1.6, text, 7.5, is_error)
            height = lines * _SMALL_LINE + 1.0
            pdf.set_line_width(0.6 if is_error else 0.3)
            pdf.rect(x, y, width, height)
            pdf.set_line_width(0.18)
            pdf.set_xy(x + 0.8, y + 0.5)
            self.font(7.5, bold=is_error)
            pdf.multi_cell(width - 1.6, _SMALL_LINE, self.printable(text), align="L")
            y += height + 0.8

    def schedule(self) -> None:
        self.font(7.5)
        self.pdf.cell(0, _SMALL_LINE, self.title_line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(0.5)
        self.table_header()
        for index, day in enumerate(self.view.days):
            self.day_block(day, first=index == 0)
        self.review_after_plan()
        if self.view.then is not None:
            self.pdf.ln(1.5)
            self.paragraph(f"Then: {self.view.then}", size=10, bold=True)
        self.pdf.ln(2)

    def notices(self) -> None:
        pdf = self.pdf
        for notice in self.view.other_notices:
            text = f"{notice.text} Source: {notice.source_short}"
            needed = self.lines_needed(pdf.epw - 3, text, 8.5) * _LINE + 6
            self.ensure_room(needed)
            top = pdf.get_y()
            if notice.heading:
                self.paragraph(notice.heading, bold=True, indent=3)
            self.paragraph(text, indent=3)
            pdf.set_line_width(0.7)
            pdf.line(pdf.l_margin + 0.4, top, pdf.l_margin + 0.4, pdf.get_y())
            pdf.set_line_width(0.18)
            pdf.ln(1.2)

    def product(self) -> None:
        view = self.view
        if not view.product_name:
            return
        self.heading(view.product_name)
        if view.storage:
            self.paragraph(f"Storage: {view.storage}")
        for line in view.administration:
            self.paragraph(f"How to take: {line}")
        for line in view.product_notes:
            self.paragraph(line, size=7.5)
        if view.product_source:
            self.paragraph(f"Source: {view.product_source_short}", size=7.5)

    def dispense(self) -> None:
        view, pdf = self.view, self.pdf
        if not view.dispense:
            return
        self.heading("Dispensing summary")
        widths = [26.0, 38.0, 24.0, 0.0, 18.0]
        widths[3] = pdf.epw - sum(widths)
        titles = ["For", "Item", "Quantity", "Detail", "Dispensed"]
        self.font(8, bold=True)
        pdf.set_fill_color(217)
        for title, width in zip(titles, widths, strict=True):
            pdf.cell(width, _ROW, title, border=1, fill=True)
        pdf.ln(_ROW)
        for line in view.dispense:
            values = [line.scope, line.item, line.quantity, line.text, ""]
            height = (
                max(
                    self.lines_needed(width - 2, value, 8.5)
                    for value, width in zip(values, widths, strict=True)
                )
                * _LINE
                + 0.8
            )
            self.ensure_room(height)
            top, x = pdf.get_y(), pdf.l_margin
            self.font(8.5)
            for value, width in zip(values, widths, strict=True):
                pdf.rect(x, top, width, height)
                if value:
                    pdf.set_xy(x + 1, top + 0.4)
                    pdf.multi_cell(width - 2, _LINE, self.printable(value), align="L")
                else:  # the "dispensed" tick box
                    self.tick_box(x + (width - _TICK) / 2, top + (min(height, _ROW) - _TICK) / 2)
                x += width
            pdf.set_xy(pdf.l_margin, top + height)

    def closing(self) -> None:
        view, pdf = self.view, self.pdf
        if view.notes:
            self.heading("Notes")
            for note in view.notes:
                self.paragraph(note, size=7.5)
        self.heading(view.sources_heading)
        for source in view.sources:
            # Long URLs break anywhere (like the HTML's overflow-wrap) instead of each
            # taking a line of their own: the list has to fit the page.
            self.paragraph(source.line, size=6.8, wrap=WrapMode.CHAR)
        pdf.ln(2)
        needed = self.lines_needed(pdf.epw - 4, view.disclaimer, 8.5, True) * _LINE + 3
        self.ensure_room(needed)
        top = pdf.get_y()
        pdf.set_y(top + 1.2)
        self.paragraph(view.disclaimer, bold=True, indent=2)
        pdf.set_line_width(0.4)
        pdf.rect(pdf.l_margin, top, pdf.epw, pdf.get_y() - top + 1.2)
        pdf.set_line_width(0.18)

    def build(self) -> bytes:
        self.pdf.add_page()
        self.pdf.set_line_width(0.18)
        self.title_block()
        self.findings_box()
        self.boxed_notices()
        self.review()
        self.schedule()
        self.notices()
        self.product()
        self.dispense()
        self.closing()
        return bytes(self.pdf.output())


def render(plan: Plan, options: RenderOptions) -> bytes:
    return _Writer(build_view(plan, options), plan).build()
