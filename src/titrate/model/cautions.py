"""Regimen data for the patient in front of the pharmacist: kidneys, co-medications,
liver, pregnancy, missed doses, restarts and dose-log audits, each fact with its source
and basis (split from regimen.py, which holds the ladder, limits and stopping)."""

from decimal import Decimal
from fractions import Fraction
from typing import Literal

import msgspec

from titrate.model.sourced import Sourced
from titrate.model.units import Record


class Limit(Sourced, frozen=True, kw_only=True):
    value: Decimal


FractionText = str
"""An exact fraction written as text, e.g. "2/3" (kept exact: 2/3 has no exact decimal)."""


def fraction_of(text: str) -> Fraction:
    return Fraction(text)


class Avoid(Sourced, frozen=True, kw_only=True):
    """Advice to avoid the drug if possible, with its own sources."""

    text: str


class StepPace(Sourced, frozen=True, kw_only=True):
    """How much longer each titration step lasts when doses are reduced for kidney
    function: days × `days_factor`, rounded up to whole days."""

    days_factor: FractionText


class BandDaily(Record, frozen=True, kw_only=True):
    """A renal band's total daily dose range (the band's own source covers it)."""

    min: Decimal
    max: Decimal


class RenalBand(Sourced, frozen=True, kw_only=True):
    """A kidney-function band, `crcl_over_ml_min` < CrCl (or `crcl_from_ml_min` ≤ CrCl)
    and CrCl ≤ `crcl_up_to_ml_min` (or < `crcl_below_ml_min`; no upper bound: none), with
    the suggested factor for each dose, or a daily range and doses a day."""

    name: str
    crcl_over_ml_min: Decimal | None = None
    crcl_up_to_ml_min: Decimal | None = None
    crcl_below_ml_min: Decimal | None = None
    dose_factor: str | None = None
    suggestion: str | None = None
    avoid: Avoid | None = None
    pace: StepPace | None = None
    crcl_from_ml_min: Decimal | None = None
    daily_mg: BandDaily | None = None
    per_day: int | None = None
    regimen_columns_mg: list[Decimal] | None = None
    edges_as_printed: str | None = None
    edges_note: str | None = None

    def contains(self, crcl: Decimal) -> bool:
        above = self.crcl_over_ml_min is None or crcl > self.crcl_over_ml_min
        if self.crcl_from_ml_min is not None:
            above = above and crcl >= self.crcl_from_ml_min
        if self.crcl_below_ml_min is not None:
            return above and crcl < self.crcl_below_ml_min
        if self.crcl_up_to_ml_min is not None:
            return above and crcl <= self.crcl_up_to_ml_min
        return above

    @property
    def edges(self) -> str:
        """The band's bounds in words ("above 30, below 60 mL/min", "60 or more mL/min")."""
        low = (
            f"above {self.crcl_over_ml_min}"
            if self.crcl_over_ml_min is not None
            else f"{self.crcl_from_ml_min} or more"
            if self.crcl_from_ml_min is not None
            else None
        )
        high = (
            f"below {self.crcl_below_ml_min}"
            if self.crcl_below_ml_min is not None
            else f"up to {self.crcl_up_to_ml_min}"
            if self.crcl_up_to_ml_min is not None
            else None
        )
        return ", ".join(part for part in (low, high) if part is not None) + " mL/min"


class Supplemental(Sourced, frozen=True, kw_only=True):
    """A dose after each haemodialysis session (per `after_each_session_hours` hours of
    it), sized by the maintenance dose: the n-th of `by_regimen_column_mg` goes with the
    n-th of the CrCl band's `regimen_columns_mg`."""

    after_each_session_hours: Decimal
    by_regimen_column_mg: list[Decimal]


class DialysisDose(Sourced, frozen=True, kw_only=True):
    """For dialysis-dependent patients: a suggested daily total (not a factor), or
    maintenance by the CrCl band plus a supplemental dose after each session."""

    daily_mg: Decimal | None = None
    suggestion: str
    avoid: Avoid | None = None
    supplemental: Supplemental | None = None


class Renal(Sourced, frozen=True, kw_only=True):
    """Kidney function: the label's caution and suggested reductions."""

    caution: str
    bands: list[RenalBand] = msgspec.field(default_factory=list)
    dialysis: DialysisDose | None = None

    def band_for(self, crcl: Decimal) -> RenalBand | None:
        return next((band for band in self.bands if band.contains(crcl)), None)


class InteractionClass(Sourced, frozen=True, kw_only=True):
    """A class of co-medication (or alcohol) that adds to the drug's CNS depression."""

    id: str
    name: str
    aliases: list[str] = msgspec.field(default_factory=list)
    effect: str


class CoMedication(Sourced, frozen=True, kw_only=True):
    """A co-medication the label forbids (`contraindicated`) or warns about (`major`)."""

    id: str
    name: str
    severity: Literal["contraindicated", "major"]
    aliases: list[str] = msgspec.field(default_factory=list)
    mechanism: str
    advice: str


class Interactions(Sourced, frozen=True, kw_only=True):
    """Co-medications: classes that add CNS depression and drugs the label forbids or
    warns about."""

    cns_depressants: list[InteractionClass] = msgspec.field(default_factory=list)
    comedications: list[CoMedication] = msgspec.field(default_factory=list)


class Hepatic(Sourced, frozen=True, kw_only=True):
    """Active liver disease: `contraindicated` (an error) or `avoid` (a warning)."""

    severity: Literal["contraindicated", "avoid"]
    text: str


class Pregnancy(Sourced, frozen=True, kw_only=True):
    text: str


class MissedDose(Sourced, frozen=True, kw_only=True):
    """What to do about a missed dose: exactly one of `take_within_fraction` or
    `take_within_hours`, and when to contact the prescriber."""

    take_within_fraction: Limit | None = None
    take_within_hours: Limit | None = None
    contact_prescriber_after: Limit


class Restart(Sourced, frozen=True, kw_only=True):
    """After more than `after_days` days (or `after_hours` hours) without a dose, the
    titration starts again from its first step: the last dose is not simply resumed."""

    after_days: Decimal | None = None
    after_hours: Decimal | None = None

    @property
    def hours(self) -> Decimal:
        """The gap, in hours, after which the titration starts again."""
        if self.after_hours is not None:
            return self.after_hours
        assert self.after_days is not None
        return self.after_days * 24


class LogAudit(Sourced, frozen=True, kw_only=True):
    """Thresholds for auditing a dose log (each a sourced number)."""

    min_interval_hours: Limit | None = None
    late_after_hours: Limit | None = None
    abrupt_stop_after_hours: Limit | None = None
