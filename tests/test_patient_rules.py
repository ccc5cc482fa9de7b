"""The patient in front of the pharmacist: kidneys (--crcl, --dialysis, --renal-adjust),
sedating co-medications (--with), pregnancy (--pregnant), age."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run
from titrate.api import plan as build_plan
from titrate.catalog import get_regimen
from titrate.core.adjust import exact_mg, interaction_class, shown_mg
from titrate.errors import InputError
from titrate.model import Patient, PlanOptions

LABEL = ("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC")


def plan_json(*args: str) -> dict[str, Any]:
    result = run(*args, "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def findings(plan: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [finding for finding in plan["findings"] if finding["rule"] == rule]


# -- kidneys ------------------------------------------------------------------------------


def test_crcl_40_reports_renal_impairment_with_the_literature_reduction() -> None:
    result = run(*LABEL, "--crcl", "40", "-f", "json")
    assert result.exit_code == 0  # a warning; the default --fail-on is error
    plan = json.loads(result.stdout)
    (renal,) = findings(plan, "renal-impairment")
    assert renal["code"] == "TT202" and renal["severity"] == "warning"
    assert renal["basis"] == "literature"
    assert "[R1] Vlavonou" in renal["source"]
    assert "moderate (CrCl above 30, up to 50 mL/min)" in renal["message"]
    assert "each dose × 1/2" in renal["message"]
    assert "published literature, not US labeling" in renal["message"]
    assert "not reduced" in renal["message"]
    assert plan["patient"]["crcl_ml_min"] == 40
    assert plan["renal_adjustment"] is None
    assert [dose["dose_mg"] for dose in plan["doses"][::9]] == [5, 10, 15, 20]


def test_renal_adjust_halves_the_label_plan_at_crcl_40() -> None:
    plan = plan_json(*LABEL, "--crcl", "40", "--renal-adjust", "--product", "suspension")
    # each 3-day step lasts 6 days at half the dose (a stated convention)
    assert [dose["dose_mg"] for dose in plan["doses"][::18]] == [2.5, 5, 7.5, 10]
    assert [day["total_mg"] for day in plan["days"][::6]] == [7.5, 15, 22.5, 30]
    assert len(plan["days"]) == 24
    adjustment = plan["renal_adjustment"]
    assert adjustment["factor"] == "1/2" and adjustment["basis"] == "literature"
    assert adjustment["inexact"] == []
    assert "Doses reduced for kidney function (renal adjustment asked for)" in plan["notes"][0]
    (renal,) = findings(plan, "renal-impairment")
    assert "doses are reduced: each dose × 1/2" in renal["message"]
    # measured in the chosen product: 2.5 mg of a 5 mg/mL suspension is 0.5 mL
    assert plan["doses"][0]["amount"]["value"] == 0.5


def test_renal_adjust_shows_the_halved_doses_in_the_table() -> None:
    result = run(*LABEL, "--crcl", "40", "--renal-adjust")
    assert "2.5 mg" in result.stdout
    shown = " ".join(result.stdout.split())
    assert "Doses reduced for kidney function (renal adjustment asked for)" in shown


def test_halved_doses_the_tablets_cannot_make_are_findings() -> None:
    result = run(*LABEL, "--crcl", "40", "--renal-adjust", "--product", "tablets", "-f", "json")
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    unmeasurable = findings(plan, "dose-not-measurable")
    assert unmeasurable and unmeasurable[0]["day"] == 1  # 2.5 mg from 5/10/15/20 mg tablets


def test_mild_band_rounds_each_dose_down_to_what_the_tablets_make() -> None:
    plan = plan_json(*LABEL, "--crcl", "60", "--renal-adjust")
    assert plan["renal_adjustment"]["factor"] == "2/3"
    # 10/3 mg: no tablet dose at or below it, so it stays as computed (and is flagged);
    # 20/3 → 5 mg, 10 → 10 mg, 40/3 → 10 mg: rounded down, never up.
    # each 3-day step lasts 5 days (3 × 3/2, rounded up)
    assert [dose["dose_mg"] for dose in plan["doses"][::15]] == [3.333, 5, 10, 10]
    inexact = plan["renal_adjustment"]["inexact"]
    assert [(i["day"], i["from_mg"], i["exact_mg"], i["shown_mg"]) for i in inexact] == [
        (1, 5, "10/3", 3.333),
        (6, 10, "20/3", 5),
        (16, 20, "40/3", 10),
    ]
    flagged = [f for f in findings(plan, "renal-impairment") if f["day"] is not None]
    assert [f["day"] for f in flagged] == [1, 6, 16]
    assert flagged[0]["message"] == (
        "Day 1: computed 5 mg × 2/3 = 10/3 mg; given 3.333 mg (not a dose the product "
        "measures: agree one with the prescriber)."
    )
    assert flagged[1]["message"] == (
        "Day 6: computed 10 mg × 2/3 = 20/3 mg; given 5 mg (rounded down to what Baclofen "
        "tablets measures)."
    )
    assert [(f["day"], f["last_day"]) for f in findings(plan, "dose-not-measurable")] == [(1, 5)]
    # the day totals are the sums of the doses given
    for day in plan["days"]:
        given = [d["dose_mg"] for d in plan["doses"] if d["day"] == day["day"]]
        assert Decimal(str(day["total_mg"])) == sum(Decimal(str(mg)) for mg in given)


def test_severe_band_and_boundary_values_go_to_the_more_impaired_band() -> None:
    regimen = get_regimen("baclofen")
    assert regimen.renal is not None
    factors = {
        crcl: band.dose_factor if (band := regimen.renal.band_for(Decimal(crcl))) else None
        for crcl in (81, 80, 51, 50, 31, 30, 10, 0)
    }
    assert factors == {
        81: None,
        80: "2/3",
        51: "2/3",
        50: "1/2",
        31: "1/2",
        30: "1/3",
        10: "1/3",
        0: "1/3",
    }


def test_crcl_above_80_has_no_finding_and_renal_adjust_changes_nothing() -> None:
    plan = plan_json(*LABEL, "--crcl", "95", "--renal-adjust")
    assert findings(plan, "renal-impairment") == []
    assert plan["renal_adjustment"] is None
    assert [dose["dose_mg"] for dose in plan["doses"][::9]] == [5, 10, 15, 20]
    assert any("no reduction applies" in note for note in plan["notes"])


def test_dialysis_reports_about_5_mg_a_day_from_non_us_labels() -> None:
    plan = plan_json(*LABEL, "--dialysis")
    (renal,) = findings(plan, "renal-impairment")
    assert renal["basis"] == "non-us-label"
    assert "[C1]" in renal["source"]
    assert "about 5 mg a day" in renal["message"]
    assert "12 of 12 plan days exceed 5 mg a day (largest 60 mg)" in renal["message"]


def test_dialysis_with_renal_adjust_is_refused_with_a_way_forward() -> None:
    result = run(*LABEL, "--dialysis", "--renal-adjust")
    assert result.exit_code == 2
    assert result.stderr.startswith("titrate: error: --renal-adjust: no dose factor applies")
    assert "--steps" in result.stderr and result.stderr.count("\n") == 1


def test_renal_adjust_without_crcl_and_bad_crcl_are_input_errors() -> None:
    result = run(*LABEL, "--renal-adjust")
    assert result.exit_code == 2
    assert result.stderr == (
        "titrate: error: --renal-adjust: needs the patient's kidney function: give --crcl ML_MIN\n"
    )
    for bad in ("forty", "-1", "400", "nan"):
        result = run(*LABEL, "--crcl", bad)
        assert result.exit_code == 2, bad
        assert result.stderr.startswith("titrate: error: --crcl: ")


def test_renal_adjust_applies_to_tapers_too() -> None:
    plan = plan_json(
        "taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3", "--start", "2026-12-01",
        "--crcl", "40", "--renal-adjust", "--product", "suspension",
    )  # fmt: skip
    assert plan["kind"] == "taper"
    # the first cut is on day 1: 15, 10, 5 mg a dose, halved
    assert [dose["dose_mg"] for dose in plan["doses"][::9]] == [7.5, 5, 2.5]


@settings(max_examples=60, deadline=None)
@given(
    dose_mg=st.decimals(min_value="0.005", max_value="100", places=3),
    factor=st.sampled_from(["2/3", "1/2", "1/3"]),
)
def test_adjusted_dose_is_exact_or_within_half_a_microgram(dose_mg: Decimal, factor: str) -> None:
    exact = Fraction(dose_mg) * Fraction(factor)
    value = exact_mg(exact)
    if value is not None:
        assert Fraction(value) == exact
    else:
        shown = shown_mg(exact)
        assert abs(Fraction(shown) - exact) <= Fraction(1, 2000)
        assert -shown.as_tuple().exponent <= 3  # type: ignore[operator]


# -- sedating co-medications ----------------------------------------------------------------


def test_with_opioids_reports_cns_depressant_with_its_source() -> None:
    plan = plan_json(*LABEL, "--with", "opioids")
    (finding,) = findings(plan, "cns-depressant")
    assert finding["code"] == "TT203" and finding["severity"] == "warning"
    assert "respiratory depression" in finding["message"]
    assert "[F2]" in finding["source"] and "§7.1" in finding["source"]
    assert plan["patient"]["co_medications"] == ["opioids"]


def test_drug_names_and_classes_match_case_and_spacing_insensitively() -> None:
    plan = plan_json(
        *LABEL, "--with", "Oxycodone", "--with", "lorazepam", "--with", "ALCOHOL",
        "--with", "other sedatives", "--with", "zolpidem",
    )  # fmt: skip
    messages = [f["message"] for f in findings(plan, "cns-depressant")]
    assert len(messages) == 4  # one per class: zolpidem joins other sedatives
    assert messages[0].startswith("Taken with Oxycodone (opioids)")
    assert any(m.startswith("Taken with lorazepam (benzodiazepines)") for m in messages)
    assert any(
        m.startswith("Taken with other sedatives, zolpidem (other sedatives)") for m in messages
    )


def test_unknown_with_value_is_reported_as_not_checked_never_refused() -> None:
    result = run(*LABEL, "--with", "grapefruit", "-f", "json")
    assert result.exit_code == 0
    (finding,) = findings(json.loads(result.stdout), "comedication-not-checked")
    assert finding["severity"] == "info" and finding["code"] == "TT207"
    assert finding["message"].startswith(
        "Not checked against baclofen's interaction data (it lists only what its sources "
        "name): grapefruit."
    )


def test_interaction_class_lookup() -> None:
    regimen = get_regimen("baclofen")
    assert (klass := interaction_class(regimen, " Other_Sedatives ")) is not None
    assert klass.id == "other-sedatives"
    assert interaction_class(regimen, "paracetamol") is None


# -- pregnancy and age ----------------------------------------------------------------------


def test_pregnant_reports_the_neonatal_withdrawal_warning() -> None:
    plan = plan_json(*LABEL, "--pregnant")
    (finding,) = findings(plan, "pregnancy")
    assert finding["code"] == "TT204" and finding["severity"] == "warning"
    assert "Withdrawal signs in the newborn" in finding["message"]
    assert "[F2]" in finding["source"] and "§8.1 Pregnancy" in finding["source"]
    assert finding["basis"] == "label"


def test_age_below_12_is_an_error_on_taper_too() -> None:
    result = run(
        "taper", "baclofen", "--from-mg", "10", "--start", "2026-12-01", "--age", "10",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 1
    assert findings(json.loads(result.stdout), "age-below-minimum")


def test_no_patient_context_means_no_patient_findings() -> None:
    plan = plan_json(*LABEL)
    assert plan["findings"] == []
    assert plan["patient"] == {
        "name": None,
        "age_years": None,
        "crcl_ml_min": None,
        "dialysis": False,
        "co_medications": [],
        "pregnant": False,
        "hepatic": False,
    }


# -- the Python API -------------------------------------------------------------------------


def test_api_reports_unknown_co_medication_refuses_a_blank_and_adjusts_kidneys() -> None:
    regimen = get_regimen("baclofen")
    start = date(2026, 12, 1)
    unknown = build_plan(
        regimen, PlanOptions(start=start, timezone="UTC", patient=Patient(co_medications=["xyz"]))
    )
    assert [f.rule for f in unknown.findings] == ["comedication-not-checked"]
    with pytest.raises(InputError, match="an empty co-medication name"):
        build_plan(
            regimen,
            PlanOptions(start=start, timezone="UTC", patient=Patient(co_medications=[" "])),
        )
    adjusted = build_plan(
        regimen,
        PlanOptions(
            start=start,
            timezone="UTC",
            patient=Patient(crcl_ml_min=Decimal(20)),
            renal_adjust=True,
            product="suspension",
        ),
    )
    assert adjusted.renal_adjustment is not None
    assert adjusted.renal_adjustment.factor == "1/3"
    # rounded down to whole 0.1 mL steps of the 5 mg/mL suspension (0.5 mg each)
    assert [str(d.dose_mg) for d in adjusted.doses[::27]] == ["1.5", "3", "5", "6.5"]
