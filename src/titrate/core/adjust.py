"""The patient in front of the pharmacist: check the patient context against the
regimen's data, and (when asked: `renal_adjust`) reduce every dose by the regimen's suggested
renal factor.

The factor is an exact fraction from the data ("1/2", "2/3"). A reduced dose that has
no exact value in milligrams to a microgram (5 mg × 2/3 = 10/3 mg) is carried rounded
half-even to a microgram, recorded in `Plan.renal_adjustment.inexact`, and reported by
the `renal-impairment` rule beside its day: shown, never silently rounded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from msgspec.structs import replace

from titrate.citation import BASIS_TEXT, cite
from titrate.core.amounts import allowed_strengths, measurable_at_most, resolve_product
from titrate.errors import InputError
from titrate.model import (
    MG_DECIMAL_PLACES,
    Day,
    Dose,
    InexactDose,
    InteractionClass,
    Patient,
    Plan,
    PlanOptions,
    Regimen,
    RenalAdjustment,
    RenalBand,
    Step,
    fraction_of,
)
from titrate.model.cautions import CoMedication

_MICROGRAM = Decimal(1).scaleb(-MG_DECIMAL_PLACES)


def normalise_name(text: str) -> str:
    """'Other_Sedatives ' → 'other sedatives': how typed drug and class names are compared."""
    return re.sub(r"[\s_-]+", " ", text.strip().lower())


def interaction_class(regimen: Regimen, typed: str) -> InteractionClass | None:
    """The regimen's CNS-depressant class a typed drug or class name belongs to."""
    if regimen.interactions is None:
        return None
    wanted = normalise_name(typed)
    for klass in regimen.interactions.cns_depressants:
        names = [klass.id, klass.name, *klass.aliases]
        if wanted in {normalise_name(name) for name in names}:
            return klass
    return None


def comedication(regimen: Regimen, typed: str) -> CoMedication | None:
    """The regimen's listed co-medication (contraindicated or major) a typed name is."""
    if regimen.interactions is None:
        return None
    wanted = normalise_name(typed)
    for listed in regimen.interactions.comedications:
        names = [listed.id, listed.name, *listed.aliases]
        if wanted in {normalise_name(name) for name in names}:
            return listed
    return None


def unchecked_names(regimen: Regimen, patient: Patient) -> list[str]:
    """The co-medications given that the regimen's interaction data does not list: they
    are reported as not checked, never refused (a pharmacist types whatever the patient
    takes)."""
    return [
        typed
        for typed in patient.co_medications
        if interaction_class(regimen, typed) is None and comedication(regimen, typed) is None
    ]


def check_patient(regimen: Regimen, patient: Patient) -> None:
    """Refuse patient context that names nothing (exit 2, never ignored)."""
    for typed in patient.co_medications:
        if not normalise_name(typed):
            raise InputError(
                f"an empty co-medication name for {regimen.id}; give a drug or class name",
                field="co_medications",
            )


def merge_patient(base: Patient, given: Patient) -> Patient:
    """`base` (from a file) with every field `given` sets (the command line): a request
    sets a field only to a value other than its default (`PatientFields.patient`)."""
    unset = Patient()
    updates = {
        name: getattr(given, name)
        for name in given.__struct_fields__
        if getattr(given, name) != getattr(unset, name)
    }
    return replace(base, **updates) if updates else base


def renal_band(regimen: Regimen, patient: Patient) -> RenalBand | None:
    """The regimen's kidney-function band for the patient's CrCl (None: no band applies)."""
    if regimen.renal is None or patient.crcl_ml_min is None:
        return None
    return regimen.renal.band_for(patient.crcl_ml_min)


