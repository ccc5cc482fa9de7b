"""The catalogue commands: regimens, show, rules, schema, --version."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from jsonschema import Draft202012Validator

from conftest import run
from titrate import __version__
from titrate.rules import catalogue

# DESIGN.md's slug table: the slugs scripts rely on, with their severities.
DESIGN_SLUGS = {
    "over-daily-max": "error",
    "over-single-dose": "warning",
    "too-many-doses-per-day": "warning",
    "escalation-too-fast": "warning",
    "abrupt-stop": "error",
    "taper-too-fast": "warning",
    "age-below-minimum": "error",
    "renal-impairment": "warning",
    "cns-depressant": "warning",
    "dose-not-measurable": "error",
    "in-use-expiry": "warning",
    "missed-dose": "warning",
    "double-dose": "error",
    "doses-too-close": "warning",
    "dose-differs": "warning",
}


def test_every_rule_is_documented_like_a_linter_rule() -> None:
    rules = catalogue()
    assert rules
    codes = [rule.code for rule in rules]
    assert len(codes) == len(set(codes))
    for rule in rules:
        assert re.fullmatch(r"TT\d{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.slug), rule.slug
        assert "Passes:" in rule.doc and "Fails:" in rule.doc, rule.code
        assert rule.enforces, rule.code
        if rule.slug in DESIGN_SLUGS:
            assert rule.severity == DESIGN_SLUGS[rule.slug], rule.slug


def test_rules_command_prints_each_rule_with_its_source() -> None:
    result = run("rules", "--regimen", "baclofen")
    assert result.exit_code == 0
    for rule in catalogue():
        assert f"{rule.code}  {rule.slug}" in result.stdout
    assert "medlibrary.org" in result.stdout
    assert "implied by the label's wording" in result.stdout


def test_rules_json() -> None:
    rows = json.loads(run("rules", "-f", "json").stdout)
    assert {row["rule"] for row in rows} >= {"over-daily-max", "escalation-too-fast"}
    assert all(row["doc"] and row["code"] for row in rows)


def test_regimens_lists_baclofen() -> None:
    result = run("regimens")
    assert result.exit_code == 0
    assert result.stdout.startswith("baclofen")
    ids = [row["id"] for row in json.loads(run("regimens", "-f", "json").stdout)]
    assert "baclofen" in ids


def test_show_prints_steps_limits_population_times_and_sources() -> None:
    result = run("show", "baclofen")
    assert result.exit_code == 0
    out = result.stdout
    assert "1. 5 mg 3x a day for 3 days (days 1-3), 15 mg a day" in out
    assert "4. 20 mg 3x a day for 3 days (days 10-12), 60 mg a day" in out
    assert "daily maximum" in out and "80 mg" in out
    assert "minimum age" in out and "12 years" in out
    assert "3x a day: 08:00, 14:00, 20:00" in out
    assert "https://medlibrary.org/lib/rx/meds/baclofen-16/page/2/" in out
    regimen = json.loads(run("show", "baclofen", "-f", "json").stdout)
    assert regimen["limits"]["max_daily_mg"]["value"] == 80


def test_show_unknown_regimen_exits_2() -> None:
    result = run("show", "nope")
    assert result.exit_code == 2
    assert "unknown regimen 'nope'" in result.stderr


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(run("schema").stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["schema_version"]["const"] == "1"


def test_version_and_module_entry_point() -> None:
    assert run("--version").stdout.strip() == f"titrate {__version__}"
    completed = subprocess.run(
        [sys.executable, "-m", "titrate", "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"titrate {__version__}"


def test_bare_command_shows_usage_and_exits_2() -> None:
    result = run()
    assert result.exit_code == 2
    assert "Usage" in result.stdout + result.stderr
