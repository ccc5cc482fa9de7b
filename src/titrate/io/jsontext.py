"""JSON text read exactly: numbers kept as written (Decimal), NaN and Infinity refused,
duplicate keys refused (`{"dose_mg": 5, "dose_mg": 50}` is not silently 50), and a map
from each key path to the line its value starts on, so errors say `file:line`.

One parser for JSON Lines rows (batch requests, dose logs) and whole JSON files (plans).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from titrate.io.yamltext import LineMap


class JSONTextError(ValueError):
    """Text that is not acceptable JSON; `lineno` (1-based) when the line is known."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno


_CONSTANTS = ("NaN", "Infinity", "-Infinity")


class _Constant(JSONTextError):
    def __init__(self, token: str) -> None:
        super().__init__(f"{token} is not a number")
        self.token = token


def _refuse_constant(token: str) -> Any:
    raise _Constant(token)


class _DuplicateKey(JSONTextError):
    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def _duplicate_line(text: str, key: str) -> int | None:
    """The line of a key's second appearance (as an object key: quoted, then a colon)."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    starts = [match.start() for match in pattern.finditer(text)]
    return text.count("\n", 0, starts[1]) + 1 if len(starts) > 1 else None


def loads(text: str, *, exact: bool = True, holder: str | None = None) -> Any:
    """Parse JSON text; `exact` keeps fractional numbers as Decimal (7.5 mg stays 7.5).

    `holder` names what the text is ("a plan") in the message for NaN and Infinity.
    Raises JSONTextError with a one-line message ("not valid JSON: …", "duplicate key
    'dose_mg'", "NaN is not a number", "nested too deeply")."""
    try:
        return json.loads(
            text,
            parse_float=Decimal if exact else None,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except _DuplicateKey as exc:
        raise JSONTextError(exc.message, _duplicate_line(text, exc.key)) from None
    except _Constant as exc:
        message = f"{exc.token} is not a number {holder} may contain" if holder else exc.message
        raise JSONTextError(message, literal_line(text, _CONSTANTS)) from None
    except json.JSONDecodeError as exc:
        raise JSONTextError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise JSONTextError("nested too deeply") from None


_TOKEN = re.compile(r'\s*(?:([\[\]{}:,])|("(?:[^"\\]|\\.)*")|([^\s\[\]{}:,"]+))', re.DOTALL)


def json_lines(text: str) -> LineMap:
    """Map each key/index path of valid JSON text to the 1-based line its value starts
    on. Iterative (no recursion), so any nesting json.loads accepted is fine."""
    lines: LineMap = {}
    # frames: [is_object, path, pending key (objects) or next index (arrays), expecting_key]
    stack: list[list[Any]] = []
    position, line, length = 0, 1, len(text)
    root: tuple[Any, ...] = ()
    while position < length:
        match = _TOKEN.match(text, position)
        if match is None:
            break
        start = match.start(match.lastindex or 0)
        line += text.count("\n", position, start)
        position = match.end()
        punct, string = match.group(1), match.group(2)
        frame = stack[-1] if stack else None
        if punct in ("]", "}"):
            stack.pop()
        elif punct == ":":
            if frame is not None:
                frame[3] = False
        elif punct == ",":
            if frame is not None:
                if frame[0]:
                    frame[3] = True
                else:
                    frame[2] += 1
        elif frame is not None and frame[0] and frame[3] and string is not None:
            frame[2] = json.loads(string)
        else:
            path = root if frame is None else (*frame[1], frame[2])
            lines[path] = line
            if punct == "{":
                stack.append([True, path, None, True])
            elif punct == "[":
                stack.append([False, path, 0, False])
    return lines


def literal_line(text: str, literals: tuple[str, ...]) -> int | None:
    """The line of the first bare (unquoted) token that is one of `literals`."""
    position, line = 0, 1
    while (match := _TOKEN.match(text, position)) is not None:
        line += text.count("\n", position, match.start(match.lastindex or 0))
        position = match.end()
        if match.group(3) in literals:
            return line
    return None
