"""Issue 18: a restart rule (`restart: {after_hours|after_days, source, basis}`): after
more than that long without a dose the titration starts again. `missed` says so instead
of take/skip; `audit` flags a log that resumes above the first step (TT507)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from conftest import run
from titrate.schema.cautions import Restart

DEMO = str(Path(__file__).parent / "rules" / "regimens" / "issue18.yaml")
PLAN = ("demo-taper", "--regimens", DEMO, "--start", "2026-12-01", "--tz", "UTC")


def missed_json(now: str) -> dict[str, Any]:
    result = run("missed", *PLAN, "--dose", "2026-12-05T08:00", "--now", now, "-f", "json")
    assert result.exit_code == 0, result.stderr
    advice: dict[str, Any] = json.loads(result.stdout)
    return advice


def test_after_more_than_the_gap_missed_says_ask_the_prescriber_the_titration_starts_again() -> (
    None
):
    # The last dose taken is 2026-12-04 20:00 (the one before the missed 08:00 dose).
    advice = missed_json("2026-12-10T09:00")  # 133 hours later: more than 127
    assert advice["action"] == "contact-prescriber"
    assert advice["rule_field"] == "restart.after_hours"
    assert advice["basis"] == "secondary" and advice["source"].startswith("[S] demo source")
    assert advice["message"] == (
        "The last dose taken was 2026-12-04 20:00 (0.25 mg), 133 hours ago: more than 127 "
        "hour(s) without demo. Do not restart at your last dose and do not take the missed "
        "doses; ask your prescriber: the titration starts again from its first step (0.25 mg "
        "3× a day). Never take two doses at once, and never take extra to make up for a "
        "missed dose."
    )


def test_at_the_gap_or_less_the_usual_advice_applies() -> None:
    advice = missed_json("2026-12-10T03:00")  # exactly 127 hours
    assert advice["action"] != "contact-prescriber" or advice["rule_field"] != "restart.after_hours"
    assert "titration starts again" not in advice["message"]
    assert advice["rule_field"] == "missed_dose.take_within_fraction"


def test_the_table_says_so_with_the_source() -> None:
    result = run("missed", *PLAN, "--dose", "2026-12-05T08:00", "--now", "2026-12-10T09:00")
    assert result.exit_code == 0
    assert "CONTACT THE PRESCRIBER BEFORE CONTINUING" in result.stdout
    assert "[restart.after_hours; basis: secondary]" in result.stdout
    assert "Source:       [S] demo source <https://example.org/demo>" in result.stdout


def test_a_regimen_without_a_restart_rule_is_unchanged() -> None:
    result = run(
        "missed", "baclofen", "--start", "2026-12-01", "--tz", "UTC",
        "--dose", "2026-12-02T08:00", "--now", "2026-12-02T09:00", "-f", "json",
    )  # fmt: skip
    assert json.loads(result.stdout)["action"] == "take"


def write_log(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("taken_at,dose_mg\n" + "".join(f"{at},{mg}\n" for at, mg in rows))
    return path


def plan_file(tmp_path: Path) -> Path:
    result = run("plan", *PLAN, "-f", "json")
    path = tmp_path / "plan.json"
    path.write_text(result.stdout)
    return path


def daily(days: range, mg: str) -> list[tuple[str, str]]:
    return [(f"2026-12-{d:02d}T{h}:00Z", mg) for d in days for h in ("08:00", "14:00", "20:00")]


def test_audit_flags_a_log_that_resumes_above_the_first_step_after_the_gap(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.csv", daily(range(1, 5), "0.25") + daily(range(11, 13), "0.5"))
    result = run(
        "audit", str(plan_file(tmp_path)), str(log), "--regimens", DEMO,
        "--now", "2026-12-12T21:00", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "TT507"]
    assert [(f["rule"], f["severity"], f["day"]) for f in found] == [
        ("restart-without-retitration", "error", 11)
    ]
    assert found[0]["message"] == (
        "0.5 mg logged at 2026-12-11 08:00 after 156h00 with no dose logged (since "
        "2026-12-04 20:00), more than 127 hours: after such a break the titration starts "
        "again from its first step (0.25 mg), not at the last dose. Contact the prescriber."
    )


def test_audit_accepts_a_restart_at_the_first_step(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.csv", daily(range(1, 5), "0.25") + daily(range(11, 13), "0.25"))
    result = run(
        "audit", str(plan_file(tmp_path)), str(log), "--regimens", DEMO,
        "--now", "2026-12-12T21:00", "-f", "json",
    )  # fmt: skip
    assert "TT507" not in [f["code"] for f in json.loads(result.stdout)["findings"]]


def test_the_rule_takes_exactly_one_of_days_or_hours() -> None:
    base = {"source": ["S"], "basis": "secondary"}
    assert Restart.model_validate({**base, "after_days": 5}).hours == 120
    with pytest.raises(ValidationError, match="exactly one of after_days or after_hours"):
        Restart.model_validate({**base, "after_days": 5, "after_hours": 120})
    with pytest.raises(ValidationError, match="exactly one"):
        Restart.model_validate(base)
