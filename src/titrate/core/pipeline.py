"""The plan pipeline: schedule → patient adjustments → product amounts → findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from msgspec.structs import replace

from titrate.core.adjust import adjust_plan, check_patient, renal_paced
from titrate.core.ladders import choose, ladder_sentence
from titrate.core.measure import ladder_amounts, measure_plan
from titrate.core.schedule import build_schedule
from titrate.model import Amount, Plan, PlanOptions, Regimen, Step
from titrate.rules import checked


def plan(regimen: Regimen, options: PlanOptions) -> Plan:
    """Build a dated, timed plan for `regimen` and attach every finding.

    >>> from datetime import date
    >>> from titrate import get_regimen, PlanOptions
    >>> p = plan(get_regimen("baclofen"), PlanOptions(start=date(2026, 12, 1), timezone="UTC"))
    >>> len(p.doses), [str(d.total_mg) for d in p.days][:4], p.findings
    (36, ['15', '15', '15', '30'], [])
    """
    # A regimen with several ladders is planned on the one chosen by indication and
    # co-medication (its titration, limits and dose times); the plan says which.
    chosen = choose(regimen, options.indication, options.patient.co_medications)
    regimen = chosen.regimen
    # Patient context and any renal reduction come before measuring in a product.
    # Without a renal reduction the schedule's doses are final, so they are measured as
    # the schedule is built and each Dose is made once (measure_plan keeps them); the
    # patient is checked first so that errors come in the same order either way.
    amounts_for = None
    if not options.renal_adjust:

        def amounts_for(steps: Sequence[Step]) -> Mapping[Decimal, Amount | None]:
            check_patient(regimen, options.patient)
            return ladder_amounts(regimen, options, steps)

    # A renal reduction also lengthens the regimen's own steps (renal_paced).
    schedule_regimen = renal_paced(regimen, options)
    built = build_schedule(schedule_regimen, options, amounts_for)
    adjusted = adjust_plan(built, regimen, options)
    schedule = measure_plan(adjusted, regimen, options)
    if chosen.ladder is not None:
        schedule = replace(
            schedule,
            ladder=chosen.ladder,
            notes=[ladder_sentence(regimen, chosen.ladder), *schedule.notes],
        )
    return checked(schedule, regimen)
