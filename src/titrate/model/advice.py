"""Missed-dose advice (`titrate.schema.advice` publishes its schema)."""

from datetime import datetime
from typing import Literal

import msgspec

from titrate.model.plan import Dose, Finding, RegimenRef, SourceRef
from titrate.model.units import Basis, Record

ADVICE_DISCLAIMER = (
    "This advice supports, and does not replace, the prescriber's or pharmacist's "
    "instructions. If unsure, ask them before taking the dose."
)
AdviceAction = Literal["take", "skip", "contact-prescriber"]


class Advice(Record, frozen=True, kw_only=True):
    """What to do now about a missed dose, with the rule used and its source."""

    schema_version: Literal["1"] = "1"
    kind: Literal["missed-dose-advice"] = "missed-dose-advice"
    action: AdviceAction
    dose: Dose
    next_dose: Dose | None
    cutoff: datetime | None
    now: datetime
    missed: list[int]
    rule: str
    rule_field: str
    basis: Basis
    source: str
    message: str
    never_double: str
    notes: list[str] = msgspec.field(default_factory=list)
    findings: list[Finding] = msgspec.field(default_factory=list)
    regimen: RegimenRef
    timezone: str
    sources: list[SourceRef]
    disclaimer: str = ADVICE_DISCLAIMER
