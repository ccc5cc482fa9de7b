"""Hostile round 2, wall-clock arithmetic: every interval is on instants, every gap is said.

Each test states the outcome a user must see; the cases came from the hostile round
(issue 16) and failed before `titrate.clock` moved all spacing and DST logic onto instants.
"""

from __future__ import annotations

import json
import os
import zoneinfo
from datetime import date, time
from pathlib import Path

import pytest

from conftest import run
from titrate.clock import listed_zone, local_instant, zone, zone_of_tz_variable
from titrate.errors import InputError


def plan_json(regimen: str, *args: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    result = run("plan", regimen, "-f", "json", *args, env=env)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def rules_of(plan: dict) -> list[str]:  # type: ignore[type-arg]
    return [finding["rule"] for finding in plan["findings"]]


def test_doses_too_close_counts_the_hour_the_clocks_skip() -> None:
    # 21:00 EST → 03:00 EDT is 5 hours, not 6: under tizanidine's 6-hour minimum.
    plan = plan_json(
        "tizanidine",
        *("--tz", "America/New_York", "--start", "2026-03-07", "--steps", "2x3:3"),
        *("--times", "03:00,09:00,21:00"),
    )
    close = [f for f in plan["findings"] if f["rule"] == "doses-too-close"]
    assert [f["message"] for f in close] == [
        "Day 2: doses at 21:00 and 03:00 are 5h00 apart, less than the 6 hours minimum "
        "between doses."
    ]


def test_plan_and_check_of_the_same_plan_agree_on_spacing(tmp_path: Path) -> None:
    args = ("--tz", "America/New_York", "--start", "2026-03-07", "--steps", "2x3:3")
    plan = run("plan", "tizanidine", "-f", "json", *args, "--times", "03:00,09:00,21:00")
    path = tmp_path / "plan.json"
    path.write_text(plan.stdout)
    checked = run("check", str(path), "-f", "json")
    assert checked.exit_code == 1
    assert rules_of(json.loads(checked.stdout)) == rules_of(json.loads(plan.stdout))


def test_a_time_in_the_gap_moves_to_the_end_of_the_gap_not_past_the_next_dose() -> None:
    # New York skips 02:00-03:00 on 2027-03-14: 02:30 is set at 03:00, before 03:15.
    plan = plan_json(
        "baclofen",
        *("--tz", "America/New_York", "--start", "2027-03-14", "--steps", "5x3:1"),
        *("--times", "02:30,03:15,20:00"),
    )
    assert [dose["at"] for dose in plan["doses"]] == [
        "2027-03-14T03:00:00-04:00",
        "2027-03-14T03:15:00-04:00",
        "2027-03-14T20:00:00-04:00",
    ]
    assert (
        "2027-03-14 02:30 does not exist in America/New_York (clocks go forward); that dose "
        "is at 03:00, when the clocks change." in plan["notes"]
    )


def test_two_times_in_one_gap_share_its_end_in_order_and_the_plan_says_so() -> None:
    plan = plan_json(
        "baclofen",
        *("--tz", "America/New_York", "--start", "2027-03-14", "--steps", "5x3:1"),
        *("--times", "02:10,02:40,09:00"),
    )
    assert [(d["number"], d["at"]) for d in plan["doses"][:2]] == [
        (1, "2027-03-14T03:00:00-04:00"),
        (2, "2027-03-14T03:00:00-04:00"),
    ]
    assert any("same time as dose 1" in note for note in plan["notes"])


def test_a_skipped_calendar_day_is_stated_and_never_stacks_doses() -> None:
    # Samoa skipped 2011-12-30 entirely: day 3 falls on 2011-12-31, three doses, 90 mg.
    plan = plan_json(
        "baclofen", "--tz", "Pacific/Apia", "--start", "2011-12-28", "--steps", "30x3:4"
    )
    assert [(day["date"], day["total_mg"]) for day in plan["days"]] == [
        ("2011-12-28", 90),
        ("2011-12-29", 90),
        ("2011-12-31", 90),
        ("2012-01-01", 90),
    ]
    instants = [dose["at"] for dose in plan["doses"]]
    assert len(set(instants)) == len(instants) == 12
    assert (
        "2011-12-30 does not exist in Pacific/Apia (the zone skipped that calendar day): no "
        "dose is set on it, and day 3 is 2011-12-31." in plan["notes"]
    )
    over = [f for f in plan["findings"] if f["rule"] == "over-daily-max"]
    assert [(f["day"], f["last_day"]) for f in over] == [(1, 4)]  # every day, none hidden


@pytest.mark.parametrize("name", ["right/Europe/London", "posix/Europe/London", "posixrules"])
def test_zone_names_outside_available_timezones_are_refused(name: str) -> None:
    result = run("plan", "baclofen", "--tz", name, "-f", "json")
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: --tz: unknown time zone {name!r} (use an IANA name, e.g. Europe/London)\n"
    )


def test_zone_membership_is_exactly_available_timezones() -> None:
    listed = zoneinfo.available_timezones()
    assert all(listed_zone(name) for name in listed)
    on_disk: set[str] = set()
    for root in zoneinfo.TZPATH:
        for folder, _, files in os.walk(root):
            on_disk.update(os.path.relpath(os.path.join(folder, f), root) for f in files)
    assert [name for name in sorted(on_disk) if listed_zone(name) != (name in listed)] == []
    for name in ("", "/etc/localtime", "../zoneinfo/UTC", "Europe/../UTC", "Europe//London"):
        assert not listed_zone(name)


@pytest.mark.parametrize(
    ("value", "zone_name"),
    [
        ("Japan", "Japan"),
        ("CET", "CET"),
        ("EST5EDT", "EST5EDT"),
        (":Asia/Tokyo", "Asia/Tokyo"),
        ("", "UTC"),
        (":", "UTC"),
    ],
)
def test_tz_is_honoured_in_the_forms_the_c_library_reads(value: str, zone_name: str) -> None:
    plan = plan_json("baclofen", "--start", "2026-12-01", env={"TZ": value})
    assert plan["timezone"] == zone_name


def test_tz_as_a_path_into_the_zone_database_is_its_zone() -> None:
    root = next(p for p in zoneinfo.TZPATH if Path(p, "Asia", "Tokyo").is_file())
    assert zone_of_tz_variable(f":{root}/Asia/Tokyo") == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("JST-9", "is a POSIX rule, which names no zone"),
        ("EST5EDT,M3.2.0,M11.1.0", "is a POSIX rule, which names no zone"),
        ("Mars/Olympus", "is not a zone of the time-zone database"),
        ("/tmp/not-a-zone", "is not a file of the time-zone database"),
    ],
)
def test_tz_the_plan_could_not_state_is_refused_in_one_line(value: str, reason: str) -> None:
    result = run("plan", "baclofen", "--start", "2026-12-01", "-f", "json", env={"TZ": value})
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: TZ: {value!r} {reason}; set TZ to an IANA name (e.g. Europe/London) "
        "or give --tz\n"
    )
    # an explicit zone needs no TZ
    assert run("plan", "baclofen", "--tz", "UTC", "-f", "json", env={"TZ": value}).exit_code == 0


def test_local_instant_in_a_gap_of_a_whole_day_lands_on_the_next_midnight() -> None:
    instant, note = local_instant(date(2011, 12, 30), time(8), zone("Pacific/Apia"))
    assert instant.isoformat() == "2011-12-31T00:00:00+14:00"
    assert note is not None and "2011-12-31 00:00" in note


def test_a_zone_name_with_a_path_is_not_a_zone() -> None:
    with pytest.raises(InputError):
        zone("/usr/share/zoneinfo/UTC")
