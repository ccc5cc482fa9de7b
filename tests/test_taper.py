"""`titrate taper` and the stopping rules (abrupt-stop, taper-too-fast) as users see them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run
from titrate.catalog import get_regimen
from titrate.core.taper import taper
from titrate.model import PlanOptions
from titrate.rules import REGISTRY

TAPER = ("taper", "baclofen", "--start", "2026-12-01", "--tz", "UTC")
FROM_20_TID = (*TAPER, "--from-mg", "20", "--doses-per-day", "3")


def plan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run(*args, "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def rules_of(plan: dict[str, Any]) -> list[str]:
    return [finding["rule"] for finding in plan["findings"]]


def steps_of(plan: dict[str, Any]) -> list[tuple[float, int, int]]:
    """(mg per dose, doses a day, days) for each step, from the doses themselves."""
    steps: dict[int, tuple[float, set[int], set[int]]] = {}
    per_day: dict[int, int] = {}
    for dose in plan["doses"]:
        per_day[dose["day"]] = per_day.get(dose["day"], 0) + 1
    for dose in plan["doses"]:
        mg, counts, days = steps.setdefault(dose["step"], (dose["dose_mg"], set(), set()))
        assert dose["dose_mg"] == mg
        counts.add(per_day[dose["day"]])
        days.add(dose["day"])
    return [(mg, counts.pop(), len(days)) for mg, counts, days in steps.values()]


# -- the "done when" -------------------------------------------------------------


def test_taper_from_20_mg_tid_cuts_on_day_1_15_10_5_three_days_each_then_stops() -> None:
    code, plan = plan_json(*FROM_20_TID)
    assert code == 0
    assert plan["kind"] == "taper"
    assert steps_of(plan) == [(15, 3, 3), (10, 3, 3), (5, 3, 3)]
    assert plan["days"][0]["date"] == "2026-12-01"
    assert plan["days"][0]["total_mg"] == 45  # the first cut is on day 1
    assert plan["days"][-1]["date"] == "2026-12-09"
    assert plan["findings"] == []
    assert any("a convention, not a label fact" in note for note in plan["notes"])
    assert {"O1", "N1"} <= {source["id"] for source in plan["sources"]}
    assert "does not replace" in plan["disclaimer"]


def test_every_days_1_reports_taper_too_fast_on_each_reduction_and_the_length() -> None:
    _, plan = plan_json(*FROM_20_TID, "--every-days", "1")
    assert steps_of(plan) == [(15, 3, 1), (10, 3, 1), (5, 3, 1)]
    too_fast = [f for f in plan["findings"] if f["rule"] == "taper-too-fast"]
    assert [f["day"] for f in too_fast] == [2, 3, 3]
    assert all(f["code"] == "TT302" and f["severity"] == "warning" for f in too_fast)
    assert "after 1 day(s)" in too_fast[0]["message"]
    assert too_fast[0]["basis"] == "convention"
    length = too_fast[-1]
    assert "lasts 3 day(s)" in length["message"] and "at least 7 days" in length["message"]
    assert length["basis"] == "non-us-label"
    assert "[N1]" in length["source"] and "[C1]" in length["source"]


def test_taper_too_fast_fails_the_command_with_fail_on_warning() -> None:
    result = run(*FROM_20_TID, "--every-days", "1", "--fail-on", "warning")
    assert result.exit_code == 1
    assert "taper-too-fast" in result.stdout


def test_custom_steps_ending_at_10_mg_tid_report_abrupt_stop() -> None:
    result = run(
        "plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:3,10x3:3", "--then", "stop",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 1  # abrupt-stop is an error
    plan = json.loads(result.stdout)
    abrupt = [f for f in plan["findings"] if f["rule"] == "abrupt-stop"]
    assert len(abrupt) == 1
    assert abrupt[0]["code"] == "TT301" and abrupt[0]["day"] == 6
    assert "30 mg a day" in abrupt[0]["message"]
    assert "Taper down first, from 10 mg 3 times a day" in abrupt[0]["message"]
    assert abrupt[0]["basis"] == "convention"


def test_label_titration_ends_on_maintenance_and_is_not_an_abrupt_stop() -> None:
    code, plan = plan_json("plan", "baclofen", "--start", "2026-12-01")
    assert code == 0
    assert plan["kind"] == "titration"
    assert plan["days"][-1]["total_mg"] == 60
    assert "abrupt-stop" not in rules_of(plan)


def test_custom_course_that_tapers_down_to_15_mg_a_day_is_not_an_abrupt_stop() -> None:
    code, plan = plan_json(
        "plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:3,10x3:3,5x3:4"
    )
    assert code == 0
    assert plan["findings"] == []


def test_custom_course_tapering_from_30_mg_a_day_in_6_days_is_too_short() -> None:
    code, plan = plan_json(
        "plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:3,10x3:3,5x3:3",
        "--then", "stop",
    )  # fmt: skip
    assert code == 0  # a warning: the default --fail-on is error
    assert rules_of(plan) == ["taper-too-fast"]
    assert plan["findings"][0]["day"] == 9
    assert "from 30 mg a day lasts 6 day(s)" in plan["findings"][0]["message"]


def test_custom_course_dropping_10_mg_per_dose_is_too_steep() -> None:
    _, plan = plan_json(
        "plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:3,10x3:3,15x3:3,5x3:3",
        "--then", "stop",
    )  # fmt: skip
    steep = [f for f in plan["findings"] if f["rule"] == "taper-too-fast"]
    assert [f["day"] for f in steep] == [10, 12]
    assert "lowers each dose by 10 mg" in steep[0]["message"]
    assert "from 45 mg a day lasts 6 day(s)" in steep[1]["message"]


# -- how the taper is built ---------------------------------------------------------------


def test_four_times_a_day_drops_a_dose_a_day_to_end_from_15_mg() -> None:
    code, plan = plan_json(*TAPER, "--from-mg", "20", "--doses-per-day", "4")
    assert code == 0
    assert steps_of(plan) == [(15, 4, 3), (10, 4, 3), (5, 4, 3), (5, 3, 3)]
    assert plan["days"][-1]["total_mg"] == 15
    assert plan["findings"] == []
    assert any("drops one dose a day" in note for note in plan["notes"])


def test_short_taper_at_the_regimen_pace_holds_its_last_step_to_seven_days() -> None:
    code, plan = plan_json(*TAPER, "--from-mg", "10", "--doses-per-day", "3")
    assert code == 0
    assert steps_of(plan) == [(5, 3, 7)]
    assert len(plan["days"]) == 7
    assert any("minimum of 7 days" in note for note in plan["notes"])


def test_from_15_mg_a_day_needs_no_taper_length() -> None:
    code, plan = plan_json(*TAPER, "--from-mg", "5", "--doses-per-day", "3")
    assert code == 0
    assert steps_of(plan) == [(5, 3, 3)]
    assert plan["findings"] == []


def test_doses_step_down_to_multiples_of_the_step() -> None:
    _, plan = plan_json(*TAPER, "--from-mg", "12", "--doses-per-day", "3", "--product", "tablets")
    assert [step[0] for step in steps_of(plan)] == [10, 5]
    assert any("not a multiple of the 5 mg step" in note for note in plan["notes"])


def test_step_mg_override_is_kept_as_asked_past_the_half_cap() -> None:
    _, plan = plan_json(*FROM_20_TID, "--step-mg", "10")
    # 20 → 10 mg a dose on day 1 halves the day's dose: the cap applies only to the
    # regimen's own pace, a step asked for is kept.
    assert steps_of(plan)[:2] == [(10, 3, 3), (10, 2, 3)]
    assert not any("more than half" in note for note in plan["notes"])
    assert any("as the prescriber chose" in note for note in plan["notes"])


def test_the_first_cut_on_day_1_is_judged_against_the_starting_dose() -> None:
    """20 mg three times a day (60 mg) to 10 mg three times a day on day 1 is 10 mg less per
    dose: too steep, though day 1 is the plan's first day (issue 15)."""
    result = run(*FROM_20_TID, "--step-mg", "10", "--every-days", "3", "-f", "json")
    assert result.exit_code == 0  # a warning; the default --fail-on is error
    too_fast = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "TT302"]
    assert [(f["day"], f["message"]) for f in too_fast] == [
        (
            1,
            "Day 1: 60 → 30 mg a day from the starting dose lowers each dose by 10 mg "
            "(guidance: at most 5 mg) (taper pace: a convention, not a label fact).",
        )
    ]
    failed = run(*FROM_20_TID, "--step-mg", "10", "--every-days", "3", "--fail-on", "warning")
    assert failed.exit_code == 1
    assert "WARNING taper-too-fast (TT302): Day 1: 60 → 30 mg a day from the starting" in (
        failed.stdout
    )


