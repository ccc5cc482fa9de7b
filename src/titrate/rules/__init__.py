"""Rules, like linter rules: each module holds a family of small registered functions.

`run(scope, context)` is the only way findings are made (for plans, checked files,
tapers, audits and the API); `catalogue` lists the rules for `titrate rules`.
"""

from __future__ import annotations

from msgspec.structs import replace

from titrate.model import Finding, Plan, Regimen
from titrate.rules import (  # noqa: F401  (registers rules)
    audit,
    escalation,
    interactions,
    limits,
    patient,
    product,
    renal,
    stopping,
)
from titrate.rules.base import (
    REGISTRY,
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


def catalogue() -> list[Rule]:
    """Every registered rule in code order."""
    return [REGISTRY[code] for code in sorted(REGISTRY)]


def run(scope: Scope, context: Context | LogContext) -> list[Finding]:
    """Every rule of `scope` against `context`: runs of days with the same finding
    collapsed to one ("Days 4–6: …"), the most severe first."""
    regimen = context.regimen
    found = [
        rule.finding(regimen, hit)
        for rule in catalogue()
        if rule.scope == scope
        for hit in rule.check(context)
    ]
    return sort_findings(collapse_runs(found))


def checked(plan: Plan, regimen: Regimen, starting: StartingDose | None = None) -> Plan:
    """The plan with its findings: every plan rule run afresh (earlier ones replaced);
    `starting` is the dose before its day 1, when known (a taper's current dose)."""
    context = Context(regimen=regimen, plan=plan, starting=starting)
    return replace(plan, findings=run("plan", context))
