"""`titrate audit` at 60, 80, 100 and 120 columns: no line wider than the terminal, no word,
rule slug, time or amount broken across lines, nothing cut: every logged time and its log
line number stays on the dose's lines, every finding's slug is whole beside or under its
dose.

As for the plan table (tests/test_table_layout.py), the strongest check compares words:
every word of the narrow output must be a word of the same output at 1000 columns (where
nothing wraps); only a web address too long for a line may be cut, after a `/`.
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
NOW = "2026-12-13T09:00"


def done_when_log(doses: list[dict]) -> str:  # type: ignore[type-arg]
    """Dose 5 missing, dose 8 logged twice, 30 mg more at 16:00 on day 10 (tests/test_audit)."""
    rows = ["taken_at,dose_mg,note"]
    for dose in doses:
        if dose["number"] != 5:
            rows += [f"{dose['at']},{dose['dose_mg']},"] * (2 if dose["number"] == 8 else 1)
    return "\n".join([*rows, "2026-12-10T16:00:00+00:00,30,"]) + "\n"


def night_log(doses: list[dict]) -> str:  # type: ignore[type-arg]
    """Dose 3 (23:00) logged after midnight, dose 4 split in two, dose 7 late, an unreadable
    row, and nothing after day 9 (an abrupt stop, 9 doses missed in a row)."""
    rows = ["taken_at,dose_mg,note"]
    for dose in (dose for dose in doses if dose["day"] <= 9):
        at, number = dose["at"][:16], dose["number"]
        if number == 3:
            rows.append("2026-12-02T01:40,5,after midnight")
        elif number == 4:
            rows += [f"{at},2.5,", f"{at[:11]}08:10,2.5,"]
        elif number == 7:
            rows.append(f"{at[:11]}09:35,5,")
        else:
            rows.append(f"{at},{dose['dose_mg']},")
    return "\n".join([*rows, "yesterday,5,"]) + "\n"


CASES = {
    "done-when": (("--tz", "UTC"), done_when_log),
    "night": (("--tz", "Europe/London", "--times", "08:00,14:00,23:00"), night_log),
}


@pytest.fixture(scope="module", autouse=True)
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each case's plan and log in one directory, the working directory while the module
    runs so the output names them `plan-….json` and `log-….csv` (short, as a user's)."""
    folder = tmp_path_factory.mktemp("audit-layout")
    for name, (args, log) in CASES.items():
        plan = folder / f"plan-{name}.json"
        made = run("plan", "baclofen", "--start", "2026-12-01", *args, "-o", str(plan))
        assert made.exit_code == 0, made.stderr
        (folder / f"log-{name}.csv").write_text(log(json.loads(plan.read_text())["doses"]))
    before = Path.cwd()
    os.chdir(folder)
    yield
    os.chdir(before)


@cache
def audit(name: str, width: int) -> str:
    result = run("audit", f"plan-{name}.json", f"log-{name}.csv", "--now", NOW,
                 env={"COLUMNS": str(width)})  # fmt: skip
    assert result.exit_code in (1, 2), result.stderr  # 2: the night log has an unreadable row
    return result.stdout


@cache
def audit_json(name: str) -> dict:  # type: ignore[type-arg]
    result = run("audit", f"plan-{name}.json", f"log-{name}.csv", "--now", NOW, "-f", "json")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def words(text: str) -> set[str]:
    return {word.rstrip(";") for word in text.split() if not BOX.search(word)}


def dose_table(lines: list[str]) -> list[str]:
    """The lines of the doses table: from its header to the line before `Daily totals:`."""
    start = next(i for i, line in enumerate(lines) if line.startswith("Dose "))
    end = lines.index("Daily totals:")
    return lines[start:end]


def dose_block(table: list[str], number: int) -> list[str]:
    """Dose `number`'s lines: its own line and the lines under it before the next dose."""
    start = next(i for i, line in enumerate(table) if re.match(rf"\s*{number}\s", line))
    end = next(
        (i for i in range(start + 1, len(table)) if re.match(r"\s*\d+\s|Day \d", table[i])),
        len(table),
    )
    return table[start:end]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", CASES)
