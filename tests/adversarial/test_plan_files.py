"""Hostile, broken and hand-edited plan JSON files given to the commands that act on a
plan: `audit PLAN LOG`, `missed --plan`, `taper --from-plan` (and `check`).

Decision: a plan file that is not exactly consistent (a day's total that is not the sum
of its doses, a dose outside its day, a foreign UTC offset, numbers out of order, an
impossible date) is refused in one line naming file:line and field, exit 2; it is
never used. A consistent plan edited to break a limit is used but flagged: its findings
are computed afresh from the regimen data and shown.

Raw files (not JSON, NaN, nesting …) are one case per file in plan_files/, with their
expected stderr in EXPECTED; edited plans are made from a fresh `titrate plan -f json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import run

FILES = Path(__file__).parent / "plan_files"
# file → the rest of the one stderr line after "titrate: error: PATH"
EXPECTED = {
    "array_not_object.json": ": not a titrate plan (expected the JSON of `titrate plan -f json`)",
    "deep_nesting.json": ": JSON nested too deeply to be a plan",
    "empty.json": ": plan file is empty",
    "infinity.json": ":5: -Infinity is not a number a plan may contain",
    "nan.json": ":5: NaN is not a number a plan may contain",
    "not_a_plan.json": ": not a titrate plan (expected the JSON of `titrate plan -f json`)",
    "not_json.json": ":1: not valid JSON: Expecting value",
    "not_utf8.json": ": not UTF-8 text (byte 0: b'\\xff')",
    "whitespace_only.json": ": plan file is empty",
    "yaml_not_json.json": ":1: not valid JSON: Expecting value",
}
LOG = "taken_at,dose_mg\n2026-12-01T08:00Z,5\n"


def commands(plan: Path, tmp_path: Path) -> dict[str, list[str]]:
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    return {
        "audit": ["audit", str(plan), str(log), "--now", "2026-12-13T09:00"],
        "missed": [
            "missed",
            "--plan",
            str(plan),
            "--dose-number",
            "1",
            "--now",
            "2026-12-01T09:00",
        ],
        "taper": ["taper", "baclofen", "--from-plan", str(plan)],
    }


def test_every_file_states_its_outcome() -> None:
    assert sorted(path.name for path in FILES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("command", ["audit", "missed", "taper"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_raw_plan_file(name: str, command: str, tmp_path: Path) -> None:
    path = FILES / name
    result = run(*commands(path, tmp_path)[command])
    assert result.exit_code == 2, result.stdout[:200]
    assert result.stderr == f"titrate: error: {path}{EXPECTED[name]}\n"
    assert result.stdout == ""


def test_check_refuses_deep_nesting_in_one_line() -> None:
    path = FILES / "deep_nesting.json"
    result = run("check", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"titrate: error: {path}: nested too deeply (limit 64 levels)\n"


def test_directory_instead_of_a_plan(tmp_path: Path) -> None:
    for command in ("audit", "missed"):
        result = run(*commands(tmp_path, tmp_path)[command])
        assert result.exit_code == 2
        assert (
            result.stderr == f"titrate: error: {tmp_path}: is a directory, expected a plan file\n"
        )
    # taper and check declare FILE options that refuse a directory in typer's usage format
    result = run(*commands(tmp_path, tmp_path)["taper"])
    assert result.exit_code == 2
    assert "is a directory" in result.stderr and "Traceback" not in result.stderr


def test_plan_file_over_the_size_cap(tmp_path: Path) -> None:
    """io.yamltext.read_text caps regimen and plan files at 2 MiB (MAX_INPUT_BYTES)."""
    path = tmp_path / "padded.json"
    path.write_text("{" + " " * (3 * 1024 * 1024) + "}")
    result = run(*commands(path, tmp_path)["audit"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {path}: plan file is {3 * 1024 * 1024 + 2} bytes; "
        "the limit is 2097152 bytes\n"
    )


def test_unreadable_plan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{}")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)  # root can read anything
    result = run(*commands(path, tmp_path)["audit"])
    assert result.exit_code == 2
    assert result.stderr == f"titrate: error: {path}: cannot read plan file: permission denied\n"


# --- Hand-edited plans ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def label() -> dict[str, Any]:
    result = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "-f", "json")
    assert result.exit_code == 0
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    node: Any = data
    for part in parents:
        node = node[part]
    node[last] = value


def edit(*changes: tuple[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(plan: dict[str, Any]) -> dict[str, Any]:
        copy = json.loads(json.dumps(plan))
        for path, value in changes:
            _set(copy, path, value)
        return copy

    return apply


def swap_doses(plan: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(plan))
    copy["doses"][3], copy["doses"][4] = copy["doses"][4], copy["doses"][3]
    return copy


INCONSISTENT = (
    "; the plan file is inconsistent (edited or damaged): write it again with "
    "`titrate plan -f json`"
)
# case → (edit, the JSON path reported, the line's text must contain, message)
EDITS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str, str, str]] = {
    "day_total_not_the_sum": (
        edit(("days.1.total_mg", 20)),
        "days.1",
        "{",
        "day 2 says 3 doses, 20 mg, but its doses are 3, 15 mg",
    ),
    "day_dose_count_wrong": (
        edit(("days.1.doses", 2)),
        "days.1",
        "{",
        "day 2 says 2 doses, 15 mg, but its doses are 3, 15 mg",
    ),
    "dose_raised_without_its_day": (
        edit(("doses.4.dose_mg", 50)),
        "days.1",
        "{",
        "day 2 says 3 doses, 15 mg, but its doses are 3, 60 mg",
    ),
    "dose_moved_to_another_day": (
        edit(("doses.4.at", "2026-12-05T14:00:00Z")),
        "doses.4.at",
        '"at": "2026-12-05T14:00:00Z"',
        "dose 5 at 2026-12-05T14:00:00+00:00 is on 2026-12-05, outside its day 2 (2026-12-02)",
    ),
    "dose_with_a_foreign_offset": (
        edit(("doses.4.at", "2026-12-02T15:00:00+01:00")),
        "doses.4.at",
        '"at": "2026-12-02T15:00:00+01:00"',
        "dose 5 at 2026-12-02T15:00:00+01:00 does not carry UTC's UTC offset for that wall "
        "time (+00:00)",
    ),
    "doses_out_of_order": (
        swap_doses,
        "doses.3.number",
        '"number": 5',
        "dose number 5 where 4 was expected",
    ),
    "dose_number_repeated": (
        edit(("doses.3.number", 3)),
        "doses.3.number",
        '"number": 3',
        "dose number 3 where 4 was expected",
    ),
    "dose_on_a_missing_day": (
        edit(("doses.4.day", 40)),
        "doses.4.day",
        '"day": 40',
        "dose 5 is on day 40, not in `days`",
    ),
    "step_changed_on_one_dose": (
        edit(("doses.4.step", 2)),
        "doses.4.step",
        '"step": 2',
        "dose 5 is step 2, its day 2 step 1",
    ),
    "day_redated": (
        edit(("days.2.date", "2026-12-09")),
        "days.2.date",
        '"date": "2026-12-09"',
        "day 3 is dated 2026-12-09, but the plan starts 2026-12-01, so it is 2026-12-03",
    ),
    "start_changed": (
        edit(("start", "2026-11-30")),
        "days.0.date",
        '"date": "2026-12-01"',
        "day 1 is dated 2026-12-01, but the plan starts 2026-11-30, so it is 2026-11-30",
    ),
    "unknown_time_zone": (
        edit(("timezone", "Mars/Olympus_Mons")),
        "timezone",
        '"timezone": "Mars/Olympus_Mons"',
        "unknown time zone 'Mars/Olympus_Mons' (use an IANA name, e.g. Europe/London)",
    ),
}
# Refused by validation (before consistency): the field's own message.
IMPOSSIBLE = {
    "impossible_day_date": (
        edit(("days.2.date", "2026-02-30")),
        "days.2.date",
        '"date": "2026-02-30"',
        "Input should be a valid date or datetime, day value is outside expected range",
    ),
    "impossible_dose_time": (
        edit(("doses.4.at", "2026-02-30T14:00:00Z")),
        "doses.4.at",
        '"at": "2026-02-30T14:00:00Z"',
        "Input should be a valid datetime or date, day value is outside expected range",
    ),
    "dose_of_1e400": (
        lambda plan: plan,  # written as text below: json.dumps cannot write 1e400
        "doses.0.dose_mg",
        '"dose_mg": 1e400',
        "Input should be a finite number",
    ),
    "negative_dose": (
        edit(("doses.0.dose_mg", -5)),
        "doses.0.dose_mg",
        '"dose_mg": -5',
        "Input should be greater than 0",
    ),
}


def write_case(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if name == "dose_of_1e400":
        text = text.replace('"dose_mg": 5,', '"dose_mg": 1e400,', 1)
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["audit", "missed", "taper", "check"])
@pytest.mark.parametrize("case", sorted(EDITS) + sorted(IMPOSSIBLE))
def test_edited_plan_is_refused_with_file_line_and_field(
    case: str, command: str, label: dict[str, Any], tmp_path: Path
) -> None:
    change, field, line_text, message = {**EDITS, **IMPOSSIBLE}[case]
    path = write_case(tmp_path, case, change(label))
    argv = commands(path, tmp_path)[command] if command != "check" else ["check", str(path)]
    result = run(*argv)
    assert result.exit_code == 2, (result.stdout[:300], result.stderr)
    assert result.stdout == ""
    if command == "check" and field == "days.1":
        # check compares day totals itself, with advice for people checking an edit
        assert result.stderr.startswith(f"titrate: error: {path}: days.1: {message}; fix ")
        return
    suffix = INCONSISTENT if case in EDITS else ""
    pattern = rf"titrate: error: {re.escape(str(path))}:(\d+): {re.escape(field)}: "
    found = re.fullmatch(pattern + re.escape(message + suffix) + "\n", result.stderr)
    assert found, result.stderr
    line = path.read_text().splitlines()[int(found.group(1)) - 1]
    assert line_text in line, (found.group(1), line)


def test_consistent_edit_over_a_limit_is_used_but_flagged(
    label: dict[str, Any], tmp_path: Path
) -> None:
    """Dose 5 raised to 50 mg with its day's total: consistent, so not refused, and every
    command that acts on it shows the limits it breaks."""
    data = edit(("doses.4.dose_mg", 50), ("doses.4.amount", None), ("days.1.total_mg", 60))(label)
    path = write_case(tmp_path, "raised", data)
    argv = commands(path, tmp_path)
    audit = run(*argv["audit"], "-f", "json")
    assert audit.exit_code == 1  # the log is one dose: the other 35 are missed, and…
    flagged = {(f["rule"], f["day"]) for f in json.loads(audit.stdout)["findings"]}
    assert ("over-single-dose", 2) in flagged  # …the plan's own finding leads the list
    missed = run(*argv["missed"], "-f", "json", "--fail-on", "warning")
    assert missed.exit_code == 1
    assert ("over-single-dose", 2) in {
        (f["rule"], f["day"]) for f in json.loads(missed.stdout)["findings"]
    }
    check = run("check", str(path), "-f", "json")
    assert check.exit_code == 1
    assert ("over-single-dose", 2) in {
        (f["rule"], f["day"]) for f in json.loads(check.stdout)["findings"]
    }


def test_plans_the_tool_writes_are_consistent(tmp_path: Path) -> None:
    """Every kind of plan titrate writes passes the consistency check it applies on
    reading: titration, custom steps, taper, rule-based, clock changes both ways."""
    cases = {
        "label": ["plan", "baclofen", "--start", "2026-12-01"],
        "custom": ["plan", "baclofen", "--start", "2026-12-01", "--steps", "5x3:2,10x4:2"],
        "taper": ["taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3"],
        "rule": ["plan", "tizanidine", "--target-mg", "8", "--step-mg", "2", "--every-days", "2"],
        "spring": [
            "plan",
            "baclofen",
            "--start",
            "2026-03-07",
            "--tz",
            "America/New_York",
            "--times",
            "02:30,14:00,20:00",
        ],
        "fall": [
            "plan",
            "baclofen",
            "--start",
            "2026-10-24",
            "--tz",
            "Europe/London",
            "--times",
            "01:30,12:00,20:00",
        ],
        "year_end": ["plan", "baclofen", "--start", "2026-12-28", "--tz", "Pacific/Auckland"],
        # local mean time, -00:01:15: JSON writes whole-minute offsets (-00:01)
        "lmt": ["plan", "baclofen", "--start", "1800-01-01", "--tz", "Europe/London"],
    }
    for name, argv in cases.items():
        path = tmp_path / f"{name}.json"
        made = run(*argv, "-f", "json", "-o", str(path))
        assert made.exit_code in (0, 1), (name, made.stderr)
        log = tmp_path / "log.csv"
        log.write_text(LOG)
        result = run("audit", str(path), str(log), "--now", "2099-01-01T00:00")
        assert result.exit_code in (0, 1), (name, result.stderr)