def renal_paced(regimen: Regimen, options: PlanOptions) -> Regimen:
    """The regimen with its ladder's steps lengthened by the renal band's `pace` when the
    regimen's own titration is reduced for kidney function (a stated convention); else
    the regimen unchanged. Errors about the request are left to `adjust_plan`."""
    patient = options.patient
    if (
        not options.renal_adjust
        or options.steps is not None
        or (patient.dialysis and not by_band_on_dialysis(regimen))
        or regimen.titration.rule is not None
    ):
        return regimen
    band = renal_band(regimen, patient)
    if band is not None and band.per_day is not None and band.regimen_columns_mg:
        # The band's labeled regimen: its first dose, its doses a day, for the ladder's days.
        days = sum(step.days for step in regimen.titration.steps)
        first = Step(dose_mg=band.regimen_columns_mg[0], per_day=band.per_day, days=days)
        return replace(regimen, titration=replace(regimen.titration, steps=[first]))
    if band is None or band.dose_factor is None or band.pace is None:
        return regimen
    factor = fraction_of(band.pace.days_factor)
    steps = [replace(step, days=math.ceil(step.days * factor)) for step in regimen.titration.steps]
    return replace(regimen, titration=replace(regimen.titration, steps=steps))


def adjust_plan(plan: Plan, regimen: Regimen, options: PlanOptions) -> Plan:
    """Check the patient context; with `options.renal_adjust`, reduce every dose."""
    patient = plan.patient
    check_patient(regimen, patient)
    notes = list(plan.notes)
    if patient.pregnant and regimen.pregnancy is None:
        notes.append(f"Pregnancy is not checked: regimen {regimen.id!r} has no pregnancy data.")
    if patient.hepatic and regimen.hepatic is None:
        notes.append(f"Liver disease is not checked: regimen {regimen.id!r} has no hepatic data.")
    if (patient.crcl_ml_min is not None or patient.dialysis) and regimen.renal is None:
        notes.append(f"Kidney function is not checked: regimen {regimen.id!r} has no renal data.")
    supplemental = supplemental_note(plan, regimen)
    if supplemental is not None:
        notes.append(supplemental)
    if not options.renal_adjust:
        return replace(plan, notes=notes) if notes != plan.notes else plan
    return _reduce_for_kidneys(replace(plan, notes=notes), regimen, options)


def _reduce_for_kidneys(plan: Plan, regimen: Regimen, options: PlanOptions) -> Plan:
    patient = plan.patient
    renal = regimen.renal
    if renal is None:
        raise InputError(
            f"regimen {regimen.id!r} has no renal data to adjust by", field="renal_adjust"
        )
    band = renal.band_for(patient.crcl_ml_min) if patient.crcl_ml_min is not None else None
    if band is not None and band.per_day is not None and (band.dose_factor is None):
        if patient.dialysis and not by_band_on_dialysis(regimen):
            band = None
        else:
            return _band_regimen(plan, regimen, band, options)
    if patient.dialysis:
        dialysis = renal.dialysis
        hint = f" ({dialysis.suggestion}; {BASIS_TEXT[dialysis.basis]})" if dialysis else ""
        raise InputError(
            "no dose factor applies to dialysis" + hint + "; write that schedule with "
            "<steps> (MGxPER_DAY:DAYS) and check it with <dialysis>",
            field="renal_adjust",
        )
    if patient.crcl_ml_min is None:
        raise InputError(
            "needs the patient's kidney function: give <crcl_ml_min> ML_MIN", field="renal_adjust"
        )
    band = renal.band_for(patient.crcl_ml_min)
    if band is None:
        note = (
            f"Renal reduction asked for: CrCl {patient.crcl_ml_min} mL/min is above the regimen's "
            "kidney-function bands, so no reduction applies; doses are unchanged."
        )
        return replace(plan, notes=[*plan.notes, note])
    if band.dose_factor is None:
        raise InputError(
            f"CrCl {patient.crcl_ml_min} mL/min, {band.name}: the regimen's data gives no dose "
            f"factor ({band.suggestion}); write the reduced schedule with <steps> "
            "(MGxPER_DAY:DAYS) and check it with <crcl_ml_min>",
            field="renal_adjust",
        )
    factor = fraction_of(band.dose_factor)
    product = resolve_product(regimen, options)
    strengths = allowed_strengths(product, options.strengths) if product is not None else []

    def given_mg(exact: Fraction) -> Decimal | None:
        """What the plan gives for a computed dose: rounded down to what the product
        measures (never up: the factor is a ceiling, not a target)."""
        return measurable_at_most(exact, product, strengths) if product is not None else None

    doses, inexact = _reduced_doses(plan.doses, plan.days, factor, given_mg)
    days = _days_with_totals(plan.days, doses)
    adjustment = RenalAdjustment(
        band=band.name,
        crcl_ml_min=patient.crcl_ml_min,
        factor=band.dose_factor,
        basis=band.basis,
        source=cite(regimen, band),
        inexact=inexact,
    )
    paced = renal_paced(regimen, options) is not regimen
    pace_note = (
        f" Each step of the titration lasts {band.pace.days_factor} times as long, rounded "
        f"up to whole days ({BASIS_TEXT[band.pace.basis]}) [{', '.join(band.pace.source)}]."
        if paced and band.pace is not None
        else ""
    )
    note = (
        "Doses reduced for kidney function (renal adjustment asked for): "
        f"CrCl {patient.crcl_ml_min} "
        f"mL/min, {band.name}: each dose × {band.dose_factor}, {band.suggestion}. "
        f"Basis: {BASIS_TEXT[band.basis]} [{', '.join(band.source)}]; US labels give no "
        "amounts. "
        + (
            f"Each computed dose is rounded down to what {product.name} measures; the day "
            "totals are the sums of the doses given. "
            if product is not None
            else ""
        )
        + "Confirm the reduced doses with the prescriber."
        + pace_note
    )
    return replace(
        plan, doses=doses, days=days, renal_adjustment=adjustment, notes=[note, *plan.notes]
    )


