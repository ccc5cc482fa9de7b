"""Renal band rules: a band that sets a daily range and a number of doses a day (the
label's renal dosing table) against the plan's days."""

from __future__ import annotations

from collections.abc import Iterator

from titrate.citation import BASIS_TEXT
from titrate.core.adjust import plain, renal_band
from titrate.model import RenalBand
from titrate.rules.base import Context, Example, Hit, rule

_DEMO = "tests/rules/regimens/issue18.yaml"
_RAMP = "a test regimen (demo-renal: 300 mg once on day 1, twice on day 2, three times on day 3)"


def band_words(band: RenalBand, *, explain: bool = True) -> str:
    """The band's name, its bounds and the label's printed edges (`explain`: and how a gap
    in them was closed)."""
    words = f"{band.name} ({band.edges}"
    if band.edges_as_printed:
        words += f"; the label prints {band.edges_as_printed!r}"
    if explain and band.edges_note:
        words += f"; {band.edges_note}"
    return words + ")"


def _doses(count: int) -> str:
    return f"{count} dose" if count == 1 else f"{count} doses"


def _ranged_band(ctx: Context) -> RenalBand | None:
    band = renal_band(ctx.regimen, ctx.plan.patient)
    if band is None or band.daily_mg is None or band.per_day is None:
        return None
    return band


@rule(
    "TT211",
    "renal-frequency",
    "warning",
    "renal.bands",
    passes=[
        Example(
            f"{_RAMP}, CrCl 60 mL/min, with the band's 3 doses a day: 300x3:3.",
            {"regimen": "demo-renal", "regimens": _DEMO, "crcl_ml_min": "60", "steps": "300x3:3"},
        ),
        Example(
            f"{_RAMP}, CrCl 30 mL/min, with the band's regimen (renal adjustment asked for).",
            {"regimen": "demo-renal", "regimens": _DEMO, "crcl_ml_min": "30", "renal_adjust": True},
        ),
    ],
    fails=[
        Example(
            f"{_RAMP}, CrCl 30 mL/min (band: once a day): days 2 and 3 have 2 and 3 doses.",
            {"regimen": "demo-renal", "regimens": _DEMO, "crcl_ml_min": "30"},
        )
    ],
)
def renal_frequency(ctx: Context) -> Iterator[Hit]:
    """A day with another number of doses than the patient's renal band gives.

    What it does: for a regimen whose renal bands set doses a day (`renal.bands[].per_day`),
    finds the band for the patient's creatinine clearance and reports each plan day whose
    number of doses differs from it (runs of days with the same count are one finding).
    Where the label's printed band edges leave a gap, the band's own bounds decide, and the
    message shows both.
    Why it matters: with reduced kidney function the drug stays longer in the body; the
    label spaces the doses out (e.g. once a day instead of three times), and the same daily
    amount in more doses keeps the level higher than the table intends.
    """
    band = _ranged_band(ctx)
    if band is None:
        return
    assert band.per_day is not None
    for day in ctx.plan.days:
        if day.doses and day.doses != band.per_day:
            yield Hit(
                f"Day {day.day}: {_doses(day.doses)} in the day; for CrCl "
                f"{ctx.plan.patient.crcl_ml_min} mL/min the band "
                f"{band_words(band, explain=False)} gives {_doses(band.per_day)} a day "
                f"({BASIS_TEXT[band.basis]}).",
                band,
                day=day.day,
            )


@rule(
    "TT215",
    "renal-daily-range",
    "error",
    "renal.bands",
    passes=[
        Example(
            f"{_RAMP}, CrCl 60 mL/min: 300x3:3 (900 mg a day, in the band's 900–3600).",
            {"regimen": "demo-renal", "regimens": _DEMO, "crcl_ml_min": "60", "steps": "300x3:3"},
        ),
    ],
    fails=[
        Example(
            f"{_RAMP}, CrCl 30 mL/min: day 3 gives 900 mg, over the band's 700 mg a day.",
            {"regimen": "demo-renal", "regimens": _DEMO, "crcl_ml_min": "30"},
        ),
        Example(
            f"{_RAMP}, CrCl 60 mL/min: 300x1:3 (300 mg a day), under the band's 900 mg a "
            "day (information: below the labeled range).",
            {"regimen": "demo-renal", "regimens": _DEMO, "crcl_ml_min": "60", "steps": "300x1:3"},
            severity="info",
        ),
    ],
)
def renal_daily_range(ctx: Context) -> Iterator[Hit]:
    """A day whose total leaves the daily range of the patient's renal band.

    What it does: for a regimen whose renal bands set a daily range
    (`renal.bands[].daily_mg`), finds the band for the patient's creatinine clearance and
    reports each plan day over the range's maximum (an error) or under its minimum
    (information: a titration may start below the maintenance range). A supplemental dose
    after dialysis is not in the plan's days and is not counted.
    Why it matters: the band's maximum is the most the kidneys can clear safely; above it
    the drug accumulates (for gabapentin: drowsiness, dizziness, falls).
    """
    band = _ranged_band(ctx)
    if band is None:
        return
    daily = band.daily_mg
    assert daily is not None
    crcl = ctx.plan.patient.crcl_ml_min
    for day in ctx.plan.days:
        if not day.doses:
            continue
        if day.total_mg > daily.max:
            yield Hit(
                f"Day {day.day}: {plain(day.total_mg)} mg in the day, over the "
                f"{plain(daily.max)} mg daily maximum for CrCl {crcl} mL/min, band "
                f"{band_words(band, explain=False)} ({BASIS_TEXT[band.basis]}).",
                band,
                day=day.day,
            )
        elif day.total_mg < daily.min:
            yield Hit(
                f"Day {day.day}: {plain(day.total_mg)} mg in the day, under the band's "
                f"{plain(daily.min)}–{plain(daily.max)} mg a day for CrCl {crcl} mL/min "
                f"({band.name}; {BASIS_TEXT[band.basis]}).",
                band,
                day=day.day,
                severity="info",
            )
