"""The one vocabulary of titrate: regimen data, plans, findings.

Regimen models describe what `data/regimens.yaml` may hold (every number with its
source and basis); plan models describe what the planner produces and what the JSON
output and `titrate schema` publish. Models hold data and tiny derived views only:
computation lives in `schedule`, `rules`, `measure`; formatting lives in `render`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = "1"  # keep equal to Plan.schema_version

# Upper bound on any milligram amount the tool accepts: far above any oral dose, low
# enough that an absurd value (1e400, a typo with six zeros) is an input error.
ABSURD_MG = Decimal(100_000)


def json_number(value: Decimal) -> int | float:
    """Decimal → JSON number: integers stay integers (15, not 15.0); display rounding is
    the renderers' job, so nothing is rounded here."""
    return int(value) if value == value.to_integral_value() else float(value)


def _only_time_text(value: Any) -> Any:
    # A YAML 1.1 parser turns 14:00 into the integer 840 and pydantic would accept it as
    # seconds after midnight (00:14): refuse anything that is not text or a time.
    if isinstance(value, time) or isinstance(value, str):
        return value
    raise ValueError("a time of day must be written as text, e.g. '14:00'")


def _decimal_from_text(value: Any) -> Any:
    # bool is an int subclass: "dose_mg: yes" must not become 1 mg.
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, float):
        return Decimal(repr(value))  # 0.1 → Decimal('0.1'), not the binary expansion
    return value


_NumberOut = PlainSerializer(json_number, return_type=int | float, when_used="json")
_NumberSchema = WithJsonSchema({"type": "number"}, mode="serialization")

Mg = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_text),
    Field(gt=0, le=ABSURD_MG, allow_inf_nan=False),
    _NumberOut,
    _NumberSchema,
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

TimeOfDay = Annotated[time, BeforeValidator(_only_time_text)]

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}

Basis = Literal[
    "label", "implied", "inference", "convention", "literature", "non-us-label", "patient-info"
]
"""Where a number comes from: the label's words, implied by them, a documented
convention, published literature, or a non-US label."""

BASIS_TEXT: dict[str, str] = {
    "label": "stated in the label",
    "implied": "implied by the label's wording, not stated as a separate limit",
    "inference": "inferred from the label's wording",
    "convention": "a convention, not a label fact",
    "literature": "published literature, not US labeling",
    "non-us-label": "non-US labeling, not US labeling",
    "patient-info": "patient information (MedlinePlus, Mayo), not the prescribing information",
}


class Strict(BaseModel):
    """Base for data read from files: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------------------
# Regimen data (data/regimens.yaml)


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


class Step(Strict):
    """One rung of a ladder: a dose taken `per_day` times a day for `days` days."""

    dose_mg: Mg
    per_day: int = Field(ge=1, le=24)
    days: int = Field(ge=1, le=3660)


class Titration(Sourced):
    """The suggested escalation ladder."""

    steps: list[Step] = Field(min_length=1)


class Limit(Sourced):
    value: Number


class Escalation(Sourced):
    """The fastest rise the regimen allows between steps."""

    max_increment_mg_per_dose: Mg
    min_days_between_increases: int = Field(ge=0, le=365)


class Limits(Strict):
    max_daily_mg: Limit
    max_single_mg: Limit | None = None
    max_doses_per_day: Limit | None = None
    escalation: Escalation | None = None


class Population(Sourced):
    min_age_years: Number


class DoseTimes(Sourced):
    """Default clock times for each number of doses a day."""

    by_frequency: dict[int, list[TimeOfDay]]

    @field_validator("by_frequency")
    @classmethod
    def _times_match_frequency(cls, value: dict[int, list[time]]) -> dict[int, list[time]]:
        for per_day, times in value.items():
            if len(times) != per_day:
                raise ValueError(f"{per_day} doses a day need {per_day} times, got {len(times)}")
            if sorted(times) != times or len(set(times)) != len(times):
                raise ValueError(f"times for {per_day} a day must be distinct and in order")
        return value


class Stopping(Sourced):
    """When ending a plan counts as stopping abruptly (shared by plan and log rules)."""

    max_daily_mg_to_stop_from: MgOrZero = Field(
        description="a plan or log may end from this daily total or less without a taper"
    )


class Notice(Sourced):
    """A sourced sentence shown with every plan (e.g. never stop suddenly)."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    text: str = Field(min_length=1)


class Regimen(Strict):
    """One drug's titration regimen with its limits and their sources."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str
    drug: str
    route: str = "oral"
    summary: str
    titration: Titration
    limits: Limits
    population: Population | None = None
    dose_times: DoseTimes
    stopping: Stopping | None = None
    notices: list[Notice] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _sources_resolve(self) -> Regimen:
        known = {source.id for source in self.sources}
        if len(known) != len(self.sources):
            raise ValueError("source ids must be unique")
        for where, fact in self.facts():
            for source_id in fact.source:
                if source_id not in known:
                    raise ValueError(f"{where}: source {source_id!r} is not in this regimen's sources")
        return self

    def facts(self) -> list[tuple[str, Sourced]]:
        """Every sourced fact with its dotted path (for validation and `show`)."""
        found: list[tuple[str, Sourced]] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, Sourced):
                found.append((path, node))
            if isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    walk(getattr(node, name), f"{path}.{name}" if path else name)
            elif isinstance(node, list):
                for index, item in enumerate(node):
                    walk(item, f"{path}.{index}")
            elif isinstance(node, dict):
                for key, item in node.items():
                    walk(item, f"{path}.{key}")

        walk(self, "")
        return found

    def source(self, source_id: str) -> Source:
        return next(source for source in self.sources if source.id == source_id)

    def citations(self, fact: Sourced) -> list[str]:
        """One human citation per source of a fact: id, title, section, URL."""
        parts = []
        for source_id in fact.source:
            src = self.source(source_id)
            section = f", {src.section}" if src.section else ""
            parts.append(f"[{src.id}] {src.title}{section} <{src.url}>")
        return parts

    def cite(self, fact: Sourced) -> str:
        """All of a fact's citations on one line."""
        return "; ".join(self.citations(fact))


