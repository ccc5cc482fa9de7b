"""`titrate batch`: one JSON line per request, in order; error records; exit statuses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from typer.testing import CliRunner

from conftest import CLI_ENV, run
from titrate import batch
from titrate.catalog import load_regimens
from titrate.cli import app
from titrate.render.json import plan_schema

HEADER = "id,regimen,start,times,tz,target_mg,hold_days,steps,age,patient\n"
LABEL_ROW = "p1,baclofen,2026-12-01,,Europe/London,,,,40,Ann Example\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lines_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_ten_thousand_rows_with_one_percent_invalid_give_ten_thousand_lines_and_exit_2(
    tmp_path: Path,
) -> None:
    bad_rows = [
        "bad{n},baclofen,2026-02-30,,UTC,,,,,",  # a date that does not exist
        "bad{n},baclofen,2026-12-01,,Mars/Olympus,,,,,",  # an unknown zone
        "bad{n},baclofn,2026-12-01,,UTC,,,,,",  # a misspelt regimen
        "bad{n},baclofen,2026-12-01,,UTC,,-1,,,",  # negative hold days
        "bad{n},baclofen,2026-12-01,,UTC,0,,,,",  # target 0 mg
    ]
    rows, expected_errors = [HEADER.strip()], {}
    for number in range(1, 10_001):
        if number % 100 == 0:
            rows.append(bad_rows[(number // 100) % len(bad_rows)].format(n=number))
            expected_errors[number] = f"bad{number}"
        else:  # a one-dose plan keeps the test quick (the bench times full plans)
            rows.append(f"r{number},baclofen,2026-12-01,,UTC,,,5x1:1,,")
    source = write(tmp_path, "clinic.csv", "\n".join(rows) + "\n")
    out = tmp_path / "plans.jsonl"

    result = run("batch", str(source), "-o", str(out))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "100 of 10000 rows invalid" in result.stderr
    assert "first: row 100: tz: unknown time zone 'Mars/Olympus'" in result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 10_000
    assert [record["row"] for record in records] == list(range(1, 10_001))
    errors = {record["row"]: record for record in records if "error" in record}
    assert {row: record["id"] for row, record in errors.items()} == expected_errors
    assert all("plan" not in record for record in errors.values())
    assert errors[200]["error"].startswith("regimen: unknown regimen 'baclofn'")
    assert errors[300]["error"].startswith("hold_days: '-1' is not a whole number of days")
    assert errors[400]["error"].startswith("target_mg: '0': must be a positive number")
    assert errors[500]["error"].startswith("start: '2026-02-30' is not a date")
    assert records[0] == {**records[0], "row": 1, "id": "r1"}
    assert len(records[0]["plan"]["doses"]) == 1


def test_a_plan_line_is_the_plan_json_document_with_row_and_id(tmp_path: Path) -> None:
    source = write(tmp_path, "one.csv", HEADER + LABEL_ROW)
    result = run("batch", str(source))
    assert result.exit_code == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith('{"row":1,"id":"p1","plan":{"schema_version":"1",')
    record = json.loads(line)
    assert list(record) == ["row", "id", "plan"]
    single = run(
        "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London", "--age", "40",
        "--patient", "Ann Example", "-f", "json",
    )  # fmt: skip
    assert record["plan"] == json.loads(single.stdout)
    Draft202012Validator(plan_schema(), format_checker=FormatChecker()).validate(record["plan"])
    assert record["plan"]["disclaimer"] and record["plan"]["sources"]


def test_json_lines_requests_numbers_lists_and_nulls(tmp_path: Path) -> None:
    requests = [
        {"id": 7, "regimen": "baclofen", "start": "2026-12-01", "tz": "UTC",
         "times": ["07:00", "13:00", "19:00"], "target_mg": 10, "hold_days": 2, "age": 40.5},
        {"id": "x", "regimen": "baclofen", "start": "2026-12-01", "tz": "UTC", "target_mg": 7.5,
         "patient": None},
        {"id": "y", "regimen": "baclofen", "dose": 5},
        {"id": "z", "regimen": "baclofen", "start": "2026-12-01", "hold_days": True},
    ]  # fmt: skip
    text = "\n".join(json.dumps(request) for request in requests) + "\n\n[1, 2]\n{oops\n"
    source = write(tmp_path, "requests.jsonl", text)
    result = run("batch", str(source), "--tz", "UTC")
    assert result.exit_code == 2
    records = lines_of(result.stdout)
    assert [record["row"] for record in records] == [1, 2, 3, 4, 5, 6]
    first = records[0]["plan"]
    assert first["times"] == {"3": ["07:00", "13:00", "19:00"]}
    assert [day["total_mg"] for day in first["days"]][-3:] == [30, 30, 30]
    assert len(first["days"]) == 8 and first["patient"]["age_years"] == 40.5
    assert records[0]["id"] == 7
    assert records[1]["plan"]["doses"][-1]["dose_mg"] == 7.5  # exact, not 7.4999…
    assert records[2] == {"row": 3, "id": "y", "error": records[2]["error"]}
    assert records[2]["error"].startswith("unknown field 'dose'")
    assert records[3]["error"] == "hold_days: expected text or a number, not true/false"
    assert records[4] == {"row": 5, "id": None, "error": "line 6: expected a JSON object per line"}
    assert records[5]["error"].startswith("line 7: not valid JSON")


def test_unknown_column_is_an_error_for_the_whole_file(tmp_path: Path) -> None:
    source = write(tmp_path, "bad.csv", "id,regimen,targetmg\np1,baclofen,10\n")
    out = tmp_path / "plans.jsonl"
    result = run("batch", str(source), "-o", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"titrate: error: {source}:1: unknown column 'targetmg' (known columns: "
        f"{', '.join(batch.COLUMNS)})\n"
    )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left behind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,start\np1,2026-12-01\n", "no `regimen` column"),
        ("id,regimen,id\n", "column 'id' appears twice"),
        ("\n\n", "no requests: the file is empty"),
    ],
)
def test_whole_file_problems_exit_2_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    source = write(tmp_path, "bad.csv", text)
    result = run("batch", str(source))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"titrate: error: {source}")
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_missing_file_and_bad_bytes_name_the_file_and_line(tmp_path: Path) -> None:
    missing = run("batch", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert missing.stderr == f"titrate: error: {tmp_path / 'nope.csv'}: no such file\n"
    source = tmp_path / "latin1.csv"
    source.write_bytes(HEADER.encode() + LABEL_ROW.encode() + b"p3,baclofen,,,,,,,,Jos\xe9\n")
    result = run("batch", str(source), "-o", str(tmp_path / "out.jsonl"))
    # the bad byte costs its row only (issue 16): row 1 is planned, row 2 is an error record
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {source}: 1 of 2 rows invalid (first: row 2: line 3: not UTF-8 "
        "text (byte 23 of the line)); their lines are error records\n"
    )
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [(r["row"], "plan" in r) for r in records] == [(1, True), (2, False)]
    assert records[1] == {
        "row": 2,
        "id": None,
        "error": "line 3: not UTF-8 text (byte 23 of the line)",
    }


def test_findings_exit_1_and_invalid_rows_win_with_2(tmp_path: Path) -> None:
    over = 'p2,baclofen,2026-12-01,,UTC,,,"20x4:3,25x4:3",,\n'
    source = write(tmp_path, "rows.csv", HEADER + LABEL_ROW + over)
    result = run("batch", str(source))
    assert result.exit_code == 1
    assert result.stderr == "titrate: 1 of 2 plans have findings at or above error\n"
    records = lines_of(result.stdout)
    assert records[0]["plan"]["findings"] == []
    assert {f["rule"] for f in records[1]["plan"]["findings"]} >= {"over-daily-max"}
    assert run("batch", str(source), "--fail-on", "never").exit_code == 0
    with_bad = write(tmp_path, "bad.csv", HEADER + over + "p3,baclofen,someday,,,,,,,\n")
    assert run("batch", str(with_bad)).exit_code == 2


def test_csv_details_quotes_bom_blank_lines_and_field_counts(tmp_path: Path) -> None:
    text = (
        "\ufeffID, Regimen ,Start,TZ,Patient,Target-MG\n"
        '"p1",baclofen,2026-12-01,UTC,"Smith, Ann",10\n'
        "\n"
        ",,,,,\n"
        "p2,baclofen,2026-12-01,UTC\n"
        "p3,baclofen,2026-12-01,UTC,Bo,10,extra\n"
        "p4,baclofen,2026-12-01,UTC,,\n"
    )
    result = run("batch", str(write(tmp_path, "rows.csv", text)))
    records = lines_of(result.stdout)
    assert [(r["row"], r["id"]) for r in records] == [(1, "p1"), (2, "p2"), (3, "p3"), (4, "p4")]
    assert records[0]["plan"]["patient"]["name"] == "Smith, Ann"
    assert records[1]["error"] == (
        "line 5: 4 fields but the header has 6 columns (check the commas and quotes)"
    )
    assert records[2]["error"].startswith("line 6: 7 fields")
    assert records[3]["plan"]["patient"]["name"] is None
    assert result.exit_code == 2


def test_too_long_name_is_a_row_error_not_a_crash(tmp_path: Path) -> None:
    source = write(
        tmp_path, "rows.csv", f"id,regimen,start,tz,patient\np1,baclofen,,UTC,{'A' * 10_001}\n"
    )
    result = run("batch", str(source))
    assert result.exit_code == 2
    [record] = lines_of(result.stdout)
    assert record["error"].startswith("patient: ") and "at most 10000" in record["error"]


def test_reads_stdin_and_writes_output_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "plans.jsonl"
    out.write_text("old\n")
    result = CliRunner().invoke(
        app, ["batch", "-", "-o", str(out)], input=HEADER + LABEL_ROW, env=CLI_ENV
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    [record] = lines_of(out.read_text(encoding="utf-8"))
    assert record["id"] == "p1" and len(record["plan"]["doses"]) == 36
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plans.jsonl"]


def test_empty_start_is_today_in_each_rows_zone_resolved_once() -> None:
    now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    planner = batch.Planner(load_regimens(), default_zone="UTC", now=now)
    stream = io.BytesIO(b"id,regimen,tz\na,baclofen,Pacific/Auckland\nb,baclofen,\n")
    summary = batch.Summary()
    lines = list(batch.plan_lines(batch.read_requests(stream, "x.csv"), planner, summary))
    starts = [json.loads(line)["plan"]["start"] for line in lines]
    assert starts == ["2026-12-02", "2026-12-01"]  # Auckland is already on the 2nd
    assert (summary.rows, summary.invalid, summary.failing) == (2, 0, 0)


class OneWayStream(io.RawIOBase):
    """A byte stream that records how many lines have been read from it."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self.source = lines
        self.read_lines = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        self.read_lines += 1
        return next(self.source, b"")


