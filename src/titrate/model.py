"""The one vocabulary of titrate: regimen data, plans, findings.

Regimen models describe what `data/regimens.yaml` may hold (every number with its
source and basis); plan models describe what the planner produces and what the JSON
output and `titrate schema` publish. Models hold data and tiny derived views only:
computation lives in `schedule`, `rules`, `measure`; formatting lives in `render`.
"""

# No `from __future__ import annotations` in this module: pydantic would then compile and
# evaluate every field annotation from its string, about a fifth of the time this
# module takes to import, which every command pays at start-up.
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Annotated, Any, Literal, Self, TypeVar

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


class _JsonNumbers(dict[Decimal, int | float]):
    """json_number as a table filled on first use. A plan's JSON holds a few hundred
    Decimals but only a handful of distinct values (the doses, their amounts and
    totals); pydantic calls the serializer once per Decimal, and a dict look-up is a C
    call where json_number is a Python one, which made it a fifth of a plan's
    serialisation time. Safe because json_number depends only on the numeric value, and
    Decimals that compare equal (5, 5.0, 5E+0) hash equal and give the same number."""

    LIMIT = 4096  # distinct values kept; a batch of unusual doses must not grow it forever

    def __missing__(self, value: Decimal) -> int | float:
        if len(self) >= self.LIMIT:
            self.clear()
        number = self[value] = json_number(value)
        return number


_NumberOut = PlainSerializer(_JsonNumbers().__getitem__, return_type=Any, when_used="json")
_NumberSchema = WithJsonSchema({"type": "number"}, mode="serialization")

# Doses are stated to at most a microgram (3 decimal places of a milligram); more digits
# are float noise (0.30000000000000004) or a typo, and are refused rather than rounded.
MG_DECIMAL_PLACES = 3

Mg = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_text),
    Field(gt=0, le=ABSURD_MG, allow_inf_nan=False, decimal_places=MG_DECIMAL_PLACES),
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

Quantity = Annotated[
    Decimal,
    Field(ge=0, allow_inf_nan=False),
    _NumberOut,
    _NumberSchema,
]
"""A computed non-negative count or volume (tablets, mL): no input cap, since a long plan
in a dilute liquid can legitimately need more than ABSURD_MG units."""

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
    """One rung of a ladder: a dose taken `per_day` times a day for `days` days.

    `doses_mg` lists unequal doses in the day's order (a taper that lowers one dose at a
    time: 8 + 8 + 6 mg); `dose_mg` is then the largest of them and `per_day` their count.
    """

    dose_mg: Mg
    per_day: int = Field(ge=1, le=24)
    days: int = Field(ge=1, le=3660)
    doses_mg: list[Mg] | None = None

    @model_validator(mode="after")
    def _doses_fit(self) -> Self:
        if self.doses_mg is not None:
            if len(self.doses_mg) != self.per_day:
                raise ValueError(
                    f"doses_mg lists {len(self.doses_mg)} doses, per_day is {self.per_day}"
                )
            if max(self.doses_mg) != self.dose_mg:
                raise ValueError("dose_mg must be the largest of doses_mg")
        return self

    @property
    def amounts(self) -> list[Decimal]:
        """Each dose of the day, in order."""
        if self.doses_mg is not None:
            return list(self.doses_mg)
        return [self.dose_mg] * self.per_day

    @property
    def total_mg(self) -> Decimal:
        if self.doses_mg is not None:
            return sum(self.doses_mg, Decimal(0))
        return self.dose_mg * self.per_day


class Count(Sourced):
    """A sourced whole number (e.g. doses a day)."""

    value: int = Field(ge=1, le=24)


class TitrationRule(Strict):
    """Rule-based titration instead of a fixed ladder: start at `start_mg` taken
    `per_day` times a day, then raise each dose by the prescriber's step (--step-mg) every
    so many days (--every-days) up to the prescriber's target (--target-mg). The labeled
    ranges for the step and the interval are `limits.escalation`, which the rule
    `escalation-too-fast` enforces; the titration block's source and basis cover
    `start_mg`."""

    start_mg: Mg
    per_day: Count


class Titration(Sourced):
    """The suggested escalation: a fixed ladder (`steps`) or a rule (`rule`)."""

    steps: list[Step] = Field(default_factory=list)
    rule: TitrationRule | None = None

    @model_validator(mode="after")
    def _ladder_or_rule(self) -> Self:
        if bool(self.steps) == (self.rule is not None):
            raise ValueError("give exactly one of `steps` (a fixed ladder) or `rule`")
        return self

    @property
    def start_mg(self) -> Decimal:
        """The first dose of the labeled titration."""
        return self.rule.start_mg if self.rule is not None else self.steps[0].dose_mg

    @property
    def per_day(self) -> int:
        """Doses a day at the end of the titration (the maintenance frequency)."""
        return self.rule.per_day.value if self.rule is not None else self.steps[-1].per_day


class Limit(Sourced):
    value: Number


class Escalation(Sourced):
    """The fastest rise the regimen allows between steps: at most
    `max_increment_mg_per_dose` per dose, no sooner than `min_days_between_increases`.
    A labeled range ("2 to 4 mg … 1 to 4 days") also gives its slower ends, which are
    shown but never flagged: a smaller or later rise is slower than labeled, not faster."""

    max_increment_mg_per_dose: Mg
    min_days_between_increases: int = Field(ge=0, le=365)
    min_increment_mg_per_dose: Mg | None = None
    max_days_between_increases: int | None = Field(default=None, ge=1, le=365)

    @model_validator(mode="after")
    def _range_in_order(self) -> Self:
        low = self.min_increment_mg_per_dose
        if low is not None and low > self.max_increment_mg_per_dose:
            raise ValueError("min_increment_mg_per_dose is above max_increment_mg_per_dose")
        most = self.max_days_between_increases
        if most is not None and most < self.min_days_between_increases:
            raise ValueError("max_days_between_increases is below min_days_between_increases")
        return self


class Limits(Strict):
    max_daily_mg: Limit
    max_single_mg: Limit | None = None
    max_doses_per_day: Limit | None = None
    min_hours_between_doses: Limit | None = None
    escalation: Escalation | None = None


class Review(Sourced):
    """A date by which the treatment must be reviewed (e.g. stop if there is no benefit
    by day 45): every titration or custom plan shows it, counted from its first day."""

    by_day: int = Field(ge=1, le=3660, description="plan day (day 1 = the start)")
    text: str = Field(min_length=1)


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


class TaperDuration(Sourced):
    """The shortest taper the guidance allows when stopping from above the stopping
    threshold (baclofen: about 1–2 weeks in non-US labels → at least 7 days)."""

    min_days: int = Field(ge=1, le=3660)


class MgRange(Sourced):
    """A sourced range of milligrams, e.g. "2 to 4 mg"."""

    min: Mg
    max: Mg

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.min > self.max:
            raise ValueError("min is above max")
        return self


class Taper(Sourced):
    """Default pace for stopping, every `every_days` days: lower each dose by
    `step_mg_per_dose`, or lower the day's total by `step_mg_per_day` (a range: the taper
    planner uses its `min`, one dose at a time; `taper-too-fast` flags more than its
    `max`). Exactly one of the two. The block's own source and basis are for the pace."""

    step_mg_per_dose: Mg | None = None
    step_mg_per_day: MgRange | None = None
    every_days: int = Field(ge=1, le=365)
    min_duration: TaperDuration | None = None

    @model_validator(mode="after")
    def _one_pace(self) -> Self:
        if (self.step_mg_per_dose is None) == (self.step_mg_per_day is None):
            raise ValueError("give exactly one of step_mg_per_dose or step_mg_per_day")
        return self


FractionText = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}(/[1-9][0-9]{0,5})?$")]
"""An exact fraction written as text, e.g. "2/3" (kept exact: 2/3 has no exact decimal)."""


def fraction_of(text: str) -> Fraction:
    return Fraction(text)


class RenalBand(Sourced):
    """A kidney-function band, `crcl_over_ml_min` < CrCl ≤ `crcl_up_to_ml_min` (or
    < `crcl_below_ml_min`, for a label that writes "CrCl < 25"), with the suggested factor
    for each dose (e.g. "1/2" = half the dose). A label band that says only "reduce the
    doses" has no `dose_factor`: the rule reports the suggestion without a number."""

    name: str = Field(min_length=1, description="e.g. 'moderate (CrCl 30–50 mL/min)'")
    crcl_over_ml_min: Number | None = Field(default=None, description="exclusive; None: from 0")
    crcl_up_to_ml_min: Number | None = Field(default=None, description="inclusive upper bound")
    crcl_below_ml_min: Number | None = Field(default=None, description="exclusive upper bound")
    dose_factor: FractionText | None = None
    suggestion: str = Field(min_length=1, description="in words, e.g. 'about half the dose'")

    @field_validator("dose_factor")
    @classmethod
    def _factor_at_most_one(cls, value: str | None) -> str | None:
        if value is not None and not Fraction(0) < Fraction(value) <= Fraction(1):
            raise ValueError("dose_factor must be more than 0 and at most 1")
        return value

    @model_validator(mode="after")
    def _one_upper_bound(self) -> Self:
        if (self.crcl_up_to_ml_min is None) == (self.crcl_below_ml_min is None):
            raise ValueError("give exactly one of crcl_up_to_ml_min or crcl_below_ml_min")
        return self

    def contains(self, crcl: Decimal) -> bool:
        above = self.crcl_over_ml_min is None or crcl > self.crcl_over_ml_min
        if self.crcl_below_ml_min is not None:
            return above and crcl < self.crcl_below_ml_min
        assert self.crcl_up_to_ml_min is not None
        return above and crcl <= self.crcl_up_to_ml_min


class DialysisDose(Sourced):
    """The suggested daily dose for dialysis-dependent patients (a total, not a factor)."""

    daily_mg: Mg
    suggestion: str = Field(min_length=1)


class Renal(Sourced):
    """Kidney function: the label's caution (this block's own source) and suggested
    reductions by creatinine clearance and for dialysis, each with its own basis."""

    caution: str = Field(min_length=1)
    bands: list[RenalBand] = Field(default_factory=list)
    dialysis: DialysisDose | None = None

    def band_for(self, crcl: Decimal) -> RenalBand | None:
        return next((band for band in self.bands if band.contains(crcl)), None)


class InteractionClass(Sourced):
    """A class of co-medication (or alcohol) that adds to the drug's CNS depression;
    `aliases` are the drug names users may type for it (matching aid, not exhaustive)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    effect: str = Field(min_length=1)


class Interactions(Sourced):
    """CNS-depressant co-medications; the block's own source states the general rule."""

    cns_depressants: list[InteractionClass] = Field(min_length=1)


class Pregnancy(Sourced):
    text: str = Field(min_length=1)


class MissedDose(Sourced):
    """What to do about a missed dose. The block's own source and basis are for the
    wording (take it when remembered, skip it near the next dose, never double); each
    number carries its own basis, because "almost time" is a convention, not a fact.

    Exactly one of `take_within_fraction` (take it if no more than this fraction of the
    time to the next dose has passed; 0.5 = halfway) or `take_within_hours` (take it
    within this many hours of its scheduled time) is given.
    """

    take_within_fraction: Limit | None = None
    take_within_hours: Limit | None = None
    contact_prescriber_after: Limit = Field(
        description="this many consecutive missed doses: contact the prescriber first"
    )

    @model_validator(mode="after")
    def _one_window(self) -> Self:
        fraction, hours = self.take_within_fraction, self.take_within_hours
        if (fraction is None) == (hours is None):
            raise ValueError("give exactly one of take_within_fraction or take_within_hours")
        if fraction is not None and not Decimal(0) < fraction.value <= Decimal(1):
            raise ValueError("take_within_fraction must be more than 0 and at most 1")
        if hours is not None and hours.value <= 0:
            raise ValueError("take_within_hours must be more than 0")
        count = self.contact_prescriber_after.value
        if count < 1 or count != count.to_integral_value():
            raise ValueError("contact_prescriber_after must be a whole number of doses, 1 or more")
        return self


