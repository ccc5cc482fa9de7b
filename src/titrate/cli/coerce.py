"""Option values coerced directly, without typer's per-option pydantic adapters.

typer 0.29 coerces each parameter of the command that runs through a pydantic
`TypeAdapter` built on first use (for `plan`'s 26 options, given or not: ≈ 17 ms, plus
≈ 20 ms importing typer's `_adapters`). titrate's parameters are plain: text, whole
numbers with an optional range, paths, a choice of an enum, lists of those, and flags.
`install` gives each such parameter a coercion that converts the usual values itself,
with the very messages typer's adapters give; any other value (a number written `+5` or
`5_000`, a path written `./x/`, bytes) goes to typer's own coercion, built only then, so
what a user sees never differs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

from typer._click.exceptions import BadParameter
from typer._click.utils import _escape_control_characters
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path, routes_to_path
from typer.core import _TyperParameter

if TYPE_CHECKING:
    from typer._click import Command, Context
    from typer._param_types import ParameterAnnotation
    from typer.models import ParameterInfo

# A whole number as typed, which int() reads exactly as pydantic does (pydantic also reads
# `+5`, ` 5`, `5_000` and `5.0`: those take typer's path, as do numbers past 18 digits).
_WHOLE = re.compile(r"-?[0-9]{1,18}")

Leaf = Callable[[Any, _TyperParameter, "Context"], Any]


class _Unusual(Exception):
    """A value this module leaves to typer's own coercion."""


class DirectParam(RuntimeParam):
    """A parameter's coercion: `leaf` for each value (each item of a list). (A plain
    subclass of typer's frozen dataclass: making a dataclass costs ~0.5 ms at import.)"""

    leaf: Leaf
    many: bool

    def __init__(
        self,
        *,
        parameter_info: ParameterInfo,
        annotation: ParameterAnnotation,
        leaf: Leaf,
        many: bool,
    ) -> None:
        super().__init__(parameter_info=parameter_info, annotation=annotation)
        object.__setattr__(self, "leaf", leaf)
        object.__setattr__(self, "many", many)

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        try:
            if not self.many:
                return self.leaf(value, param, ctx)
            items = value if isinstance(value, list | tuple) else [value]
            return [self.leaf(item, param, ctx) for item in items]
        except _Unusual:
            typer_own = build_runtime_param(param.type_descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)


def install(command: Command, ctx: Context) -> None:
    """Give each plain parameter of `command` (its help option too) its direct coercion,
    before the command parses its arguments."""
    for param in command.get_params(ctx):
        if not isinstance(param, _TyperParameter) or param._runtime_param is not None:
            continue
        descriptor = param.type_descriptor
        annotation: Any = descriptor.annotation
        many = False
        if get_origin(annotation) is list and len(get_args(annotation)) == 1:
            annotation, many = get_args(annotation)[0], True
        leaf = _leaf(annotation, descriptor)
        if leaf is not None:
            param._runtime_param = DirectParam(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                leaf=leaf,
                many=many,
            )


def _leaf(annotation: Any, descriptor: TypeDescriptor) -> Leaf | None:
    """The direct coercion of one value of `annotation`, or None to leave it to typer."""
    info = descriptor.parameter_info
    if info.parser is not None or descriptor.file_annotation is not None:
        return None
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if annotation is int and not info.clamp:
        return _whole_number(info.min, info.max)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice(tuple(annotation), info.case_sensitive)
    plain_path = isinstance(annotation, type) and issubclass(annotation, Path)
    if plain_path and routes_to_path(annotation, info) and info.path_type in (None, annotation):
        return _path(annotation, info)
    return None


def _text(value: Any, param: _TyperParameter, ctx: Context) -> str:
    if isinstance(value, str):
        return value
    raise _Unusual


def _flag(value: Any, param: _TyperParameter, ctx: Context) -> bool:
    if isinstance(value, bool):
        return value
    raise _Unusual


def _whole_number(low: float | None, high: float | None) -> Leaf:
    def whole_number(value: Any, param: _TyperParameter, ctx: Context) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _WHOLE.fullmatch(value):
            number = int(value)
        else:
            raise _Unusual
        if low is not None and number < low:
            raise BadParameter(f"Input should be greater than or equal to {low}", ctx, param)
        if high is not None and number > high:
            raise BadParameter(f"Input should be less than or equal to {high}", ctx, param)
        return number

    return whole_number


def _choice(choices: tuple[Enum, ...], case_sensitive: bool) -> Leaf:
    def choice(value: Any, param: _TyperParameter, ctx: Context) -> Any:
        try:
            return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)
        except ValueError as exc:  # as pydantic reports a validator's ValueError
            message = _escape_control_characters(f"Value error, {exc}")
            raise BadParameter(message, ctx, param) from exc

    return choice


def _path(path_type: type[Path], info: Any) -> Leaf:
    def path(value: Any, param: _TyperParameter, ctx: Context) -> Any:
        if isinstance(value, str):
            converted = path_type(value)
            if str(converted) != value:  # `./x/`: typer's messages quote it as typed
                raise _Unusual
            value = converted
        elif not isinstance(value, path_type):
            raise _Unusual
        return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)

    return path
