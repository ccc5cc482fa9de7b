"""Plans and findings, as the planner produces them and `titrate schema` publishes them."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from titrate.model.plan import DISCLAIMER as _DISCLAIMER
from titrate.model.plan import PlanAction
from titrate.schema.options import Patient
from titrate.schema.units import (
    Basis,
    Mg,
    Number,
    Quantity,
    Severity,
)

# ---------------------------------------------------------------------------------------
# Plans and findings (published in `titrate schema`)


class Finding(BaseModel):
    """One problem (or note) found in a plan or a dose log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="short stable id, e.g. TT101")
    rule: str = Field(description="stable kebab-case slug, e.g. over-daily-max")
    severity: Severity
    message: str
    day: int | None = Field(default=None, description="plan day number the finding concerns")
    last_day: int | None = Field(
        default=None,
        description="the last day of a run of days with the same finding (day is the first)",
    )
    dose: int | None = Field(default=None, description="dose number (1-based) it concerns")
    at: datetime | None = Field(default=None, description="date-time it concerns")
    source: str = Field(description="citation of the rule's source in the regimen data")
    basis: Basis | None = Field(default=None, description="label, implied, convention, …")


class Piece(BaseModel):
    """Part of an amount: `count` units of one strength (count may be 0.5 for a half)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strength_mg: Mg
    count: Quantity


class Amount(BaseModel):
    """How much of the chosen product makes one dose (filled in by `measure`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: Quantity = Field(description="tablets, capsules, packets or mL (exact)")
    unit: Literal["tablet", "capsule", "packet", "mL"]
    text: str = Field(description="for people, e.g. '1½ × 10 mg tablet', '3 mL'")
    pieces: list[Piece] = Field(default_factory=list)


class ProductRef(BaseModel):
    """The product a plan is measured in (filled in by `measure`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    form: Literal["tablet", "capsule", "solution", "suspension", "granules"]
    strengths_mg: list[Mg] = Field(default_factory=list, description="solid forms")
    concentration_mg_per_ml: Mg | None = Field(default=None, description="liquids")
    storage: str | None = None
    discard_after_opening_days: int | None = None
    administration: list[str] = Field(default_factory=list)
    source: str = ""
    scored_mg: list[Mg] = Field(default_factory=list, description="strengths that may be halved")
    measure_step_ml: Number | None = Field(default=None, description="liquids: finest mL measured")
    pack_sizes: list[Number] = Field(default_factory=list, description="mL or units per pack")
    pack_name: str | None = Field(default=None, description="bottle, carton, …")
    notes: list[str] = Field(default_factory=list, description="conventions and caveats")
    not_interchangeable_with: list[str] = Field(
        default_factory=list,
        description="ids of products that must not be swapped with this one during a course",
    )


class PackCount(BaseModel):
    """`count` packs of `size` (mL per bottle, packets per carton)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: Number
    count: int = Field(ge=0)


class DispenseLine(BaseModel):
    """How much to dispense of one item, for one step or (step None) the whole course."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: int | None = Field(default=None, description="None = whole course")
    item: str = Field(description="e.g. '10 mg tablet', '5 mg/mL suspension'")
    strength_mg: Mg | None = None
    quantity: Quantity = Field(description="units to dispense (tablets, packets, mL)")
    unit: Literal["tablet", "capsule", "packet", "mL"]
    packs: int | None = Field(default=None, description="bottles/cartons of pack_size")
    pack_size: Number | None = None
    text: str
    pack_counts: list[PackCount] = Field(
        default_factory=list, description="packs by size (whole course; sizes may mix)"
    )
    halves: int | None = Field(default=None, description="tablets: halves taken")
    halves_left_over: int | None = Field(
        default=None, description="tablets, whole course: halves split off but not taken"
    )


class Dose(BaseModel):
    """One scheduled administration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int = Field(ge=1, description="1-based position in the plan")
    at: datetime = Field(description="ISO 8601 date-time with UTC offset")
    day: int = Field(ge=1)
    step: int = Field(ge=1)
    dose_mg: Mg
    amount: Amount | None = Field(default=None, description="set when a product is chosen")


class Day(BaseModel):
    """One calendar day of a plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    day: int = Field(ge=1)
    date: date
    step: int = Field(ge=1)
    doses: int = Field(ge=0, description="number of administrations that day")
    total_mg: Quantity = Field(description="sum of the day's doses in mg (exact)")


class RegimenRef(BaseModel):
    """The regimen a plan follows, with the limits it was checked against."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    drug: str
    route: str
    summary: str
    max_daily_mg: Mg
    max_single_mg: Mg | None = None
    max_doses_per_day: int | None = None
    source: str = Field(default="", description="citation of the dose ladder and the daily maximum")


class LadderRef(BaseModel):
    """The ladder a plan follows, of a regimen with several (by indication and
    co-medication), and why it was chosen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    indication: str | None = None
    indication_name: str | None = None
    default: bool = Field(
        default=True, description="true: the indication's default ladder (no group matched)"
    )
    matched: list[str] = Field(
        default_factory=list, description="the co-medications given that chose this ladder"
    )
    source: str = ""


class NoticeRef(BaseModel):
    """A sourced sentence every output repeats (e.g. never stop suddenly)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    source: str
    boxed: bool = Field(default=False, description="the label's boxed warning")


class ReviewBy(BaseModel):
    """The date by which the treatment must be reviewed (regimen `review`), counted from
    the plan's first day; shown even when the plan is shorter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    day: int = Field(ge=1, description="plan day number (day 1 = the start)")
    text: str
    source: str
    basis: Basis


class PlanEnd(BaseModel):
    """How the plan ends: what the patient does from the day after its last day.

    `continue`: keep taking the last step's doses until the prescriber changes them;
    `review`: the same, and see the prescriber by the plan's `review_by` date;
    `stop`: the last dose is the last one (a taper, or a course stated to stop)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    action: PlanAction
    from_date: date = Field(alias="from", description="the first day after the plan")
    after: datetime | None = Field(
        default=None, description="the plan's last dose (ISO 8601 with UTC offset)"
    )
    dose_mg: Mg | None = Field(
        default=None, description="continue/review: the dose kept taking (each dose the same)"
    )
    per_day: int | None = Field(default=None, ge=1, description="continue/review: doses a day")
    daily_total_mg: Quantity | None = Field(
        default=None, description="continue/review: the daily total kept taking"
    )


class SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    section: str | None = None
    url: str
    retrieved: date


class InexactDose(BaseModel):
    """A renal-adjusted dose with no exact decimal value (e.g. 5 mg × 2/3 = 10/3 mg):
    the plan shows `shown_mg`, and a finding says so beside the day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: int = Field(ge=1)
    day: int = Field(ge=1, description="first plan day of the step")
    from_mg: Mg = Field(description="the dose before adjustment")
    exact_mg: str = Field(description="the exact adjusted dose as a fraction, e.g. '10/3'")
    shown_mg: Mg = Field(description="the value the plan carries (rounded half-even)")


class RenalAdjustment(BaseModel):
    """The renal reduction applied to every dose of the plan (when `renal_adjust` is asked)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    band: str = Field(description="the kidney-function band, e.g. 'moderate (CrCl 30–50 mL/min)'")
    crcl_ml_min: Number
    factor: str = Field(description="exact fraction applied to each dose, e.g. '1/2'")
    basis: Basis
    source: str
    inexact: list[InexactDose] = Field(default_factory=list)


class Plan(BaseModel):
    """A dated, timed schedule and what was found wrong with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1"] = "1"
    kind: Literal["titration", "custom", "taper"]
    regimen: RegimenRef
    patient: Patient
    start: date
    timezone: str = Field(description="IANA zone the clock times are in")
    times: dict[int, list[str]] = Field(description="clock times used, per doses a day")
    doses: list[Dose]
    days: list[Day]
    then: PlanEnd | None = Field(
        default=None,
        description="how the plan ends (every plan titrate writes has it; older files may not)",
    )
    findings: list[Finding]
    sources: list[SourceRef]
    notes: list[str] = Field(default_factory=list, description="conventions and caveats")
    notices: list[NoticeRef] = Field(default_factory=list, description="sourced advice")
    product: ProductRef | None = None
    dispense: list[DispenseLine] = Field(default_factory=list)
    renal_adjustment: RenalAdjustment | None = Field(
        default=None, description="set when doses were reduced for kidney function"
    )
    review_by: ReviewBy | None = Field(
        default=None, description="review the treatment by this date (regimen `review`)"
    )
    ladder: LadderRef | None = Field(
        default=None,
        description="the ladder chosen, for a regimen with several (by indication and "
        "co-medication); the plan's notes say it in words",
    )
    disclaimer: str

    @property
    def total_mg(self) -> Decimal:
        return sum((day.total_mg for day in self.days), Decimal(0))

    @property
    def ends(self) -> PlanAction:
        """How the plan ends; a file written before `then` existed: a titration continues
        on its maintenance step, any other course stops after its last dose."""
        if self.then is not None:
            return self.then.action
        return "continue" if self.kind == "titration" else "stop"

    def findings_for_day(self, day: int) -> list[Finding]:
        """The findings about `day`, including runs of days that span it."""
        return [
            finding
            for finding in self.findings
            if finding.day is not None and finding.day <= day <= (finding.last_day or finding.day)
        ]


DISCLAIMER = _DISCLAIMER
