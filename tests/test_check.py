"""`titrate check FILE`: the student's view of why a proposed plan fails and where each
rule comes from; plan JSON, simple YAML (steps or dated doses) and regimen files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import run
from titrate.core.check import check
from titrate.errors import InputError
from titrate.model import Patient

ESCALATES_TOO_FAST = """\
regimen: baclofen
start: 2026-12-01
title: escalates by 10 mg per dose after one day
steps:
  - {dose_mg: 5, per_day: 3, days: 1}
  - {dose_mg: 15, per_day: 3, days: 3}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def check_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run("check", *args, "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def rules_of(plan: dict[str, Any]) -> list[str]:
    return [finding["rule"] for finding in plan["findings"]]


def test_yaml_plan_escalating_10_mg_after_one_day_reports_escalation_too_fast(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "proposed.yaml", ESCALATES_TOO_FAST)
    result = run("check", str(path))
    assert result.exit_code == 1
    out = result.stdout
    assert "2. WARNING escalation-too-fast (TT104), day 2 (2026-12-02)" in out  # errors first
    assert "5 → 15 mg per dose rises 10 mg per dose (labeled: at most 5 mg)" in out
    assert "Why: A step rises by more, or sooner, than the labeled titration." in out
    assert "Fails:  baclofen 5 mg for 1 day, then 15 mg" in out
    assert "Source (stated in the label):" in out
    assert "[B1] Baclofen tablets USP (Zydus) prescribing information" in out
    # it is a course that ends from 45 mg a day, so it also stops abruptly
    assert "ERROR abrupt-stop (TT301), day 4" in out
    assert "Source (a convention, not a label fact):" in out
    assert "does not replace" in out


def test_check_report_golden(
    tmp_path: Path, golden: Callable[[str, str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "proposed.yaml", ESCALATES_TOO_FAST)
    monkeypatch.chdir(tmp_path)  # the report wraps the name it is given: keep it the same
    golden("check_escalation_report.txt", run("check", "proposed.yaml").stdout)


def test_fail_on_never_exits_0_and_json_carries_the_findings(tmp_path: Path) -> None:
    path = write(tmp_path, "proposed.yaml", ESCALATES_TOO_FAST)
    assert run("check", str(path), "--fail-on", "never").exit_code == 0
    code, plan = check_json(str(path))
    assert code == 1
    escalation = next(f for f in plan["findings"] if f["rule"] == "escalation-too-fast")
    assert escalation["day"] == 2 and escalation["basis"] == "label"
    assert "[B1]" in escalation["source"]
    assert plan["kind"] == "custom"


def test_titration_kind_ends_on_maintenance_and_is_not_an_abrupt_stop(tmp_path: Path) -> None:
    text = ESCALATES_TOO_FAST.replace("title:", "kind: titration\ntitle:")
    _, plan = check_json(str(write(tmp_path, "titration.yaml", text)))
    assert rules_of(plan) == ["escalation-too-fast"]


def test_the_plan_json_of_titrate_plan_is_checked_and_passes(tmp_path: Path) -> None:
    label = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "-f", "json")
    path = write(tmp_path, "plan.json", label.stdout)
    result = run("check", str(path))
    assert result.exit_code == 0
    assert "No findings" in result.stdout
    assert "a titration: its last step continues" in result.stdout


def test_the_plan_json_with_patient_options_reports_them(tmp_path: Path) -> None:
    label = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "-f", "json")
    path = write(tmp_path, "plan.json", label.stdout)
    result = run("check", str(path), "--crcl", "40", "--with", "alcohol", "--pregnant")
    assert result.exit_code == 1  # warnings fail check by default
    for rule in ("renal-impairment (TT202)", "cns-depressant (TT203)", "pregnancy (TT204)"):
        assert f"WARNING {rule}" in result.stdout
    assert "Patient: CrCl 40 mL/min; with alcohol; pregnant" in result.stdout
    assert "Source (published literature, not US labeling):" in result.stdout


def test_custom_plan_json_ending_at_10_mg_tid_is_an_abrupt_stop(tmp_path: Path) -> None:
    custom = run(
        "plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:3,10x3:3", "--then", "stop",
        "-f", "json",
    )  # fmt: skip
    path = write(tmp_path, "custom.json", custom.stdout)
    code, plan = check_json(str(path))
    assert code == 1
    assert rules_of(plan) == ["abrupt-stop"]


def test_hand_edited_plan_json_whose_totals_disagree_is_refused(tmp_path: Path) -> None:
    label = json.loads(run("plan", "baclofen", "--start", "2026-12-01", "-f", "json").stdout)
    label["doses"][0]["dose_mg"] = 10
    path = write(tmp_path, "edited.json", json.dumps(label))
    result = run("check", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {path}: days.0: day 1 says 3 doses, 15 mg, but its doses are 3, "
        "20 mg; fix the file or write the plan in the simple YAML form\n"
    )


def test_dated_doses_form_finds_a_fast_taper_and_an_abrupt_stop(tmp_path: Path) -> None:
    text = """\
regimen: baclofen
timezone: Europe/London
doses:
  - {date: 2026-12-01, time: "08:00", dose_mg: 20}
  - {date: 2026-12-01, time: "14:00", dose_mg: 20}
  - {date: 2026-12-01, time: "20:00", dose_mg: 20}
  - {date: 2026-12-02, time: "08:00", dose_mg: 10}
  - {date: 2026-12-02, time: "20:00", dose_mg: 10}
  - {date: 2026-12-02, time: "14:00", dose_mg: 10}
"""
    code, plan = check_json(str(write(tmp_path, "doses.yaml", text)))
    assert code == 1
    assert plan["start"] == "2026-12-01" and plan["timezone"] == "Europe/London"
    assert [day["total_mg"] for day in plan["days"]] == [60, 30]
    assert [dose["at"][11:16] for dose in plan["doses"][3:]] == ["08:00", "14:00", "20:00"]
    assert [(f["rule"], f["day"]) for f in plan["findings"]] == [
        ("abrupt-stop", 2),  # errors first
        ("escalation-too-fast", 1),  # starts at 20 mg: the label ladder starts at 5 mg
        ("taper-too-fast", 2),
        ("taper-too-fast", 2),
    ]
    steep, short = plan["findings"][2:]
    assert "lowers each dose by 10 mg" in steep["message"]
    assert "after 1 day(s)" in steep["message"]
    assert "from 60 mg a day lasts 2 day(s)" in short["message"]
    assert "30 mg a day" in plan["findings"][0]["message"]


def test_patient_in_the_file_is_overridden_by_the_command_line(tmp_path: Path) -> None:
    text = ESCALATES_TOO_FAST + "patient: {age_years: 10, crcl_ml_min: 40}\n"
    path = write(tmp_path, "patient.yaml", text)
    _, from_file = check_json(str(path))
    assert {"age-below-minimum", "renal-impairment"} <= set(rules_of(from_file))
    _, overridden = check_json(str(path), "--age", "30")
    assert "age-below-minimum" not in rules_of(overridden)
    assert "renal-impairment" in rules_of(overridden)  # the file's CrCl is kept


PROPOSED_REGIMEN = """\
schema_version: 1
regimens:
  - id: quick-baclofen
    name: Quick baclofen (a student's proposal)
    drug: baclofen
    summary: Faster titration proposed for discussion.
    titration:
      steps:
        - {dose_mg: 5, per_day: 3, days: 2}
        - {dose_mg: 15, per_day: 3, days: 2}
      source: [S1]
    limits:
      max_daily_mg: {value: 80, source: [S1]}
    dose_times:
      by_frequency:
        3: ["08:00", "14:00", "20:00"]
      source: [S1]
    sources:
      - id: S1
        title: Class notes
        url: https://example.org/notes
        retrieved: 2026-11-26
"""


def test_a_proposed_regimen_is_checked_against_the_built_in_one(tmp_path: Path) -> None:
    path = write(tmp_path, "regimen.yaml", PROPOSED_REGIMEN)
    code, plan = check_json(str(path), "--start", "2026-12-01")
    assert code == 1
    assert plan["regimen"]["id"] == "baclofen"
    assert rules_of(plan) == ["escalation-too-fast"]
    assert "quick-baclofen" in plan["notes"][0] and "checked against" in plan["notes"][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ESCALATES_TOO_FAST.replace("dose_mg: 15", "dose_mg: -15"),
            "{path}:6: steps.1.dose_mg: Input should be greater than 0",
        ),
        (
            ESCALATES_TOO_FAST.replace("regimen: baclofen", "regimen: baclofan"),
            "{path}:1: unknown regimen 'baclofan'; did you mean 'baclofen'?",
        ),
        (
            "regimen: baclofen\nstart: 2026-12-01\n",
            "{path}: (top level): Value error, give either `steps:` or `doses:`",
        ),
        (
            ESCALATES_TOO_FAST.replace("title:", "colour: red\ntitle:"),
            "{path}:3: colour: unknown field (check the spelling)",
        ),
        (
            "regimen: baclofen\nsteps: [\n",
            "{path}:3:",
        ),
        (
            "- just\n- a list\n",
            "{path}: expected a mapping",
        ),
    ],
)
def test_bad_files_are_one_line_with_file_and_line_and_exit_2(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, "bad.yaml", text)
    result = run("check", str(path))
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("titrate: error: " + expected.format(path=path)), result.stderr
    assert result.stderr.count("\n") == 1


