"""Worker processes for `titrate batch` on a large input: ordered, bounded, same output.

The parent reads the requests (so a progress bar and the file's own errors stay where
they were) and deals them out in chunks of `CHUNK_ROWS`, one chunk per worker at a
time; each worker plans its chunk with the batch's `Planner` (the same
regimens, zone and 'today') and sends back the chunk's lines and counts. The parent
writes the chunks in input order and adds up their counts, so the output bytes, the
summary (rows, invalid, failing, the first error) and the exit status are what a single
process gives. At most `LOOKAHEAD` chunks per worker are planned ahead of the one being
written: memory stays flat however long the input. A worker is sent a chunk only once
its previous answer has been received (so it is waiting for one), and the parent takes
answers from whichever worker is ready: neither side ever blocks writing to the other.

Workers are forked where the platform can (they start with everything loaded), else
spawned. They ignore SIGINT and SIGHUP (the parent, which a terminal also signals, stops
them) and end on SIGTERM; the parent stops them whenever it stops early (an
interrupt, a termination signal, a reader gone away), and a worker that dies is an
internal error, never a hang. A worker sees the end of its pipe if the parent dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from titrate.batch import Planner, Request, Summary, encoded_lines

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from titrate.batch import Lines

# Requests a worker plans at a time: ≈ 0.1 s of work, ≈ 3.5 MB of lines for the
# labeled 36-dose plan.
CHUNK_ROWS = 200

# With the worker count left to titrate (`--jobs auto`), inputs of at most this many rows
# are planned in this process: starting the workers and passing the lines back costs
# about as much as it saves below it (measured with bench/run.py on 2 cores).
AUTO_MIN_ROWS = 2_000

# Chunks per worker that may be planned ahead of the one the output is waiting for (a
# slow chunk does not idle the other workers; memory stays bounded).
LOOKAHEAD = 2


def writer(jobs: int | None) -> Lines:
    """How `batch.run` plans and writes: `jobs` None (auto) is one worker per core for an
    input of more than AUTO_MIN_ROWS rows; 1 plans in this process; N is N workers for an
    input of more than one chunk."""

    def lines(requests: Iterable[Request], planner: Planner, summary: Summary) -> Iterator[bytes]:
        workers = jobs if jobs is not None else os.cpu_count() or 1
        least = AUTO_MIN_ROWS if jobs is None else CHUNK_ROWS
        if workers < 2:
            yield from encoded_lines(requests, planner, summary)
            return
        reader = _Reader(requests)
        ahead = reader.take(least + 1)
        if len(ahead) <= least:  # the whole input (or all before an error) is small
            yield from encoded_lines(ahead, planner, summary)
            reader.raise_error()
            return
        reader.put_back(ahead)
        yield from _pooled(reader, planner, summary, workers)

    return lines


class _Reader:
    """The requests, taken a chunk at a time; a read error is kept until the requests read
    before it have been written (as the single process writes them before it fails)."""

    def __init__(self, requests: Iterable[Request]) -> None:
        self._requests = iter(requests)
        self._back: list[Request] = []
        self.error: Exception | None = None
        self.done = False

    def take(self, count: int) -> list[Request]:
        chunk, self._back = self._back[:count], self._back[count:]
        while len(chunk) < count and not self.done:
            try:
                chunk.append(next(self._requests))
            except StopIteration:
                self.done = True
            except Exception as exc:
                self.error, self.done = exc, True
        return chunk

    def put_back(self, requests: list[Request]) -> None:
        self._back = requests + self._back

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


@dataclass(slots=True)
class _Done:
    """A worker's answer for one chunk: its lines (UTF-8, one per request) and counts, or
    as far as it got and the exception that stopped it."""

    block: bytes
    summary: Summary
    error: BaseException | None = None


def _pooled(reader: _Reader, planner: Planner, summary: Summary, count: int) -> Iterator[bytes]:
    context = _context()
    for stream in (sys.stdout, sys.stderr):  # a forked worker must not inherit pending bytes
        if stream is not None and not stream.closed:
            stream.flush()
    workers: list[tuple[BaseProcess, Connection]] = []
    finished = False
    try:
        forked = context.get_start_method() == "fork"
        for _ in range(count):
            ours, theirs = context.Pipe()
            inherited = [conn for _, conn in workers] + [ours] if forked else []
            process = context.Process(
                target=_work, args=(theirs, planner, inherited), name="titrate-batch", daemon=True
            )
            with _signals_held():
                process.start()
                workers.append((process, ours))
            theirs.close()
        yield from _in_order(reader, summary, workers)
        finished = True
    finally:
        for process, conn in workers:
            if finished:
                conn.close()  # the worker, waiting for a chunk, sees the end and leaves
            elif process.is_alive():
                process.terminate()  # stopped early: whatever it is doing
        for process, conn in workers:
            process.join()
            conn.close()


def _in_order(
    reader: _Reader, summary: Summary, workers: list[tuple[BaseProcess, Connection]]
) -> Iterator[bytes]:
    """Each worker gets a chunk whenever it has none (while no more than LOOKAHEAD chunks
    per worker are ahead of the one to write next); the answers are written in order."""
    from multiprocessing.connection import Connection, wait

    process_of = {conn: process for process, conn in workers}
    planning: dict[Connection, int] = {}  # a worker with a chunk → the chunk's index
    answers: dict[int, _Done] = {}
    sent = written = 0

    def give(conn: Connection) -> None:
        nonlocal sent
        if sent - written < LOOKAHEAD * len(workers) and (chunk := reader.take(CHUNK_ROWS)):
            conn.send(chunk)
            planning[conn] = sent
            sent += 1

    for _, conn in workers:
        give(conn)
    while written < sent:
        while written not in answers:
            for ready in wait(list(planning)):
                assert isinstance(ready, Connection)
                answers[planning.pop(ready)] = _answer(ready, process_of[ready])
                give(ready)
        done = answers.pop(written)
        written += 1
        _add(summary, done.summary)
        yield done.block
        if done.error is not None:
            raise done.error
        for _, conn in workers:
            if conn not in planning:
                give(conn)
    reader.raise_error()


def _answer(conn: Connection, process: BaseProcess) -> _Done:
    try:
        done: _Done = conn.recv()
    except EOFError:
        process.join()
        raise RuntimeError(
            f"a batch worker process stopped unexpectedly (exit status {process.exitcode})"
        ) from None
    return done


def _add(summary: Summary, chunk: Summary) -> None:
    summary.rows += chunk.rows
    summary.invalid += chunk.invalid
    summary.failing += chunk.failing
    if summary.first_error is None:
        summary.first_error = chunk.first_error


def _context() -> Any:  # a ForkContext, else the platform's default (typeshed: per platform)
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


_HELD = frozenset(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGXCPU", "SIGXFSZ")
    if hasattr(signal, name)
)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold termination signals while a worker is forked and recorded. A signal that
    arrived mid-fork ran the parent's handler in the new child before the worker had set
    its own (a worker the parent did not yet know of, so never stopped: the batch hung).
    Held, the signal reaches the parent after the worker is in its list, and the worker
    after it has set its handlers."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _work(conn: Connection, planner: Planner, inherited: list[Connection]) -> None:
    """A worker: plan each chunk that arrives until the pipe ends."""
    for conn_of_another in inherited:  # so that each pipe ends when the parent goes
        conn_of_another.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGHUP",):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    for name in ("SIGTERM", "SIGQUIT", "SIGXCPU", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # held by the parent across the fork
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    status = 0
    try:
        while True:
            chunk: list[Request] = conn.recv()
            conn.send(_plan(chunk, planner))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent is done, or gone
    except BaseException:
        import traceback

        traceback.print_exc()  # the parent then reports an internal error
        status = 1
    finally:
        # No interpreter teardown and no flushing of streams shared with the parent.
        os._exit(status)


def _plan(chunk: list[Request], planner: Planner) -> _Done:
    summary = Summary()
    lines: list[bytes] = []
    try:
        lines.extend(encoded_lines(chunk, planner, summary))
    except Exception as exc:
        return _Done(b"".join(lines), summary, _sendable(exc))
    return _Done(b"".join(lines), summary)


def _sendable(exc: Exception) -> BaseException:
    """The exception itself if it survives pickling, else one with its type and text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