class RegimenFile(Strict):
    """The top level of a regimens YAML file."""

    schema_version: Literal[1] = 1
    regimens: list[Regimen] = Field(min_length=1)


# ---------------------------------------------------------------------------------------
# Inputs to the planner


class Patient(Strict):
    name: str | None = Field(default=None, max_length=10_000)
    age_years: Number | None = None


class PlanOptions(Strict):
    """Everything that shapes a plan besides the regimen. 'Today' and the zone are
    resolved by the caller (the CLI edge), so a plan is a pure function of these."""

    start: date
    timezone: str
    times: list[TimeOfDay] | None = None
    target_mg: Mg | None = None
    hold_days: int = Field(default=0, ge=0)
    steps: list[Step] | None = None
    patient: Patient = Field(default_factory=Patient)


# ---------------------------------------------------------------------------------------
# Plans and findings (published in `titrate schema`)


class Finding(BaseModel):
    """One problem (or note) found in a plan or a dose log."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="short stable id, e.g. TT101")
    rule: str = Field(description="stable kebab-case slug, e.g. over-daily-max")
    severity: Severity
    message: str
    day: int | None = Field(default=None, description="plan day number the finding concerns")
    dose: int | None = Field(default=None, description="dose number (1-based) it concerns")
    at: datetime | None = Field(default=None, description="date-time it concerns")
    source: str = Field(description="citation of the rule's source in the regimen data")
    basis: Basis | None = Field(default=None, description="label, implied, convention, …")


class Piece(BaseModel):
    """Part of an amount: `count` units of one strength (count may be 0.5 for a half)."""

    model_config = ConfigDict(frozen=True)

    strength_mg: Mg
    count: Number


class Amount(BaseModel):
    """How much of the chosen product makes one dose (filled in by `measure`)."""

    model_config = ConfigDict(frozen=True)

    value: Number = Field(description="tablets, capsules, packets or mL (exact)")
    unit: Literal["tablet", "capsule", "packet", "mL"]
    text: str = Field(description="for people, e.g. '1½ × 10 mg tablet', '3 mL'")
    pieces: list[Piece] = Field(default_factory=list)


class ProductRef(BaseModel):
    """The product a plan is measured in (filled in by `measure`)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    form: Literal["tablet", "capsule", "solution", "suspension", "granules"]
    strengths_mg: list[Mg] = Field(default_factory=list, description="solid forms")
    concentration_mg_per_ml: Mg | None = Field(default=None, description="liquids")
    storage: str | None = None
    discard_after_opening_days: int | None = None
    administration: list[str] = Field(default_factory=list)
    source: str = ""


class DispenseLine(BaseModel):
    """How much to dispense of one item, for one step or (step None) the whole course."""

    model_config = ConfigDict(frozen=True)

    step: int | None = Field(default=None, description="None = whole course")
    item: str = Field(description="e.g. '10 mg tablet', '5 mg/mL suspension'")
    strength_mg: Mg | None = None
    quantity: Number = Field(description="units to dispense (tablets, packets, mL)")
    unit: Literal["tablet", "capsule", "packet", "mL"]
    packs: int | None = Field(default=None, description="bottles/cartons of pack_size")
    pack_size: Number | None = None
    text: str


class Dose(BaseModel):
    """One scheduled administration."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1, description="1-based position in the plan")
    at: datetime = Field(description="ISO 8601 date-time with UTC offset")
    day: int = Field(ge=1)
    step: int = Field(ge=1)
    dose_mg: Mg
    amount: Amount | None = Field(default=None, description="set when a product is chosen")


class Day(BaseModel):
    """One calendar day of a plan."""

    model_config = ConfigDict(frozen=True)

    day: int = Field(ge=1)
    date: date
    step: int = Field(ge=1)
    doses: int = Field(ge=0, description="number of administrations that day")
    total_mg: MgOrZero


class RegimenRef(BaseModel):
    """The regimen a plan follows, with the limits it was checked against."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    drug: str
    route: str
    summary: str
    max_daily_mg: Mg
    max_single_mg: Mg | None = None
    max_doses_per_day: int | None = None


class NoticeRef(BaseModel):
    """A sourced sentence every output repeats (e.g. never stop suddenly)."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    source: str


class SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    section: str | None = None
    url: str
    retrieved: date


class Plan(BaseModel):
    """A dated, timed schedule and what was found wrong with it."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal["1"] = "1"
    kind: Literal["titration", "custom", "taper"]
    regimen: RegimenRef
    patient: Patient
    start: date
    timezone: str = Field(description="IANA zone the clock times are in")
    times: dict[int, list[str]] = Field(description="clock times used, per doses a day")
    doses: list[Dose]
    days: list[Day]
    findings: list[Finding]
    sources: list[SourceRef]
    notes: list[str] = Field(default_factory=list, description="conventions and caveats")
    notices: list[NoticeRef] = Field(default_factory=list, description="sourced advice")
    product: ProductRef | None = None
    dispense: list[DispenseLine] = Field(default_factory=list)
    disclaimer: str

    @property
    def total_mg(self) -> Decimal:
        return sum((day.total_mg for day in self.days), Decimal(0))

    def findings_for_day(self, day: int) -> list[Finding]:
        return [finding for finding in self.findings if finding.day == day]


DISCLAIMER = (
    "This schedule supports, and does not replace, the prescriber's instructions. "
    "Check every dose against the prescription."
)
