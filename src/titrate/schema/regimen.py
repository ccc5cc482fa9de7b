"""Regimen data: what `data/regimens.yaml` may hold, every number with its source and
basis."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import time
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    Field,
    field_validator,
    model_validator,
)

from titrate.schema.products import (
    Product,
)
from titrate.schema.sourced import Source, Sourced
from titrate.schema.units import (
    Mg,
    MgOrZero,
    Number,
    Strict,
    TimeOfDay,
)

# ---------------------------------------------------------------------------------------
# Regimen data (data/regimens.yaml)


class Step(Strict):
    """One rung of a ladder: a dose taken `per_day` times a day for `days` days.

    `doses_mg` lists unequal doses in the day's order (a taper that lowers one dose at a
    time: 8 + 8 + 6 mg); `dose_mg` is then the largest of them and `per_day` their count.
    """

    dose_mg: Mg
    # strict: YAML `per_day: true` is not a count of 1
    per_day: int = Field(ge=1, le=24, strict=True)
    days: int = Field(ge=1, le=3660, strict=True)
    doses_mg: list[Mg] | None = None
    weeks: int | None = Field(default=None, ge=1, le=522, strict=True)
    every_days: int = Field(
        default=1,
        ge=1,
        le=14,
        strict=True,
        description="2: a dose day every other day (days 1, 3, 5 … of the step)",
    )

    @model_validator(mode="before")
    @classmethod
    def _weeks_to_days(cls, data: Any) -> Any:
        """`days` or `weeks` (7 × weeks days); both only when they agree (compiled)."""
        weeks = data.get("weeks") if isinstance(data, dict) else None
        if isinstance(weeks, int) and not isinstance(weeks, bool):
            if data.get("days") is None:
                return {**data, "days": 7 * weeks}
            if data["days"] != 7 * weeks:
                raise ValueError("give either `days` or `weeks`, not both")
        return data

    @model_validator(mode="after")
    def _doses_fit(self) -> Self:
        if self.every_days > self.days:
            raise ValueError(
                f"every_days {self.every_days} is longer than the step ({self.days} days)"
            )
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
    `per_day` times a day, then raise each dose by the prescriber's step (`step_mg`) every
    so many days (`every_days`) up to the prescriber's target (`target_mg`). The labeled
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


class Grading(Sourced):
    """How a finding's severity grows with the size of the breach (stated conventions):
    a single dose at more than `single_dose_error_ratio` × the largest single dose, or a
    rise of more than `increment_error_ratio` × the largest labeled increment, is an error
    rather than its rule's usual warning."""

    single_dose_error_ratio: Decimal = Field(gt=1, le=100)
    increment_error_ratio: Decimal = Field(gt=1, le=100)


class Limits(Strict):
    max_daily_mg: Limit
    max_single_mg: Limit | None = None
    max_doses_per_day: Limit | None = None
    min_hours_between_doses: Limit | None = None
    escalation: Escalation | None = None
    grading: Grading | None = None


class Review(Sourced):
    """A date by which the treatment must be reviewed (e.g. stop if there is no benefit
    by day 45): every titration or custom plan shows it, counted from its first day."""

    by_day: int = Field(ge=1, le=3660, description="plan day (day 1 = the start)")
    text: str = Field(min_length=1)


class Population(Sourced):
    """Who the regimen is for. `below_minimum` "warning": the label doses younger patients
    another way (e.g. by weight) that this tool does not model, so a younger patient is
    a warning that says so (`below_minimum_text`), not an error."""

    min_age_years: Number
    below_minimum: Literal["error", "warning"] = "error"
    below_minimum_text: str | None = None


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


class ProportionalPace(Sourced):
    """A proportional taper (asked for with a percentage): each reduction takes that
    fraction of the current dose (per dose, or of the day's total for a per-day pace),
    rounded down to a multiple of `floor_mg` and never less than it."""

    floor_mg: Mg


