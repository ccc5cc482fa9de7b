"""Wrapping text for the terminal without breaking what must stay whole.

Lines break only at spaces, never inside an amount (`1½ × 10 mg`, `5 mg/mL`,
`10 → 60 mg`) or a hyphenated word (`over-single-dose`); a word longer than a line (a web
address) breaks after a `/`, `?` or `&`. Plain Python, no rich: the text renderers share it.
"""

from __future__ import annotations

import re

__all__ = ["wrap"]

# Spaces that never break a line: inside `1½ × 10 mg`, `5 mg/mL`, `10 → 60 mg`.
_GLUE = "\ue000"
_GLUE_RE = re.compile(r"(?<=[\d½¼¾]) (?=(?:mg|mL|×|→)(?!\w))|(?<=[×→]) (?=[\d½¼¾])")


def wrap(text: str, width: int, indent: str = "", hang: str | None = None) -> list[str]:
    """Lines of at most `width` characters, broken only at spaces (never inside an amount
    such as `1½ × 10 mg`); a word longer than a line (a web address) breaks after a `/`,
    `?` or `&`.

    >>> wrap("then take 1½ × 10 mg tablet", 16, hang="  ")
    ['then take', '  1½ × 10 mg', '  tablet']
    """
    hang = indent if hang is None else hang
    words = _GLUE_RE.sub(_GLUE, " ".join(text.split())).split(" ")
    lines: list[str] = []
    line, fresh = indent, True
    for glued in words:
        word = glued.replace(_GLUE, " ")
        if not fresh and len(line) + 1 + len(word) <= width:
            line += " " + word
            continue
        if not fresh:
            lines.append(line)
            line = hang
        while len(line) + len(word) > width:
            cut = _cut(word, width - len(line))
            lines.append(line + word[:cut])
            line, word = hang, word[cut:]
        line, fresh = line + word, False
    lines.append(line)
    return lines


def _cut(word: str, room: int) -> int:
    """Where a word too long for the line breaks: after the last `/`, `?` or `&` that
    fits (never right after the `//` of `https://`), else at the edge.

    >>> _cut("fdaDrugXsl.cfm?setid=4585aafe-0af8-4786-a419-6a7e76671ca2&type=display", 56)
    15
    >>> _cut("https://averyveryverylongdomainname.example/", 20)
    20
    """
    room = max(room, 1)
    after = max(word.rfind(mark, 0, room) for mark in "/?&") + 1
    return after if after > 0 and not word[:after].endswith("//") else room
