"""Missed-dose advice and dose-log audits (published in `titrate schema`)."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from titrate.model.advice import ADVICE_DISCLAIMER, AdviceAction
from titrate.schema.plan import Dose, Finding, RegimenRef, SourceRef
from titrate.schema.units import (
    Basis,
)


class Advice(BaseModel):
    """What to do now about a missed dose, with the rule used and its source."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal["1"] = "1"
    kind: Literal["missed-dose-advice"] = "missed-dose-advice"
    action: AdviceAction = Field(description="take it now, skip it, or contact the prescriber")
    dose: Dose = Field(description="the dose the action is about (take now or skip)")
    next_dose: Dose | None = Field(description="next scheduled dose; None: the plan has ended")
    cutoff: datetime | None = Field(description="take `dose` only up to this time")
    now: datetime
    missed: list[int] = Field(description="dose numbers counted as missed, oldest first")
    rule: str = Field(description="the missed-dose rule used, in words")
    rule_field: str = Field(description="where the rule's number lives in the regimen data")
    basis: Basis
    source: str = Field(description="citation of the rule's source in the regimen data")
    message: str = Field(description="the instruction, in one paragraph")
    never_double: str
    notes: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(
        default_factory=list, description="the plan's own findings (limits it breaks)"
    )
    regimen: RegimenRef
    timezone: str
    sources: list[SourceRef]
    disclaimer: str = ADVICE_DISCLAIMER
