"""A terminal grid laid out here, not by rich's column shrinking, so that no cell is ever
broken across lines: the plan table (render.table), the audit (render.audit) and the check
report (render.check) share it.

Rows come in blocks (a day of a plan, a dose of an audit), each with notes (a day's
findings): either in a last column beside the block when every note fits there whole
(`beside`), or on lines of their own under the block, indented past the first column.
Every cell is one unit; a caller that needs a narrower layout splits its own cells
(one part per line) or drops a column into a heading line above its block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text

__all__ = ["Block", "Column", "beside_width", "fits", "grid", "joined", "widths"]

Column = tuple[str, bool]  # (header, right-aligned)


@dataclass
class Block:
    """Lines of cells (one list per line, a cell per column), the notes that go beside
    or under them, and an optional heading line printed above the block."""

    lines: list[list[Text]]
    notes: list[Text] = field(default_factory=list)
    heading: Text | None = None


def widths(columns: Sequence[Column], blocks: Sequence[Block]) -> list[int]:
    """Each column's width: its widest cell or its header."""
    return [
        max([len(header)] + [len(cells[at]) for block in blocks for cells in block.lines])
        for at, (header, _) in enumerate(columns)
    ]


def fits(sizes: Sequence[int], gap: int, width: int) -> bool:
    return sum(sizes) + gap * (len(sizes) - 1) <= width


def beside_width(blocks: Sequence[Block], room: int, header: str) -> int | None:
    """The width of a notes column of at most `room` characters in which every note fits
    whole, or None when one does not (the notes then go under their block)."""
    if room < len(header) or any(len(note) > room for block in blocks for note in block.notes):
        return None
    joined_lines = (line for block in blocks for line in joined(block.notes, room))
    return max(len(header), max((len(line) for line in joined_lines), default=0))


def row(cells: Sequence[Text], sizes: Sequence[int], columns: Sequence[Column], gap: int) -> Text:
    """One line: each cell padded to its column (right-aligned where the column is), no
    trailing spaces."""
    line = Text()
    for at, (cell, size, (_, right)) in enumerate(zip(cells, sizes, columns, strict=True)):
        if at:
            line.append(" " * gap)
        pad = " " * (size - len(cell))
        line.append_text(Text(pad) + cell if right else cell + Text(pad))
    line.rstrip()
    return line


def grid(
    columns: Sequence[Column],
    sizes: Sequence[int],
    blocks: Sequence[Block],
    width: int,
    *,
    beside: bool,
    gap: int,
    spaced: bool = False,
) -> list[Text]:
    """Header, rule and the blocks (a blank line between them when `spaced`); the notes in
    the last column (`beside`: `columns` and `sizes` include it) or under the block."""
    lines = [
        row([Text(header, style="bold") for header, _ in columns], sizes, columns, gap),
        Text("─" * (sum(sizes) + gap * (len(sizes) - 1))),
    ]
    indent = " " * (sizes[0] + gap)
    blank = [Text("") for _ in columns]
    for index, block in enumerate(blocks):
        if index and spaced:
            lines.append(Text(""))
        if block.heading is not None:
            lines.append(block.heading)
        if beside:
            notes = joined(block.notes, sizes[-1])
            rows = [[*cells, Text("")] for cells in block.lines]
            rows += [list(blank) for _ in range(len(notes) - len(rows))]
            for cells, note in zip(rows, notes, strict=False):
                cells[-1] = note
            lines += [row(cells, sizes, columns, gap) for cells in rows]
            continue
        lines += [row(cells, sizes, columns, gap) for cells in block.lines]
        lines += joined(block.notes, width, indent)
    return lines


def joined(notes: Sequence[Text], width: int, indent: str = "") -> list[Text]:
    """Notes, `; ` between them, each note whole on one line of `width`."""
    lines: list[Text] = []
    line = Text(indent)
    for note in notes:
        if len(line) > len(indent) and len(line) + 2 + len(note) > width:
            lines.append(line)
            line = Text(indent)
        if len(line) > len(indent):
            line.append("; ")
        line.append_text(note)
    return [*lines, line] if notes else lines
