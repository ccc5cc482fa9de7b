"""Writing output: atomically to a file, or plainly to stdout (never through rich).

A file given with -o is written to a temporary file in the same folder (`.NAME.XXXX.tmp`),
flushed to disk, then renamed over NAME: a failure at any point (full disk, read-only
folder, interrupt, a renderer that raises) leaves the previous NAME, or none, and no
temporary file. A symlink is followed (its target is replaced); a path that is not a
regular file (/dev/null, /dev/stdout, a named pipe) is written to directly, since it
cannot be replaced. Every OS problem becomes one InputError naming the path.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from titrate.errors import InputError


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
        return path.open("rb")
    raise AssertionError("unreachable")  # pragma: no cover - _reading raises or yields


def read_input(path: Path, what: str, limit: int) -> bytes:
    """A whole small input file (regimens, plans, proposals), refused over `limit` bytes."""
    with _reading(path, what, None):
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{what} is {size} bytes; the limit is {limit} bytes", str(path))
        return path.read_bytes()
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


def write_stdout(data: str | bytes) -> None:
    """Plain write to stdout: machine output must not pass through rich."""
    if isinstance(data, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(data)
        sys.stdout.flush()


@contextlib.contextmanager
def stdout_bytes() -> Iterator[BinaryIO]:
    """Stdout as a binary stream for many small plain writes, flushed at the end."""
    sys.stdout.flush()
    stream: BinaryIO = sys.stdout.buffer
    try:
        yield stream
    finally:
        stream.flush()