class LogAudit(Sourced):
    """Thresholds for auditing a dose log (each a sourced number, most of them conventions).
    The block's own source and basis cover why a log is audited at all."""

    min_interval_hours: Limit | None = Field(
        default=None, description="two logged doses closer than this are flagged"
    )
    late_after_hours: Limit | None = Field(
        default=None, description="a dose logged more than this after its time is late"
    )
    abrupt_stop_after_hours: Limit | None = Field(
        default=None,
        description="a log that ends mid-plan with nothing for longer than this has stopped",
    )


class Notice(Sourced):
    """A sourced sentence shown with every plan (e.g. never stop suddenly); `boxed` for
    the label's boxed warning, shown first."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    text: str = Field(min_length=1)
    boxed: bool = False


ProductForm = Literal["tablet", "capsule", "solution", "suspension", "granules"]
LIQUID_FORMS: frozenset[str] = frozenset({"solution", "suspension"})
PRODUCT_UNIT: dict[str, Literal["tablet", "capsule", "packet", "mL"]] = {
    "tablet": "tablet",
    "capsule": "capsule",
    "granules": "packet",
    "solution": "mL",
    "suspension": "mL",
}
"""The unit a dose of each product form is counted in."""

PositiveNumber = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_text),
    Field(gt=0, le=ABSURD_MG, allow_inf_nan=False),
    _NumberOut,
    _NumberSchema,
]
"""A positive exact number (mL, pack sizes)."""


class Strength(Sourced):
    """One strength of a solid product; only `scored` tablets may be halved."""

    mg: Mg
    scored: bool = False


class Concentration(Sourced):
    """A liquid's strength: milligrams in each millilitre."""

    mg_per_ml: Mg


class MeasureStep(Sourced):
    """The finest volume the product's measuring device marks (e.g. a 0.1 mL syringe)."""

    ml: PositiveNumber


class SingleStrength(Sourced):
    """Dispensing preference: one strength for the whole course when it makes every dose
    with at most `max_pieces` pieces."""

    max_pieces: int = Field(ge=1, le=100)


class Storage(Sourced):
    text: str = Field(min_length=1)


class InUseLimit(Sourced):
    """Discard an opened container this many days after first opening."""

    days: int = Field(ge=1, le=3660)


class Packs(Sourced):
    """The sizes a product is supplied in (mL per bottle, packets per carton)."""

    sizes: list[PositiveNumber] = Field(min_length=1)
    name: Literal["bottle", "carton", "box", "pack"] = "bottle"


class AdministrationNote(Sourced):
    text: str = Field(min_length=1)


class NotInterchangeable(Sourced):
    """Products of the regimen this one must not be swapped with during a course (e.g.
    tablets and capsules that are absorbed differently); a plan uses one product."""

    products: list[str] = Field(min_length=1, description="ids of the other products")
    text: str = Field(min_length=1)


