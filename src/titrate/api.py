"""The Python API: the same functions the CLI calls, returning the records it renders
(`titrate.model`: immutable, with `model_dump_json()` for the JSON the CLI writes).

`titrate.plan` and friends resolve here lazily (see the package's `__init__`).
"""

from __future__ import annotations

from titrate.core.audit import audit_log
from titrate.core.check import check
from titrate.core.doselog import read_log
from titrate.core.missed import advise
from titrate.core.pipeline import plan
from titrate.core.taper import taper

__all__ = ["advise", "audit_log", "check", "plan", "read_log", "taper"]
