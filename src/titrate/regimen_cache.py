"""A validated copy of the built-in regimens, so start-up skips the YAML parser.

Parsing the shipped YAML with ruamel's round-trip loader (kept for its line numbers)
costs more than the rest of `titrate plan -f json` together. The first run stores the
validated regimens as JSON in the user's cache folder; later runs validate that JSON
through the same models instead (a few milliseconds).

What keeps this safe:
- the file name is a hash of everything that shapes the result: the YAML text, the
  source of the package's modules, and the versions of titrate, pydantic and ruamel, so
  any change to data or code means a new file, never a stale one;
- exact values: Decimal is written as its string ('2.5', never a float), dates and
  times as ISO text;
- a copy is written only if reading it back gives regimens equal to the ones just
  parsed from YAML, and every load validates it again through the same models;
- anything wrong with the cache (unreadable, invalid, unwritable folder) means the
  YAML is parsed as before: the cache can make titrate faster, never different.

`TITRATE_CACHE_DIR` chooses the folder (default `$XDG_CACHE_HOME/titrate` or
`~/.cache/titrate`); `TITRATE_NO_CACHE=1` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from titrate.model import Regimen, RegimenFile

PREFIX = "regimens-"

# Copies for other data or code (older releases, other checkouts) are removed once they
# have not been written for this long, so two installs sharing the folder do not fight.
KEEP_SECONDS = 7 * 24 * 3600


def cache_folder() -> Path | None:
    if os.environ.get("TITRATE_NO_CACHE"):
        return None
    chosen = os.environ.get("TITRATE_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "titrate"


def cache_key(text: str) -> str:
    """A hash of the data and of everything that turns it into models."""
    from pydantic.version import VERSION as pydantic_version

    from titrate import __version__

    digest = hashlib.sha256()
    for part in (text, __version__, pydantic_version, _ruamel_version()):
        digest.update(part.encode("utf-8") + b"\0")
    # Every module of the package's top level, not only model.py and catalog.py: a
    # validator moved to another module must still invalidate the copy (about 1 ms).
    for source in sorted(Path(__file__).parent.glob("*.py")):
        with contextlib.suppress(OSError):
            digest.update(source.name.encode("utf-8") + b"\0" + source.read_bytes())
    return digest.hexdigest()[:32]


def _ruamel_version() -> str:
    """ruamel.yaml's `__init__.py` (which holds its version) without importing it: the
    import is what the cache saves."""
    try:
        spec = importlib.util.find_spec("ruamel.yaml")
        origin = spec.origin if spec is not None else None
        return Path(origin).read_text("utf-8") if origin else "?"
    except (ImportError, OSError, ValueError):
        return "?"


def regimens(text: str, parse: Callable[[], tuple[Regimen, ...]]) -> tuple[Regimen, ...]:
    """The regimens `parse()` gives for `text`, read from the cache when possible."""
    folder = cache_folder()
    if folder is None:
        return parse()
    path = folder / f"{PREFIX}{cache_key(text)}.json"
    cached = _read(path)
    if cached is not None:
        return cached
    parsed = parse()
    _write(path, parsed)
    return parsed


def _read(path: Path) -> tuple[Regimen, ...] | None:
    try:
        data = json.loads(path.read_bytes())
        return tuple(RegimenFile.model_validate(data).regimens)
    except (OSError, ValueError, ValidationError):
        return None


def _plain(value: Any) -> Any:
    """JSON for what model_dump(mode="python") holds, losing nothing."""
    if isinstance(value, Decimal | date | time):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _write(path: Path, parsed: tuple[Regimen, ...]) -> None:
    try:
        data = RegimenFile(regimens=list(parsed)).model_dump(mode="python")
        payload = json.dumps(data, default=_plain, ensure_ascii=False)
        if tuple(RegimenFile.model_validate(json.loads(payload)).regimens) != parsed:
            return  # would not read back identically: keep parsing the YAML
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as temp:
                temp.write(payload)
            os.replace(temp_name, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
        _forget_old(path)
    except (OSError, TypeError, ValueError, ValidationError):
        return


def _forget_old(kept: Path) -> None:
    import time as clock

    for old in kept.parent.glob(f"{PREFIX}*.json"):
        with contextlib.suppress(OSError):
            if old != kept and clock.time() - old.stat().st_mtime > KEEP_SECONDS:
                old.unlink()