class Product(Sourced):
    """One product a regimen can be measured in: solid strengths or a liquid's
    concentration, with storage, in-use limit, packs and administration notes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1)
    form: ProductForm
    strengths: list[Strength] = Field(default_factory=list)
    concentration: Concentration | None = None
    measure_step: MeasureStep | None = None
    single_strength: SingleStrength | None = None
    storage: Storage | None = None
    discard_after_opening: InUseLimit | None = None
    packs: Packs | None = None
    administration: list[AdministrationNote] = Field(default_factory=list)
    not_interchangeable: NotInterchangeable | None = None

    @property
    def liquid(self) -> bool:
        return self.form in LIQUID_FORMS

    @property
    def unit(self) -> Literal["tablet", "capsule", "packet", "mL"]:
        return PRODUCT_UNIT[self.form]

    def strength(self, mg: Decimal) -> Strength | None:
        return next((s for s in self.strengths if s.mg == mg), None)

    @model_validator(mode="after")
    def _form_fits(self) -> Self:
        if self.liquid:
            if self.concentration is None or self.measure_step is None:
                raise ValueError(f"a {self.form} needs `concentration` and `measure_step`")
            if self.strengths or self.single_strength:
                raise ValueError(f"a {self.form} has a concentration, not `strengths`")
            return self
        if not self.strengths:
            raise ValueError(f"a {self.form} product needs `strengths`")
        if self.concentration is not None or self.measure_step is not None:
            raise ValueError(f"a {self.form} has strengths, not a concentration")
        values = [strength.mg for strength in self.strengths]
        if len(set(values)) != len(values):
            raise ValueError("strengths must be distinct")
        if self.form != "tablet" and any(strength.scored for strength in self.strengths):
            raise ValueError(f"only tablets can be scored; a {self.form} is taken whole")
        return self


class Regimen(Strict):
    """One drug's titration regimen with its limits and their sources."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str
    drug: str
    route: str = "oral"
    summary: str
    titration: Titration
    limits: Limits
    review: Review | None = None
    population: Population | None = None
    dose_times: DoseTimes
    stopping: Stopping | None = None
    taper: Taper | None = None
    renal: Renal | None = None
    interactions: Interactions | None = None
    pregnancy: Pregnancy | None = None
    missed_dose: MissedDose | None = None
    audit: LogAudit | None = None
    notices: list[Notice] = Field(default_factory=list)
    products: list[Product] = Field(default_factory=list)
    default_product: str | None = Field(
        default=None, description="product id used when none is chosen (None: plans in mg only)"
    )
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _products_resolve(self) -> Self:
        ids = [product.id for product in self.products]
        if len(set(ids)) != len(ids):
            raise ValueError("product ids must be unique")
        if self.default_product is not None and self.default_product not in ids:
            raise ValueError(
                f"default_product {self.default_product!r} is not one of the products "
                f"({', '.join(ids) or 'none listed'})"
            )
        for product in self.products:
            swap = product.not_interchangeable
            if swap is None:
                continue
            for other in swap.products:
                if other not in ids or other == product.id:
                    raise ValueError(
                        f"products.{product.id}.not_interchangeable: {other!r} is not another "
                        f"product of this regimen ({', '.join(ids)})"
                    )
        return self

    @model_validator(mode="after")
    def _rule_has_ranges(self) -> Self:
        if self.titration.rule is not None and self.limits.escalation is None:
            raise ValueError(
                "a rule-based titration needs limits.escalation (the labeled step and interval)"
            )
        return self

    @model_validator(mode="after")
    def _times_keep_apart(self) -> Self:
        """Default clock times must respect the regimen's minimum interval between doses
        (also across midnight)."""
        limit = self.limits.min_hours_between_doses
        if limit is None:
            return self
        for per_day, clocks in self.dose_times.by_frequency.items():
            if per_day < 2:
                continue
            minutes = [clock.hour * 60 + clock.minute for clock in clocks]
            gaps = [later - earlier for earlier, later in pairwise(minutes)]
            gaps.append(minutes[0] + 24 * 60 - minutes[-1])
            if min(gaps) < limit.value * 60:
                raise ValueError(
                    f"dose_times for {per_day} a day are closer than "
                    f"limits.min_hours_between_doses ({limit.value} hours)"
                )
        return self

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    @model_validator(mode="after")
    def _sources_resolve(self) -> Self:
        known = {source.id for source in self.sources}
        if len(known) != len(self.sources):
            raise ValueError("source ids must be unique")
        for where, fact in self.facts():
            for source_id in fact.source:
                if source_id not in known:
                    raise ValueError(
                        f"{where}: source {source_id!r} is not in this regimen's sources"
                    )
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

    def basis_text(self, fact: Sourced) -> str:
        """The fact's basis in words; a label fact whose sources are all secondary
        summaries or patient pages says so."""
        text = BASIS_TEXT[fact.basis]
        kinds = {self.source(source_id).kind for source_id in fact.source}
        if fact.basis == "label" and kinds <= {"secondary", "patient-info"}:
            text += ", read only in secondary summaries of it [S]"
        return text


