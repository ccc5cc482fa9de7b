"""Batch planning: one request per CSV row or JSON Lines line in, one JSON line out.

A request is read, planned through the same path as `titrate plan` (`requests.PlanRequest`
then the plan pipeline; a row with `from_mg` as `titrate taper`, `requests.TaperRequest`) and
written before the next one is read, so memory stays flat however long the file. Every
request gives exactly one output line, in input order:

    {"row": 1, "id": "p-001", "plan": {... the document of `titrate plan -f json` ...}}
    {"row": 2, "id": "p-002", "error": "start: '2026-02-30' is not a date YYYY-MM-DD ..."}

`row` counts requests from 1 (a CSV header and blank lines are not requests), so output
line N is request N. The `plan` member validates against `titrate schema` unchanged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypedDict

from pydantic import ValidationError

from titrate.errors import InputError
from titrate.io.jsontext import JSONTextError, loads
from titrate.io.lines import Line
from titrate.model.jsonout import dump_json_bytes
from titrate.requests import PlanRequest, TaperRequest

if TYPE_CHECKING:
    from titrate.model import Regimen

# The `plan` options a request may set, by column name (a request field, or the
# command's name for it: `tz`, `age`, `patient`, `crcl`, `with`). `id` and `regimen` come
# first; the rest may be empty (an empty flag is false).
OPTION_COLUMNS = (
    "start",
    "times",
    "tz",
    "target_mg",
    "step_mg",
    "every_days",
    "hold_days",
    "steps",
    "age",
    "patient",
    "product",
    "strengths",
    "crcl",
    "dialysis",
    "with",
    "pregnant",
    "renal_adjust",
    "hepatic",
    "then",
    "indication",
    "first_dose",
)
# A row with `from_mg` is a taper (`titrate taper`): these columns are its own.
TAPER_COLUMNS = ("from_mg", "doses_per_day", "pace_percent")
# A taper makes its own steps and stops: these plan columns do not apply to it.
NOT_FOR_TAPERS = ("target_mg", "hold_days", "steps", "then")
COLUMNS = ("id", "regimen", *OPTION_COLUMNS, *TAPER_COLUMNS)

# Columns holding a flag (`--dialysis`): true/false, yes/no, 1/0, any case; empty is false.
FLAG_COLUMNS = frozenset({"dialysis", "pregnant", "renal_adjust", "hepatic"})
FLAG_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

# `with` holds several drug or class names (`--with` repeated), separated by this.
LIST_SEPARATOR = ";"

# Model fields whose validation errors name a column of another name.
MODEL_FIELD_COLUMNS = {
    "name": "patient",
    "age_years": "age",
    "crcl_ml_min": "crcl",
    "co_medications": "with",
    "timezone": "tz",
}

# Report progress to the callback every this many lines (a progress bar needs no more).
PROGRESS_EVERY = 250

Fields = dict[str, str | None]
Progress = Callable[[int], None]
# How a run plans its requests and produces the output bytes (`encoded_lines`, or
# `batchpool.writer`'s worker processes).
Lines = Callable[[Iterable["Request"], "Planner", "Summary"], Iterator[bytes]]


@dataclass(frozen=True, slots=True)
class Request:
    """One row of the input: its number, its id, and its fields or why it is unreadable."""

    row: int
    id: str | int | None
    fields: Fields
    error: str | None = None


@dataclass(slots=True)
class Summary:
    """What the exit status needs once every row is done."""

    rows: int = 0
    invalid: int = 0
    failing: int = 0
    first_error: str | None = None

    def record_error(self, request_row: int, message: str) -> None:
        self.invalid += 1
        if self.first_error is None:
            self.first_error = f"row {request_row}: {message}"


# ---------------------------------------------------------------------------------------
# Reading


def column_name(text: str) -> str:
    """Header spelling tolerance: ` Target-MG ` names the `target_mg` column."""
    return text.strip().lower().replace("-", "_")


def _text_lines(stream: IO[bytes], name: str, progress: Progress | None) -> Iterator[Line]:
    """The stream's physical lines, each decoded on its own (a bad byte costs its line
    only) and capped in length (`io.lines`), BOM tolerated."""
    from titrate.io.lines import read_lines

    read = 0
    for line in read_lines(stream, name):
        read = line.bytes_read
        if progress is not None and line.number % PROGRESS_EVERY == 0:
            progress(read)
        yield line
    if progress is not None:
        progress(read)


def is_json_lines(path: Path | None, first_line: str) -> bool:
    """JSON Lines by extension, else by content (a request object starts with `{`)."""
    suffix = path.suffix.lower() if path is not None else ""
    if suffix == ".csv":
        return False
    if suffix in (".jsonl", ".ndjson", ".json"):
        return True
    return first_line.lstrip().startswith("{")


def read_requests(
    stream: IO[bytes], name: str, path: Path | None = None, progress: Progress | None = None
) -> Iterator[Request]:
    """The requests of a CSV or JSON Lines byte stream, one at a time.

    Problems with the whole file (empty, no header, an unknown or repeated column, a
    header and no rows) raise InputError; a damaged row (bytes that are not UTF-8, a
    quote that never closes, a control character) becomes that row's error and costs
    nothing else: one physical line is one row, so a quote ends at the end of its line.
    """
    lines = _text_lines(stream, name, progress)
    for first in lines:
        if first.text is None:
            raise InputError(first.problem or "cannot read", f"{name}:{first.number}")
        if first.text.strip():
            break
    else:
        raise InputError("no requests: the file is empty", name)
    rest = _chain_one(first, lines)
    requests = (
        _json_requests(rest) if is_json_lines(path, first.text) else _csv_requests(rest, name)
    )
    count = 0
    for count, request in enumerate(requests, start=1):  # noqa: B007 - counted for below
        yield request
    if count == 0 and not is_json_lines(path, first.text):
        raise InputError("no requests: the file has a header and no rows", name)


def _chain_one(first: Line, rest: Iterator[Line]) -> Iterator[Line]:
    yield first
    yield from rest


def _csv_requests(lines: Iterator[Line], name: str) -> Iterator[Request]:
    header_line = next(lines)
    assert header_line.text is not None  # read_requests checked it
    header = _csv_header(header_line.text, name, header_line.number)
    width = len(header)
    id_index = header.index("id") if "id" in header else None
    row = 0
    for line in lines:
        if line.text is not None and not line.text.strip():
            continue  # a blank line is not a request
        if line.text is None:
            row += 1
            yield Request(row, None, {}, f"line {line.number}: {line.problem}")
            continue
        try:
            values = next(csv.reader([line.text], strict=True))
        except csv.Error as exc:
            row += 1
            yield Request(row, None, {}, f"line {line.number}: not valid CSV: {exc}")
            continue
        if not any(value.strip() for value in values):
            continue  # a row of empty cells is not a request
        row += 1
        request_id = _csv_id(values, id_index)
        if len(values) != width:
            yield Request(
                row,
                request_id,
                {},
                f"line {line.number}: {len(values)} fields but the header has "
                f"{width} columns (check the commas and quotes)",
            )
            continue
        fields: Fields = {
            column: value.strip() or None for column, value in zip(header, values, strict=True)
        }
        refused = _control_in(fields)
        if refused is not None:
            yield Request(row, request_id, {}, f"line {line.number}: {refused}")
            continue
        yield Request(row, request_id, fields)


def _control_in(fields: Fields) -> str | None:
    """The first cell holding a control character, named by its column."""
    from titrate.io.text import text_problem

    for column, value in fields.items():
        problem = text_problem(value) if value else None
        if problem is not None:
            return f"{column}: text holds {problem}"
    return None


def _csv_header(text: str, name: str, number: int) -> list[str]:
    where = f"{name}:{number}"
    try:
        raw = next(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise InputError(f"header is not valid CSV: {exc}", where) from None
    header = [column_name(cell) for cell in raw]
    for position, column in enumerate(header):
        if column not in COLUMNS:
            shown = raw[position].strip()
            raise InputError(
                f"unknown column {shown!r} (known columns: {', '.join(COLUMNS)})", where
            )
        if column in header[:position]:
            raise InputError(f"column {column!r} appears twice", where)
    if "regimen" not in header:
        raise InputError("no `regimen` column (every request needs a regimen id)", where)
    return header


def _csv_id(values: list[str], id_index: int | None) -> str | None:
    if id_index is None or id_index >= len(values):
        return None
    return _printable_id(values[id_index].strip() or None)


def _printable_id(value: str | None) -> str | None:
    """An id is echoed in every output record: one holding a control character is not
    echoed (the row's error names the problem instead)."""
    from titrate.io.text import text_problem

    return None if value is not None and text_problem(value) is not None else value


def _json_requests(lines: Iterator[Line]) -> Iterator[Request]:
    row = 0
    for line in lines:
        if line.text is not None and not line.text.strip():
            continue
        row += 1
        if line.text is None:
            yield Request(row, None, {}, f"line {line.number}: {line.problem}")
            continue
        try:
            # Numbers are kept as written (Decimal), so 7.5 mg stays exactly 7.5 mg.
            data = loads(line.text, holder="a request")
        except JSONTextError as exc:
            message = exc.message.removeprefix("not valid JSON: ")
            yield Request(row, None, {}, f"line {line.number}: not valid JSON: {message}")
            continue
        if not isinstance(data, dict):
            yield Request(row, None, {}, f"line {line.number}: expected a JSON object per line")
            continue
        yield _json_request(row, line.number, data)


def _json_request(row: int, number: int, data: dict[str, Any]) -> Request:
    raw_id = data.get("id")
    request_id = raw_id if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    if isinstance(request_id, str) and _printable_id(request_id) is None:
        return Request(row, None, {}, f"line {number}: id: must be printable text")
    if raw_id is not None and request_id is None:
        return Request(row, None, {}, "id: must be text or a whole number")
    fields: Fields = {}
    for key, value in data.items():
        column = column_name(key)
        if column not in COLUMNS:
            return Request(
                row, request_id, {}, f"unknown field {key!r} (known: {', '.join(COLUMNS)})"
            )
        if column in fields:
            return Request(row, request_id, {}, f"field {column!r} appears twice")
        try:
            fields[column] = _json_value(column, value)
        except ValueError as exc:
            return Request(row, request_id, {}, f"{column}: {exc}")
    refused = _control_in(fields)
    if refused is not None:
        return Request(row, request_id, {}, f"line {number}: {refused}")
    return Request(row, request_id, fields)


def _json_value(column: str, value: Any) -> str | None:
    """A JSON value as the text the matching CSV cell would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        if column in FLAG_COLUMNS:
            return "true" if value else "false"
        raise ValueError("expected text or a number, not true/false")
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        # times as a list ["08:00", ...] → "08:00,..."; with as a list → "a;b"
        separator = LIST_SEPARATOR if column == "with" else ","
        if any(separator in item for item in value):
            raise ValueError(f"a list item may not contain {separator!r}")
        return separator.join(item.strip() for item in value) or None
    raise ValueError("expected text, a number or a list of text")


# ---------------------------------------------------------------------------------------
# Planning


def column_for_field(field: str) -> str:
    """A request field (`crcl_ml_min`) → the column that sets it (`crcl`)."""
    return MODEL_FIELD_COLUMNS.get(field, field)


class Planner:
    """Plans requests with shared, read-only state: the regimens, the default zone and
    'today' (resolved once, at the start of the batch, in each row's zone)."""

    def __init__(
        self,
        catalog: dict[str, Regimen],
        *,
        default_zone: str,
        fail_on: str = "error",
        now: datetime | None = None,
    ) -> None:
        from titrate.catalog import get_regimen
        from titrate.clock import zone
        from titrate.core.pipeline import plan as build_plan
        from titrate.rules import at_or_above

        self.catalog = catalog
        self.default_zone = default_zone
        self.fail_on = fail_on
        self.now = now or datetime.now(UTC)
        self._today: dict[str, str] = {}
        self._build_plan = build_plan
        self._at_or_above = at_or_above
        self._get_regimen = get_regimen
        self._zone = zone

    def today(self, zone_name: str) -> str:
        found = self._today.get(zone_name)
        if found is None:
            from titrate.clock import zone

            found = self._today[zone_name] = self.now.astimezone(zone(zone_name)).date().isoformat()
        return found

    def line(self, request: Request, summary: Summary) -> str:
        """The output line for one request (without the newline); counts it in `summary`."""
        return self.encoded(request, summary)[:-1].decode("utf-8")

    def encoded(self, request: Request, summary: Summary) -> bytes:
        """The output line for one request as the UTF-8 bytes written, with its newline
        (the plan's JSON is made as bytes and spliced in, never decoded); counts it in
        `summary`."""
        summary.rows += 1
        id_json = json.dumps(request.id, ensure_ascii=False).encode("utf-8")
        if request.error is None:
            try:
                plan_json, failing = self._plan_json(request.fields)
            except InputError as exc:
                # an error of no particular field is about the row's regimen
                located = exc.where is not None or exc.field is not None
                message = exc.describe(column_for_field) if located else f"regimen: {exc}"
            except OverflowError:
                message = (
                    "start: the plan reaches the end of the calendar (0001-01-01 or 9999-12-31)"
                )
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                field = str(first["loc"][0]) if first["loc"] else "request"
                reason = str(first["msg"]).removeprefix("Value error, ")
                message = f"{column_for_field(field)}: {reason}"
            else:
                summary.failing += failing
                return b'{"row":%d,"id":%b,"plan":%b}\n' % (request.row, id_json, plan_json)
        else:
            message = request.error
        summary.record_error(request.row, message)
        error_json = json.dumps(message, ensure_ascii=False).encode("utf-8")
        return b'{"row":%d,"id":%b,"error":%b}\n' % (request.row, id_json, error_json)

    def _plan_json(self, fields: Fields) -> tuple[bytes, bool]:
        regimen_id = fields.get("regimen")
        if not regimen_id:
            raise InputError("missing: every request needs a regimen id", field="regimen")
        regimen = self._get_regimen(regimen_id, self.catalog)
        tz = fields.get("tz")
        zone_name = self._zone(tz).key if tz else self.default_zone
        start = fields.get("start") or self.today(zone_name)
        patient = _PatientColumns(
            age_years=fields.get("age"),
            name=fields.get("patient"),
            crcl_ml_min=fields.get("crcl"),
            dialysis=_flag(fields.get("dialysis"), "dialysis"),
            co_medications=_names(fields.get("with")),
            pregnant=_flag(fields.get("pregnant"), "pregnant"),
            hepatic=_flag(fields.get("hepatic"), "hepatic"),
        )
        if fields.get("from_mg") is not None:
            for column in NOT_FOR_TAPERS:
                if fields.get(column) not in (None, "0"):
                    raise InputError(
                        "a taper row (from_mg) makes its own steps and stops", field=column
                    )
            taper = TaperRequest(
                regimen=regimen_id,
                from_mg=fields.get("from_mg"),
                doses_per_day=_whole_number(fields.get("doses_per_day"), "doses_per_day"),
                step_mg=fields.get("step_mg"),
                every_days=_whole_number(fields.get("every_days"), "every_days"),
                pace_percent=fields.get("pace_percent"),
                start=start,
                timezone=zone_name,
                times=fields.get("times"),
                product=fields.get("product"),
                strengths=fields.get("strengths"),
                renal_adjust=_flag(fields.get("renal_adjust"), "renal_adjust"),
                indication=fields.get("indication"),
                first_dose=fields.get("first_dose"),
                **patient,
            ).plan(self.catalog)
            return dump_json_bytes(taper), self._at_or_above(taper.findings, self.fail_on)
        for column in TAPER_COLUMNS:
            if fields.get(column) is not None:
                raise InputError("only a taper row (with from_mg) takes it", field=column)
        request = PlanRequest(
            regimen=regimen_id,
            start=start,
            timezone=zone_name,
            times=fields.get("times"),
            target_mg=fields.get("target_mg"),
            step_mg=fields.get("step_mg"),
            every_days=_whole_number(fields.get("every_days"), "every_days"),
            hold_days=_whole_number(fields.get("hold_days"), "hold_days") or 0,
            steps=fields.get("steps"),
            product=fields.get("product"),
            strengths=fields.get("strengths"),
            renal_adjust=_flag(fields.get("renal_adjust"), "renal_adjust"),
            then=fields.get("then"),
            indication=fields.get("indication"),
            first_dose=fields.get("first_dose"),
            **patient,
        )
        options = request.options()
        result = self._build_plan(regimen, options)
        return dump_json_bytes(result), self._at_or_above(result.findings, self.fail_on)


class _PatientColumns(TypedDict):
    """The patient's columns as `requests.PatientFields` takes them."""

    age_years: str | None
    name: str | None
    crcl_ml_min: str | None
    dialysis: bool
    co_medications: list[str] | None
    pregnant: bool
    hepatic: bool


def _whole_number(text: str | None, column: str) -> int | None:
    """A count of days as the command line's integer options take it (the plan's own
    checks then apply the range, e.g. every_days 0 is refused as on the command line)."""
    if text is None:
        return None
    from titrate.core.schedule import MAX_PLAN_DAYS

    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise InputError(f"{text!r} is not a whole number of days", field=column)
    if int(value) > MAX_PLAN_DAYS:
        raise InputError(f"{text!r} days: a plan lasts at most {MAX_PLAN_DAYS} days", field=column)
    return int(value)


def _flag(text: str | None, column: str) -> bool:
    """A flag column: true/false, yes/no, 1/0 (any case); empty is false."""
    if text is None:
        return False
    found = FLAG_WORDS.get(text.strip().lower())
    if found is None:
        raise InputError(f"{text!r} is not true or false (true/false, yes/no, 1/0)", field=column)
    return found


def _names(text: str | None) -> list[str] | None:
    """`with`: drug or class names separated by `;` (commas are left to the names)."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(LIST_SEPARATOR) if name.strip()]
    return names or None


def plan_lines(requests: Iterable[Request], planner: Planner, summary: Summary) -> Iterator[str]:
    """One output line per request, in order, each produced only when asked for."""
    for request in requests:
        yield planner.line(request, summary)


def encoded_lines(
    requests: Iterable[Request], planner: Planner, summary: Summary
) -> Iterator[bytes]:
    """`plan_lines` as the UTF-8 bytes written, each line with its newline."""
    encoded = planner.encoded
    for request in requests:
        yield encoded(request, summary)


# ---------------------------------------------------------------------------------------
# Running a whole file


@contextmanager
def _opened(path: Path | None) -> Iterator[IO[bytes]]:
    if path is None:
        import sys

        yield sys.stdin.buffer
        return
    from titrate.io import open_input

    handle = open_input(path, expected="CSV or JSON Lines file")
    with handle:
        yield handle


def run(
    source: Path | None,
    output: Path | None,
    planner: Planner,
    *,
    progress: Callable[[int], AbstractContextManager[Progress | None]] | None = None,
    lines: Lines = encoded_lines,
) -> Summary:
    """Plan every request of `source` (None: stdin) into `output` (None: stdout).

    The output file is written through a temporary file renamed at the end, so it
    appears complete or not at all. `progress(total_bytes)` may return a context
    manager giving a callback for the bytes read so far (or None for no progress).
    `lines` plans the requests into the output bytes (`batchpool.writer`: in workers).
    """
    from titrate.io import atomic_output, stdout_bytes

    summary = Summary()
    name = str(source) if source is not None else "<stdin>"
    total = _size(source)
    bar = progress(total) if progress is not None and total else nullcontext(None)
    with _opened(source) as stream, bar as advance:
        requests = read_requests(stream, name, source, advance)
        sink = atomic_output(output) if output is not None else stdout_bytes()
        with sink as out:
            write = out.write
            for block in lines(requests, planner, summary):
                write(block)
    return summary


def _size(source: Path | None) -> int:
    try:
        return source.stat().st_size if source is not None and source.is_file() else 0
    except OSError:
        return 0


# Files smaller than this finish before a progress bar would be worth drawing.
PROGRESS_MIN_BYTES = 1_000_000


def worth_a_progress_bar(source: Path | None) -> bool:
    return _size(source) >= PROGRESS_MIN_BYTES


@contextmanager
def terminal_progress(total: int) -> Iterator[Progress]:
    """A progress bar on stderr (rich is imported only here, only when it is shown)."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("planning", total=total)
        yield lambda done: bar.update(task, completed=done)
