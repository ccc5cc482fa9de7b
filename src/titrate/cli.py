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
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from titrate import __version__
from titrate.errors import InputError

if TYPE_CHECKING:
    from titrate.model import Patient, Plan, PlanOptions, Regimen
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


class FailOn(StrEnum):
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
    "step_mg": "--step-mg",
    "every_days": "--every-days",
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
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
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
    if (name and "/" in name) or name == "UTC":
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
    from titrate.core.schedule import zone

    return datetime.now(zone(zone_name)).date()


def emit(
    plan_or_text: Plan | str,
    fmt_name: str | None,
    output: Path | None,
    options: RenderOptions | None = None,
) -> None:
    """Render (if given a plan) and write to stdout or atomically to `output`."""
    from titrate.io import write_atomic, write_stdout
    from titrate.render import FORMATS, RenderOptions, format_for_path, renderer

    name = fmt_name or (format_for_path(output) if output else None) or "table"
    render_options = options or RenderOptions()
    if output is None and name == "table":
        render_options = _terminal_options(render_options)
    data: str | bytes
    if isinstance(plan_or_text, str):
        data = plan_or_text
    else:
        render = renderer(name)
        if output is None and FORMATS[name].binary and sys.stdout.isatty():
            # A PDF on a terminal is garbage and can upset it; ask for a file instead.
            fail(f"{name} output is binary: give -o FILE.{name} or redirect stdout", "--format")
        data = render(plan_or_text, render_options)
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
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write to FILE (atomically) instead of stdout."
    ),
]

# Options of every command that renders a plan (plan, taper): formats and what the printed
# formats show besides the plan itself.
PlanFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: table, json, html, pdf (needs titrate[pdf]), csv, md, ics or "
        "fhir (FHIR R4 JSON). Default: from the -o extension (.json .html .pdf .csv .md "
        ".ics .fhir.json), else table.",
    ),
]
PrescriberOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Prescriber, printed on html/pdf/md (and FHIR).")
]
PharmacyOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Pharmacy, printed on html/pdf/md.")
]
PrintedOnOpt = Annotated[
    str | None,
    typer.Option(
        "--printed-on",
        metavar="DATE",
        help="Date printed on html/pdf/md, YYYY-MM-DD. Default: today.",
    ),
]
RemindMinutesOpt = Annotated[
    int,
    typer.Option(
        "--remind-minutes",
        min=0,
        max=1440,
        metavar="N",
        help="ics: reminder N minutes before each dose.",
    ),
]
PaperOpt = Annotated[
    str | None,
    typer.Option(
        "--paper",
        metavar="a4|letter",
        help="Paper for pdf (default a4) and html (default: the printer's).",
    ),
]
FindingsCsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--findings-csv",
        metavar="FILE",
        dir_okay=False,
        help="Also write the findings as CSV to FILE.",
    ),
]


def render_options(
    *,
    zone_name: str,
    prescriber: str | None,
    pharmacy: str | None,
    printed_on: str | None,
    remind_minutes: int,
    paper: str | None,
) -> RenderOptions:
    """Command-line strings → RenderOptions; 'today' for --printed-on is resolved here."""
    from titrate.core.schedule import parse_date
    from titrate.render import RenderOptions

    if paper is not None:
        # Only when --paper is given: `plan -f json` must not import the view model.
        from titrate.render.view import PAPER_SIZES

        if paper.lower() not in PAPER_SIZES:
            fail(f"{paper!r} is not a paper size (choose {' or '.join(PAPER_SIZES)})", "--paper")
    for text, option in ((prescriber, "--prescriber"), (pharmacy, "--pharmacy")):
        # As --patient: lone surrogates (bytes that are not UTF-8) cannot be written to
        # any output, and a name has at most 10,000 characters.
        if text is not None and any("\ud800" <= char <= "\udfff" for char in text):
            fail("text is not valid UTF-8", option)
        if text is not None and len(text) > 10_000:
            fail(f"at most 10000 characters, not {len(text)}", option)
    return RenderOptions(
        prescriber=prescriber,
        pharmacy=pharmacy,
        printed_on=parse_date(printed_on, "--printed-on") if printed_on else today_in(zone_name),
        remind_minutes=remind_minutes,
        paper=paper.lower() if paper else None,
    )


