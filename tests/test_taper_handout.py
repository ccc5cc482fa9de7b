"""A taper's printed handout carries what `plan`'s does (issue 14): the pharmacy's phone
where the patient looks for help, the prescriber and pharmacy, the date printed, and
`--sheet patient` / `--sheet pharmacist` to print one audience's pages, with the same
options as `plan` (one definition, cli/options.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run

TAPER = ("taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3", "--start",
         "2026-12-20", "--tz", "Europe/London", "--patient", "Example Patient")  # fmt: skip
WHO = ("--pharmacy", "High St Pharmacy", "--pharmacy-phone", "020 7946 0000",
       "--prescriber", "Dr A. Prescriber", "--printed-on", "2026-12-18")  # fmt: skip
PHARMACIST_TITLE = "For the pharmacist: "


def html(*args: str) -> str:
    result = run(*TAPER, *WHO, *args, "-f", "html")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_taper_handout_carries_the_pharmacy_phone_prescriber_and_print_date() -> None:
    page = html()
    assert (
        'Ask your pharmacist at <bdi>High St Pharmacy</bdi>: call <bdi class="phone">'
        "020 7946 0000</bdi>, or your prescriber, <bdi>Dr A. Prescriber</bdi>." in page
    )
    assert "2026-12-18" in page or "18 Dec 2026" in page
    assert PHARMACIST_TITLE in page  # both sheets by default


def test_sheet_patient_leaves_out_the_pharmacists_page_and_sheet_pharmacist_keeps_only_it() -> None:
    patient = html("--sheet", "patient")
    assert PHARMACIST_TITLE not in patient and 'class="pharmacist"' not in patient
    assert "020 7946 0000" in patient
    pharmacist = html("--sheet", "pharmacist")
    assert PHARMACIST_TITLE in pharmacist and 'id="patient-sources"' not in pharmacist


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_taper_pdf_for_the_patient_has_the_phone_and_no_pharmacists_page(
    tmp_path: Path,
) -> None:
    texts = {}
    for sheet in ("both", "patient"):
        path = tmp_path / f"taper-{sheet}.pdf"
        made = run(*TAPER, *WHO, "--sheet", sheet, "-o", str(path))
        assert made.exit_code == 0, made.stderr
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
        texts[sheet] = [" ".join(page.split()) for page in out.stdout.split("\f") if page.strip()]
    assert any(PHARMACIST_TITLE in page for page in texts["both"])
    assert not any(PHARMACIST_TITLE in page for page in texts["patient"])
    assert len(texts["patient"]) == len(texts["both"]) - 1  # the pharmacist's page, no more
    assert "020 7946 0000" in " ".join(texts["patient"])


def test_taper_help_lists_every_format_and_the_printing_options() -> None:
    out = run("taper", "--help", env={"COLUMNS": "200"}).stdout
    help_text = re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", out))
    assert "table or json" not in help_text
    assert "table, json, html, pdf" in help_text
    for flag in ("--sheet", "--pharmacy-phone", "--prescriber", "--pharmacy", "--printed-on"):
        assert flag in help_text


def test_a_bad_sheet_is_one_clear_error() -> None:
    result = run(*TAPER, "--sheet", "nurse", "-f", "html")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "sheet" in result.stderr