class FrequencyStep(Strict):
    """One step of a taper that drops doses a day: each dose keeps its size, taken
    `per_day` times a day for `days` days."""

    per_day: int = Field(ge=1, le=24, strict=True)
    days: int = Field(ge=1, le=365, strict=True)


class Taper(Sourced):
    """Default pace for stopping, every `every_days` days: lower each dose by
    `step_mg_per_dose`, or lower the day's total by `step_mg_per_day` (a range: the taper
    planner uses its `min`, one dose at a time; `taper-too-fast` flags more than its
    `max`). Or `frequency_steps`: each dose keeps its size and the doses a day fall
    (three times a day → twice a day for 4 days → once a day for 3 days → stop); their
    days add up to the shortest taper. Exactly one of the three. The block's own source
    and basis are for the pace."""

    step_mg_per_dose: Mg | None = None
    step_mg_per_day: MgRange | None = None
    every_days: int = Field(default=1, ge=1, le=365)
    min_duration: TaperDuration | None = None
    proportional: ProportionalPace | None = None
    frequency_steps: list[FrequencyStep] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_pace(self) -> Self:
        paces = [self.step_mg_per_dose, self.step_mg_per_day, self.frequency_steps]
        if sum(pace is not None for pace in paces) != 1:
            raise ValueError(
                "give exactly one of step_mg_per_dose, step_mg_per_day or frequency_steps"
            )
        if self.frequency_steps is None and "every_days" not in self.model_fields_set:
            raise ValueError("every_days is required with step_mg_per_dose or step_mg_per_day")
        if self.frequency_steps is not None:
            counts = [step.per_day for step in self.frequency_steps]
            if any(later >= earlier for earlier, later in pairwise(counts)):
                raise ValueError("frequency_steps must lower the doses a day at every step")
        return self


FractionText = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}(/[1-9][0-9]{0,5})?$")]
"""An exact fraction written as text, e.g. "2/3" (kept exact: 2/3 has no exact decimal)."""


def fraction_of(text: str) -> Fraction:
    return Fraction(text)


class Avoid(Sourced):
    """Advice to avoid the drug if possible (e.g. severe kidney disease), with its own
    sources: shown with the band's suggestion, which then applies only if it is used."""

    text: str = Field(min_length=1)


class StepPace(Sourced):
    """How much longer each titration step lasts when doses are reduced for kidney
    function: days × `days_factor`, rounded up to whole days."""

    days_factor: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}(/[1-9][0-9]{0,5})?$")]


class BandDaily(Strict):
    """A renal band's total daily dose range (the band's own source covers it)."""

    min: Mg
    max: Mg

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.min > self.max:
            raise ValueError("min is above max")
        return self


