"""titrate: dosing titration planner.

The public API is imported lazily (PEP 562) so that `import titrate` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "load_regimens": "titrate.catalog",
    "get_regimen": "titrate.catalog",
    "plan": "titrate.api",
    "InputError": "titrate.errors",
    "Plan": "titrate.model",
    "Regimen": "titrate.model",
    "Finding": "titrate.model",
    "PlanOptions": "titrate.model",
    "Patient": "titrate.model",
}

__all__ = [
    "Finding",
    "InputError",
    "Patient",
    "Plan",
    "PlanOptions",
    "Regimen",
    "__version__",
    "get_regimen",
    "load_regimens",
    "plan",
]

if TYPE_CHECKING:
    from titrate.api import plan
    from titrate.catalog import get_regimen, load_regimens
    from titrate.errors import InputError
    from titrate.model import Finding, Patient, Plan, PlanOptions, Regimen


def __getattr__(name: str) -> Any:
    module_name = _API.get(name)
    if module_name is None:
        raise AttributeError(f"module 'titrate' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
