"""Inputs to the planner: the patient and the options that shape a plan."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
)

from titrate.schema.regimen import Step
from titrate.schema.units import (
    Mg,
    Number,
    Strict,
    TimeOfDay,
)

# ---------------------------------------------------------------------------------------
# Inputs to the planner


def _printable_text(value: Any) -> Any:
    # Bytes that are not UTF-8 arrive from argv as lone surrogates; they cannot be
    # written to any output, so refuse them here rather than crash in a renderer.
    if isinstance(value, str) and any("\ud800" <= char <= "\udfff" for char in value):
        raise ValueError("text is not valid UTF-8")
    return value


PrintableText = Annotated[str, BeforeValidator(_printable_text)]


class Patient(Strict):
    name: PrintableText | None = Field(default=None, max_length=10_000)
    age_years: Number | None = None
    crcl_ml_min: Number | None = Field(
        default=None, description="creatinine clearance (Cockcroft–Gault), mL/min"
    )
    dialysis: bool = Field(default=False, description="dialysis-dependent")
    co_medications: list[str] = Field(
        default_factory=list, description="co-medications or classes as given"
    )
    pregnant: bool = False
    hepatic: bool = Field(default=False, description="active liver disease")


class PlanOptions(Strict):
    """Everything that shapes a plan besides the regimen. 'Today' and the zone are
    resolved by the caller (the CLI edge), so a plan is a pure function of these."""

    start: date
    timezone: str
    times: list[TimeOfDay] | None = None
    target_mg: Mg | None = None
    step_mg: Mg | None = Field(
        default=None, description="rule-based titration: rise per dose at each increase"
    )
    every_days: int | None = Field(
        default=None, ge=1, le=365, description="rule-based titration: days between increases"
    )
    hold_days: int = Field(default=0, ge=0)
    steps: list[Step] | None = None
    kind: Literal["titration", "custom", "taper"] | None = Field(
        default=None, description="None: custom when steps are given, else titration"
    )
    patient: Patient = Field(default_factory=Patient)
    then: Literal["continue", "stop", "review"] | None = Field(
        default=None,
        description="how the plan ends; None: a taper stops, a plan with a review date is "
        "reviewed, any other continues at its last step",
    )
    first_dose: TimeOfDay | None = Field(
        default=None,
        description="day 1 starts at this dose time, one of day 1's clock times (earlier "
        "times of day 1 are left out, and every step keeps its length)",
    )
    now: AwareDatetime | None = Field(
        default=None,
        description="when the plan is made, as the caller's clock read it (the CLI passes "
        "it; None: no clock). With no first_dose, when day 1 is now's date in the plan's "
        "zone, day 1 starts at its first dose time not yet passed, and the plan says so; "
        "when every one has passed, day 1 is the next day",
    )
    renal_adjust: bool = Field(
        default=False, description="apply the regimen's suggested renal dose factor"
    )
    product: str | None = Field(default=None, description="product id; None: the default")
    strengths: list[Mg] | None = Field(
        default=None, description="restrict a solid product to these strengths (mg)"
    )
    indication: str | None = Field(
        default=None,
        description="the indication whose ladder to follow (a regimen with several needs one)",
    )