def test_lines_stream_one_request_at_a_time() -> None:
    def endless() -> Iterator[bytes]:
        yield b"id,regimen,start,tz,target_mg\n"
        number = 0
        while True:
            number += 1
            yield f"p{number},baclofen,2026-12-01,UTC,5\n".encode()

    stream = OneWayStream(endless())
    planner = batch.Planner(load_regimens(), default_zone="UTC")
    lines = batch.plan_lines(batch.read_requests(stream, "x.csv"), planner, batch.Summary())
    first_three = [json.loads(next(lines))["id"] for _ in range(3)]
    assert first_three == ["p1", "p2", "p3"]
    assert stream.read_lines <= 5  # the header, three rows, at most one read ahead


def test_plan_lines_for_generated_csv_match_rows_in_order(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "regimen", "start", "tz", "times"])
        for number, zone in enumerate(["UTC", "America/New_York", "Asia/Tokyo"], start=1):
            writer.writerow([f"p{number}", "baclofen", "2027-03-14", zone, "07:30,13:30,21:00"])
    records = lines_of(run("batch", str(source)).stdout)
    assert [r["id"] for r in records] == ["p1", "p2", "p3"]
    assert [r["plan"]["doses"][0]["at"] for r in records] == [
        "2027-03-14T07:30:00Z",
        "2027-03-14T07:30:00-04:00",  # New York is on daylight time from 2027-03-14
        "2027-03-14T07:30:00+09:00",
    ]


