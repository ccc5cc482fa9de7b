"""Fuzzing dose logs (hypothesis): random CSV and JSON Lines logs against two plans.

Rows are on-time, late, early or far-off doses in assorted UTC offsets (or none), half
and double amounts, duplicates, and garbage (random text, impossible dates, NaN, 1e400,
units, bytes that are not UTF-8, over-long lines). Invariants:
- exit status in {0, 1, 2}; never an uncaught exception or a traceback;
- a log refused as a whole gets exactly one stderr line naming it, and no stdout;
- otherwise every row is accounted for: each data line is in exactly one dose's entries
  or in the rejected rows, and `entries` counts them all;
- the JSON validates against `titrate schema --kind audit`;
- exit 2 if and only if rows were rejected, else 1 if and only if there is a finding at
  or above warning (audit's default --fail-on).

Bounded for CI; set TITRATE_FUZZ_EXAMPLES=5000 (for example) for a longer run.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from conftest import run

EXAMPLES = int(os.environ.get("TITRATE_FUZZ_EXAMPLES", "60"))
PLANS = {
    "utc": ["--start", "2026-12-01", "--tz", "UTC"],
    "london_fall_back": [
        *("--start", "2026-10-24", "--tz", "Europe/London"),
        *("--times", "01:30,12:00,20:00"),
    ],
}
NOW = {"utc": "2026-12-13T09:00", "london_fall_back": "2026-11-05T09:00"}
OFFSETS = ["", "Z", "+00:00", "+01:00", "+05:30", "-08:00", "+14:00", "-12:00"]


@pytest.fixture(scope="module")
def setup() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="titrate-fuzz-"))
    plans = {}
    for name, options in PLANS.items():
        path = folder / f"{name}.json"
        made = run("plan", "baclofen", *options, "-f", "json", "-o", str(path))
        assert made.exit_code == 0, made.stderr
        plans[name] = (path, json.loads(path.read_text()))
    schema = json.loads(run("schema", "--kind", "audit").stdout)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return {"plans": plans, "validator": validator}


# One physical line is one row: no \n or \r inside (\x1c, \u2028 … are fine: logs are
# split on \n only, never with str.splitlines).
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=20,
)
numbers = st.one_of(
    st.sampled_from(["NaN", "nan", "Infinity", "-inf", "1e400", "-0", "0", "0.0001", "5 g"]),
    st.sampled_from(["5 mg", "10mg", "+5", " 7.5 ", "2.5", "1e1", "100000", "100001", ""]),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.integers(-10, 200).map(str),
)
when = st.one_of(
    st.sampled_from(["2027-02-29T08:00", "2028-02-29T08:00", "2026-10-25T01:30"]),
    st.sampled_from(["2026-03-29T01:30", "0001-01-01T00:00", "9999-12-31T23:59", "tomorrow"]),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
    text,
)


@st.composite
def planned_row(draw: st.DrawFn, doses: list[dict[str, Any]]) -> tuple[str, str, str | None]:
    """A row near a scheduled dose: (taken_at, dose_mg, note)."""
    dose = draw(st.sampled_from(doses))
    at = datetime.fromisoformat(dose["at"])
    at += timedelta(minutes=draw(st.sampled_from([0, 0, 0, 5, -20, 61, 90, 200, -400])))
    offset = draw(st.sampled_from(OFFSETS))
    if offset in ("", "Z"):
        shown = at.astimezone(UTC if offset else at.tzinfo).strftime("%Y-%m-%dT%H:%M")
        shown += offset
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        shown = at.astimezone(zone).isoformat(timespec="minutes")
    mg = dose["dose_mg"]
    amount = draw(st.sampled_from([mg, mg, mg / 2, mg * 2, mg + 0.5]))
    note = draw(st.one_of(st.none(), text))
    return shown, format(amount, "g"), note


@st.composite
def log_case(draw: st.DrawFn, plans: dict[str, Any]) -> tuple[str, str, bytes]:
    """(plan name, file suffix, log bytes)."""
    plan_name = draw(st.sampled_from(sorted(plans)))
    doses = plans[plan_name][1]["doses"]
    rows: list[tuple[str, str, str | None] | bytes] = []
    if draw(st.integers(0, 7)) == 0:  # now and then, a clean log: every dose, on time
        for dose in doses:
            at = datetime.fromisoformat(dose["at"])
            offset = draw(st.sampled_from(OFFSETS[1:]))
            shown = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") + "Z"
            if offset not in ("Z", "+00:00"):
                sign = 1 if offset[0] == "+" else -1
                hours, minutes = int(offset[1:3]), int(offset[4:6])
                zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
                shown = at.astimezone(zone).isoformat(timespec="minutes")
            rows.append((shown, format(dose["dose_mg"], "g"), None))
    for _ in range(draw(st.integers(0, 25)) if not rows else 0):
        kind = draw(st.sampled_from(["planned"] * 5 + ["garbage", "junk", "bytes", "duplicate"]))
        if kind == "planned":
            rows.append(draw(planned_row(doses)))
        elif kind == "garbage":
            rows.append((draw(when), draw(numbers), draw(st.one_of(st.none(), text))))
        elif kind == "junk":
            rows.append(draw(text).encode("utf-8"))
        elif kind == "bytes":
            rows.append(draw(st.sampled_from([b"\xff\xfe", b"caf\xe9,5", b"x" * 10_001, b"\x00"])))
        elif rows:
            rows.append(draw(st.sampled_from(rows)))
    fmt = draw(st.sampled_from(["csv", "jsonl"]))
    lines: list[bytes] = []
    if fmt == "csv" and draw(st.booleans()):
        lines.append(draw(st.sampled_from([b"taken_at,dose_mg,note", b"dose_mg,taken_at"])))
    for row in rows:
        if isinstance(row, bytes):
            lines.append(row)
            continue
        at, mg, note = row
        if fmt == "jsonl":
            item: dict[str, Any] = {"taken_at": at, "dose_mg": mg}
            if draw(st.booleans()):
                with contextlib.suppress(ValueError):
                    item["dose_mg"] = json.loads(mg)
            if note is not None:
                item["note"] = note
            lines.append(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        else:
            cells = [at, mg] + ([note] if note is not None else [])
            if lines and lines[0] == b"dose_mg,taken_at":
                cells[0], cells[1] = cells[1], cells[0]
            lines.append(",".join(cells).encode("utf-8"))
    data = b"\n".join(lines) + (b"\n" if draw(st.booleans()) else b"")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return plan_name, fmt, data


def data_lines(data: bytes, fmt: str) -> set[int]:
    """Line numbers of the rows a reader must account for (not blank, not a comment,
    not the header)."""
    found: set[int] = set()
    header_seen = fmt != "csv"
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        line = raw.removesuffix(b"\r")
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            found.add(number)
            header_seen = True
            continue
        if len(decoded) <= 10_000 and not decoded.strip():
            continue
        if fmt == "csv" and len(decoded) <= 10_000 and decoded.lstrip().startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            if not any(char.isdigit() for char in decoded) and len(decoded) <= 10_000:
                continue  # the header (or a file-level error, checked separately)
        found.add(number)
    return found


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=st.data())
def test_fuzzed_logs_are_audited_or_refused_clearly(setup: dict[str, Any], case: Any) -> None:
    plan_name, fmt, data = case.draw(log_case(setup["plans"]))
    plan_path = setup["plans"][plan_name][0]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / f"log.{fmt}"
        log.write_bytes(data)
        result = run("audit", str(plan_path), str(log), "--now", NOW[plan_name], "-f", "json")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr
    event(f"exit {result.exit_code}" + ("" if result.stdout else " (refused)"))
    if not result.stdout:  # refused as a whole
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"titrate: error: {log}"), result.stderr
        return
    audit = json.loads(result.stdout)
    errors = list(setup["validator"].iter_errors(audit))
    assert not errors, errors[0].message
    read = [entry["line"] for dose in audit["doses"] for entry in dose["entries"]]
    rejected = [row["line"] for row in audit["rejected_rows"]]
    assert len(set(read)) == len(read) and not set(read) & set(rejected)
    assert set(read) | set(rejected) == data_lines(data, fmt)
    assert audit["entries"] == len(read) + len(rejected)
    if rejected:
        assert result.exit_code == 2
        assert result.stderr.startswith(f"titrate: error: {log}:{rejected[0]}: ")
        return
    failing = [f for f in audit["findings"] if f["severity"] in ("warning", "error")]
    assert result.exit_code == (1 if failing else 0), result.stderr
