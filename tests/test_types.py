"""The two definitions of every type: the light runtime records (`titrate.model`) and the
pydantic edge models (`titrate.schema`) that validate input and publish the schema.

They must not drift: a field added to one and not the other, moved, or given another
default fails here. And the records the planner builds must hold exactly the types
their fields declare (the edge would have coerced an int to a Decimal; nothing does
now), so the JSON and every renderer see what the schema promises."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import types
import typing
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import titrate.model
import titrate.schema
from titrate.model import Record
from titrate.requests import PlanRequest, TaperRequest

MODULES = [
    "units",
    "sourced",
    "products",
    "cautions",
    "regimen",
    "options",
    "plan",
    "advice",
    "audit",
]


def classes(package: str, base: type) -> dict[str, type]:
    found: dict[str, type] = {}
    for name in MODULES:
        module = importlib.import_module(f"{package}.{name}")
        for attribute, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, base)
                and value.__module__ == module.__name__
                and value.__name__ == attribute  # not an alias (units.Strict = Record)
            ):
                found[f"{name}.{attribute}"] = value
    return found


RUNTIME = classes("titrate.model", Record)
EDGE = classes("titrate.schema", BaseModel)


def test_the_modules_listed_are_all_there_is() -> None:
    for package in (titrate.model, titrate.schema):
        found = {info.name for info in pkgutil.iter_modules(package.__path__)}
        assert found - {"jsonout", "plain"} == set(MODULES)


def test_every_edge_model_has_a_runtime_record_and_back() -> None:
    assert set(RUNTIME) - {"units.Record"} == set(EDGE) - {"units.Strict"}
    assert len(RUNTIME) > 60


def _shape(hint: Any) -> Any:
    """A type hint reduced to what both definitions must agree on."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return _shape(args[0])
    if origin in (typing.Union, types.UnionType):
        return ("union", frozenset(_shape(arg) for arg in args))
    if origin is typing.Literal:
        return ("literal", frozenset(args))
    if origin in (list, dict):
        return (origin.__name__, tuple(_shape(arg) for arg in args))
    if inspect.isclass(hint) and issubclass(hint, Record | BaseModel):
        return ("record", hint.__name__)
    if getattr(hint, "__name__", None) == "AwareDatetime":  # pydantic's, checked at the edge
        return datetime
    return hint


def _runtime_fields(cls: type) -> list[tuple[str, Any, Any]]:
    hints = typing.get_type_hints(cls)
    out = []
    for info in msgspec.structs.fields(cls):
        if info.default is not msgspec.NODEFAULT:
            default: Any = info.default
        elif info.default_factory is not msgspec.NODEFAULT:
            default = info.default_factory()
        else:
            default = "(required)"
        if isinstance(default, Record):
            default = json.loads(default.model_dump_json())
        out.append((info.encode_name, _shape(hints[info.name]), default))
    return out


def _edge_fields(cls: type[BaseModel]) -> list[tuple[str, Any, Any]]:
    out = []
    for name, info in cls.model_fields.items():
        if info.default is not PydanticUndefined:
            default: Any = info.default
        elif info.default_factory is not None:
            default = info.default_factory()  # type: ignore[call-arg]
        else:
            default = "(required)"
        if isinstance(default, BaseModel):
            default = default.model_dump(mode="json")
        out.append((info.alias or name, _shape(info.annotation), default))
    return out


@pytest.mark.parametrize("name", sorted(set(RUNTIME) - {"units.Record"}))
def test_runtime_record_and_edge_model_have_the_same_fields(name: str) -> None:
    runtime, edge = _runtime_fields(RUNTIME[name]), _edge_fields(EDGE[name])  # type: ignore[arg-type]
    assert [field[0] for field in runtime] == [field[0] for field in edge], "names or order"
    assert runtime == edge, "types or defaults"


