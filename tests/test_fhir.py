"""FHIR R4 export: every export validates with the fhir.resources R4B models, and a lint
checks what the models do not (UCUM codes, the periodUnit value set, Timing invariants,
required value sets, references). The doses and findings are compared with the plan."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from conftest import run
from titrate import get_regimen, plan
from titrate.model import Plan, PlanOptions
from titrate.render import RenderOptions
from titrate.render.fhir import bundle as fhir_bundle
from titrate.schema import validate_json

LABEL = [
    "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London",
    "--patient", "Example Patient", "--printed-on", "2026-11-26",
]  # fmt: skip
OVER_MAX = [*LABEL, "--steps", "20x4:3,25x4:3"]

UCUM = "http://unitsofmeasure.org"
UCUM_CODES = {"mg", "d", "mL"}  # every UCUM unit the export may use
PERIOD_UNITS = {"s", "min", "h", "d", "wk", "mo", "a"}  # FHIR units-of-time value set
REQUEST_STATUS = {
    "active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
    "unknown",
}  # fmt: skip
REQUEST_INTENT = {
    "proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
    "instance-order", "option",
}  # fmt: skip


def steps_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's own dosage steps: without the open-ended continuation ("Then: …") that a
    plan which goes on at its last step ends with."""
    return [d for d in request["dosageInstruction"] if not d["text"].startswith("Then: ")]


