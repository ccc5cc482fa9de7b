"""The command line: parse arguments, call the library, pick a renderer. Nothing else.

Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input
or usage; 3 internal error (`--debug` shows the traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from titrate import __version__
from titrate.errors import InputError

if TYPE_CHECKING:
    from titrate.model import Plan, PlanOptions, Regimen
    from titrate.render import RenderOptions

app = typer.Typer(
    name="titrate",
    help="Dosing titration planner: dated, timed, checked schedules for starting and "
    "stopping a drug slowly. Schedules support, and do not replace, the prescriber's "
    "instructions.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_debug = False


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


def fail(message: str, where: str | None = None) -> NoReturn:
    raise InputError(message, where)


# Model fields → the option a user typed, for validation errors raised from models.
_OPTION_FOR_FIELD = {
    "name": "--patient",
    "age_years": "--age",
    "crcl_ml_min": "--crcl",
    "co_medications": "--with",
    "start": "--start",
    "timezone": "--tz",
    "times": "--times",
    "target_mg": "--target-mg",
    "hold_days": "--hold-days",
    "steps": "--steps",
}


@contextmanager
def input_errors() -> Iterator[None]:
    """Bad input → one line on stderr and exit status 2."""
    from pydantic import ValidationError

    try:
        yield
    except InputError as exc:
        sys.stderr.write(f"titrate: error: {exc}\n")
        raise typer.Exit(2) from None
    except ValidationError as exc:
        # A value the option parsers let through but a model refuses.
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        where = _OPTION_FOR_FIELD.get(field, field or "input")
        message = str(first["msg"]).removeprefix("Value error, ")
        sys.stderr.write(f"titrate: error: {where}: {message}\n")
        raise typer.Exit(2) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"titrate {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
) -> None:
    """titrate: turn a titration regimen into a checked, dated dosing schedule."""
    global _debug
    _debug = debug or bool(os.environ.get("TITRATE_DEBUG"))


# ---------------------------------------------------------------------------------------
# Option parsing helpers (values → model inputs; every problem is an InputError)


def system_timezone() -> str:
    """The machine's IANA zone name: $TZ, /etc/timezone, or the /etc/localtime link."""
    from zoneinfo import available_timezones  # noqa: F401  (only to be sure zoneinfo works)

    name = os.environ.get("TZ", "").lstrip(":")
    if name and "/" in name or name == "UTC":
        return name
    try:
        text = Path("/etc/timezone").read_text().strip()
        if text:
            return text
    except OSError:
        pass
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


