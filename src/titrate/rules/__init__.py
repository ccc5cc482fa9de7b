"""Rules, like linter rules: each module holds a family of small registered functions.

`check_plan` runs every plan rule; `catalogue` lists them for `titrate rules`.
"""

from __future__ import annotations

from titrate.model import Finding, Plan, Regimen
from titrate.rules import (  # noqa: F401  (registers rules)
    audit,
    escalation,
    limits,
    patient,
    product,
    stopping,
)
from titrate.rules.base import REGISTRY, Context, Rule, at_or_above, sort_findings

__all__ = ["REGISTRY", "Rule", "at_or_above", "catalogue", "check_plan", "sort_findings"]


def catalogue() -> list[Rule]:
    """Every registered rule in code order."""
    return [REGISTRY[code] for code in sorted(REGISTRY)]


def check_plan(plan: Plan, regimen: Regimen) -> list[Finding]:
    """Run every plan rule against the plan."""
    context = Context(regimen=regimen, plan=plan)
    found: list[Finding] = []
    for rule in catalogue():
        if rule.scope != "plan":
            continue
        found.extend(rule.finding(regimen, hit) for hit in rule.check(context))
    return sort_findings(found)
