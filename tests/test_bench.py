"""The bench's reference and its README table (not timed: nothing here measures speed)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import run

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _bench_module() -> ModuleType:
    """bench/run.py (bench/ is not a package; run.py finds its neighbours itself)."""
    spec = importlib.util.spec_from_file_location("titrate_bench_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench_module()

README = Path(__file__).resolve().parents[1] / "README.md"

# Rows whose 12 days cross each zone's clock changes in 2026 (US 03-08 and 11-01, EU 03-29
# and 10-25, Sydney 04-05 and 10-04) and the turn of the year, in every zone, with default
# and given clock times.
CROSSING = [*range(55, 100, 3), *range(268, 312, 3), *range(355, 372, 2), 1, 2, 3, 4, 5]


def test_the_naive_loop_writes_what_titrate_batch_writes_byte_for_byte(tmp_path: Path) -> None:
    templates_rows = tmp_path / "templates.csv"
    templates_rows.write_text(
        "id,regimen,start,times,tz,age,patient\n"
        "t1,baclofen,2026-12-01,,UTC,40,T\n"
        f'"t2",baclofen,2026-12-01,"{bench.TIMES[1]}",UTC,40,T\n',
        encoding="utf-8",
    )
    templates = tmp_path / "templates.jsonl"
    assert run("batch", str(templates_rows), "-o", str(templates)).exit_code == 0
    rows = bench.write_rows(tmp_path / "rows.csv", CROSSING)
    expected = tmp_path / "titrate.jsonl"
    assert run("batch", str(rows), "-o", str(expected)).exit_code == 0
    naive = tmp_path / "naive.jsonl"
    subprocess.run(
        [sys.executable, str(BENCH / "naive.py"), str(templates), str(rows), str(naive)],
        check=True,
    )
    assert naive.read_bytes() == expected.read_bytes()
    assert expected.read_bytes().count(b"\n") == len(CROSSING)
    assert b"-04:00" in expected.read_bytes() and b"-05:00" in expected.read_bytes()


TABLE_ROW = re.compile(
    r"\| (?P<name>[^|]+) \| (?P<ratio>\d+\.\d\d)× \| (?P<target>[≤≥] \d\.\d\d)× "
    r"\| (?P<met>yes|no) \|"
)


def parse_table(text: str) -> list[dict[str, str]]:
    """The figures of a README bench table; an assertion error if it is malformed."""
    lines = [line for line in text.strip().splitlines() if line.startswith("|")]
    assert lines[:2] == ["| figure | measured | target | met |", "|---|---|---|---|"], lines
    rows = []
    for line in lines[2:]:
        found = TABLE_ROW.fullmatch(line)
        assert found, f"not a figure row: {line!r}"
        rows.append(found.groupdict())
    return rows


def test_the_markdown_table_reads_back_with_each_verdict() -> None:
    figures = [
        bench.Figure("one-shot / floor", 1.234, "≤ 1.30", ""),
        bench.Figure("batch / naive", 1.2, "≥ 1.50", ""),
    ]
    rows = parse_table(bench.markdown(figures, "today"))
    assert [(row["ratio"], row["target"], row["met"]) for row in rows] == [
        ("1.23", "≤ 1.30", "yes"),
        ("1.20", "≥ 1.50", "no"),
    ]


def test_the_readme_section_is_replaced_between_its_markers() -> None:
    table = bench.markdown([bench.Figure("x / floor", 1.0, "≤ 1.10", "")], "today")
    text = f"before\n{bench.README_START}\nold\n{bench.README_END}\nafter\n"
    assert bench.replace_readme(text, table) == (
        f"before\n{bench.README_START}\n{table}{bench.README_END}\nafter\n"
    )
    with pytest.raises(SystemExit):
        bench.replace_readme("no markers", table)


def test_the_readme_figures_table_parses() -> None:
    text = README.read_text("utf-8")
    section = text.split(bench.README_START, 1)[1].split(bench.README_END, 1)[0]
    rows = parse_table(section)
    names = " ".join(row["name"] for row in rows)
    for measured in ("-f json", "--help", "(table)", "titrate batch", "--jobs 1", "peak memory"):
        assert measured in names
    for row in rows:
        ratio, bound = float(row["ratio"]), float(row["target"][2:])
        assert row["met"] == (
            "yes" if (ratio <= bound if "≤" in row["target"] else ratio >= bound) else "no"
        )
