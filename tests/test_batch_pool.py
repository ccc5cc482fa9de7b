"""`titrate batch` with worker processes: the same bytes, summary, first error and exit
status as one process; memory bounded; every way of stopping early cleans up (issue 13)."""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import run
from titrate import batch, batchpool
from titrate.catalog import load_regimens

ZONES = ("Europe/London", "America/New_York", "UTC", "Asia/Tokyo", "Australia/Sydney")
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def mixed_rows(count: int) -> str:
    """Valid plans in several zones, plans with findings, rows that are invalid in several
    ways, and an empty start (today, in the row's zone)."""
    lines = ["id,regimen,start,times,tz,steps,age,patient"]
    for index in range(1, count + 1):
        start = f"2027-{1 + index % 12:02d}-{1 + index % 28:02d}"
        zone = ZONES[index % len(ZONES)]
        row = f"p{index},baclofen,{start},,{zone},,{18 + index % 70},Patient {index}"
        if index % 17 == 0:
            row = f"p{index},baclofen,2026-02-30,,UTC,,,"  # not a date
        elif index % 23 == 0:
            row = f"p{index},baclofen,{start},,UTC,30x3:3,,"  # over the daily maximum
        elif index % 29 == 0:
            row = f"p{index},nosuchdrug,{start},,UTC,,,"
        elif index % 31 == 0:
            row = f"p{index},baclofen,,07:30,{zone},,,"
        lines.append(row)
    return "\n".join(lines) + "\n"


def planner() -> batch.Planner:
    return batch.Planner(load_regimens(), default_zone="UTC", now=NOW)