def write_findings_csv(result: Plan, path: Path | None) -> None:
    """--findings-csv: the findings as their own CSV, written atomically, only if asked."""
    if path is None:
        return
    from titrate.io import write_atomic
    from titrate.render.csv import render_findings

    write_atomic(path, render_findings(result))


# ---------------------------------------------------------------------------------------
# Commands


# Options shared by every command that builds a plan (plan, missed, taper, check, batch).
RegimenArg = Annotated[
    str,
    typer.Argument(metavar="REGIMEN", help="Regimen id, e.g. baclofen (see `titrate regimens`)."),
]
StartOpt = Annotated[
    str | None, typer.Option(metavar="DATE", help="First day, YYYY-MM-DD. Default: today.")
]
TimesOpt = Annotated[
    str | None,
    typer.Option(metavar="HH:MM,...", help="Clock times for steps taken that many times a day."),
]
TzOpt = Annotated[
    str | None, typer.Option("--tz", metavar="ZONE", help="IANA time zone. Default: the system's.")
]
TargetOpt = Annotated[
    str | None,
    typer.Option("--target-mg", metavar="MG", help="Stop escalating once a dose reaches MG."),
]
HoldOpt = Annotated[
    int, typer.Option("--hold-days", min=0, metavar="N", help="Continue the last step N more days.")
]
# Shared by `plan` (rule-based titration: the prescriber's rise and interval) and `taper`
# (the pace of the reductions).
StepMgOpt = Annotated[
    str | None,
    typer.Option(
        "--step-mg",
        metavar="MG",
        help="plan: raise each dose by MG at each increase (rule-based regimens; see `titrate "
        "show REGIMEN`). taper: lower by MG at each reduction (default: from data).",
    ),
]
EveryDaysOpt = Annotated[
    int | None,
    typer.Option(
        "--every-days",
        metavar="N",
        help="plan: days between increases (rule-based regimens). taper: days between "
        "reductions (default: from data).",
    ),
]
StepsOpt = Annotated[
    str | None,
    typer.Option(
        metavar="SPEC", help="Custom schedule to check: MGxPER_DAY:DAYS,... e.g. '5x3:3,10x3:3'."
    ),
]
AgeOpt = Annotated[str | None, typer.Option(metavar="YEARS", help="Patient's age in years.")]
PatientOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Patient's name, printed on the plan.")
]
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
# The patient in front of the pharmacist (plan, taper, check).
CrclOpt = Annotated[
    str | None,
    typer.Option(
        "--crcl", metavar="ML_MIN", help="Creatinine clearance (Cockcroft-Gault), mL/min."
    ),
]
DialysisOpt = Annotated[bool, typer.Option("--dialysis", help="The patient is dialysis-dependent.")]
WithOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--with",
        metavar="DRUG_OR_CLASS",
        help="A sedating co-medication or alcohol: opioids, benzodiazepines, alcohol, "
        "other-sedatives, or a drug name such as oxycodone. Repeatable.",
    ),
]
PregnantOpt = Annotated[bool, typer.Option("--pregnant", help="The patient is pregnant.")]
RenalAdjustOpt = Annotated[
    bool,
    typer.Option(
        "--renal-adjust",
        help="Reduce every dose by the regimen's suggested factor for the --crcl given "
        "(baclofen: published literature, not US labeling).",
    ),
]


