"""Inputs to the planner: the patient and the options that shape a plan (validated
where they enter: `titrate.requests`, `titrate.schema.options`)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal

import msgspec

from titrate.model.regimen import Step
from titrate.model.units import Record

PrintableText = str


class Patient(Record, frozen=True, kw_only=True):
    name: str | None = None
    age_years: Decimal | None = None
    crcl_ml_min: Decimal | None = None
    dialysis: bool = False
    co_medications: list[str] = msgspec.field(default_factory=list)
    pregnant: bool = False
    hepatic: bool = False


class PlanOptions(Record, frozen=True, kw_only=True):
    """Everything that shapes a plan besides the regimen. 'Today' and the zone are
    resolved by the caller (the CLI edge), so a plan is a pure function of these."""

    start: date
    timezone: str
    times: list[time] | None = None
    target_mg: Decimal | None = None
    step_mg: Decimal | None = None
    every_days: int | None = None
    hold_days: int = 0
    steps: list[Step] | None = None
    kind: Literal["titration", "custom", "taper"] | None = None
    patient: Patient = msgspec.field(default_factory=Patient)
    then: Literal["continue", "stop", "review"] | None = None
    first_dose: time | None = None
    now: datetime | None = None
    renal_adjust: bool = False
    product: str | None = None
    strengths: list[Decimal] | None = None
    indication: str | None = None
