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

What the export means (titrate drafts a schedule; it does not prescribe):
- `intent` is `proposal` unless the user states the plan mirrors a signed order
  (`RenderOptions.fhir_intent` `plan` or `order`);
- `status` is `draft` whenever a finding is an error, so no system reads an over-limit
  plan as an active instruction;
- each finding is a `DetectedIssue` in the Bundle (severity high/moderate/low, a code
  from HL7's DetectedIssue category value set where one fits, `detail`, `implicated` →
  the MedicationRequest, `reference` → the rule's source). Findings also stay as notes
  and in the `text` of every Dosage whose days they concern, for systems that ignore
  DetectedIssue. Notices, notes, sources and the disclaimer are notes too;
- every resource carries a generated narrative (`text`, dom-6);
- the medication and route are text: the regimen data holds no sourced RxNorm or SNOMED
  CT code yet;
- a Patient resource is written only when the plan names the patient; otherwise the
  subject is a display-only reference (no empty Patient).
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from html import escape
from typing import Any

from titrate.model import Finding, Plan, json_number
from titrate.render import RenderOptions
from titrate.render.common import finding_line, mg, title
from titrate.render.ending import then_text
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
XHTML = "http://www.w3.org/1999/xhtml"
# HL7's DetectedIssue category value set (http://hl7.org/fhir/R4/valueset-detectedissue-
# category.html) draws its codes from v3 ActCode. Rules without a fitting concept (a dose a
# product cannot measure, an in-use expiry) get text only.
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CATEGORY: dict[str, tuple[str, str]] = {
    "over-daily-max": ("DOSEH", "High Dose Alert"),
    "over-single-dose": ("DOSEH", "High Dose Alert"),
    "too-many-doses-per-day": ("DOSEIVL", "Dose-Interval Alert"),
    "doses-too-close": ("DOSEIVL", "Dose-Interval Alert"),
    "escalation-too-fast": ("DOSE", "Dosage problem"),
    "taper-too-fast": ("DOSEDUR", "Dose-Duration Alert"),
    "abrupt-stop": ("DOSEDUR", "Dose-Duration Alert"),
    "age-below-minimum": ("AGE", "Age Alert"),
    "renal-impairment": ("COND", "Condition Alert"),
    "pregnancy": ("PREG", "Pregnancy Alert"),
    "cns-depressant": ("DRG", "Drug Interaction Alert"),
    "interaction": ("DRG", "Drug Interaction Alert"),
    "contraindicated-comedication": ("DRG", "Drug Interaction Alert"),
    "double-dose": ("DOSEH", "High Dose Alert"),
}
_SEVERITY_ORDER = ("error", "warning", "info")
_ISSUE_SEVERITY = {"error": "high", "warning": "moderate", "info": "low"}
_URL = re.compile(r"<(https?://[^>\s]+)>")

# UCUM codes for the units a dispense quantity may be in; tablets, capsules and packets
# have no UCUM unit, so they are sent as text only.
_UCUM_DISPENSE = {"mL": "mL"}


def quantity_mg(value: Decimal) -> dict[str, Any]:
    return {"value": json_number(value), "unit": "mg", "system": UCUM, "code": "mg"}


def narrative(*paragraphs: str) -> dict[str, str]:
    """A generated XHTML narrative (dom-6): one paragraph per line, escaped."""
    body = "".join(f"<p>{escape(text, quote=False)}</p>" for text in paragraphs)
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{body}</div>'}


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


def _open_ended(dosages: list[dict[str, Any]], plan: Plan) -> None:
    """A plan that continues at its last step: that step's dosages again, from the day
    after the plan with no end (R4 Period: an absent end is ongoing), saying so in words."""
    assert plan.then is not None
    last_sequence = dosages[-1]["sequence"]
    for dosage in [d for d in dosages if d["sequence"] == last_sequence]:
        ongoing = copy.deepcopy(dosage)
        ongoing["sequence"] = last_sequence + 1
        ongoing["timing"]["repeat"]["boundsPeriod"] = {"start": plan.then.from_date.isoformat()}
        ongoing["text"] = f"Then: {then_text(plan)}"
        dosages.append(ongoing)


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
    if dosages and plan.ends != "stop":
        _open_ended(dosages, plan)

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
    has_error = any(finding.severity == "error" for finding in plan.findings)
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "text": narrative(
            f"{'Draft: ' if has_error else ''}{title(plan)} ({options.fhir_intent}).",
            *(run_text for run_text in _dosage_texts(dosages)),
            *(f"Finding: {finding_line(finding)}" for finding in plan.findings),
            plan.disclaimer,
        ),
        "status": "draft" if has_error else "active",
        "intent": options.fhir_intent,
        "medicationCodeableConcept": {"text": medication},
        "subject": _subject(plan, patient_url),
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
    entries: list[dict[str, Any]] = [{"fullUrl": request_url, "resource": request}]
    if plan.patient.name:
        patient = {
            "resourceType": "Patient",
            "text": narrative(plan.patient.name),
            "name": [{"text": plan.patient.name}],
        }
        entries.append({"fullUrl": patient_url, "resource": patient})
    by_rule: dict[str, list[Finding]] = {}
    for finding in plan.findings:
        by_rule.setdefault(finding.code, []).append(finding)
    for code, findings in by_rule.items():
        issue_url = f"urn:uuid:{stable_uuid(identity, 'DetectedIssue', code)}"
        issue = detected_issue(findings, request_url, plan.patient.name and patient_url)
        entries.append({"fullUrl": issue_url, "resource": issue})
    return {
        "resourceType": "Bundle",
        "id": str(stable_uuid(identity, "Bundle")),
        "type": "collection",
        "entry": entries,
    }


def _subject(plan: Plan, patient_url: str) -> dict[str, str]:
    """The Patient entry when the plan names one; otherwise a display-only reference,
    since MedicationRequest.subject is required and an empty Patient says nothing."""
    if plan.patient.name:
        return {"reference": patient_url, "display": plan.patient.name}
    return {"display": "Patient not named in this plan"}


def _dosage_texts(dosages: list[dict[str, Any]]) -> list[str]:
    return [str(dosage["text"]) for dosage in dosages]


def detected_issue(
    findings: list[Finding], request_url: str, patient_url: str | None
) -> dict[str, Any]:
    """One rule broken (all its findings) as a DetectedIssue implicating the request."""
    first = findings[0]
    worst = min(findings, key=lambda finding: _SEVERITY_ORDER.index(finding.severity))
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "text": narrative(
            *(finding_line(finding) for finding in findings), f"Source: {first.source}"
        ),
        "status": "preliminary",
    }
    label = f"{first.rule} ({first.code})"
    category = _CATEGORY.get(first.rule)
    if category is not None:
        code, display = category
        issue["code"] = {
            "coding": [{"system": ACT_CODE, "code": code, "display": display}],
            "text": label,
        }
    else:
        issue["code"] = {"text": label}
    issue["severity"] = _ISSUE_SEVERITY[worst.severity]
    if patient_url:
        issue["patient"] = {"reference": patient_url}
    issue["implicated"] = [{"reference": request_url}]
    issue["detail"] = " ".join(finding.message for finding in findings)
    source_url = _URL.search(first.source)
    if source_url:
        issue["reference"] = source_url.group(1)
    return issue


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