def parse_crcl(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        fail(f"{text!r} is not a creatinine clearance in mL/min", "--crcl")
    # a physiological bound, not a drug fact: catches typos such as 400 for 40
    if not value.is_finite() or value < 0 or value > 300:
        fail(f"{text!r} is not a creatinine clearance in mL/min (0 to 300)", "--crcl")
    return value


def patient_from_options(
    *,
    name: str | None = None,
    age: str | None = None,
    crcl: str | None = None,
    dialysis: bool = False,
    with_: list[str] | None = None,
    pregnant: bool = False,
) -> Patient:
    """Only the fields given are set, so a patient from a file keeps the rest."""
    from titrate.model import Patient

    given: dict[str, object] = {}
    if name is not None:
        given["name"] = name
    if age:
        given["age_years"] = parse_age(age)
    if crcl:
        given["crcl_ml_min"] = parse_crcl(crcl)
    if dialysis:
        given["dialysis"] = True
    if with_:
        given["co_medications"] = [text.strip() for text in with_]
    if pregnant:
        given["pregnant"] = True
    return Patient.model_validate(given)


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
    crcl: str | None = None,
    dialysis: bool = False,
    with_: list[str] | None = None,
    pregnant: bool = False,
    renal_adjust: bool = False,
    step_mg: str | None = None,
    every_days: int | None = None,
) -> PlanOptions:
    """Command-line strings → PlanOptions (each problem names its option)."""
    from titrate.core.schedule import parse_date, parse_steps, parse_times
    from titrate.model import PlanOptions

    return PlanOptions(
        product=product,
        strengths=parse_strengths(strengths) if strengths is not None else None,
        start=parse_date(start) if start else today_in(zone_name),
        timezone=zone_name,
        times=parse_times(times) if times else None,
        target_mg=parse_mg(target_mg, "--target-mg") if target_mg else None,
        step_mg=parse_mg(step_mg, "--step-mg") if step_mg is not None else None,
        every_days=every_days,
        hold_days=hold_days,
        steps=parse_steps(steps) if steps else None,
        patient=patient_from_options(
            name=patient,
            age=age,
            crcl=crcl,
            dialysis=dialysis,
            with_=with_,
            pregnant=pregnant,
        ),
        renal_adjust=renal_adjust,
    )


def parse_strengths(text: str) -> list[Decimal]:
    """`"5,10"` → [5, 10] (mg); which strengths exist is checked against the product."""
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        fail("empty; expected strengths in mg, e.g. '5,10'", "--strengths")
    return [parse_mg(part, "--strengths") for part in parts if part]


def zone_or_system(tz: str | None) -> str:
    from titrate.core.schedule import zone

    return zone(tz).key if tz else system_timezone()


