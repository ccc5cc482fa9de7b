"""Start-up: what a command imports (seen from a fresh interpreter) and the regimen cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from titrate import regimen_cache
from titrate.catalog import BUILTIN_NAME, builtin_regimens, parse_regimen_file

HEAVY = ("rich", "jinja2", "icalendar", "fpdf", "fhir")

# Runs the CLI exactly as the console script does, then reports every imported module.
WRAPPER = """
import json, sys
sys.argv = ["titrate", *sys.argv[1:]]
from titrate.cli import entry
try:
    entry()
finally:
    sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def run_cli(*args: str, cache: Path, env: dict[str, str] | None = None) -> tuple[Any, set[str]]:
    environment = {"TZ": "UTC", "NO_COLOR": "1", "TITRATE_CACHE_DIR": str(cache), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **environment},
        timeout=120,
    )
    modules_line = done.stderr.rstrip("\n").rsplit("\n", 1)[-1]
    assert modules_line.startswith("MODULES "), done.stderr
    return done, set(json.loads(modules_line.removeprefix("MODULES ")))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_plan_json_imports_no_heavy_module(tmp_path: Path) -> None:
    done, modules = run_cli(
        "plan", "baclofen", "--start", "2026-12-01", "-f", "json", cache=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["doses"]) == 36
    assert heavy_in(modules) == []
    assert "titrate.render.json" in modules  # the check above looked at the right process


def test_batch_imports_no_heavy_module_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("id,regimen,start\np1,baclofen,2026-12-01\n", encoding="utf-8")
    done, modules = run_cli("batch", str(source), cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "p1"
    assert heavy_in(modules) == []


def test_import_titrate_alone_is_cheap() -> None:
    code = "import sys, titrate; print(sorted(m for m in sys.modules if m.split('.')[0] in "
    code += "('pydantic', 'typer', 'ruamel', 'titrate')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['titrate']"


def test_second_run_reads_the_cache_instead_of_the_yaml_and_prints_the_same(
    tmp_path: Path,
) -> None:
    argv = ("plan", "baclofen", "--start", "2026-12-01", "-f", "json")
    first, first_modules = run_cli(*argv, cache=tmp_path)
    second, second_modules = run_cli(*argv, cache=tmp_path)
    uncached, uncached_modules = run_cli(*argv, cache=tmp_path, env={"TITRATE_NO_CACHE": "1"})
    assert "ruamel.yaml" in first_modules and "ruamel.yaml" in uncached_modules
    assert "ruamel.yaml" not in second_modules
    assert first.stdout == second.stdout == uncached.stdout
    assert len(list(tmp_path.glob("regimens-*.json"))) == 1


def builtin_text() -> str:
    from importlib import resources

    return resources.files("titrate").joinpath("data", BUILTIN_NAME).read_text("utf-8")


def test_cache_gives_regimens_equal_to_the_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TITRATE_CACHE_DIR", str(tmp_path))
    text = builtin_text()
    parses: list[int] = []

    def parse() -> tuple[Any, ...]:
        parses.append(1)
        return tuple(parse_regimen_file(text, BUILTIN_NAME))

    written = regimen_cache.regimens(text, parse)
    read_back = regimen_cache.regimens(text, parse)
    assert len(parses) == 1
    assert read_back == written == builtin_regimens()
    assert read_back[0] is not written[0]  # really read from the file
    [cached] = tmp_path.glob("regimens-*.json")
    stored = json.loads(cached.read_text(encoding="utf-8"))["regimens"][0]
    assert stored["limits"]["max_daily_mg"]["value"] == "80"  # exact Decimal text, not 80.0

    regimen_cache.regimens(text + "\n# changed\n", parse)  # other data → another key
    assert len(parses) == 2

    for copy in tmp_path.glob("regimens-*.json"):
        copy.write_text('{"regimens": "damaged"}')
    assert regimen_cache.regimens(text, parse) == written  # damaged → parsed again
    assert len(parses) == 3


def test_unwritable_cache_folder_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TITRATE_CACHE_DIR", str(blocker / "cache"))
    text = builtin_text()
    result = regimen_cache.regimens(text, lambda: tuple(parse_regimen_file(text, BUILTIN_NAME)))
    assert result == builtin_regimens()


def test_regimen_data_is_parsed_once_per_process() -> None:
    assert builtin_regimens() is builtin_regimens()
