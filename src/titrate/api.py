"""The Python API: the same functions the CLI calls, returning the records it renders
(`titrate.model`: immutable, with `model_dump_json()` for the JSON the CLI writes).

`titrate.plan` and friends resolve here lazily (see the package's `__init__`).
"""

from __future__ import annotations

from titrate.core import pipeline
from titrate.core.audit import audit_log
from titrate.core.check import check
from titrate.core.doselog import read_log
from titrate.core.missed import advise
from titrate.core.taper import taper
from titrate.model import Plan, PlanOptions, Regimen
from titrate.requests import valid_options

__all__ = ["advise", "audit_log", "check", "plan", "read_log", "taper"]


def plan(regimen: Regimen, options: PlanOptions) -> Plan:
    """Build a dated, timed plan for `regimen` and attach every finding.

    The runtime records validate nothing when made (they are light on purpose), so the
    options a script built are checked here as the command line's are: a dose of -5 mg is
    an InputError naming its field, never a plan.

    >>> from datetime import date
    >>> from decimal import Decimal
    >>> from titrate import get_regimen
    >>> options = PlanOptions(start=date(2026, 12, 1), timezone="UTC", target_mg=Decimal(-5))
    >>> plan(get_regimen("baclofen"), options)
    Traceback (most recent call last):
    ...
    titrate.errors.InputError: target_mg: Input should be greater than 0
    """
    checked = valid_options({name: getattr(options, name) for name in options.__struct_fields__})
    return pipeline.plan(regimen, checked)
