"""The control-character policy for text that reaches a terminal or a page.

Refused at input, from every edge (command line, batch rows, plan, log and regimen files),
so nothing raw reaches an output: C0 controls other than tab (ESC starts terminal escape
sequences that can set a window title or rewrite the screen; a newline splits a header;
NUL truncates strings in other tools), DEL, C1 controls (U+0080-U+009F; U+009B is a
one-byte CSI), lone surrogates (bytes that were not UTF-8), and bidirectional overrides or
embeddings outside an isolate, which reorder what a reader sees (a dose can display
reversed). Text from YAML and JSON files may hold line feeds (a regimen's folded summary);
nothing else.
"""

from __future__ import annotations

import re
import unicodedata

# Embeddings and overrides open a bidirectional run closed by PDF (U+202C); isolates open
# one closed by PDI (U+2069). Marks (LRM, RLM, ALM) reorder nothing on their own.
_OPENERS = frozenset("\u202a\u202b\u202d\u202e")
_ISOLATES = frozenset("\u2066\u2067\u2068")
_CLOSE_EMBEDDING, _CLOSE_ISOLATE = "\u202c", "\u2069"
CONTROL = "[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
CONTROL_MULTILINE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
_PATTERNS: dict[bool, re.Pattern[str]] = {}


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` may not be printed, or None: a phrase that follows "text holds"
    (`a control character U+001B (ESC)`, `bytes that are not UTF-8`)."""
    if text.isprintable():
        # Every character refused is a control, a surrogate or a format character,
        # none printable (a test checks each), so printable text needs no pattern: most
        # text, and the patterns compile only when needed (~1.3 ms of each start-up).
        return None
    pattern = _PATTERNS.get(multiline)
    if pattern is None:
        pattern = _PATTERNS[multiline] = re.compile(CONTROL_MULTILINE if multiline else CONTROL)
    found = pattern.search(text)
    if found is None:
        return None
    return _bidi_problem(text, pattern) if _is_bidi(found.group()) else _named(found.group())


def _is_bidi(char: str) -> bool:
    return char in _OPENERS or char in _ISOLATES or char in (_CLOSE_EMBEDDING, _CLOSE_ISOLATE)


def _bidi_problem(text: str, pattern: re.Pattern[str]) -> str | None:
    """Overrides and embeddings only inside an isolate, every run closed, and nothing else
    the pattern refuses."""
    stack: list[str] = []
    for char in text:
        if not pattern.fullmatch(char):
            continue
        if char in _ISOLATES:
            stack.append(char)
        elif char in _OPENERS:
            if _ISOLATES.isdisjoint(stack):
                return f"{_named(char)} outside an isolate (it reorders the text around it)"
            stack.append(char)
        elif char == _CLOSE_EMBEDDING:
            if not stack or stack[-1] not in _OPENERS:
                return f"{_named(char)} without its opening character"
            stack.pop()
        elif char == _CLOSE_ISOLATE:
            while stack and stack[-1] in _OPENERS:
                stack.pop()  # closing an isolate closes the runs opened inside it
            if not stack:
                return f"{_named(char)} without its opening isolate"
            stack.pop()
        else:
            return _named(char)
    if stack:
        return f"{_named(stack[-1])} never closed"
    return None


def _named(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "bytes that are not UTF-8"
    name = unicodedata.name(char, "") or _C0_NAMES.get(code, "a C1 control")
    return f"a control character U+{code:04X} ({name})"


_C0_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BACKSPACE",
    0x0A: "LINE FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESC",
    0x7F: "DELETE",
}


def walk_strings(
    data: object, path: tuple[object, ...] = ()
) -> tuple[tuple[object, ...], str] | None:
    """The first string (key or value) in a JSON-like document that `text_problem`
    refuses (multi-line allowed), as (its path, the reason); None when all are fine."""
    stack: list[tuple[object, tuple[object, ...]]] = [(data, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            problem = text_problem(node, multiline=True)
            if problem is not None:
                return where, problem
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str):
                    problem = text_problem(key)
                    if problem is not None:
                        return (*where, key), f"a key holds {problem}"
                stack.append((value, (*where, key)))
        elif isinstance(node, list | tuple):
            stack.extend((value, (*where, index)) for index, value in enumerate(node))
    return None
