"""Clock-time policy across daylight-saving changes, year ends and leap days."""

from __future__ import annotations

import json

from conftest import run


def plan_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = run("plan", "baclofen", "-f", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_label_times_keep_local_clock_across_spring_forward() -> None:
    # Europe/London springs forward on 2027-03-28: 08:00 stays 08:00 local.
    plan = plan_json("--start", "2027-03-26", "--tz", "Europe/London")
    at = [dose["at"] for dose in plan["doses"][:9]]
    assert at[0] == "2027-03-26T08:00:00Z"
    assert at[6] == "2027-03-28T08:00:00+01:00"


def test_a_dose_in_the_skipped_hour_moves_to_the_end_of_the_gap_and_says_so() -> None:
    # New York springs forward at 02:00 on 2027-03-14: 02:30 does not exist that day; the
    # dose is at 03:00, when the clocks change (never later than a dose after the gap).
    plan = plan_json(
        "--start", "2027-03-13", "--tz", "America/New_York", "--steps", "5x1:3", "--times", "02:30"
    )
    assert [dose["at"] for dose in plan["doses"]] == [
        "2027-03-13T02:30:00-05:00",
        "2027-03-14T03:00:00-04:00",
        "2027-03-15T02:30:00-04:00",
    ]
    assert any("2027-03-14 02:30 does not exist" in note for note in plan["notes"])


def test_a_dose_in_the_repeated_hour_is_the_first_occurrence() -> None:
    # New York falls back at 02:00 on 2026-11-01: 01:30 happens twice; the plan uses EDT's.
    plan = plan_json(
        "--start", "2026-10-31", "--tz", "America/New_York", "--steps", "5x1:3", "--times", "01:30"
    )
    assert plan["doses"][1]["at"] == "2026-11-01T01:30:00-04:00"
    assert plan["doses"][2]["at"] == "2026-11-02T01:30:00-05:00"
    doses_on_the_day = [d for d in plan["doses"] if d["at"].startswith("2026-11-01")]
    assert len(doses_on_the_day) == 1  # never twice


def test_plan_crossing_a_year_end() -> None:
    plan = plan_json("--start", "2026-12-28", "--tz", "America/New_York")
    dates = [day["date"] for day in plan["days"]]
    assert dates[:5] == ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01"]
    assert dates[-1] == "2027-01-08"
    assert plan["doses"][0]["at"] == "2026-12-28T08:00:00-05:00"


def test_leap_day_in_a_leap_year_and_not_in_others() -> None:
    plan = plan_json("--start", "2028-02-27", "--tz", "UTC")
    assert [day["date"] for day in plan["days"][:4]] == [
        "2028-02-27",
        "2028-02-28",
        "2028-02-29",
        "2028-03-01",
    ]
    assert run("plan", "baclofen", "--start", "2027-02-29").exit_code == 2
    assert plan_json("--start", "2028-02-29", "--tz", "UTC")["start"] == "2028-02-29"


def test_default_zone_comes_from_the_system() -> None:
    result = run(
        "plan", "baclofen", "--start", "2026-12-01", "-f", "json", env={"TZ": "Asia/Tokyo"}
    )
    plan = json.loads(result.stdout)
    assert plan["timezone"] == "Asia/Tokyo"
    assert plan["doses"][0]["at"] == "2026-12-01T08:00:00+09:00"