def test_the_default_first_cut_is_within_the_pace_and_no_timing_is_claimed() -> None:
    """The starting dose was taken for an unknown time before day 1: its cut is judged by
    size only, so the regimen's own pace (5 mg less per dose on day 1) passes."""
    _, plan = plan_json(*FROM_20_TID, "--every-days", "1")
    assert [f["day"] for f in plan["findings"] if f["code"] == "TT302"] == [2, 3, 3]


def test_the_taper_length_counts_from_the_starting_dose_above_the_threshold() -> None:
    """From 20 mg once a day (above the 15 mg stopping threshold) day 1 is already 15 mg:
    judged from day 1 it needed no taper at all; from the starting dose it must last 7 days."""
    _, plan = plan_json(*TAPER, "--from-mg", "20", "--doses-per-day", "1", "--every-days", "1")
    assert steps_of(plan) == [(15, 1, 1), (10, 1, 1), (5, 1, 1)]
    length = [f["message"] for f in plan["findings"] if f["code"] == "TT302"][-1]
    assert length == (
        "The taper from 20 mg a day lasts 3 day(s); the guidance is at least 7 days "
        "(non-US labeling, not US labeling)."
    )


def test_a_per_day_pace_judges_the_first_cut_against_the_starting_total() -> None:
    _, plan = plan_json(
        "taper", "tizanidine", "--start", "2026-12-01", "--tz", "UTC",
        "--from-mg", "8", "--doses-per-day", "3", "--step-mg", "6",
    )  # fmt: skip
    first = next(f for f in plan["findings"] if f["code"] == "TT302")
    assert (first["day"], first["message"].split(" (taper pace")[0]) == (
        1,
        "Day 1: 24 → 18 mg a day from the starting dose lowers the day's total by 6 mg "
        "(guidance: at most 4 mg a day)",
    )


