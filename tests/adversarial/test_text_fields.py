"""Hostile text in free-text fields: kept exactly in JSON, or refused in one line.

Control characters (C0 but tab, C1, bidi overrides outside an isolate) are refused at input
(issue 16), so a newline cannot split a header and an ESC cannot reach a terminal."""

from __future__ import annotations

import json

import pytest

from conftest import run

NAMES = {
    "html": "<script>alert(1)</script>",
    "markdown": "**bold** | pipe | [link](http://x)",
    "formula": '=HYPERLINK("http://x")',
    "comma_quote": 'Doe, "Jane"',
    "rtl_isolated": "\u2067\u202eevil\u202c\u2069 مريض",
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
    assert result.stderr == "titrate: error: --patient: text holds bytes that are not UTF-8\n"


REFUSED = {
    "A\x1b]0;title\x07B": "a control character U+001B (ESC)",
    "Doe,\nJane": "a control character U+000A (LINE FEED)",
    "Doe\r": "a control character U+000D (CARRIAGE RETURN)",
    "nul\x00": "a control character U+0000 (NUL)",
    "c1\x9b31m": "a control character U+009B (a C1 control)",
    "\u202eevil\u202c": "a control character U+202E (RIGHT-TO-LEFT OVERRIDE) outside an "
    "isolate (it reorders the text around it)",
}


@pytest.mark.parametrize(("name", "reason"), list(REFUSED.items()), ids=list(range(len(REFUSED))))
def test_control_characters_are_refused_at_input_naming_the_option(name: str, reason: str) -> None:
    for option in ("--patient", "--prescriber", "--pharmacy"):
        result = run("plan", "baclofen", f"{option}={name}", "-f", "html")
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == f"titrate: error: {option}: text holds {reason}\n"


def test_control_characters_are_refused_from_the_python_api() -> None:
    from titrate.errors import InputError
    from titrate.requests import PlanRequest

    with pytest.raises(InputError, match=r"^name: text holds a control character U\+001B"):
        PlanRequest(regimen="baclofen", start="2026-12-01", name="A\x1bB").options()