def planned(text: str, jobs: int | None) -> tuple[bytes, batch.Summary]:
    summary = batch.Summary()
    requests = batch.read_requests(io.BytesIO(text.encode()), "rows.csv")
    out = b"".join(batchpool.writer(jobs)(requests, planner(), summary))
    return out, summary


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 rows: a few hundred rows give dozens of chunks, out of order."""
    monkeypatch.setattr(batchpool, "CHUNK_ROWS", 7)


def test_workers_write_the_same_bytes_and_summary_as_one_process(small_chunks: None) -> None:
    text = mixed_rows(400)
    alone, summary = planned(text, 1)
    assert summary.rows == 400 and summary.invalid > 20 and summary.failing > 10
    for jobs in (2, 3):
        assert planned(text, jobs) == (alone, summary)


def test_the_command_gives_the_same_output_stderr_and_status_with_jobs(
    tmp_path: Path, small_chunks: None
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(mixed_rows(300), encoding="utf-8")
    one = run("batch", str(rows), "--jobs", "1")
    assert one.exit_code == 2
    assert one.stderr.startswith("titrate: error: ") and "(first: row 17: start: " in one.stderr
    for jobs in ("2", "auto"):
        many = run("batch", str(rows), "--jobs", jobs)
        assert (many.exit_code, many.stdout, many.stderr) == (2, one.stdout, one.stderr)
    findings_only = tmp_path / "findings.csv"
    findings_only.write_text("regimen,steps\n" + "baclofen,30x3:3\nbaclofen,\n" * 40)
    one = run("batch", str(findings_only), "--jobs", "1")
    many = run("batch", str(findings_only), "--jobs", "4")
    assert one.exit_code == many.exit_code == 1
    assert (many.stdout, many.stderr) == (one.stdout, one.stderr)


def test_jobs_must_be_auto_or_a_count() -> None:
    for value in ("0", "x", "-1", "2.5"):
        result = run("batch", "rows.csv", "--jobs", value)
        assert result.exit_code == 2
        assert result.stderr == (
            f"titrate: error: --jobs: {value!r} is not auto or a number of processes from 1 "
            "to 1024\n"
        )


def test_auto_plans_a_small_input_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: object) -> Iterator[bytes]:
        raise AssertionError("started workers for a small input")

    monkeypatch.setattr(batchpool, "_pooled", no_pool)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    out, summary = planned(mixed_rows(batchpool.AUTO_MIN_ROWS), None)
    assert summary.rows == batchpool.AUTO_MIN_ROWS == out.count(b"\n")
    with pytest.raises(AssertionError, match="started workers"):
        planned(mixed_rows(batchpool.AUTO_MIN_ROWS + 1), None)


def test_memory_is_bounded_chunks_ahead_of_the_output(small_chunks: None) -> None:
    """However long the input, the parent reads at most LOOKAHEAD chunks per worker (and
    the one it is about to hand out) ahead of what it has written."""
    consumed = 0

    def counted(requests: Iterator[batch.Request]) -> Iterator[batch.Request]:
        nonlocal consumed
        for request in requests:
            consumed += 1
            yield request

    text = mixed_rows(600)
    requests = counted(batch.read_requests(io.BytesIO(text.encode()), "rows.csv"))
    written = 0
    ahead = []
    for block in batchpool.writer(2)(requests, planner(), batch.Summary()):
        written += block.count(b"\n")
        ahead.append(consumed - written)
    assert written == 600
    assert max(ahead) <= (batchpool.LOOKAHEAD * 2 + 1) * batchpool.CHUNK_ROWS


def test_a_read_error_comes_after_the_lines_before_it(small_chunks: None) -> None:
    text = mixed_rows(100)

    def failing() -> Iterator[batch.Request]:
        for index, request in enumerate(batch.read_requests(io.BytesIO(text.encode()), "r")):
            if index == 60:
                raise OSError("the disk went away")
            yield request

    outcomes = []
    for jobs in (1, 2):
        written: list[bytes] = []
        with pytest.raises(OSError, match="the disk went away"):
            for block in batchpool.writer(jobs)(failing(), planner(), batch.Summary()):
                written.append(block)
        outcomes.append(b"".join(written))
    assert outcomes[0] == outcomes[1] and outcomes[0].count(b"\n") == 60


class Broken(Exception):
    pass


def test_an_internal_error_in_a_worker_is_raised_after_the_rows_before_it(
    monkeypatch: pytest.MonkeyPatch, small_chunks: None
) -> None:
    encoded = batch.Planner.encoded

    def breaks_on_row_45(
        self: batch.Planner, request: batch.Request, summary: batch.Summary
    ) -> bytes:
        if request.row == 45:
            raise Broken("row 45 broke the planner")
        return encoded(self, request, summary)

    monkeypatch.setattr(batch.Planner, "encoded", breaks_on_row_45)
    outcomes = []
    for jobs in (1, 2):
        written: list[bytes] = []
        with pytest.raises(Broken, match="row 45 broke the planner"):
            text = mixed_rows(100)
            requests = batch.read_requests(io.BytesIO(text.encode()), "rows.csv")
            for block in batchpool.writer(jobs)(requests, planner(), batch.Summary()):
                written.append(block)
        outcomes.append(b"".join(written))
    assert outcomes[0] == outcomes[1] and outcomes[0].count(b"\n") == 44


def test_a_worker_that_dies_is_an_error_not_a_hang(
    monkeypatch: pytest.MonkeyPatch, small_chunks: None
) -> None:
    encoded = batch.Planner.encoded

    def dies_on_row_30(
        self: batch.Planner, request: batch.Request, summary: batch.Summary
    ) -> bytes:
        if request.row == 30:
            os._exit(9)
        return encoded(self, request, summary)

    monkeypatch.setattr(batch.Planner, "encoded", dies_on_row_30)
    requests = batch.read_requests(io.BytesIO(mixed_rows(100).encode()), "rows.csv")
    with pytest.raises(RuntimeError, match=r"stopped unexpectedly \(exit status 9\)"):
        for _ in batchpool.writer(2)(requests, planner(), batch.Summary()):
            pass


@pytest.mark.skipif(
    "spawn" not in multiprocessing.get_all_start_methods(), reason="needs the spawn method"
)
def test_spawned_workers_write_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, small_chunks: None
) -> None:
    """Where fork is missing (Windows) the workers are spawned: the planner travels pickled."""
    monkeypatch.setattr(batchpool, "_context", lambda: multiprocessing.get_context("spawn"))
    text = mixed_rows(40)
    assert planned(text, 2) == planned(text, 1)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_whole_group_stops_the_workers_and_removes_the_temporary_file(
    tmp_path: Path, signal_number: int
) -> None:
    """As Ctrl-C in a terminal does: the signal reaches the parent and its workers."""
    rows = tmp_path / "rows.csv"
    rows.write_text("regimen,start\n" + "baclofen,2026-12-01\n" * 100_000)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "titrate",
            "batch",
            str(rows),
            "-o",
            str(tmp_path / "out.jsonl"),
            "--jobs",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TZ": "UTC"},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers = _children(process.pid)
        # the temporary file is made first, the workers once the first rows are read
        while (
            not list(tmp_path.glob(".out.jsonl.*.tmp")) or len(workers) < 2
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = _children(process.pid)
        assert len(workers) == 2
        os.killpg(process.pid, signal_number)
        _, stderr = process.communicate(timeout=60)
    finally:  # a failed assertion must not leave a 100,000-row batch running
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 128 + signal_number
    assert "Traceback" not in stderr.decode()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rows.csv"]
    for worker in workers:
        assert not Path(f"/proc/{worker}").exists() or "Z" in _state(worker)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except OSError:
        return "Z"
