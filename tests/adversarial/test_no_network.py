"""The tool makes no network calls: every command, in every output format, still works
when opening a socket or resolving a name raises. (The README's security note says so;
this is its check.) The HTML it writes loads nothing from elsewhere either."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from conftest import run


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            attempts.append(name)
            raise OSError(f"network use in a test: {name}")

        return call

    for name in ("connect", "connect_ex", "sendto", "bind"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse(name))
    return attempts


def test_every_command_works_offline(no_network: list[str], tmp_path: Path) -> None:
    start = ["--start", "2026-12-01", "--tz", "UTC"]
    plan_json = tmp_path / "plan.json"
    log = tmp_path / "log.csv"
    log.write_text("taken_at,dose_mg\n2026-12-01T08:00Z,5\n")
    requests = tmp_path / "requests.csv"
    requests.write_text("id,regimen,start\n1,baclofen,2026-12-01\n")
    commands = [
        ["plan", "baclofen", *start, "-f", "json", "-o", str(plan_json)],
        *(
            ["plan", "baclofen", *start, "-f", fmt, "-o", str(tmp_path / f"plan.{fmt}")]
            for fmt in ("table", "csv", "md", "html", "ics", "fhir")
        ),
        ["audit", str(plan_json), str(log), "--now", "2026-12-02T00:00", "-f", "json"],
        ["missed", "--plan", str(plan_json), "--dose-number", "2", "--now", "2026-12-01T15:00"],
        ["taper", "baclofen", "--from-plan", str(plan_json), "-f", "json"],
        ["check", str(plan_json)],
        ["batch", str(requests)],
        ["regimens"],
        ["show", "dantrolene"],
        ["rules"],
        ["products", "baclofen"],
        ["schema", "--kind", "audit"],
    ]
    for argv in commands:
        result = run(*argv)
        assert result.exit_code in (0, 1), (argv, result.stderr)
    assert no_network == []
    # Opening the HTML loads nothing from elsewhere: sources are links, not resources.
    html = (tmp_path / "plan.html").read_text()
    for loads in ("<script src", "<link ", '<img src="http', "url(http", "@import", "<iframe"):
        assert loads not in html, loads


def test_pdf_works_offline(no_network: list[str], tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    out = tmp_path / "plan.pdf"
    result = run("plan", "baclofen", "--start", "2026-12-01", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert no_network == []


def test_nothing_is_written_but_the_outputs_asked_for(tmp_path: Path) -> None:
    """With HOME, the XDG folders and TMPDIR pointed at empty folders, a run of every
    kind of command leaves them empty, and the package's data folder untouched."""
    import titrate

    home, cache, temp, work = (tmp_path / name for name in ("home", "cache", "tmp", "work"))
    for folder in (home, cache, temp, work):
        folder.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(cache),
        "XDG_CONFIG_HOME": str(cache),
        "XDG_DATA_HOME": str(cache),
        "TMPDIR": str(temp),
    }
    data = Path(titrate.__file__).parent / "data"
    before = {path: path.stat().st_mtime_ns for path in data.iterdir()}
    plan_json = work / "plan.json"
    log = work / "log.csv"
    log.write_text("taken_at,dose_mg\n2026-12-01T08:00Z,5\n")
    commands = [
        ["plan", "baclofen", "--start", "2026-12-01", "-f", "json", "-o", str(plan_json)],
        ["plan", "baclofen", "--start", "2026-12-01", "-o", str(work / "plan.html")],
        ["audit", str(plan_json), str(log), "--now", "2026-12-02T00:00"],
        ["missed", "--plan", str(plan_json), "--dose-number", "2", "--now", "2026-12-01T15:00"],
        ["regimens"],
    ]
    for argv in commands:
        assert run(*argv, env=env).exit_code in (0, 1), argv
    for folder in (home, cache, temp):
        assert list(folder.iterdir()) == [], folder
    assert sorted(path.name for path in work.iterdir()) == ["log.csv", "plan.html", "plan.json"]
    assert {path: path.stat().st_mtime_ns for path in data.iterdir()} == before
