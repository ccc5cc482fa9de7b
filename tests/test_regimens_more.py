"""Issue 8: dantrolene (frequency changes between steps, review date, boxed warning,
capsules) and tizanidine (rule-based titration, minimum interval between doses, a renal
band without a factor, a taper paced per day, products that are not interchangeable)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError

from conftest import run
from titrate.api import plan as build_plan
from titrate.catalog import get_regimen, load_regimens
from titrate.core.schedule import parse_steps
from titrate.model import PlanOptions
from titrate.schema.cautions import RenalBand
from titrate.schema.regimen import Escalation, Step, Taper, Titration  # the edge models

DANTROLENE = ("plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC")
TIZANIDINE = ("plan", "tizanidine", "--start", "2026-12-01", "--tz", "UTC")
TIZ_2_3_8 = (*TIZANIDINE, "--step-mg", "2", "--every-days", "3", "--target-mg", "8")


def plan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run(*args, "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def rules_of(plan: dict[str, Any]) -> list[str]:
    return [finding["rule"] for finding in plan["findings"]]


def day_pattern(plan: dict[str, Any], day: int) -> list[float]:
    return [dose["dose_mg"] for dose in plan["doses"] if dose["day"] == day]


def plan_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(run("schema").stdout), format_checker=FormatChecker())


# ---------------------------------------------------------------------------------------
# The catalogue


def test_regimens_lists_every_regimen() -> None:
    result = run("regimens")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == [
        "baclofen",
        "dantrolene",
        "tizanidine",
        "lamotrigine",
        "gabapentin",
        "ropinirole",
    ]
    assert set(load_regimens()) >= {"gabapentin", "lamotrigine", "ropinirole"}


@pytest.mark.parametrize("regimen", ["dantrolene", "tizanidine"])
def test_show_products_and_rules_work_on_each(regimen: str) -> None:
    for args in (
        ("show", regimen),
        ("show", regimen, "-f", "json"),
        ("products", regimen),
        ("products", regimen, "-f", "json"),
        ("rules", "--regimen", regimen),
        ("rules", "--regimen", regimen, "-f", "json"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert result.stdout


# ---------------------------------------------------------------------------------------
# Dantrolene


def test_dantrolene_ladder_changes_frequency_and_shows_review_date() -> None:
    code, plan = plan_json(*DANTROLENE)
    assert code == 0 and plan["findings"] == []
    days = {day["day"]: day for day in plan["days"]}
    for day in range(1, 8):
        assert day_pattern(plan, day) == [25] and days[day]["total_mg"] == 25
    for day in range(8, 15):
        assert day_pattern(plan, day) == [25, 25, 25]
    for day in range(15, 22):
        assert day_pattern(plan, day) == [50, 50, 50]
    for day in range(22, 29):
        assert day_pattern(plan, day) == [100, 100, 100]
    assert len(plan["days"]) == 28
    assert plan["times"] == {"1": ["08:00"], "3": ["08:00", "14:00", "20:00"]}
    review = plan["review_by"]
    assert review["date"] == "2027-01-14" and review["day"] == 45
    assert "no clear benefit" in review["text"] and "[DA1]" in review["source"]
    assert review["basis"] == "label"


def test_dantrolene_table_shows_review_date_boxed_warning_and_review_day() -> None:
    out = run(*DANTROLENE).stdout
    assert "Review by 2027-01-14 (day 45)" in out
    head = out.split("Day   Date")[0]
    assert "! Boxed warning: dantrolene can cause serious" in head  # at the top
    longer = run(*DANTROLENE, "--hold-days", "20").stdout
    (row,) = [line for line in longer.splitlines() if line.startswith(" 45 ")]
    assert "2027-01-14" in row and "REVIEW DAY" in row


def test_dantrolene_boxed_notice_is_first_and_marked() -> None:
    _, plan = plan_json(*DANTROLENE)
    first, *rest = plan["notices"]
    assert first["id"] == "liver-injury" and first["boxed"] is True
    assert not any(notice["boxed"] for notice in rest)


def test_dantrolene_500_mg_a_day_is_over_the_maximum_and_too_many_doses() -> None:
    code, plan = plan_json(*DANTROLENE, "--steps", "100x5:3")
    assert code == 1
    rules = rules_of(plan)
    assert rules.count("over-daily-max") == 1 and rules.count("too-many-doses-per-day") == 1
    over = next(f for f in plan["findings"] if f["rule"] == "over-daily-max")
    assert (over["day"], over["last_day"]) == (1, 3)  # one finding for the run of days
    assert "500 mg" in over["message"] and "400 mg" in over["message"]
    assert plan["review_by"]["date"] == "2027-01-14"  # custom courses show it too


def test_dantrolene_400_mg_qid_is_the_maximum_itself() -> None:
    code, plan = plan_json(*DANTROLENE, "--steps", "25x1:7,25x3:7,50x3:7,100x3:7,100x4:7")
    assert code == 0 and plan["findings"] == []
    assert plan["days"][-1]["total_mg"] == 400


def test_dantrolene_rise_sooner_than_4_days_is_flagged() -> None:
    _, ok = plan_json(*DANTROLENE, "--steps", "25x1:4,50x3:4,100x3:4")
    assert "escalation-too-fast" not in rules_of(ok)  # the older label's 4 days
    _, fast = plan_json(*DANTROLENE, "--steps", "25x1:3,50x3:3")
    (finding,) = [f for f in fast["findings"] if f["rule"] == "escalation-too-fast"]
    assert finding["day"] == 4 and "4-7 days" in finding["message"]


def test_dantrolene_capsules_are_never_split() -> None:
    code, plan = plan_json(*DANTROLENE, "--steps", "37.5x3:2")
    assert code == 1
    found = [f for f in plan["findings"] if f["rule"] == "dose-not-measurable"]
    assert [(f["day"], f["last_day"]) for f in found] == [(1, 2)]
    assert "capsules are not split" in found[0]["message"]


def test_dantrolene_below_the_adult_age_warns_that_weight_based_dosing_is_not_modelled() -> None:
    code, plan = plan_json(*DANTROLENE, "--age", "16")
    assert code == 0  # a warning, not an error: the label doses children by weight
    (finding,) = plan["findings"]
    assert finding["rule"] == "pediatric-dosing-not-modelled"
    assert finding["severity"] == "warning" and finding["basis"] == "convention"
    assert "by weight (mg/kg), which this tool does not model" in finding["message"]


def test_dantrolene_taper_says_what_the_data_lacks() -> None:
    """Its missed-dose advice (Mayo Clinic) is tested in test_missed.py."""
    taper = run("taper", "dantrolene", "--from-mg", "100", "--tz", "UTC")
    assert taper.exit_code == 2 and "no taper pace" in taper.stderr
    code, plan = plan_json(
        "taper",
        "dantrolene",
        "--from-mg",
        "100",
        "--step-mg",
        "25",
        "--every-days",
        "7",
        "--start",
        "2026-12-01",
        "--tz",
        "UTC",
    )
    assert code == 0 and plan["kind"] == "taper" and plan["review_by"] is None
    assert [day_pattern(plan, day)[0] for day in (1, 8, 15)] == [75, 50, 25]  # cut on day 1


# ---------------------------------------------------------------------------------------
# Tizanidine: rule-based titration


def test_tizanidine_rule_escalates_2_4_6_8_tid() -> None:
    code, plan = plan_json(*TIZ_2_3_8)
    assert code == 0 and plan["findings"] == []
    assert [day_pattern(plan, day) for day in (1, 4, 7, 10)] == [
        [2, 2, 2],
        [4, 4, 4],
        [6, 6, 6],
        [8, 8, 8],
    ]
    assert [day["step"] for day in plan["days"]] == [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3
    assert plan["times"] == {"3": ["08:00", "14:00", "20:00"]}
    assert any("2-4 mg per dose, 1-4 days" in note for note in plan["notes"])
    assert plan["review_by"] is None


def test_tizanidine_step_of_6_mg_is_too_fast() -> None:
    _, plan = plan_json(*TIZANIDINE, "--step-mg", "6", "--every-days", "3", "--target-mg", "8")
    (finding,) = [f for f in plan["findings"] if f["rule"] == "escalation-too-fast"]
    assert finding["day"] == 4 and "rises 6 mg per dose (labeled: 2-4 mg)" in finding["message"]


def test_tizanidine_over_36_mg_a_day_is_reported() -> None:
    code, plan = plan_json(*TIZANIDINE, "--step-mg", "4", "--every-days", "1", "--target-mg", "14")
    assert code == 1
    over = [f for f in plan["findings"] if f["rule"] == "over-daily-max"]
    assert over and over[0]["day"] == 4 and "42 mg" in over[0]["message"]
    code, plan = plan_json(*TIZANIDINE, "--steps", "20x2:2")  # 40 mg a day
    assert code == 1
    assert {"over-daily-max", "over-single-dose"} <= set(rules_of(plan))
    single = next(f for f in plan["findings"] if f["rule"] == "over-single-dose")
    assert single["basis"] == "implied"


def test_tizanidine_without_the_prescribers_choices_is_refused() -> None:
    result = run(*TIZANIDINE)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "titrates by a rule" in result.stderr
    assert "--target-mg, --step-mg, --every-days" in result.stderr
    assert "labeled 2-4 mg" in result.stderr and "labeled 1-4" in result.stderr
    only_target = run(*TIZANIDINE, "--target-mg", "8")
    assert only_target.exit_code == 2 and "missing --step-mg, --every-days" in only_target.stderr


def test_step_and_interval_belong_to_rule_based_regimens_only() -> None:
    baclofen = run("plan", "baclofen", "--start", "2026-12-01", "--step-mg", "5")
    assert baclofen.exit_code == 2 and "fixed ladder" in baclofen.stderr
    custom = run(*TIZANIDINE, "--steps", "2x3:3", "--every-days", "2")
    assert custom.exit_code == 2 and "--every-days" in custom.stderr
    zero = run(*TIZANIDINE, "--target-mg", "8", "--step-mg", "2", "--every-days", "0")
    assert zero.exit_code == 2 and "--every-days" in zero.stderr


def test_tizanidine_slower_than_labeled_is_a_note_not_a_finding() -> None:
    _, plan = plan_json(*TIZANIDINE, "--step-mg", "1", "--every-days", "7", "--target-mg", "4")
    assert "escalation-too-fast" not in rules_of(plan)
    assert any("slower than the labeled titration" in note for note in plan["notes"])


def test_tizanidine_uneven_target_ends_with_a_smaller_rise() -> None:
    _, plan = plan_json(*TIZANIDINE, "--step-mg", "4", "--every-days", "2", "--target-mg", "8")
    assert [day_pattern(plan, day)[0] for day in (1, 3, 5)] == [2, 6, 8]
    assert any("the last rise is 2 mg" in note for note in plan["notes"])


@settings(max_examples=40, deadline=None)
@given(
    step=st.integers(min_value=4, max_value=8).map(lambda half: Decimal(half) / 2),
    every=st.integers(min_value=1, max_value=4),
    target=st.integers(min_value=3, max_value=12),
)
def test_any_rule_choice_within_the_labeled_ranges_is_accepted(
    step: Decimal, every: int, target: int
) -> None:
    options = PlanOptions(
        start=date(2026, 12, 1),
        timezone="UTC",
        step_mg=step,
        every_days=every,
        target_mg=Decimal(target),
    )
    result = build_plan(get_regimen("tizanidine"), options)
    rules = {finding.rule for finding in result.findings}
    assert not rules & {"escalation-too-fast", "over-daily-max", "over-single-dose"}
    assert max(dose.dose_mg for dose in result.doses) == target


@settings(max_examples=40, deadline=None)
@given(
    step=st.integers(min_value=9, max_value=20).map(lambda half: Decimal(half) / 2),
    every=st.integers(min_value=1, max_value=4),
)
def test_a_rise_above_the_labeled_increment_is_flagged(step: Decimal, every: int) -> None:
    options = PlanOptions(
        start=date(2026, 12, 1),
        timezone="UTC",
        step_mg=step,
        every_days=every,
        target_mg=Decimal(2) + step,
    )
    result = build_plan(get_regimen("tizanidine"), options)
    flagged = [f for f in result.findings if f.rule == "escalation-too-fast"]
    assert [f.day for f in flagged] == [every + 1]


@settings(max_examples=30, deadline=None)
@given(first=st.integers(min_value=1, max_value=10), second=st.integers(min_value=1, max_value=10))
def test_a_rise_sooner_than_the_labeled_interval_is_flagged(first: int, second: int) -> None:
    """Dantrolene's soonest rise is after 4 days: rises after 1-3 days are flagged."""
    options = PlanOptions(
        start=date(2026, 12, 1),
        timezone="UTC",
        steps=parse_steps(f"25x1:{first},50x3:{second},100x3:1"),
    )
    result = build_plan(get_regimen("dantrolene"), options)
    flagged = [f.day for f in result.findings if f.rule == "escalation-too-fast"]
    expected = [day for held, day in ((first, first + 1), (second, first + second + 1)) if held < 4]
    assert flagged == expected


