"""Patient rules: who the regimen is for, and the patient in front of the pharmacist
(kidney function, sedating co-medications, pregnancy)."""

from __future__ import annotations

from collections.abc import Iterator

from titrate.citation import BASIS_TEXT, cite
from titrate.core.adjust import interaction_class, plain, renal_band
from titrate.model import InteractionClass
from titrate.model.cautions import Avoid
from titrate.rules.base import Context, Example, Hit, rule
from titrate.rules.renal import band_words


@rule(
    "TT201",
    "age-below-minimum",
    "error",
    "population.min_age_years",
    passes=[Example("baclofen for a patient aged 12.", {"age_years": "12"})],
    fails=[
        Example(
            "baclofen for a patient aged 10 (safety below 12 years not established).",
            {"age_years": "10"},
        )
    ],
)
def age_below_minimum(ctx: Context) -> Iterator[Hit]:
    """Patient younger than the regimen's population.

    What it does: compares the patient's age, when given, with the regimen's minimum age.
    Why it matters: below that age the label has no evidence for the doses and the pace;
    the plan may still be right, but a prescriber has to own that choice.
    """
    population = ctx.regimen.population
    age = ctx.plan.patient.age_years
    if population is None or age is None or population.below_minimum != "error":
        return
    if age < population.min_age_years:
        yield Hit(
            f"Patient aged {age} is below the regimen's minimum age of "
            f"{population.min_age_years} years.",
            population,
        )


@rule(
    "TT210",
    "pediatric-dosing-not-modelled",
    "warning",
    "population.below_minimum",
    passes=[
        Example("dantrolene for a patient aged 18.", {"regimen": "dantrolene", "age_years": "18"})
    ],
    fails=[
        Example(
            "dantrolene for a patient aged 17 (the US label doses children by weight).",
            {"regimen": "dantrolene", "age_years": "17"},
        )
    ],
)
def pediatric_dosing_not_modelled(ctx: Context) -> Iterator[Hit]:
    """Patient younger than the adult regimen, where the label doses children another way.

    What it does: when the regimen's population says younger patients are a warning
    (`below_minimum: warning`: the label has a weight-based pediatric regimen this tool
    does not plan), reports that the adult schedule shown is not the pediatric one.
    Why it matters: the label does cover the child, in mg/kg; an adult ladder in mg may
    be far too much for a small child, and the prescriber has to write the dose by weight.
    """
    population = ctx.regimen.population
    age = ctx.plan.patient.age_years
    if population is None or age is None or population.below_minimum != "warning":
        return
    if age < population.min_age_years:
        extra = f" {population.below_minimum_text}" if population.below_minimum_text else ""
        yield Hit(
            f"Patient aged {age} is below this adult regimen's {population.min_age_years} "
            f"years.{extra}",
            population,
        )


