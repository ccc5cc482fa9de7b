"""The PDF's page and text primitives (fpdf2): fonts, the running header and footer that
carry the patient's name, the dates and any DO-NOT-USE banner on every page, and text
laid out in lines whose words may differ in size and weight.

Text is set in DejaVu Sans, shipped in `titrate/fonts` with its licence, because the PDF
core fonts are Latin-1 only (no ½, ×, ⚠) and a patient's name may be written in any
script. A character the font lacks (e.g. Chinese) is printed as "?" with a note beside
the name rather than silently dropped. Tick boxes are drawn rectangles, never glyphs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import TTFFont

FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

# Page geometry in millimetres.
_MARGIN_X = 10.0
_HEADER_TOP = 7.0  # the running header's first line
_HEADER_SIZE = 12.0  # the name, the dates and the banner are critical text too
_UNDER_HEADER = 2.5  # from the header's last line to the page's content
_FOOTER_TEXT = 10.0  # "Page n of N", pt
_FOOTER_ROOM = 14.0  # page number only
_BANNER_ROOM = 21.5  # the banner box and the page number
PT = 0.3528  # millimetres per point
LEADING = PT * 1.2  # line height in mm per point of font size (1.2 leading)
TICK = 5.5  # side of a tick box on the patient's grid (at least 5 mm)

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
MAX_NAME = 120
_TRUNCATED = "…\n(truncated; full name in the HTML)"
_TOKENS = re.compile(r"\n| +|[^ \n]+")


def _font_path(name: str) -> Path:
    return Path(str(files("titrate").joinpath("fonts", name)))


def spaced(text: str) -> str:
    """Tabs as spaces and any line ending as a line break (the font has no tab glyph)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def shortened(text: str) -> str:
    """A name the page can hold: cut at `MAX_NAME` characters, saying so."""
    return text if len(text) <= MAX_NAME else text[:MAX_NAME] + _TRUNCATED


@dataclass(frozen=True)
class Run:
    """A stretch of text in one size and weight."""

    text: str
    size: float
    bold: bool = False
    leading: float = 1.2  # line height as a multiple of the size
    keep: bool = False  # never broken at its spaces (unless wider than a whole line)


@dataclass(frozen=True)
class Piece:
    text: str
    size: float
    bold: bool
    width: float
    leading: float = 1.2


@dataclass(frozen=True)
class Line:
    pieces: tuple[Piece, ...]

    @property
    def height(self) -> float:
        return max((piece.size * piece.leading * PT for piece in self.pieces), default=0.0)

    @property
    def width(self) -> float:
        return sum(piece.width for piece in self.pieces)


class Document(FPDF):
    """An A4/Letter page whose header names the patient and the dates and whose footer
    carries the DO-NOT-USE banner (when there is one) and "Page n of N"."""

    name_line = ""
    range_line = ""
    banner = ""
    header_lines = 1  # 2: the dates under a name too long to share their line

    def header(self) -> None:
        line = _HEADER_SIZE * LEADING
        self.set_font(FONT, "", _HEADER_SIZE)
        self.set_xy(self.l_margin, _HEADER_TOP + (self.header_lines - 1) * line)
        self.cell(0, line, self.range_line, align="R")
        self.set_font(FONT, "B", _HEADER_SIZE)
        self.set_xy(self.l_margin, _HEADER_TOP)
        self.cell(0, line, self.name_line)
        self.set_line_width(0.3)
        rule = _HEADER_TOP + self.header_lines * line + 0.8
        self.line(self.l_margin, rule, self.l_margin + self.epw, rule)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        page_text = f"Page {self.page_no()} of {{nb}}"
        self.set_font(FONT, "", _FOOTER_TEXT)
        number_width = self.get_string_width(f"Page {self.page_no()} of 999") + 2
        bottom = self.h - 5.5
        line = _FOOTER_TEXT * LEADING
        self.set_xy(self.l_margin + self.epw - number_width, bottom - line)
        self.cell(number_width, line, page_text, align="R")
        if not self.banner:
            return
        self.set_font(FONT, "B", _HEADER_SIZE)
        width, line = self.epw - number_width - 3, _HEADER_SIZE * LEADING
        lines = self.multi_cell(
            width - 4, line, self.banner, dry_run=True, output="LINES", align="L"
        )
        assert isinstance(lines, list)  # output="LINES" returns the wrapped lines
        height = len(lines) * line + 2.4
        top = bottom - height
        self.set_line_width(0.8)
        self.rect(self.l_margin, top, width, height)
        self.set_xy(self.l_margin + 2, top + 1.2)
        self.multi_cell(width - 4, line, self.banner, align="L")