def test_a_checked_taper_file_has_no_dose_before_its_day_1(tmp_path: Path) -> None:
    """A plan file carries no starting dose: `check` judges it from its first day."""
    path = tmp_path / "taper.json"
    assert run(*FROM_20_TID, "--step-mg", "10", "-o", str(path)).exit_code == 0
    result = run("check", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert not [f for f in json.loads(result.stdout)["findings"] if f["day"] == 1]


def test_doses_per_day_defaults_to_the_regimens_last_step() -> None:
    _, plan = plan_json(*TAPER, "--from-mg", "20")
    assert steps_of(plan)[0] == (15, 3, 3)


def test_from_plan_tapers_from_its_last_day_starting_the_day_after(tmp_path: Path) -> None:
    label = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London", "-f", "json")
    saved = tmp_path / "plan.json"
    saved.write_text(label.stdout)
    code, plan = plan_json("taper", "baclofen", "--from-plan", str(saved))
    assert code == 0
    assert plan["start"] == "2026-12-13"
    assert plan["timezone"] == "Europe/London"
    assert steps_of(plan) == [(15, 3, 3), (10, 3, 3), (5, 3, 3)]
    assert "Tapers from the last day of the earlier plan" in plan["notes"][0]


def test_from_plan_of_another_regimen_is_refused(tmp_path: Path) -> None:
    label = json.loads(run("plan", "baclofen", "--start", "2026-12-01", "-f", "json").stdout)
    label["regimen"]["id"] = "tizanidine"
    saved = tmp_path / "other.json"
    saved.write_text(json.dumps(label))
    result = run("taper", "baclofen", "--from-plan", str(saved))
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {saved}: the plan is for regimen 'tizanidine', not 'baclofen'\n"
    )


def test_taper_golden_table(golden: Callable[[str, str], None]) -> None:
    result = run(*FROM_20_TID)
    assert result.exit_code == 0
    golden("taper_baclofen_20_tid.txt", result.stdout)


def test_taper_golden_json(golden: Callable[[str, str], None]) -> None:
    result = run(*FROM_20_TID, "-f", "json")
    golden("taper_baclofen_20_tid.json", result.stdout)


# -- bad input: one line, exit 2 ----------------------------------------------------------