# ---------------------------------------------------------------------------------------
# Tizanidine: time between doses, kidneys, products, taper


def test_tizanidine_doses_closer_than_6_hours_are_flagged() -> None:
    _, plan = plan_json(*TIZ_2_3_8, "--times", "08:00,12:00,16:00")
    close = [f for f in plan["findings"] if f["rule"] == "doses-too-close"]
    assert len(close) == 1 and close[0]["code"] == "TT105"
    assert (close[0]["day"], close[0]["last_day"]) == (1, 12)
    assert close[0]["message"].startswith("Days 1–12: doses at 08:00 and 12:00")
    assert "4h00 apart" in close[0]["message"] and close[0]["basis"] == "implied"
    _, spaced = plan_json(*TIZ_2_3_8, "--times", "07:00,13:00,21:00")
    assert "doses-too-close" not in rules_of(spaced)


def test_default_times_closer_than_the_minimum_interval_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(
        """schema_version: 1
regimens:
  - id: demo
    name: Demo
    drug: demo
    summary: demo
    titration:
      steps: [{dose_mg: 1, per_day: 2, days: 1}]
      source: [S]
    limits:
      max_daily_mg: {value: 10, source: [S]}
      min_hours_between_doses: {value: 6, source: [S]}
    dose_times:
      by_frequency: {2: ["08:00", "12:00"]}
      source: [S]
      basis: convention
    sources:
      - {id: S, title: demo, url: "https://example.org", retrieved: 2026-11-26}
"""
    )
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 2
    assert "min_hours_between_doses" in result.stderr


