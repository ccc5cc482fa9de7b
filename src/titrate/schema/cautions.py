"""Regimen data for the patient in front of the pharmacist: kidneys, co-medications,
liver, pregnancy, missed doses, restarts and dose-log audits, each fact with its source
and basis (split from regimen.py, which holds the ladder, limits and stopping)."""


# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from titrate.schema.sourced import Sourced
from titrate.schema.units import (
    Mg,
    Number,
    Strict,
)


class Limit(Sourced):
    value: Number


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

    days_factor: FractionText


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
