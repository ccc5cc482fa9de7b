"""titrate: dosing titration planner.

The public API, for scripts and notebooks (every function returns the records the
command line renders, `titrate.model`; bad input raises `InputError`):

    >>> from datetime import date
    >>> from titrate import get_regimen, plan, PlanOptions
    >>> p = plan(get_regimen("baclofen"), PlanOptions(start=date(2026, 12, 1), timezone="UTC"))
    >>> len(p.doses), p.findings
    (36, [])

Names are imported lazily (PEP 562 `__getattr__`), so `import titrate` stays cheap and
a script pays only for what it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name → the module that defines it (`module:name` where the names differ)
_API = {
    "load_regimens": "titrate.catalog",
    "get_regimen": "titrate.catalog",
    "plan": "titrate.api",
    "check": "titrate.core.check",
    "taper": "titrate.core.taper",
    "advise": "titrate.core.missed",
    "audit_log": "titrate.core.audit",
    "read_log": "titrate.core.doselog",
    "advise_missed": "titrate.core.missed:advise",  # the names for advise and audit_log
    "audit": "titrate.core.audit:audit_log",
    "Advice": "titrate.model",
    "AuditResult": "titrate.model",
    "InputError": "titrate.errors",
    "Plan": "titrate.model",
    "Regimen": "titrate.model",
    "Finding": "titrate.model",
    "PlanOptions": "titrate.model",
    "Patient": "titrate.model",
}

__all__ = [
    "Advice",
    "AuditResult",
    "Finding",
    "InputError",
    "Patient",
    "Plan",
    "PlanOptions",
    "Regimen",
    "__version__",
    "advise",
    "advise_missed",
    "audit",
    "audit_log",
    "check",
    "get_regimen",
    "load_regimens",
    "plan",
    "read_log",
    "taper",
]

if TYPE_CHECKING:
    from titrate.api import plan
    from titrate.catalog import get_regimen, load_regimens
    from titrate.core.audit import audit_log
    from titrate.core.audit import audit_log as audit
    from titrate.core.check import check
    from titrate.core.doselog import read_log
    from titrate.core.missed import advise
    from titrate.core.missed import advise as advise_missed
    from titrate.core.taper import taper
    from titrate.errors import InputError
    from titrate.model import Advice, AuditResult, Finding, Patient, Plan, PlanOptions, Regimen


def __getattr__(name: str) -> Any:
    where = _API.get(name)
    if where is None:
        raise AttributeError(f"module 'titrate' has no attribute {name!r}")
    import importlib

    module_name, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(module_name), attribute or name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
