"""JSON of the runtime types, byte for byte what the pydantic models wrote before them:
fields in order, `None` as null, dates and times in ISO 8601 (UTC as `Z`), and every
Decimal as a JSON number (`json_number`: 15, not 15.0 or 1.5E+1; 2.5; never a string).

msgspec writes everything but the Decimals (it writes a Decimal as its own text, 5.0
for Decimal("5.0")), so each type gets a small converter, made once, that copies its
fields to a dict (`msgspec.structs.asdict`, in C) and turns only the fields that hold
Decimals or other records into their JSON values. `msgspec.json.format` indents it as
pydantic's `indent=2` did."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import msgspec

from titrate.model.units import _JsonNumbers

Convert = Callable[[Any], Any]

_NUMBER: Convert = _JsonNumbers().__getitem__
_ENCODE = msgspec.json.Encoder().encode
_CONVERTERS: dict[type, Convert] = {}


def dump_json(
    value: msgspec.Struct, *, indent: int | None = None, exclude: set[str] | None = None
) -> str:
    """`value` as JSON text: compact, or indented by `indent` spaces; without the
    top-level fields in `exclude`."""
    tree = converter(type(value))(value)
    if exclude:
        tree = {key: item for key, item in tree.items() if key not in exclude}
    data = _ENCODE(tree)
    if indent is not None:
        data = msgspec.json.format(data, indent=indent)
    return data.decode("utf-8")


def dump_json_bytes(value: msgspec.Struct) -> bytes:
    """`value` as compact JSON bytes (a batch writes one per line)."""
    return _ENCODE(converter(type(value))(value))


def to_builtins(value: msgspec.Struct) -> dict[str, Any]:
    """The fields as nested dicts and lists, Python values kept (Decimal, date, time)."""
    return msgspec.to_builtins(value, builtin_types=(Decimal, datetime, date, time))  # type: ignore[no-any-return]


def converter(cls: type) -> Convert:
    """The function that turns a record of type `cls` into what `msgspec` encodes."""
    found = _CONVERTERS.get(cls)
    if found is None:
        found = _CONVERTERS[cls] = _struct_converter(cls)
    return found


def _struct_converter(cls: type) -> Convert:
    asdict = msgspec.structs.asdict
    hints = typing.get_type_hints(cls)
    fields = [(name, _value_converter(hints[name])) for name in cls.__struct_fields__]  # type: ignore[attr-defined]
    changed = [(name, convert) for name, convert in fields if convert is not None]
    renamed = cls.__struct_encode_fields__ != cls.__struct_fields__  # type: ignore[attr-defined]
    if renamed:
        keys = list(zip(cls.__struct_encode_fields__, cls.__struct_fields__, strict=True))  # type: ignore[attr-defined]
        converters = dict(fields)

        def convert_renamed(value: Any) -> dict[str, Any]:
            out = {}
            for key, name in keys:
                item = getattr(value, name)
                convert = converters[name]
                out[key] = item if convert is None else convert(item)
            return out

        return convert_renamed
    if not changed:
        return asdict
    if len(changed) == 1:
        ((only, convert_one),) = changed

        def convert_single(value: Any) -> dict[str, Any]:
            out = asdict(value)
            out[only] = convert_one(out[only])
            return out

        return convert_single

    def convert_struct(value: Any) -> dict[str, Any]:
        out = asdict(value)
        for name, convert in changed:
            out[name] = convert(out[name])
        return out

    return convert_struct


def _value_converter(hint: Any) -> Convert | None:
    """How to convert a value of this type hint (None: msgspec writes it as it is)."""
    if hint is Decimal:
        return _NUMBER
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        return lambda value: converter(type(value))(value)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        inner = [_value_converter(arg) for arg in options]
        if all(convert is None for convert in inner):
            return None
        if len(options) == 1 and inner[0] is not None:
            convert_option = inner[0]
            return lambda value: None if value is None else convert_option(value)
        return _any_value
    if origin is list:
        found = _value_converter(args[0])
        if found is None:
            return None
        if found is _NUMBER:
            return lambda values: [_NUMBER(value) for value in values]
        each: Convert = found
        return lambda values: [each(value) for value in values]
    if origin is dict:
        found = _value_converter(args[1])
        if found is None:
            return None
        every: Convert = found
        return lambda values: {key: every(value) for key, value in values.items()}
    if origin is typing.Literal or hint in (str, int, bool, date, datetime, time):
        return None
    return _any_value


def _any_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _NUMBER(value)
    if isinstance(value, msgspec.Struct):
        return converter(type(value))(value)
    if isinstance(value, list):
        return [_any_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _any_value(item) for key, item in value.items()}
    return value
