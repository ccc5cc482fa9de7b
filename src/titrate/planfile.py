"""Read a plan JSON file written by `titrate plan -f json` back into a Plan."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from titrate.catalog import read_text
from titrate.errors import InputError
from titrate.model import Plan


def parse_plan_json(text: str, name: str) -> Plan:
    """Validate plan JSON text; errors name the file and (for syntax) the line."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", f"{name}:{exc.lineno}") from None
    except ValueError as exc:
        raise InputError(str(exc), name) from None
    if not isinstance(data, dict) or "doses" not in data:
        raise InputError("not a titrate plan (expected the JSON of `titrate plan -f json`)", name)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InputError(f"{path}: {first['msg']}", name) from None


def _refuse_constant(token: str) -> float:
    raise ValueError(f"{token} is not a number a plan may contain")


def load_plan(path: Path) -> Plan:
    return parse_plan_json(read_text(path, "plan file"), str(path))
