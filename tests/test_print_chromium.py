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


@pytest.mark.parametrize(("paper", "expected_size"), [("a4", "A4"), ("letter", "letter")])
@pytest.mark.parametrize("args", [LABEL, OVER_MAX], ids=["label", "over-max"])
def test_printed_html_fits_two_pages(
    tmp_path: Path, args: list[str], paper: str, expected_size: str
) -> None:
    html_file = tmp_path / f"plan-{paper}.html"
    result = run(*args, "--paper", paper, "-o", str(html_file))
    assert result.exit_code in (0, 1), result.stderr
    pages, size = pdf_info(print_to_pdf(html_file, tmp_path))
    assert expected_size in size
    assert pages <= 2


def test_printed_html_without_paper_option_fits_the_browser_default(tmp_path: Path) -> None:
    html_file = tmp_path / "plan.html"
    run(*LABEL, "-o", str(html_file))
    pages, _ = pdf_info(print_to_pdf(html_file, tmp_path))
    assert pages <= 2


def test_printed_over_max_plan_shows_the_warning_in_words(tmp_path: Path) -> None:
    html_file = tmp_path / "over.html"
    run(*OVER_MAX, "--paper", "a4", "-o", str(html_file))
    text = pdf_text(print_to_pdf(html_file, tmp_path))
    assert "DO NOT USE AS WRITTEN" in text
    # beside day 4 (text extraction interleaves table cells, so only its start is whole)
    assert "ERROR over-daily-max: Days 4–6" in text
    assert (
        "ERROR over-daily-max (TT101): Days 4–6 (2026-12-04 to 2026-12-06): 100 mg in the day"
        in text
    )
    assert "Page 1 of 2" in text  # the @page footer counts pages


def test_printed_dantrolene_plan_shows_boxed_warning_and_review_date(tmp_path: Path) -> None:
    html_file = tmp_path / "dantrolene.html"
    args = ["plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC", "--paper", "a4"]
    assert run(*args, "-o", str(html_file)).exit_code == 0
    text = pdf_text(print_to_pdf(html_file, tmp_path))
    assert "⚠ BOXED WARNING Dantrolene can cause serious, sometimes fatal, liver injury" in text
    assert "⚑ REVIEW BY Thu 14 Jan 2027 (day 45), after the last day of this plan" in text
    assert "⚑ Day 45 · Thu 14 Jan 2027: REVIEW BY THIS DATE" in text
    assert text.index("BOXED WARNING") < text.index("Step 1 ·") < text.index("⚑ Day 45")