class RegimenFile(Strict):
    """The top level of a regimens YAML file."""

    schema_version: Literal[1] = 1
    regimens: list[Regimen] = Field(min_length=1)


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
        default_factory=list, description="co-medications or classes as given (--with)"
    )
    pregnant: bool = False


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
    renal_adjust: bool = Field(
        default=False, description="apply the regimen's suggested renal dose factor"
    )
    product: str | None = Field(default=None, description="product id; None: the default")
    strengths: list[Mg] | None = Field(
        default=None, description="restrict a solid product to these strengths (mg)"
    )


# ---------------------------------------------------------------------------------------
# Building plan models from values that are already valid

ModelT = TypeVar("ModelT", bound=BaseModel)
_set = object.__setattr__
_FIELD_NAMES: dict[type[BaseModel], tuple[str, ...]] = {}


def trusted(cls: type[ModelT], values: dict[str, Any]) -> ModelT:
    """`cls(**values)` without validating the values again: for the planner's hot loops,
    which build dozens of Dose and Day models per plan from values taken from models
    that were validated at the edge (Step, PlanOptions, Amount) or computed from them
    (dates, aware datetimes, day numbers counted from 1). `values` becomes the model's
    own field dict: pass a new dict.

    Every field must be given, in the model's order (the JSON follows the field dict's
    order). This sets what `model_construct` sets, without its per-field default and
    alias handling, which in pydantic 2.14 costs more than validating a small model;
    tests compare the result, its state and its JSON with the validated model, so a
    pydantic that keeps other per-instance state fails them."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(cls.model_fields)
    if tuple(values) != names:
        raise TypeError(f"{cls.__name__}: give every field in order {names}, not {tuple(values)}")
    instance = cls.__new__(cls)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(names))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


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
    count: Quantity


class Amount(BaseModel):
    """How much of the chosen product makes one dose (filled in by `measure`)."""

    model_config = ConfigDict(frozen=True)

    value: Quantity = Field(description="tablets, capsules, packets or mL (exact)")
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

    model_config = ConfigDict(frozen=True)

    size: Number
    count: int = Field(ge=0)


class DispenseLine(BaseModel):
    """How much to dispense of one item, for one step or (step None) the whole course."""

    model_config = ConfigDict(frozen=True)

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
    total_mg: Quantity = Field(description="sum of the day's doses in mg (exact)")


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
    boxed: bool = Field(default=False, description="the label's boxed warning")


class ReviewBy(BaseModel):
    """The date by which the treatment must be reviewed (regimen `review`), counted from
    the plan's first day; shown even when the plan is shorter."""

    model_config = ConfigDict(frozen=True)

    date: date
    day: int = Field(ge=1, description="plan day number (day 1 = the start)")
    text: str
    source: str
    basis: Basis


class SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    section: str | None = None
    url: str
    retrieved: date


class InexactDose(BaseModel):
    """A renal-adjusted dose with no exact decimal value (e.g. 5 mg × 2/3 = 10/3 mg):
    the plan shows `shown_mg`, and a finding says so beside the day."""

    model_config = ConfigDict(frozen=True)

    step: int = Field(ge=1)
    day: int = Field(ge=1, description="first plan day of the step")
    from_mg: Mg = Field(description="the dose before adjustment")
    exact_mg: str = Field(description="the exact adjusted dose as a fraction, e.g. '10/3'")
    shown_mg: Mg = Field(description="the value the plan carries (rounded half-even)")


