"""Where day 1 starts: `--first-dose HH:MM`, and a plan made today leaving out (and saying
so) the dose times that have passed. `--now` stands for the clock: the CLI reads 'now'
once, and the plan is a pure function of it."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import run
from titrate.api import plan as build_plan
from titrate.catalog import get_regimen
from titrate.errors import InputError
from titrate.model import PlanOptions
from titrate.requests import PlanRequest

UTC_ZONE = ("--tz", "UTC")
PASSED_AT_1510 = (
    "The 08:00 and 14:00 dose times of 2026-12-01 (day 1) had passed when the plan was made "
    "(15:10): the plan starts with the 20:00 dose, and every step keeps its length."
)


def plan_json(*args: str) -> dict[str, Any]:
    result = run("plan", "baclofen", *UTC_ZONE, "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def day_shape(plan: dict[str, Any]) -> list[tuple[int, str, int, int]]:
    """(day, date, doses, total mg) for the first four days."""
    return [(d["day"], d["date"], d["doses"], d["total_mg"]) for d in plan["days"][:4]]


# --- A plan made today -------------------------------------------------------------------


def test_a_plan_made_at_15_10_today_starts_with_the_evening_dose_and_says_so() -> None:
    plan = plan_json("--now", "2026-12-01T15:10")
    assert plan["start"] == "2026-12-01"
    assert plan["doses"][0]["at"] == "2026-12-01T20:00:00Z"
    assert day_shape(plan) == [
        (1, "2026-12-01", 1, 5),
        (2, "2026-12-02", 3, 15),
        (3, "2026-12-03", 3, 15),
        (4, "2026-12-04", 3, 30),  # step 1 keeps its 3 days: step 2 starts on day 4
    ]
    assert (len(plan["days"]), len(plan["doses"])) == (12, 34)
    assert plan["days"][-1]["date"] == "2026-12-12"
    assert plan["notes"][0] == PASSED_AT_1510
    assert plan["findings"] == []
    assert plan["then"]["from"] == "2026-12-13"


def test_start_given_as_today_is_treated_as_today() -> None:
    assert plan_json("--start", "2026-12-01", "--now", "2026-12-01T15:10")["notes"][0] == (
        PASSED_AT_1510
    )


def test_a_dose_due_this_minute_has_not_passed() -> None:
    plan = plan_json("--now", "2026-12-01T14:00:59")
    assert [d["at"][11:16] for d in plan["doses"][:3]] == ["14:00", "20:00", "08:00"]
    assert plan["notes"][0] == (
        "The 08:00 dose time of 2026-12-01 (day 1) had passed when the plan was made (14:00): "
        "the plan starts with the 14:00 dose, and every step keeps its length."
    )


def test_before_the_first_dose_time_the_whole_day_is_listed_with_nothing_said() -> None:
    plan = plan_json("--now", "2026-12-01T07:59")
    assert (len(plan["doses"]), plan["doses"][0]["at"]) == (36, "2026-12-01T08:00:00Z")
    assert not any("had passed" in note for note in plan["notes"])


def test_after_the_last_dose_time_the_plan_starts_tomorrow_and_says_so() -> None:
    plan = plan_json("--now", "2026-12-01T21:30")
    assert plan["start"] == "2026-12-02"
    assert (len(plan["doses"]), plan["doses"][0]["at"]) == (36, "2026-12-02T08:00:00Z")
    assert plan["days"][-1]["date"] == "2026-12-13"
    assert plan["notes"][0] == (
        "Every dose time (08:00, 14:00 and 20:00) of 2026-12-01 had passed when the plan was "
        "made (21:30): the plan starts on 2026-12-02 with the 08:00 dose."
    )


def test_a_once_a_day_start_made_after_its_time_starts_tomorrow() -> None:
    result = run("plan", "dantrolene", *UTC_ZONE, "--now", "2026-12-01T09:00", "-f", "json")
    plan = json.loads(result.stdout)
    assert (plan["start"], plan["doses"][0]["at"]) == ("2026-12-02", "2026-12-02T08:00:00Z")
    assert plan["review_by"]["date"] == "2027-01-15"  # day 45 counts from the plan's day 1
    assert plan["notes"][0] == (
        "The 08:00 dose time of 2026-12-01 had passed when the plan was made (09:00): the plan "
        "starts on 2026-12-02 with the 08:00 dose."
    )


def test_a_later_start_date_is_not_touched() -> None:
    plan = plan_json("--start", "2026-12-02", "--now", "2026-12-01T15:10")
    assert (plan["start"], len(plan["doses"])) == ("2026-12-02", 36)
    assert not any("had passed" in note for note in plan["notes"])


def test_now_is_read_in_the_plans_zone() -> None:
    """06:10 UTC is 15:10 in Tokyo: the Tokyo plan made then starts with its 20:00 dose."""
    result = run(
        "plan", "baclofen", "--tz", "Asia/Tokyo", "--now", "2026-12-01T06:10Z", "-f", "json"
    )
    plan = json.loads(result.stdout)
    assert (plan["start"], plan["doses"][0]["at"]) == ("2026-12-01", "2026-12-01T20:00:00+09:00")
    naive = run("plan", "baclofen", "--tz", "Asia/Tokyo", "--now", "2026-12-01T15:10", "-f", "json")
    assert json.loads(naive.stdout)["doses"] == plan["doses"]


@pytest.mark.parametrize(
    ("fmt", "shown"),
    [
        ("table", "had passed when the plan was made"),  # wrapped at 100 columns
        ("md", PASSED_AT_1510),
        ("csv", PASSED_AT_1510),
        ("html", PASSED_AT_1510),
        ("ics", "had passed when the plan was made"),  # folded at 75 octets
        ("fhir", PASSED_AT_1510),
    ],
)
def test_every_format_says_which_dose_times_had_passed(fmt: str, shown: str) -> None:
    result = run("plan", "baclofen", *UTC_ZONE, "--now", "2026-12-01T15:10", "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert shown in result.stdout


def test_the_pdf_says_it_too(tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "plan.pdf"
    result = run("plan", "baclofen", *UTC_ZONE, "--now", "2026-12-01T15:10", "-o", str(pdf))
    assert result.exit_code == 0, result.stderr
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
    text = " ".join(done.stdout.decode("utf-8").split())
    assert PASSED_AT_1510 in text


# --- --first-dose -------------------------------------------------------------------------


def test_first_dose_starts_day_1_there_and_says_nothing_more() -> None:
    plan = plan_json("--start", "2026-12-01", "--first-dose", "14:00", "--now", "2026-12-01T15:10")
    assert [d["at"][11:16] for d in plan["doses"][:3]] == ["14:00", "20:00", "08:00"]
    assert day_shape(plan)[:2] == [(1, "2026-12-01", 2, 10), (2, "2026-12-02", 3, 15)]
    assert not any("had passed" in note for note in plan["notes"])
    # the first dose time keeps the whole day, even when it has passed: the user chose it
    whole = plan_json("--start", "2026-12-01", "--first-dose", "08:00", "--now", "2026-12-01T15:10")
    assert len(whole["doses"]) == 36


def test_first_dose_on_a_future_start() -> None:
    plan = plan_json("--start", "2026-12-05", "--first-dose", "20:00")
    assert day_shape(plan)[:2] == [(1, "2026-12-05", 1, 5), (2, "2026-12-06", 3, 15)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "14:30",
            "--first-dose: 14:30 is not a dose time of day 1 (its times: 08:00, 14:00, 20:00)",
        ),
        ("noon", "--first-dose: 'noon' is not a 24-hour time HH:MM (e.g. 08:00)"),
        ("24:00", "--first-dose: '24:00' is not a time of day (00:00 to 23:59)"),
    ],
)
def test_a_first_dose_that_is_not_a_dose_time_is_one_clear_error(value: str, message: str) -> None:
    result = run("plan", "baclofen", "--start", "2026-12-01", "--first-dose", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"titrate: error: {message}\n"


def test_first_dose_uses_the_times_given_for_day_1() -> None:
    plan = plan_json(
        "--start", "2026-12-01", "--times", "07:00,13:00,19:00", "--first-dose", "19:00"
    )
    assert plan["doses"][0]["at"] == "2026-12-01T19:00:00Z"


def test_a_bad_now_is_one_clear_error() -> None:
    result = run("plan", "baclofen", "--now", "yesterday")
    assert result.exit_code == 2
    assert result.stderr.startswith("titrate: error: --now: ")


# --- The stopping rules judge a short first day at its step's level -----------------------


def test_a_short_first_day_is_not_a_rise_before_a_reduction() -> None:
    """10 mg three times a day for 3 days then 5 mg: a first day of two doses (20 mg) is not
    a lower level that rises on day 2, so the reduction on day 4 comes after 3 days."""
    plan = plan_json("--start", "2026-12-01", "--steps", "10x3:3,5x3:3", "--first-dose", "14:00")
    assert [d["total_mg"] for d in plan["days"]] == [20, 30, 30, 15, 15, 15]
    assert plan["findings"] == []


def test_a_taper_made_today_starts_with_the_next_dose_time() -> None:
    result = run(
        "taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3", *UTC_ZONE,
        "--now", "2026-12-01T15:10", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [d["total_mg"] for d in plan["days"][:5]] == [15, 45, 45, 30, 30]
    assert plan["findings"] == []  # no taper-too-fast from the short first day
    assert PASSED_AT_1510 in plan["notes"]
    assert plan["then"]["action"] == "stop"
    chosen = run(
        "taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3", *UTC_ZONE,
        "--start", "2026-12-01", "--first-dose", "14:00", "-f", "json",
    )  # fmt: skip
    assert [d["doses"] for d in json.loads(chosen.stdout)["days"][:2]] == [2, 3]


# --- A plan file whose day 1 starts at 14:00 -----------------------------------------------


@pytest.fixture
def afternoon_plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    made = run(
        "plan", "baclofen", *UTC_ZONE, "--start", "2026-12-01", "--first-dose", "14:00",
        "-o", str(path),
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    return path


def test_check_reads_it_back_as_written(afternoon_plan: Path) -> None:
    checked = run("check", str(afternoon_plan), "-f", "json")
    assert checked.exit_code == 0, checked.stderr
    data = json.loads(checked.stdout)
    written = json.loads(afternoon_plan.read_text())
    assert data["doses"] == written["doses"] and data["days"] == written["days"]
    assert data["findings"] == []


def test_missed_on_its_first_dose(afternoon_plan: Path) -> None:
    result = run(
        "missed", "--plan", str(afternoon_plan), "--dose", "2026-12-01T14:00",
        "--now", "2026-12-01T15:30", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    advice = json.loads(result.stdout)
    assert (advice["action"], advice["dose"]["number"]) == ("take", 1)
    assert advice["next_dose"]["at"] == "2026-12-01T20:00:00Z"


def test_audit_of_a_log_that_follows_it(afternoon_plan: Path, tmp_path: Path) -> None:
    doses = json.loads(afternoon_plan.read_text())["doses"]
    log = tmp_path / "log.csv"
    log.write_text(
        "taken_at,dose_mg\n" + "".join(f"{d['at'][:16]},{d['dose_mg']}\n" for d in doses)
    )
    audited = run("audit", str(afternoon_plan), str(log), "--now", "2026-12-13T01:00", "-f", "json")
    assert audited.exit_code == 0, audited.stdout
    data = json.loads(audited.stdout)
    assert data["findings"] == []
    assert data["summary"] == {"taken": 35, "late": 0, "missed": 0, "pending": 0, "extra": 0}
    assert data["doses"][0]["scheduled_at"] == "2026-12-01T14:00:00Z"


# --- The Python API -------------------------------------------------------------------------


def test_api_first_dose_and_now() -> None:
    baclofen = get_regimen("baclofen")
    chosen = build_plan(
        baclofen, PlanOptions(start=date(2026, 12, 1), timezone="UTC", first_dose=time(20))
    )
    assert (len(chosen.doses), chosen.days[0].total_mg) == (34, Decimal(5))
    made = PlanRequest(regimen="baclofen", timezone="UTC", first_dose="14:00").plan(
        now="2026-12-01T15:10"
    )  # the first dose given wins over the clock
    assert (made.start, made.doses[0].at.hour, len(made.doses)) == (date(2026, 12, 1), 14, 35)
    clocked = PlanRequest(regimen="baclofen", timezone="UTC").plan(
        now=datetime(2026, 12, 1, 15, 10, tzinfo=UTC)
    )
    assert clocked.notes[0] == PASSED_AT_1510
    # no clock, no change: a library call never reads the time itself
    plain = PlanRequest(regimen="baclofen", start="2026-12-01", timezone="UTC").plan()
    assert len(plain.doses) == 36
    with pytest.raises(InputError) as caught:
        PlanRequest(regimen="baclofen", start="2026-12-01", first_dose="14:30").plan()
    assert caught.value.field == "first_dose"
    assert str(caught.value) == (
        "first_dose: 14:30 is not a dose time of day 1 (its times: 08:00, 14:00, 20:00)"
    )


def test_a_short_first_day_read_back_from_fhir_is_no_taper_too_fast(tmp_path: Path) -> None:
    """FHIR gives day 1 its own Dosage, so `check` reads it back as its own step: it is
    still day 2's pattern without its first doses, judged at day 2's level."""
    exported = tmp_path / "taper.fhir.json"
    made = run(
        "taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3", *UTC_ZONE,
        "--start", "2026-12-01", "--first-dose", "20:00", "-o", str(exported),
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    checked = run("check", str(exported), *UTC_ZONE, "--start", "2026-12-01", "-f", "json")
    data = json.loads(checked.stdout)
    assert [(d["day"], d["step"], d["doses"]) for d in data["days"][:2]] == [(1, 1, 1), (2, 2, 3)]
    assert "taper-too-fast" not in {f["rule"] for f in data["findings"]}
