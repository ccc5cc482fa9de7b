"""Every fact's source list and basis (a mixin of every regimen fact), and a source."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import date
from typing import Literal

from pydantic import (
    Field,
)

from titrate.schema.units import (
    Basis,
    Strict,
)


class Source(Strict):
    """A document a number in the data comes from."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    title: str = Field(min_length=1)
    section: str | None = None
    url: str = Field(pattern=r"^https?://\S+$")
    retrieved: date
    kind: Literal["label", "manufacturer", "secondary", "literature", "patient-info"] = "label"


class Sourced(Strict):
    """Mixin for every fact: which sources state it and on what basis."""

    source: list[str] = Field(min_length=1)
    basis: Basis = "label"
    note: str | None = None
