"""Exact quantities and the small vocabularies every type shares: milligrams as
Decimal, JSON numbers, severities, the basis of a fact; and `Record`, the base of every
runtime type (an immutable msgspec Struct).

The runtime types are light: creating one validates nothing (≈ 0.3 µs), so they are made
only from values that are already valid — the compiled built-in regimens (validated when
compiled), values validated at an edge (`titrate.schema`: a user's regimen file, a plan
file, a batch row, a request), or values the planner computed from those."""

from datetime import time
from decimal import Decimal
from typing import Any, Literal, Self

import msgspec

from titrate.model.jsonout import _JsonNumbers, dump_json, json_number, to_builtins

SCHEMA_VERSION = "1"  # keep equal to Plan.schema_version

# Upper bound on any milligram amount the tool accepts: far above any oral dose, low
# enough that an absurd value (1e400, a typo with six zeros) is an input error.
ABSURD_MG = Decimal(100_000)

# Doses are stated to at most a microgram (3 decimal places of a milligram); more digits
# are float noise (0.30000000000000004) or a typo, and are refused rather than rounded.
MG_DECIMAL_PLACES = 3


def decimal_text(value: Decimal) -> str:
    """An exact Decimal as plain text, for display: 15, 2.5, 0.125 (never 1E+1, never
    trailing zeros, never rounded).

    >>> decimal_text(Decimal("2.50")), decimal_text(Decimal("1E+1")), decimal_text(Decimal("-0"))
    ('2.5', '10', '0')
    """
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


# Runtime spellings of the edge's constrained types (`titrate.schema.units`): the
# constraints are checked where values enter, so here they are plain Decimals and times.
Mg = Decimal
"""A positive amount in milligrams (exact)."""
MgOrZero = Decimal
"""A non-negative amount in milligrams (exact), e.g. a day's total."""
Number = Decimal
"""A non-negative exact number (ages, days, fractions)."""
Quantity = Decimal
"""A computed non-negative count or volume (tablets, mL)."""
TimeOfDay = time

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}

Basis = Literal[
    "label",
    "implied",
    "inference",
    "convention",
    "literature",
    "non-us-label",
    "patient-info",
    "secondary",
]
"""Where a number comes from: the label's words, implied by them, a documented
convention, published literature, or a non-US label."""


class Record(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every runtime type: immutable, keyword-only, fields in a fixed order (the
    JSON's order). Creating one checks nothing: see the module's docstring.

    The `model_*` methods keep the Python API of the pydantic models these types
    replaced (`plan.model_dump_json(indent=2)` is what `titrate plan -f json` prints)."""

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with some fields replaced (`msgspec.structs.replace`)."""
        return msgspec.structs.replace(self, **update) if update else self

    def model_dump_json(self, *, indent: int | None = None, exclude: set[str] | None = None) -> str:
        """The JSON the command line writes (numbers as JSON numbers, `None` as null),
        without the top-level fields in `exclude`."""
        return dump_json(self, indent=indent, exclude=exclude)

    def model_dump(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """The fields as a dict: Python values (Decimal, date) or, with mode="json", the
        values `model_dump_json` writes."""
        if mode == "json":
            return msgspec.json.decode(self.model_dump_json())  # type: ignore[no-any-return]
        return to_builtins(self)


Strict = Record
"""The base of data read from files (the name of its edge counterpart)."""


__all__ = [
    "ABSURD_MG",
    "MG_DECIMAL_PLACES",
    "SCHEMA_VERSION",
    "SEVERITY_RANK",
    "Basis",
    "Mg",
    "MgOrZero",
    "Number",
    "Quantity",
    "Record",
    "Severity",
    "Strict",
    "TimeOfDay",
    "_JsonNumbers",
    "decimal_text",
    "json_number",
]