class RenalAdjustment(BaseModel):
    """The renal reduction applied to every dose of the plan (--renal-adjust)."""

    model_config = ConfigDict(frozen=True)

    band: str = Field(description="the kidney-function band, e.g. 'moderate (CrCl 30–50 mL/min)'")
    crcl_ml_min: Number
    factor: str = Field(description="exact fraction applied to each dose, e.g. '1/2'")
    basis: Basis
    source: str
    inexact: list[InexactDose] = Field(default_factory=list)


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
    renal_adjustment: RenalAdjustment | None = Field(
        default=None, description="set when doses were reduced for kidney function"
    )
    review_by: ReviewBy | None = Field(
        default=None, description="review the treatment by this date (regimen `review`)"
    )
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


# ---------------------------------------------------------------------------------------
# Missed-dose advice and dose-log audits (published in `titrate schema`)

ADVICE_DISCLAIMER = (
    "This advice supports, and does not replace, the prescriber's or pharmacist's "
    "instructions. If unsure, ask them before taking the dose."
)
AUDIT_DISCLAIMER = (
    "This audit compares a dose log with the plan; it supports, and does not replace, "
    "review by the prescriber or pharmacist."
)

AdviceAction = Literal["take", "skip", "contact-prescriber"]
DoseStatusName = Literal["taken", "late", "missed", "pending", "extra"]


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


class LogEntry(BaseModel):
    """One row of a dose log: when a dose was taken and how much."""

    model_config = ConfigDict(frozen=True)

    line: int = Field(ge=1, description="line number in the log file")
    taken_at: datetime = Field(description="ISO 8601 date-time with UTC offset")
    dose_mg: Mg
    note: str | None = None


class RejectedRow(BaseModel):
    """A log row that could not be read (reported, never silently dropped)."""

    model_config = ConfigDict(frozen=True)

    line: int = Field(ge=1)
    message: str
    text: str = Field(description="the row as written (shortened if long)")


class DoseStatus(BaseModel):
    """One scheduled dose and what the log shows for it, or one extra log entry."""

    model_config = ConfigDict(frozen=True)

    status: DoseStatusName
    dose: int | None = Field(
        description="scheduled dose number (for extra entries: the dose window they fall in)"
    )
    day: int | None = None
    step: int | None = None
    scheduled_at: datetime | None = None
    scheduled_mg: Mg | None = None
    taken_mg: MgOrZero = Field(description="total of the entries counted for this row")
    entries: list[LogEntry] = Field(default_factory=list)
    minutes_from_schedule: int | None = Field(
        default=None, description="first entry minus scheduled time, whole minutes"
    )


class DayTotal(BaseModel):
    """Planned and logged milligrams on one calendar day in the plan's zone."""

    model_config = ConfigDict(frozen=True)

    date: date
    day: int | None = Field(description="plan day number; None: outside the plan")
    planned_mg: MgOrZero
    taken_mg: MgOrZero


class AuditResult(BaseModel):
    """A dose log compared with its plan: every scheduled dose's status and the findings."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal["1"] = "1"
    kind: Literal["dose-log-audit"] = "dose-log-audit"
    regimen: RegimenRef
    plan_start: date
    timezone: str
    as_of: datetime | None = Field(description="doses after this are pending, not missed")
    log: str = Field(description="the log file's name")
    entries: int = Field(description="log rows read")
    summary: dict[str, int] = Field(description="count of rows per status")
    doses: list[DoseStatus]
    days: list[DayTotal]
    findings: list[Finding]
    rejected_rows: list[RejectedRow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sources: list[SourceRef]
    disclaimer: str = AUDIT_DISCLAIMER