def test_bad_taper_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = {
        ("--from-mg", "20", "--every-days", "0"): "--every-days: must be 1 to 365 days, got 0",
        ("--from-mg", "0"): "--from-mg: '0': must be a positive number of milligrams",
        ("--from-mg", "20.0001"): "--from-mg: 20.0001 mg has more than 3 decimal places",
        ("--from-mg", "20", "--step-mg", "0.001"): "--step-mg: 20000 reductions",
        (): "--from-mg: give the current dose with exactly one of --from-mg or --from-plan",
        ("--from-plan", str(tmp_path / "missing.json")): "missing.json: no such plan file",
    }
    for args, expected in cases.items():
        result = run(*TAPER, *args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("titrate: error: ")
        assert expected in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# -- rule docs and properties -------------------------------------------------------------


def test_stopping_rules_are_registered_with_examples() -> None:
    for code, slug, severity in (
        ("TT301", "abrupt-stop", "error"),
        ("TT302", "taper-too-fast", "warning"),
    ):
        rule = REGISTRY[code]
        assert (rule.slug, rule.severity) == (slug, severity)
        assert "Passes:" in rule.doc and "Fails:" in rule.doc


@settings(max_examples=40, deadline=None)
@given(
    quarter_mg=st.integers(min_value=1, max_value=80),  # 0.25 to 20 mg per dose
    per_day=st.integers(min_value=1, max_value=4),
)
def test_default_taper_never_rises_ends_low_and_has_no_stopping_findings(
    quarter_mg: int, per_day: int
) -> None:
    regimen = get_regimen("baclofen")
    from_mg = Decimal(quarter_mg) / 4
    options = PlanOptions(start=date(2026, 12, 1), timezone="UTC")
    plan = taper(regimen, options, from_mg=from_mg, doses_per_day=per_day)
    totals = [day.total_mg for day in plan.days]
    assert totals == sorted(totals, reverse=True)
    assert totals[0] <= from_mg * per_day
    if from_mg * per_day > regimen.stopping.max_daily_mg_to_stop_from:  # type: ignore[union-attr]
        assert totals[0] < from_mg * per_day  # the first cut is on day 1
    assert regimen.stopping is not None
    assert totals[-1] <= regimen.stopping.max_daily_mg_to_stop_from
    assert not {"abrupt-stop", "taper-too-fast"} & {f.rule for f in plan.findings}


# -- how a plan ends (`then`) -------------------------------------------------------------


def test_a_custom_plan_at_the_cap_continues_and_is_no_abrupt_stop() -> None:
    _, plan = plan_json("plan", "baclofen", "--start", "2026-12-01", "--steps", "20x4:14")
    assert "abrupt-stop" not in rules_of(plan)
    assert plan["then"] == {
        "action": "continue",
        "from": "2026-12-15",
        "after": "2026-12-14T20:00:00Z",
        "dose_mg": 20,
        "per_day": 4,
        "daily_total_mg": 80,
    }


def test_the_label_plan_continues_at_20_mg_three_times_a_day_from_13_dec() -> None:
    _, plan = plan_json("plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London")
    then = plan["then"]
    assert (then["action"], then["from"], then["dose_mg"], then["per_day"]) == (
        "continue",
        "2026-12-13",
        20,
        3,
    )


def test_a_taper_stops_after_its_last_dose() -> None:
    _, plan = plan_json(
        "taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3",
        "--start", "2026-12-01", "-f", "json",
    )  # fmt: skip
    last = plan["doses"][-1]
    assert plan["then"] == {"action": "stop", "from": _day_after(plan["days"][-1]["date"]),
                            "after": last["at"], "dose_mg": None, "per_day": None,
                            "daily_total_mg": None}  # fmt: skip


def test_then_stop_on_a_custom_plan_is_checked_for_an_abrupt_stop() -> None:
    code, plan = plan_json(
        "plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:3,10x3:3", "--then", "stop"
    )  # fmt: skip
    assert code == 1 and rules_of(plan) == ["abrupt-stop"]
    code, plan = plan_json("plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:3,10x3:3")
    assert code == 0 and "abrupt-stop" not in rules_of(plan)


def test_an_unknown_ending_is_one_line_naming_the_option() -> None:
    result = run("plan", "baclofen", "--then", "pause")
    assert result.exit_code == 2
    assert result.stderr == (
        "titrate: error: --then: 'pause' is not how a plan can end "
        "(choose continue, stop or review)\n"
    )


def _day_after(text: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(text) + timedelta(days=1)).isoformat()
