"""Regimen data: what `data/regimens.yaml` holds, every number with its source and
basis (validated by `titrate.schema.regimen` where it enters)."""

from datetime import time
from decimal import Decimal
from typing import Any, Literal

import msgspec

from titrate.model.cautions import (
    Hepatic,
    Interactions,
    Limit,
    LogAudit,
    MissedDose,
    Pregnancy,
    Renal,
    Restart,
)
from titrate.model.products import Product
from titrate.model.sourced import Source, Sourced
from titrate.model.units import Record


class Step(Record, frozen=True, kw_only=True):
    """One rung of a ladder: a dose taken `per_day` times a day for `days` days.

    `doses_mg` lists unequal doses in the day's order (a taper that lowers one dose at a
    time: 8 + 8 + 6 mg); `dose_mg` is then the largest of them and `per_day` their count.
    """

    dose_mg: Decimal
    per_day: int
    days: int
    doses_mg: list[Decimal] | None = None
    weeks: int | None = None
    every_days: int = 1

    def doses_on(self, day_of_step: int) -> bool:
        """Whether day `day_of_step` (1, 2, …) of the step is a dose day: day 1, then
        every `every_days` days."""
        return (day_of_step - 1) % self.every_days == 0

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


class Count(Sourced, frozen=True, kw_only=True):
    """A sourced whole number (e.g. doses a day)."""

    value: int


class TitrationRule(Record, frozen=True, kw_only=True):
    """Rule-based titration instead of a fixed ladder: start at `start_mg` taken
    `per_day` times a day, then raise each dose by the prescriber's step every so many
    days up to the prescriber's target (ranges in `limits.escalation`)."""

    start_mg: Decimal
    per_day: Count


class Titration(Sourced, frozen=True, kw_only=True):
    """The suggested escalation: a fixed ladder (`steps`) or a rule (`rule`)."""

    steps: list[Step] = msgspec.field(default_factory=list)
    rule: TitrationRule | None = None

    @property
    def start_mg(self) -> Decimal:
        """The first dose of the labeled titration."""
        return self.rule.start_mg if self.rule is not None else self.steps[0].dose_mg

    @property
    def per_day(self) -> int:
        """Doses a day at the end of the titration (the maintenance frequency)."""
        return self.rule.per_day.value if self.rule is not None else self.steps[-1].per_day


class Escalation(Sourced, frozen=True, kw_only=True):
    """The fastest rise the regimen allows between steps (and, for a labeled range, its
    slower ends, shown but never flagged)."""

    max_increment_mg_per_dose: Decimal
    min_days_between_increases: int
    min_increment_mg_per_dose: Decimal | None = None
    max_days_between_increases: int | None = None


class Grading(Sourced, frozen=True, kw_only=True):
    """How a finding's severity grows with the size of the breach (stated conventions)."""

    single_dose_error_ratio: Decimal
    increment_error_ratio: Decimal


class Limits(Record, frozen=True, kw_only=True):
    max_daily_mg: Limit
    max_single_mg: Limit | None = None
    max_doses_per_day: Limit | None = None
    min_hours_between_doses: Limit | None = None
    escalation: Escalation | None = None
    grading: Grading | None = None


class Review(Sourced, frozen=True, kw_only=True):
    """A date by which the treatment must be reviewed, counted from the plan's first day."""

    by_day: int
    text: str


class Population(Sourced, frozen=True, kw_only=True):
    """Who the regimen is for, and whether a younger patient is an error or a warning."""

    min_age_years: Decimal
    below_minimum: Literal["error", "warning"] = "error"
    below_minimum_text: str | None = None


class DoseTimes(Sourced, frozen=True, kw_only=True):
    """Default clock times for each number of doses a day."""

    by_frequency: dict[int, list[time]]


class Stopping(Sourced, frozen=True, kw_only=True):
    """When ending a plan counts as stopping abruptly (shared by plan and log rules)."""

    max_daily_mg_to_stop_from: Decimal


