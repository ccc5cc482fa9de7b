"""`titrate check` follows the terminal's width (COLUMNS) as the plan table does: at 60,
80, 100 and 120 columns no line is wider than the terminal, no word, rule slug or amount
is broken, and a web address too long for a line breaks only after a `/` or `?`.

Compared as in tests/test_table_layout.py: every word of the narrow report must be a word
of the same report at 1000 columns, where nothing wraps.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from conftest import run

WIDTHS = (60, 80, 100, 120)
BOX = re.compile("[\u2500-\u257f]")
ESCALATES = """\
regimen: baclofen
start: 2026-12-01
title: escalates by 10 mg per dose after one day
steps:
  - {dose_mg: 5, per_day: 3, days: 1}
  - {dose_mg: 15, per_day: 3, days: 3}
"""
CASES = {
    "escalates": ("proposed.yaml",),
    "over-single-dose": ("over.json", "--age", "70", "--crcl", "40", "--with", "alcohol"),
}


@pytest.fixture(scope="module", autouse=True)
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The checked files in the working directory, so the report names them briefly."""
    folder = tmp_path_factory.mktemp("check-layout")
    (folder / "proposed.yaml").write_text(ESCALATES)
    steps = "5x3:3,10x3:3,60x1:3,10x3:3,5x3:3"
    over = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "--patient",
               "Example Patient", "--steps", steps, "-f", "json")  # fmt: skip
    (folder / "over.json").write_text(over.stdout)
    before = Path.cwd()
    os.chdir(folder)
    yield
    os.chdir(before)


@cache
def report(name: str, width: int) -> str:
    result = run("check", *CASES[name], env={"COLUMNS": str(width)})
    assert result.exit_code == 1, result.stderr
    return result.stdout


@cache
def checked(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads(run("check", *CASES[name], "-f", "json").stdout)  # type: ignore[no-any-return]


def words(text: str) -> set[str]:
    return {word.rstrip(";") for word in text.split() if not BOX.search(word)}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", CASES)
def test_no_line_is_wider_than_the_terminal_and_no_word_is_cut(name: str, width: int) -> None:
    out = report(name, width)
    lines = out.splitlines()
    assert [line for line in lines if len(line) > width] == []
    assert [line for line in lines if line != line.rstrip()] == []
    urls = [source["url"] for source in checked(name)["sources"]]
    whole = words(report(name, 1000))
    cut = [w for w in words(out) - whole if not any(w.strip("<>") in url for url in urls)]
    assert cut == []
    joined = "".join(line.strip() for line in lines)
    assert all(url in joined for url in urls)
    # a web address is cut only after a `/`, `?` or `&`, never in the middle of a word
    ends = [line.split()[-1].lstrip("<") for line in lines if line.strip()]
    cut_urls = [end for end in ends if any(url.startswith(end) and url != end for url in urls)]
    assert [end for end in cut_urls if end[-1] not in "/?&"] == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", CASES)
def test_every_finding_slug_is_whole_in_the_list_and_beside_or_under_its_day(
    name: str, width: int
) -> None:
    lines = report(name, width).splitlines()
    days = lines.index("Days:")
    for index, finding in enumerate(checked(name)["findings"], start=1):
        head = f"{index}. {finding['severity'].upper()} {finding['rule']} ({finding['code']})"
        assert any(line.startswith(head) for line in lines[:days])
        if finding["day"] is not None:
            label = f"{finding['severity'].upper()} {finding['rule']}"
            assert any(label in line for line in lines[days:])


def test_the_report_follows_the_terminal_not_a_fixed_92_columns() -> None:
    wide = report("escalates", 120).splitlines()
    assert max(len(line) for line in wide) > 92
    assert "Plan: a course: it ends after its last dose; 4 days, 12 doses, 2026-12-01 to " \
        "2026-12-04; daily maximum 80 mg." in wide  # fmt: skip
    narrow = report("escalates", 60)
    assert (
        "Day  Date        Doses      Day total\n"
        "─────────────────────────────────────\n"
        "  1  2026-12-01  3 × 5 mg       15 mg\n"
        "  2  2026-12-02  3 × 15 mg      45 mg\n"
        "     WARNING escalation-too-fast\n"
    ) in narrow
    assert (
        "        Fails:  baclofen 5x3:3,10x3:3, then stop (from 30 mg\n"
        "                a day, 10 mg three times).\n"
    ) in narrow
