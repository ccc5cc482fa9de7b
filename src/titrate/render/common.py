"""Small display helpers shared by the text renderers (rounding happens only here)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from titrate.model import Finding, Plan

SEVERITY_LABEL = {"error": "ERROR", "warning": "WARNING", "info": "NOTE"}


def number(value: Decimal, places: str = "0.01") -> str:
    """A Decimal for people: at most two decimals, no trailing zeros (7.50 → 7.5)."""
    rounded = value.quantize(Decimal(places), rounding=ROUND_HALF_UP).normalize()
    text = format(rounded, "f")
    return "0" if text in ("-0", "") else text


def mg(value: Decimal) -> str:
    # Doses are exact to a microgram (model.MG_DECIMAL_PLACES): show all three places.
    return f"{number(value, '0.001')} mg"


def finding_line(finding: Finding) -> str:
    """`ERROR over-daily-max (TT101): message`."""
    return f"{SEVERITY_LABEL[finding.severity]} {finding.rule} ({finding.code}): {finding.message}"


def plan_findings_without_day(plan: Plan) -> list[Finding]:
    return [finding for finding in plan.findings if finding.day is None]


def title(plan: Plan) -> str:
    kinds = {"titration": "titration", "custom": "custom schedule", "taper": "taper"}
    who = f" for {plan.patient.name}" if plan.patient.name else ""
    return f"{plan.regimen.name} {kinds[plan.kind]}{who}, starting {plan.start.isoformat()}"