class TaperDuration(Sourced, frozen=True, kw_only=True):
    """The shortest taper the guidance allows when stopping from above the stopping
    threshold."""

    min_days: int


class MgRange(Sourced, frozen=True, kw_only=True):
    """A sourced range of milligrams, e.g. "2 to 4 mg"."""

    min: Decimal
    max: Decimal


class ProportionalPace(Sourced, frozen=True, kw_only=True):
    """A proportional taper: each reduction takes a fraction of the current dose, rounded
    down to a multiple of `floor_mg` and never less than it."""

    floor_mg: Decimal


class FrequencyStep(Record, frozen=True, kw_only=True):
    """One step of a taper that drops doses a day: each dose keeps its size, taken
    `per_day` times a day for `days` days."""

    per_day: int
    days: int


class Taper(Sourced, frozen=True, kw_only=True):
    """Default pace for stopping: every `every_days` days per dose or per day, or
    `frequency_steps` (fewer doses a day, each the same size)."""

    step_mg_per_dose: Decimal | None = None
    step_mg_per_day: MgRange | None = None
    every_days: int = 1
    min_duration: TaperDuration | None = None
    proportional: ProportionalPace | None = None
    frequency_steps: list[FrequencyStep] | None = None


class Notice(Sourced, frozen=True, kw_only=True):
    """A sourced sentence shown with every plan; `boxed` for the label's boxed warning."""

    id: str
    text: str
    boxed: bool = False


class Indication(Sourced, frozen=True, kw_only=True):
    """What the drug is given for; a regimen with several chooses its ladder by one."""

    id: str
    name: str


class CoMedicationGroup(Sourced, frozen=True, kw_only=True):
    """Co-medications that select a ladder; `aliases` are the names a user may give."""

    id: str
    name: str
    aliases: list[str] = msgspec.field(default_factory=list)


class When(Record, frozen=True, kw_only=True):
    """When a ladder applies: co-medication groups named (`with_any`: at least one,
    `with_all`: every one) and not named (`without`). Empty: always (the default)."""

    with_any: list[str] = msgspec.field(default_factory=list)
    with_all: list[str] = msgspec.field(default_factory=list)
    without: list[str] = msgspec.field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        return [*self.with_any, *self.with_all, *self.without]

    def holds(self, named: set[str]) -> bool:
        return (
            (not self.with_any or any(group in named for group in self.with_any))
            and all(group in named for group in self.with_all)
            and not any(group in named for group in self.without)
        )


class Ladder(Sourced, frozen=True, kw_only=True):
    """One of a regimen's titrations, for an indication and co-medication, with its own
    limits and dose times (the regimen's when not given)."""

    id: str
    name: str
    indication: str | None = None
    when: When = msgspec.field(default_factory=When)
    titration: Titration
    limits: Limits | None = None
    dose_times: DoseTimes | None = None
    restart: Restart | None = None


class Regimen(Record, frozen=True, kw_only=True):
    """One drug's titration regimen with its limits and their sources (a regimen with
    `ladders` reads as the default ladder of its first indication; a plan uses the
    ladder chosen by indication and co-medication, `core.ladders`)."""

    id: str
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
    notices: list[Notice] = msgspec.field(default_factory=list)
    products: list[Product] = msgspec.field(default_factory=list)
    default_product: str | None = None
    sources: list[Source]
    indications: list[Indication] = msgspec.field(default_factory=list)
    co_medication_groups: list[CoMedicationGroup] = msgspec.field(default_factory=list)
    ladders: list[Ladder] = msgspec.field(default_factory=list)

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def facts(self) -> list[tuple[str, Sourced]]:
        """Every sourced fact with its dotted path (for `show`)."""
        found: list[tuple[str, Sourced]] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, Sourced):
                found.append((path, node))
            if isinstance(node, msgspec.Struct):
                for name in node.__struct_fields__:
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


class RegimenFile(Record, frozen=True, kw_only=True):
    """The top level of a regimens file."""

    schema_version: Literal[1] = 1
    regimens: list[Regimen]
