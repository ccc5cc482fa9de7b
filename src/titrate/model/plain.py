"""Is a value plainly valid as it is? The checks that let a request build its runtime
records (`Patient`, `PlanOptions`) without building the pydantic edge model.

The edge models (`titrate.schema.options`) define what a valid Patient or PlanOptions
is; building one costs more than the rest of a one-shot plan. So the values a request
has already parsed are first checked here against the same constraints, conservatively:
values that pass are certainly valid as they are; anything else (a bool given as a count,
4 decimal places, a tuple of times, a Step made by hand) goes through the edge model,
which accepts it or words the error exactly as it always has (`requests.valid_options`).
A test runs both on the same values (tests/test_types.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from msgspec.structs import asdict

from titrate.model.options import Patient
from titrate.model.regimen import Step
from titrate.model.units import ABSURD_MG, MG_DECIMAL_PLACES


def _is_mg(value: object) -> bool:
    """A Decimal the edge's `Mg` accepts as it is: finite, 0 < mg ≤ ABSURD_MG, at most
    MG_DECIMAL_PLACES places."""
    if type(value) is not Decimal or not value.is_finite() or not 0 < value <= ABSURD_MG:
        return False
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and -exponent <= MG_DECIMAL_PLACES


def _is_number(value: object) -> bool:
    """A Decimal the edge's `Number` accepts as it is: finite, 0 ≤ n ≤ ABSURD_MG."""
    return type(value) is Decimal and value.is_finite() and 0 <= value <= ABSURD_MG


def _is_count(value: object, least: int, most: int | None = None) -> bool:
    return type(value) is int and value >= least and (most is None or value <= most)


def _is_aware(value: object) -> bool:
    return type(value) is datetime and value.utcoffset() is not None


def _is_step(step: object) -> bool:
    if type(step) is not Step:
        return False
    doses = step.doses_mg
    return (
        _is_mg(step.dose_mg)
        and _is_count(step.per_day, 1, 24)
        and _is_count(step.days, 1, 3660)
        and _is_count(step.every_days, 1, min(14, step.days))
        and (step.weeks is None or step.days == 7 * step.weeks)
        and (
            doses is None
            or (
                type(doses) is list
                and all(_is_mg(dose) for dose in doses)
                and len(doses) == step.per_day
                and max(doses) == step.dose_mg
            )
        )
    )


def _printable(text: str) -> bool:
    """No lone surrogates (bytes that were not UTF-8), as the edge's PrintableText."""
    return not any("\ud800" <= char <= "\udfff" for char in text)


def plain_patient(values: dict[str, object]) -> bool:
    name = values.get("name")
    co = values.get("co_medications", [])
    return (
        (name is None or (type(name) is str and len(name) <= 10_000 and _printable(name)))
        and all(
            values.get(key) is None or _is_number(values.get(key))
            for key in ("age_years", "crcl_ml_min")
        )
        and all(type(values.get(key, False)) is bool for key in ("dialysis", "pregnant", "hepatic"))
        and type(co) is list
        and all(type(item) is str for item in co)
        and set(values) <= _PATIENT_FIELDS
    )


_PATIENT_FIELDS = frozenset(
    ("name", "age_years", "crcl_ml_min", "dialysis", "co_medications", "pregnant", "hepatic")
)


def plain_options(values: dict[str, object]) -> bool:
    times, steps, strengths = values["times"], values["steps"], values["strengths"]
    every = values["every_days"]
    return (
        type(values["start"]) is date
        and type(values["timezone"]) is str
        and (times is None or (type(times) is list and all(type(t) is time for t in times)))
        and all(values[key] is None or _is_mg(values[key]) for key in ("target_mg", "step_mg"))
        and (every is None or _is_count(every, 1, 365))
        and _is_count(values["hold_days"], 0)
        and (steps is None or (type(steps) is list and all(_is_step(step) for step in steps)))
        and type(values["patient"]) is Patient
        and plain_patient(asdict(values["patient"]))
        and values["then"] in (None, "continue", "stop", "review")
        and type(values["renal_adjust"]) is bool
        and (values["product"] is None or type(values["product"]) is str)
        and (values.get("first_dose") is None or type(values["first_dose"]) is time)
        and (values.get("now") is None or _is_aware(values["now"]))
        and (strengths is None or (type(strengths) is list and all(_is_mg(mg) for mg in strengths)))
        and (values.get("indication") is None or type(values["indication"]) is str)
    )
