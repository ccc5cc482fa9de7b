"""The terminal table at 60, 80, 100 and 120 columns: no line wider than the terminal, no
word, rule slug or amount broken across lines, findings beside (or under) their day.

The strongest check compares words: every word of the narrow output must be a word of the
same output at 1000 columns (where nothing wraps), so a word cut in two ("over-single-dos"
+ "e") fails; only a web address too long for a line may be cut, after a `/` or `?`.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from conftest import run
from titrate.model import Plan
from titrate.render import RenderOptions
from titrate.render.common import mg
from titrate.render.table import render
from titrate.render.wrap import wrap
from titrate.schema import validate_json

B = ("baclofen", "--start", "2026-12-01", "--tz", "UTC")
PLANS = {
    "label": ("plan", *B),
    "over-single-dose": ("plan", *B, "--patient", "Example Patient",
                         "--steps", "5x3:3,10x3:3,60x1:3,10x3:3,5x3:3"),
    "over-max": ("plan", *B, "--steps", "20x4:3,25x4:3"),
    "suspension": ("plan", *B, "--product", "suspension"),
    "granules": ("plan", *B, "--product", "granules"),
    "not-measurable": ("plan", *B, "--product", "granules", "--steps", "7.5x3:1,5x3:1"),
    "mixed-capsules": ("plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC",
                       "--steps", "75x2:1,175x2:1"),
    "taper": ("taper", *B, "--from-mg", "20", "--doses-per-day", "3"),
    "taper-suspension": ("taper", *B, "--from-mg", "20", "--doses-per-day", "3",
                         "--product", "suspension"),
    "dantrolene-review": ("plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC",
                          "--hold-days", "20"),
    "tizanidine": ("plan", "tizanidine", "--start", "2026-12-01", "--tz", "UTC",
                   "--step-mg", "2", "--every-days", "3", "--target-mg", "8"),
}  # fmt: skip
WIDTHS = (60, 80, 100, 120)
BOX = re.compile("[\u2500-\u257f]")


@cache
def table(name: str, width: int) -> str:
    result = run(*PLANS[name], env={"COLUMNS": str(width)})
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


@cache
def plan(name: str) -> Plan:
    result = run(*PLANS[name], "-f", "json")
    return validate_json(Plan, result.stdout)


def words(text: str) -> set[str]:
    return {word.rstrip(";") for word in text.split() if not BOX.search(word)}


def day_block(lines: list[str], on: str) -> list[str]:
    """The schedule lines of the day dated `on`: its dose lines and any notes under it."""
    header = next(i for i, line in enumerate(lines) if line.startswith("Day "))
    start = next(i for i in range(header, len(lines)) if on in lines[i][:20])
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), None)
    return lines[start:end]


def compact_amount(text: str, unit: str) -> str:
    """The amount as the compact table shows it (the column header names the form)."""
    return text if unit == "mL" else text.replace(f" {unit}", "")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PLANS)
def test_no_line_is_wider_than_the_terminal_and_no_word_is_cut(name: str, width: int) -> None:
    out = table(name, width)
    lines = out.splitlines()
    assert [line for line in lines if len(line) > width] == []
    assert [line for line in lines if line != line.rstrip()] == []  # no trailing padding
    whole = words(table(name, 1000)) | {"Tablets", "Capsules", "Packets"}  # compact headers
    listed = set(re.findall(r"^  \[([A-Za-z0-9_.-]+)\] ", table(name, 1000), re.M))
    urls = [source.url for source in plan(name).sources if source.id in listed]
    cut = [w for w in words(out) - whole if not any(w.strip("<>;") in url for url in urls)]
    assert cut == []
    # a web address cut to fit is whole again once the line breaks are taken out
    joined = "".join(line.strip() for line in lines)
    assert all(url in joined for url in urls)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PLANS)
def test_every_amount_is_whole_on_its_dose_line(name: str, width: int) -> None:
    built = plan(name)
    lines = table(name, width).splitlines()
    wide = "Notes" in next(line for line in lines if line.startswith("Day "))
    assert wide == (width >= 100 and name != "mixed-capsules")  # compact below 100 columns
    for day in built.days:
        clocks = iter(day_block(lines, day.date.isoformat()))
        for dose in (dose for dose in built.doses if dose.day == day.day):
            line = next(line for line in clocks if dose.at.strftime("%H:%M") in line)
            assert f" {mg(dose.dose_mg)}" in line
            if built.product is None:
                continue
            if dose.amount is None:
                assert "not measurable" in line
                continue
            shown = dose.amount.text if wide else compact_amount(dose.amount.text, dose.amount.unit)
            first = shown.split(" + ")[0]  # a mixed amount may put each part on a line
            assert first in line, (line, shown)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["over-single-dose", "over-max", "not-measurable"])
def test_every_finding_slug_is_whole_beside_or_under_its_day(name: str, width: int) -> None:
    built = plan(name)
    assert built.findings
    lines = table(name, width).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Day "))
    for finding in built.findings:
        assert any(f"{finding.rule} ({finding.code})" in line for line in lines[:header])
        if finding.day is None:
            continue
        for day in range(finding.day, (finding.last_day or finding.day) + 1):
            block = day_block(lines, built.days[day - 1].date.isoformat())
            label = f"{finding.severity.upper()} {finding.rule}"
            if width >= 100:  # in the Notes column, beside the day's doses
                notes = lines[header].index("Notes")
                assert any(label in line[notes:] for line in block), block
            else:  # on a line of its own under the day's doses, indented under the date
                assert any(label in line and " mg " not in line for line in block), block
                assert all(line.startswith("     ") for line in block if label in line)


def test_compact_layout_at_80_columns_puts_findings_under_the_day() -> None:
    out = table("over-single-dose", 80)
    assert (
        "Day  Date        Time    Dose  Tablets    Day total\n"
        "───────────────────────────────────────────────────\n"
        "  1  2026-12-01  08:00   5 mg  1 × 5 mg       15 mg\n"
        "                 14:00   5 mg  1 × 5 mg\n"
        "                 20:00   5 mg  1 × 5 mg\n"
        "     step 1\n"
    ) in out
    assert (
        "  7  2026-12-07  08:00  60 mg  3 × 20 mg      60 mg\n"
        "     step 3 starts; ERROR escalation-too-fast; ERROR over-single-dose\n"
    ) in out
    assert (
        " 10  2026-12-10  08:00  10 mg  1 × 10 mg      30 mg\n"
        "                 14:00  10 mg  1 × 10 mg\n"
        "                 20:00  10 mg  1 × 10 mg\n"
        "     step 4 starts; WARNING taper-too-fast\n"
    ) in out
    # prose wraps with a hanging indent, never inside "10 → 60 mg"
    assert (
        "  ERROR escalation-too-fast (TT104): Day 7: 10 → 60 mg per dose rises 50 mg per\n" in out
    )


def test_wide_layout_keeps_the_findings_on_the_days_first_line() -> None:
    out = table("over-single-dose", 120)
    assert (
        "  7   2026-12-07   08:00   60 mg   3 × 20 mg tablet       60 mg   "
        "step 3 starts; ERROR escalation-too-fast\n"
        "                                                                  "
        "ERROR over-single-dose\n"
    ) in out
    assert (
        "  8   2026-12-08   08:00   60 mg   3 × 20 mg tablet       60 mg   ERROR over-single-dose\n"
        in out
    )


def test_the_label_plans_half_tablets_stay_whole_at_80_columns() -> None:
    out = table("label", 80)
    assert "  1  2026-12-01  08:00   5 mg  ½ × 10 mg       15 mg\n" in out
    assert "  7  2026-12-07  08:00  15 mg  1½ × 10 mg      45 mg\n" in out
    assert "Then: From Sun 13 Dec: keep taking 2 tablets (20 mg) 3 times a day until your\n" in out


def test_a_liquid_keeps_the_amount_header_and_its_ml() -> None:
    out = table("suspension", 60)
    assert "Day  Date        Time    Dose  Amount  Day total\n" in out
    assert "  4  2026-12-04  08:00  10 mg  2 mL        30 mg\n" in out


def test_colour_changes_no_layout() -> None:
    built = plan("over-single-dose")
    plain = render(built, RenderOptions(width=80))
    coloured = render(built, RenderOptions(width=80, color=True))
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_mixed_strengths_split_after_the_plus_when_too_narrow() -> None:
    built = plan("mixed-capsules")
    texts = {dose.amount.text for dose in built.doses if dose.amount is not None}
    assert any(" + " in text for text in texts), texts  # the case this test is about
    out = table("mixed-capsules", 60)
    for text in texts:
        for part in compact_amount(text, "capsule").split(" + "):
            assert part in out


def test_wrap_never_breaks_an_amount_or_a_slug() -> None:
    text = "Take 1½ × 10 mg tablet; over-single-dose; 10 → 60 mg; 5 mg/mL"
    for width in range(20, 70):
        lines = wrap(text, width)
        assert all(len(line) <= width for line in lines)
        joined = "\n".join(lines)
        for unit in ("1½ × 10 mg", "over-single-dose;", "10 → 60 mg;", "5 mg/mL"):
            assert unit in joined


def test_wrap_breaks_a_long_web_address_after_a_slash() -> None:
    url = "https://www.fda.gov/consumers/consumer-updates/where-and-how-dispose-unused-medicines"
    assert wrap(f"[X] FDA. {url} (retrieved)", 60, "  ", "    ") == [
        "  [X] FDA.",
        "    https://www.fda.gov/consumers/consumer-updates/",
        "    where-and-how-dispose-unused-medicines (retrieved)",
    ]


def test_products_listing_breaks_web_addresses_only_after_a_slash() -> None:
    result = run("products", "baclofen")
    lines = result.stdout.splitlines()
    assert all(len(line) <= 88 for line in lines)
    assert "    search=packaging.package_ndc%3A%2269528-302-08%22>" in lines
    assert json.loads(run("products", "baclofen", "-f", "json").stdout)["products"]


def test_products_listing_fits_the_terminal() -> None:
    for width in (60, 80):
        lines = run("products", "baclofen", env={"COLUMNS": str(width)}).stdout.splitlines()
        assert lines and all(len(line) <= width for line in lines)


MISSED = ("missed", *B, "--times", "08:00,14:00,20:00", "--dose", "2026-12-03T20:00",
          "--now", "2026-12-04T07:00")  # fmt: skip


@pytest.mark.parametrize("width", WIDTHS)
def test_missed_dose_advice_fits_and_cuts_no_word(width: int) -> None:
    out = run(*MISSED, env={"COLUMNS": str(width)}).stdout
    lines = out.splitlines()
    assert [line for line in lines if len(line) > width] == []
    whole = words(run(*MISSED, env={"COLUMNS": "1000"}).stdout)
    urls = [source.url for source in plan("label").sources]
    cut = [w for w in words(out) - whole if not any(w.strip("<>;") in url for url in urls)]
    assert cut == []
    assert "(½ × 10 mg" in out  # the amount is never split
