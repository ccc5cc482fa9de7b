"""Print the HTML with headless Chromium, as a pharmacist's browser would, and count the
pages: the 12-day label plan fits on at most two pages of A4 and of US Letter, and so
does the 100 mg/day plan with its warning box. Skipped where Chromium or poppler's
pdfinfo/pdftotext are not installed (Debian: apt-get install chromium poppler-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None,
    reason="needs chromium and poppler-utils",
)

LABEL = [
    "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London",
    "--patient", "Example Patient", "--printed-on", "2026-11-26",
]  # fmt: skip
OVER_MAX = [*LABEL, "--steps", "20x4:3,25x4:3"]


def print_to_pdf(html_file: Path, tmp_path: Path) -> Path:
    assert CHROMIUM is not None
    pdf = html_file.with_suffix(".pdf")
    profile = tmp_path / f"profile-{html_file.stem}"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf}", html_file.as_uri(),
    ]  # fmt: skip
    subprocess.run(
        command,
        capture_output=True,
        check=True,
        timeout=180,
    )
    return pdf


def pdf_info(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+(.*)$", info.stdout, re.M).group(1)  # type: ignore[union-attr]
    return pages, size


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def page_texts(pdf: Path) -> list[str]:
    pages, _ = pdf_info(pdf)
    return [
        " ".join(  # the name's Unicode isolates are invisible; the words are what is read
            subprocess.run(
                ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.replace("\u2068", "")
            .replace("\u2069", "")
            .split()
        )
        for page in range(1, pages + 1)
    ]


def word_heights(pdf: Path, page: int) -> dict[str, list[float]]:
    """Each word's box height in points on one page (pdftotext -bbox)."""
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    heights: dict[str, list[float]] = {}
    for match in re.finditer(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
        done.stdout,
    ):
        y_min, y_max, word = float(match.group(1)), float(match.group(2)), match.group(3)
        heights.setdefault(word, []).append(y_max - y_min)
    return heights


PAPERS = [("a4", "A4"), ("letter", "letter")]


@pytest.mark.parametrize(("paper", "expected_size"), PAPERS)
@pytest.mark.parametrize("args", [LABEL, OVER_MAX], ids=["label", "over-max"])
def test_the_patients_pages_fit_two_pages_and_the_pharmacists_one(
    tmp_path: Path, args: list[str], paper: str, expected_size: str
) -> None:
    html_file = tmp_path / f"plan-{paper}.html"
    result = run(*args, "--paper", paper, "-o", str(html_file))
    assert result.exit_code in (0, 1), result.stderr
    pages, size = pdf_info(print_to_pdf(html_file, tmp_path))
    assert expected_size in size
    assert pages <= 3  # the patient's two pages and the pharmacist's one
    patient_only = tmp_path / f"patient-{paper}.html"
    run(*args, "--paper", paper, "--sheet", "patient", "-o", str(patient_only))
    assert pdf_info(print_to_pdf(patient_only, tmp_path))[0] <= 2


@pytest.mark.parametrize(("paper", "expected_size"), PAPERS)
def test_every_page_carries_the_name_and_an_over_limit_plan_the_banner(
    tmp_path: Path, paper: str, expected_size: str
) -> None:
    html_file = tmp_path / "over.html"
    run(*OVER_MAX, "--paper", paper, "-o", str(html_file))
    texts = page_texts(print_to_pdf(html_file, tmp_path))
    assert len(texts) >= 2
    banner = "DO NOT USE THIS SCHEDULE AS WRITTEN: it goes over a limit. Ask your pharmacist."
    for number, text in enumerate(texts, start=1):
        assert "Name: Example Patient" in text, number
        assert "Baclofen (oral) · Tue 1 Dec – Sun 6 Dec 2026" in text, number
        assert banner in text, number
    label = tmp_path / "label.html"
    run(*LABEL, "--paper", paper, "-o", str(label))
    for text in page_texts(print_to_pdf(label, tmp_path)):
        assert "Name: Example Patient" in text and "DO NOT USE" not in text


def test_schedule_text_is_at_least_12_points(tmp_path: Path) -> None:
    html_file = tmp_path / "label.html"
    run(*LABEL, "--paper", "a4", "-o", str(html_file))
    heights = word_heights(print_to_pdf(html_file, tmp_path), 1)
    # the amounts in the grid, the dose-time headings and the step banners
    for word in ("tablets", "tablet", "Morning", "Midday", "Evening", "08:00", "Days"):
        assert word in heights, word
        # a word's box is 1.053 times its font size in DejaVu Sans: 12 pt is 12.64 pt tall
        assert min(heights[word]) >= 12.6, (word, min(heights[word]))


def test_the_patients_pages_hold_no_flag_and_only_the_sources_they_cite(tmp_path: Path) -> None:
    html_file = tmp_path / "label.html"
    run(*LABEL, "--paper", "a4", "--sheet", "patient", "-o", str(html_file))
    text = " ".join(page_texts(print_to_pdf(html_file, tmp_path)))
    assert not re.search(r"(?<![\w-])--[a-z]", text)  # no command-line flag
    assert "titrate " not in text and "convention" not in text.lower()
    cited = set(re.findall(r"\[([A-Z][A-Z0-9-]*)\]", text))
    assert {"B1", "MP", "PH", "FDA-DISPOSAL"} <= cited
    # product NDC queries and the brands' pages are for the pharmacist, not cited here
    assert not cited & {"O5", "F6", "Y5", "O3"}
    assert "Then: From Sun 13 Dec: keep taking 2 tablets (20 mg) 3 times a day" in text


def test_printed_html_without_paper_option_fits_the_browser_default(tmp_path: Path) -> None:
    html_file = tmp_path / "plan.html"
    run(*LABEL, "-o", str(html_file))
    pages, _ = pdf_info(print_to_pdf(html_file, tmp_path))
    assert pages <= 3


def test_printed_over_max_plan_shows_the_warning_in_words(tmp_path: Path) -> None:
    html_file = tmp_path / "over.html"
    run(*OVER_MAX, "--paper", "a4", "-o", str(html_file))
    text = pdf_text(print_to_pdf(html_file, tmp_path))
    assert "DO NOT USE AS WRITTEN" in text  # the pharmacist's box
    assert "ERROR over-daily-max: Days 4–6" in text  # beside day 4 on the patient's grid
    assert (
        "ERROR over-daily-max (TT101): Days 4–6 (2026-12-04 to 2026-12-06): 100 mg in the day"
        in text
    )
    assert "Page 1 of 3" in text  # the @page footer counts pages


def test_printed_dantrolene_plan_shows_boxed_warning_and_review_date(tmp_path: Path) -> None:
    html_file = tmp_path / "dantrolene.html"
    args = ["plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC", "--paper", "a4"]
    assert run(*args, "-o", str(html_file)).exit_code == 0
    text = pdf_text(print_to_pdf(html_file, tmp_path))
    assert "Dantrolene can cause serious, sometimes fatal, liver injury" in text
    assert "⚑ See your prescriber by Thu 14 Jan 2027" in text
    assert "⚑ Thu 14 Jan 2027: see your prescriber." in text
    assert text.index("Important warning") < text.index("Days 1–7") < text.index("⚑ Thu 14 Jan")
