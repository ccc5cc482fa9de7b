"""Dose logs: what was really taken, read row by row from CSV or JSON Lines.

CSV rows are `taken_at,dose_mg[,note]` (an optional header row names the columns, in
any order); JSON Lines rows are objects with the same keys. `taken_at` is ISO 8601; a
date-time without a UTC offset is wall time in the plan's zone. Blank lines and CSV
lines starting with `#` are skipped. A row that cannot be read becomes a RejectedRow
with its line number: it is reported, never silently dropped, and the other rows are
still read.

Clock changes: a wall time without an offset that a clock change skips (02:30 on a
spring-forward night) is moved forward by the gap (03:30), and one it repeats (01:30 on a
fall-back night) is its first occurrence, as in plans; both are noted in the audit. Write
the UTC offset (…T01:30+00:00) to mean the second occurrence.

Logs are read as a stream (`iter_rows`): one row in memory at a time, so a log of any
length is read in flat memory (the audit bounds what it keeps; see titrate.core.audit).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from titrate.clock import gap_end, local_instant
from titrate.errors import InputError
from titrate.io.jsontext import JSONTextError, loads
from titrate.io.lines import Line, read_lines
from titrate.io.numbers import decimal_or_none
from titrate.io.text import text_problem, walk_strings
from titrate.model import ABSURD_MG, MG_DECIMAL_PLACES, LogEntry, RejectedRow

LogFormat = Literal["csv", "jsonl"]

COLUMNS = ("taken_at", "dose_mg", "note")

# A physical line longer than this is not a log row (a binary file, a pasted blob).
MAX_LINE_CHARS = 10_000
# Far more doses than any plan has (ten years at 24 a day is ~88,000): a larger log is
# almost certainly the wrong file, and refusing it keeps memory bounded.
MAX_LOG_ROWS = 1_000_000
# Rejected rows quote at most this much of the offending text.
QUOTE_CHARS = 120

# At most this many clock-change notes are kept (the rest are counted).
MAX_CLOCK_NOTES = 10

_DIGIT = re.compile(r"\d")
_HAS_TIME = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_NUMBER_AND_UNIT = re.compile(r"^([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*([^\d\s.+-].*)$")

Row = LogEntry | RejectedRow

# Instants a week inside datetime's range: anything nearer its ends is a typo, and the
# audit's arithmetic (a day before, halfway to the next dose) must not overflow.
_EARLIEST = datetime(1, 1, 8, tzinfo=UTC)
_LATEST = datetime(9999, 12, 24, tzinfo=UTC)


@dataclass
class ClockNotes:
    """Rows whose wall time a clock change skipped or repeated (at most MAX_CLOCK_NOTES
    kept, the rest counted)."""

    notes: list[str] = field(default_factory=list)
    more: int = 0

    def add(self, note: str) -> None:
        if len(self.notes) < MAX_CLOCK_NOTES:
            self.notes.append(note)
        else:
            self.more += 1

    def lines(self) -> list[str]:
        extra = (
            [f"{self.more} more row(s) at a skipped or repeated clock time."] if self.more else []
        )
        return [*self.notes, *extra]


@dataclass
class DoseLog:
    """A dose log: read from `path` as a stream (see `open_log`), or held in memory as
    readable entries and rejected rows (see `read_log`)."""

    name: str
    entries: list[LogEntry] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    path: Path | None = None
    tz: ZoneInfo | None = None
    clock: ClockNotes = field(default_factory=ClockNotes)

    def rows(self) -> Iterator[Row]:
        """Every row in line order: streamed from the file, or from memory."""
        if self.path is not None:
            assert self.tz is not None
            yield from iter_rows(self.path, self.tz, self.clock)
            return
        rows: list[Row] = [*self.entries, *self.rejected]
        yield from sorted(rows, key=_line_of)


def _line_of(row: Row) -> int:
    return row.line


def parse_instant(text: str, tz: ZoneInfo, field: str) -> datetime:
    """ISO 8601 date-time → aware instant in `tz`. Without a UTC offset the text is wall
    time in `tz` (a wall time skipped by a clock change is read at the end of the gap; a
    repeated one is its first occurrence, as in plans)."""
    value = text.strip()
    if not _HAS_TIME.match(value):
        raise InputError(
            f"{_quote(value)} is not an ISO 8601 date-time with a time of day "
            "(e.g. 2026-12-02T14:00 or 2026-12-02T14:00+01:00)",
            field=field,
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        reason = str(exc)
        detail = f": {reason}" if "out of range" in reason or "must be in" in reason else ""
        raise InputError(
            f"{_quote(value)} is not a valid ISO 8601 date-time{detail} (e.g. 2026-12-02T14:00)",
            field=field,
        ) from None
    try:
        if parsed.tzinfo is None:
            # as plans place wall times: a skipped one at the end of its gap (clock.py)
            parsed = local_instant(parsed.date(), parsed.time(), tz)[0]
        # A fixed offset (not the ZoneInfo) keeps comparisons and differences exact
        # across clock changes; see titrate.core.missed.fixed.
        instant = parsed.astimezone(UTC)
        local = instant.astimezone(tz)
    except OverflowError:
        instant = None
    if instant is None or not _EARLIEST <= instant <= _LATEST:
        # so that a day or two either side, as the audit's rules compute, still exists
        raise InputError(f"{_quote(value)} is out of range", field=field)
    return local.replace(tzinfo=timezone(local.utcoffset() or timedelta(0)))


def clock_change(text: str, tz: ZoneInfo) -> str | None:
    """Say how a wall time without a UTC offset that a clock change skipped or repeated
    in `tz` was read (None for any other text)."""
    try:
        wall_time = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if wall_time.tzinfo is not None:
        return None
    first = wall_time.replace(tzinfo=tz, fold=0)
    second = wall_time.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    shown = wall_time.strftime("%Y-%m-%d %H:%M")
    read = first.astimezone(UTC).astimezone(tz)
    if read.replace(tzinfo=None) != wall_time:  # skipped: read at the end of the gap
        read = gap_end(first)
        return (
            f"{shown} does not exist in {tz.key} (the clocks went forward): read as "
            f"{read.strftime('%H:%M')}, UTC offset {_offset(read)}."
        )
    other = second.astimezone(UTC).astimezone(tz)
    return (
        f"{shown} happened twice in {tz.key} (the clocks went back): read as the first, "
        f"UTC offset {_offset(read)}; write {wall_time.strftime('%Y-%m-%dT%H:%M')}"
        f"{_offset(other)} for the second."
    )


def _offset(instant: datetime) -> str:
    text = instant.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def parse_mg_text(text: str) -> Decimal:
    """`"10"`, `"7.5"`, `"10 mg"` → Decimal; ValueError with a reason otherwise."""
    value = text.strip()
    if value.lower().endswith("mg"):
        value = value[:-2].strip()
    if not value:
        raise ValueError("dose_mg is empty")
    amount = decimal_or_none(value)  # ASCII digits only: not `1_0`, not `５`
    if amount is None:
        unit = _NUMBER_AND_UNIT.match(value)
        if unit is not None:
            raise ValueError(
                f"dose_mg {_quote(text.strip())}: the unit {_quote(unit.group(2).strip())} is "
                "not mg; give the dose in milligrams"
            ) from None
        raise ValueError(f"dose_mg {_quote(text.strip())} is not a number")
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
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MG_DECIMAL_PLACES:
        raise ValueError(
            f"dose_mg {_quote(shown)} has more than {MG_DECIMAL_PLACES} decimal places "
            "(a dose is stated to the microgram at most)"
        )
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


def _lines(path: Path) -> Iterator[Line]:
    """Each physical line (text None, with the problem, when it cannot be read)."""
    from titrate.io import open_input

    handle = open_input(path, "dose log")
    with handle:
        # 4 bytes per character at most: a line over the cap in bytes is over it in text
        yield from read_lines(handle, str(path), 4 * MAX_LINE_CHARS)


def iter_rows(path: Path, tz: ZoneInfo, clock: ClockNotes | None = None) -> Iterator[Row]:
    """Stream a log's rows, one at a time, in line order. File-level problems (missing
    file, unknown CSV column, too many rows, no rows at all, no readable row) raise
    InputError; row problems are RejectedRows and the other rows are still read."""
    lines = _lines(path)
    pending: list[Line] = []
    first_text: str | None = None
    for line in lines:  # find the first non-blank line to pick the format
        pending.append(line)
        if line.text is None or line.text.strip():
            first_text = line.text
            break
    fmt = log_format(path, first_text)
    rows = _chain(pending, lines)
    parse = _csv_rows if fmt == "csv" else _jsonl_rows
    count = readable = 0
    first_rejected: RejectedRow | None = None
    for number, result in parse(rows, str(path)):
        count += 1
        if count > MAX_LOG_ROWS:
            raise InputError(f"more than {MAX_LOG_ROWS} rows; is this a dose log?", str(path))
        checked = result if isinstance(result, RejectedRow) else _entry(number, result, tz, clock)
        if isinstance(checked, RejectedRow):
            first_rejected = first_rejected or checked
        else:
            readable += 1
        yield checked
    if count == 0:
        raise InputError("dose log has no rows (expected taken_at,dose_mg[,note])", str(path))
    if readable == 0:
        assert first_rejected is not None
        raise InputError(
            f"no row could be read (expected taken_at,dose_mg[,note]); line "
            f"{first_rejected.line}: {first_rejected.message}",
            str(path),
        )


def open_log(path: Path, tz: ZoneInfo) -> DoseLog:
    """A log to be streamed by whoever reads it (the audit): nothing is read yet."""
    return DoseLog(name=str(path), path=path, tz=tz)


def read_log(path: Path, tz: ZoneInfo) -> DoseLog:
    """Read a whole log into memory (for small logs and the Python API; the CLI
    streams with `open_log`)."""
    log = DoseLog(name=str(path))
    for row in iter_rows(path, tz, log.clock):
        if isinstance(row, RejectedRow):
            log.rejected.append(row)
        else:
            log.entries.append(row)
    return log


def _chain(head: list[Line], tail: Iterator[Line]) -> Iterator[Line]:
    yield from head
    yield from tail


RawRow = dict[str, Any]


def _entry(number: int, row: RawRow, tz: ZoneInfo, clock: ClockNotes | None) -> Row:
    """A checked raw row → LogEntry, or a RejectedRow when its date-time is bad."""
    text = str(row["taken_at"])
    try:
        taken_at = parse_instant(text, tz, "taken_at")
    except InputError as exc:
        return RejectedRow(line=number, message=str(exc), text=row["_text"])
    if clock is not None:
        change = clock_change(text, tz)
        if change is not None:
            clock.add(f"Line {number}: {change}")
    return LogEntry(line=number, taken_at=taken_at, dose_mg=row["dose_mg"], note=row["note"])


def _reject(number: int, message: str, text: str) -> RejectedRow:
    return RejectedRow(line=number, message=message, text=_shorten(text))


def _shorten(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _printable(text: str) -> str:
    """A refused line as it may be quoted back: its control characters escaped."""
    return text.encode("unicode_escape").decode("ascii")


def _line_problem(problem: str | None) -> str:
    if problem is None or problem.startswith("not UTF-8"):
        return "not UTF-8 text"
    return f"line longer than {MAX_LINE_CHARS} characters"


def _readable(
    rows: Iterator[Line],
) -> Iterator[tuple[int, str | RejectedRow]]:
    """Skip blank lines; turn undecodable and over-long lines into rejections."""
    for number, text, problem, _ in rows:
        if text is None:
            yield number, _reject(number, _line_problem(problem), "")
        elif len(text) > MAX_LINE_CHARS:
            yield number, _reject(number, f"line longer than {MAX_LINE_CHARS} characters", text)
        elif text.strip():
            yield number, text


def _csv_rows(rows: Iterator[Line], name: str) -> Iterator[tuple[int, RawRow | RejectedRow]]:
    columns: tuple[str, ...] = COLUMNS
    first = True
    for number, text in _readable(rows):
        if isinstance(text, RejectedRow):
            first = False
            yield number, text
            continue
        if text.lstrip().startswith("#"):
            continue
        if '"' in text or "\x00" in text:
            try:
                # One physical line is one row: a note cannot span lines.
                cells = next(csv.reader([text], strict=True))
            except csv.Error as exc:
                first = False
                yield number, _reject(number, f"not a CSV row ({exc})", text)
                continue
        else:
            cells = text.split(",")  # what the csv module gives for a line without quotes
        if _DIGIT.search(text) is None:  # data rows always hold a date
            if first:
                first = False
                columns = _header([cell.strip() for cell in cells], name, number)
                continue
            if {cell.strip().lower() for cell in cells} & set(COLUMNS):
                yield number, _reject(number, "a header row in the middle of the log", text)
                continue
        first = False
        control = text_problem(text)
        if control is not None:
            # refused here so that nothing raw reaches the audit's table or page
            yield number, _reject(number, f"the line holds {control}", _printable(text))
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


def _jsonl_rows(rows: Iterator[Line], name: str) -> Iterator[tuple[int, RawRow | RejectedRow]]:
    for number, text in _readable(rows):
        if isinstance(text, RejectedRow):
            yield number, text
            continue
        yield number, _json_fields(number, text)


def _json_fields(number: int, text: str) -> RawRow | RejectedRow:
    try:
        data = loads(text)
    except JSONTextError as exc:
        return _reject(number, exc.message, text)
    if not isinstance(data, dict):
        return _reject(number, "expected a JSON object with taken_at and dose_mg", text)
    unknown = sorted(set(data) - set(COLUMNS))
    if unknown:
        return _reject(
            number, f"unknown field {unknown[0]!r} (expected taken_at, dose_mg, note)", text
        )
    control = walk_strings(data)
    if control is not None:
        return _reject(number, f"{'.'.join(map(str, control[0]))}: {control[1]}", text)
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