def parse_mg(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        fail(f"{text!r} is not a number of milligrams", where)
    from titrate.model import ABSURD_MG

    if not value.is_finite() or value <= 0:
        fail(f"{text!r}: must be a positive number of milligrams", where)
    if value > ABSURD_MG:
        fail(f"{text!r} mg is not a plausible dose", where)
    return value


def parse_age(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        fail(f"{text!r} is not an age in years", "--age")
    if not value.is_finite() or value < 0 or value > 130:
        fail(f"{text!r} is not an age in years (0 to 130)", "--age")
    return value


def load_catalog(regimen_files: list[Path] | None) -> dict[str, Regimen]:
    from titrate.catalog import load_regimens

    return load_regimens(regimen_files or [])


def today_in(zone_name: str) -> date:
    """'Today' is resolved once, here at the edge, in the plan's zone."""
    from titrate.schedule import zone

    return datetime.now(zone(zone_name)).date()


def emit(
    plan_or_text: Plan | str,
    fmt_name: str | None,
    output: Path | None,
    options: RenderOptions | None = None,
) -> None:
    """Render (if given a plan) and write to stdout or atomically to `output`."""
    from titrate.io import write_atomic, write_stdout
    from titrate.render import RenderOptions, format_for_path, renderer

    name = fmt_name or (format_for_path(output) if output else None) or "table"
    render_options = options or RenderOptions()
    if output is None and name == "table":
        render_options = _terminal_options(render_options)
    data: str | bytes
    if isinstance(plan_or_text, str):
        data = plan_or_text
    else:
        data = renderer(name)(plan_or_text, render_options)
    if output is not None:
        write_atomic(output, data)
    else:
        write_stdout(data)


def _terminal_options(options: RenderOptions) -> RenderOptions:
    import dataclasses
    import shutil

    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    width = shutil.get_terminal_size((100, 24)).columns
    return dataclasses.replace(options, color=color, width=max(width, 60))


RegimenFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--regimens",
        metavar="FILE",
        help="Extra regimen YAML file (same schema as the built-in data). Repeatable.",
        dir_okay=False,
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: table or json. Default: from the -o extension, else table.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (atomically) instead of stdout."),
]


# ---------------------------------------------------------------------------------------
# Commands


# Options shared by every command that builds a plan (plan, missed, taper, check, batch).
RegimenArg = Annotated[
    str, typer.Argument(metavar="REGIMEN", help="Regimen id, e.g. baclofen (see `titrate regimens`).")
]
StartOpt = Annotated[str | None, typer.Option(metavar="DATE", help="First day, YYYY-MM-DD. Default: today.")]
TimesOpt = Annotated[
    str | None,
    typer.Option(metavar="HH:MM,...", help="Clock times for steps taken that many times a day."),
]
TzOpt = Annotated[
    str | None, typer.Option("--tz", metavar="ZONE", help="IANA time zone. Default: the system's.")
]
TargetOpt = Annotated[
    str | None, typer.Option("--target-mg", metavar="MG", help="Stop escalating once a dose reaches MG.")
]
HoldOpt = Annotated[
    int, typer.Option("--hold-days", min=0, metavar="N", help="Continue the last step N more days.")
]
StepsOpt = Annotated[
    str | None,
    typer.Option(metavar="SPEC", help="Custom schedule to check: MGxPER_DAY:DAYS,... e.g. '5x3:3,10x3:3'."),
]
AgeOpt = Annotated[str | None, typer.Option(metavar="YEARS", help="Patient's age in years.")]
PatientOpt = Annotated[str | None, typer.Option(metavar="NAME", help="Patient's name, printed on the plan.")]
ProductOpt = Annotated[
    str | None,
    typer.Option(
        "--product",
        metavar="ID",
        help="Product to measure doses in (see `titrate products REGIMEN`). Default: the "
        "regimen's default (baclofen: tablets).",
    ),
]
StrengthsOpt = Annotated[
    str | None,
    typer.Option(
        "--strengths",
        metavar="MG,...",
        help="Use only these strengths of a tablet, capsule or packet product, e.g. '5,10'.",
    ),
]


def fail_on_option(default: FailOn) -> object:
    return typer.Option(
        "--fail-on", help=f"Exit 1 on findings at or above this severity (default {default.value})."
    )


FailOnOpt = Annotated[FailOn, fail_on_option(FailOn.error)]
FailOnWarningOpt = Annotated[FailOn, fail_on_option(FailOn.warning)]


def plan_options(
    *,
    zone_name: str,
    start: str | None,
    times: str | None,
    target_mg: str | None,
    hold_days: int,
    steps: str | None,
    age: str | None,
    patient: str | None,
    product: str | None = None,
    strengths: str | None = None,
) -> PlanOptions:
    """Command-line strings → PlanOptions (each problem names its option)."""
    from titrate.model import Patient, PlanOptions
    from titrate.schedule import parse_date, parse_steps, parse_times

    return PlanOptions(
        product=product,
        strengths=parse_strengths(strengths) if strengths is not None else None,
        start=parse_date(start) if start else today_in(zone_name),
        timezone=zone_name,
        times=parse_times(times) if times else None,
        target_mg=parse_mg(target_mg, "--target-mg") if target_mg else None,
        hold_days=hold_days,
        steps=parse_steps(steps) if steps else None,
        patient=Patient(name=patient, age_years=parse_age(age) if age else None),
    )


def parse_strengths(text: str) -> list[Decimal]:
    """`"5,10"` → [5, 10] (mg); which strengths exist is checked against the product."""
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        fail("empty; expected strengths in mg, e.g. '5,10'", "--strengths")
    return [parse_mg(part, "--strengths") for part in parts if part]


def zone_or_system(tz: str | None) -> str:
    from titrate.schedule import zone

    return zone(tz).key if tz else system_timezone()


@app.command()
def plan(
    regimen: RegimenArg,
    start: StartOpt = None,
    times: TimesOpt = None,
    tz: TzOpt = None,
    target_mg: TargetOpt = None,
    hold_days: HoldOpt = 0,
    steps: StepsOpt = None,
    age: AgeOpt = None,
    patient: PatientOpt = None,
    product: ProductOpt = None,
    strengths: StrengthsOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    regimen_files: RegimenFiles = None,
) -> None:
    """Build the dated, timed schedule for REGIMEN and check it against its limits.

    Example: titrate plan baclofen --start 2026-12-01 --times 08:00,14:00,20:00
    """
    with input_errors():
        from titrate.api import plan as build_plan
        from titrate.catalog import get_regimen
        from titrate.rules import at_or_above

        chosen = get_regimen(regimen, load_catalog(regimen_files))
        options = plan_options(
            zone_name=zone_or_system(tz),
            start=start,
            times=times,
            target_mg=target_mg,
            hold_days=hold_days,
            steps=steps,
            age=age,
            patient=patient,
            product=product,
            strengths=strengths,
        )
        result = build_plan(chosen, options)
        emit(result, fmt, output)
    if at_or_above(result.findings, fail_on.value):
        raise typer.Exit(1)


@app.command()
def regimens(
    fmt: FormatOpt = None,
    regimen_files: RegimenFiles = None,
) -> None:
    """List the regimens (built-in and from --regimens files)."""
    with input_errors():
        catalog = load_catalog(regimen_files)
        if fmt == "json":
            import json

            rows = [{"id": r.id, "name": r.name, "summary": r.summary} for r in catalog.values()]
            emit(json.dumps(rows, indent=2) + "\n", "json", None)
            return
        if fmt not in (None, "table"):
            fail(f"unknown format {fmt!r} (choose table or json)", "--format")
        lines = [f"{r.id:<16} {r.name}" for r in catalog.values()]
        emit("\n".join(lines) + "\n", "table", None)


@app.command()
def show(
    regimen: Annotated[str, typer.Argument(metavar="REGIMEN", help="Regimen id.")],
    fmt: FormatOpt = None,
    regimen_files: RegimenFiles = None,
) -> None:
    """Print a regimen: steps, limits, population, clock times and sources."""
    with input_errors():
        from titrate.catalog import get_regimen
        from titrate.render.regimen import regimen_text

        chosen = get_regimen(regimen, load_catalog(regimen_files))
        if fmt == "json":
            emit(chosen.model_dump_json(indent=2) + "\n", "json", None)
            return
        if fmt not in (None, "table"):
            fail(f"unknown format {fmt!r} (choose table or json)", "--format")
        emit(regimen_text(chosen), "table", None)


@app.command()
def rules(
    regimen: Annotated[
        str | None,
        typer.Option("--regimen", metavar="REGIMEN", help="Also show which data and sources each rule enforces."),
    ] = None,
    fmt: FormatOpt = None,
    regimen_files: RegimenFiles = None,
) -> None:
    """Print the rule catalogue: code, slug, severity, what it checks, examples, source."""
    with input_errors():
        from titrate.render.regimen import rules_json, rules_text
        from titrate.rules import catalogue

        chosen = None
        if regimen:
            from titrate.catalog import get_regimen

            chosen = get_regimen(regimen, load_catalog(regimen_files))
        if fmt == "json":
            emit(rules_json(catalogue(), chosen), "json", None)
            return
        if fmt not in (None, "table"):
            fail(f"unknown format {fmt!r} (choose table or json)", "--format")
        emit(rules_text(catalogue(), chosen), "table", None)


@app.command()
def products(
    regimen: RegimenArg,
    fmt: FormatOpt = None,
    regimen_files: RegimenFiles = None,
) -> None:
    """List REGIMEN's products: strengths or concentration, storage, packs, sources.

    Example: titrate products baclofen -f json
    """
    with input_errors():
        from titrate.catalog import get_regimen
        from titrate.measure import product_catalogue

        chosen = get_regimen(regimen, load_catalog(regimen_files))
        refs = product_catalogue(chosen)
        if fmt == "json":
            import json

            listing = {
                "regimen": chosen.id,
                "default_product": chosen.default_product,
                "products": [ref.model_dump(mode="json") for ref in refs],
            }
            emit(json.dumps(listing, indent=2, ensure_ascii=False) + "\n", "json", None)
            return
        if fmt not in (None, "table"):
            fail(f"unknown format {fmt!r} (choose table or json)", "--format")
        if not refs:
            fail(f"regimen {chosen.id!r} lists no products")
        from titrate.render.table import products_text

        emit(products_text(chosen, refs), "table", None)


@app.command()
def batch(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="CSV (with a header) or JSON Lines; '-' reads stdin."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the JSON Lines to FILE."),
    ] = None,
    fail_on: FailOnOpt = FailOn.error,
    tz: TzOpt = None,
    regimen_files: RegimenFiles = None,
) -> None:
    """Plan one request per row of FILE: one JSON line per row, in order.

    Columns (CSV header or JSON keys): id, regimen, and any `plan` option as a column:
    start, times, tz, target_mg, hold_days, steps, age, patient, product, strengths.
    Each line is {"row": N, "id": ..., "plan": {...}} or {"row": N, "id": ..., "error":
    "..."}. Exit 2 if any row was invalid, else 1 if any plan has findings at or above
    --fail-on (all rows are always planned first).

    Example: titrate batch clinic.csv -o plans.jsonl --tz Europe/London
    """
    from titrate import batch as batching

    with input_errors():
        planner = batching.Planner(
            load_catalog(regimen_files), default_zone=zone_or_system(tz), fail_on=fail_on.value
        )
        source = None if str(file) == "-" else file
        show_bar = sys.stderr.isatty() and batching.worth_a_progress_bar(source)
        progress = batching.terminal_progress if show_bar else None
        try:
            summary = batching.run(source, output, planner, progress=progress)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, as other Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None
    if summary.invalid:
        sys.stderr.write(
            f"titrate: error: {file}: {summary.invalid} of {summary.rows} rows invalid "
            f"(first: {summary.first_error}); their lines are error records\n"
        )
        raise typer.Exit(2)
    if summary.failing:
        sys.stderr.write(
            f"titrate: {summary.failing} of {summary.rows} plans have findings at or above "
            f"{fail_on.value}\n"
        )
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the plan JSON."""
    from titrate.io import write_stdout
    from titrate.render.json import schema_text

    write_stdout(schema_text())


def entry() -> None:
    """Console-script entry point: an unexpected crash exits 3, never 1 (= findings)."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("titrate: interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if _debug or os.environ.get("TITRATE_DEBUG"):
            raise
        sys.stderr.write(
            f"titrate: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback; please report it)\n"
        )
        sys.exit(3)
