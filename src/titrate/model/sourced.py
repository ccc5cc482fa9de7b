"""Every fact's source list and basis (a base of every regimen fact), and a source."""

from datetime import date
from typing import Literal

from titrate.model.units import Basis, Record


class Source(Record, frozen=True, kw_only=True):
    """A document a number in the data comes from."""

    id: str
    title: str
    section: str | None = None
    url: str
    retrieved: date
    kind: Literal["label", "manufacturer", "secondary", "literature", "patient-info"] = "label"


class Sourced(Record, frozen=True, kw_only=True):
    """Base of every fact: which sources state it and on what basis."""

    source: list[str]
    basis: Basis = "label"
    note: str | None = None