def test_tizanidine_renal_band_flags_without_a_factor() -> None:
    code, plan = plan_json(*TIZ_2_3_8, "--crcl", "20")
    assert code == 0
    (finding,) = [f for f in plan["findings"] if f["rule"] == "renal-impairment"]
    assert "lower individual doses" in finding["message"] and "×" not in finding["message"]
    assert finding["basis"] == "label"
    _, boundary = plan_json(*TIZ_2_3_8, "--crcl", "25")  # "< 25": 25 is outside
    assert "renal-impairment" not in rules_of(boundary)
    adjust = run(*TIZ_2_3_8, "--crcl", "20", "--renal-adjust")
    assert adjust.exit_code == 2 and "no dose factor" in adjust.stderr


def test_tizanidine_products_are_not_interchangeable() -> None:
    listing = json.loads(run("products", "tizanidine", "-f", "json").stdout)
    by_id = {product["id"]: product for product in listing["products"]}
    assert by_id["tablets"]["not_interchangeable_with"] == ["capsules"]
    assert by_id["capsules"]["not_interchangeable_with"] == ["tablets"]
    assert by_id["tablets"]["scored_mg"] == [2, 4] and by_id["capsules"]["scored_mg"] == []
    _, plan = plan_json(*TIZ_2_3_8, "--product", "capsules")
    assert plan["product"]["not_interchangeable_with"] == ["tablets"]
    assert plan["product"]["notes"][0].startswith("Not interchangeable with Tizanidine tablets")
    six = [dose["amount"]["text"] for dose in plan["doses"] if dose["dose_mg"] == 6]
    assert set(six) == {"1 × 6 mg capsule"}