class RenalBand(Sourced):
    """A kidney-function band: a factor for each dose ("1/2" = half; none: the rule reports
    the suggestion without a number), or a daily range and doses a day with the label's
    doses (`regimen_columns_mg`). Bounds: over (exclusive) or from (inclusive) or from 0;
    up to (inclusive) or below (exclusive) or none. Where the label's printed edges leave
    a gap, `edges_as_printed` / `edges_note` say how it was closed (`show` prints both)."""

    name: str = Field(min_length=1, description="e.g. 'moderate (CrCl 30–50 mL/min)'")
    crcl_over_ml_min: Number | None = Field(default=None, description="exclusive; None: from 0")
    crcl_up_to_ml_min: Number | None = Field(default=None, description="inclusive upper bound")
    crcl_below_ml_min: Number | None = Field(default=None, description="exclusive upper bound")
    dose_factor: FractionText | None = None
    suggestion: str | None = Field(
        default=None, min_length=1, description="in words, e.g. 'about half the dose'"
    )
    avoid: Avoid | None = None
    pace: StepPace | None = None
    crcl_from_ml_min: Number | None = Field(default=None, description="inclusive lower bound")
    daily_mg: BandDaily | None = None
    per_day: int | None = Field(default=None, ge=1, le=24, strict=True)
    regimen_columns_mg: list[Mg] | None = Field(default=None, min_length=1)
    edges_as_printed: str | None = Field(default=None, min_length=1)
    edges_note: str | None = Field(default=None, min_length=1)

    @field_validator("dose_factor")
    @classmethod
    def _factor_at_most_one(cls, value: str | None) -> str | None:
        if value is not None and not Fraction(0) < Fraction(value) <= Fraction(1):
            raise ValueError("dose_factor must be more than 0 and at most 1")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.crcl_up_to_ml_min is not None and self.crcl_below_ml_min is not None:
            raise ValueError("give exactly one of crcl_up_to_ml_min or crcl_below_ml_min, or none")
        if self.crcl_over_ml_min is not None and self.crcl_from_ml_min is not None:
            raise ValueError("give at most one of crcl_over_ml_min or crcl_from_ml_min")
        ranged = self.daily_mg is not None or self.per_day is not None
        if self.crcl_up_to_ml_min is None and self.crcl_below_ml_min is None and not ranged:
            raise ValueError("give exactly one of crcl_up_to_ml_min or crcl_below_ml_min")
        if self.suggestion is None and not ranged:
            raise ValueError("give a suggestion (or the band's daily_mg and per_day)")
        columns = self.regimen_columns_mg
        if columns is not None:
            if self.per_day is None or self.daily_mg is None:
                raise ValueError("regimen_columns_mg needs the band's per_day and daily_mg")
            if sorted(columns) != columns or len(set(columns)) != len(columns):
                raise ValueError("regimen_columns_mg must be distinct and in increasing order")
        return self

    def contains(self, crcl: Decimal) -> bool:
        above = self.crcl_over_ml_min is None or crcl > self.crcl_over_ml_min
        if self.crcl_from_ml_min is not None:
            above = above and crcl >= self.crcl_from_ml_min
        if self.crcl_below_ml_min is not None:
            return above and crcl < self.crcl_below_ml_min
        if self.crcl_up_to_ml_min is not None:
            return above and crcl <= self.crcl_up_to_ml_min
        return above


class Supplemental(Sourced):
    """A dose after each `after_each_session_hours` of haemodialysis: the n-th of
    `by_regimen_column_mg` for a maintenance dose equal to the band's n-th column."""

    after_each_session_hours: Number
    by_regimen_column_mg: list[Mg] = Field(min_length=1)


class DialysisDose(Sourced):
    """For dialysis-dependent patients: a suggested daily total (`daily_mg`, not a
    factor), or maintenance by the CrCl band plus a `supplemental` dose after each
    session."""

    daily_mg: Mg | None = None
    suggestion: str = Field(min_length=1)
    avoid: Avoid | None = None
    supplemental: Supplemental | None = None

    @model_validator(mode="after")
    def _a_dose(self) -> Self:
        if self.daily_mg is None and self.supplemental is None:
            raise ValueError("give daily_mg or supplemental")
        return self


class Renal(Sourced):
    """Kidney function: the label's caution (this block's own source) and suggested
    reductions by creatinine clearance and for dialysis, each with its own basis."""

    caution: str = Field(min_length=1)
    bands: list[RenalBand] = Field(default_factory=list)
    dialysis: DialysisDose | None = None

    @model_validator(mode="after")
    def _bands_do_not_overlap(self) -> Self:
        """Ranged bands (a daily range and a frequency) must cover every CrCl once: a
        value in two bands, or in none, names itself."""
        if not any(band.daily_mg is not None for band in self.bands):
            return self
        edges = sorted(
            {
                value
                for band in self.bands
                for value in (
                    band.crcl_over_ml_min,
                    band.crcl_from_ml_min,
                    band.crcl_up_to_ml_min,
                    band.crcl_below_ml_min,
                )
                if value is not None
            }
        )
        probes = {Decimal(0), *edges}
        probes |= {(low + high) / 2 for low, high in pairwise(edges)}
        if edges:
            probes.add(edges[-1] + 1)
        for crcl in sorted(probes):
            holding = [band.name for band in self.bands if band.contains(crcl)]
            if len(holding) > 1:
                raise ValueError(f"CrCl {crcl} mL/min is in more than one band: {holding}")
            if not holding:
                raise ValueError(f"CrCl {crcl} mL/min is in no band: close the gap")
        return self

    @model_validator(mode="after")
    def _supplemental_fits_columns(self) -> Self:
        supplemental = self.dialysis.supplemental if self.dialysis is not None else None
        if supplemental is None:
            return self
        wanted = len(supplemental.by_regimen_column_mg)
        for band in self.bands:
            columns = band.regimen_columns_mg
            if columns is not None and len(columns) != wanted:
                raise ValueError(
                    f"dialysis.supplemental lists {wanted} doses; band {band.name!r} has "
                    f"{len(columns)} regimen columns"
                )
        if not any(band.regimen_columns_mg for band in self.bands):
            raise ValueError("dialysis.supplemental needs bands with regimen_columns_mg")
        return self

    def band_for(self, crcl: Decimal) -> RenalBand | None:
        return next((band for band in self.bands if band.contains(crcl)), None)