def test_python_api_needs_a_start_when_the_file_has_none(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nostart.yaml",
        "regimen: baclofen\nsteps:\n  - {dose_mg: 5, per_day: 3, days: 1}\n",
    )
    with pytest.raises(InputError) as caught:
        check(path)
    assert str(caught.value) == f"{path}:2: `start:` is missing (or give start)"


def test_python_api_check_returns_the_plan_with_findings(tmp_path: Path) -> None:
    path = write(tmp_path, "proposed.yaml", ESCALATES_TOO_FAST)
    plan = check(path, patient=Patient(co_medications=["diazepam"]))
    assert [f.rule for f in plan.findings] == [  # the most severe first
        "abrupt-stop",
        "cns-depressant",
        "escalation-too-fast",
    ]


# --- FHIR orders: titrate's own export and an EHR's MedicationRequest ---

UCUM = "http://unitsofmeasure.org"


def ehr_dosage(sequence: int, dose_mg: int, repeat: dict[str, Any]) -> dict[str, Any]:
    quantity = {"value": dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
    return {
        "sequence": sequence,
        "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d", **repeat}},
        "doseAndRate": [{"doseQuantity": quantity}],
    }


def ehr_order(medication: str = "Baclofen 10 mg oral tablet") -> dict[str, Any]:
    """An EHR-style order: 10 mg three times a day for 3 days, then 30 mg for a week."""
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "authoredOn": "2026-12-01",
        "medicationCodeableConcept": {"text": medication},
        "subject": {"reference": "Patient/example"},
        "dosageInstruction": [
            ehr_dosage(1, 10, {"boundsDuration": {"value": 3, "unit": "d", "code": "d"}}),
            ehr_dosage(
                2,
                30,
                {
                    "boundsPeriod": {"start": "2026-12-04", "end": "2026-12-10"},
                    "timeOfDay": ["08:00:00", "14:00:00", "20:00:00"],
                },
            ),
        ],
    }


