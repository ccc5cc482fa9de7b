"""Plans and findings, as the planner produces them (`titrate.schema.plan` defines what
`titrate schema` publishes and validates plan files)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import msgspec

from titrate.model.options import Patient
from titrate.model.units import Basis, Record, Severity


class Finding(Record, frozen=True, kw_only=True):
    """One problem (or note) found in a plan or a dose log."""

    code: str
    rule: str
    severity: Severity
    message: str
    day: int | None = None
    last_day: int | None = None
    dose: int | None = None
    at: datetime | None = None
    source: str
    basis: Basis | None = None


class Piece(Record, frozen=True, kw_only=True):
    """Part of an amount: `count` units of one strength (count may be 0.5 for a half)."""

    strength_mg: Decimal
    count: Decimal


class Amount(Record, frozen=True, kw_only=True):
    """How much of the chosen product makes one dose (filled in by `measure`)."""

    value: Decimal
    unit: Literal["tablet", "capsule", "packet", "mL"]
    text: str
    pieces: list[Piece] = msgspec.field(default_factory=list)


class ProductRef(Record, frozen=True, kw_only=True):
    """The product a plan is measured in (filled in by `measure`)."""

    id: str
    name: str
    form: Literal["tablet", "capsule", "solution", "suspension", "granules"]
    strengths_mg: list[Decimal] = msgspec.field(default_factory=list)
    concentration_mg_per_ml: Decimal | None = None
    storage: str | None = None
    discard_after_opening_days: int | None = None
    administration: list[str] = msgspec.field(default_factory=list)
    source: str = ""
    scored_mg: list[Decimal] = msgspec.field(default_factory=list)
    measure_step_ml: Decimal | None = None
    pack_sizes: list[Decimal] = msgspec.field(default_factory=list)
    pack_name: str | None = None
    notes: list[str] = msgspec.field(default_factory=list)
    not_interchangeable_with: list[str] = msgspec.field(default_factory=list)


class PackCount(Record, frozen=True, kw_only=True):
    """`count` packs of `size` (mL per bottle, packets per carton)."""

    size: Decimal
    count: int


class DispenseLine(Record, frozen=True, kw_only=True):
    """How much to dispense of one item, for one step or (step None) the whole course."""

    step: int | None = None
    item: str
    strength_mg: Decimal | None = None
    quantity: Decimal
    unit: Literal["tablet", "capsule", "packet", "mL"]
    packs: int | None = None
    pack_size: Decimal | None = None
    text: str
    pack_counts: list[PackCount] = msgspec.field(default_factory=list)
    halves: int | None = None
    halves_left_over: int | None = None


class Dose(Record, frozen=True, kw_only=True):
    """One scheduled administration."""

    number: int
    at: datetime
    day: int
    step: int
    dose_mg: Decimal
    amount: Amount | None = None


class Day(Record, frozen=True, kw_only=True):
    """One calendar day of a plan."""

    day: int
    date: date
    step: int
    doses: int
    total_mg: Decimal


class RegimenRef(Record, frozen=True, kw_only=True):
    """The regimen a plan follows, with the limits it was checked against."""

    id: str
    name: str
    drug: str
    route: str
    summary: str
    max_daily_mg: Decimal
    max_single_mg: Decimal | None = None
    max_doses_per_day: int | None = None
    source: str = ""


class LadderRef(Record, frozen=True, kw_only=True):
    """The ladder a plan follows, of a regimen with several (by indication and
    co-medication), and why it was chosen."""

    id: str
    name: str
    indication: str | None = None
    indication_name: str | None = None
    default: bool = True
    matched: list[str] = msgspec.field(default_factory=list)
    source: str = ""


class NoticeRef(Record, frozen=True, kw_only=True):
    """A sourced sentence every output repeats (e.g. never stop suddenly)."""

    id: str
    text: str
    source: str
    boxed: bool = False


class ReviewBy(Record, frozen=True, kw_only=True):
    """The date by which the treatment must be reviewed (regimen `review`), counted from
    the plan's first day; shown even when the plan is shorter."""

    date: date
    day: int
    text: str
    source: str
    basis: Basis


PlanAction = Literal["continue", "stop", "review"]


class PlanEnd(Record, frozen=True, kw_only=True):
    """How the plan ends: what the patient does from the day after its last day.

    `continue`: keep taking the last step's doses until the prescriber changes them;
    `review`: the same, and see the prescriber by the plan's `review_by` date;
    `stop`: the last dose is the last one (a taper, or a course stated to stop)."""

    action: PlanAction
    from_date: date = msgspec.field(name="from")
    after: datetime | None = None
    dose_mg: Decimal | None = None
    per_day: int | None = None
    daily_total_mg: Decimal | None = None


class SourceRef(Record, frozen=True, kw_only=True):
    id: str
    title: str
    section: str | None = None
    url: str
    retrieved: date


class InexactDose(Record, frozen=True, kw_only=True):
    """A renal-adjusted dose with no exact decimal value (e.g. 5 mg × 2/3 = 10/3 mg):
    the plan shows `shown_mg`, and a finding says so beside the day."""

    step: int
    day: int
    from_mg: Decimal
    exact_mg: str
    shown_mg: Decimal


class RenalAdjustment(Record, frozen=True, kw_only=True):
    """The renal reduction applied to every dose of the plan (when `renal_adjust` is asked)."""

    band: str
    crcl_ml_min: Decimal
    factor: str
    basis: Basis
    source: str
    inexact: list[InexactDose] = msgspec.field(default_factory=list)


class Plan(Record, frozen=True, kw_only=True):
    """A dated, timed schedule and what was found wrong with it."""

    schema_version: Literal["1"] = "1"
    kind: Literal["titration", "custom", "taper"]
    regimen: RegimenRef
    patient: Patient
    start: date
    timezone: str
    times: dict[int, list[str]]
    doses: list[Dose]
    days: list[Day]
    then: PlanEnd | None = None
    findings: list[Finding]
    sources: list[SourceRef]
    notes: list[str] = msgspec.field(default_factory=list)
    notices: list[NoticeRef] = msgspec.field(default_factory=list)
    product: ProductRef | None = None
    dispense: list[DispenseLine] = msgspec.field(default_factory=list)
    renal_adjustment: RenalAdjustment | None = None
    review_by: ReviewBy | None = None
    ladder: LadderRef | None = None
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


DISCLAIMER = (
    "This schedule supports, and does not replace, the prescriber's instructions. "
    "Check every dose against the prescription."
)
