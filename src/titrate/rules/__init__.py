"""Rules, like linter rules: each module holds a family of small registered functions.

`run(scope, context)` is the only way findings are made (for plans, checked files,
tapers, audits and the API); `catalogue` lists the rules for `titrate rules`.

The log rules (`audit`) are registered when first needed (a log-scope run, the
catalogue, `REGISTRY`): a plan never runs them, and importing them (with what they
import) cost ~3 ms of every one-shot plan.
"""

from __future__ import annotations

from msgspec.structs import replace

from titrate.model import Finding, Plan, Regimen
from titrate.rules import (  # noqa: F401  (registers the plan rules)
    escalation,
    interactions,
    limits,
    patient,
    product,
    renal,
    stopping,
)
from titrate.rules.base import REGISTRY as _REGISTRY
from titrate.rules.base import (
    Context,
    LogContext,
    Rule,
    Scope,
    StartingDose,
    at_or_above,
    collapse_runs,
    sort_findings,
)

__all__ = [
    "REGISTRY",
    "Context",
    "LogContext",
    "Rule",
    "StartingDose",
    "at_or_above",
    "catalogue",
    "checked",
    "run",
    "sort_findings",
]


def _register_log_rules() -> None:
    import titrate.rules.audit  # noqa: F401  (registers the log rules)


def __getattr__(name: str) -> dict[str, Rule]:
    """`REGISTRY`: every rule by code, the log rules registered first."""
    if name == "REGISTRY":
        _register_log_rules()
        return _REGISTRY
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def catalogue() -> list[Rule]:
    """Every registered rule in code order."""
    _register_log_rules()
    return [_REGISTRY[code] for code in sorted(_REGISTRY)]


def run(scope: Scope, context: Context | LogContext) -> list[Finding]:
    """Every rule of `scope` against `context`: runs of days with the same finding
    collapsed to one ("Days 4–6: …"), the most severe first."""
    if scope != "plan":
        _register_log_rules()
    regimen = context.regimen
    found = [rule.finding(regimen, hit) for rule in _of_scope(scope) for hit in rule.check(context)]
    return sort_findings(collapse_runs(found))


_SCOPED: dict[str, tuple[int, list[Rule]]] = {}


def _of_scope(scope: Scope) -> list[Rule]:
    """The rules of `scope` in code order (kept while no rule is registered: a batch
    runs them for every row)."""
    kept = _SCOPED.get(scope)
    if kept is None or kept[0] != len(_REGISTRY):
        rules = [_REGISTRY[code] for code in sorted(_REGISTRY) if _REGISTRY[code].scope == scope]
        kept = _SCOPED[scope] = (len(_REGISTRY), rules)
    return kept[1]


def checked(plan: Plan, regimen: Regimen, starting: StartingDose | None = None) -> Plan:
    """The plan with its findings: every plan rule run afresh (earlier ones replaced);
    `starting` is the dose before its day 1, when known (a taper's current dose)."""
    context = Context(regimen=regimen, plan=plan, starting=starting)
    return replace(plan, findings=run("plan", context))