def test_no_line_is_wider_than_the_terminal_and_no_word_is_cut(name: str, width: int) -> None:
    lines = audit(name, width).splitlines()
    assert [line for line in lines if len(line) > width] == []
    assert [line for line in lines if line != line.rstrip()] == []  # no trailing padding
    urls = [source["url"] for source in audit_json(name)["sources"]]
    cut = [
        word
        for word in words(audit(name, width)) - words(audit(name, 1000))
        if not any(word in url for url in urls)
    ]
    assert cut == []
    joined = "".join(line.strip() for line in lines)
    assert all(url in joined for url in urls)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", CASES)
def test_every_logged_time_stays_beside_its_log_line(name: str, width: int) -> None:
    """The bug this file is about: at 60 columns the Logged and Line columns had no width."""
    table = dose_table(audit(name, width).splitlines())
    rows = audit_json(name)["doses"]
    for row in (row for row in rows if row["entries"] and row["status"] != "extra"):
        block = dose_block(table, row["dose"])
        for entry in row["entries"]:
            clock = entry["taken_at"][11:16]  # the plan is in UTC or London (UTC in December)
            assert any(
                clock in line and str(entry["line"]) in re.split(r"[\s,]+", line) for line in block
            ), (entry, block)
        offset = row["minutes_from_schedule"]
        if offset:
            hours, minutes = divmod(abs(offset), 60)
            assert any(f"(+{hours}h{minutes:02d})" in line for line in block), block


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", CASES)
def test_every_finding_slug_is_whole_beside_or_under_its_dose(name: str, width: int) -> None:
    lines = audit(name, width).splitlines()
    data = audit_json(name)
    table = dose_table(lines)
    header = lines.index(table[0])
    for finding in data["findings"]:
        assert any(f"{finding['rule']} ({finding['code']})" in line for line in lines[:header])
        label = f"{finding['severity'].upper()} {finding['rule']}"
        if finding["dose"] is not None:
            assert any(label in line for line in dose_block(table, finding["dose"]))
        if finding["rule"] == "over-daily-max":
            totals = lines[lines.index("Daily totals:") :]
            day = next(line for line in totals if line.startswith(finding["message"][:10]))
            assert label in day or label in totals[totals.index(day) + 1]


def test_at_100_columns_the_findings_sit_beside_the_dose() -> None:
    out = audit("done-when", 100)
    assert (
        "   5    2              14:00     5 mg  missed                               "
        "WARNING missed-dose\n"
    ) in out
    assert (
        "   8    3              14:00     5 mg  taken    14:00             8   5 mg  "
        "ERROR double-dose\n"
        "                                       extra    14:00             9   5 mg\n"
    ) in out


def test_at_80_columns_the_findings_go_under_the_dose() -> None:
    out = audit("done-when", 80)
    assert (
        "Dose  Day  Date        Time   Planned  Status   Logged         Line  Taken\n"
        "──────────────────────────────────────────────────────────────────────────\n"
        "   1    1  2026-12-01  08:00     5 mg  taken    08:00             2   5 mg\n"
    ) in out
    assert (
        "   5    2              14:00     5 mg  missed\n"
        "      WARNING missed-dose\n"
        "   6    2              20:00     5 mg  taken    20:00             6   5 mg\n"
    ) in out


def test_at_60_columns_the_date_heads_its_doses_and_each_entry_has_its_line() -> None:
    out = audit("night", 60)
    assert (
        "Dose  Time   Planned  Status   Logged            Line  Taken\n"
        "────────────────────────────────────────────────────────────\n"
        "Day 1  2026-12-01\n"
        "   1  08:00     5 mg  taken    08:00                2   5 mg\n"
        "   2  14:00     5 mg  taken    14:00                3   5 mg\n"
        "   3  23:00     5 mg  late     2026-12-02 01:40     4   5 mg\n"
        "                               (+2h40)\n"
        "Day 2  2026-12-02\n"
        "   4  08:00     5 mg  taken    08:00                5   5 mg\n"
        "                               08:10                6\n"
    ) in out