def test_the_drift_check_would_notice_a_new_field() -> None:
    class Finding(titrate.model.Finding, frozen=True, kw_only=True):
        extra: int = 0

    edge = EDGE["plan.Finding"]
    assert _runtime_fields(Finding) != _edge_fields(edge)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# The records the planner builds hold exactly their declared types


def conforms(value: Any, hint: Any, path: str) -> list[str]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if any(not conforms(value, arg, path) for arg in args):
            return []
        return [f"{path}: {value!r} is none of {hint}"]
    if hint is type(None):
        return [] if value is None else [f"{path}: {value!r} is not None"]
    if origin is typing.Literal:
        return [] if value in args else [f"{path}: {value!r} not in {args}"]
    if origin is list:
        if type(value) is not list:
            return [f"{path}: {type(value).__name__} is not a list"]
        return [p for i, item in enumerate(value) for p in conforms(item, args[0], f"{path}.{i}")]
    if origin is dict:
        if type(value) is not dict:
            return [f"{path}: {type(value).__name__} is not a dict"]
        return [
            p
            for key, item in value.items()
            for p in conforms(key, args[0], f"{path}.<key>") + conforms(item, args[1], path)
        ]
    if inspect.isclass(hint) and issubclass(hint, Record):
        if not isinstance(value, hint):
            return [f"{path}: {type(value).__name__} is not a {hint.__name__}"]
        hints = typing.get_type_hints(type(value))
        return [
            p
            for name in value.__struct_fields__
            for p in conforms(getattr(value, name), hints[name], f"{path}.{name}")
        ]
    if hint is datetime:
        if type(value) is not datetime or value.utcoffset() is None:
            return [f"{path}: {value!r} is not an aware datetime"]
        return []
    if hint in (Decimal, int, str, bool, date, time):
        return [] if type(value) is hint else [f"{path}: {value!r} is not a {hint.__name__}"]
    raise AssertionError(f"{path}: no check for {hint}")


REQUESTS: list[dict[str, Any]] = [
    {"regimen": "baclofen"},
    {"regimen": "baclofen", "steps": "20x4:3,25x4:3", "age_years": "10"},
    {"regimen": "baclofen", "product": "suspension", "crcl_ml_min": "40", "renal_adjust": True},
    {"regimen": "baclofen", "product": "granules", "then": "stop", "co_medications": ["alcohol"]},
    {"regimen": "baclofen", "target_mg": "12.5", "hold_days": "2", "dialysis": True},
    {"regimen": "tizanidine", "step_mg": "2", "every_days": "3", "target_mg": "8"},
    {"regimen": "dantrolene", "pregnant": True, "hepatic": True, "name": "A. Patient"},
]


@pytest.mark.parametrize("fields", REQUESTS, ids=lambda fields: "-".join(map(str, fields.values())))
def test_plans_hold_exactly_the_types_their_fields_declare(fields: dict[str, Any]) -> None:
    request = PlanRequest(start="2026-03-01", timezone="America/New_York", **fields)
    the_plan = request.plan()
    assert conforms(the_plan, titrate.model.Plan, "plan") == []
    assert conforms(request.options(), titrate.model.PlanOptions, "options") == []


def test_tapers_and_the_catalogue_hold_exactly_their_types() -> None:
    from titrate.catalog import builtin_regimens

    for regimen in builtin_regimens():
        assert conforms(regimen, titrate.model.Regimen, regimen.id) == []
    taper = TaperRequest(regimen="baclofen", from_mg="20", doses_per_day="3", start="2026-12-01")
    assert conforms(taper.plan(default_zone="UTC"), titrate.model.Plan, "taper") == []


def test_a_plan_read_back_through_the_edge_is_the_same_record() -> None:
    from titrate.schema import validate

    the_plan = PlanRequest(regimen="baclofen", start="2026-12-01", timezone="UTC").plan()
    again = validate(titrate.model.Plan, json.loads(the_plan.model_dump_json()))
    assert again == the_plan
    assert conforms(again, titrate.model.Plan, "plan") == []


