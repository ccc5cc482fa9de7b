"""Issue 18: a taper that drops doses a day (`taper.frequency_steps`), as ropinirole's
discontinuation does: each dose keeps its size, three times a day → twice a day for 4
days → once a day for 3 days → stop. Tested on a small regimen file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from conftest import run
from titrate.schema.regimen import Taper

DEMO = str(Path(__file__).parent / "rules" / "regimens" / "issue18.yaml")
TAPER = ("taper", "demo-taper", "--regimens", DEMO, "--start", "2026-12-29", "--tz", "UTC")


def taper_json(*args: str) -> dict[str, Any]:
    result = run(*TAPER, *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def day_counts(plan: dict[str, Any]) -> list[tuple[str, int, float]]:
    return [(day["date"], day["doses"], day["total_mg"]) for day in plan["days"]]


def test_three_times_a_day_drops_to_twice_for_4_days_then_once_for_3_then_stops() -> None:
    plan = taper_json("--from-mg", "1", "--doses-per-day", "3")
    assert day_counts(plan) == [
        ("2026-12-29", 2, 2),
        ("2026-12-30", 2, 2),
        ("2026-12-31", 2, 2),
        ("2027-01-01", 2, 2),
        ("2027-01-02", 1, 1),
        ("2027-01-03", 1, 1),
        ("2027-01-04", 1, 1),
    ]
    assert {dose["dose_mg"] for dose in plan["doses"]} == {1}
    assert [dose["at"][11:16] for dose in plan["doses"][:3]] == ["08:00", "20:00", "08:00"]
    assert plan["then"]["action"] == "stop" and plan["then"]["from"] == "2027-01-05"
    assert plan["findings"] == []
    assert plan["notes"][0] == (
        "Taper pace: each dose stays 1 mg and the doses a day fall: 1 mg 2× a day for 4 "
        "day(s), then 1 mg 1× a day for 3 day(s), then stop, from the regimen's taper data "
        "(secondary summaries of the label, not the label text itself) [S]."
    )


def test_from_twice_a_day_it_starts_at_the_once_a_day_step() -> None:
    plan = taper_json("--from-mg", "0.5", "--doses-per-day", "2")
    assert day_counts(plan) == [
        ("2026-12-29", 1, 0.5),
        ("2026-12-30", 1, 0.5),
        ("2026-12-31", 1, 0.5),
    ]
    assert "this taper starts at its step of 1× a day" in plan["notes"][1]
    assert plan["findings"] == []


def test_from_four_a_day_the_note_says_the_first_step_drops_two() -> None:
    plan = taper_json("--from-mg", "1", "--doses-per-day", "4")
    assert day_counts(plan)[0] == ("2026-12-29", 2, 2)
    assert any("drops 2 doses a day at once" in note for note in plan["notes"])


@pytest.mark.parametrize("fmt", ["table", "md", "html", "csv", "ics", "fhir"])
def test_every_format_says_it_stops(fmt: str) -> None:
    result = run(*TAPER, "--from-mg", "1", "--doses-per-day", "3", "-f", fmt)
    assert result.exit_code == 0, result.stderr
    text = result.stdout.lower()
    assert "stop" in text


def test_the_table_ends_with_the_stop() -> None:
    result = run(*TAPER, "--from-mg", "1", "--doses-per-day", "3")
    assert "Then: After the 08:00 dose on Mon 4 Jan, stop." in result.stdout


def test_a_custom_course_that_skips_a_count_and_stops_early_is_too_fast() -> None:
    result = run(
        "plan", "demo-taper", "--regimens", DEMO, "--start", "2026-12-01", "--tz", "UTC",
        "--steps", "1x3:7,1x1:2", "--then", "stop", "-f", "json",
    )  # fmt: skip
    findings = json.loads(result.stdout)["findings"]
    assert [f["message"] for f in findings if f["rule"] == "taper-too-fast"] == [
        "Day 8: 3 → 1 mg a day goes from 3 to 1 doses a day (guidance: 2× a day next) "
        "(taper pace: secondary summaries of the label, not the label text itself).",
        "Day 9: the taper stops after 2 day(s) at 1× a day (guidance: 3 days before "
        "stopping; taper pace: secondary summaries of the label, not the label text itself).",
        "The taper from 3 mg a day lasts 3 day(s); the guidance is at least 7 days "
        "(secondary summaries of the label, not the label text itself).",
    ]
    assert all(f["source"].startswith("[S]") for f in findings)


def test_a_custom_course_at_the_pace_passes() -> None:
    result = run(
        "plan", "demo-taper", "--regimens", DEMO, "--start", "2026-12-01", "--tz", "UTC",
        "--steps", "1x3:7,1x2:4,1x1:3", "--then", "stop", "-f", "json",
    )  # fmt: skip
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == []


def test_a_step_in_mg_needs_its_interval_and_every_days_alone_is_refused() -> None:
    result = run(*TAPER, "--from-mg", "1", "--doses-per-day", "3", "--step-mg", "0.25")
    assert result.exit_code == 2
    assert "tapers by doses a day; a step in mg needs --every-days too" in result.stderr
    result = run(*TAPER, "--from-mg", "1", "--doses-per-day", "3", "--every-days", "2")
    assert result.exit_code == 2 and "--every-days applies only with --step-mg" in result.stderr
    mg = taper_json(
        "--from-mg", "1", "--doses-per-day", "3", "--step-mg", "0.5", "--every-days", "4"
    )
    assert [day["total_mg"] for day in mg["days"]][::4] == [1.5]
    assert "the regimen's pace keeps each dose and lowers the doses a day" in mg["notes"][0]


def test_the_data_must_lower_the_count_and_be_the_only_pace() -> None:
    base = {"source": ["S"], "basis": "secondary"}
    with pytest.raises(ValidationError, match="lower the doses a day at every step"):
        Taper.model_validate(
            {**base, "frequency_steps": [{"per_day": 1, "days": 3}, {"per_day": 2, "days": 4}]}
        )
    with pytest.raises(ValidationError, match="exactly one of"):
        Taper.model_validate(
            {
                **base,
                "step_mg_per_dose": 5,
                "every_days": 3,
                "frequency_steps": [{"per_day": 1, "days": 3}],
            }
        )
    with pytest.raises(ValidationError, match="every_days is required"):
        Taper.model_validate({**base, "step_mg_per_dose": 5})
