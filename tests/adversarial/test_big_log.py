"""A huge dose log: the audit streams it in flat memory.

The log holds the 36 on-time rows of the label plan spread through BIG rows of rubbish
(bad numbers, impossible dates, grams, rows after --now): every row is read, the 36 doses
are found, the first 1,000 rejected rows are listed and the rest counted. Peak memory
(ru_maxrss of a child process) must not grow from 10,000 rows to BIG rows.

BIG is 100,000 rows in CI (a few seconds); TITRATE_SLOW_TESTS=1 runs 1,000,000 rows
(about a minute on a busy two-core machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import CLI_ENV, run

SLOW = os.environ.get("TITRATE_SLOW_TESTS") == "1"
BIG = 1_000_000 if SLOW else 100_000
SMALL = 10_000
# Flat: the big run may use at most this much more memory than the small one.
SLACK_KB = 16 * 1024
RUBBISH = [
    "2026-12-01T08:00,NaN",
    "2027-02-29T08:00,5",
    "2026-12-01T08:00,10 g",
    "not a row",
    "2026-12-01T09:00,-5",
    "2026-12-01T10:00,1e400",
    "2099-01-01T08:00,5",  # after --now
]


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    made = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "-o", str(path))
    assert made.exit_code == 0, made.stderr
    return path


def write_log(path: Path, rows: int, plan: Path) -> None:
    doses = [(d["at"], d["dose_mg"]) for d in json.loads(plan.read_text())["doses"]]
    every = rows // len(doses)
    with path.open("w", encoding="utf-8") as out:
        out.write("taken_at,dose_mg\n")
        for index in range(rows):
            if index % every == 0 and index // every < len(doses):
                at, mg = doses[index // every]
                out.write(f"{at},{mg}\n")
            else:
                out.write(RUBBISH[index % len(RUBBISH)] + "\n")


def audit_in_child(plan: Path, log: Path, out: Path) -> tuple[int, int, str]:
    """(exit status, peak resident memory in KiB, stderr) of `titrate audit` run as a
    separate process, so its memory is measured alone."""
    err = out.with_suffix(".err")
    argv = [sys.executable, "-m", "titrate", "audit", str(plan), str(log)]
    # before the first window after the plan's end opens (02:00): the log follows the whole
    # plan and the audit expects nothing more (maintenance doses come after)
    argv += ["--now", "2026-12-13T01:00", "-f", "json", "-o", str(out)]
    with err.open("wb") as stderr:
        child = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, **CLI_ENV}
        )
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss, err.read_text()


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs os.wait4 (POSIX)")
def test_huge_log_is_audited_in_flat_memory(plan_file: Path, tmp_path: Path) -> None:
    peaks = {}
    for rows in (SMALL, BIG):
        log = tmp_path / f"log{rows}.csv"
        write_log(log, rows, plan_file)
        out = tmp_path / f"audit{rows}.json"
        status, peak, stderr = audit_in_child(plan_file, log, out)
        assert status == 2, stderr  # rejected rows give exit 2, the audit still runs
        audit = json.loads(out.read_text())
        assert audit["entries"] == rows
        assert audit["summary"] == {"taken": 36, "late": 0, "missed": 0, "pending": 0, "extra": 0}
        assert audit["findings"] == []
        assert len(audit["rejected_rows"]) == 1_000
        first_unlisted = audit["rejected_rows"][-1]["line"] + 1
        first_unlisted += first_unlisted in {d["entries"][0]["line"] for d in audit["doses"]}
        assert audit["notes"][-1] == (
            f"{rows - 36} rows could not be read; the first 1000 are listed, "
            f"{rows - 36 - 1000} more from line {first_unlisted} on are not."
        )
        lines = stderr.splitlines()
        assert len(lines) == 11 and "Traceback" not in stderr
        assert lines[-1] == (
            f"titrate: error: {log}: {rows - 36 - 10} more unreadable row(s), "
            "the output lists the first 1000"
        )
        peaks[rows] = peak
    assert peaks[BIG] <= peaks[SMALL] + SLACK_KB, peaks


def test_log_of_mostly_extra_doses_is_refused_early(plan_file: Path, tmp_path: Path) -> None:
    """100,000 readable doses against a 36-dose plan: not this plan's log. The audit
    stops at the 10,001st extra entry with one line instead of listing them all."""
    log = tmp_path / "extras.csv"
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with log.open("w") as out:
        out.write("taken_at,dose_mg\n")
        for minute in range(100_000):  # a dose a minute, the year before the plan
            at = start + timedelta(minutes=minute)
            out.write(f"{at.isoformat()},{1 + minute % 20}\n")
    result = run("audit", str(plan_file), str(log), "--now", "2026-12-20T00:00")
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {log}: more than 10000 log entries are extra to this plan "
        "(outside its dose windows or beyond a dose's amount; the first at line 2): "
        "is this the log of this plan?\n"
    )
    assert result.stdout == ""


def test_log_over_the_row_cap_is_refused(
    plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("titrate.core.doselog.MAX_LOG_ROWS", 100)
    log = tmp_path / "long.csv"
    log.write_text("taken_at,dose_mg\n" + "nonsense,5\n" * 101)
    result = run("audit", str(plan_file), str(log), "--now", "2026-12-20T00:00")
    assert result.exit_code == 2
    assert result.stderr == f"titrate: error: {log}: more than 100 rows; is this a dose log?\n"
