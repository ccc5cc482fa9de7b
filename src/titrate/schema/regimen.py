"""Regimen data: what `data/regimens.yaml` may hold, every number with its source and
basis."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import time
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    Field,
    field_validator,
    model_validator,
)

from titrate.schema.cautions import (
    Hepatic,
    Interactions,
    Limit,
    LogAudit,
    MissedDose,
    Pregnancy,
    Renal,
    Restart,
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
    restart: Restart | None = Field(
        default=None, description="the ladder's own restart rule (the regimen's when not given)"
    )


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