def walk(node: Any) -> Any:
    """Every dict inside a JSON document."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def lint(document: dict[str, Any]) -> list[str]:
    """What the R4B models accept but R4 forbids (or our profile requires)."""
    problems: list[str] = []
    for node in walk(document):
        if node.get("system") == UCUM and node.get("code") not in UCUM_CODES:
            problems.append(f"UCUM code {node.get('code')!r}")
        if "doseQuantity" in node and node["doseQuantity"].get("system") != UCUM:
            problems.append("doseQuantity is not UCUM")
    for entry in document["entry"]:
        resource = entry["resource"]
        if not resource.get("text", {}).get("div", "").startswith('<div xmlns="http'):
            problems.append(f"dom-6: {resource['resourceType']} has no narrative")
        if resource["resourceType"] == "Patient" and set(resource) <= {"resourceType", "text"}:
            problems.append("empty Patient")
        if not re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", entry["fullUrl"]):
            problems.append(f"fullUrl {entry['fullUrl']!r}")
        if resource["resourceType"] != "MedicationRequest":
            continue
        if resource["status"] not in REQUEST_STATUS:
            problems.append(f"status {resource['status']!r}")
        if resource["intent"] not in REQUEST_INTENT:
            problems.append(f"intent {resource['intent']!r}")
        urls = {e["fullUrl"] for e in document["entry"]}
        subject = resource["subject"]
        if "reference" in subject and subject["reference"] not in urls:
            problems.append("subject does not resolve in the bundle")
        if not subject.get("reference") and not subject.get("display"):
            problems.append("subject is empty")
        for dosage in resource["dosageInstruction"]:
            repeat = dosage["timing"]["repeat"]
            if "period" in repeat and "periodUnit" not in repeat:
                problems.append("tim-2: period without periodUnit")
            if repeat.get("periodUnit") not in PERIOD_UNITS:
                problems.append(f"periodUnit {repeat.get('periodUnit')!r}")
            if "duration" in repeat and "durationUnit" not in repeat:
                problems.append("tim-1: duration without durationUnit")
            if "timeOfDay" in repeat and "when" in repeat:
                problems.append("tim-10: timeOfDay and when together")
            if "periodMax" in repeat and "period" not in repeat:
                problems.append("tim-6: periodMax without period")
            if "countMax" in repeat and "count" not in repeat:
                problems.append("tim-8: countMax without count")
            if repeat.get("period", 1) < 0 or repeat.get("duration", 0) < 0:
                problems.append("tim-4/5: negative period or duration")
            if "offset" in repeat and not set(repeat.get("when", [])) - {"C", "CM", "CD", "CV"}:
                problems.append("tim-9: offset needs a non-meal `when`")
            if "timeOfDay" in repeat and (
                repeat.get("frequency") != len(repeat["timeOfDay"]) or repeat.get("period") != 1
            ):
                problems.append("frequency differs from the times of day")
            if not dosage.get("text"):
                problems.append("dosage without text sig")
    return problems


def export(args: list[str]) -> tuple[dict[str, Any], Plan]:
    result = run(*args, "-f", "fhir")
    assert result.exit_code in (0, 1), result.stderr
    document = json.loads(result.stdout)
    Bundle.model_validate(document)  # raises on anything R4B rejects
    plan_json = run(*args, "-f", "json").stdout
    return document, validate_json(Plan, plan_json)


def request_of(document: dict[str, Any]) -> dict[str, Any]:
    requests = [
        e["resource"]
        for e in document["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    ]
    assert len(requests) == 1
    return requests[0]


@pytest.mark.parametrize(
    "args",
    [
        LABEL,
        OVER_MAX,
        [*LABEL, "--product", "ozobax"],
        ["plan", "baclofen", "--start", "2027-03-26", "--tz", "Europe/London"],
        ["plan", "baclofen", "--start", "2026-12-01", "--times", "07:30,13:00,22:15"],
    ],
    ids=["label", "over-max", "solution", "dst", "own-times"],
)
def test_every_export_validates_and_passes_lint(args: list[str]) -> None:
    document, _ = export(args)
    assert document["resourceType"] == "Bundle" and document["type"] == "collection"
    assert lint(document) == []


def test_one_dosage_per_step_matches_the_plan() -> None:
    document, the_plan = export(LABEL)
    request = request_of(document)
    # titrate drafts a schedule: a proposal, active while no finding is an error
    assert request["status"] == "active" and request["intent"] == "proposal"
    assert request["medicationCodeableConcept"] == {"text": "Baclofen tablets"}
    assert request["dosageInstruction"][0]["route"] == {"text": "oral"}
    dosages = steps_of(request)
    assert [d["sequence"] for d in dosages] == [1, 2, 3, 4]
    for dosage, step in zip(dosages, range(1, 5), strict=True):
        days = [day for day in the_plan.days if day.step == step]
        doses = [dose for dose in the_plan.doses if dose.step == step]
        repeat = dosage["timing"]["repeat"]
        assert repeat["boundsPeriod"] == {
            "start": days[0].date.isoformat(),
            "end": days[-1].date.isoformat(),
        }
        assert repeat["frequency"] == days[0].doses
        assert (repeat["period"], repeat["periodUnit"]) == (1, "d")
        assert repeat["timeOfDay"] == ["08:00:00", "14:00:00", "20:00:00"]
        quantity = dosage["doseAndRate"][0]["doseQuantity"]
        assert Decimal(str(quantity["value"])) == doses[0].dose_mg
        assert (quantity["unit"], quantity["system"], quantity["code"]) == ("mg", UCUM, "mg")
        limit = dosage["maxDosePerPeriod"]
        assert Decimal(str(limit["numerator"]["value"])) == the_plan.regimen.max_daily_mg
        assert limit["denominator"] == {"value": 1, "unit": "d", "system": UCUM, "code": "d"}
        assert dosage["text"].startswith(f"{doses[0].dose_mg} mg oral 3 times a day at 08:00")
    # every dose of the plan is covered by exactly one dosage's bounds and times
    covered = sum(
        len(d["timing"]["repeat"]["timeOfDay"])
        * (
            date.fromisoformat(d["timing"]["repeat"]["boundsPeriod"]["end"])
            - date.fromisoformat(d["timing"]["repeat"]["boundsPeriod"]["start"])
        ).days
        + len(d["timing"]["repeat"]["timeOfDay"])
        for d in dosages
    )
    assert covered == len(the_plan.doses)


def test_findings_are_notes_and_in_the_affected_steps_sig() -> None:
    document, the_plan = export(OVER_MAX)
    request = request_of(document)
    notes = [note["text"] for note in request["note"]]
    for finding in the_plan.findings:
        assert any(finding.message in note and finding.rule in note for note in notes)
    assert notes[-1] == the_plan.disclaimer
    assert any(note.startswith("Sources: [B1]") for note in notes)
    step1, step2 = steps_of(request)
    assert "ERROR over-daily-max (TT101)" in step2["text"]
    assert "over-daily-max" not in step1["text"]


def test_ids_are_stable_and_patient_is_in_the_bundle() -> None:
    first, _ = export(LABEL)
    second, _ = export(LABEL)
    assert first == second
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    patients = [e["resource"] for e in first["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert [patient["name"] for patient in patients] == [[{"text": "Example Patient"}]]
    assert patients[0]["text"]["div"].endswith("<p>Example Patient</p></div>")
    other, _ = export([*LABEL[:-4], "--patient", "Someone Else"])
    assert not {e["fullUrl"] for e in first["entry"]} & {e["fullUrl"] for e in other["entry"]}


def test_a_dose_moved_by_a_skipped_hour_gets_its_own_dosage() -> None:
    # 01:30 does not exist in London on 2027-03-28; the plan moves that dose to 02:00 (the
    # end of the gap), and
    # the export says exactly that instead of claiming 01:30 for the whole step.
    args = ["plan", "baclofen", "--start", "2027-03-26", "--tz", "Europe/London"]
    document, _ = export([*args, "--times", "01:30,14:00,20:00"])
    assert lint(document) == []
    dosages = steps_of(request_of(document))
    moved = [d for d in dosages if d["timing"]["repeat"]["boundsPeriod"]["start"] == "2027-03-28"]
    assert [d["timing"]["repeat"]["timeOfDay"] for d in moved] == [
        ["02:00:00", "14:00:00", "20:00:00"]
    ]
    assert [d["sequence"] for d in dosages] == [1, 2, 3, 4, 5]


def test_prescriber_is_the_requester() -> None:
    document, _ = export([*LABEL, "--prescriber", "Dr Ada Example"])
    assert request_of(document)["requester"] == {"display": "Dr Ada Example"}


def test_unequal_doses_in_a_day_share_a_sequence_number() -> None:
    # 10 mg at 08:00 and 20:00 with 5 mg at 14:00: two Dosages that run at the same time.
    base = plan(get_regimen("baclofen"), PlanOptions(start=date(2026, 12, 1), timezone="UTC"))
    doses = [
        dose.model_copy(update={"dose_mg": Decimal(5)})
        if dose.at.hour == 14 and dose.step == 2
        else dose
        for dose in base.doses
    ]
    uneven = base.model_copy(update={"doses": doses})
    document = fhir_bundle(uneven, RenderOptions())
    Bundle.model_validate(document)
    assert lint(document) == []
    step2 = [d for d in request_of(document)["dosageInstruction"] if d["sequence"] == 2]
    assert [d["timing"]["repeat"]["timeOfDay"] for d in step2] == [
        ["08:00:00", "20:00:00"],
        ["14:00:00"],
    ]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in step2] == [10, 5]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("doseAndRate", 0, "doseQuantity", "code"), "milligram", "UCUM code 'milligram'"),
        (("timing", "repeat", "periodUnit"), "day", "periodUnit 'day'"),
        (("timing", "repeat", "when"), ["MORN"], "tim-10"),
    ],
)
def test_lint_catches_what_the_models_accept(
    path: tuple[str | int, ...], value: Any, problem: str
) -> None:
    document, _ = export(LABEL)
    broken = copy.deepcopy(document)
    node: Any = request_of(broken)["dosageInstruction"][0]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    Bundle.model_validate(broken)  # R4B lets it through ...
    assert any(problem in found for found in lint(broken))  # ... the lint does not


DANTROLENE = ["plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC"]


def test_review_date_is_a_note_and_not_a_dispensing_limit() -> None:
    document, the_plan = export([*DANTROLENE, "--pharmacy", "Example Pharmacy"])
    assert lint(document) == []
    request = request_of(document)
    review = the_plan.review_by
    assert review is not None
    notes = [note["text"] for note in request["note"]]
    (line,) = [note for note in notes if note.startswith("Review by")]
    assert line == (
        f"Review by 2027-01-14 (Thu 14 Jan 2027, day 45): {review.text} Source: {review.source}"
    )
    # the review lets a course with benefit go on: it must not limit dispensing
    assert "validityPeriod" not in request.get("dispenseRequest", {})
    assert request["dispenseRequest"]["performer"] == {"display": "Example Pharmacy"}
    # the boxed warning is a note, said once
    (boxed,) = [note for note in notes if note.startswith("Boxed warning: ")]
    assert not boxed.lower().startswith("boxed warning: boxed warning")
    assert notes[-1] == the_plan.disclaimer


def test_plan_notes_are_notes() -> None:
    args = [
        "plan", "baclofen", "--steps", "5x1:3", "--times", "02:30", "--start", "2027-03-13",
        "--tz", "America/New_York",
    ]  # fmt: skip
    document, the_plan = export(args)
    assert lint(document) == []
    notes = [note["text"] for note in request_of(document)["note"]]
    assert the_plan.notes and all(note in notes for note in the_plan.notes)
    times = [d["timing"]["repeat"]["timeOfDay"] for d in steps_of(request_of(document))]
    assert times == [["02:30:00"], ["03:00:00"], ["02:30:00"]]


def test_over_limit_plan_is_a_draft_proposal_with_one_detected_issue_per_rule() -> None:
    document, the_plan = export(OVER_MAX)
    request_url = document["entry"][0]["fullUrl"]
    request = request_of(document)
    assert (request["status"], request["intent"]) == ("draft", "proposal")
    issues = [
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "DetectedIssue"
    ]
    rules = list(dict.fromkeys(finding.code for finding in the_plan.findings))
    assert [issue["code"]["text"].split(" ")[1] for issue in issues] == [f"({c})" for c in rules]
    by_rule = {issue["code"]["text"]: issue for issue in issues}
    over = by_rule["over-daily-max (TT101)"]
    assert over["severity"] == "high"
    assert over["code"]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "DOSEH",
         "display": "High Dose Alert"}
    ]  # fmt: skip
    assert over["detail"].startswith("Days 4–6 (2026-12-04 to 2026-12-06): 100 mg in the day")
    assert over["reference"] == "https://medlibrary.org/lib/rx/meds/baclofen-16/page/2/"
    assert by_rule["escalation-too-fast (TT104)"]["severity"] == "moderate"
    for issue in issues:
        assert issue["implicated"] == [{"reference": request_url}]
        assert issue["patient"]["reference"].startswith("urn:uuid:")


def test_fhir_intent_is_the_users_statement() -> None:
    document, _ = export([*LABEL, "--fhir-intent", "order"])
    assert request_of(document)["intent"] == "order"
    result = run(*LABEL, "-f", "fhir", "--fhir-intent", "signed")
    assert result.exit_code == 2
    assert result.stderr == (
        "titrate: error: --fhir-intent: 'signed' is not a FHIR intent "
        "(choose proposal, plan, order)\n"
    )


def test_no_empty_patient_without_a_name() -> None:
    document, _ = export(["plan", "baclofen", "--start", "2026-12-01"])
    kinds = [e["resource"]["resourceType"] for e in document["entry"]]
    assert kinds == ["MedicationRequest"]
    assert request_of(document)["subject"] == {"display": "Patient not named in this plan"}


def test_a_continuing_plan_leaves_its_last_dosage_open_ended_and_check_reads_it(
    tmp_path: Path,
) -> None:
    document, _ = export(LABEL)
    dosages = request_of(document)["dosageInstruction"]
    assert "end" not in dosages[-1]["timing"]["repeat"]["boundsPeriod"]
    assert all("end" in d["timing"]["repeat"]["boundsPeriod"] for d in dosages[:-1])
    assert "Then: From Sun 13 Dec: keep taking 2 tablets (20 mg)" in dosages[-1]["text"]
    path = tmp_path / "label.fhir.json"
    path.write_text(json.dumps(document))
    checked = run("check", str(path), "-f", "json")
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["then"]["action"] == "continue"
