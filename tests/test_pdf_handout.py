"""The PDF handout as a patient and a pharmacist holding the printed pages see it (issue 14):
read back with poppler's pdftotext (words and their boxes), pdfinfo and pdffonts, checked
with qpdf, and the drawn tick boxes measured in the page content. Mirrors
test_print_chromium.py, which measures the HTML handout printed by a browser. Skipped where
poppler-utils is not installed (Debian: apt-get install poppler-utils qpdf)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="needs poppler-utils (pdftotext, pdfinfo)",
)

LABEL = [
    "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London",
    "--patient", "Example Patient", "--printed-on", "2026-11-26",
]  # fmt: skip
OVER_MAX = [*LABEL, "--steps", "20x4:3,25x4:3"]
TAPER = [
    "taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3", "--start", "2026-12-20",
    "--tz", "Europe/London", "--patient", "Example Patient",
]  # fmt: skip
SUSPENSION = [*LABEL, "--product", "suspension"]
PHARMACY = ["--pharmacy", "High St Pharmacy", "--pharmacy-phone", "020 7946 0000"]
BANNER = "DO NOT USE THIS SCHEDULE AS WRITTEN: it goes over a limit. Ask your pharmacist."
PAPERS = [("a4", "A4"), ("letter", "letter")]
# poppler's box around a word set in DejaVu Sans is the font's ascent + descent
# (928 + 236 per 1000): a word set at 12 pt is 13.97 pt tall, at 7.5 pt 8.73 pt.
EM_BOX = 1.164
MM = 72 / 25.4  # points per millimetre


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """The PDF the CLI writes for `args` (made once per set of arguments)."""
    folder = tmp_path_factory.mktemp("pdf")
    made: dict[tuple[str, ...], Path] = {}

    def make(*args: str) -> Path:
        if args not in made:
            path = folder / f"plan-{len(made)}.pdf"
            result = run(*args, "-o", str(path))
            assert result.exit_code in (0, 1), result.stderr
            made[args] = path
        return made[args]

    return make


def pages_of(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


def paper_of(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return re.search(r"^Page size:\s+(.*)$", info.stdout, re.M).group(1)  # type: ignore[union-attr]


def page_texts(pdf: Path) -> list[str]:
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = done.stdout.split("\f")[: pages_of(pdf)]
    return [" ".join(page.split()) for page in pages]


Word = tuple[float, float, float, float, str]  # xMin, yMin, xMax, yMax (points), text


def words(pdf: Path, page: int) -> list[Word]:
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    pattern = (
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        (float(x0), float(y0), float(x1), float(y1), text)
        for x0, y0, x1, y1, text in re.findall(pattern, done.stdout)
    ]


def heights(pdf: Path, page: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for _, y_min, _, y_max, text in words(pdf, page):
        found.setdefault(text, []).append(y_max - y_min)
    return found


def squares(pdf: Path) -> list[float]:
    """The side, in mm, of every square drawn in the pages' content (the tick boxes)."""
    data = pdf.read_bytes()
    sides = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        if not content.isascii():  # a font, not a page
            continue
        for width, height in re.findall(rb"[\d.]+ [\d.]+ ([\d.]+) (-?[\d.]+) re", content):
            if abs(float(width) + float(height)) < 0.01:  # fpdf2 draws downwards: h = -w
                sides.append(float(width) / MM)
    return sides


# --------------------------------------------------------------------------------------
# Every page: the name, the dates, and an over-limit plan's banner


@pytest.mark.parametrize(("paper", "size"), PAPERS)
def test_every_page_carries_the_name_the_dates_and_an_over_limit_plans_banner(
    pdf_file: Callable[..., Path], paper: str, size: str
) -> None:
    over = pdf_file(*OVER_MAX, "--paper", paper)
    assert size in paper_of(over)
    texts = page_texts(over)
    assert len(texts) == 3  # the patient's two pages and the pharmacist's one
    for number, text in enumerate(texts, start=1):
        assert text.startswith("Name: Example Patient"), number
        assert "Baclofen (oral) · Tue 1 Dec – Sun 6 Dec 2026" in text, number
        assert BANNER in text, number  # in the footer, whatever the page holds
        assert f"Page {number} of 3" in text
    label = page_texts(pdf_file(*LABEL, "--paper", paper))
    assert len(label) <= 3
    for text in label:
        assert text.startswith("Name: Example Patient Baclofen (oral) · Tue 1 Dec – Sat 12 Dec")
        assert "DO NOT USE" not in text


@pytest.mark.parametrize(("paper", "_size"), PAPERS)
@pytest.mark.parametrize(
    "args", [LABEL, OVER_MAX, [*LABEL, *PHARMACY]], ids=["label", "over-max", "with-pharmacy"]
)
def test_the_patients_pages_fit_two_pages_and_the_pharmacists_one(
    pdf_file: Callable[..., Path], args: list[str], paper: str, _size: str
) -> None:
    both = pdf_file(*args, "--paper", paper)
    patient = pdf_file(*args, "--paper", paper, "--sheet", "patient")
    pharmacist = pdf_file(*args, "--paper", paper, "--sheet", "pharmacist")
    assert pages_of(patient) == 2
    assert pages_of(pharmacist) == 1
    assert pages_of(both) == 3


