"""Writing output: atomically to a file, or plainly to stdout (never through rich).

A file given with -o is written to a temporary file in the same folder (`.NAME.XXXX.tmp`),
flushed to disk, then renamed over NAME: a failure at any point (full disk, read-only
folder, interrupt, a renderer that raises) leaves the previous NAME, or none, and no
temporary file. A symlink is followed (its target is replaced); a path that is not a
regular file (/dev/null, /dev/stdout, a named pipe) is written to directly, since it
cannot be replaced. Every OS problem becomes one InputError naming the path.

Within `tracking_inputs()` (the command line enters it for each command) every file read
is remembered, and an output that is the same file as one of them (the same name, a link
to it, a hard link) is refused before anything is written: `-o` naming an input would
otherwise replace it.

Stdout: closed, full, or unable to encode the text (an ASCII-only `PYTHONIOENCODING`)
each become one InputError naming `<stdout>`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import BinaryIO

from titrate.errors import InputError

# (device, inode) of every input read while tracking; None when not tracking (a Python
# caller writing a file it read earlier is its own business).
_INPUTS: ContextVar[set[tuple[int, int]] | None] = ContextVar("titrate_inputs", default=None)


@contextlib.contextmanager
def tracking_inputs() -> Iterator[None]:
    """Remember the files read in this block; refuse to write output over any of them."""
    token = _INPUTS.set(set())
    try:
        yield
    finally:
        _INPUTS.reset(token)


def _remember(path: Path) -> None:
    seen = _INPUTS.get()
    if seen is None:
        return
    with contextlib.suppress(OSError):
        info = path.stat()
        seen.add((info.st_dev, info.st_ino))


def _refuse_an_input(path: Path, shown: str) -> None:
    seen = _INPUTS.get()
    if not seen:
        return
    try:
        info = path.stat()
    except OSError:
        return  # not there yet: not an input
    if (info.st_dev, info.st_ino) in seen:
        raise InputError(
            "is also an input of this command; write the output to another file", shown
        )


@contextlib.contextmanager
def _reading(path: Path, what: str, expected: str | None) -> Iterator[None]:
    """Every OS problem reading `path` → one InputError naming the file."""
    reading = "cannot read" if what == "file" else f"cannot read {what}"
    try:
        if path.is_dir():
            raise InputError(f"is a directory, expected a {expected or what}", str(path))
        yield
    except FileNotFoundError:
        raise InputError(f"no such {what}", str(path)) from None
    except PermissionError:
        raise InputError(f"{reading}: permission denied", str(path)) from None
    except OSError as exc:
        raise InputError(f"{reading}: {exc.strerror or exc}", str(path)) from None


def open_input(path: Path, what: str = "file", expected: str | None = None) -> BinaryIO:
    """Open an input file for reading bytes (streamed: batch rows, dose logs)."""
    with _reading(path, what, expected):
        handle = path.open("rb")
        _remember(path)
        return handle
    raise AssertionError("unreachable")  # pragma: no cover - _reading raises or yields


def read_input(path: Path, what: str, limit: int) -> bytes:
    """A whole small input file (regimens, plans, proposals), refused over `limit` bytes."""
    with _reading(path, what, None):
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{what} is {size} bytes; the limit is {limit} bytes", str(path))
        data = path.read_bytes()
        _remember(path)
        return data
    raise AssertionError("unreachable")  # pragma: no cover


def _target(path: Path) -> tuple[Path, bool]:
    """(where to write, whether it can be replaced atomically), or InputError."""
    try:
        if path.is_dir():
            raise InputError("is a directory; give a file name", str(path))
        if path.is_symlink():
            path = path.resolve()
            if path.is_dir():
                raise InputError("is a link to a directory; give a file name", str(path))
        if path.exists() and not path.is_file():
            return path, False  # a device or pipe: write to it, never replace it
    except OSError as exc:
        raise InputError(_cannot(exc), str(path)) from None
    except RuntimeError:  # Python before 3.13 reports a symlink loop this way
        raise InputError("cannot write: too many levels of symbolic links", str(path)) from None
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"folder {str(folder)!r} does not exist", str(path))
    return path, True


def _cannot(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "cannot write: permission denied"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot write: {reason[:1].lower()}{reason[1:]}"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename, so a
    failure (full disk, crash, interrupt) never leaves half a file behind."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_output(path) as out:
        out.write(payload)


class _Guarded:
    """The temporary file as the caller sees it: a write error names the output path."""

    def __init__(self, handle: BinaryIO, shown: str) -> None:
        self._handle = handle
        self._shown = shown

    def write(self, data: bytes) -> int:
        try:
            return self._handle.write(data)
        except OSError as exc:
            raise InputError(_cannot(exc), self._shown) from None

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError as exc:
            raise InputError(_cannot(exc), self._shown) from None


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[_Guarded]:
    """Stream into a temporary file beside `path`, renamed over it only when the block
    ends without an exception (complete or absent, never half written). An exception
    raised by the block propagates unchanged; the temporary file is removed."""
    shown = str(path)
    target, replaceable = _target(path)
    _refuse_an_input(target, shown)
    if not replaceable:
        try:
            handle = target.open("wb")
        except OSError as exc:
            raise InputError(_cannot(exc), shown) from None
        with handle:
            guarded = _Guarded(handle, shown)
            yield guarded
            guarded.flush()
        return
    folder = target.parent if str(target.parent) else Path(".")
    import tempfile  # (and random): only when a file is written

    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(_cannot(exc), shown) from None
    done = False
    try:
        try:
            temp = os.fdopen(fd, "wb")
        except OSError as exc:  # pragma: no cover - fdopen of a fresh descriptor
            os.close(fd)
            raise InputError(_cannot(exc), shown) from None
        with temp:
            guarded = _Guarded(temp, shown)
            yield guarded
            try:
                temp.flush()
                os.fsync(temp.fileno())
            except OSError as exc:
                raise InputError(_cannot(exc), shown) from None
        try:
            mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
            os.chmod(temp_name, mode)
            os.replace(temp_name, target)
        except OSError as exc:
            raise InputError(_cannot(exc), shown) from None
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_STDOUT = "<stdout>"


def _stdout() -> BinaryIO:
    stream = sys.stdout
    if stream is None or getattr(stream, "closed", False):
        raise InputError("cannot write: standard output is closed", _STDOUT)
    stream.flush()
    return stream.buffer


def _encoded(text: str) -> bytes:
    """Text in stdout's encoding; a character it cannot hold is one clear error."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise InputError(
            f"cannot write {text[exc.start]!r}: stdout's encoding ({encoding}) has no such "
            "character; set PYTHONIOENCODING=utf-8, or write to a file",
            _STDOUT,
        ) from None
    except LookupError:
        return text.encode("utf-8")


