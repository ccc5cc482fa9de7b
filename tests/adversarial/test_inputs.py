"""Hostile round 2, inputs accepted that should not be, and the calendar's ends.

Before issue 16: `--age 1_2` planned for a 12-year-old, `--start 20261201` was taken
though the message says YYYY-MM-DD, a log cell `５` was 5 mg, a plan file whose
`regimen.id` was changed was judged by the other drug's limits, text with ESC or NUL from a
plan, log or batch file reached the outputs raw, and `--start 9999-12-20 -f ics` crashed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run

START = ("--start", "2026-12-01", "--tz", "UTC")


def one_line_error(result: object) -> str:
    assert result.exit_code == 2, result.stdout  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    return stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--age", "1_2"), "--age: '1_2' is not an age in years"),
        (("--age", "５"), "--age: '５' is not an age in years"),
        (("--crcl", "6_0"), "--crcl: '6_0' is not a creatinine clearance in mL/min"),
        (("--target-mg", "1_0"), "--target-mg: '1_0' is not a number of milligrams"),
        (("--target-mg", "٢٠"), "--target-mg: '٢٠' is not a number of milligrams"),
        (("--start", "20261201"), "--start: '20261201' is not a date YYYY-MM-DD that exists"),
        (("--start", "2026-W49-2"), "--start: '2026-W49-2' is not a date YYYY-MM-DD that exists"),
        (("--steps", ""), "--steps: empty; expected e.g. '5x3:3,10x3:3' (mg x doses a day : days)"),
    ],
)
def test_numbers_and_dates_are_ascii_and_as_documented(args: tuple[str, ...], message: str) -> None:
    result = run("plan", "baclofen", "--tz", "UTC", *args, "-f", "json")
    assert one_line_error(result) == f"titrate: error: {message}\n"


def test_the_number_parser_refuses_what_python_would_take() -> None:
    from decimal import Decimal

    from titrate.io.numbers import decimal_or_none, whole_or_none

    for text in ("1_2", "５", "٢", "nan", "inf", "0x10", "", " ", "1e", "--1", "+"):
        assert decimal_or_none(text) is None, text
    assert decimal_or_none(True) is None and whole_or_none(True) is None
    assert decimal_or_none(" 7.5 ") == Decimal("7.5") and decimal_or_none("1e3") == 1000
    assert whole_or_none("3") == 3 and whole_or_none("3.0") is None


def plan_file(tmp_path: Path, *args: str) -> Path:
    result = run("plan", "baclofen", *START, "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "plan.json"
    path.write_text(result.stdout)
    return path


def test_log_cells_with_non_ascii_digits_are_that_rows_error(tmp_path: Path) -> None:
    plan = plan_file(tmp_path)
    log = tmp_path / "log.csv"
    log.write_text("taken_at,dose_mg\n2026-12-01T08:00,５\n2026-12-01T14:00,5\n")
    result = run("audit", str(plan), str(log), "--now", "2026-12-01T21:00", "-f", "json")
    rejected = json.loads(result.stdout)["rejected_rows"]
    assert rejected == [
        {"line": 2, "message": "dose_mg '５' is not a number", "text": "2026-12-01T08:00,５"}
    ]


def test_duplicate_json_keys_in_a_log_are_refused(tmp_path: Path) -> None:
    plan = plan_file(tmp_path)
    log = tmp_path / "log.jsonl"
    log.write_text('{"taken_at":"2026-12-01T08:00","dose_mg":5,"dose_mg":50}\n')
    result = run("audit", str(plan), str(log), "--now", "2026-12-01T21:00")
    assert "line 1: duplicate key 'dose_mg'" in one_line_error(result)


def test_a_log_line_with_an_escape_sequence_never_reaches_the_report(tmp_path: Path) -> None:
    plan = plan_file(tmp_path)
    log = tmp_path / "log.csv"
    log.write_text('taken_at,dose_mg,note\n2026-12-01T08:00,5,"a\x1b[2Jb"\n2026-12-01T14:00,5,\n')
    result = run("audit", str(plan), str(log), "--now", "2026-12-01T15:00")
    assert "\x1b" not in result.stdout + result.stderr
    assert "line 2: the line holds a control character U+001B (ESC)" in result.stdout


def test_a_plan_file_whose_regimen_id_was_changed_is_edited(tmp_path: Path) -> None:
    path = plan_file(tmp_path)
    path.write_text(path.read_text().replace('"id": "baclofen"', '"id": "tizanidine"'))
    for args in (
        ("missed", "--plan", str(path), "--dose-number", "2", "--now", "2026-12-01T15:00"),
        ("audit", str(path), "/dev/null", "--now", "2026-12-01T15:00"),
    ):
        assert one_line_error(run(*args)) == (
            f"titrate: error: {path}: regimen.name: the plan says 'Baclofen (oral)' but regimen "
            "'tizanidine' has 'Tizanidine (oral tablets or capsules)'; the plan file is "
            "inconsistent (edited, or written with other regimen data): write it again with "
            "`titrate plan -f json`\n"
        )


@pytest.mark.parametrize("raw", ["\\u001b]0;pwned\\u0007", "\\u0000", "\\u009b2J"])
def test_control_characters_in_a_plan_file_are_refused_with_file_and_line(
    tmp_path: Path, raw: str
) -> None:
    path = plan_file(tmp_path, "--patient", "Jane")
    path.write_text(path.read_text().replace('"name": "Jane"', f'"name": "Ja{raw}ne"'))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "Ja" in text)
    for args in (
        ("missed", "--plan", str(path), "--dose-number", "2", "--now", "2026-12-01T15:00"),
        ("check", str(path), "-f", "html"),
    ):
        stderr = one_line_error(run(*args))
        assert stderr.startswith(f"titrate: error: {path}:{line}: patient.name: text holds ")


def test_control_characters_in_a_batch_row_cost_that_row_only(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id,regimen,start,patient\np1,baclofen,2026-12-01,A\x1b]0;t\x07B\np2,baclofen,2026-12-01,Jane\n"
    )
    result = run("batch", str(rows))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 2
    assert records[0] == {
        "row": 1,
        "id": "p1",
        "error": "line 2: patient: text holds a control character U+001B (ESC)",
    }
    assert records[1]["row"] == 2 and records[1]["plan"]["patient"]["name"] == "Jane"


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "baclofen", "--start", "9999-12-20", "--tz", "UTC", "-f", "ics"),
        ("plan", "baclofen", "--start", "0001-01-01", "--tz", "Pacific/Kiritimati", "-f", "ics"),
    ],
)
def test_the_calendars_ends_exit_2_in_one_line(args: tuple[str, ...]) -> None:
    assert one_line_error(run(*args)) == (
        "titrate: error: the plan reaches the end of the calendar (0001-01-01 or 9999-12-31) "
        "and this needs a day beyond it; give a later or an earlier --start\n"
    )


def test_a_taper_from_a_plan_ending_9999_12_31_exits_2(tmp_path: Path) -> None:
    # A plan ending on 9999-12-31 cannot say what follows it (its `then` has no day): it
    # is refused; a plan ending the day before is written, and a taper after it is not.
    late = run("plan", "baclofen", "--start", "9999-12-20", "--tz", "UTC", "-f", "json")
    assert "end of the calendar" in one_line_error(late)
    late = run("plan", "baclofen", "--start", "9999-12-19", "--tz", "UTC", "-f", "json")
    assert late.exit_code == 0, late.stderr
    path = tmp_path / "late.json"
    path.write_text(late.stdout)
    assert one_line_error(run("taper", "baclofen", "--from-plan", str(path))) == (
        "titrate: error: --start: the plan runs past the year 9999\n"
    )


def test_the_first_day_of_the_calendar_east_of_utc_plans_and_checks_spacing() -> None:
    # 0001-01-01 08:00 in Tokyo is 0000-12-31 in UTC: spacing is still computed.
    result = run(
        "plan", "tizanidine", "--start", "0001-01-01", "--tz", "Asia/Tokyo", "--steps", "2x3:3",
        "--times", "08:00,10:00,20:00", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0  # warnings: the plan continues, no abrupt stop
    close = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "doses-too-close"]
    assert [(f["day"], f["last_day"]) for f in close] == [(1, 3)]