def test_progress_bar_only_for_large_files(tmp_path: Path) -> None:
    small = write(tmp_path, "small.csv", HEADER + LABEL_ROW)
    assert not batch.worth_a_progress_bar(small)
    assert not batch.worth_a_progress_bar(None)  # stdin: size unknown
    big = tmp_path / "big.csv"
    big.write_bytes(HEADER.encode() + LABEL_ROW.encode() * (batch.PROGRESS_MIN_BYTES // 40))
    assert batch.worth_a_progress_bar(big)
    seen: list[int] = []
    stream = io.BytesIO(HEADER.encode() + LABEL_ROW.encode() * 600)
    planner = batch.Planner(load_regimens(), default_zone="UTC")
    requests = batch.read_requests(stream, "x.csv", progress=seen.append)
    for _ in batch.plan_lines(requests, planner, batch.Summary()):
        pass
    assert seen[-1] == len(stream.getvalue())
    assert seen == sorted(seen) and len(seen) >= 3


def test_product_strengths_and_crcl_columns_reach_the_plan(tmp_path: Path) -> None:
    text = (
        "id,regimen,start,tz,product,strengths,crcl\n"
        "p1,baclofen,2026-12-01,UTC,,,25\n"
        "p2,baclofen,2026-12-01,UTC,,5,\n"
        "p3,baclofen,2026-12-01,UTC,,,lots\n"
        "p4,baclofen,2026-12-01,UTC,no-such-product,,\n"
    )
    result = run("batch", str(write(tmp_path, "rows.csv", text)), "--fail-on", "never")
    records = lines_of(result.stdout)
    renal = records[0]["plan"]
    assert renal["patient"]["crcl_ml_min"] == 25
    assert "renal-impairment" in {finding["rule"] for finding in renal["findings"]}
    pieces = {p["strength_mg"] for d in records[1]["plan"]["doses"] for p in d["amount"]["pieces"]}
    assert pieces == {5}
    assert records[2]["error"].startswith("crcl: ")
    assert records[3]["error"].startswith("product: ")
    assert result.exit_code == 2


def test_a_first_dose_column_starts_day_1_there_and_a_wrong_time_is_that_rows_error(
    tmp_path: Path,
) -> None:
    text = (
        "id,regimen,start,tz,first_dose\n"
        "evening,baclofen,2026-12-01,UTC,20:00\n"
        "whole,baclofen,2026-12-01,UTC,\n"
        "wrong,baclofen,2026-12-01,UTC,14:30\n"
    )
    result = run("batch", str(write(tmp_path, "rows.csv", text)))
    evening, whole, wrong = lines_of(result.stdout)
    assert [len(evening["plan"]["doses"]), evening["plan"]["doses"][0]["at"]] == [
        34,
        "2026-12-01T20:00:00Z",
    ]
    assert len(whole["plan"]["doses"]) == 36
    assert wrong["error"] == (
        "first_dose: 14:30 is not a dose time of day 1 (its times: 08:00, 14:00, 20:00)"
    )
    assert result.exit_code == 2


def test_reader_closing_the_pipe_stops_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = write(tmp_path, "rows.csv", HEADER + LABEL_ROW * 200)  # far more than a pipe holds
    child = subprocess.Popen(
        [sys.executable, "-m", "titrate", "batch", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "TZ": "UTC"},
    )
    assert child.stdout is not None and child.stderr is not None
    assert json.loads(child.stdout.readline())["row"] == 1
    child.stdout.close()  # like `| head -1`
    assert child.wait(timeout=120) == 141
    assert child.stderr.read() == b""
    child.stderr.close()


def test_broken_csv_rows_name_their_file_line(tmp_path: Path) -> None:
    text = (
        "\n\nid,regimen,start\n"
        'p1,baclofen,"2026"x\n'
        "p2,baclofen,2026-12-01\n"
        'p3,baclofen,"unterminated\n'
    )
    records = lines_of(run("batch", str(write(tmp_path, "rows.csv", text))).stdout)
    assert [(r["row"], r.get("error", "plan")) for r in records] == [
        (1, "line 4: not valid CSV: ',' expected after '\"'"),
        (2, "plan"),
        (3, "line 6: not valid CSV: unexpected end of data"),
    ]


# Each `plan` option added since batch was written: a valid row gives the plan
# `titrate plan` gives for the same options; a bad value gives an error record naming
# the column, with its row number.
NEW_COLUMNS = [
    pytest.param(
        {"regimen": "tizanidine", "target_mg": "8", "step_mg": "2", "every_days": "3"},
        ("tizanidine", "--target-mg", "8", "--step-mg", "2", "--every-days", "3"),
        {"step_mg": "two"},
        "step_mg: 'two' is not a number of milligrams",
        id="step_mg",
    ),
    pytest.param(
        {"regimen": "tizanidine", "target_mg": "8", "step_mg": "4", "every_days": "2"},
        ("tizanidine", "--target-mg", "8", "--step-mg", "4", "--every-days", "2"),
        {"every_days": "2.5"},
        "every_days: '2.5' is not a whole number of days",
        id="every_days",
    ),
    pytest.param(
        {"regimen": "tizanidine", "target_mg": "8", "step_mg": "2", "every_days": "3"},
        ("tizanidine", "--target-mg", "8", "--step-mg", "2", "--every-days", "3"),
        {"every_days": "0"},
        "every_days: Input should be greater than or equal to 1",
        id="every_days-range",
    ),
    pytest.param(
        {"dialysis": "Yes"},
        ("baclofen", "--dialysis"),
        {"dialysis": "maybe"},
        "dialysis: 'maybe' is not true or false (true/false, yes/no, 1/0)",
        id="dialysis",
    ),
    pytest.param(
        {"pregnant": "TRUE"},
        ("baclofen", "--pregnant"),
        {"pregnant": "2"},
        "pregnant: '2' is not true or false",
        id="pregnant",
    ),
    pytest.param(
        {"crcl": "40", "renal_adjust": "1"},
        ("baclofen", "--crcl", "40", "--renal-adjust"),
        {"renal_adjust": "y"},
        "renal_adjust: 'y' is not true or false",
        id="renal_adjust",
    ),
    pytest.param(
        {"renal_adjust": "0", "pregnant": "no", "dialysis": "false"},
        ("baclofen",),
        {"renal_adjust": "1"},  # asks for a reduction without the kidney function
        "renal_adjust: needs the patient's kidney function",
        id="flags-false",
    ),
    pytest.param(
        {"product": "suspension"},
        ("baclofen", "--product", "suspension"),
        {"product": "syrup"},
        "product: unknown product 'syrup'",
        id="product",
    ),
    pytest.param(
        {"steps": "5x3:3,10x3:3", "then": "stop"},
        ("baclofen", "--steps", "5x3:3,10x3:3", "--then", "stop"),
        {"then": "later"},
        "then: 'later' is not how a plan can end (choose continue, stop or review)",
        id="then",
    ),
    pytest.param(
        {"hepatic": "yes"},
        ("baclofen", "--hepatic"),
        {"hepatic": "maybe"},
        "hepatic: 'maybe' is not true or false",
        id="hepatic",
    ),
    pytest.param(
        {"strengths": "10"},
        ("baclofen", "--strengths", "10"),
        {"strengths": "5,lots"},
        "strengths: 'lots' is not a number of milligrams",
        id="strengths",
    ),
]


@pytest.mark.parametrize(("good", "argv", "bad", "error"), NEW_COLUMNS)
def test_plan_option_columns_reach_the_plan_and_bad_values_name_their_column(
    tmp_path: Path, good: dict[str, str], argv: tuple[str, ...], bad: dict[str, str], error: str
) -> None:
    base = {"regimen": "baclofen", "start": "2026-12-01", "tz": "UTC"}
    rows = [{**base, **good, "id": "ok"}, {**base, **good, **bad, "id": "bad"}]
    header = list(dict.fromkeys(key for row in rows for key in row))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    result = run("batch", str(write(tmp_path, "rows.csv", text.getvalue())), "--fail-on", "never")
    assert result.exit_code == 2
    ok, failed = lines_of(result.stdout)
    single = run("plan", *argv, "--start", "2026-12-01", "--tz", "UTC", "-f", "json")
    assert single.exit_code in (0, 1), single.stderr
    assert ok == {"row": 1, "id": "ok", "plan": json.loads(single.stdout)}
    assert list(failed) == ["row", "id", "error"]
    assert (failed["row"], failed["id"]) == (2, "bad")
    assert failed["error"].startswith(error), failed["error"]


def test_a_with_column_reaches_the_plan_and_an_unlisted_name_is_reported_not_refused(
    tmp_path: Path,
) -> None:
    rows = "regimen,start,tz,with\nbaclofen,2026-12-01,UTC,Oxycodone; unobtainium\n"
    result = run("batch", str(write(tmp_path, "rows.csv", rows)), "--fail-on", "never")
    assert result.exit_code == 0
    (record,) = lines_of(result.stdout)
    plan = record["plan"]
    assert plan["patient"]["co_medications"] == ["Oxycodone", "unobtainium"]
    assert sorted(f["rule"] for f in plan["findings"]) == [
        "cns-depressant", "comedication-not-checked",
    ]  # fmt: skip


def test_json_lines_flags_and_co_medications_as_json_values(tmp_path: Path) -> None:
    requests = [
        {"id": 1, "regimen": "baclofen", "start": "2026-12-01", "tz": "UTC", "pregnant": True,
         "dialysis": False, "with": ["opioids", "alcohol"]},
        {"id": 2, "regimen": "baclofen", "start": "2026-12-01", "tz": "UTC", "with": ["a;b"]},
        {"id": 3, "regimen": "baclofen", "start": "2026-12-01", "tz": "UTC", "pregnant": 1},
        {"id": 4, "regimen": "baclofen", "start": "2026-12-01", "tz": "UTC", "pregnant": "no"},
    ]  # fmt: skip
    source = write(tmp_path, "r.jsonl", "\n".join(json.dumps(r) for r in requests) + "\n")
    records = lines_of(run("batch", str(source), "--fail-on", "never").stdout)
    patient = records[0]["plan"]["patient"]
    assert patient["pregnant"] is True and patient["dialysis"] is False
    assert patient["co_medications"] == ["opioids", "alcohol"]
    rules = {finding["rule"] for finding in records[0]["plan"]["findings"]}
    assert {"pregnancy", "cns-depressant"} <= rules
    assert records[1] == {"row": 2, "id": 2, "error": "with: a list item may not contain ';'"}
    assert records[2]["plan"]["patient"]["pregnant"] is True  # 1, as in a CSV cell
    assert records[3]["plan"]["patient"]["pregnant"] is False


def test_then_stop_from_a_small_ladder_is_an_abrupt_stop_and_exits_1(tmp_path: Path) -> None:
    rows = 'id,regimen,start,tz,steps,then\nshort,baclofen,2026-12-01,UTC,"5x3:3,10x3:3",stop\n'
    result = run("batch", str(write(tmp_path, "rows.csv", rows)))
    assert result.exit_code == 1  # abrupt-stop is an error
    (record,) = lines_of(result.stdout)
    plan = record["plan"]
    assert plan["then"]["action"] == "stop"
    abrupt = [f for f in plan["findings"] if f["rule"] == "abrupt-stop"]
    assert [(f["code"], f["severity"], f["day"]) for f in abrupt] == [("TT301", "error", 6)]


def test_hepatic_true_on_dantrolene_is_an_error_finding(tmp_path: Path) -> None:
    rows = "id,regimen,start,tz,hepatic\nliver,dantrolene,2026-12-01,UTC,true\n"
    result = run("batch", str(write(tmp_path, "rows.csv", rows)))
    assert result.exit_code == 1
    (record,) = lines_of(result.stdout)
    single = run("plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC", "--hepatic",
                 "-f", "json")  # fmt: skip
    assert record["plan"] == json.loads(single.stdout)
    assert record["plan"]["patient"]["hepatic"] is True
    liver = [f for f in record["plan"]["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in liver] == ["TT208"]
    assert liver[0]["message"].startswith(
        "Active liver disease: oral dantrolene is contraindicated"
    )


def test_a_row_with_from_mg_is_a_taper_and_takes_pace_percent(tmp_path: Path) -> None:
    header = "id,regimen,start,tz,product,from_mg,doses_per_day,pace_percent,step_mg,steps\n"
    rows = (
        "pct,baclofen,2026-12-01,UTC,suspension,20,3,25,,\n"
        "too-much,baclofen,2026-12-01,UTC,suspension,20,3,60,,\n"
        "both,baclofen,2026-12-01,UTC,suspension,20,3,25,5,\n"
        "steps,baclofen,2026-12-01,UTC,suspension,20,3,,,5x3:3\n"
        "plan-row,baclofen,2026-12-01,UTC,suspension,,,25,,\n"
    )
    result = run("batch", str(write(tmp_path, "rows.csv", header + rows)), "--fail-on", "never")
    assert result.exit_code == 2
    taper, too_much, both, steps, plan_row = lines_of(result.stdout)
    single = run(
        "taper", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "--product", "suspension",
        "--from-mg", "20", "--doses-per-day", "3", "--pace-percent", "25", "-f", "json",
    )  # fmt: skip
    assert single.exit_code == 0, single.stderr
    assert taper == {"row": 1, "id": "pct", "plan": json.loads(single.stdout)}
    assert taper["plan"]["kind"] == "taper"
    assert any("proportional, each reduction 25%" in note for note in taper["plan"]["notes"])
    assert too_much["error"] == "pace_percent: '60' is not a percentage (0 to 50)"
    assert both["error"] == "pace_percent: give either step_mg or pace_percent, not both"
    assert steps["error"] == "steps: a taper row (from_mg) makes its own steps and stops"
    assert plan_row["error"] == "pace_percent: only a taper row (with from_mg) takes it"


def test_generated_json_converters_write_what_the_field_loop_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record type's converter is replaced by a generated one after GENERATE_AFTER
    records (a batch); both write the same bytes, for plans that fill the optional
    fields (findings, a renal adjustment, a review date, a taper) and ones that leave
    them empty."""
    from titrate.model import jsonout

    rows = (
        "id,regimen,start,tz,steps,crcl,renal_adjust,then,from_mg\n"
        "a,baclofen,2026-12-01,Europe/London,,,,,\n"
        "b,baclofen,2026-12-01,UTC,,40,true,,\n"
        "c,baclofen,2026-12-01,UTC,30x3:3,,,,\n"
        "d,dantrolene,2026-03-29,Europe/London,,,,,\n"
        "e,baclofen,2026-12-01,UTC,,,,,60\n"
    )

    def written(after: int) -> bytes:
        monkeypatch.setattr(jsonout, "GENERATE_AFTER", after)
        monkeypatch.setattr(jsonout, "_CONVERTERS", {})
        planner = batch.Planner(load_regimens(), default_zone="UTC")
        requests = list(batch.read_requests(io.BytesIO(rows.encode()), "rows.csv")) * 2
        return b"".join(batch.encoded_lines(requests, planner, batch.Summary()))

    by_loop = written(10**9)
    by_generated = written(1)  # from the first record of each type on
    assert by_generated == by_loop
    assert sum(convert.__name__ == "convert" for convert in jsonout._CONVERTERS.values()) > 5
    plans = [json.loads(line)["plan"] for line in by_loop.splitlines()]
    assert all(plan["doses"] for plan in plans)
    assert any(plan["findings"] for plan in plans) and any(
        plan["renal_adjustment"] for plan in plans
    )
    assert any(plan["review_by"] for plan in plans) and any(
        plan["kind"] == "taper" for plan in plans
    )