@app.command()
def plan(
    regimen: RegimenArg,
    start: StartOpt = None,
    times: TimesOpt = None,
    tz: TzOpt = None,
    target_mg: TargetOpt = None,
    step_mg: StepMgOpt = None,
    every_days: EveryDaysOpt = None,
    hold_days: HoldOpt = 0,
    steps: StepsOpt = None,
    age: AgeOpt = None,
    patient: PatientOpt = None,
    product: ProductOpt = None,
    strengths: StrengthsOpt = None,
    crcl: CrclOpt = None,
    dialysis: DialysisOpt = False,
    with_: WithOpt = None,
    pregnant: PregnantOpt = False,
    renal_adjust: RenalAdjustOpt = False,
    fmt: PlanFormatOpt = None,
    output: OutputOpt = None,
    prescriber: PrescriberOpt = None,
    pharmacy: PharmacyOpt = None,
    printed_on: PrintedOnOpt = None,
    remind_minutes: RemindMinutesOpt = 10,
    paper: PaperOpt = None,
    findings_csv: FindingsCsvOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    regimen_files: RegimenFiles = None,
) -> None:
    """Build the dated, timed schedule for REGIMEN and check it against its limits.

    Example: titrate plan baclofen --start 2026-12-01 --times 08:00,14:00,20:00

    A regimen that titrates by a rule (see `titrate show REGIMEN`) needs the prescriber's
    choices: --target-mg, --step-mg and --every-days.

    Printable: titrate plan baclofen --patient "A. Patient" -o plan.html (or .pdf, .csv,
    .md, .ics, .fhir.json)
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
            crcl=crcl,
            dialysis=dialysis,
            with_=with_,
            pregnant=pregnant,
            renal_adjust=renal_adjust,
            step_mg=step_mg,
            every_days=every_days,
        )
        shown = render_options(
            zone_name=options.timezone,
            prescriber=prescriber,
            pharmacy=pharmacy,
            printed_on=printed_on,
            remind_minutes=remind_minutes,
            paper=paper,
        )
        result = build_plan(chosen, options)
        emit(result, fmt, output, shown)
        write_findings_csv(result, findings_csv)
    if at_or_above(result.findings, fail_on.value):
        raise typer.Exit(1)


@app.command()
def taper(
    regimen: RegimenArg,
    from_mg: Annotated[
        str | None,
        typer.Option("--from-mg", metavar="MG", help="The dose taken now, mg per dose."),
    ] = None,
    doses_per_day: Annotated[
        int | None,
        typer.Option(
            "--doses-per-day",
            metavar="N",
            help="Doses a day taken now. Default: as the regimen's last titration step.",
        ),
    ] = None,
    from_plan: Annotated[
        Path | None,
        typer.Option(
            "--from-plan",
            metavar="PLAN.json",
            help="Taper from the last day of a plan written by `titrate plan -f json`; it "
            "starts the day after that plan ends unless --start is given.",
            dir_okay=False,
        ),
    ] = None,
    step_mg: StepMgOpt = None,
    every_days: EveryDaysOpt = None,
    start: StartOpt = None,
    times: TimesOpt = None,
    tz: TzOpt = None,
    age: AgeOpt = None,
    patient: PatientOpt = None,
    product: ProductOpt = None,
    strengths: StrengthsOpt = None,
    crcl: CrclOpt = None,
    dialysis: DialysisOpt = False,
    with_: WithOpt = None,
    pregnant: PregnantOpt = False,
    renal_adjust: RenalAdjustOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    regimen_files: RegimenFiles = None,
) -> None:
    """Plan stopping REGIMEN slowly: from the current dose down to zero.

    The default pace comes from the regimen's taper data (baclofen: 5 mg less per dose
    every 3 days, a convention: US labels say "reduce slowly" without numbers).

    Example: titrate taper baclofen --from-mg 20 --doses-per-day 3 --start 2026-12-01
    """
    with input_errors():
        from titrate.catalog import get_regimen
        from titrate.core.taper import day_after, taper_after
        from titrate.core.taper import taper as build_taper
        from titrate.rules import at_or_above

        if (from_mg is None) == (from_plan is None):
            fail("give the current dose with exactly one of --from-mg or --from-plan", "--from-mg")
        if from_plan is not None and doses_per_day is not None:
            fail("the plan gives the doses a day; drop --doses-per-day", "--doses-per-day")
        chosen = get_regimen(regimen, load_catalog(regimen_files))
        step = parse_mg(step_mg, "--step-mg") if step_mg is not None else None
        if from_plan is not None:
            from titrate.core.adjust import merge_patient
            from titrate.core.planfile import load_plan

            previous = load_plan(from_plan)
            zone_name = zone_or_system(tz) if tz else previous.timezone
            options = plan_options(
                zone_name=zone_name,
                start=start or day_after(previous).isoformat(),
                times=times,
                target_mg=None,
                hold_days=0,
                steps=None,
                age=age,
                patient=patient,
                product=product,
                strengths=strengths,
                crcl=crcl,
                dialysis=dialysis,
                with_=with_,
                pregnant=pregnant,
                renal_adjust=renal_adjust,
            )
            options = options.model_copy(
                update={"patient": merge_patient(previous.patient, options.patient)}
            )
            result = taper_after(
                chosen,
                previous,
                options,
                step_mg=step,
                every_days=every_days,
                where=str(from_plan),
            )
        else:
            assert from_mg is not None
            options = plan_options(
                zone_name=zone_or_system(tz),
                start=start,
                times=times,
                target_mg=None,
                hold_days=0,
                steps=None,
                age=age,
                patient=patient,
                product=product,
                strengths=strengths,
                crcl=crcl,
                dialysis=dialysis,
                with_=with_,
                pregnant=pregnant,
                renal_adjust=renal_adjust,
            )
            result = build_taper(
                chosen,
                options,
                from_mg=parse_mg(from_mg, "--from-mg"),
                doses_per_day=doses_per_day,
                step_mg=step,
                every_days=every_days,
            )
        emit(result, fmt, output)
    if at_or_above(result.findings, fail_on.value):
        raise typer.Exit(1)


@app.command()
def check(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A proposed plan (YAML/JSON with regimen: and steps: or doses:), the JSON "
            "of `titrate plan -f json`, or a regimens YAML file holding one regimen.",
            dir_okay=False,
        ),
    ],
    against: Annotated[
        str | None,
        typer.Option(
            "--regimen",
            metavar="REGIMEN",
            help="Check against this regimen's rules (default: the one the file names).",
        ),
    ] = None,
    start: StartOpt = None,
    tz: TzOpt = None,
    age: AgeOpt = None,
    patient: PatientOpt = None,
    crcl: CrclOpt = None,
    dialysis: DialysisOpt = False,
    with_: WithOpt = None,
    pregnant: PregnantOpt = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="report (default: every finding with its rule and source) or any plan "
            "format (table, json, ...).",
        ),
    ] = None,
    output: OutputOpt = None,
    fail_on: FailOnWarningOpt = FailOn.warning,
    regimen_files: RegimenFiles = None,
) -> None:
    """Check a proposed plan or regimen against a regimen's rules: why it fails and
    where each rule comes from.

    The patient options add to (and override) a patient given in the file. Exit status 1
    on findings at or above --fail-on (default warning).

    Example: titrate check proposed.yaml --crcl 40
    """
    with input_errors():
        from titrate.core.check import check as check_file
        from titrate.core.schedule import parse_date
        from titrate.rules import at_or_above

        zone_name = zone_or_system(tz)
        result = check_file(
            file,
            catalog=load_catalog(regimen_files),
            patient=patient_from_options(
                name=patient,
                age=age,
                crcl=crcl,
                dialysis=dialysis,
                with_=with_,
                pregnant=pregnant,
            ),
            regimen_id=against,
            timezone=zone_name,
            start=parse_date(start) if start else today_in(zone_name),
        )
        name = fmt or (None if output is None else _format_or_report(output))
        if name in (None, "report"):
            from titrate.render.check import report_text

            emit(report_text(result, str(file)), "table", output)
        else:
            emit(result, name, output)
    if at_or_above(result.findings, fail_on.value):
        raise typer.Exit(1)


def _format_or_report(output: Path) -> str | None:
    from titrate.render import format_for_path

    found = format_for_path(output)
    return None if found in (None, "table") else found


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
        typer.Option(
            "--regimen",
            metavar="REGIMEN",
            help="Also show which data and sources each rule enforces.",
        ),
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
        from titrate.core.measure import product_catalogue

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

    Columns (CSV header or JSON keys): id, regimen, and these `plan` options: start,
    times, tz, target_mg, step_mg, every_days, hold_days, steps, age, patient, product,
    strengths, crcl, dialysis, with (names separated by ';'), pregnant, renal_adjust
    (flags: true/false, yes/no, 1/0; empty is false). Each line is {"row": N, "id": ...,
    "plan": {...}} or {"row": N, "id": ..., "error": "..."}. Exit 2 if any row was
    invalid, else 1 if any plan has findings at or above --fail-on (all rows are always
    planned first).

    Example: titrate batch clinic.csv -o plans.jsonl --tz Europe/London
    """
    from titrate import batch as batching

    with input_errors():
        planner = batching.Planner(
            load_catalog(regimen_files), default_zone=zone_or_system(tz), fail_on=fail_on.value
        )
        source = None if str(file) == "-" else file
        # a bar on the terminal that is also showing the JSON lines would garble both
        lines_on_screen = output is None and sys.stdout.isatty()
        show_bar = sys.stderr.isatty() and not lines_on_screen
        show_bar = show_bar and batching.worth_a_progress_bar(source)
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
def schema(
    kind: Annotated[
        str,
        typer.Option(
            "--kind", metavar="KIND", help="plan (default), advice (`missed`) or audit (`audit`)."
        ),
    ] = "plan",
) -> None:
    """Print the JSON Schema (draft 2020-12) of the plan JSON (or --kind advice|audit)."""
    from titrate.io import write_stdout
    from titrate.render.json import schema_text

    with input_errors():
        if kind == "advice":
            from titrate.render.advice import advice_schema_text

            write_stdout(advice_schema_text())
        elif kind == "audit":
            from titrate.render.audit import audit_schema_text

            write_stdout(audit_schema_text())
        elif kind == "plan":
            write_stdout(schema_text())
        else:
            fail(f"unknown kind {kind!r} (choose plan, advice or audit)", "--kind")