def test_a_taper_and_a_suspension_fit_three_pages_and_say_how_they_end(
    pdf_file: Callable[..., Path],
) -> None:
    taper = pdf_file(*TAPER)
    assert pages_of(taper) == 3
    text = " ".join(page_texts(taper))
    assert "Then: After the 20:00 dose on Mon 28 Dec, stop. Do not restart without your" in text
    assert "Days 1–3: 1½ tablets (15 mg) 3 times a day" in text
    assert "Days 7–9: ½ tablet (5 mg) 3 times a day" in text
    suspension = pdf_file(*SUSPENSION)
    assert pages_of(suspension) == 3
    text = " ".join(page_texts(suspension))
    assert "Days 7–9: 3 mL (15 mg) 3 times a day" in text
    assert "Then: From Sun 13 Dec: keep taking 4 mL (20 mg) 3 times a day until your" in text
    assert "Shake well before each dose." in text  # how to take it, for the patient


# --------------------------------------------------------------------------------------
# Sizes a patient with spasticity can read and tick


def test_the_grid_and_the_advice_measure_at_least_12_points(pdf_file: Callable[..., Path]) -> None:
    label = pdf_file(*LABEL, *PHARMACY, "--sheet", "patient")
    first, second = heights(label, 1), heights(label, 2)
    both = {word: first.get(word, []) + second.get(word, []) for word in {*first, *second}}
    twelve = 12 * EM_BOX - 0.01
    # the page header, the dose times and their clock, the step captions, the amounts,
    # the days and dates, the ending
    for word in ("Name:", "Morning", "Midday", "Evening", "08:00", "20:00", "Days", "tablets"):
        assert word in first, word
        assert min(first[word]) >= twelve, (word, min(first[word]))
    for word in ("tablet", "(5", "mg)", "Day", "Dec", "Then:", "prescriber"):
        assert min(first[word]) >= twelve, (word, min(first[word]))
    # the advice, who to call and the disclaimer
    for word in ("missed", "suddenly", "collapsed,", "take-back", "Ask", "7946", "replace,"):
        assert word in both, word
        assert min(both[word]) >= twelve, (word, min(both[word]))
    # the measure tells sizes apart: the source list is set smaller (not critical text)
    assert max(both["[B1]"]) < 9


def test_over_limit_findings_measure_at_least_12_points(pdf_file: Callable[..., Path]) -> None:
    found = heights(pdf_file(*OVER_MAX), 1)
    for word in ("ERROR", "WARNING", "over-daily-max:", "maximum.", "DO", "USE", "2½"):
        assert word in found, word
        assert min(found[word]) >= 12 * EM_BOX - 0.01, (word, min(found[word]))


def test_a_tick_box_of_at_least_5_mm_for_every_dose(pdf_file: Callable[..., Path]) -> None:
    for args, doses in ((LABEL, 36), (OVER_MAX, 24)):
        sides = squares(pdf_file(*args, "--sheet", "patient"))
        assert len(sides) == doses, args
        assert min(sides) >= 5.0
    # the pharmacist's dispensing ticks are smaller (4 mm), on the pharmacist's page only:
    # one per step and one for the whole course
    assert squares(pdf_file(*LABEL, "--sheet", "pharmacist")) == [pytest.approx(4, abs=0.01)] * 5
    # a taper (which prints both sheets): 27 doses to tick, 3 steps and the course dispensed
    sides = squares(pdf_file(*TAPER))
    assert len([side for side in sides if side >= 5.0]) == 27
    assert len(sides) == 27 + 4


# --------------------------------------------------------------------------------------
# What the patient's pages say, and what they leave to the pharmacist


def test_the_patients_pages_say_what_to_take_when_and_how_it_ends(
    pdf_file: Callable[..., Path],
) -> None:
    text = " ".join(page_texts(pdf_file(*LABEL, *PHARMACY, "--sheet", "patient")))
    assert "Your baclofen schedule: Example Patient" in text
    assert "times are Europe/London local time" in text
    assert "Morning 08:00 Midday 14:00 Evening 20:00" in text
    assert "Days 7–9: 1½ tablets (15 mg) 3 times a day" in text
    assert "1½ tablets (15 mg)" in text
    assert (
        "Then: From Sun 13 Dec: keep taking 2 tablets (20 mg) 3 times a day until your "
        "prescriber changes it." in text
    )
    assert "call Poison Help at 1-800-222-1222" in text
    assert "take-back programme" in text and "Do not flush it down the toilet." in text
    assert "Ask your pharmacist at High St Pharmacy: call 020 7946 0000, or your prescriber." in (
        text
    )
    assert "This schedule supports, and does not replace, the prescriber's instructions." in text


