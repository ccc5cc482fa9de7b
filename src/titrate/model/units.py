"""Exact quantities and the small vocabularies every model shares: milligrams as
Decimal, JSON numbers, severities, the basis of a fact."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

SCHEMA_VERSION = "1"  # keep equal to Plan.schema_version

# Upper bound on any milligram amount the tool accepts: far above any oral dose, low
# enough that an absurd value (1e400, a typo with six zeros) is an input error.
ABSURD_MG = Decimal(100_000)


def decimal_text(value: Decimal) -> str:
    """An exact Decimal as plain text, for display: 15, 2.5, 0.125 (never 1E+1, never
    trailing zeros, never rounded).

    >>> decimal_text(Decimal("2.50")), decimal_text(Decimal("1E+1")), decimal_text(Decimal("-0"))
    ('2.5', '10', '0')
    """
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def json_number(value: Decimal) -> int | float:
    """Decimal → JSON number: integers stay integers (15, not 15.0); display rounding is
    the renderers' job, so nothing is rounded here."""
    return int(value) if value == value.to_integral_value() else float(value)


def _only_time_text(value: Any) -> Any:
    # A YAML 1.1 parser turns 14:00 into the integer 840 and pydantic would accept it as
    # seconds after midnight (00:14): refuse anything that is not text or a time.
    if isinstance(value, time | str):
        return value
    raise ValueError("a time of day must be written as text, e.g. '14:00'")


def _decimal_from_text(value: Any) -> Any:
    # bool is an int subclass: "dose_mg: yes" must not become 1 mg.
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, float):
        return Decimal(repr(value))  # 0.1 → Decimal('0.1'), not the binary expansion
    return value


class _JsonNumbers(dict[Decimal, int | float]):
    """json_number as a table filled on first use. A plan's JSON holds a few hundred
    Decimals but only a handful of distinct values (the doses, their amounts and
    totals); pydantic calls the serializer once per Decimal, and a dict look-up is a C
    call where json_number is a Python one, which made it a fifth of a plan's
    serialisation time. Safe because json_number depends only on the numeric value, and
    Decimals that compare equal (5, 5.0, 5E+0) hash equal and give the same number."""

    LIMIT = 4096  # distinct values kept; a batch of unusual doses must not grow it forever

    def __missing__(self, value: Decimal) -> int | float:
        if len(self) >= self.LIMIT:
            self.clear()
        number = self[value] = json_number(value)
        return number


_NumberOut = PlainSerializer(_JsonNumbers().__getitem__, return_type=Any, when_used="json")
_NumberSchema = WithJsonSchema({"type": "number", "minimum": 0}, mode="serialization")
# A dose is above zero in the published schema too (the serialization schema is replaced
# by WithJsonSchema, which would otherwise drop the Field bounds).
_PositiveSchema = WithJsonSchema({"type": "number", "exclusiveMinimum": 0}, mode="serialization")

# Doses are stated to at most a microgram (3 decimal places of a milligram); more digits
# are float noise (0.30000000000000004) or a typo, and are refused rather than rounded.
MG_DECIMAL_PLACES = 3

Mg = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_text),
    Field(gt=0, le=ABSURD_MG, allow_inf_nan=False, decimal_places=MG_DECIMAL_PLACES),
    _NumberOut,
    _PositiveSchema,
]
"""A positive amount in milligrams (exact)."""

MgOrZero = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_text),
    Field(ge=0, le=ABSURD_MG, allow_inf_nan=False),
    _NumberOut,
    _NumberSchema,
]
"""A non-negative amount in milligrams (exact), e.g. a day's total."""

Number = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_text),
    Field(ge=0, le=ABSURD_MG, allow_inf_nan=False),
    _NumberOut,
    _NumberSchema,
]
"""A non-negative exact number (ages, days, fractions)."""

Quantity = Annotated[
    Decimal,
    Field(ge=0, allow_inf_nan=False),
    _NumberOut,
    _NumberSchema,
]
"""A computed non-negative count or volume (tablets, mL): no input cap, since a long plan
in a dilute liquid can legitimately need more than ABSURD_MG units."""

TimeOfDay = Annotated[time, BeforeValidator(_only_time_text)]

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


class Strict(BaseModel):
    """Base for data read from files: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
