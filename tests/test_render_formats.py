"""Printable and interoperable outputs (html, pdf, csv, md, json) as their users see them:
golden files, parse-back with real parsers, findings beside the day in every format,
sources and disclaimer everywhere, escaping, `-o` picking the format, exit codes.

ICS and FHIR have their own files (test_ics.py, test_fhir.py).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from conftest import run
from titrate import get_regimen, plan
from titrate.model import NoticeRef, Patient, Plan, PlanOptions
from titrate.render import RenderOptions
from titrate.render.csv import render as render_csv
from titrate.render.csv import text_cell
from titrate.render.view import build_view
from titrate.schema import validate_json

LABEL = [
    "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London",
    "--patient", "Example Patient", "--printed-on", "2026-11-26",
]  # fmt: skip
OVER_MAX = [*LABEL, "--steps", "20x4:3,25x4:3"]
FORMATS = ["html", "pdf", "csv", "md", "ics", "fhir", "json"]
EXTENSION = {"fhir": "fhir.json"}


def plan_of(args: list[str]) -> Plan:
    """The plan the CLI builds for `args`, read back from its JSON output."""
    result = run(*args, "-f", "json")
    return validate_json(Plan, result.stdout)


def output(args: list[str], fmt: str) -> bytes:
    result = run(*args, "-f", fmt)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout_bytes


@pytest.fixture(scope="module")
def label_plan() -> Plan:
    return plan_of(LABEL)


@pytest.fixture(scope="module")
def over_plan() -> Plan:
    return plan_of(OVER_MAX)


# --------------------------------------------------------------------------------------
# Golden files and exit codes


@pytest.mark.parametrize("fmt", FORMATS)
def test_label_plan_golden(fmt: str, golden: Callable[[str, str | bytes], None]) -> None:
    result = run(*LABEL, "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden(f"label_plan.{EXTENSION.get(fmt, fmt)}", result.stdout_bytes)


@pytest.mark.parametrize("fmt", FORMATS)
def test_over_max_plan_golden_and_exit_1(
    fmt: str, golden: Callable[[str, str | bytes], None]
) -> None:
    # A plan over the daily maximum is shown, never clamped, and the exit status says so.
    result = run(*OVER_MAX, "-f", fmt)
    assert result.exit_code == 1, result.stderr
    golden(f"over_max_plan.{EXTENSION.get(fmt, fmt)}", result.stdout_bytes)


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_input_gives_identical_bytes(fmt: str) -> None:
    assert output(OVER_MAX, fmt) == output(OVER_MAX, fmt)


@pytest.mark.parametrize("fmt", ["html", "pdf", "csv", "md", "ics", "fhir"])
def test_every_format_carries_disclaimer_and_sources(fmt: str, label_plan: Plan) -> None:
    if fmt == "pdf":
        text = pdf_text(output(LABEL, fmt))
    else:
        text = output(LABEL, fmt).decode("utf-8")
        if fmt == "ics":  # unfold RFC 5545 lines and unescape before searching
            text = text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")
        elif fmt == "html":
            text = html.unescape(text)
        elif fmt == "md":
            text = re.sub(r"\\(.)", r"\1", text)
    flat = " ".join(text.split())
    assert " ".join(label_plan.disclaimer.split()) in flat
    # the documents for people (HTML, PDF, Markdown) list the sources the plan cites and
    # no other; the formats for machines list the regimen's all
    cited = set(
        re.findall(r"\[([A-Za-z0-9_.-]+)\]", label_plan.model_dump_json(exclude={"sources"}))
    )
    for source in label_plan.sources:
        if fmt not in ("html", "pdf", "md") or source.id in cited:
            assert f"[{source.id}]" in flat, source.id
        else:
            assert f"[{source.id}]" not in flat, source.id


# --------------------------------------------------------------------------------------
# -o FILE: format from the extension, atomic write, --findings-csv


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("plan.html", b"<!DOCTYPE html>"),
        ("plan.pdf", b"%PDF-"),
        ("plan.csv", b"date,time,day,step,dose_mg"),
        ("plan.md", b"# Baclofen"),
        ("plan.ics", b"BEGIN:VCALENDAR"),
        ("plan.fhir.json", b'"resourceType": "Bundle"'),
        ("plan.json", b'"schema_version"'),
    ],
)
def test_output_extension_picks_the_format(tmp_path: Path, name: str, marker: bytes) -> None:
    target = tmp_path / name
    result = run(*LABEL, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_bytes().startswith(marker) or marker in target.read_bytes()[:200]
    assert [path.name for path in tmp_path.iterdir()] == [name]  # no temp file left behind


def test_findings_csv_written_only_when_asked(tmp_path: Path, over_plan: Plan) -> None:
    findings = tmp_path / "findings.csv"
    result = run(*OVER_MAX, "-o", str(tmp_path / "plan.html"))
    assert result.exit_code == 1
    assert not findings.exists()
    result = run(*OVER_MAX, "-o", str(tmp_path / "plan.html"), "--findings-csv", str(findings))
    assert result.exit_code == 1
    raw = findings.read_bytes()
    assert b"\r\n" in raw and raw.count(b"\r\n") == raw.count(b"\n")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert [(row["code"], row["rule"], row["severity"]) for row in rows] == [
        (f.code, f.rule, f.severity) for f in over_plan.findings
    ]
    over_daily = [row for row in rows if row["rule"] == "over-daily-max"]
    assert [(row["date"], row["last_date"]) for row in over_daily] == [("2026-12-04", "2026-12-06")]


def test_findings_csv_into_missing_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run(*LABEL, "-f", "csv", "--findings-csv", str(tmp_path / "nope" / "f.csv"))
    assert result.exit_code == 2
    assert result.stderr.startswith("titrate: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--printed-on", "2026-02-30", "--printed-on: '2026-02-30' is not a date"),
        ("--paper", "a3", "--paper: 'a3' is not a paper size"),
        ("--format", "docx", "--format: unknown format 'docx'"),
    ],
)
def test_bad_render_options_exit_2(option: str, value: str, message: str) -> None:
    result = run(*LABEL, option, value)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_pdf_without_the_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulate an install without fpdf2: importing it fails as it would in a bare venv.
    for name in [name for name in sys.modules if name.startswith("titrate.render.pdf")]:
        monkeypatch.delitem(sys.modules, name)  # the PDF modules, as never imported
    monkeypatch.setitem(sys.modules, "fpdf", None)
    result = run(*LABEL, "-f", "pdf")
    assert result.exit_code == 2
    assert "pip install 'titrate[pdf]'" in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_json_path_imports_no_renderer_library() -> None:
    code = (
        "import sys; from titrate.cli import app; from typer.testing import CliRunner; "
        "CliRunner().invoke(app, ['plan', 'baclofen', '--start', '2026-12-01', '--tz', 'UTC',"
        " '-f', 'json']); "
        "print([m for m in ('jinja2', 'icalendar', 'fpdf', 'fhir', 'titrate.render.view')"
        " if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--paper", "b5", "-f", "json"],
            "--paper: 'b5' is not a paper size (choose a4 or letter)",
        ),
        (["--prescriber", "\udcff"], "--prescriber: text holds bytes that are not UTF-8"),
        (["--pharmacy", "x" * 10_001], "--pharmacy: at most 10000 characters, not 10001"),
    ],
)
def test_render_options_are_checked_before_any_output(args: list[str], message: str) -> None:
    result = run(*LABEL, *args)
    assert result.exit_code == 2
    assert result.stderr == f"titrate: error: {message}\n"
    assert result.stdout == ""


# --------------------------------------------------------------------------------------
# JSON: parse back and validate against the published schema


def test_json_validates_against_published_schema(label_plan: Plan) -> None:
    schema = json.loads(run("schema").stdout)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    document = json.loads(output(LABEL, "json"))
    assert list(validator.iter_errors(document)) == []
    assert len(document["doses"]) == len(label_plan.doses) == 36


# --------------------------------------------------------------------------------------
# CSV


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_parses_back_to_the_plans_doses(label_plan: Plan) -> None:
    data = output(LABEL, "csv")
    assert data.count(b"\r\n") == data.count(b"\n")  # RFC 4180 line ends
    rows = csv_rows(data)
    doses = [row for row in rows if row["day"]]
    assert len(doses) == len(label_plan.doses)
    for row, dose in zip(doses, label_plan.doses, strict=True):
        local = dose.at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
        assert row["date"] == local.date().isoformat()
        assert row["time"] == local.strftime("%H:%M")
        assert int(row["day"]) == dose.day and int(row["step"]) == dose.step
        assert Decimal(row["dose_mg"]) == dose.dose_mg
        assert row["amount"] == (dose.amount.text if dose.amount else "")
        assert row["taken"] == ""
        assert row["findings"] == ""
    notes = [row["notes"] for row in rows if not row["day"]]
    assert any(note == f"Disclaimer: {label_plan.disclaimer}" for note in notes)


def test_csv_findings_beside_their_doses(over_plan: Plan) -> None:
    rows = [row for row in csv_rows(output(OVER_MAX, "csv")) if row["day"]]
    day4 = [row for row in rows if row["day"] == "4"]
    day2 = [row for row in rows if row["day"] == "2"]
    assert len(day4) == 4
    assert all("ERROR over-daily-max (TT101)" in row["findings"] for row in day4)
    assert all("WARNING over-single-dose (TT102)" in row["findings"] for row in day4)
    assert all("over-daily-max" not in row["findings"] for row in day2)


def test_csv_plan_wide_finding_on_every_dose_row() -> None:
    # Too young for the regimen: the finding concerns no single day, so every row has it.
    result = run(*LABEL, "--age", "10", "-f", "csv")
    assert result.exit_code == 1
    rows = csv_rows(result.stdout_bytes)
    doses = [row for row in rows if row["day"]]
    assert doses and all("age-below-minimum" in row["findings"] for row in doses)
    assert any(row["notes"].startswith("Finding (whole plan): ERROR") for row in rows)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_csv_neutralises_formula_prefixes(text: str) -> None:
    assert text_cell(text) == "'" + text
    assert text_cell("Take 5 mg") == "Take 5 mg"


def test_csv_formula_in_regimen_text_is_not_a_formula() -> None:
    base = plan(get_regimen("baclofen"), PlanOptions(start=date(2026, 12, 1), timezone="UTC"))
    hostile = base.model_copy(
        update={"notices": [NoticeRef(id="x", text='=HYPERLINK("http://x.invalid")', source="s")]}
    )
    text = render_csv(hostile, RenderOptions())
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


# --------------------------------------------------------------------------------------
# HTML


def test_html_is_self_contained_and_paper_ready(label_plan: Plan) -> None:
    page = output(LABEL, "html").decode("utf-8")
    for external in ("<link", "<script", "src=", "@import", "url("):
        assert external not in page
    assert "@page" in page and "size: auto" in page  # fits A4 and US Letter
    patient, pharmacist = page.split('<article class="pharmacist"', 1)
    # a tick box for every dose, in the grid of days x dose times
    assert patient.count('aria-label="tick when taken"') == len(label_plan.doses)
    assert patient.count('class="step"') == 4  # a banner where each step starts
    assert "Days 4–6: 1 tablet (10 mg) 3 times a day" in patient
    assert '<span class="amount">1½ tablets</span> <span class="mg">(15 mg)</span>' in patient
    for column in ('Morning<br><span class="clock">08:00', 'Midday<br><span class="clock">14:00'):
        assert column in patient
    assert "<main>" in page and '<th scope="col"' in page and '<th scope="row"' in page
    assert "No findings" in pharmacist and "Dispensing summary" in pharmacist


def test_html_paper_option_sets_the_page_size() -> None:
    assert "size: A4" in run(*LABEL, "-f", "html", "--paper", "a4").stdout
    assert "size: letter" in run(*LABEL, "-f", "html", "--paper", "Letter").stdout


def test_html_prints_a_script_patient_name_as_text() -> None:
    result = run(*LABEL[:-4], "--patient", "<script>alert(1)</script>", "-f", "html")
    assert result.exit_code == 0
    assert "<script>" not in result.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result.stdout


def test_html_findings_boxed_at_top_and_beside_their_day(over_plan: Plan) -> None:
    page = output(OVER_MAX, "html").decode("utf-8")
    patient, pharmacist = page.split('<article class="pharmacist"', 1)
    banner = patient.split('role="alert"', 1)[1].split("</section>", 1)[0]
    assert "DO NOT USE THIS SCHEDULE AS WRITTEN: it goes over a limit." in banner
    assert "Days 4–6 (2026-12-04 to 2026-12-06): 100 mg in the day" in banner
    # every printed page repeats the banner in its margin (CSS-escaped)
    assert '@bottom-left { content: "DO NOT USE THIS' in page
    box = pharmacist.split('aria-labelledby="findings"', 1)[1].split("</section>", 1)[0]
    assert "DO NOT USE AS WRITTEN" in box
    # one line per rule broken on several days (each day's message is beside its day)
    assert (
        "<strong>ERROR</strong> over-daily-max (TT101): Days 4–6 (2026-12-04 to 2026-12-06):" in box
    )
    assert "<strong>WARNING</strong> over-single-dose (TT102): Days 4–6:" in box
    for finding in over_plan.findings:
        assert finding.rule in box
    day4 = patient.split("Fri 4 Dec</span>", 1)[1].split("</tbody>", 1)[0]
    assert '<div class="day-finding error"><strong>ERROR</strong> over-daily-max:' in day4
    day2 = patient.split("Wed 2 Dec</span>", 1)[1].split("</tbody>", 1)[0]
    assert "day-finding" not in day2


def test_html_header_shows_prescriber_pharmacy_and_date_printed() -> None:
    page = run(
        *LABEL, "--prescriber", "Dr Ada Example", "--pharmacy", "Example & Sons", "-f", "html"
    ).stdout
    assert "Dr Ada Example" in page
    assert "Example &amp; Sons" in page
    assert "Thu 26 Nov 2026" in page


# --------------------------------------------------------------------------------------
# Markdown


def test_markdown_schedule_findings_and_escaping(over_plan: Plan) -> None:
    text = output(OVER_MAX, "md").decode("utf-8")
    assert text.count("☐") >= len(over_plan.doses)
    assert "> **⚠ DO NOT USE AS WRITTEN" in text
    assert "### Rules broken and where they come from" in text
    assert "- **ERROR** `over-daily-max` (TT101) (days 4, 5, 6):" in text
    row4 = next(line for line in text.splitlines() if line.startswith("| ⚠ 4 |"))
    assert "**ERROR** over-daily-max" in row4
    escaped = run(*LABEL[:-4], "--patient", "<b>*x*|y</b>", "-f", "md").stdout
    assert r"\<b\>\*x\*\|y\</b\>" in escaped
    # every table row keeps its column count (a | in text cannot split a cell)
    widths = {
        len(re.findall(r"(?<!\\)\|", line)) for line in escaped.splitlines() if line.startswith("|")
    }
    assert widths <= {3, 9, 6}  # field table, schedule (with amount), dispensing


# --------------------------------------------------------------------------------------
# PDF


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))


@pytest.mark.parametrize(
    ("paper", "media_box"),
    [("a4", b"/MediaBox [0 0 595.28 841.89]"), ("letter", b"/MediaBox [0 0 612.00 792.00]")],
)
@pytest.mark.parametrize("args", [LABEL, OVER_MAX], ids=["label", "over-max"])
def test_pdf_fits_the_patients_two_pages_and_the_pharmacists_one(
    args: list[str], paper: str, media_box: bytes
) -> None:
    both = run(*args, "-f", "pdf", "--paper", paper).stdout_bytes
    assert both.startswith(b"%PDF-") and media_box in both
    assert pdf_pages(both) <= 3
    patient = run(*args, "-f", "pdf", "--paper", paper, "--sheet", "patient").stdout_bytes
    assert pdf_pages(patient) <= 2
    pharmacist = run(*args, "-f", "pdf", "--paper", paper, "--sheet", "pharmacist").stdout_bytes
    assert pdf_pages(pharmacist) == 1


def test_pdf_text_has_schedule_findings_and_notices(over_plan: Plan) -> None:
    text = pdf_text(output(OVER_MAX, "pdf"))
    flat = " ".join(text.split())
    assert "DO NOT USE AS WRITTEN" in flat
    # beside day 4 (text extraction interleaves table cells, so only its start is whole)
    assert "ERROR over-daily-max: Days 4–6" in flat
    assert (
        "ERROR over-daily-max (TT101): Days 4–6 (2026-12-04 to 2026-12-06): 100 mg in the day"
        in flat
    )
    for notice in over_plan.notices:
        assert " ".join(notice.text.split())[:60] in flat
    assert "Example Patient" in flat


def test_pdf_patient_names_in_other_scripts() -> None:
    # Greek and Cyrillic are in the shipped font; Chinese is not: it prints as "?" with a
    # note, and the PDF is still made (no crash, no silent gap, no warning on stderr).
    args = [*LABEL[:-4]]
    result = run(*args, "--patient", "Ελένη Иванова", "-f", "pdf")
    assert result.exit_code == 0 and result.stderr == ""
    assert "Ελένη Иванова" in pdf_text(result.stdout_bytes)
    result = run(*args, "--patient", "王小明", "-f", "pdf")
    assert result.exit_code == 0 and result.stderr == ""
    flat = " ".join(pdf_text(result.stdout_bytes).split())
    assert "???" in flat
    assert "some characters cannot be shown in this PDF" in flat


# --------------------------------------------------------------------------------------
# One view model: HTML and PDF show the same steps, days and findings


def test_view_groups_steps_and_puts_findings_beside_days(over_plan: Plan) -> None:
    view = build_view(over_plan, RenderOptions())
    assert [(run.first_day, run.last_day, run.per_day) for run in view.runs] == [
        (1, 3, 4),
        (4, 6, 4),
    ]
    assert [day.worst for day in view.days] == [
        "warning", None, None, "error", "error", "error"
    ]  # fmt: skip
    assert {rule.rule for rule in view.rules_broken} >= {"over-daily-max", "over-single-dose"}


def test_taper_plans_render_in_every_format() -> None:
    from titrate.core.taper import taper

    tapered = taper(
        get_regimen("baclofen"),
        PlanOptions(start=date(2026, 12, 1), timezone="UTC", patient=Patient(name="T")),
        from_mg=Decimal(20),
        doses_per_day=3,
    )
    assert tapered.kind == "taper"
    from importlib import import_module

    for fmt in ("html", "pdf", "csv", "md", "ics", "fhir"):
        data = import_module(f"titrate.render.{fmt}").render(tapered, RenderOptions())
        assert data
    page = import_module("titrate.render.html").render(tapered, RenderOptions())
    assert "Baclofen (oral) taper for <bdi>T</bdi>" in page  # the pharmacist's title
    assert "stop. Do not restart without your prescriber." in page


def test_boxed_warning_is_boxed_before_the_schedule_in_html_pdf_md() -> None:
    from importlib import import_module

    base = plan(get_regimen("baclofen"), PlanOptions(start=date(2026, 12, 1), timezone="UTC"))
    boxed = NoticeRef(id="boxed", text="Example boxed warning text.", source="[B1] x", boxed=True)
    with_box = base.model_copy(update={"notices": [boxed, *base.notices]})
    page = import_module("titrate.render.html").render(with_box, RenderOptions())
    box_at = page.index("⚠ Important warning (the label's boxed warning)")
    assert box_at < page.index('<table class="grid">')
    assert page.count("Example boxed warning text.") == 1  # not repeated with the others
    text = import_module("titrate.render.md").render(with_box, RenderOptions())
    assert "> **⚠ BOXED WARNING:** Example boxed warning text." in text
    assert text.index("BOXED WARNING") < text.index("## Schedule")
    flat = " ".join(
        pdf_text(import_module("titrate.render.pdf").render(with_box, RenderOptions())).split()
    )
    boxed_at = flat.index("⚠ Important warning (the label's boxed warning) Example boxed warning")
    assert boxed_at < flat.index("Days 1–3: ½ tablet (5 mg) 3 times a day")
    assert flat.count("Example boxed warning text.") == 1
    text = render_csv(with_box, RenderOptions())
    assert isinstance(text, str)  # bytes only for --excel
    rows = csv_rows(text.encode())
    assert any(row["notes"].startswith("Boxed warning: Example") for row in rows)


# --------------------------------------------------------------------------------------
# Review dates and boxed warnings (dantrolene: review by day 45, boxed liver warning)

DANTROLENE = [
    "plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC", "--printed-on", "2026-11-26",
]  # fmt: skip
# 48 days: the review date (day 45) falls within the plan.
DANTROLENE_LONG = [*DANTROLENE, "--hold-days", "20"]
REVIEW_TEXT = "if dantrolene has brought no clear benefit by then"


@pytest.fixture(scope="module")
def dantrolene_plan() -> Plan:
    return plan_of(DANTROLENE)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_dantrolene_plan_golden(fmt: str, golden: Callable[[str, str | bytes], None]) -> None:
    result = run(*DANTROLENE, "-f", fmt)
    assert result.exit_code == 0, result.stderr
    golden(f"dantrolene_plan.{fmt}", result.stdout_bytes)


def test_dantrolene_review_date_is_past_the_plan(dantrolene_plan: Plan) -> None:
    review = dantrolene_plan.review_by
    assert review is not None
    assert (review.date, review.day) == (date(2027, 1, 14), 45)
    assert REVIEW_TEXT in review.text
    assert len(dantrolene_plan.days) == 28  # so every format shows it after the last day


def test_html_shows_review_date_at_top_in_header_and_after_the_last_day() -> None:
    page = output(DANTROLENE, "html").decode("utf-8")
    schedule_at = page.index('<table class="grid">')
    assert "<dt>Review by</dt><dd><bdi>Thu 14 Jan 2027 (day 45)</bdi></dd>" in page
    top = page.index('<section class="alert review"')
    assert top < schedule_at
    assert '<h2 id="review">⚑ See your prescriber by Thu 14 Jan 2027</h2>' in page[top:schedule_at]
    last_day = page.index("Mon 28 Dec</span>")
    after = page.index("<strong>⚑ Thu 14 Jan 2027:</strong> see your prescriber.")
    assert page.index("</table>", schedule_at) < after
    assert last_day < after
    assert page.count(REVIEW_TEXT) == 2  # the box at the top and the line after day 28
    assert "and see your prescriber by Thu 14 Jan 2027 to decide whether to go on." in page


def test_html_md_pdf_mark_the_review_day_within_a_longer_plan() -> None:
    page = output(DANTROLENE_LONG, "html").decode("utf-8")
    day45 = page.split("Thu 14 Jan</span>", 1)[1].split("</tbody>", 1)[0]
    assert (
        '<div class="day-finding review"><strong>⚑ See your prescriber today</strong> '
        "if dantrolene" in day45
    )
    assert "see your prescriber." not in page  # no line after the plan: it is within it
    day44 = page.split("Wed 13 Jan</span>", 1)[1].split("</tbody>", 1)[0]
    assert "prescriber" not in day44
    text = output(DANTROLENE_LONG, "md").decode("utf-8")
    (row45,) = [line for line in text.splitlines() if line.startswith("| 45 |")]
    assert "**⚑ REVIEW DAY** if dantrolene has brought no clear benefit" in row45
    assert "> **⚑ REVIEW BY Thu 14 Jan 2027 (day 45):**" in text
    flat = " ".join(pdf_text(output(DANTROLENE_LONG, "pdf")).split())
    assert "⚑ See your prescriber by Thu 14 Jan 2027 if dantrolene" in flat
    day45 = flat.split("Day 45 Thu 14 Jan", 1)[1].split("Day 46", 1)[0]
    assert "⚑ See your prescriber today if dantrolene" in day45
    assert "see your prescriber." not in flat  # no line after the plan: it is within it


def test_md_and_pdf_show_review_date_before_the_schedule_and_after_the_last_day() -> None:
    text = output(DANTROLENE, "md").decode("utf-8")
    top = text.index("> **⚑ REVIEW BY Thu 14 Jan 2027 (day 45), after the last day of this plan:**")
    after = text.index("### ⚑ Day 45 · Thu 14 Jan 2027: review by this date")
    assert top < text.index("## Schedule") < text.index("| 28 |") < after
    assert after < text.index("## Important")
    assert "| **Review by** | Thu 14 Jan 2027 (day 45) |" in text
    flat = " ".join(pdf_text(output(DANTROLENE, "pdf")).split())
    top = flat.index("⚑ See your prescriber by Thu 14 Jan 2027 if dantrolene")
    after = flat.index("⚑ Thu 14 Jan 2027: see your prescriber. if dantrolene")
    assert top < flat.index("Days 1–7:") < flat.index("Day 28 Mon 28 Dec") < after
    # the pharmacist's page lists it with the plan's fields (text extraction lists a
    # block of labels before their values)
    pharmacist = flat[flat.index("For the pharmacist") :]
    assert "Review by" in pharmacist and "Thu 14 Jan 2027 (day 45)" in pharmacist


def test_csv_review_date_is_a_note_row_and_marks_the_review_day(
    dantrolene_plan: Plan,
) -> None:
    rows = csv_rows(output(DANTROLENE, "csv"))
    doses = [row for row in rows if row["day"]]
    assert len(doses) == len(dantrolene_plan.doses) == 70
    (review,) = [row for row in rows if row["notes"].startswith("Review by")]
    assert review["date"] == "2027-01-14" and review["day"] == "" and review["dose_mg"] == ""
    assert review["notes"].startswith(
        "Review by 2027-01-14 (Thu 14 Jan 2027, day 45): if dantrolene has brought no clear"
    )
    assert "Source: [DA1]" in review["notes"]
    assert all(row["notes"] == "" for row in doses)  # day 45 is not in this plan
    longer = [row for row in csv_rows(output(DANTROLENE_LONG, "csv")) if row["day"] == "45"]
    assert len(longer) == 3
    assert all(row["notes"].startswith("Review day: Review by 2027-01-14") for row in longer)


def test_boxed_warning_stands_out_and_is_not_said_twice(dantrolene_plan: Plan) -> None:
    (boxed,) = [notice for notice in dantrolene_plan.notices if notice.boxed]
    words = "an cause serious, sometimes fatal, liver injury"
    assert words in boxed.text
    page = output(DANTROLENE, "html").decode("utf-8")
    box = page.split('<section class="alert boxed-warning"', 1)[1].split("</section>", 1)[0]
    assert ">⚠ Important warning (the label's boxed warning)</h2>" in box and words in box
    assert page.index("boxed-warning") < page.index('<table class="grid">')
    assert ".alert.boxed-warning { border-width: 3pt; }" in page
    text = output(DANTROLENE, "md").decode("utf-8")
    assert f"> **⚠ BOXED WARNING:** Dantrolene c{words}" in text
    table = run(*DANTROLENE).stdout
    assert "╔═ BOXED WARNING ═" in table.split("Day   Date")[0]
    for fmt in ("html", "md", "csv", "ics", "fhir", "pdf"):
        data = output(DANTROLENE, fmt)
        flat = " ".join((pdf_text(data) if fmt == "pdf" else data.decode("utf-8")).split())
        assert "boxed warning: boxed warning" not in flat.lower(), fmt
        assert "BOXED WARNING: Boxed warning" not in flat, fmt


def test_table_shows_review_date_at_the_top_and_after_the_last_day() -> None:
    table = run(*DANTROLENE).stdout
    head, rest = table.split("Day   Date", 1)
    assert "Review by 2027-01-14 (day 45): if dantrolene" in head
    assert "Day 45 (2027-01-14): REVIEW BY THIS DATE, after the last day of this plan" in rest


# --------------------------------------------------------------------------------------
# Tizanidine (a rule-based titration) in every format

TIZANIDINE = [
    "plan", "tizanidine", "--step-mg", "2", "--every-days", "3", "--target-mg", "8",
    "--start", "2026-12-01", "--tz", "UTC", "--printed-on", "2026-11-26",
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["table", *FORMATS])
def test_tizanidine_renders_in_every_format(fmt: str) -> None:
    result = run(*TIZANIDINE, "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    the_plan = plan_of(TIZANIDINE)
    assert [dose.dose_mg for dose in the_plan.doses[::9]] == [2, 4, 6, 8]
    data = result.stdout_bytes
    if fmt == "pdf":
        flat = " ".join(pdf_text(data).split())
        assert "Step 4 · days 10–12" in flat and "8 mg 3 times a day" in flat
    elif fmt == "csv":
        doses = [row for row in csv_rows(data) if row["day"]]
        assert [Decimal(row["dose_mg"]) for row in doses] == [d.dose_mg for d in the_plan.doses]
    elif fmt == "json":
        assert validate_json(Plan, data) == the_plan
    elif fmt == "ics":
        from icalendar import Calendar

        starts = [e.decoded("dtstart") for e in Calendar.from_ical(data).walk("VEVENT")]
        # every dose at its instant, then the all-day event for how the plan ends
        assert starts == [dose.at for dose in the_plan.doses] + [date(2026, 12, 13)]
    elif fmt == "fhir":
        from fhir.resources.R4B.bundle import Bundle

        document = json.loads(data)
        Bundle.model_validate(document)
        request = document["entry"][0]["resource"]
        assert [
            d["doseAndRate"][0]["doseQuantity"]["value"] for d in request["dosageInstruction"]
        ] == [2, 4, 6, 8, 8]  # the last step, then the same dose going on with no end
    else:
        text = html.unescape(data.decode("utf-8"))
        if fmt == "md":
            text = re.sub(r"\\(.)", r"\1", text)
        assert "Tizanidine" in text
        assert "step 4" in text if fmt == "table" else "8 mg 3 times a day" in text
        assert " ".join(the_plan.disclaimer.split()) in " ".join(text.split())


# --------------------------------------------------------------------------------------
# The clock-time policy: a dose in a skipped hour moves forward and the notes say so


DST = [
    "plan", "baclofen", "--steps", "5x1:3", "--times", "02:30", "--start", "2027-03-13",
    "--tz", "America/New_York", "--printed-on", "2027-03-01",
]  # fmt: skip
DST_NOTE = (
    "2027-03-14 02:30 does not exist in America/New_York (clocks go forward); that dose is "
    "at 03:00, when the clocks change."
)


def test_dst_plan_moves_the_dose_and_says_so() -> None:
    the_plan = plan_of(DST)
    assert DST_NOTE in the_plan.notes
    assert [dose.at.isoformat() for dose in the_plan.doses] == [
        "2027-03-13T02:30:00-05:00",
        "2027-03-14T03:00:00-04:00",
        "2027-03-15T02:30:00-04:00",
    ]


def _unescape_ics(text: str) -> str:
    unfolded = text.replace("\r\n ", "")
    return re.sub(r"\\([,;\\])", r"\1", unfolded).replace("\\n", "\n")


@pytest.mark.parametrize("fmt", ["table", "html", "pdf", "md", "csv", "ics", "fhir"])
def test_dst_note_is_in_every_format(fmt: str) -> None:
    data = output(DST, fmt)
    if fmt == "csv":
        rows = csv_rows(data)
        assert f"Note: {DST_NOTE}" in [row["notes"] for row in rows if not row["day"]]
        assert [row["time"] for row in rows if row["day"]] == ["02:30", "03:00", "02:30"]
        return
    if fmt == "fhir":
        notes = [n["text"] for n in json.loads(data)["entry"][0]["resource"]["note"]]
        assert DST_NOTE in notes
        return
    if fmt == "ics":
        from icalendar import Calendar

        calendar = Calendar.from_ical(data)
        for event in calendar.walk("VEVENT"):
            if isinstance(event.decoded("dtstart"), datetime):  # the doses, not the ending
                assert f"Note: {DST_NOTE}" in str(event["description"]).split("\n")
        assert f"Note: {DST_NOTE}" in _unescape_ics(data.decode("utf-8"))
        return
    text = pdf_text(data) if fmt == "pdf" else data.decode("utf-8")
    if fmt == "html":
        text = html.unescape(text)
    elif fmt == "md":
        text = re.sub(r"\\(.)", r"\1", text)
    assert DST_NOTE in " ".join(text.split())
    if fmt in ("html", "md", "pdf"):
        assert "03:00" in text  # the moved dose's own row


CONTINUE_WORDS = (
    "From Sun 13 Dec: keep taking 2 tablets (20 mg) 3 times a day until your prescriber changes it."
)


@pytest.mark.parametrize("fmt", ["table", "html", "pdf", "csv", "md"])
def test_every_format_says_how_the_label_plan_ends(fmt: str) -> None:
    raw = output(LABEL, fmt)
    text = pdf_text(raw) if fmt == "pdf" else raw.decode("utf-8")
    assert CONTINUE_WORDS in " ".join(text.split())


@pytest.mark.parametrize("fmt", ["table", "html", "csv", "md"])
def test_a_plan_stated_to_stop_says_stop_after_its_last_dose(fmt: str) -> None:
    text = output([*LABEL, "--steps", "5x3:3,10x3:3,5x3:4", "--then", "stop"], fmt).decode()
    assert "After the 20:00 dose on Thu 10 Dec, stop. Do not restart without your prescriber." in (
        " ".join(text.split())
    )
