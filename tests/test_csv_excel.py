"""`--excel`: CSV that Excel and LibreOffice open as UTF-8 (a byte order mark first),
with the same rows and CRLF line ends as the plain CSV, which stays as it was.

Read back with Python's csv module (utf-8-sig, as a spreadsheet strips the mark) and,
where LibreOffice is installed (`apt-get install libreoffice-calc-nogui`), converted to
xlsx by LibreOffice and read cell by cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import GOLDEN, run
from titrate.render.csv import COLUMNS, FINDING_COLUMNS

LABEL = [
    "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London",
    "--patient", "Example Patient", "--printed-on", "2026-11-26",
]  # fmt: skip
OVER_MAX = [*LABEL, "--steps", "20x4:3,25x4:3"]
TAPER = ["taper", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "--from-mg", "20"]
BOM = codecs.BOM_UTF8


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("golden_name", ["label_plan.csv", "over_max_plan.csv"])
def test_excel_csv_is_the_plain_csv_after_a_byte_order_mark(
    golden_name: str, tmp_path: Path
) -> None:
    argv = LABEL if golden_name == "label_plan.csv" else OVER_MAX
    plain = run(*argv, "-f", "csv")
    assert plain.stdout_bytes == (GOLDEN / golden_name).read_bytes()  # unchanged, no BOM
    assert not plain.stdout_bytes.startswith(BOM)
    excel = run(*argv, "-f", "csv", "--excel")
    assert excel.exit_code == plain.exit_code
    assert excel.stdout_bytes == BOM + plain.stdout_bytes
    written = tmp_path / "plan.csv"  # -o FILE.csv picks csv; the bytes are the same
    assert run(*argv, "-o", str(written), "--excel").exit_code == plain.exit_code
    assert written.read_bytes() == excel.stdout_bytes
    data = written.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")  # CRLF only


def test_excel_csv_reads_back_with_the_csv_module() -> None:
    data = run(*LABEL, "-f", "csv", "--excel").stdout_bytes
    table = rows(data)
    assert table[0] == list(COLUMNS)  # the mark is not part of the first header
    doses = [dict(zip(table[0], row, strict=True)) for row in table[1:] if row[2]]
    assert len(doses) == 36
    assert doses[0]["amount"] == "½ × 10 mg tablet"
    assert doses[20]["amount"] == "1½ × 10 mg tablet"
    # what a spreadsheet shows without the mark, reading its legacy code page
    assert "Â½ Ã—" in data[len(BOM) :].decode("cp1252", errors="replace")


def test_stdout_encoding_does_not_change_the_excel_bytes() -> None:
    plain = run(*LABEL, "-f", "csv", "--excel").stdout_bytes
    latin = run(*LABEL, "-f", "csv", "--excel", env={"PYTHONIOENCODING": "latin-1"})
    assert latin.stdout_bytes == plain


def test_findings_csv_for_excel_too(tmp_path: Path) -> None:
    findings = tmp_path / "findings.csv"
    result = run(*OVER_MAX, "-o", str(tmp_path / "plan.html"), "--findings-csv", str(findings),
                 "--excel")  # fmt: skip
    assert result.exit_code == 1, result.stderr
    data = findings.read_bytes()
    assert data.startswith(BOM)
    table = rows(data)
    assert table[0] == list(FINDING_COLUMNS)
    assert {row[1] for row in table[1:]} >= {"over-daily-max"}
    assert not (tmp_path / "plan.html").read_bytes().startswith(BOM)  # html is not csv


def test_taper_writes_excel_csv_too(tmp_path: Path) -> None:
    plain = run(*TAPER, "-f", "csv")
    excel = run(*TAPER, "-f", "csv", "--excel")
    assert plain.exit_code == excel.exit_code == 0
    assert excel.stdout_bytes == BOM + plain.stdout_bytes
    assert rows(excel.stdout_bytes)[0] == list(COLUMNS)


@pytest.mark.parametrize(
    "argv",
    [
        [*LABEL, "--excel"],
        [*LABEL, "--excel", "-f", "html"],
        [*LABEL, "--excel", "-o", "plan.json"],
        [*TAPER, "--excel"],
    ],
)
def test_excel_without_csv_is_one_line_and_exit_2(argv: list[str], tmp_path: Path) -> None:
    result = run(*[str(tmp_path / a) if a == "plan.json" else a for a in argv])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "titrate: error: --excel: applies to CSV output only: add -f csv or write to FILE.csv\n"
    )
    assert not (tmp_path / "plan.json").exists()


@pytest.mark.parametrize("command", ["plan", "taper"])
def test_help_names_excel(command: str) -> None:
    result = run(command, "--help", env={"COLUMNS": "200"})
    assert "--excel" in result.stdout
    assert "byte order mark" in result.stdout


# --------------------------------------------------------------------------------------
# LibreOffice reads it (converted to xlsx, read with zipfile)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def xlsx_cells(path: Path) -> dict[str, str]:
    """Cell reference → text of the first sheet (shared strings and inline numbers)."""
    with zipfile.ZipFile(path) as book:
        strings_xml = book.read("xl/sharedStrings.xml").decode("utf-8")
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    strings = [
        re.sub(r"<[^>]+>", "", item)
        for item in re.findall(r"<si>(.*?)</si>", strings_xml, flags=re.S)
    ]
    cells = {}
    for ref, attrs, value in re.findall(r'<c r="([A-Z]+\d+)"([^>]*)>.*?<v>(.*?)</v>', sheet):
        cells[ref] = strings[int(value)] if 't="s"' in attrs else value
    return {ref: text.replace("&amp;", "&") for ref, text in cells.items()}


@pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice (libreoffice-calc-nogui)")
def test_libreoffice_reads_the_excel_csv_as_utf8(tmp_path: Path) -> None:
    assert SOFFICE is not None
    source = tmp_path / "plan.csv"
    assert run(*LABEL, "-o", str(source), "--excel").exit_code == 0
    converted = subprocess.run(
        [
            SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
            "--infilter=Text - txt - csv (StarCalc):44,34,76,1",  # comma, quote, UTF-8
            "--convert-to", "xlsx", "--outdir", str(tmp_path / "out"), str(source),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    book = tmp_path / "out" / "plan.xlsx"
    assert book.is_file(), converted.stderr
    cells = xlsx_cells(book)
    assert cells["A1"] == "date"  # the byte order mark is not part of the cell
    assert cells["F1"] == "amount"
    assert cells["F2"] == "½ × 10 mg tablet"
    assert cells["F20"] == "1½ × 10 mg tablet"
    assert cells["A2"] == "46357"  # 2026-12-01, read as a date (a serial day number)
