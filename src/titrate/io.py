"""Writing output: atomically to a file, or plainly to stdout (never through rich)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from titrate.errors import InputError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename, so a
    failure (full disk, crash, interrupt) never leaves half a file behind."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError("is a directory; give a file name", str(path))
    if not folder.is_dir():
        raise InputError(f"folder {str(folder)!r} does not exist", str(path))
    temp_name: str | None = None
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "wb") as temp:
            temp.write(payload)
            temp.flush()
            os.fsync(temp.fileno())
        if path.exists():
            # keep the permissions of the file being replaced
            os.chmod(temp_name, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, path)
        temp_name = None
    except PermissionError:
        raise InputError("cannot write: permission denied", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", str(path)) from None
    finally:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)


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
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """Stream into a temporary file beside `path`, renamed over it only when the block
    ends without an exception (batch output: complete or absent, never half written)."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError("is a directory; give a file name", str(path))
    if not folder.is_dir():
        raise InputError(f"folder {str(folder)!r} does not exist", str(path))
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except PermissionError:
        raise InputError("cannot write: permission denied", str(path)) from None
    try:
        with os.fdopen(handle, "wb") as temp:
            yield temp
            temp.flush()
            os.fsync(temp.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", str(path)) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def stdout_bytes() -> Iterator[BinaryIO]:
    """Stdout as a binary stream for many small plain writes, flushed at the end."""
    sys.stdout.flush()
    stream: BinaryIO = sys.stdout.buffer
    try:
        yield stream
    finally:
        stream.flush()
