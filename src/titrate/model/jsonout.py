"""JSON of the runtime types, byte for byte what the pydantic models wrote before them:
fields in order, `None` as null, dates and times in ISO 8601 (UTC as `Z`), and every
Decimal as a JSON number (`json_number`: 15, not 15.0 or 1.5E+1; 2.5; never a string).

msgspec writes everything but the Decimals (it writes a Decimal as its own text, 5.0
for Decimal("5.0")), so each type gets a small converter, made once, that copies its
fields to a dict (`msgspec.structs.asdict`, in C) and turns only the fields that hold
Decimals or other records into their JSON values. `msgspec.json.format` indents it as
pydantic's `indent=2` did."""

from __future__ import annotations

import operator
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


# A record's converter starts as a loop over its fields; after this many records of its
# type it is replaced by a function generated for the type. A one-shot plan converts a
# few dozen records of a type (compiling ~20 functions would cost it ~1 ms); a batch
# converts hundreds of thousands, each in half the time.
GENERATE_AFTER = 500

# (key written, field name, its converter or None, whether None is kept as it is)
_Field = tuple[str, str, Convert | None, bool]


def _struct_converter(cls: type) -> Convert:
    hints = typing.get_type_hints(cls)
    names: tuple[str, ...] = cls.__struct_fields__  # type: ignore[attr-defined]
    keys: tuple[str, ...] = cls.__struct_encode_fields__  # type: ignore[attr-defined]
    fields: list[_Field] = []
    for key, name in zip(keys, names, strict=True):
        inner = _unwrapped(hints[name])
        fields.append((key, name, inner or _value_converter(hints[name]), inner is not None))
    if keys == names and all(convert is None for _, _, convert, _ in fields):
        return msgspec.structs.asdict
    uses = 0

    def convert(value: Any) -> dict[str, Any]:
        nonlocal uses
        uses += 1
        if uses == GENERATE_AFTER:
            _CONVERTERS[cls] = _generated(fields)
        out = {}
        for key, name, each, optional in fields:
            item = getattr(value, name)
            out[key] = item if each is None or (optional and item is None) else each(item)
        return out

    return convert


def _generated(fields: list[_Field]) -> Convert:
    """The converter as one dict expression, each field read once and only the fields
    that need it converted (`{"number": value.number, "at": convert_at(value.at), ...}`)."""
    scope: dict[str, Any] = {}
    items = []
    for key, name, convert, optional in fields:
        read = f"value.{name}"  # a field name is an identifier
        if convert is not None:
            scope[f"convert_{name}"] = convert
            read = (
                f"(None if {read} is None else convert_{name}({read}))"
                if optional
                else f"convert_{name}({read})"
            )
        items.append(f"{key!r}: {read}")
    exec(f"def convert(value):\n    return {{{', '.join(items)}}}\n", scope)
    made: Convert = scope["convert"]
    return made


def _unwrapped(hint: Any) -> Convert | None:
    """For `T | None` whose T needs converting: T's converter (the None test is written
    into the record's function instead of another call)."""
    if typing.get_origin(hint) not in (typing.Union, types.UnionType):
        return None
    options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if len(options) != 1 or len(options) == len(typing.get_args(hint)):
        return None
    return _value_converter(options[0])


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
        return _record
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
        if found is _record:
            return lambda values: [converter(type(value))(value) for value in values]
        if found is _shared_record:
            return _shared_records
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


# Records the planner shares between plans (one Amount per distinct dose of a plan and
# across plans of the same shape; a regimen's reference, product, sources, notices and
# dispensing lines, made once per regimen and shape): encoded once, while the very same
# object is in use, and written as those bytes (`msgspec.Raw`) into every plan holding
# it. A record is immutable, so the same object encodes to the same bytes; the entry
# holds the object, so its id cannot be reused while the entry lives.
_SHARED = frozenset(
    {"Amount", "RegimenRef", "ProductRef", "SourceRef", "NoticeRef", "DispenseLine"}
)
_MEMO: dict[int, tuple[Any, msgspec.Raw]] = {}
_MEMO_LIMIT = 4096


def _shared_record(value: Any) -> msgspec.Raw:
    entry = _MEMO.get(id(value))
    if entry is not None and entry[0] is value:
        return entry[1]
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    encoded = msgspec.Raw(_ENCODE(converter(type(value))(value)))
    _MEMO[id(value)] = (value, encoded)
    return encoded


def _record(value: Any) -> Any:
    return converter(type(value))(value)


# A list of shared records the planner copies into every plan of a regimen (its 27
# sources): the same objects in the same order give the same bytes, checked in C
# (`map(is_, ...)`) instead of a look-up per record.
_LISTS: dict[tuple[int, int], tuple[tuple[Any, ...], msgspec.Raw]] = {}


def _shared_records(values: list[Any]) -> msgspec.Raw | list[msgspec.Raw]:
    if not values:
        return []
    key = (id(values[0]), len(values))
    entry = _LISTS.get(key)
    if entry is not None and all(map(operator.is_, entry[0], values)):
        return entry[1]
    if len(_LISTS) >= _MEMO_LIMIT:
        _LISTS.clear()
    encoded = msgspec.Raw(_ENCODE([_shared_record(value) for value in values]))
    _LISTS[key] = (tuple(values), encoded)  # holds the records: their ids stay theirs
    return encoded


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
