"""Regimen data: the shipped file and users' files, with FILE:LINE errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run
from titrate.catalog import builtin_regimens, load_regimens
from titrate.errors import InputError

MINIMAL = """\
schema_version: 1
regimens:
  - id: demo
    name: Demo drug
    drug: demo
    summary: A made-up regimen for a student exercise.
    titration:
      steps:
        - {dose_mg: 2, per_day: 2, days: 2}
        - {dose_mg: 4, per_day: 2, days: 2}
      source: [S1]
    limits:
      max_daily_mg: {value: 10, source: [S1]}
    dose_times:
      by_frequency:
        2: ["09:00", "21:00"]
      source: [S1]
      basis: convention
    sources:
      - {id: S1, title: Teaching example, url: "https://example.org/demo", retrieved: 2026-11-26}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


def test_builtin_baclofen_facts_match_the_label() -> None:
    (baclofen,) = [r for r in builtin_regimens() if r.id == "baclofen"]
    assert [(s.dose_mg, s.per_day, s.days) for s in baclofen.titration.steps] == [
        (5, 3, 3),
        (10, 3, 3),
        (15, 3, 3),
        (20, 3, 3),
    ]
    assert baclofen.limits.max_daily_mg.value == 80
    assert baclofen.limits.max_single_mg is not None
    assert baclofen.limits.max_single_mg.basis == "implied"
    assert baclofen.population is not None and baclofen.population.min_age_years == 12
    times = {
        k: [t.strftime("%H:%M") for t in v] for k, v in baclofen.dose_times.by_frequency.items()
    }
    assert times[3] == ["08:00", "14:00", "20:00"]
    assert times[4] == ["08:00", "12:00", "16:00", "20:00"]
    assert baclofen.dose_times.basis == "convention"


def test_every_fact_cites_a_listed_source() -> None:
    for regimen in builtin_regimens():
        known = {s.id for s in regimen.sources}
        for _, fact in regimen.facts():
            assert set(fact.source) <= known


def test_user_regimen_file_is_loaded_and_planned(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    assert "demo" in load_regimens([path])
    result = run("plan", "demo", "--start", "2026-12-01", "--regimens", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [d["total_mg"] for d in plan["days"]] == [4, 4, 8, 8]
    assert plan["doses"][0]["at"].endswith("T09:00:00Z")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("{dose_mg: 2, per_day: 2, days: 2}", "{dose_mg: -2, per_day: 2, days: 2}"),
            ":9: regimens.0.titration.steps.0.dose_mg: Input should be greater than 0",
        ),
        (
            ("{dose_mg: 2, per_day: 2, days: 2}", "{dose_mg: .nan, per_day: 2, days: 2}"),
            ":9: regimens.0.titration.steps.0.dose_mg",
        ),
        (('2: ["09:00", "21:00"]', "2: [09:00, 21:00]"), None),  # YAML 1.2 keeps text: valid
        (
            ('2: ["09:00", "21:00"]', '2: ["09:00", "25:00"]'),
            ":16: regimens.0.dose_times.by_frequency.2.1: Input should be in a valid time format",
        ),
        (("    drug: demo\n", "    drug: demo\n    drug: other\n"), ':6: duplicate key "drug"'),
        (
            ("    drug: demo\n", "    drug: demo\n    colour: blue\n"),
            ":6: regimens.0.colour: unknown field",
        ),
        (("source: [S1]\n    limits", "source: [S9]\n    limits"), "source 'S9' is not in"),
        (("{value: 10,", "{value: yes,"), "max_daily_mg.value"),
    ],
)
def test_bad_regimen_files_name_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], expected: str | None
) -> None:
    assert edit[0] in MINIMAL
    path = write(tmp_path, MINIMAL.replace(edit[0], edit[1], 1))
    if expected is None:
        assert "demo" in load_regimens([path])
        return
    with pytest.raises(InputError) as caught:
        load_regimens([path])
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("    name: Demo drug\n", "    name: [Demo drug\n"))
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr


def test_reusing_a_builtin_id_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("id: demo", "id: baclofen"))
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 2
    assert "already defined" in result.stderr


def test_unquoted_time_that_yaml_11_would_read_as_a_number_is_refused() -> None:
    from titrate.schema.regimen import DoseTimes

    with pytest.raises(ValueError, match="time of day must be written as text"):
        DoseTimes.model_validate({"by_frequency": {1: [840]}, "source": ["S1"]})
