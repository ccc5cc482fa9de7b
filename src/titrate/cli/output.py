"""Writing results: pick a renderer, fit the terminal, write stdout or a file atomically."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from titrate.cli.edge import fail

if TYPE_CHECKING:
    from titrate.model import Plan, Regimen
    from titrate.render import RenderOptions


def load_catalog(regimen_files: list[Path] | None) -> dict[str, Regimen]:
    from titrate.catalog import load_regimens

    return load_regimens(regimen_files or [])


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
            fail(f"{name} output is binary: give -o FILE.{name} or redirect stdout", "format")
        data = render(plan_or_text, render_options)
    if output is not None:
        write_atomic(output, data)
    else:
        write_stdout(data)


# Names under which a machine says "UTC": a calendar in one of them, when nobody chose it,
# rings at the wrong hour for almost every patient.
_UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Zulu", "UCT", "Zulu", "Universal", "Etc/Universal"}
)


def refuse_unchosen_utc(fmt: str | None, output: Path | None, tz: str | None, zone: str) -> None:
    """A calendar file needs the patient's zone: refuse one that fell back to a system
    zone of UTC without --tz (other formats state the zone they use)."""
    from titrate.render import format_for_path

    name = fmt or (format_for_path(output) if output else None)
    if name == "ics" and not tz and zone in _UTC_NAMES:
        fail(
            "this machine's zone is UTC and no zone was given: the calendar's reminders "
            "would ring at UTC times; give the patient's zone (for example America/New_York)",
            "timezone",
        )


def _terminal_options(options: RenderOptions) -> RenderOptions:
    from msgspec.structs import replace

    width, color = text_width(None)
    return replace(options, color=color, width=width)


def text_width(output: Path | None) -> tuple[int, bool]:
    """Terminal width and colour for table output on a terminal; fixed for files."""
    if output is not None:
        return 100, False
    import shutil

    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return max(shutil.get_terminal_size((100, 24)).columns, 60), color


def table_or_json(fmt: str | None, output: Path | None = None) -> str:
    """The format of a command that writes only a table or JSON."""
    from titrate.render import format_for_path

    name = fmt or (format_for_path(output) if output else None) or "table"
    if name not in ("table", "json"):
        fail(f"unknown format {name!r} (choose table or json)", "format")
    return name


def format_or_report(output: Path) -> str | None:
    """`check -o FILE`: a plan format by the extension, else the report."""
    from titrate.render import format_for_path

    found = format_for_path(output)
    return None if found in (None, "table") else found


def _check_choices(paper: str | None, sheet: str, fhir_intent: str) -> None:
    from titrate.render import FHIR_INTENTS

    if paper is not None:
        # Only when --paper is given: `plan -f json` must not import the view model.
        from titrate.render.view import PAPER_SIZES

        if paper.lower() not in PAPER_SIZES:
            fail(f"{paper!r} is not a paper size (choose {' or '.join(PAPER_SIZES)})", "paper")
    if fhir_intent not in FHIR_INTENTS:
        choices = ", ".join(FHIR_INTENTS)
        fail(f"{fhir_intent!r} is not a FHIR intent (choose {choices})", "fhir_intent")
    sheets = ("both", "patient", "pharmacist")
    if sheet not in sheets:
        fail(f"{sheet!r} is not a sheet (choose {', '.join(sheets)})", "sheet")


def render_options(
    *,
    zone_name: str,
    prescriber: str | None,
    pharmacy: str | None,
    printed_on: str | None,
    remind_minutes: int,
    paper: str | None,
    pharmacy_phone: str | None = None,
    sheet: str = "both",
    fhir_intent: str = "proposal",
    excel: bool = False,
) -> RenderOptions:
    """Command-line strings → RenderOptions; 'today' for --printed-on is resolved here."""
    from titrate.clock import today_in
    from titrate.core.schedule import parse_date
    from titrate.render import RenderOptions
    from titrate.requests import check_text

    _check_choices(paper, sheet, fhir_intent)
    check_text(prescriber, "prescriber")
    check_text(pharmacy, "pharmacy")
    check_text(pharmacy_phone, "pharmacy_phone")
    return RenderOptions(
        pharmacy_phone=pharmacy_phone,
        sheet=sheet,  # type: ignore[arg-type]  # checked against `sheets` above
        prescriber=prescriber,
        pharmacy=pharmacy,
        printed_on=parse_date(printed_on, "printed_on") if printed_on else today_in(zone_name),
        remind_minutes=remind_minutes,
        paper=paper.lower() if paper else None,
        fhir_intent=fhir_intent,
        excel=excel,
    )


def write_findings_csv(result: Plan, path: Path | None, excel: bool = False) -> None:
    """--findings-csv: the findings as their own CSV, written atomically, only if asked."""
    if path is None:
        return
    from titrate.io import write_atomic
    from titrate.render.csv import render_findings

    write_atomic(path, render_findings(result, excel=excel))


def check_excel(
    excel: bool, fmt: str | None, output: Path | None, findings_csv: Path | None = None
) -> None:
    """--excel shapes CSV only: refuse it when no CSV is written."""
    from titrate.render import format_for_path

    name = fmt or (format_for_path(output) if output else None) or "table"
    if excel and name != "csv" and findings_csv is None:
        fail("applies to CSV output only: add -f csv or write to FILE.csv", "excel")