def test_tizanidine_taper_lowers_the_day_by_2_mg_one_dose_at_a_time() -> None:
    code, plan = plan_json(
        "taper", "tizanidine", "--from-mg", "8", "--start", "2026-12-01", "--tz", "UTC"
    )
    assert code == 0 and plan["findings"] == []
    # the first cut is on day 1
    assert [day["total_mg"] for day in plan["days"]] == list(range(22, 3, -2))
    assert day_pattern(plan, 1) == [8, 8, 6] and day_pattern(plan, 2) == [8, 6, 6]
    assert day_pattern(plan, 10) == [2, 2]
    note = plan["notes"][0]
    assert "slower end of the guidance's 2-4 mg a day" in note
    assert "(secondary summaries of the label, not the label text itself)" in note  # [S] only
    faster = run(
        "taper",
        "tizanidine",
        "--from-mg",
        "8",
        "--step-mg",
        "4",
        "--start",
        "2026-12-01",
        "--tz",
        "UTC",
        "-f",
        "json",
    )
    assert faster.exit_code == 0
    assert [d["total_mg"] for d in json.loads(faster.stdout)["days"]] == [20, 16, 12, 8, 4]


def test_tizanidine_taper_too_fast_and_abrupt_stop() -> None:
    _, plan = plan_json(*TIZANIDINE, "--steps", "8x3:2,6x3:2,4x1:1")
    fast = [f for f in plan["findings"] if f["rule"] == "taper-too-fast"]
    assert [f["day"] for f in fast] == [3, 5]
    assert "at most 4 mg a day" in fast[0]["message"]
    code, stop = plan_json(*TIZANIDINE, "--steps", "2x3:3", "--then", "stop")
    assert code == 1 and "abrupt-stop" in rules_of(stop)


