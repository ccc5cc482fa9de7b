"""The edge: pydantic models that validate untrusted input (a user's regimen file, a
plan file, a batch row, a FHIR order) and define the published JSON Schema
(`titrate schema`).

Each runtime type `titrate.model.<module>.<Name>` (a light msgspec record) has its edge
model here as `titrate.schema.<module>.<Name>`, with the same fields in the same order
(a test compares every pair). Values are validated by the edge model, then converted to
the runtime type (`validate`, `to_runtime`); nothing on the path of a plan from the
built-in regimens imports this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

if TYPE_CHECKING:
    from pydantic import BaseModel

RecordT = TypeVar("RecordT", bound=msgspec.Struct)


def edge_model(cls: type[msgspec.Struct]) -> type[BaseModel]:
    """The pydantic model that validates values of the runtime type `cls`."""
    module = cls.__module__.replace("titrate.model.", "titrate.schema.", 1)
    found: type[BaseModel] = getattr(importlib.import_module(module), cls.__name__)
    return found


def to_runtime(model: BaseModel, cls: type[RecordT]) -> RecordT:
    """A validated edge model as the runtime type `cls` (nothing is validated again)."""
    return msgspec.convert(model.model_dump(), cls)


def to_edge_data(value: Any) -> Any:
    """A runtime value as data an edge model validates (records → dicts)."""
    from titrate.model.jsonout import to_builtins

    if isinstance(value, msgspec.Struct):
        return to_builtins(value)
    if isinstance(value, list | tuple):
        return [to_edge_data(item) for item in value]
    return value


def validate(cls: type[RecordT], data: Any) -> RecordT:
    """`data` (dicts, lists, text, numbers) validated by the edge model of `cls`;
    raises pydantic's ValidationError."""
    return to_runtime(edge_model(cls).model_validate(to_edge_data(data)), cls)


def validate_json(cls: type[RecordT], text: str | bytes) -> RecordT:
    """JSON text validated by the edge model of `cls`; raises pydantic's ValidationError."""
    return to_runtime(edge_model(cls).model_validate_json(text), cls)