def supplemental_note(plan: Plan, regimen: Regimen) -> str | None:
    """For a patient on dialysis and a regimen with a supplemental dose after each
    session: that dose, sized by the plan's maintenance dose (its last day's largest
    dose) in the CrCl band's columns; not scheduled, stated. None otherwise."""
    dialysis = regimen.renal.dialysis if regimen.renal is not None else None
    rule = dialysis.supplemental if dialysis is not None else None
    if rule is None or not plan.patient.dialysis:
        return None
    hours = plain(rule.after_each_session_hours)
    cited = f"{BASIS_TEXT[rule.basis]} [{', '.join(rule.source)}]"
    head = f"On haemodialysis: a supplemental dose after each {hours} hours of dialysis ({cited})"
    band = renal_band(regimen, plan.patient)
    last_day = max((dose.day for dose in plan.doses), default=None)
    if band is None or not band.regimen_columns_mg or last_day is None:
        table = ", ".join(f"{plain(mg)} mg" for mg in rule.by_regimen_column_mg)
        return (
            f"{head}: {table} by the maintenance dose's column in the CrCl band's table; "
            "give the patient's CrCl to size it. It is not scheduled in this plan."
        )
    maintenance = max(dose.dose_mg for dose in plan.doses if dose.day == last_day)
    columns = band.regimen_columns_mg
    if maintenance not in columns:
        listed = ", ".join(f"{plain(mg)}" for mg in columns)
        return (
            f"{head}: the maintenance dose of {plain(maintenance)} mg is not one of the "
            f"{band.name} band's doses ({listed} mg), so the supplemental dose is not mapped "
            "(never interpolated): ask the prescriber. It is not scheduled in this plan."
        )
    extra = rule.by_regimen_column_mg[columns.index(maintenance)]
    return (
        f"{head}: {plain(extra)} mg after each session, the table's supplemental dose for a "
        f"maintenance dose of {plain(maintenance)} mg ({band.name}). It is not scheduled in "
        "this plan: give it after each session, on top of the daily doses."
    )


def by_band_on_dialysis(regimen: Regimen) -> bool:
    """Dialysis maintenance follows the CrCl band (with a supplemental dose after each
    session), rather than a daily total of its own."""
    dialysis = regimen.renal.dialysis if regimen.renal is not None else None
    return dialysis is not None and dialysis.supplemental is not None


