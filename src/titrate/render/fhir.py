"""FHIR R4: a Bundle (type collection) holding the patient and one MedicationRequest
whose `dosageInstruction` has one Dosage per step, as in the spec's tapering example
medrx0303 (https://hl7.org/fhir/R4/medicationrequest0303.json.html).

Built as plain data with the standard library (no FHIR library at run time); the tests
validate every export with the `fhir.resources` R4B models (R4B's Dosage, Timing,
MedicationRequest, Quantity and Ratio are element-for-element R4's) and check what the
models do not: UCUM codes, the `periodUnit` value set and the Timing invariants.

Each Dosage (a run of days with the same doses at the same clock times, see
`view.step_runs`) has `sequence` (steps follow one another; doses of different sizes
on the same days share a sequence number, which FHIR reads as "at the same time"),
`timing.repeat` with `boundsPeriod` (inclusive dates), frequency/period/`periodUnit`
"d" and `timeOfDay`, `doseAndRate.doseQuantity` in UCUM mg, `maxDosePerPeriod` (the
regimen's daily maximum per 1 d) and a `text` sig.

Findings are never dropped: each one is a `note` on the MedicationRequest (severity,
rule, code, message, source) and is repeated at the end of the `text` of every Dosage
whose days it concerns. Notices, notes, sources and the disclaimer are notes too.
FHIR's DetectedIssue resource is not used: it asserts a clinical check by a system,
and a receiving system may treat it as acknowledged; a note travels with the order.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from titrate.model import Plan, json_number
from titrate.render import RenderOptions
from titrate.render.common import finding_line, mg
from titrate.render.view import (
    StepRun,
    finding_days,
    notice_line,
    per_day_text,
    plan_identity,
    review_line,
    stable_uuid,
    step_runs,
)

UCUM = "http://unitsofmeasure.org"

# UCUM codes for the units a dispense quantity may be in; tablets, capsules and packets
# have no UCUM unit, so they are sent as text only.
_UCUM_DISPENSE = {"mL": "mL"}


def quantity_mg(value: Decimal) -> dict[str, Any]:
    return {"value": json_number(value), "unit": "mg", "system": UCUM, "code": "mg"}


def _clock(hh_mm: str) -> str:
    return f"{hh_mm}:00"  # FHIR time is HH:MM:SS


def _dosages(plan: Plan, run: StepRun, findings_text: list[str]) -> list[dict[str, Any]]:
    route = {"text": plan.regimen.route}
    limit = {
        "numerator": quantity_mg(plan.regimen.max_daily_mg),
        "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"},
    }
    dosages: list[dict[str, Any]] = []
    for amount in run.dose_amounts:
        clocks = run.times_for(amount)
        sig = (
            f"{mg(amount)} {plan.regimen.route} {per_day_text(len(clocks))} at "
            f"{', '.join(clocks)} from {run.start.isoformat()} to {run.end.isoformat()} "
            f"(step {run.step}; {mg(run.day_total_mg)} a day in all)."
        )
        if findings_text:
            sig += " " + " ".join(findings_text)
        dosages.append(
            {
                "sequence": run.sequence,
                "text": sig,
                "timing": {
                    "repeat": {
                        "boundsPeriod": {
                            "start": run.start.isoformat(),
                            "end": run.end.isoformat(),
                        },
                        "frequency": len(clocks),
                        "period": 1,
                        "periodUnit": "d",
                        "timeOfDay": [_clock(clock) for clock in clocks],
                    }
                },
                "route": route,
                "doseAndRate": [{"doseQuantity": quantity_mg(amount)}],
                "maxDosePerPeriod": limit,
            }
        )
    return dosages


def bundle(plan: Plan, options: RenderOptions) -> dict[str, Any]:
    """The export as plain JSON-ready data."""
    identity = plan_identity(plan)
    patient_url = f"urn:uuid:{stable_uuid(identity, 'Patient')}"
    request_url = f"urn:uuid:{stable_uuid(identity, 'MedicationRequest')}"
    findings_by_day: dict[int, list[str]] = {}
    plan_wide: list[str] = []
    for finding in plan.findings:
        days = finding_days(plan, finding)
        line = finding_line(finding)
        if not days:
            plan_wide.append(line)
        for day in days:
            findings_by_day.setdefault(day, []).append(line)

    dosages: list[dict[str, Any]] = []
    for run in step_runs(plan):
        if not run.pattern:
            continue  # a day without doses needs no instruction; the bounds leave it out
        in_run: list[str] = []
        for day in range(run.first_day, run.last_day + 1):
            in_run += [line for line in findings_by_day.get(day, []) if line not in in_run]
        dosages += _dosages(plan, run, in_run + plan_wide)

    notes = [
        *(
            f"Finding: {finding_line(finding)} Source: {finding.source}"
            for finding in plan.findings
        ),
        *(f"{notice_line(notice)} Source: {notice.source}" for notice in plan.notices),
        *review_notes(plan),
        *plan.notes,
        "Sources: "
        + "; ".join(
            f"[{source.id}] {source.title}"
            + (f", {source.section}" if source.section else "")
            + f" {source.url} (retrieved {source.retrieved.isoformat()})"
            for source in plan.sources
        ),
        plan.disclaimer,
    ]
    medication = plan.product.name if plan.product else plan.regimen.name
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": medication},
        "subject": {"reference": patient_url},
    }
    if options.prescriber:
        request["requester"] = {"display": options.prescriber}
    request["note"] = [{"text": text} for text in notes]
    request["dosageInstruction"] = dosages
    dispense = _dispense_request(plan) or {}
    if options.pharmacy:
        # The pharmacy as the intended dispenser: a Reference(Organization) by name only.
        dispense["performer"] = {"display": options.pharmacy}
    if dispense:
        request["dispenseRequest"] = dispense
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if plan.patient.name:
        patient["name"] = [{"text": plan.patient.name}]
    return {
        "resourceType": "Bundle",
        "id": str(stable_uuid(identity, "Bundle")),
        "type": "collection",
        "entry": [
            {"fullUrl": request_url, "resource": request},
            {"fullUrl": patient_url, "resource": patient},
        ],
    }


def review_notes(plan: Plan) -> list[str]:
    """The review date as a note on the MedicationRequest.

    FHIR R4 has no element for "review the treatment by": `dispenseRequest.validityPeriod`
    is how long the prescription may be dispensed, and a review that finds benefit lets
    treatment go on, so putting the date there would stop a pharmacy from dispensing a
    continued course; the Dosage bounds are the schedule's own dates. A note travels with
    the order and is shown to whoever reads it, as the findings are.
    """
    review = plan.review_by
    if review is None:
        return []
    return [f"{review_line(review)} Source: {review.source}"]


def _dispense_request(plan: Plan) -> dict[str, Any] | None:
    """The whole-course quantity, when the plan was measured in one product item."""
    course = [line for line in plan.dispense if line.step is None]
    if len(course) != 1:
        return None  # several items (e.g. two strengths) cannot be one Quantity
    line = course[0]
    quantity: dict[str, Any] = {"value": json_number(line.quantity), "unit": line.unit}
    if line.unit in _UCUM_DISPENSE:
        quantity |= {"system": UCUM, "code": _UCUM_DISPENSE[line.unit]}
    return {
        "quantity": quantity,
        "expectedSupplyDuration": {
            "value": len(plan.days),
            "unit": "days",
            "system": UCUM,
            "code": "d",
        },
    }


def render(plan: Plan, options: RenderOptions) -> str:
    return json.dumps(bundle(plan, options), indent=2, ensure_ascii=False) + "\n"
