"""Co-medications as data with severity, unknown names reported, active liver disease."""

from __future__ import annotations

import json
from typing import Any

from conftest import run

TIZANIDINE = (
    "plan", "tizanidine", "--start", "2026-12-01", "--tz", "UTC",
    "--target-mg", "8", "--step-mg", "2", "--every-days", "3",
)  # fmt: skip
DANTROLENE = ("plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC")


def findings(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = run(*args, "-f", "json")
    assert result.stderr == ""
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_tizanidine_with_ciprofloxacin_is_a_contraindication_error_with_its_source() -> None:
    code, found = findings(*TIZANIDINE, "--with", "ciprofloxacin")
    assert code == 1
    (finding,) = found
    assert (finding["code"], finding["rule"], finding["severity"]) == (
        "TT205", "contraindicated-comedication", "error",
    )  # fmt: skip
    assert finding["message"].startswith(
        "Taken with ciprofloxacin (fluvoxamine or ciprofloxacin (potent CYP1A2 inhibitors)): "
        "they block CYP1A2"
    )
    assert "do not dispense both" in finding["message"]
    assert finding["source"].startswith("[T4] Tizanidine 6 mg capsule PI (label copy), §7.1-7.4")
    assert finding["basis"] == "label"


def test_tizanidine_with_fluvoxamine_or_its_brand_is_the_same_error() -> None:
    for name in ("fluvoxamine", "Luvox"):
        code, found = findings(*TIZANIDINE, "--with", name)
        assert code == 1 and [f["rule"] for f in found] == ["contraindicated-comedication"]


def test_tizanidine_with_aspirin_exits_0_and_reports_it_not_checked() -> None:
    code, found = findings(*TIZANIDINE, "--with", "aspirin")
    assert code == 0
    (finding,) = found
    assert finding["severity"] == "info" and finding["rule"] == "comedication-not-checked"
    assert finding["message"] == (
        "Not checked against tizanidine's interaction data (it lists only what its sources "
        "name): aspirin. Check these with an interaction reference."
    )


def test_major_interactions_are_warnings_and_cns_classes_still_report() -> None:
    code, found = findings(
        *TIZANIDINE, "--with", "oral contraceptives", "--with", "zileuton", "--with", "alcohol"
    )
    assert code == 0
    rules = sorted(f["rule"] for f in found)
    assert rules == ["cns-depressant", "interaction", "interaction"]
    assert {f["severity"] for f in found} == {"warning"}


def test_dantrolene_estrogens_and_calcium_channel_blockers_are_warnings() -> None:
    code, found = findings(*DANTROLENE, "--with", "estradiol", "--with", "verapamil")
    assert code == 0
    assert [f["rule"] for f in found] == ["interaction", "interaction"]
    estrogen = next(f for f in found if "estrogens" in f["message"])
    assert "liver injury" in estrogen["message"] and estrogen["basis"] == "label"
    blocker = next(f for f in found if "calcium channel blockers" in f["message"])
    assert blocker["basis"] == "patient-info"


def test_baclofen_with_a_listed_sedative_and_an_unlisted_drug() -> None:
    code, found = findings(
        "plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC",
        "--with", "oxycodone", "--with", "aspirin",
    )  # fmt: skip
    assert code == 0
    assert sorted(f["rule"] for f in found) == ["cns-depressant", "comedication-not-checked"]


def test_dantrolene_with_active_liver_disease_is_an_error() -> None:
    code, found = findings(*DANTROLENE, "--hepatic")
    assert code == 1
    (finding,) = found
    assert (finding["code"], finding["rule"], finding["severity"]) == (
        "TT208", "hepatic-contraindicated", "error",
    )  # fmt: skip
    assert "contraindicated in active liver disease" in finding["message"]
    assert finding["basis"] == "secondary"


def test_tizanidine_with_active_liver_disease_is_a_warning_as_its_sources_say() -> None:
    code, found = findings(*TIZANIDINE, "--hepatic")
    assert code == 0
    (finding,) = found
    assert (finding["rule"], finding["severity"]) == ("hepatic-avoid", "warning")
    assert "avoid it" in finding["message"] and "aminotransferases" in finding["message"]


def test_baclofen_has_no_hepatic_data_and_says_so() -> None:
    result = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "--hepatic",
                 "-f", "json")  # fmt: skip
    plan = json.loads(result.stdout)
    assert result.exit_code == 0 and plan["patient"]["hepatic"] is True
    assert "Liver disease is not checked: regimen 'baclofen' has no hepatic data." in plan["notes"]


def test_a_blank_co_medication_is_bad_input() -> None:
    result = run(*TIZANIDINE, "--with", " ")
    assert result.exit_code == 2
    assert result.stderr.startswith("titrate: error: --with: an empty co-medication name")
    assert result.stderr.count("\n") == 1