@rule(
    "TT202",
    "renal-impairment",
    "warning",
    "renal",
    passes=[Example("baclofen for a patient with CrCl 90 mL/min.", {"crcl_ml_min": "90"})],
    fails=[
        Example(
            "baclofen for a patient with CrCl 40 mL/min (suggested: about half the dose).",
            {"crcl_ml_min": "40"},
        ),
        Example(
            'tizanidine\'s band "CrCl < 25 mL/min: reduce individual doses" for CrCl 20 '
            "(no factor given).",
            {
                "regimen": "tizanidine",
                "target_mg": "4",
                "step_mg": "2",
                "every_days": 3,
                "crcl_ml_min": "20",
            },
        ),
    ],
)
def renal_impairment(ctx: Context) -> Iterator[Hit]:
    """Reduced kidney function: the label's caution and a suggested reduction.

    What it does: finds the regimen's `renal` band for the patient's creatinine clearance
    (or its `renal.dialysis` advice) and reports its caution and suggestion (baclofen:
    published literature, not US labeling). A band from a label that gives no amount
    ("reduce the individual doses") is reported with no factor. When the renal reduction
    was asked for, the plan's doses are already reduced; a reduced dose with no exact value
    in milligrams is reported beside its first day.
    Why it matters: a drug cleared by the kidneys accumulates when they work less; the
    label-sized doses can then act like an overdose (for baclofen: confusion, coma).
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
        limit = dialysis.daily_mg
        over = [day for day in ctx.plan.days if limit is not None and day.total_mg > limit]
        plan_part = (
            f" {len(over)} of {len(ctx.plan.days)} plan days exceed {plain(limit)} mg "
            f"a day (largest {plain(largest)} mg)."
            if over and largest is not None and limit is not None
            else ""
        )
        yield Hit(
            f"Patient on dialysis: {_avoid_text(ctx, dialysis.avoid)}{renal.caution} "
            f"Suggested for dialysis: {dialysis.suggestion} ({BASIS_TEXT[dialysis.basis]})."
            f"{plan_part}",
            dialysis,
        )
        return
    band = renal_band(ctx.regimen, patient)
    if band is None:
        return
    adjustment = ctx.plan.renal_adjustment
    if band.dose_factor is None and band.daily_mg is not None and band.per_day is not None:
        yield Hit(
            f"CrCl {patient.crcl_ml_min} mL/min, {band_words(band)}: {renal.caution} The "
            f"band's regimen: {plain(band.daily_mg.min)}–{plain(band.daily_mg.max)} mg a day "
            f"in {band.per_day} dose(s) a day ({BASIS_TEXT[band.basis]}).",
            band,
        )
        return
    if band.dose_factor is None:
        yield Hit(
            f"CrCl {patient.crcl_ml_min} mL/min, {band.name}: {renal.caution} Suggested: "
            f"{band.suggestion} ({BASIS_TEXT[band.basis]}; no amount is given, so "
            "it cannot be applied as a factor). This plan's doses are not reduced.",
            band,
        )
        return
    if adjustment is not None:
        applied = (
            f"This plan's doses are reduced: each dose × {adjustment.factor} (renal adjustment)."
        )
    else:
        applied = "This plan's doses are not reduced; a renal adjustment would apply the factor."
    yield Hit(
        f"CrCl {patient.crcl_ml_min} mL/min, {band.name}: {_avoid_text(ctx, band.avoid)}"
        f"{renal.caution} Suggested: {band.suggestion}, each dose × {band.dose_factor} "
        f"({BASIS_TEXT[band.basis]}). {applied}",
        band,
    )
    if adjustment is None:
        return
    for inexact in adjustment.inexact:
        measured = any(
            dose.amount is not None
            for dose in ctx.plan.doses
            if dose.step == inexact.step and dose.dose_mg == inexact.shown_mg
        )
        product = ctx.plan.product
        given = (
            f"rounded down to what {product.name} measures"
            if measured and product is not None
            else "not a dose the product measures: agree one with the prescriber"
        )
        yield Hit(
            f"Day {inexact.day}: computed {plain(inexact.from_mg)} mg × {adjustment.factor} = "
            f"{inexact.exact_mg} mg; given {plain(inexact.shown_mg)} mg ({given}).",
            band,
            day=inexact.day,
        )


def _avoid_text(ctx: Context, avoid: Avoid | None) -> str:
    """'Avoid … if possible: …' with its own citation, or nothing."""
    if avoid is None:
        return ""
    text = avoid.text[0].upper() + avoid.text[1:]
    return f"{text} ({BASIS_TEXT[avoid.basis]}: {cite(ctx.regimen, avoid)}) "


@rule(
    "TT203",
    "cns-depressant",
    "warning",
    "interactions",
    passes=[Example("baclofen with no sedating co-medication.")],
    fails=[
        Example(
            "baclofen with oxycodone (opioids: additive CNS depression).",
            {"co_medications": ["oxycodone"]},
        )
    ],
)
def cns_depressant(ctx: Context) -> Iterator[Hit]:
    """A co-medication or alcohol that adds to the drug's CNS depression.

    What it does: matches the patient's co-medications (drug names or classes) against the
    regimen's `interactions`; one finding per class they fall in.
    Why it matters: two sedating drugs together depress breathing and alertness more than
    either alone; the combination needs a prescriber's decision and a warning.
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


@rule(
    "TT204",
    "pregnancy",
    "warning",
    "pregnancy",
    passes=[Example("baclofen for a patient who is not pregnant.")],
    fails=[Example("baclofen for a pregnant patient.", {"pregnant": True})],
)
def pregnancy(ctx: Context) -> Iterator[Hit]:
    """The patient is pregnant: the regimen's pregnancy warning.

    What it does: when the patient is pregnant, reports the regimen's pregnancy data (for
    baclofen: withdrawal signs in the newborn).
    Why it matters: the risk reaches a second patient who is not in the plan; the
    prescriber needs to weigh it and plan the birth with it in mind.
    """
    warning = ctx.regimen.pregnancy
    if warning is None or not ctx.plan.patient.pregnant:
        return
    yield Hit(warning.text, warning)