def write_stdout(data: str | bytes) -> None:
    """Plain write to stdout: machine output must not pass through rich."""
    payload = data if isinstance(data, bytes) else _encoded(data)
    try:
        buffer = _stdout()
        buffer.write(payload)
        buffer.flush()
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the command stops quietly
    except (OSError, ValueError) as exc:
        raise InputError(_stdout_problem(exc), _STDOUT) from None


def _stdout_problem(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return _cannot(exc)
    return "cannot write: standard output is closed"


class _GuardedStdout:
    def __init__(self, buffer: BinaryIO) -> None:
        self._buffer = buffer

    def write(self, data: bytes) -> int:
        try:
            return self._buffer.write(data)
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise InputError(_stdout_problem(exc), _STDOUT) from None

    def flush(self) -> None:
        try:
            self._buffer.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise InputError(_stdout_problem(exc), _STDOUT) from None


@contextlib.contextmanager
def stdout_bytes() -> Iterator[_GuardedStdout]:
    """Stdout as a binary stream for many small plain writes, flushed at the end."""
    try:
        guarded = _GuardedStdout(_stdout())
    except (OSError, ValueError) as exc:
        raise InputError(_stdout_problem(exc), _STDOUT) from None
    try:
        yield guarded
    except BaseException:
        with contextlib.suppress(Exception):  # what was written so far, if it still can be
            guarded.flush()
        raise
    guarded.flush()
