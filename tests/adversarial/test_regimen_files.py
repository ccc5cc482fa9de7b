"""Hostile and broken regimen files: one case per file in regimen_files/.

Each file's first line states its expected outcome:
  `# expect: error: FRAGMENT`  → exit 2, one stderr line containing FRAGMENT, no traceback;
  `# expect: ok[: CHECK]`      → the regimen loads and plans; CHECK is verified below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run

CASES = sorted((Path(__file__).parent / "regimen_files").glob("*.yaml"))


def expectation(path: Path) -> str:
    first = path.read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("ascii")
    assert first.startswith("# expect: "), f"{path.name} does not state its expected outcome"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", CASES, ids=[case.stem for case in CASES])
def test_regimen_file_case(path: Path) -> None:
    expected = expectation(path)
    result = run("plan", "demo", "--start", "2026-12-01", "--regimens", str(path), "-f", "json")
    assert "Traceback" not in result.stderr
    if expected.startswith("error: "):
        fragment = expected.removeprefix("error: ")
        assert result.exit_code == 2, (result.stdout[:300], result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"titrate: error: {path}"), lines[0]
        assert fragment in lines[0], lines[0]
        assert result.stdout == ""
        return
    assert expected.startswith("ok"), expected
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    check = expected.removeprefix("ok").removeprefix(": ")
    if check.startswith("times "):
        assert [dose["at"][11:16] for dose in plan["doses"][:3]] == check[6:].split(",")
    elif check.startswith("route "):
        assert plan["regimen"]["route"] == check[6:]
    elif check.startswith("day1 total "):
        assert str(plan["days"][0]["total_mg"]) == check[11:]
    else:
        assert check == "", f"unknown check {check!r}"


def test_truly_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"titrate: error: {path}: regimen file is empty\n"


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    result = run("regimens", "--regimens", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# padding\n" * 300_000)  # 3 MB
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 2
    assert "the limit is 2097152 bytes" in result.stderr


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("schema_version: 1\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, where chmod 000 does not stop reading.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = run("regimens", "--regimens", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"titrate: error: {path}: cannot read regimen file: permission denied\n"