def test_check_reads_its_own_fhir_export(tmp_path: Path) -> None:
    over = run(
        "plan", "baclofen", "--start", "2026-12-01", "--steps", "20x4:3,25x4:3", "-f", "fhir"
    ).stdout  # fmt: skip
    path = write(tmp_path, "over.fhir.json", over)
    result = run("check", str(path), "-f", "json")
    assert result.exit_code == 1, result.stderr
    checked = json.loads(result.stdout)
    over_days = [
        (f["day"], f["last_day"]) for f in checked["findings"] if f["rule"] == "over-daily-max"
    ]
    assert over_days == [(4, 6)]
    assert [day["total_mg"] for day in checked["days"]] == [80, 80, 80, 100, 100, 100]


def test_check_reads_an_ehr_order_with_two_dosage_steps(tmp_path: Path) -> None:
    path = write(tmp_path, "order.json", json.dumps(ehr_order(), indent=2))
    result = run("check", str(path), "--regimen", "baclofen", "-f", "json")
    assert result.exit_code == 1, result.stderr
    checked = json.loads(result.stdout)
    assert [day["total_mg"] for day in checked["days"]] == [30] * 3 + [90] * 7
    over = [f for f in checked["findings"] if f["rule"] == "over-daily-max"]
    assert [(f["day"], f["last_day"]) for f in over] == [(4, 10)]
    assert (
        over[0]["message"]
        == "Days 4–10 (2026-12-04 to 2026-12-10): 90 mg in the day, over the 80 mg daily maximum."
    )
    # the regimen is matched from the medication text when --regimen is not given
    assert run("check", str(path), "-f", "json").stdout == result.stdout