class InteractionClass(Sourced):
    """A class of co-medication (or alcohol) that adds to the drug's CNS depression;
    `aliases` are the drug names users may type for it (matching aid, not exhaustive)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    effect: str = Field(min_length=1)


class CoMedication(Sourced):
    """A co-medication (a drug, brand or class) the label forbids (`contraindicated`:
    an error) or warns about (`major`: a warning), with its mechanism and what to do."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1)
    severity: Literal["contraindicated", "major"]
    aliases: list[str] = Field(default_factory=list)
    mechanism: str = Field(min_length=1)
    advice: str = Field(min_length=1)


class Interactions(Sourced):
    """Co-medications: classes that add CNS depression (`cns_depressants`) and drugs the
    label forbids or warns about (`comedications`); the block's own source states the
    general rule."""

    cns_depressants: list[InteractionClass] = Field(default_factory=list)
    comedications: list[CoMedication] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lists_something(self) -> Self:
        if not self.cns_depressants and not self.comedications:
            raise ValueError("list cns_depressants or comedications")
        return self


class Hepatic(Sourced):
    """Active liver disease: `contraindicated` (an error) or `avoid` (a warning)."""

    severity: Literal["contraindicated", "avoid"]
    text: str = Field(min_length=1)


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


class Restart(Sourced):
    """After more than `after_days` days (or `after_hours` hours; exactly one) without a
    dose, the titration starts again from its first step (`missed`, `audit` say so)."""

    after_days: Number | None = Field(default=None, gt=0, le=3660)
    after_hours: Number | None = Field(default=None, gt=0, le=87840)

    @model_validator(mode="after")
    def _one_gap(self) -> Self:
        if (self.after_days is None) == (self.after_hours is None):
            raise ValueError("give exactly one of after_days or after_hours")
        return self

    @property
    def hours(self) -> Decimal:
        """The gap, in hours, after which the titration starts again."""
        if self.after_hours is not None:
            return self.after_hours
        assert self.after_days is not None
        return self.after_days * 24


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


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class Indication(Sourced):
    """What the drug is given for; a regimen with several chooses its ladder by one."""

    id: Slug
    name: str = Field(min_length=1)


class CoMedicationGroup(Sourced):
    """Co-medications that select a ladder; `aliases`: names a user may give."""

    id: Slug
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


class When(Strict):
    """When a ladder applies: co-medication groups named (`with_any`: at least one,
    `with_all`: every one) and not named (`without`). Empty: always (the default)."""

    with_any: list[Slug] = Field(default_factory=list)
    with_all: list[Slug] = Field(default_factory=list)
    without: list[Slug] = Field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        return [*self.with_any, *self.with_all, *self.without]


class Ladder(Sourced):
    """One of a regimen's titrations, for an indication and co-medication, with its own
    limits and dose times (the regimen's when not given). The first ladder of the
    indication whose `when` holds is used; the last one of each indication has an empty
    `when` (the default)."""

    id: Slug
    name: str = Field(min_length=1, description="stated in every output")
    indication: Slug | None = None
    when: When = Field(default_factory=When)
    titration: Titration
    limits: Limits | None = None
    dose_times: DoseTimes | None = None