# Missed doses and dose-log audits (titrate.core.missed, titrate.core.audit)

NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="DATETIME",
        help="Current time, ISO 8601 (no UTC offset: the plan's zone). Default: now.",
    ),
]


def _text_format(fmt: str | None, output: Path | None) -> str:
    from titrate.render import format_for_path

    name = fmt or (format_for_path(output) if output else None) or "table"
    if name not in ("table", "json"):
        fail(f"unknown format {name!r} (choose table or json)", "--format")
    return name


def _text_width(output: Path | None) -> tuple[int, bool]:
    """Terminal width and colour for table output on a terminal; fixed for files."""
    if output is not None:
        return 100, False
    import shutil

    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return max(shutil.get_terminal_size((100, 24)).columns, 60), color


def _now(text: str | None, zone_name: str) -> datetime:
    """'Now' is resolved once, here at the edge."""
    from titrate.core.doselog import parse_instant
    from titrate.core.schedule import zone

    tz = zone(zone_name)
    if text is None:
        return datetime.now(tz)
    return parse_instant(text, tz, "--now")


def _plan_file_regimen(path: Path, regimen_files: list[Path] | None) -> tuple[Plan, Regimen]:
    """A plan JSON file and its regimen (by the plan's regimen id), with the plan's
    findings checked afresh against the regimen data."""
    from titrate.catalog import get_regimen
    from titrate.core.planfile import load_plan
    from titrate.rules import check_plan

    loaded = load_plan(path)
    try:
        chosen = get_regimen(loaded.regimen.id, load_catalog(regimen_files))
    except InputError as exc:
        raise InputError(f"{exc.message} (the plan's regimen)", str(path)) from None
    return loaded.model_copy(update={"findings": check_plan(loaded, chosen)}), chosen


