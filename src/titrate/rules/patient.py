"""Patient rules: who the regimen is for, and the patient in front of the pharmacist
(kidney function, sedating co-medications, pregnancy)."""

from __future__ import annotations

from collections.abc import Iterator

from titrate.citation import BASIS_TEXT
from titrate.core.adjust import interaction_class, plain, renal_band
from titrate.model import InteractionClass
from titrate.rules.base import Context, Hit, rule


@rule("TT201", "age-below-minimum", "error", "population.min_age_years")
def age_below_minimum(ctx: Context) -> Iterator[Hit]:
    """Patient younger than the regimen's population.

    Passes: baclofen for a patient aged 12 or older.
    Fails:  baclofen for a patient aged 10 (safety below 12 years not established).
    """
    population = ctx.regimen.population
    age = ctx.plan.patient.age_years
    if population is None or age is None:
        return
    if age < population.min_age_years:
        yield Hit(
            f"Patient aged {age} is below the regimen's minimum age of "
            f"{population.min_age_years} years.",
            population,
        )


@rule("TT202", "renal-impairment", "warning", "renal")
def renal_impairment(ctx: Context) -> Iterator[Hit]:
    """Reduced kidney function: the label's caution and a suggested reduction.

    The suggestion comes from the regimen's `renal` bands (baclofen: published
    literature, not US labeling) or, for dialysis, its `renal.dialysis` dose (baclofen:
    non-US labels). A band from a label that gives no amount ("reduce the individual
    doses") is reported with its suggestion and no factor. With --renal-adjust the plan's
    doses are already reduced; a reduced dose with no exact value in milligrams is
    reported beside its first day.
    Passes: baclofen for a patient with CrCl 90 mL/min.
    Fails:  baclofen for a patient with CrCl 40 mL/min (suggested: about half the dose).
    Fails:  a band "CrCl < 25 mL/min: reduce individual doses" for CrCl 20 (no factor).
    """
    renal = ctx.regimen.renal
    patient = ctx.plan.patient
    if renal is None:
        return
    if patient.dialysis:
        dialysis = renal.dialysis
        if dialysis is None:
            yield Hit(f"Patient on dialysis: {renal.caution}", renal)
            return
        largest = max((day.total_mg for day in ctx.plan.days), default=None)
        over = [day for day in ctx.plan.days if day.total_mg > dialysis.daily_mg]
        plan_part = (
            f" {len(over)} of {len(ctx.plan.days)} plan days exceed {plain(dialysis.daily_mg)} mg "
            f"a day (largest {plain(largest)} mg)."
            if over and largest is not None
            else ""
        )
        yield Hit(
            f"Patient on dialysis: {renal.caution} Suggested for dialysis: "
            f"{dialysis.suggestion} ({BASIS_TEXT[dialysis.basis]}).{plan_part}",
            dialysis,
        )
        return
    band = renal_band(ctx.regimen, patient)
    if band is None:
        return
    adjustment = ctx.plan.renal_adjustment
    if band.dose_factor is None:
        yield Hit(
            f"CrCl {patient.crcl_ml_min} mL/min, {band.name}: {renal.caution} Suggested: "
            f"{band.suggestion} ({BASIS_TEXT[band.basis]}; no amount is given, so "
            "--renal-adjust cannot apply it). This plan's doses are not reduced.",
            band,
        )
        return
    if adjustment is not None:
        applied = (
            f"This plan's doses are reduced: each dose × {adjustment.factor} (--renal-adjust)."
        )
    else:
        applied = "This plan's doses are not reduced; --renal-adjust applies the suggestion."
    yield Hit(
        f"CrCl {patient.crcl_ml_min} mL/min, {band.name}: {renal.caution} Suggested: "
        f"{band.suggestion}, each dose × {band.dose_factor} ({BASIS_TEXT[band.basis]}). "
        f"{applied}",
        band,
    )
    if adjustment is None:
        return
    for inexact in adjustment.inexact:
        yield Hit(
            f"Day {inexact.day}: {plain(inexact.from_mg)} mg × {adjustment.factor} = "
            f"{inexact.exact_mg} mg has no exact value in milligrams; the plan shows "
            f"{plain(inexact.shown_mg)} mg. Agree a dose that can be measured with the prescriber.",
            band,
            day=inexact.day,
        )


@rule("TT203", "cns-depressant", "warning", "interactions")
def cns_depressant(ctx: Context) -> Iterator[Hit]:
    """A co-medication or alcohol (--with) that adds to the drug's CNS depression.

    One finding per class the patient's co-medications fall in (regimen `interactions`).
    Passes: baclofen with no sedating co-medication.
    Fails:  baclofen with oxycodone (opioids: additive CNS depression).
    """
    found: dict[str, tuple[InteractionClass, list[str]]] = {}
    for typed in ctx.plan.patient.co_medications:
        klass = interaction_class(ctx.regimen, typed)
        if klass is not None:
            found.setdefault(klass.id, (klass, []))[1].append(typed)
    for klass, typed_names in found.values():
        yield Hit(
            f"Taken with {', '.join(typed_names)} ({klass.name}): {klass.effect}. "
            "Warn about drowsiness; no driving or machinery until the effect is known.",
            klass,
        )


@rule("TT204", "pregnancy", "warning", "pregnancy")
def pregnancy(ctx: Context) -> Iterator[Hit]:
    """The patient is pregnant: the regimen's pregnancy warning (baclofen: withdrawal
    signs in the newborn).

    Passes: baclofen for a patient who is not pregnant.
    Fails:  baclofen for a pregnant patient (--pregnant).
    """
    warning = ctx.regimen.pregnancy
    if warning is None or not ctx.plan.patient.pregnant:
        return
    yield Hit(warning.text, warning)