@pytest.mark.parametrize("args", [LABEL, OVER_MAX], ids=["label", "over-max"])
def test_the_patients_pages_hold_no_flag_code_convention_or_uncited_source(
    pdf_file: Callable[..., Path], args: list[str]
) -> None:
    text = " ".join(page_texts(pdf_file(*args, "--sheet", "patient")))
    assert not re.search(r"(?<![\w-])--[a-z]", text)  # no command-line flag
    assert "titrate " not in text and "convention" not in text.lower()
    assert not re.search(r"\bTT\d{3}\b", text)  # no rule codes
    assert "NDC" not in text and "Dispensing" not in text
    cited = set(re.findall(r"\[([A-Z][A-Z0-9-]*)\]", text))
    assert {"B1", "MP", "PH", "FDA-DISPOSAL"} <= cited
    # product NDC queries and the other brands' pages are not cited by a tablet plan
    assert not cited & {"O5", "F6", "Y5", "O3"}
    # exactly the sources the HTML handout's patient pages list, each once
    sources = text.split("Where this comes from")[1].split("This schedule supports")[0]
    listed = re.findall(r"\[([A-Z][A-Z0-9-]*)\] ", sources)
    page = run(*args, "--sheet", "patient", "-f", "html").stdout
    html_sources = page.split('id="patient-sources"')[1].split("</section>")[0]
    assert listed == re.findall(r"<li>\[([A-Z][A-Z0-9-]*)\] ", html_sources)
    assert len(listed) == len(set(listed)) == len(cited)


def test_findings_sit_beside_their_day_on_the_patients_grid(pdf_file: Callable[..., Path]) -> None:
    over = pdf_file(*OVER_MAX)
    found = words(over, 1)

    def top_of(text: str) -> float:
        return next(word[1] for word in found if word[4] == text)

    # day 4 (Fri 4 Dec) is the first day over the limit: its findings follow it, before day 5
    assert top_of("Fri") < top_of("over-daily-max:") < top_of("Sat")
    assert top_of("Fri") < top_of("over-single-dose:") < top_of("Sat")
    assert top_of("Tue") < top_of("escalation-too-fast:") < top_of("Wed")
    text = page_texts(over)[0]
    assert "ERROR over-daily-max: Days 4–6 (2026-12-04 to 2026-12-06): 100 mg in the day" in text
    assert "⚠ Day 4" in text and "⚠ Day 5" not in text


def test_the_pharmacists_page_has_codes_dispensing_conventions_and_cited_sources(
    pdf_file: Callable[..., Path],
) -> None:
    (text,) = page_texts(pdf_file(*OVER_MAX, "--sheet", "pharmacist"))
    assert text.startswith("Name: Example Patient")
    assert "For the pharmacist: Baclofen (oral) custom schedule for Example Patient" in text
    assert "⚠ DO NOT USE AS WRITTEN: 3 findings against the regimen's rules" in text
    assert "ERROR over-daily-max (TT101): Days 4–6 (2026-12-04 to 2026-12-06)" in text
    assert "Dispensing summary" in text and "Notes and conventions" in text
    everything = len(
        json.loads(run(*OVER_MAX, "-f", "json", "--fail-on", "never").stdout)["sources"]
    )
    assert f"Sources this plan cites (12 of the regimen's {everything}; the JSON lists all)" in text
    assert "When to take it" not in text and "Good to know" not in text
    both = page_texts(pdf_file(*OVER_MAX))
    assert "For the pharmacist" in both[2] and "For the pharmacist" not in " ".join(both[:2])


# --------------------------------------------------------------------------------------
# A file that any reader opens, on any machine


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="needs qpdf")
@pytest.mark.parametrize(
    "args",
    [LABEL, OVER_MAX, TAPER, SUSPENSION, [*LABEL, "--paper", "letter"]],
    ids=["label", "over-max", "taper", "suspension", "letter"],
)
def test_qpdf_finds_no_fault(pdf_file: Callable[..., Path], args: list[str]) -> None:
    done = subprocess.run(["qpdf", "--check", str(pdf_file(*args))], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs pdffonts (poppler-utils)")
def test_the_bundled_font_is_embedded(pdf_file: Callable[..., Path]) -> None:
    # Text is set in the DejaVu Sans shipped with titrate (½, ×, ⚠ and any Latin, Greek or
    # Cyrillic name), embedded: the page prints the same where no font is installed.
    done = subprocess.run(
        ["pdffonts", str(pdf_file(*LABEL))], capture_output=True, text=True, check=True
    )
    fonts = done.stdout.splitlines()[2:]
    assert len(fonts) == 2
    for line in fonts:
        assert re.match(r"[A-Z]{6}\+DejaVuSans(Book|Bold)\s+CID TrueType\s+Identity-H\s+yes", line)


def test_the_same_plan_gives_the_same_bytes_whenever_it_is_printed(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert run(*OVER_MAX, "-o", str(first)).exit_code == 1
    assert run(*OVER_MAX, "-o", str(second)).exit_code == 1
    assert first.read_bytes() == second.read_bytes()
    info = subprocess.run(["pdfinfo", str(first)], capture_output=True, text=True, check=True)
    assert re.search(r"^CreationDate:\s+Tue Dec  1 00:00:00 2026", info.stdout, re.M), info.stdout