def _default_ladder(data: dict[str, Any]) -> dict[str, Any] | None:
    """The default ladder of a regimen's first indication (None: no ladders)."""
    ladders = [item for item in data.get("ladders") or [] if isinstance(item, dict)]
    if not ladders:
        return None
    indications = data.get("indications") or []
    first = indications[0].get("id") if indications and isinstance(indications[0], dict) else None
    own = [item for item in ladders if item.get("indication") == first] or ladders
    defaults = [item for item in own if not item.get("when")]
    return (defaults or own)[-1]


class Regimen(Strict):
    """One drug's titration regimen with its limits and their sources (with `ladders`, its
    `titration` and, if not given, `limits` are its first indication's default ladder's)."""

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
    hepatic: Hepatic | None = None
    pregnancy: Pregnancy | None = None
    missed_dose: MissedDose | None = None
    audit: LogAudit | None = None
    restart: Restart | None = None
    notices: list[Notice] = Field(default_factory=list)
    products: list[Product] = Field(default_factory=list)
    default_product: str | None = Field(
        default=None, description="product id used when none is chosen (None: plans in mg only)"
    )
    sources: list[Source] = Field(min_length=1)
    indications: list[Indication] = Field(default_factory=list)
    co_medication_groups: list[CoMedicationGroup] = Field(default_factory=list)
    ladders: list[Ladder] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _titration_from_ladders(cls, data: Any) -> Any:
        default = _default_ladder(data) if isinstance(data, dict) else None
        if default is None or data.get("titration") is not None:
            return data
        filled = {**data, "titration": default.get("titration")}
        if data.get("limits") is None and default.get("limits") is not None:
            filled["limits"] = default["limits"]
        return filled

    @model_validator(mode="after")
    def _ladders_resolve(self) -> Self:
        """Ids unique; the indications and groups ladders name exist; each indication's
        last ladder is its default (empty `when`)."""
        indications = [item.id for item in self.indications]
        groups = [item.id for item in self.co_medication_groups]
        ladders = [item.id for item in self.ladders]
        for what, ids in (("indication", indications), ("co_medication_groups", groups)):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{what} ids must be unique")
        if len(set(ladders)) != len(ladders):
            raise ValueError("ladder ids must be unique")
        if (indications or groups) and not self.ladders:
            raise ValueError("indications and co_medication_groups need `ladders`")
        for ladder in self.ladders:
            if ladder.indication is None and len(indications) > 1:
                raise ValueError(
                    f"ladders.{ladder.id}: name its indication ({', '.join(indications)})"
                )
            if ladder.indication is not None and ladder.indication not in indications:
                raise ValueError(
                    f"ladders.{ladder.id}: indication {ladder.indication!r} is not one of the "
                    f"regimen's indications ({', '.join(indications) or 'none listed'})"
                )
            for group in ladder.when.groups:
                if group not in groups:
                    raise ValueError(
                        f"ladders.{ladder.id}.when: {group!r} is not one of the regimen's "
                        f"co_medication_groups ({', '.join(groups) or 'none listed'})"
                    )
            if (
                ladder.titration.rule is not None
                and (ladder.limits or self.limits).escalation is None
            ):
                raise ValueError(
                    f"ladders.{ladder.id}: a rule-based titration needs limits.escalation"
                )
        wanted: list[str | None] = list(indications) or ([None] if self.ladders else [])
        for indication in wanted:
            own = [item for item in self.ladders if item.indication == indication]
            if not own:
                raise ValueError(f"indication {indication!r} has no ladder")
            if own[-1].when.groups:
                raise ValueError(
                    f"ladders.{own[-1].id}: the last ladder of indication {indication!r} is its "
                    "default and must have an empty `when`"
                )
        return self

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


class RegimenFile(Strict):
    """The top level of a regimens YAML file."""

    schema_version: Literal[1] = 1
    regimens: list[Regimen] = Field(min_length=1)
