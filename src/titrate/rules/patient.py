"""Patient rules: who the regimen is for."""

from __future__ import annotations

from collections.abc import Iterator

from titrate.rules.base import Context, Hit, rule


@rule("TT201", "age-below-minimum", "error", "population.min_age_years")
def age_below_minimum(ctx: Context) -> Iterator[Hit]:
    """Patient younger than the regimen's population.

    Passes: baclofen for a patient aged 12 or older.
    Fails:  baclofen for a patient aged 10 (safety below 12 years not established).
    """
    population = ctx.regimen.population
    age = ctx.plan.patient.age_years
    if population is None or age is None:
        return
    if age < population.min_age_years:
        yield Hit(
            f"Patient aged {age} is below the regimen's minimum age of "
            f"{population.min_age_years} years.",
            population,
        )