def test_tizanidine_check_and_audit_of_a_saved_plan(tmp_path: Path) -> None:
    saved = tmp_path / "tiz.json"
    result = run(*TIZ_2_3_8, "-o", str(saved))
    assert result.exit_code == 0
    checked = run("check", str(saved))
    assert checked.exit_code == 0 and "No findings" in checked.stdout
    log = tmp_path / "log.csv"
    log.write_text("taken_at,dose_mg\n2026-12-01T08:00,2\n2026-12-01T14:00,2\n")
    audited = run("audit", str(saved), str(log), "--now", "2026-12-01T15:00", "-f", "json")
    assert audited.exit_code == 0, audited.stderr


def test_a_rule_based_regimen_file_has_no_ladder_to_check(tmp_path: Path) -> None:
    text = run("show", "tizanidine", "-f", "json").stdout
    regimen = json.loads(text)
    path = tmp_path / "proposed.yaml"
    path.write_text(json.dumps({"schema_version": 1, "regimens": [regimen]}))
    result = run("check", str(path), "--start", "2026-12-01")
    assert result.exit_code == 2 and "titrates by a rule" in result.stderr


# ---------------------------------------------------------------------------------------
# Schema, models, golden files


@pytest.mark.parametrize(
    "args",
    [
        DANTROLENE,
        (*DANTROLENE, "--steps", "100x5:3"),
        TIZ_2_3_8,
        ("taper", "tizanidine", "--from-mg", "8", "--start", "2026-12-01", "--tz", "UTC"),
    ],
)
def test_new_regimen_json_validates_against_the_schema(args: tuple[str, ...]) -> None:
    _, plan = plan_json(*args)
    errors = sorted(plan_validator().iter_errors(plan), key=str)
    assert not errors, errors[0]


def test_schema_models_refuse_half_made_extensions() -> None:
    with pytest.raises(ValidationError, match="exactly one of `steps`"):
        Titration.model_validate({"source": ["S"]})
    with pytest.raises(ValidationError, match="min_increment_mg_per_dose is above"):
        Escalation.model_validate(
            {
                "max_increment_mg_per_dose": 2,
                "min_increment_mg_per_dose": 4,
                "min_days_between_increases": 1,
                "source": ["S"],
            }
        )
    with pytest.raises(ValidationError, match="exactly one of crcl_up_to_ml_min"):
        RenalBand.model_validate(
            {
                "name": "x",
                "crcl_up_to_ml_min": 30,
                "crcl_below_ml_min": 25,
                "suggestion": "x",
                "source": ["S"],
            }
        )
    with pytest.raises(ValidationError, match="exactly one of step_mg_per_dose"):
        Taper.model_validate({"every_days": 1, "source": ["S"]})
    with pytest.raises(ValidationError, match="doses_mg lists"):
        Step.model_validate({"dose_mg": 8, "per_day": 3, "days": 1, "doses_mg": [8, 6]})


def test_golden_dantrolene_table(golden: Callable[[str, str], None]) -> None:
    result = run(*DANTROLENE)
    assert result.exit_code == 0
    golden("plan_dantrolene.txt", result.stdout)


def test_golden_tizanidine_json(golden: Callable[[str, str], None]) -> None:
    result = run(*TIZ_2_3_8, "-f", "json")
    assert result.exit_code == 0
    golden("plan_tizanidine.json", result.stdout)