class Writer:
    """Text and boxes on the document's pages; page breaks come from measured heights."""

    def __init__(self, paper: str | None, start: date, banner: str | None) -> None:
        pdf = Document(orientation="P", unit="mm", format="letter" if paper == "letter" else "A4")
        for style, name in _FONT_FILES.items():
            pdf.add_font(FONT, style, str(_font_path(name)))
        pdf.set_margins(_MARGIN_X, _HEADER_TOP + LEADING * _HEADER_SIZE + _UNDER_HEADER, _MARGIN_X)
        pdf.set_auto_page_break(auto=True, margin=_BANNER_ROOM if banner else _FOOTER_ROOM)
        pdf.c_margin = 0  # every padding below is explicit
        # Byte-identical output for the same input: the date is the plan's, not the clock's.
        pdf.set_creation_date(datetime.combine(start, time(0), tzinfo=UTC))
        pdf.set_producer("titrate")
        pdf.set_creator("titrate")
        pdf.set_lang("en")
        pdf.banner = banner or ""
        self.pdf = pdf
        font = pdf.fonts[FONT.lower()]
        assert isinstance(font, TTFFont)  # added from our TTF file just above
        self.glyphs: dict[int, Any] = font.cmap

    def running_header(self, name: str, dates: str) -> None:
        """Every page's header: the patient's name on the left, the medicine and dates on
        the right, or under a name that fits a line of its own but not beside them (a
        longer name is cut with "…" beside them: the page's title has it)."""
        pdf = self.pdf
        pdf.range_line = self.printable(dates).replace("\n", " ")
        beside = pdf.epw - self.width_of(pdf.range_line, _HEADER_SIZE) - 6
        if beside < self.width_of(name, _HEADER_SIZE, bold=True) <= pdf.epw:
            pdf.header_lines = 2
            pdf.set_top_margin(_HEADER_TOP + 2 * LEADING * _HEADER_SIZE + _UNDER_HEADER)
        width = beside if pdf.header_lines == 1 else pdf.epw
        pdf.name_line = self.one_line(name, width, _HEADER_SIZE, bold=True)

    # -- text -------------------------------------------------------------------------

    def printable(self, text: str) -> str:
        """Replace characters the font cannot draw (fpdf2 would drop them silently)."""
        text = spaced(text)
        return "".join(char if ord(char) in self.glyphs or char in "\n" else "?" for char in text)

    def user_text(self, text: str) -> str:
        """A name as typed, with a note when the PDF cannot show it as written."""
        shown = self.printable(text)
        notes = "" if shown == spaced(text) else _NOT_SHOWN
        if any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text):
            notes += _RTL_NOTE
        return shown + notes

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)

    def width_of(self, text: str, size: float, bold: bool = False) -> float:
        self.font(size, bold)
        return float(self.pdf.get_string_width(self.printable(text)))

    def one_line(self, text: str, width: float, size: float, bold: bool = False) -> str:
        """`text` cut with "…" to fit one line of `width` mm."""
        shown = self.printable(text).replace("\n", " ")
        self.font(size, bold)
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

    def wrap(self, runs: Sequence[Run], width: float) -> list[Line]:
        """Runs broken into lines of at most `width` mm at spaces (a word longer than a
        line, such as a URL, breaks between characters); a line break in the text starts
        a new line."""
        lines: list[list[Piece]] = [[]]
        used = 0.0
        pending: Piece | None = None  # a space, kept only if a word follows on the line
        for run in runs:
            text = self.printable(run.text)
            tokens = [text] if run.keep and "\n" not in text else _TOKENS.findall(text)
            for token in tokens:
                if token == "\n":
                    lines.append([])
                    used, pending = 0.0, None
                    continue
                piece = self._piece(token, run)
                if token.startswith(" "):
                    pending = piece if lines[-1] else None
                    continue
                space = pending.width if pending is not None else 0.0
                if used + space + piece.width > width and lines[-1] and piece.width <= width:
                    lines.append([])  # the word starts the next line
                    used, pending, space = 0.0, None, 0.0
                if pending is not None:
                    lines[-1].append(pending)
                    used += space
                    pending = None
                if used + piece.width <= width:
                    lines[-1].append(piece)
                    used += piece.width
                    continue
                # longer than a line: cut between characters, filling this line first
                current = ""
                for char in piece.text:
                    char_width = self.width_of(char, run.size, run.bold)
                    if used + char_width > width and (current or lines[-1]):
                        if current:
                            lines[-1].append(self._piece(current, run))
                        lines.append([])
                        used, current = 0.0, ""
                    current += char
                    used += char_width
                lines[-1].append(self._piece(current, run))
        return [Line(tuple(_merged(pieces))) for pieces in lines]

    def _piece(self, text: str, run: Run) -> Piece:
        width = self.width_of(text, run.size, run.bold)
        return Piece(text, run.size, run.bold, width, run.leading)

    def height(self, lines: Sequence[Line]) -> float:
        return sum(line.height for line in lines)

    def draw_line(
        self, line: Line, x: float, y: float, align: str = "L", width: float = 0.0
    ) -> None:
        """One line at (x, y): its pieces side by side on one baseline."""
        if align == "R":
            x += width - line.width
        elif align == "C":
            x += (width - line.width) / 2
        biggest = max((piece.size for piece in line.pieces), default=0.0) * PT
        baseline = y + line.height / 2 + biggest * 0.33
        for piece in line.pieces:
            self.font(piece.size, piece.bold)
            self.pdf.text(x, baseline, piece.text)
            x += piece.width

    def draw_lines(
        self, lines: Sequence[Line], x: float, y: float, align: str = "L", width: float = 0
    ) -> float:
        """Lines at (x, y) with no page break; returns the y under the last line."""
        for line in lines:
            self.draw_line(line, x, y, align, width)
            y += line.height
        return y

    def flow(self, runs: Sequence[Run], indent: float = 0.0, hanging: float = 0.0) -> None:
        """A paragraph from the current y, starting a new page whenever a line would not
        fit; lines after the first are indented by `hanging` more."""
        pdf = self.pdf
        for number, line in enumerate(self.wrap(runs, pdf.epw - indent - hanging)):
            self.ensure_room(line.height)
            x = pdf.l_margin + indent + (hanging if number else 0.0)
            self.draw_line(line, x, pdf.get_y())
            pdf.set_y(pdf.get_y() + line.height)

    def gap(self, height: float) -> None:
        """Vertical space, unless at the top of a page."""
        if self.pdf.get_y() > self.pdf.t_margin + 0.01:
            self.pdf.set_y(min(self.pdf.get_y() + height, self.pdf.page_break_trigger))

    def paragraph(self, text: str, size: float, bold: bool = False, indent: float = 0.0) -> None:
        self.flow([Run(text, size, bold)], indent)

    def heading(self, text: str, size: float, gap: float = 2.0, keep: float = 20.0) -> None:
        """A heading kept on a page with at least `keep` mm of what follows."""
        self.ensure_room(gap + size * LEADING + keep)
        self.gap(gap)
        self.paragraph(text, size, bold=True)
        self.pdf.set_y(self.pdf.get_y() + 0.6)

    # -- pages and boxes --------------------------------------------------------------

    def room(self) -> float:
        return float(self.pdf.page_break_trigger - self.pdf.get_y())

    def page_room(self) -> float:
        """The height a fresh page offers."""
        return float(self.pdf.page_break_trigger - self.pdf.t_margin)

    def ensure_room(self, height: float) -> bool:
        """Start a new page unless `height` mm still fit (or a fresh page would not hold
        them either); True when a page was added."""
        if height > self.room() and self.pdf.get_y() > self.pdf.t_margin + 0.01:
            self.pdf.add_page()
            return True
        return False

    def boxed(
        self,
        lines: Sequence[Line],
        border: float,
        inset: float = 2.5,
        double: bool = False,
        dashed: bool = False,
        fill: int | None = None,
    ) -> None:
        """Lines in a frame across the page width; a frame taller than the room left on
        the page continues on the next page(s), framed on each."""
        pdf = self.pdf
        pad = 1.6 + (1.4 if double else 0.0)
        whole = self.height(lines) + 2 * pad
        # kept on one page when a page can hold it, else started where 3 lines still fit
        self.ensure_room(whole if whole <= self.page_room() else self.height(lines[:3]) + 2 * pad)
        top, top_page = pdf.get_y(), pdf.page_no()
        y = top + pad
        for line in lines:
            if y + line.height > pdf.page_break_trigger:
                pdf.add_page()
                y = pdf.get_y() + pad
            self.draw_line(line, pdf.l_margin + inset, y)
            y += line.height
        bottom = y + pad
        if dashed:
            pdf.set_dash_pattern(dash=1.6, gap=0.9)
        self.frame(top, top_page, bottom, border, fill=fill)
        if double:  # a double frame, like the HTML's double border
            self.frame(top + 1.1, top_page, bottom - 1.1, border / 2, inset=1.1)
        pdf.set_dash_pattern()
        pdf.set_line_width(0.2)
        pdf.set_y(bottom)

    def frame(
        self,
        top: float,
        top_page: int,
        bottom: float,
        width: float,
        inset: float = 0.0,
        fill: int | None = None,
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

    def tick_box(self, x: float, y: float, side: float = TICK) -> None:
        """A drawn box (no glyph needed) for the patient or pharmacist to tick."""
        self.pdf.set_line_width(0.5)
        self.pdf.rect(x, y, side, side)
        self.pdf.set_line_width(0.2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Neighbouring pieces of the same size and weight as one (fewer, whole words)."""
    merged: list[Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if last is not None and (last.size, last.bold) == (piece.size, piece.bold):
            merged[-1] = Piece(
                last.text + piece.text, last.size, last.bold, last.width + piece.width
            )
        else:
            merged.append(piece)
    return merged
