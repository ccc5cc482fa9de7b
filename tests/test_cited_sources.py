"""The terminal table and Markdown list only the sources the plan cites, as the printed
handout does, then say how many more the regimen has and which command lists them; the
formats for machines (JSON, CSV, FHIR, ICS) keep every source of the regimen.

"Cited" is read here from the plan's own JSON, independently of the renderers: every
`[ID]` in any field but the source list itself.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import run

B = ("--start", "2026-12-01", "--tz", "UTC")
PLANS = {
    "label": ("plan", "baclofen", *B),
    "taper": ("taper", "baclofen", *B, "--from-mg", "20", "--doses-per-day", "3"),
    "granules": ("plan", "baclofen", *B, "--product", "granules"),
    "renal": ("plan", "baclofen", *B, "--crcl", "40", "--renal-adjust"),
    "dantrolene": ("plan", "dantrolene", *B),
}
ID = r"([A-Za-z0-9_.-]+)"


def cited_in_json(args: tuple[str, ...]) -> tuple[set[str], list[str]]:
    """(ids cited by the plan's fields, every source id of the regimen in order); a note
    may cite several at once: `[O1, B1, N1]`."""
    data = json.loads(run(*args, "-f", "json").stdout)
    every = [source["id"] for source in data.pop("sources")]
    lists = re.findall(r"\[([^\[\]\"]+)\]", json.dumps(data, ensure_ascii=False))
    return {part.strip() for found in lists for part in found.split(",")} & set(every), every


@pytest.mark.parametrize("name", PLANS)
def test_the_table_lists_the_cited_sources_then_says_how_to_see_the_rest(name: str) -> None:
    args = PLANS[name]
    cited, every = cited_in_json(args)
    out = run(*args, env={"COLUMNS": "100"}).stdout
    sources = out.split("\nSources:\n")[1]
    listed = re.findall(rf"^  \[{ID}\] ", sources, re.M)
    assert listed == [source for source in every if source in cited]  # the regimen's order
    more = len(every) - len(listed)
    assert more > 0  # every case here leaves some out (NDC listings of other products)
    flat = " ".join(sources.split())
    regimen = args[1]
    assert (
        f"The regimen has {more} more sources, not cited by this plan; the plan's JSON lists "
        f"every source, and so does: titrate show {regimen}"
    ) in flat
    assert f"\n    titrate show {regimen}\n" in sources  # the command whole on its own line


def test_a_tablet_plan_does_not_list_other_products_ndc_queries() -> None:
    out = run(*PLANS["label"]).stdout
    for other in ("[O5]", "[F6]", "[Y5]", "[G1]", "[O3]"):
        assert other not in out


@pytest.mark.parametrize("name", ["label", "taper"])
def test_markdown_lists_the_cited_sources_and_names_the_command(name: str) -> None:
    args = PLANS[name]
    cited, every = cited_in_json(args)
    out = run(*args, "-f", "md").stdout
    listed = re.findall(rf"^- \\\[{ID}\\\] ", out.split("## Sources")[1], re.M)
    assert listed == [source for source in every if source in cited]
    assert "and so does `titrate show baclofen`." in out


@pytest.mark.parametrize("fmt", ["json", "csv", "fhir", "ics"])
def test_the_formats_for_machines_keep_every_source(fmt: str) -> None:
    _, every = cited_in_json(PLANS["label"])
    out = run(*PLANS["label"], "-f", fmt).stdout
    if fmt == "ics":  # unfold RFC 5545 lines
        out = out.replace("\r\n ", "")
    for source in every:
        assert f"[{source}]" in out or f'"{source}"' in out, source
