"""Large inputs read one line at a time (batch requests, dose logs), each line capped.

A line is decoded on its own, so a byte that is not UTF-8 names its line; a line longer
than the cap is reported and skipped without holding it in memory (`/dev/zero` or a file
without newlines is never read whole). A UTF-8 byte-order mark on line 1 is tolerated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, NamedTuple

from titrate.errors import InputError

# The longest line read: a batch request or a log row is well under 1 KiB.
MAX_LINE_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


class Line(NamedTuple):
    number: int  # 1-based
    text: str | None  # None when `problem` says why the line cannot be read
    problem: str | None
    bytes_read: int  # of the stream so far (for progress bars)


def read_lines(stream: IO[bytes], name: str, max_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Every physical line of `stream` (newline kept off), in order; OS errors → InputError."""
    number = read = 0
    while True:
        raw = _read(stream, name, number + 1, max_bytes + 1)
        if not raw:
            return
        number += 1
        read += len(raw)
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            read += _skip_rest(stream, name, number)
            yield Line(number, None, f"line longer than {max_bytes} bytes", read)
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Line(number, None, f"not UTF-8 text (byte {exc.start + 1} of the line)", read)
            continue
        yield Line(number, text.rstrip("\r\n"), None, read)


def _read(stream: IO[bytes], name: str, number: int, size: int) -> bytes:
    try:
        return stream.readline(size)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", f"{name}:{number}") from None


def _skip_rest(stream: IO[bytes], name: str, number: int) -> int:
    """Read past the rest of an over-long line without keeping it; the bytes skipped."""
    skipped = 0
    while True:
        chunk = _read(stream, name, number, _CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped
