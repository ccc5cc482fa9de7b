"""`titrate plan` as a user runs it: the label schedule, findings, exit codes, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from conftest import run

LABEL = ("plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London")


def test_label_plan_is_twelve_days_of_thirty_six_doses() -> None:
    result = run(*LABEL, "-f", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert len(plan["days"]) == 12
    assert len(plan["doses"]) == 36
    assert [day["total_mg"] for day in plan["days"]] == [15] * 3 + [30] * 3 + [45] * 3 + [60] * 3
    assert [dose["dose_mg"] for dose in plan["doses"][::9]] == [5, 10, 15, 20]
    assert plan["doses"][0]["at"] == "2026-12-01T08:00:00Z"  # London is on GMT in December
    assert [d["at"][11:16] for d in plan["doses"][:3]] == ["08:00", "14:00", "20:00"]
    assert plan["days"][-1]["date"] == "2026-12-12"
    assert plan["findings"] == []
    assert plan["timezone"] == "Europe/London"
    assert {source["id"] for source in plan["sources"]} >= {"B1", "O1"}
    assert "does not replace" in plan["disclaimer"]


def test_label_plan_golden_json(golden: Callable[[str, str], None]) -> None:
    result = run(*LABEL, "-f", "json")
    golden("plan_baclofen_label.json", result.stdout)


def test_label_plan_golden_table(golden: Callable[[str, str], None]) -> None:
    result = run(*LABEL)
    assert result.exit_code == 0
    golden("plan_baclofen_label.txt", result.stdout)


def test_table_fits_eighty_columns_and_has_no_colour_codes() -> None:
    result = run(*LABEL, env={"COLUMNS": "80", "FORCE_COLOR": "1"})
    schedule_rows = [line for line in result.stdout.splitlines() if "mg" in line and ":" in line]
    assert schedule_rows
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "\x1b[" not in result.stdout


def test_json_has_no_colour_codes_even_when_forced() -> None:
    result = run(*LABEL, "-f", "json", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in result.stdout
    json.loads(result.stdout)


def test_over_daily_max_is_flagged_on_days_four_to_six_and_exits_1() -> None:
    result = run(*LABEL, "--steps", "20x4:3,25x4:3", "-f", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    over = [f for f in findings if f["rule"] == "over-daily-max"]
    assert [(f["day"], f["last_day"]) for f in over] == [(4, 6)]  # one finding, days 4-6
    assert all(f["severity"] == "error" and f["code"] == "TT101" for f in over)
    assert "100 mg" in over[0]["message"] and "80 mg" in over[0]["message"]
    assert "medlibrary.org" in over[0]["source"]
    single = [f for f in findings if f["rule"] == "over-single-dose"]
    assert [(f["day"], f["last_day"]) for f in single] == [(4, 6)]
    assert single[0]["basis"] == "implied"


def test_fail_on_never_exits_0_and_still_shows_findings() -> None:
    result = run(*LABEL, "--steps", "20x4:3,25x4:3", "--fail-on", "never")
    assert result.exit_code == 0
    assert "over-daily-max" in result.stdout
    assert "ERROR" in result.stdout


def test_fail_on_warning_exits_1_on_a_warning_only_plan() -> None:
    # 2.5 mg six times a day (0.5 mL of the 5 mg/mL suspension): too many doses a day
    # (a warning) but within the daily maximum and ending from only 15 mg a day.
    argv = (*LABEL, "--steps", "2.5x6:3", "--product", "suspension")
    assert run(*argv).exit_code == 0
    assert run(*argv, "--fail-on", "warning").exit_code == 1


def test_table_shows_findings_beside_the_offending_day() -> None:
    result = run(*LABEL, "--steps", "20x4:3,25x4:3", "--fail-on", "never")
    day_four = next(line for line in result.stdout.splitlines() if "2026-12-04" in line)
    assert "over-daily-max" in day_four


def test_age_below_minimum() -> None:
    result = run(*LABEL, "--age", "10", "-f", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["age-below-minimum"]
    assert run(*LABEL, "--age", "12").exit_code == 0


def test_target_and_hold_end_on_seven_more_days_of_15_mg() -> None:
    result = run(*LABEL, "--target-mg", "15", "--hold-days", "7", "-f", "json")
    assert result.exit_code == 0
    plan = json.loads(result.stdout)
    totals = [day["total_mg"] for day in plan["days"]]
    assert totals == [15] * 3 + [30] * 3 + [45] * 3 + [45] * 7
    assert plan["doses"][-1]["dose_mg"] == 15
    assert any("7 more day" in note for note in plan["notes"])


def test_target_above_the_ladder_continues_by_the_labeled_increment() -> None:
    plan = json.loads(run(*LABEL, "--target-mg", "25", "-f", "json").stdout)
    per_dose = [plan["doses"][i]["dose_mg"] for i in range(0, len(plan["doses"]), 3)]
    assert per_dose[-1] == 25
    assert plan["days"][-1]["total_mg"] == 75
    assert plan["findings"][0]["rule"] == "over-single-dose"


def test_custom_times_apply_to_three_times_a_day() -> None:
    plan = json.loads(run(*LABEL, "--times", "07:30,13:30,21:00", "-f", "json").stdout)
    assert [d["at"][11:16] for d in plan["doses"][:3]] == ["07:30", "13:30", "21:00"]


def test_output_file_is_written_and_format_taken_from_extension(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    result = run(*LABEL, "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(target.read_text())["schema_version"] == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp files left


def test_dose_and_day_totals_are_exact_decimals() -> None:
    plan = json.loads(run(*LABEL, "--steps", "0.1x3:2", "-f", "json").stdout)
    assert Decimal(str(plan["days"][0]["total_mg"])) == Decimal("0.3")


# --- bad input: one line on stderr, exit 2, no traceback -------------------------------


def _one_line_error(args: tuple[str, ...], *fragments: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("titrate: error:")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_regimen_suggests_the_closest() -> None:
    _one_line_error(("plan", "baclofn"), "unknown regimen 'baclofn'", "did you mean 'baclofen'")


def test_impossible_date() -> None:
    _one_line_error((*LABEL[:2], "--start", "2026-02-30"), "--start", "2026-02-30")


def test_bad_times() -> None:
    _one_line_error((*LABEL, "--times", "25:00,14:00,20:00"), "--times", "25:00")
    _one_line_error((*LABEL, "--times", "8am"), "--times", "8am")


def test_times_that_match_no_step() -> None:
    _one_line_error((*LABEL, "--times", "08:00,20:00"), "--times", "2 time(s)")


def test_unknown_timezone() -> None:
    _one_line_error((*LABEL[:4], "--tz", "Mars/Olympus"), "--tz", "Mars/Olympus")


def test_bad_steps() -> None:
    _one_line_error((*LABEL, "--steps", "5x3"), "--steps", "MGxPER_DAY:DAYS")
    _one_line_error((*LABEL, "--steps", "0x3:3"), "--steps", "more than 0 mg")
    _one_line_error((*LABEL, "--steps", "-5x3:3"), "--steps")
    _one_line_error((*LABEL, "--steps", "nanx3:3"), "--steps")
    _one_line_error((*LABEL, "--steps", "1000000x3:3"), "--steps", "not a plausible dose")


def test_bad_target() -> None:
    _one_line_error((*LABEL, "--target-mg", "nan"), "--target-mg")
    _one_line_error((*LABEL, "--target-mg", "-5"), "--target-mg")
    _one_line_error((*LABEL, "--target-mg", "1e400"), "--target-mg")


def test_absurd_plan_length_is_refused() -> None:
    _one_line_error((*LABEL, "--hold-days", "1000000000"), "--hold-days", "limit")


def test_unwritable_output_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "plan.json"
    _one_line_error((*LABEL, "-o", str(target)), "plan.json", "does not exist")
    assert not target.exists()


def test_missing_regimen_file() -> None:
    _one_line_error((*LABEL, "--regimens", "/nonexistent/regimens.yaml"), "no such regimen file")
