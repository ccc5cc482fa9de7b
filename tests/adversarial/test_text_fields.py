"""Hostile text in free-text fields: kept exactly in JSON, or refused in one line."""

from __future__ import annotations

import json

import pytest

from conftest import run

NAMES = {
    "html": "<script>alert(1)</script>",
    "markdown": "**bold** | pipe | [link](http://x)",
    "formula": '=HYPERLINK("http://x")',
    "newline_comma": 'Doe,\nJane\r\n"quoted"',
    "rtl": "\u202eevil\u202c مريض",
    "zero_width": "Ja\u200bne\u200d",
    "long": "x" * 10_000,
}


@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_patient_name_survives_json_exactly(name: str) -> None:
    result = run("plan", "baclofen", "--start", "2026-12-01", "--patient", name, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["patient"]["name"] == name


def test_too_long_patient_name_is_one_clear_line() -> None:
    result = run("plan", "baclofen", "--patient", "x" * 10_001)
    assert result.exit_code == 2
    assert result.stderr.startswith("titrate: error: --patient: ")
    assert result.stderr.count("\n") == 1


def test_patient_name_that_is_not_utf8_is_refused() -> None:
    result = run("plan", "baclofen", "--patient", "\udcff")
    assert result.exit_code == 2
    assert result.stderr == "titrate: error: --patient: text is not valid UTF-8\n"
