"""The one number parser for every input: options, YAML, CSV cells and JSON values.

A number is ASCII digits with an optional sign, decimal point and exponent (`7.5`,
`-0.25`, `1e3`): Python's own parsers also take `1_2` (as 12), `５` and other non-ASCII
digits, and surrounding whitespace inside a JSON string, none of which a clinician means
as a number. Booleans are not numbers (`true` is not a count of 1). Decimal throughout, so
a dose is exact.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]+")


def decimal_or_none(value: object) -> Decimal | None:
    """`value` as an exact Decimal when it is a number (text as above, an int, a Decimal or
    a float by its shortest text), else None. Text may have spaces around it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return decimal_or_none(repr(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def whole_or_none(value: object) -> int | None:
    """`value` as an int when it is a whole number written as one (`3`, not `3.0`,
    `1_2`, `３` or `true`), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None
