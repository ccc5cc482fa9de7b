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


def json_number(value: Decimal) -> int | float:
    """Decimal → JSON number: integers stay integers (15, not 15.0); display rounding is
    the renderers' job, so nothing is rounded here. (A plain int or float, which a record
    made by hand from Python may hold, is written as it is.)"""
    if not isinstance(value, Decimal):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


class _JsonNumbers(dict[Decimal, int | float]):
    """json_number as a table filled on first use. A plan's JSON holds a few hundred
    Decimals but only a handful of distinct values (the doses, their amounts and
    totals); a dict look-up is a C call where json_number is a Python one. Safe because
    json_number depends only on the numeric value, and Decimals that compare equal (5,
    5.0, 5E+0) hash equal and give the same number."""

    LIMIT = 4096  # distinct values kept; a batch of unusual doses must not grow it forever

    def __missing__(self, value: Decimal) -> int | float:
        if len(self) >= self.LIMIT:
            self.clear()
        number = self[value] = json_number(value)
        return number


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


def _datetime(value: datetime) -> datetime | str:
    """A datetime as pydantic wrote it. msgspec writes the same text, except for a UTC
    offset with seconds (local mean time before a zone's first standard time, e.g.
    -00:00:52 in Accra in 1899): msgspec rounds it to the minute (-00:01), pydantic cut
    the seconds off (-00:00), and plan files written before must read back the same."""
    offset = value.utcoffset()
    if offset is None or not offset.seconds % 60:
        return value
    total = int(offset.total_seconds())
    hours, minutes = divmod(abs(total) // 60, 60)
    sign = "-" if total < 0 else "+"
    return f"{value.replace(tzinfo=None).isoformat()}{sign}{hours:02}:{minutes:02}"


def _value_converter(hint: Any) -> Convert | None:
    """How to convert a value of this type hint (None: msgspec writes it as it is)."""
    if hint is Decimal:
        return _NUMBER
    if hint is datetime:
        return _datetime
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        if hint.__name__ in _SHARED:
            return _shared_record
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
    if origin is typing.Literal or hint in (str, int, bool, date, time):
        return None
    return _any_value


# Records the planner shares between doses (one Amount per distinct dose of a plan, and
# across plans of the same shape): converted once, while the very same object is in use.
# A record is immutable, so the same object converts to the same value; the entry holds
# the object, so its id cannot be reused while the entry lives.
_SHARED = frozenset({"Amount"})
_MEMO: dict[int, tuple[Any, Any]] = {}
_MEMO_LIMIT = 4096


def _shared_record(value: Any) -> Any:
    entry = _MEMO.get(id(value))
    if entry is not None and entry[0] is value:
        return entry[1]
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    converted = converter(type(value))(value)
    _MEMO[id(value)] = (value, converted)
    return converted


def _any_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _NUMBER(value)
    if isinstance(value, msgspec.Struct):
        return converter(type(value))(value)
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, list):
        return [_any_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _any_value(item) for key, item in value.items()}
    return value
