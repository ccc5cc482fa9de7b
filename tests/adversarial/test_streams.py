"""Hostile round 2, files and streams and option errors: one line, the right status, no debris.

Each case failed before issue 16: `-o` naming an input overwrote it; SIGTERM/SIGHUP during
`batch -o` left its temporary file; a closed or full stdout, or an ASCII-only one, reached
exit 3 or a traceback; usage errors were four-line blocks; a closed stderr gave exit 1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run

ENV = {**os.environ, "TZ": "UTC", "NO_COLOR": "1"}


def titrate(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "titrate", *args],
        capture_output=True,
        text=True,
        env={**ENV, **kwargs.pop("env", {})},  # type: ignore[dict-item]
        check=False,
        **kwargs,
    )


def test_output_equal_to_an_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(run("plan", "baclofen", "--start", "2026-12-01", "-f", "json").stdout)
    before = plan.read_bytes()
    (tmp_path / "link.json").symlink_to(plan)
    requests = tmp_path / "rows.csv"
    requests.write_text("regimen\nbaclofen\n")
    for args, shown in [
        (("check", str(plan), "-o", str(plan)), str(plan)),
        (("check", str(plan), "-o", str(tmp_path / "link.json")), str(tmp_path / "link.json")),
        (("batch", str(requests), "-o", str(requests)), str(requests)),
    ]:
        result = run(*args)
        assert result.exit_code == 2
        assert result.stderr == (
            f"titrate: error: {shown}: is also an input of this command; write the output "
            "to another file\n"
        )
    assert plan.read_bytes() == before
    assert requests.read_text() == "regimen\nbaclofen\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("plan", "baclofen", "--hold-days", "-1"),
            "Invalid value for '--hold-days': Input should be greater than or equal to 0 "
            "(see 'titrate plan -h')",
        ),
        (
            ("plan", "baclofen", "--fail-on", "panic"),
            "Invalid value for '--fail-on': 'panic' is not one of 'error', 'warning', 'never'. "
            "(see 'titrate plan -h')",
        ),
        (
            ("missed", "baclofen", "--dose-number", "x"),
            "Invalid value for '--dose-number': Input should be a valid integer, unable to "
            "parse string as an integer (see 'titrate missed -h')",
        ),
    ],
)
def test_every_option_error_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == f"titrate: error: {message}\n"


def test_closed_stdout_is_one_line_and_exit_2() -> None:
    result = titrate("plan", "baclofen", "-f", "json", stdout=None, close_fds=True,
                     preexec_fn=lambda: os.close(1))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "titrate: error: <stdout>: cannot write: standard output is closed\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_stdout_is_one_line_and_exit_2() -> None:
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [sys.executable, "-m", "titrate", "plan", "baclofen", "-f", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
            check=False,
        )
    assert completed.returncode == 2
    assert completed.stderr == "titrate: error: <stdout>: cannot write: no space left on device\n"


def test_ascii_only_stdout_is_one_line_and_exit_2() -> None:
    result = titrate("plan", "baclofen", "--patient", "Zoë", "-f", "md",
                     env={"PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "titrate: error: <stdout>: cannot write '\\xeb': stdout's encoding (ascii) has no such "
        "character; set PYTHONIOENCODING=utf-8, or write to a file\n"
    )


def test_closed_stderr_keeps_exit_2() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "titrate", "plan", "baclofen", "--hold-days", "-1"],
        capture_output=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(2),
        env=ENV,
        check=False,
    )
    assert completed.returncode == 2


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGHUP])
def test_a_termination_signal_during_batch_output_removes_the_temporary_file(
    tmp_path: Path, signal_number: int
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("regimen,start\n" + "baclofen,2026-12-01\n" * 200_000)
    out = tmp_path / "plans.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "titrate", "batch", str(rows), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".plans.jsonl.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".plans.jsonl.*.tmp")), "the batch never started writing"
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal_number
    assert stderr.decode() == f"titrate: stopped by signal {signal_number}\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rows.csv"]


def test_an_output_that_is_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    result = run("plan", "baclofen", "-f", "json", "-o", str(tmp_path / "a"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {tmp_path / 'a'}: cannot write: too many levels of symbolic links\n"
    )