@app.command()
def missed(
    regimen: Annotated[
        str | None,
        typer.Argument(metavar="[REGIMEN]", help="Regimen id, to build the plan (or give --plan)."),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", metavar="FILE", help="Plan JSON written by `titrate plan -f json`."),
    ] = None,
    dose: Annotated[
        str | None,
        typer.Option(
            "--dose",
            metavar="DATETIME",
            help="Scheduled time of the missed dose, ISO 8601 (no offset: the plan's zone).",
        ),
    ] = None,
    dose_number: Annotated[
        int | None,
        typer.Option("--dose-number", metavar="N", help="The missed dose's number in the plan."),
    ] = None,
    now: NowOpt = None,
    start: StartOpt = None,
    times: TimesOpt = None,
    tz: TzOpt = None,
    target_mg: TargetOpt = None,
    step_mg: StepMgOpt = None,
    every_days: EveryDaysOpt = None,
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
    """A dose was missed: take it now, skip it, or contact the prescriber?

    The rule and its source come from the regimen data (missed_dose). Exit status 1 only
    when the plan itself has findings at or above --fail-on.

    Example: titrate missed baclofen --start 2026-12-01 --dose 2026-12-02T14:00
    --now 2026-12-02T15:30
    """
    with input_errors():
        from titrate.core.missed import advise, dose_at
        from titrate.core.schedule import zone
        from titrate.render.advice import render as render_advice
        from titrate.rules import at_or_above

        name = _text_format(fmt, output)
        if (dose is None) == (dose_number is None):
            fail("give the missed dose with exactly one of --dose or --dose-number", "--dose")
        if plan_file is not None:
            if regimen is not None:
                fail("give REGIMEN or --plan, not both", "--plan")
            given = {
                "--start": start,
                "--times": times,
                "--tz": tz,
                "--target-mg": target_mg,
                "--step-mg": step_mg,
                "--every-days": every_days,
                "--hold-days": hold_days or None,
                "--steps": steps,
                "--age": age,
                "--patient": patient,
                "--product": product,
                "--strengths": strengths,
            }
            for option, value in given.items():
                if value is not None:
                    fail("the plan file already fixes this; give it only with REGIMEN", option)
            chosen_plan, chosen = _plan_file_regimen(plan_file, regimen_files)
        else:
            if regimen is None:
                fail("give REGIMEN (and its plan options) or --plan FILE", "REGIMEN")
            from titrate.api import plan as build_plan
            from titrate.catalog import get_regimen

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
                step_mg=step_mg,
                every_days=every_days,
            )
            chosen_plan = build_plan(chosen, options)
        if dose is not None:
            from titrate.core.doselog import parse_instant

            number = dose_at(chosen_plan, parse_instant(dose, zone(chosen_plan.timezone), "--dose"))
            number_of_dose = number.number
        else:
            assert dose_number is not None
            number_of_dose = dose_number
        advice = advise(chosen_plan, chosen, number_of_dose, _now(now, chosen_plan.timezone))
        width, _ = _text_width(output)
        emit(render_advice(advice, name, width), name, output)
    if at_or_above(advice.findings, fail_on.value):
        raise typer.Exit(1)


