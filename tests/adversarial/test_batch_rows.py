"""Hostile round 2, batch: a damaged row costs that row only, and row numbers never drift.

Before issue 16 an unterminated quote swallowed every row up to the next quote (4,681 of
10,000 requests vanished and output row numbers stopped matching input rows; the case
below has 3,000 rows, to fit CI's budget) and one byte
that is not UTF-8 aborted the whole batch. The fuzzer damages batch files byte by byte;
TITRATE_FUZZ_EXAMPLES raises its bound (a count is printed for the closing note).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run
from titrate.batch import Planner, Summary, plan_lines, read_requests
from titrate.catalog import load_regimens
from titrate.errors import InputError

EXAMPLES = int(os.environ.get("TITRATE_FUZZ_EXAMPLES", "60"))
ROW = "baclofen,2026-12-01,UTC\n"


def records(result: object) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in result.stdout.splitlines()]  # type: ignore[attr-defined]


def test_an_unterminated_quote_ends_at_the_end_of_its_line(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    body = [ROW] * 3_000
    body[2] = '"baclofen,2026-12-01,UTC\n'  # the quote never closes
    rows.write_text("regimen,start,tz\n" + "".join(body))
    result = run("batch", str(rows))
    out = records(result)
    assert len(out) == 3_000
    assert [record["row"] for record in out] == list(range(1, 3_001))
    assert out[2] == {
        "row": 3,
        "id": None,
        "error": "line 4: not valid CSV: unexpected end of data",
    }
    assert all("plan" in record for index, record in enumerate(out) if index != 2)
    assert result.stderr == (
        f"titrate: error: {rows}: 1 of 3000 rows invalid (first: row 3: line 4: not valid "
        "CSV: unexpected end of data); their lines are error records\n"
    )


def test_a_byte_that_is_not_utf8_is_that_rows_error(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_bytes(
        b'{"regimen": "baclofen", "start": "2026-12-01"}\n'
        b'{"regimen": "baclofen", "patient": "Jos\xe9"}\n'
        b'{"regimen": "baclofen", "start": "2026-12-01"}\n'
    )
    out = records(run("batch", str(rows)))
    assert [("plan" in r, r["row"]) for r in out] == [(True, 1), (False, 2), (True, 3)]
    assert out[1]["error"] == "line 2: not UTF-8 text (byte 40 of the line)"


def test_a_header_only_file_says_so(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("regimen,start,tz\n\n")
    result = run("batch", str(rows))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr == f"titrate: error: {rows}: no requests: the file has a header and no rows\n"
    )


def test_a_line_longer_than_1_mib_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_bytes(b"regimen,start,tz\n" + b"x" * (3 * 1024 * 1024) + b"\n" + ROW.encode())
    out = records(run("batch", str(rows)))
    assert out[0] == {"row": 1, "id": None, "error": "line 2: line longer than 1048576 bytes"}
    assert out[1]["row"] == 2 and "plan" in out[1]


def test_input_without_newlines_is_refused_by_the_cap() -> None:
    # `batch /dev/zero` read 6 GB before the cap: now the first line stops at 1 MiB.
    zeros = io.BytesIO(b"{" + b"\x00" * (2 * 1024 * 1024))
    with pytest.raises(InputError, match=r"^<zeros>:1: line longer than 1048576 bytes$"):
        list(read_requests(zeros, "<zeros>"))


# ---------------------------------------------------------------------------------------
# Byte-level damage of batch files (hypothesis)

CLEAN = ("id,regimen,start,tz,patient\n" + "".join(
    f'p{n},baclofen,2026-12-0{n},UTC,"Doe, J{n}"\n' for n in range(1, 7)
)).encode()  # fmt: skip
PLANNER = Planner(load_regimens([]), default_zone="UTC")
FOUND: dict[str, int] = {"examples": 0, "error_rows": 0, "whole_file_errors": 0}

damage = st.lists(
    st.tuples(
        st.integers(0, len(CLEAN) - 1),
        st.sampled_from(["replace", "insert", "delete"]),
        st.sampled_from(
            [b'"', b",", b"\n", b"\r", b"\x00", b"\x1b", b"\xff", b"\xc3", b"\xe2\x80\xae", b"{"]
        ),
    ),
    min_size=1,
    max_size=6,
)  # fmt: skip


def damaged(operations: list[tuple[int, str, bytes]]) -> bytes:
    data = bytearray(CLEAN)
    for position, kind, byte in operations:
        at = min(position, len(data) - 1)
        if kind == "replace":
            data[at : at + 1] = byte
        elif kind == "insert":
            data[at:at] = byte
        elif len(data) > 1:
            del data[at]
    return bytes(data)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage)
def test_byte_damage_costs_only_the_damaged_rows(operations: list[tuple[int, str, bytes]]) -> None:
    data = damaged(operations)
    FOUND["examples"] += 1
    physical = data.split(b"\n")
    summary = Summary()
    try:
        lines = list(plan_lines(read_requests(io.BytesIO(data), "f.csv"), PLANNER, summary))
    except InputError as exc:
        # only the header (the first line with text) may fail the whole file, or a file
        # with no rows left
        FOUND["whole_file_errors"] += 1
        header = next(n for n, line in enumerate(physical, 1) if line.strip(b" \r\t"))
        assert exc.where == f"f.csv:{header}" or "no requests" in str(exc), str(exc)
        return
    out = [json.loads(line) for line in lines]
    assert [record["row"] for record in out] == list(range(1, len(out) + 1))
    # one record per non-blank line after the header: none swallowed, none invented (a
    # first line damaged into `{` makes the file JSON Lines, which has no header line)
    headers = 0 if data.lstrip().startswith(b"{") else 1
    assert len(out) <= len(physical) - headers
    FOUND["error_rows"] += sum("error" in record for record in out)
    for record in out:
        text = json.dumps(record, ensure_ascii=False)
        assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    if physical[0] != CLEAN.split(b"\n")[0]:
        return  # another header: the rows are read against it (and may all mismatch)
    intact = [line for line in CLEAN.split(b"\n")[1:] if line and line in physical[1:]]
    planned = sum("plan" in record for record in out)
    assert planned >= len(intact) - (1 if physical[-1] and physical[-1] in intact else 0)


def test_zz_report_the_batch_fuzz_count() -> None:
    print(f"\nbatch byte-damage fuzz: {FOUND}")
