"""Dose logs: what was really taken, read row by row from CSV or JSON Lines.

CSV rows are `taken_at,dose_mg[,note]` (an optional header row names the columns, in
any order); JSON Lines rows are objects with the same keys. `taken_at` is ISO 8601; a
date-time without a UTC offset is wall time in the plan's zone. Blank lines and CSV
lines starting with `#` are skipped. A row that cannot be read becomes a RejectedRow
with its line number: it is reported, never silently dropped, and the other rows are
still read.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from titrate.errors import InputError
from titrate.model import ABSURD_MG, LogEntry, RejectedRow

LogFormat = Literal["csv", "jsonl"]

COLUMNS = ("taken_at", "dose_mg", "note")

# A physical line longer than this is not a log row (a binary file, a pasted blob).
MAX_LINE_CHARS = 10_000
# Far more doses than any plan has (ten years at 24 a day is ~88,000): a larger log is
# almost certainly the wrong file, and refusing it keeps memory bounded.
MAX_LOG_ROWS = 1_000_000
# Rejected rows quote at most this much of the offending text.
QUOTE_CHARS = 120

_HAS_TIME = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")


@dataclass
class DoseLog:
    """The readable entries of a log and the rows that could not be read."""

    name: str
    entries: list[LogEntry] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def parse_instant(text: str, tz: ZoneInfo, where: str) -> datetime:
    """ISO 8601 date-time → aware instant in `tz`. Without a UTC offset the text is wall
    time in `tz` (a wall time skipped by a clock change moves forward by the gap; a
    repeated one is its first occurrence, as in plans)."""
    value = text.strip()
    if not _HAS_TIME.match(value):
        raise InputError(
            f"{_quote(value)} is not an ISO 8601 date-time with a time of day "
            "(e.g. 2026-12-02T14:00 or 2026-12-02T14:00+01:00)",
            where,
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{_quote(value)} is not an ISO 8601 date-time (e.g. 2026-12-02T14:00)", where
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        # A fixed offset (not the ZoneInfo) keeps comparisons and differences exact
        # across clock changes; see titrate.missed.fixed.
        local = parsed.astimezone(UTC).astimezone(tz)
        return local.replace(tzinfo=timezone(local.utcoffset() or timedelta(0)))
    except OverflowError:
        raise InputError(f"{_quote(value)} is out of range", where) from None


def parse_mg_text(text: str) -> Decimal:
    """`"10"`, `"7.5"`, `"10 mg"` → Decimal; ValueError with a reason otherwise."""
    value = text.strip()
    if value.lower().endswith("mg"):
        value = value[:-2].strip()
    if not value:
        raise ValueError("dose_mg is empty")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"dose_mg {_quote(text.strip())} is not a number") from None
    return _check_mg(amount, text.strip())


def _check_mg(amount: Decimal, shown: str) -> Decimal:
    if not amount.is_finite():
        raise ValueError(f"dose_mg {_quote(shown)} is not a number")
    if amount <= 0:
        raise ValueError(
            f"dose_mg {_quote(shown)} must be more than 0 (leave doses not taken out of the log)"
        )
    if amount > ABSURD_MG:
        raise ValueError(f"dose_mg {_quote(shown)} is not a plausible dose")
    return amount


def _quote(text: str) -> str:
    shown = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
    return repr(shown)


def log_format(path: Path, first_line: str | None) -> LogFormat:
    """By extension (.csv, .jsonl, .ndjson), else by the first row (`{` → JSON Lines)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "jsonl" if first_line is not None and first_line.lstrip().startswith("{") else "csv"


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each physical line; text None when it is not UTF-8."""
    try:
        if path.is_dir():
            raise InputError("is a directory, expected a dose log", str(path))
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError("no such dose log", str(path)) from None
    except PermissionError:
        raise InputError("cannot read dose log: permission denied", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read dose log: {exc.strerror or exc}", str(path)) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # tolerate a UTF-8 byte-order mark
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield number, None


def read_log(path: Path, tz: ZoneInfo) -> DoseLog:
    """Read a dose log row by row. File-level problems (missing file, unknown CSV
    column, too many rows, no rows at all) are InputErrors; row problems are
    RejectedRows and the other rows are still read."""
    log = DoseLog(name=str(path))
    lines = _lines(path)
    pending: list[tuple[int, str | None]] = []
    first_text: str | None = None
    for number, text in lines:  # find the first non-blank line to pick the format
        pending.append((number, text))
        if text is None or text.strip():
            first_text = text
            break
    fmt = log_format(path, first_text)
    rows = _chain(pending, lines)
    parse = _csv_rows if fmt == "csv" else _jsonl_rows
    for number, result in parse(rows, str(path)):
        checked = result if isinstance(result, RejectedRow) else _entry(number, result, tz)
        if isinstance(checked, RejectedRow):
            log.rejected.append(checked)
        else:
            log.entries.append(checked)
        if len(log.entries) + len(log.rejected) > MAX_LOG_ROWS:
            raise InputError(f"more than {MAX_LOG_ROWS} rows; is this a dose log?", str(path))
    if not log.entries and not log.rejected:
        raise InputError("dose log has no rows (expected taken_at,dose_mg[,note])", str(path))
    if not log.entries:
        first = log.rejected[0]
        raise InputError(
            f"no row could be read (expected taken_at,dose_mg[,note]); line {first.line}: "
            f"{first.message}",
            str(path),
        )
    return log


def _chain(
    head: list[tuple[int, str | None]], tail: Iterator[tuple[int, str | None]]
) -> Iterator[tuple[int, str | None]]:
    yield from head
    yield from tail


RawRow = dict[str, Any]


def _entry(number: int, row: RawRow, tz: ZoneInfo) -> LogEntry | RejectedRow:
    """A checked raw row → LogEntry, or a RejectedRow when its date-time is bad."""
    try:
        taken_at = parse_instant(str(row["taken_at"]), tz, "taken_at")
    except InputError as exc:
        return RejectedRow(line=number, message=str(exc), text=row["_text"])
    return LogEntry(line=number, taken_at=taken_at, dose_mg=row["dose_mg"], note=row["note"])


def _reject(number: int, message: str, text: str) -> RejectedRow:
    return RejectedRow(line=number, message=message, text=_shorten(text))


def _shorten(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _readable(
    rows: Iterator[tuple[int, str | None]],
) -> Iterator[tuple[int, str | RejectedRow]]:
    """Skip blank lines; turn undecodable and over-long lines into rejections."""
    for number, text in rows:
        if text is None:
            yield number, _reject(number, "not UTF-8 text", "")
        elif len(text) > MAX_LINE_CHARS:
            yield number, _reject(number, f"line longer than {MAX_LINE_CHARS} characters", text)
        elif text.strip():
            yield number, text


def _csv_rows(
    rows: Iterator[tuple[int, str | None]], name: str
) -> Iterator[tuple[int, RawRow | RejectedRow]]:
    columns: tuple[str, ...] = COLUMNS
    first = True
    for number, text in _readable(rows):
        if isinstance(text, RejectedRow):
            first = False
            yield number, text
            continue
        if text.lstrip().startswith("#"):
            continue
        try:
            # One physical line is one row: a note cannot span lines.
            cells = next(csv.reader([text], strict=True))
        except csv.Error as exc:
            first = False
            yield number, _reject(number, f"not a CSV row ({exc})", text)
            continue
        if first:
            first = False
            if not any(char.isdigit() for char in text):  # data rows always hold a date
                columns = _header([cell.strip() for cell in cells], name, number)
                continue
        yield number, _csv_fields(number, text, cells, columns)


def _header(cells: list[str], name: str, number: int) -> tuple[str, ...]:
    names = tuple(cell.lower() for cell in cells)
    for column in names:
        if column not in COLUMNS:
            raise InputError(
                f"unknown column {column!r} (expected taken_at, dose_mg and optionally note)",
                f"{name}:{number}",
            )
    if len(set(names)) != len(names):
        raise InputError("a column is named twice in the header", f"{name}:{number}")
    for needed in ("taken_at", "dose_mg"):
        if needed not in names:
            raise InputError(f"the header has no {needed} column", f"{name}:{number}")
    return names


def _csv_fields(
    number: int, text: str, raw_cells: list[str], columns: tuple[str, ...]
) -> RawRow | RejectedRow:
    if len(raw_cells) < 2:
        return _reject(number, "expected taken_at,dose_mg[,note]", text)
    if len(raw_cells) > len(columns) and columns[-1] == "note":
        # An unquoted comma in the last column belongs to the note.
        last = len(columns) - 1
        raw_cells = [*raw_cells[:last], ",".join(raw_cells[last:])]
    cells = [cell.strip() for cell in raw_cells]
    if len(cells) > len(columns):
        return _reject(number, f"{len(cells)} fields; expected at most {len(columns)}", text)
    row = dict(zip(columns, cells, strict=False))
    try:
        dose_mg = parse_mg_text(row.get("dose_mg", ""))
    except ValueError as exc:
        return _reject(number, str(exc), text)
    if not row.get("taken_at"):
        return _reject(number, "taken_at is empty", text)
    return {
        "taken_at": row["taken_at"],
        "dose_mg": dose_mg,
        "note": row.get("note") or None,
        "_text": _shorten(text),
    }


def _refuse_constant(token: str) -> Decimal:
    raise ValueError(f"{token} is not a number")


def _jsonl_rows(
    rows: Iterator[tuple[int, str | None]], name: str
) -> Iterator[tuple[int, RawRow | RejectedRow]]:
    for number, text in _readable(rows):
        if isinstance(text, RejectedRow):
            yield number, text
            continue
        yield number, _json_fields(number, text)


def _json_fields(number: int, text: str) -> RawRow | RejectedRow:
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return _reject(number, f"not valid JSON: {exc.msg}", text)
    except ValueError as exc:
        return _reject(number, str(exc), text)
    if not isinstance(data, dict):
        return _reject(number, "expected a JSON object with taken_at and dose_mg", text)
    unknown = sorted(set(data) - set(COLUMNS))
    if unknown:
        return _reject(
            number, f"unknown field {unknown[0]!r} (expected taken_at, dose_mg, note)", text
        )
    taken_at, dose, note = data.get("taken_at"), data.get("dose_mg"), data.get("note")
    if not isinstance(taken_at, str) or not taken_at.strip():
        return _reject(number, "taken_at must be an ISO 8601 date-time string", text)
    if note is not None and not isinstance(note, str):
        return _reject(number, "note must be text", text)
    try:
        if isinstance(dose, bool) or dose is None:
            raise ValueError("dose_mg must be a number of milligrams")
        if isinstance(dose, str):
            dose_mg = parse_mg_text(dose)
        elif isinstance(dose, int | Decimal):
            dose_mg = _check_mg(Decimal(dose), str(dose))
        else:
            raise ValueError("dose_mg must be a number of milligrams")
    except ValueError as exc:
        return _reject(number, str(exc), text)
    return {"taken_at": taken_at, "dose_mg": dose_mg, "note": note, "_text": _shorten(text)}