def test_an_ehr_order_in_a_bundle_with_a_coded_medication(tmp_path: Path) -> None:
    order = ehr_order(medication="")
    order["medicationCodeableConcept"] = {"coding": [{"display": "baclofen 10 MG Oral Tablet"}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]}
    path = write(tmp_path, "bundle.json", json.dumps(bundle))
    assert run("check", str(path)).exit_code == 1


@pytest.mark.parametrize(
    ("element", "value"),
    [("when", ["MORN"]), ("dayOfWeek", ["mon"]), ("count", 9)],
)
def test_unsupported_fhir_timing_is_one_line_naming_the_element(
    tmp_path: Path, element: str, value: Any
) -> None:
    order = ehr_order()
    order["dosageInstruction"][1]["timing"]["repeat"][element] = value
    path = write(tmp_path, "order.json", json.dumps(order, indent=2))
    result = run("check", str(path), "--regimen", "baclofen")
    assert result.exit_code == 2
    text = json.dumps(order, indent=2).splitlines()
    (line,) = [number for number, row in enumerate(text, 1) if f'"{element}":' in row]
    assert result.stderr == (
        f"titrate: error: {path}:{line}: dosageInstruction[1].timing.repeat.{element}: "
        "not supported (titrate checks a frequency per day, timeOfDay and bounds)\n"
    )


def test_a_fhir_order_for_an_unknown_medication_asks_for_a_regimen(tmp_path: Path) -> None:
    path = write(tmp_path, "order.json", json.dumps(ehr_order("Unobtainium 5 mg")))
    result = run("check", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {path}: no regimen matches the medication ('Unobtainium 5 mg'); "
        "choose one with --regimen\n"
    )


def test_a_fhir_dose_not_in_mg_is_refused(tmp_path: Path) -> None:
    order = ehr_order()
    order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] = "mL"
    path = write(tmp_path, "order.json", json.dumps(order))
    result = run("check", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {path}:1: dosageInstruction[0].doseAndRate[0].doseQuantity: "
        "`doseQuantity` must be in mg, got 'mL'\n"
    )


def test_an_undated_fhir_order_is_counted_from_the_start_given(tmp_path: Path) -> None:
    order = ehr_order()
    del order["authoredOn"]
    path = write(tmp_path, "order.json", json.dumps(order))
    result = run("check", str(path), "--start", "2026-11-29", "-f", "json")
    assert result.exit_code == 1, result.stderr
    checked = json.loads(result.stdout)
    assert checked["start"] == "2026-11-29"
    assert checked["notes"][1] == (
        "The order gives no start date; its undated steps are counted from 2026-11-29."
    )
    # the first step (3 days from 29 Nov) then the dated step from 4 Dec: 2 Dec has no doses
    assert [day["total_mg"] for day in checked["days"]] == [30, 30, 30, 0, 0, *[90] * 7]


def test_a_plan_file_whose_regimen_was_changed_to_another_drug_is_refused(tmp_path: Path) -> None:
    written = json.loads(run("plan", "baclofen", "--start", "2026-12-01", "-f", "json").stdout)
    written["regimen"]["id"] = "tizanidine"  # judged by tizanidine's limits otherwise
    path = write(tmp_path, "edited.json", json.dumps(written))
    result = run("check", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"titrate: error: {path}: regimen.name: the plan says 'Baclofen (oral)' but regimen "
        "'tizanidine' has"
    )
