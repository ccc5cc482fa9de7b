"""Issue 18: renal bands that set a daily range and a frequency (gabapentin's table
shape), with the label's printed edges shown beside ours and a supplemental dose after
haemodialysis. Tested on a small regimen file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from conftest import run
from titrate.schema.cautions import Renal

DEMO = Path(__file__).parent / "rules" / "regimens" / "issue18.yaml"
PLAN = ("plan", "demo-renal", "--regimens", str(DEMO), "--start", "2026-12-01", "--tz", "UTC")


def plan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run(*PLAN, *args, "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    plan: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, plan


def found(plan: dict[str, Any], rule: str) -> list[tuple[int, int | None, str]]:
    return [(f["day"], f["last_day"], f["severity"]) for f in plan["findings"] if f["rule"] == rule]


def test_crcl_30_flags_the_frequency_and_the_band_maximum_with_exit_1() -> None:
    code, plan = plan_json("--crcl", "30")
    assert code == 1
    assert found(plan, "renal-frequency") == [(2, None, "warning"), (3, None, "warning")]
    assert found(plan, "renal-daily-range") == [(3, None, "error")]
    over = next(f for f in plan["findings"] if f["rule"] == "renal-daily-range")
    assert over["message"] == (
        "Day 3: 900 mg in the day, over the 700 mg daily maximum for CrCl 30 mL/min, band "
        "CrCl above 15, up to 30 mL/min (above 15, up to 30 mL/min; the label prints '>15 to "
        "29') (stated in the label)."
    )
    assert over["source"].startswith("[S] demo source") and over["basis"] == "label"


def test_a_value_in_the_printed_gap_goes_to_the_more_impaired_band_and_says_so() -> None:
    _, plan = plan_json("--crcl", "59.5")
    renal = next(f for f in plan["findings"] if f["rule"] == "renal-impairment")
    assert "CrCl above 30, below 60 mL/min" in renal["message"]
    assert "the label prints '>30 to 59'" in renal["message"]
    assert "a CrCl between 59 and 60 falls in no printed band and is put here" in renal["message"]
    assert found(plan, "renal-frequency") == [(1, None, "warning"), (3, None, "warning")]
    assert found(plan, "renal-daily-range") == [(1, None, "info")]


def test_crcl_60_is_in_the_top_band_and_the_ramp_is_only_below_its_range() -> None:
    code, plan = plan_json("--crcl", "60")
    assert code == 0
    assert found(plan, "renal-daily-range") == [(1, None, "info"), (2, None, "info")]
    assert found(plan, "renal-frequency") == [(1, None, "warning"), (2, None, "warning")]


def test_renal_adjust_plans_the_band_regimen_and_says_so() -> None:
    code, plan = plan_json("--crcl", "30", "--renal-adjust")
    assert code == 0
    assert [(d["doses"], d["total_mg"]) for d in plan["days"]] == [(1, 200)] * 3
    assert found(plan, "renal-frequency") == [] and found(plan, "renal-daily-range") == []
    assert plan["notes"][0] == (
        "Renal adjustment asked for: CrCl 30 mL/min, CrCl above 15, up to 30 mL/min (above "
        "15, up to 30 mL/min; the label prints '>15 to 29'). The titration is replaced by the "
        "band's labeled regimen: 200 mg 1× a day (200 mg a day; the band's range is 200–700 mg "
        "a day), for the titration's length (stated in the label [S]). No source gives a "
        "titration pace within the band; the prescriber may raise the dose through the band's "
        "doses (200, 300, 400, 500, 700 mg, 1× a day). Confirm with the prescriber."
    )


def test_renal_adjust_keeps_custom_steps_and_checks_them() -> None:
    code, plan = plan_json("--crcl", "30", "--renal-adjust", "--steps", "400x2:3")
    assert code == 1
    assert "The steps given are kept as written and checked against the band." in plan["notes"][0]
    assert found(plan, "renal-daily-range") == [(1, 3, "error")]


def test_dialysis_states_the_supplemental_dose_for_the_maintenance_column() -> None:
    _, plan = plan_json("--crcl", "10", "--dialysis", "--renal-adjust")
    assert [d["total_mg"] for d in plan["days"]] == [100, 100, 100]
    assert (
        "On haemodialysis: a supplemental dose after each 4 hours of dialysis (stated in the "
        "label [S]): 125 mg after each session, the table's supplemental dose for a maintenance "
        "dose of 100 mg (CrCl 15 mL/min or less). It is not scheduled in this plan: give it "
        "after each session, on top of the daily doses."
    ) in plan["notes"]


def test_dialysis_with_a_maintenance_dose_off_the_columns_is_not_interpolated() -> None:
    _, plan = plan_json("--crcl", "10", "--dialysis", "--steps", "110x1:3")
    note = next(n for n in plan["notes"] if n.startswith("On haemodialysis"))
    assert "110 mg is not one of the CrCl 15 mL/min or less band's doses" in note
    assert "not mapped (never interpolated)" in note


def test_dialysis_without_crcl_lists_the_table() -> None:
    _, plan = plan_json("--dialysis")
    note = next(n for n in plan["notes"] if n.startswith("On haemodialysis"))
    assert "125 mg, 150 mg, 200 mg, 250 mg, 350 mg by the maintenance dose's column" in note


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_the_supplemental_note_is_in_every_text_format(fmt: str) -> None:
    result = run(*PLAN, "--crcl", "10", "--dialysis", "--renal-adjust", "-f", fmt)
    assert "125 mg after each session" in " ".join(result.stdout.split())


def test_show_prints_our_edges_beside_the_labels() -> None:
    result = run("show", "demo-renal", "--regimens", str(DEMO))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "Kidney function (CrCl bands: our edges | as the label prints them):" in lines
    assert (
        "  above 30, below 60 mL/min    >30 to 59 | 400 mg to 1400 mg a day, 2x a day  [S; label]"
        in lines
    )
    assert (
        "  60 or more mL/min            ≥ 60 | 900 mg to 3600 mg a day, 3x a day  [S; label]"
        in lines
    )
    assert "    a CrCl between 59 and 60 falls in no printed band and is put here" in lines


def renal_data() -> dict[str, Any]:
    from titrate.io.yamltext import parse_yaml

    data, _ = parse_yaml(DEMO.read_text(encoding="utf-8"), "issue18.yaml")
    renal: dict[str, Any] = json.loads(json.dumps(data["regimens"][1]["renal"], default=str))
    return renal


def test_bands_that_leave_a_gap_or_overlap_are_refused() -> None:
    renal = renal_data()
    renal["bands"][1]["crcl_below_ml_min"] = 59  # the label's literal edge: 59–60 in no band
    with pytest.raises(ValidationError, match="CrCl 59 mL/min is in no band"):
        Renal.model_validate(renal)
    renal = renal_data()
    renal["bands"][2]["crcl_up_to_ml_min"] = 31
    with pytest.raises(ValidationError, match="in more than one band"):
        Renal.model_validate(renal)


def test_a_supplemental_table_must_match_the_columns() -> None:
    renal = renal_data()
    renal["dialysis"]["supplemental"]["by_regimen_column_mg"] = [125, 150]
    with pytest.raises(ValidationError, match="lists 2 doses; band"):
        Renal.model_validate(renal)


def test_baclofen_bands_are_unchanged() -> None:
    code, plan = plan_json_builtin("--crcl", "40")
    assert code == 0 and [f["rule"] for f in plan["findings"]] == ["renal-impairment"]


def plan_json_builtin(*args: str) -> tuple[int, dict[str, Any]]:
    result = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", *args, "-f", "json")
    return result.exit_code, json.loads(result.stdout)