# ---------------------------------------------------------------------------------------
# The requests' shortcut (titrate.model.plain) accepts only what the edge model accepts


def _option_values() -> list[dict[str, Any]]:
    from datetime import UTC

    from titrate.model import Patient, Step

    base: dict[str, Any] = {
        "start": date(2026, 12, 1), "timezone": "UTC", "times": None, "target_mg": None,
        "step_mg": None, "every_days": None, "hold_days": 0, "steps": None,
        "patient": Patient(), "renal_adjust": False, "then": None, "product": None,
        "strengths": None, "first_dose": None, "now": None,
    }  # fmt: skip
    step = Step(dose_mg=Decimal(5), per_day=3, days=3)
    variants: list[dict[str, Any]] = [
        {},
        {"times": [time(8), time(20)], "target_mg": Decimal("12.5"), "then": "stop"},
        {"step_mg": Decimal("2.125"), "every_days": 365, "hold_days": 3, "product": "tablets"},
        {"steps": [step, Step(dose_mg=Decimal(8), per_day=2, days=1, doses_mg=[Decimal(8),
                                                                                Decimal(6)])]},
        {"strengths": [Decimal(5), Decimal(10)], "renal_adjust": True},
        {"first_dose": time(14), "now": datetime(2026, 12, 1, 9, tzinfo=UTC)},
        {"patient": Patient(name="Zoë", age_years=Decimal(70), co_medications=["alcohol"])},
        # each of these the edge refuses or converts: the shortcut must not take them
        {"every_days": 0}, {"every_days": 366}, {"every_days": True}, {"hold_days": -1},
        {"target_mg": Decimal("5.0001")}, {"target_mg": Decimal(0)}, {"target_mg": 5},
        {"step_mg": Decimal("NaN")}, {"strengths": [Decimal("1E+6")]}, {"then": "maybe"},
        {"times": (time(8),)}, {"times": ["08:00"]}, {"renal_adjust": 1},
        {"steps": [Step(dose_mg=Decimal(5), per_day=0, days=3)]},
        {"steps": [Step(dose_mg=Decimal(5), per_day=2, days=3, doses_mg=[Decimal(5)])]},
        {"steps": [{"dose_mg": 5, "per_day": 3, "days": 3}]},
        {"now": datetime(2026, 12, 1, 9)}, {"first_dose": "14:00"},
        {"patient": Patient(name="a\udcffb")}, {"patient": Patient(age_years=Decimal(-1))},
        {"patient": {"name": "x"}}, {"start": datetime(2026, 12, 1, tzinfo=UTC)},
    ]  # fmt: skip
    return [{**base, **variant} for variant in variants]


@pytest.mark.parametrize("values", _option_values(), ids=lambda values: repr(values)[-60:])
def test_the_shortcut_takes_only_options_the_edge_model_takes_unchanged(
    values: dict[str, Any],
) -> None:
    from pydantic import ValidationError

    from titrate.model import PlanOptions
    from titrate.model.plain import plain_options
    from titrate.schema import to_edge_data, to_runtime
    from titrate.schema.options import PlanOptions as Edge

    if not plain_options(values):
        return
    try:
        edge = Edge.model_validate({key: to_edge_data(value) for key, value in values.items()})
    except ValidationError as exc:  # pragma: no cover - the failure this test looks for
        raise AssertionError(f"the shortcut took what the edge refuses: {exc}") from None
    assert to_runtime(edge, PlanOptions) == PlanOptions(**values)
    assert conforms(PlanOptions(**values), PlanOptions, "options") == []


def test_the_shortcut_is_taken_for_what_the_command_line_gives() -> None:
    from titrate.model.plain import plain_options

    taken = [values for values in _option_values() if plain_options(values)]
    assert len(taken) == 7  # the valid variants above, and none of the others
