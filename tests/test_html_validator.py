"""Every HTML output passes the Nu HTML Checker (vnu.jar, the W3C validator's engine):
no error and no warning (heading order, landmarks, `th scope`, the CSS in `<style>`).

All files go to one java call (~4-6 s). Skipped where java or vnu.jar is missing; install
them with `apt-get install default-jre-headless` and `npm install -g vnu-jar` (the CI
does), or point VNU_JAR at the jar.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run


def _vnu_jar() -> Path | None:
    if os.environ.get("VNU_JAR"):
        return Path(os.environ["VNU_JAR"])
    npm = shutil.which("npm")
    if npm is None:
        return None
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False)
    jar = Path(root.stdout.strip()) / "vnu-jar" / "build" / "dist" / "vnu.jar"
    return jar if root.returncode == 0 and jar.is_file() else None


JAVA = shutil.which("java")
JAR = _vnu_jar() if JAVA else None
pytestmark = pytest.mark.skipif(
    JAVA is None or JAR is None, reason="needs java and vnu.jar (npm install -g vnu-jar)"
)

B = ("baclofen", "--start", "2026-12-01", "--tz", "Europe/London", "--printed-on", "2026-11-26")
WHO = ("--patient", "Ann <Example> & Co", "--pharmacy-phone", "+1 555-0100")
OVER = ("--steps", "20x4:3,25x4:3")
TAPER = ("taper", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "--from-mg", "20",
         "--doses-per-day", "3")  # fmt: skip
DANTROLENE = ("plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC")
OUTPUTS = {
    "label": ("plan", *B),
    "label-patient-phone": ("plan", *B, *WHO),
    "label-patient-only": ("plan", *B, "--patient", "Ann Example"),
    "label-phone-only": ("plan", *B, "--pharmacy-phone", "0800 123 456"),
    "over-limit": ("plan", *B, *OVER),
    "over-limit-patient": ("plan", *B, *OVER, *WHO, "--prescriber", "Dr P", "--pharmacy", "Q"),
    "over-single-dose": ("plan", *B, "--steps", "5x3:3,10x3:3,60x1:3,10x3:3,5x3:3"),
    "stops": ("plan", *B, "--steps", "5x3:3,10x3:3", "--then", "stop", "--paper", "letter"),
    "taper": TAPER,
    "taper-patient": (*TAPER, "--patient", "Ann Example"),
    "dantrolene": DANTROLENE,
    "dantrolene-review-day": (*DANTROLENE, "--hold-days", "20", "--paper", "a4"),
    "suspension": ("plan", *B, "--product", "suspension"),
    "suspension-renal": ("plan", *B, "--product", "suspension", "--crcl", "40", "--renal-adjust"),
    "granules-not-measurable": ("plan", *B, "--product", "granules", "--steps", "7.5x3:1,5x3:1"),
    "sheet-patient": ("plan", *B, "--sheet", "patient"),
    "sheet-patient-who": ("plan", *B, *OVER, "--sheet", "patient", *WHO),
    "sheet-pharmacist": ("plan", *B, "--sheet", "pharmacist"),
    "sheet-pharmacist-who": ("plan", *B, *OVER, "--sheet", "pharmacist", *WHO),
}
# A page with two known faults, checked in the same call: proves the checker ran and
# reports warnings as well as errors.
BROKEN = (
    '<!DOCTYPE html><html lang="en"><head><title>x</title><style>p { colr: red }</style>'
    "</head><body><main><h1>x</h1><section><p>no heading</p></section></main></body></html>"
)


def test_every_html_output_passes_the_nu_html_checker(tmp_path: Path) -> None:
    assert JAVA is not None and JAR is not None
    files = []
    for name, argv in OUTPUTS.items():
        path = tmp_path / f"{name}.html"
        result = run(*argv, "-o", str(path))
        assert result.exit_code in (0, 1), (name, result.stderr)
        assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        files.append(path)
    broken = tmp_path / "broken.html"
    broken.write_text(BROKEN, encoding="utf-8")
    checked = subprocess.run(
        [JAVA, "-jar", str(JAR), "--format", "json", "--stdout", str(broken), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(checked.stdout)["messages"]
    by_file: dict[str, list[str]] = {}
    for message in messages:
        name = Path(message.get("url", "?").removeprefix("file:")).name
        by_file.setdefault(name, []).append(
            f"{message['type']}/{message.get('subType', '')} line {message.get('lastLine')}: "
            f"{message['message']}"
        )
    found = by_file.pop("broken.html", [])
    assert any("colr" in text for text in found), found  # the CSS error
    assert any("Section lacks heading" in text for text in found), found  # a warning
    assert by_file == {}
