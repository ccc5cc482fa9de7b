"""The input layer: exact JSON (no duplicate keys, no NaN), capped line reading."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from titrate.io.jsontext import JSONTextError, loads
from titrate.io.lines import read_lines


def test_numbers_are_kept_as_written() -> None:
    assert loads('{"dose_mg": 7.5}') == {"dose_mg": Decimal("7.5")}


def test_a_duplicate_key_is_refused_with_its_line() -> None:
    with pytest.raises(JSONTextError) as caught:
        loads('{\n "dose_mg": 5,\n "dose_mg": 50\n}')
    assert (caught.value.message, caught.value.lineno) == ("duplicate key 'dose_mg'", 3)


def test_nan_names_what_may_not_hold_it() -> None:
    with pytest.raises(JSONTextError) as caught:
        loads('{"a": 1,\n"b": NaN}', holder="a plan")
    assert (caught.value.message, caught.value.lineno) == (
        "NaN is not a number a plan may contain",
        2,
    )


def test_syntax_errors_keep_their_line() -> None:
    with pytest.raises(JSONTextError) as caught:
        loads('{\n\n"a": }')
    assert caught.value.message.startswith("not valid JSON: ") and caught.value.lineno == 3


def test_an_over_long_line_is_skipped_without_losing_the_next() -> None:
    stream = io.BytesIO(b"short\n" + b"x" * 50 + b"\nafter\n")
    lines = list(read_lines(stream, "f", max_bytes=10))
    assert [(line.number, line.text, line.problem) for line in lines] == [
        (1, "short", None),
        (2, None, "line longer than 10 bytes"),
        (3, "after", None),
    ]
    assert lines[-1].bytes_read == 6 + 51 + 6


def test_a_bad_byte_names_its_line_and_a_bom_is_dropped() -> None:
    stream = io.BytesIO(b"\xef\xbb\xbfa,b\nok\n\xff\n")
    lines = [(line.text, line.problem) for line in read_lines(stream, "f")]
    assert lines == [("a,b", None), ("ok", None), (None, "not UTF-8 text (byte 1 of the line)")]


def test_a_dose_log_row_with_a_duplicate_key_is_rejected(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from titrate.core.doselog import read_log

    log = tmp_path / "log.jsonl"
    log.write_text(
        '{"taken_at": "2026-12-01T08:00", "dose_mg": 5}\n'
        '{"taken_at": "2026-12-01T14:00", "dose_mg": 5, "dose_mg": 50}\n'
    )
    read = read_log(log, ZoneInfo("UTC"))
    assert [entry.dose_mg for entry in read.entries] == [Decimal("5")]
    assert [(row.line, row.message) for row in read.rejected] == [(2, "duplicate key 'dose_mg'")]
