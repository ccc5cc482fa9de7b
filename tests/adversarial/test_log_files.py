"""Hostile and broken dose logs: one case per file in log_files/, audited by the CLI.

Each file starts with `# ` lines stating the case and its exact outcome; the test blanks
them (so the file's line numbers stay the lines the expectations name) and runs
`titrate plan baclofen PLAN-OPTIONS -f json -o plan.json` then
`titrate audit plan.json LOG --now NOW -f json`:

  # expect: exit N                 exit status
  # plan: OPTIONS                  options of `titrate plan baclofen`
  # now: DATETIME                  --now of the audit
  # why: TEXT                      what the case is about (not checked)
  # summary: taken=N late=N missed=N pending=N extra=N
  # findings: RULE@DOSE …          every finding, in order (RULE@dayN, RULE@-, or `none`)
  # rejected: LINE MESSAGE         every rejected row, in order (also on stderr, 10 at most)
  # error: TEXT                    a file-level error: stderr is exactly this one line
  # note: TEXT                     one of the audit's notes
  # dose: N STATUS MINUTES         a scheduled dose's status and minutes from its time
  # entry-note: LINE TEXT          the note kept for the log row on LINE
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from conftest import run

CASES = sorted(
    path for path in (Path(__file__).parent / "log_files").iterdir() if path.suffix != ".md"
)
BOM = b"\xef\xbb\xbf"


def parse_case(path: Path) -> tuple[dict[str, list[str]], bytes]:
    """(header fields, the log with its header lines blanked)."""
    raw = path.read_bytes()
    bom = raw.startswith(BOM)
    lines = raw.removeprefix(BOM).split(b"\n")
    header: dict[str, list[str]] = {}
    count = 0
    while count < len(lines) and lines[count].startswith(b"# "):
        key, _, value = lines[count][2:].decode("utf-8").partition(": ")
        header.setdefault(key, []).append(value)
        count += 1
    for needed in ("expect", "plan", "now"):
        assert needed in header, f"{path.name} does not state `# {needed}:`"
    blanked = b"\n".join([b""] * count + lines[count:])
    return header, (BOM if bom else b"") + blanked


def finding_key(finding: dict[str, Any]) -> str:
    if finding["dose"] is not None:
        return f"{finding['rule']}@{finding['dose']}"
    return f"{finding['rule']}@" + (f"day{finding['day']}" if finding["day"] else "-")


@pytest.mark.parametrize("path", CASES, ids=[case.name for case in CASES])
def test_log_file_case(path: Path, tmp_path: Path) -> None:
    header, data = parse_case(path)
    log = tmp_path / path.name
    log.write_bytes(data)
    plan = tmp_path / "plan.json"
    made = run("plan", "baclofen", *shlex.split(header["plan"][0]), "-f", "json", "-o", str(plan))
    assert made.exit_code == 0, made.stderr
    result = run("audit", str(plan), str(log), "--now", header["now"][0], "-f", "json")
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"exit {result.exit_code}" == header["expect"][0], result.stderr

    if "error" in header:  # refused as a whole: one line, nothing on stdout
        assert result.stderr == f"titrate: error: {log}{header['error'][0]}\n"
        assert result.stdout == ""
        return

    audit = json.loads(result.stdout)
    summary = " ".join(
        f"{name}={audit['summary'][name]}"
        for name in ("taken", "late", "missed", "pending", "extra")
    )
    assert summary == header["summary"][0]
    findings = " ".join(finding_key(finding) for finding in audit["findings"]) or "none"
    assert findings == header["findings"][0]

    rejected = [f"{row['line']} {row['message']}" for row in audit["rejected_rows"]]
    assert rejected == header.get("rejected", [])
    # Every row is accounted for: read (in some dose's entries) or rejected.
    read = sorted(entry["line"] for dose in audit["doses"] for entry in dose["entries"])
    assert audit["entries"] == len(read) + len(rejected)
    # stderr: one line per rejected row (ten at most), then how many more.
    expected_err = [
        f"titrate: error: {log}:{row['line']}: {row['message']}"
        for row in audit["rejected_rows"][:10]
    ]
    if len(rejected) > 10:
        expected_err.append(
            f"titrate: error: {log}: {len(rejected) - 10} more unreadable row(s), "
            "listed in the output"
        )
    assert result.stderr.splitlines() == expected_err

    for note in header.get("note", []):
        assert note in audit["notes"]
    by_number = {row["dose"]: row for row in audit["doses"] if row["scheduled_at"]}
    for check in header.get("dose", []):
        number, status, minutes = check.split()
        row = by_number[int(number)]
        assert (row["status"], row["minutes_from_schedule"]) == (status, int(minutes)), row
    notes = {entry["line"]: entry["note"] for dose in audit["doses"] for entry in dose["entries"]}
    for check in header.get("entry-note", []):
        line, _, text = check.partition(" ")
        assert notes[int(line)] == text