def _band_regimen(plan: Plan, regimen: Regimen, band: RenalBand, options: PlanOptions) -> Plan:
    """A band with a daily range and doses a day: the plan is the band's labeled regimen
    (`renal_paced` built it), said in a note; custom steps are kept and checked."""
    crcl = plan.patient.crcl_ml_min
    printed = f"; the label prints {band.edges_as_printed!r}" if band.edges_as_printed else ""
    where = f"CrCl {crcl} mL/min, {band.name} ({band.edges}{printed})"
    daily = band.daily_mg
    assert daily is not None and band.per_day is not None
    cite_text = f"{BASIS_TEXT[band.basis]} [{', '.join(band.source)}]"
    if options.steps is not None or not band.regimen_columns_mg:
        note = (
            f"Renal adjustment asked for: {where}: the band gives {plain(daily.min)}–"
            f"{plain(daily.max)} mg a day in {band.per_day} dose(s) ({cite_text}). "
            + (
                "The steps given are kept as written and checked against the band."
                if options.steps is not None
                else "The band lists no doses to plan with: the titration is kept and checked "
                "against the band; write the reduced schedule with <steps>."
            )
        )
        return replace(plan, notes=[note, *plan.notes])
    columns = ", ".join(f"{plain(column)}" for column in band.regimen_columns_mg)
    first = band.regimen_columns_mg[0]
    note = (
        f"Renal adjustment asked for: {where}. The titration is replaced by the band's "
        f"labeled regimen: {plain(first)} mg {band.per_day}× a day "
        f"({plain(first * band.per_day)} mg a day; the band's range is {plain(daily.min)}–"
        f"{plain(daily.max)} mg a day), for the titration's length ({cite_text}). No source "
        f"gives a titration pace within the band; the prescriber may raise the dose through "
        f"the band's doses ({columns} mg, {band.per_day}× a day). Confirm with the prescriber."
    )
    return replace(plan, notes=[note, *plan.notes])


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros or exponent: 10.000 → 10, 2.500 → 2.5 (same value)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def exact_mg(value: Fraction) -> Decimal | None:
    """`value` as a Decimal with at most a microgram's places, or None if it has none."""
    scaled = value * 10**MG_DECIMAL_PLACES
    if scaled.denominator != 1:
        return None
    return plain(Decimal(scaled.numerator).scaleb(-MG_DECIMAL_PLACES))


def shown_mg(value: Fraction) -> Decimal:
    """An inexact dose carried to the microgram, half-even (the only rounding here)."""
    with localcontext() as context:
        context.prec = 50
        quotient = Decimal(value.numerator) / Decimal(value.denominator)
    return plain(quotient.quantize(_MICROGRAM, rounding=ROUND_HALF_EVEN))


def _reduced_doses(
    doses: Iterable[Dose],
    days: list[Day],
    factor: Fraction,
    given_mg: Callable[[Fraction], Decimal | None],
) -> tuple[list[Dose], list[InexactDose]]:
    """Each dose × factor: the product's measurable amount at or below it when there is
    one, else the exact value (carried to a microgram when it has none). A dose given
    other than as computed is recorded once per step (computed and given)."""
    first_day_of_step: dict[int, int] = {}
    for day in days:
        first_day_of_step.setdefault(day.step, day.day)
    reduced: list[Dose] = []
    inexact: dict[tuple[int, Decimal], InexactDose] = {}
    for dose in doses:
        exact = Fraction(dose.dose_mg) * factor
        computed = exact_mg(exact)
        value = given_mg(exact)
        if value is None:
            value = computed if computed is not None else shown_mg(exact)
        value = plain(value)
        key = (dose.step, dose.dose_mg)
        if (computed is None or value != computed) and key not in inexact:
            inexact[key] = InexactDose(
                step=dose.step,
                day=first_day_of_step.get(dose.step, dose.day),
                from_mg=dose.dose_mg,
                exact_mg=str(computed)
                if computed is not None
                else f"{exact.numerator}/{exact.denominator}",
                shown_mg=value,
            )
        reduced.append(replace(dose, dose_mg=value, amount=None))
    return reduced, list(inexact.values())


def _days_with_totals(days: list[Day], doses: list[Dose]) -> list[Day]:
    totals: dict[int, Decimal] = {}
    for dose in doses:
        totals[dose.day] = totals.get(dose.day, Decimal(0)) + dose.dose_mg
    return [replace(day, total_mg=totals.get(day.day, Decimal(0))) for day in days]
