"""Output files (-o, --findings-csv, batch -o, audit/missed -o): a failure at any point
gives one line naming the path and exit 2, and leaves the previous file (or none) and no
temporary file behind.

Tests may run as root, where chmod does not stop writing: permission, read-only and
full-disk errors are simulated by making the OS calls raise; a real read-only folder is
tried too when not root.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from conftest import run

PLAN = ["plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC"]


def writers(tmp_path: Path) -> dict[str, Callable[[Path], Result]]:
    """Each way the CLI writes a file, as a function of the output path."""
    plan_json = tmp_path / "source-plan.json"
    if not plan_json.exists():
        assert run(*PLAN, "-f", "json", "-o", str(plan_json)).exit_code == 0
    log = tmp_path / "source-log.csv"
    log.write_text("taken_at,dose_mg\n2026-12-01T08:00Z,5\n")
    requests = tmp_path / "source-requests.csv"
    requests.write_text("id,regimen,start\n1,baclofen,2026-12-01\n2,baclofen,2026-12-02\n")
    return {
        "plan -o json": lambda out: run(*PLAN, "-o", str(out.with_suffix(".json"))),
        "plan -o html": lambda out: run(*PLAN, "-o", str(out.with_suffix(".html"))),
        "plan --findings-csv": lambda out: run(
            *PLAN, "--steps", "30x3:1", "--findings-csv", str(out.with_suffix(".csv"))
        ),
        "batch -o": lambda out: run("batch", str(requests), "-o", str(out.with_suffix(".jsonl"))),
        "audit -o": lambda out: run(
            *("audit", str(plan_json), str(log), "--now", "2026-12-02T00:00"),
            *("-f", "json", "-o", str(out.with_suffix(".json"))),
        ),
        "missed -o": lambda out: run(
            *("missed", "--plan", str(plan_json), "--dose-number", "2"),
            *("--now", "2026-12-01T15:00", "-o", str(out.with_suffix(".txt"))),
        ),
    }


WRITERS = [
    "plan -o json",
    "plan -o html",
    "plan --findings-csv",
    "batch -o",
    "audit -o",
    "missed -o",
]


def written_path(name: str, out: Path) -> Path:
    suffix = {"plan -o html": ".html", "plan --findings-csv": ".csv", "batch -o": ".jsonl"}
    return out.with_suffix(suffix.get(name, ".txt" if name == "missed -o" else ".json"))


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def one_line(result: Result, path: Path, message: str) -> None:
    assert result.exit_code == 2, (result.stdout[:200], result.stderr)
    assert result.stderr == f"titrate: error: {path}: {message}\n"


@pytest.mark.parametrize("name", WRITERS)
def test_missing_folder(name: str, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "out"
    result = writers(tmp_path)[name](out)
    target = written_path(name, out)
    one_line(result, target, f"folder {str(target.parent)!r} does not exist")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("name", WRITERS)
def test_path_is_a_directory(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = written_path(name, out)
    target.mkdir()
    result = writers(tmp_path)[name](out)
    if name == "plan --findings-csv":  # declared dir_okay=False: typer's usage error
        assert result.exit_code == 2
        assert f"'{target}' is a directory" in result.stderr
    else:
        one_line(result, target, "is a directory; give a file name")
    assert listing(target) == []


def _raise(code: int) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))  # EACCES becomes PermissionError

    return fail


@pytest.mark.parametrize("name", WRITERS)
@pytest.mark.parametrize(
    ("code", "message"),
    [
        (errno.EACCES, "cannot write: permission denied"),
        (errno.EROFS, "cannot write: read-only file system"),
        (errno.ENOSPC, "cannot write: no space left on device"),
    ],
    ids=["read-only-folder", "read-only-filesystem", "disk-full-on-create"],
)
def test_temporary_file_cannot_be_created(
    name: str, code: int, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    call = writers(tmp_path)[name]
    monkeypatch.setattr(tempfile, "mkstemp", _raise(code))
    result = call(out_dir / "out")
    one_line(result, written_path(name, out_dir / "out"), message)
    assert listing(out_dir) == []


class HalfWriter:
    """Wraps a file so that a write stores half its data, then fails: a full disk."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def write(self, data: bytes) -> int:
        self._handle.write(data[: len(data) // 2])
        self._handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


@pytest.mark.parametrize("name", WRITERS)
@pytest.mark.parametrize("when", ["write", "fsync", "rename"])
def test_disk_full_leaves_the_previous_file(
    name: str, when: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    call = writers(tmp_path)[name]
    target = written_path(name, out_dir / "out")
    target.write_bytes(b"the previous, complete file\n")
    import titrate.io

    if when == "write":
        real_fdopen = os.fdopen

        def half_writer(*args: Any, **kwargs: Any) -> HalfWriter:
            return HalfWriter(real_fdopen(*args, **kwargs))

        monkeypatch.setattr(titrate.io.files.os, "fdopen", half_writer)
    elif when == "fsync":
        monkeypatch.setattr(titrate.io.files.os, "fsync", _raise(errno.ENOSPC))
    else:
        monkeypatch.setattr(titrate.io.files.os, "replace", _raise(errno.EXDEV))
    result = call(out_dir / "out")
    reason = "invalid cross-device link" if when == "rename" else "no space left on device"
    one_line(result, target, f"cannot write: {reason}")
    assert target.read_bytes() == b"the previous, complete file\n"
    assert listing(out_dir) == [target.name]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("name", WRITERS)
def test_real_read_only_folder(name: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    call = writers(tmp_path)
    out_dir.chmod(0o555)
    try:
        result = call[name](out_dir / "out")
    finally:
        out_dir.chmod(0o755)
    one_line(result, written_path(name, out_dir / "out"), "cannot write: permission denied")
    assert listing(out_dir) == []


def test_renderer_failing_halfway_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renderer that raises after doing part of its work: the file on disk is the
    previous one, byte for byte, and no temporary file is left."""
    out = tmp_path / "plan.html"
    assert run(*PLAN, "-o", str(out)).exit_code == 0
    before = out.read_bytes()
    import titrate.render

    real = titrate.render.renderer

    def broken(name: str) -> Callable[..., Any]:
        render = real(name)

        def half(plan: Any, options: Any) -> Any:
            render(plan, options)  # all the work…
            raise RuntimeError("renderer crashed halfway")  # …then a crash

        return half

    monkeypatch.setattr(titrate.render, "renderer", broken)
    result = run(*PLAN, "--patient", "Someone Else", "-o", str(out))
    assert isinstance(result.exception, RuntimeError)
    assert out.read_bytes() == before
    assert listing(tmp_path) == ["plan.html"]


def test_batch_failing_halfway_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch -o streams line by line into the temporary file: a crash after some lines
    leaves the previous output whole, not a file with half the lines."""
    requests = tmp_path / "requests.csv"
    requests.write_text("id,regimen,start\n1,baclofen,2026-12-01\n2,baclofen,2026-12-02\n")
    out = tmp_path / "plans.jsonl"
    assert run("batch", str(requests), "-o", str(out)).exit_code == 0
    before = out.read_bytes()
    import titrate.batch

    real = titrate.batch.Planner.encoded

    def crash_after_one(self: Any, request: Any, summary: Any) -> bytes:
        if request.row > 1:
            raise RuntimeError("crashed after the first line")
        return real(self, request, summary)

    monkeypatch.setattr(titrate.batch.Planner, "encoded", crash_after_one)
    result = run("batch", str(requests), "-o", str(out))
    assert isinstance(result.exception, RuntimeError)
    assert out.read_bytes() == before
    assert listing(tmp_path) == ["plans.jsonl", "requests.csv"]


def test_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    """The temporary file is private (0600) while written; the result is not."""
    out = tmp_path / "plan.json"
    umask = os.umask(0o022)
    try:
        assert run(*PLAN, "-f", "json", "-o", str(out)).exit_code == 0
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644


def test_replacing_keeps_the_file_permissions(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    out.write_text("old")
    out.chmod(0o600)
    assert run(*PLAN, "-f", "json", "-o", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text().startswith("{")


def test_a_device_is_written_to_not_replaced(tmp_path: Path) -> None:
    """-o through a link to /dev/null writes to the device; it never swaps the device
    (or the link) for a regular file."""
    link = tmp_path / "null.json"
    link.symlink_to(os.devnull)
    assert run(*PLAN, "-f", "json", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and Path(os.devnull).is_char_device()
    assert listing(tmp_path) == ["null.json"]


def test_a_symlink_to_a_file_replaces_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    assert run(*PLAN, "-f", "json", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and target.read_text().startswith("{")
