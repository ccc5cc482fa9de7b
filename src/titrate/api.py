"""The Python API: the same functions the CLI calls, returning pydantic models."""

from __future__ import annotations

from titrate.adjust import adjust_plan
from titrate.measure import measure_plan
from titrate.model import Plan, PlanOptions, Regimen
from titrate.rules import check_plan
from titrate.schedule import build_schedule


def plan(regimen: Regimen, options: PlanOptions) -> Plan:
    """Build a dated, timed plan for `regimen` and attach every finding.

    >>> from datetime import date
    >>> from titrate import get_regimen, PlanOptions
    >>> p = plan(get_regimen("baclofen"), PlanOptions(start=date(2026, 12, 1), timezone="UTC"))
    >>> len(p.doses), [str(d.total_mg) for d in p.days][:4], p.findings
    (36, ['15', '15', '15', '30'], [])
    """
    # patient context and any renal reduction come before measuring in a product
    adjusted = adjust_plan(build_schedule(regimen, options), regimen, options)
    schedule = measure_plan(adjusted, regimen, options)
    return schedule.model_copy(update={"findings": check_plan(schedule, regimen)})
