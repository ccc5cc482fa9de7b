"""The edge's constrained types: milligrams as exact Decimals within bounds, JSON
numbers, times of day written as text; `Strict`, the base of data read from files."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from titrate.model.units import (  # the one definition of each, shared with the runtime
    ABSURD_MG,
    MG_DECIMAL_PLACES,
    SCHEMA_VERSION,
    SEVERITY_RANK,
    Basis,
    Severity,
    _JsonNumbers,
    decimal_text,
    json_number,
)


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


_NumberOut = PlainSerializer(_JsonNumbers().__getitem__, return_type=Any, when_used="json")
_NumberSchema = WithJsonSchema({"type": "number", "minimum": 0}, mode="serialization")
# A dose is above zero in the published schema too (the serialization schema is replaced
# by WithJsonSchema, which would otherwise drop the Field bounds).
_PositiveSchema = WithJsonSchema({"type": "number", "exclusiveMinimum": 0}, mode="serialization")

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


class Strict(BaseModel):
    """Base for data read from files: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
    "Severity",
    "Strict",
    "TimeOfDay",
    "decimal_text",
    "json_number",
]