@app.command()
def audit(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN", help="Plan JSON written by `titrate plan -f json`.")
    ],
    log_file: Annotated[
        Path,
        typer.Argument(
            metavar="LOG", help="Dose log: CSV taken_at,dose_mg[,note] or JSON Lines (.jsonl)."
        ),
    ],
    now: NowOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnWarningOpt = FailOn.warning,
    regimen_files: RegimenFiles = None,
) -> None:
    """Compare a dose log with its plan: taken, late, missed, extra; doubles, doses too
    close, amounts that differ, days over the maximum, abrupt stops.

    Doses due after --now (default: now) are pending. Unreadable log rows are listed
    with their line numbers (and on stderr) and give exit status 2; the other rows are
    still audited.

    Example: titrate audit plan.json doses.csv --now 2026-12-13T09:00
    """
    with input_errors():
        from titrate.core.audit import run_audit
        from titrate.core.doselog import open_log
        from titrate.core.schedule import zone
        from titrate.render.audit import render as render_audit
        from titrate.rules import at_or_above

        name = _text_format(fmt, output)
        chosen_plan, chosen = _plan_file_regimen(plan_file, regimen_files)
        as_of = _now(now, chosen_plan.timezone)
        log = open_log(log_file, zone(chosen_plan.timezone))  # streamed by the audit
        audited = run_audit(chosen_plan, chosen, log, as_of)
        result = audited.result
        width, color = _text_width(output)
        emit(render_audit(result, name, width, color), name, output)
        shown = 10  # the output lists more; stderr stays readable
        for row in result.rejected_rows[:shown]:
            sys.stderr.write(f"titrate: error: {log_file}:{row.line}: {row.message}\n")
        if audited.rejected_total > shown:
            listed = len(result.rejected_rows)
            where = (
                "listed in the output"
                if audited.first_unlisted is None
                else f"the output lists the first {listed}"
            )
            sys.stderr.write(
                f"titrate: error: {log_file}: {audited.rejected_total - shown} more "
                f"unreadable row(s), {where}\n"
            )
    if result.rejected_rows:
        raise typer.Exit(2)
    if at_or_above(result.findings, fail_on.value):
        raise typer.Exit(1)


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
