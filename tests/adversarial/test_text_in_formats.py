"""Hostile text in every printable and interoperable format (issue 9).

One case per hostile value × format. The same value is given as the patient, the
prescriber and the pharmacy; each case reads the output back with a real parser (an HTML
parser, markdown-it, the csv module, icalendar, the FHIR R4B models, pdftotext) and
asserts exactly what comes out:

- html: every name is text inside <bdi> (so right-to-left or override characters cannot
  reorder the words around it), the <title> isolates it with U+2068…U+2069, and the page
  has exactly the elements and attributes of the same plan with a plain name;
- md: the Markdown, rendered by a CommonMark parser, shows the name as text (whitespace,
  including line breaks, collapses to single spaces: a Markdown table cell is one line),
  with no element the plain plan lacks; bare URLs are escaped (`http\\://`) so GitHub does
  not link them;
- csv: the names are note rows `Patient: …` (so a formula prefix never starts a cell), RFC
  4180 quoting keeps commas, quotes and line breaks, and no cell anywhere starts with
  = + - @ tab or CR;
- ics: the calendar name parses back to the plan title with the name in it; RFC 5545 TEXT
  has no carriage return, so any line ending becomes "\\n"; lines are folded at 75 octets;
- fhir: the R4B models accept the bundle and the names come back exactly;
- pdf: no crash, at most three pages (as the plain label plan: the patient's two and the
  pharmacist's one); the name heads every page; on the pharmacist's page names longer
  than 120 characters are cut with "…" and a line "(truncated; full name in the HTML)",
  on the patient's pages with "…" alone (every page's header and the questions line cut
  it to one line); tabs print as spaces, line endings as line breaks, and right-to-left
  text (which fpdf2 lays out in typed order) carries a note pointing to the HTML on the
  pharmacist's page.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from fhir.resources.R4B.bundle import Bundle
from icalendar import Calendar
from markdown_it import MarkdownIt

from conftest import run
from test_fhir import lint

BASE = ["plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "--printed-on", "2026-11-26"]
PLAIN = "Example Patient"
FSI, PDI = "\u2068", "\u2069"

# id → (value, its escaped form in the Markdown source)
HOSTILE: dict[str, tuple[str, str]] = {
    "html-script": ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
    "html-attribute": ('"><img src=x onerror=alert(1)>', r'"\>\<img src=x onerror=alert(1)\>'),
    "md-inline": ("**x** | a | [l](http://x)", r"\*\*x\*\* \| a \| \[l\](http\://x)"),
    "md-heading": ("# Heading", r"\# Heading"),
    "csv-equals": ('=HYPERLINK("http://x.invalid","y")', '=HYPERLINK("http\\://x.invalid","y")'),
    "csv-plus": ("+1+1", "+1+1"),
    "csv-minus": ("-2+3", "-2+3"),
    "csv-at": ("@SUM(A1:A2)", "@SUM(A1:A2)"),
    "csv-tab": ("\t=1+1", "=1+1"),
    "comma-quote": ('Doe, Jane "quoted"; a\\b', r'Doe, Jane "quoted"; a\\b'),
    "rtl-isolated": ("\u2067\u202eevil\u202c\u2069 مريض", "\u2067\u202eevil\u202c\u2069 مريض"),
    "zero-width": ("Ja\u200bne\u200d", "Ja\u200bne\u200d"),
    "long": ("x" * 10_000, "x" * 10_000),
}
FORMATS = ["html", "md", "csv", "ics", "fhir", "pdf"]
CASES = [
    pytest.param(key, fmt, id=f"{key}-{fmt}") for key in HOSTILE for fmt in FORMATS
]  # fmt: skip


def render(name: str, fmt: str) -> bytes:
    result = run(
        *BASE, f"--patient={name}", f"--prescriber={name}", f"--pharmacy={name}", "-f", fmt
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout_bytes


def title(name: str) -> str:
    return f"Baclofen (oral) titration for {name}, starting 2026-12-01"


def collapsed(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------
# Readers


class Page(HTMLParser):
    """Elements, attributes and each run of text with the elements it sits in."""

    VOID = frozenset({"meta", "col", "br", "img", "input", "link", "hr"})

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.stack: list[str] = []
        self.texts: list[tuple[str, tuple[str, ...]]] = []
        self.rows: list[list[str]] = []  # each table row's cell texts
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append("")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.texts.append((data, tuple(self.stack)))
        if self.rows and self.rows[-1] and ("td" in self.stack or "th" in self.stack):
            self.rows[-1][-1] += data

    def inside(self, tag: str) -> list[str]:
        return [text for text, stack in self.texts if stack and stack[-1] == tag]

    def cells(self) -> dict[str, str]:
        """Two-column table rows, label → value (the Markdown header table)."""
        return {row[0]: row[1] for row in self.rows if len(row) == 2}


def ics_unescape(value: str) -> str:
    escapes = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\"}
    return re.sub(r"\\([nN,;\\])", lambda match: escapes[match.group(1)], value)


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))


# --------------------------------------------------------------------------------------
# What each format must show


def check_html(value: str, data: bytes) -> None:
    markup = data.decode("utf-8")
    page, plain = Page(markup), Page(render(PLAIN, "html").decode("utf-8"))
    assert page.tags == plain.tags  # nothing injected: no <script>, <img>, <a> …
    assert page.attributes == plain.attributes  # … and no onerror=
    assert "<bdi>" in markup
    # the patient's h1 and "ask your pharmacist … or your prescriber" line, the
    # pharmacist's h1 and its patient, prescriber and pharmacy fields
    assert page.inside("bdi").count(value) == 7
    assert page.inside("bdi").count(PLAIN) == 0
    assert page.inside("title") == [title(f"{FSI}{value}{PDI}")]
    # the name never appears in text that is not isolated
    for text, stack in page.texts:
        if value in text:
            assert stack[-1] in ("bdi", "title"), (text[:80], stack)


def check_md(value: str, escaped: str, data: bytes) -> None:
    text = data.decode("utf-8")
    lines = text.splitlines()
    assert f"# Baclofen (oral): Titration for {escaped}" == lines[0]
    for label in ("Patient", "Prescriber", "Pharmacy"):
        assert f"| **{label}** | {escaped} |" in lines
    renderer = MarkdownIt("commonmark").enable("table")
    page = Page(renderer.render(text))
    plain = Page(renderer.render(render(PLAIN, "md").decode("utf-8")))
    assert page.tags == plain.tags and page.attributes == plain.attributes
    assert page.inside("h1") == [f"Baclofen (oral): Titration for {collapsed(value)}"]
    cells = page.cells()
    for label in ("Patient", "Prescriber", "Pharmacy"):
        assert cells[label] == collapsed(value)


def check_csv(value: str, data: bytes) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0][:5] == ["date", "time", "day", "step", "dose_mg"]
    assert all(len(row) == 9 for row in rows)
    assert len([row for row in rows[1:] if row[2]]) == 36  # the doses are all there
    notes = [row[8] for row in rows[1:] if not row[2]]
    for label in ("Patient", "Prescriber", "Pharmacy"):
        assert f"{label}: {value}" in notes  # exactly as typed, CR LF and all
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell[:40]


def check_ics(value: str, data: bytes) -> None:
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    # 36 doses and the all-day "then" event the day after
    assert len(events) == 37 and not any(event.errors for event in events)
    name = value.replace("\r\n", "\n").replace("\r", "\n")
    raw = data.decode("utf-8").replace("\r\n ", "")
    (line,) = [item for item in raw.split("\r\n") if item.startswith("X-WR-CALNAME:")]
    assert ics_unescape(line.removeprefix("X-WR-CALNAME:")) == title(name)
    (line,) = [item for item in raw.split("\r\n") if item.startswith("X-WR-CALDESC:")]
    assert ics_unescape(line.removeprefix("X-WR-CALDESC:")).startswith(title(name) + "\n")


def check_fhir(value: str, data: bytes) -> None:
    document = json.loads(data)
    Bundle.model_validate(document)
    assert lint(document) == []
    resources = {
        entry["resource"]["resourceType"]: entry["resource"] for entry in document["entry"]
    }
    assert resources["Patient"]["name"] == [{"text": value}]
    request = resources["MedicationRequest"]
    assert request["requester"] == {"display": value}
    assert request["dispenseRequest"]["performer"] == {"display": value}


TRUNCATED = "(truncated; full name in the HTML)"
RTL_NOTE = "right-to-left text is shown here in the order it was typed"


def check_pdf(key: str, value: str, data: bytes) -> None:
    assert data.startswith(b"%PDF-")
    # the patient's two pages and the pharmacist's one, as the plain 12-day plan
    assert pdf_pages(data) <= 3
    text = pdf_text(data)
    flat = collapsed(text)
    pages = [collapsed(page) for page in text.split("\f") if page.strip()]
    assert len(pages) == pdf_pages(data)
    if key == "long":
        # Every page's header cuts the name to one line with "…"; the patient's title cuts
        # it at 120 characters, the "ask your pharmacist" line cuts pharmacy and prescriber
        # to a line; the pharmacist's title and its three fields cut at 120 and say so.
        assert all(page.startswith("Name: xxxxxxxxxx") for page in pages)
        assert flat.count("x…") == len(pages) + 1 + 2 + 4
        assert flat.count(TRUNCATED) == 4
        compact = "".join(text.split())
        assert compact.count("x" * 120 + "…" + TRUNCATED.replace(" ", "")) == 4
        assert "x" * 121 not in compact.replace("…", " ")
    elif key == "rtl-isolated":
        assert "evil" in flat
        # beside the pharmacist's patient, prescriber and pharmacy fields (the note points
        # to the HTML: it is for the pharmacist, not on the patient's pages)
        assert flat.count(RTL_NOTE) == 3
        assert RTL_NOTE not in " ".join(pages[:-1])
    else:
        shown = collapsed(value.replace("\t", " "))
        assert all(page.startswith(f"Name: {shown}") for page in pages)
        assert f"Your baclofen schedule: {shown}" in pages[0]
        assert f"Ask your pharmacist at {shown}, or your prescriber, {shown}." in flat
        assert f"For the pharmacist: {title(shown)}" in pages[-1]
        # each page's header, the patient's title and questions, the pharmacist's title
        # and three fields
        assert flat.count(shown) >= len(pages) + 3 + 4
        assert "cannot be shown" not in flat


@pytest.mark.parametrize(("key", "fmt"), CASES)
def test_hostile_names_in_every_format(key: str, fmt: str) -> None:
    value, escaped = HOSTILE[key]
    data = render(value, fmt)
    if fmt == "html":
        check_html(value, data)
    elif fmt == "md":
        check_md(value, escaped, data)
    elif fmt == "csv":
        check_csv(value, data)
    elif fmt == "ics":
        check_ics(value, data)
    elif fmt == "fhir":
        check_fhir(value, data)
    else:
        check_pdf(key, value, data)
