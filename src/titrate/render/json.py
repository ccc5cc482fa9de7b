"""JSON: the plan as published in `titrate schema` (numbers as JSON numbers)."""

from __future__ import annotations

import json
from typing import Any

from titrate.model import Plan
from titrate.render import RenderOptions

SCHEMA_ID = "https://titrate.invalid/schema/plan-1.json"


def render(plan: Plan, options: RenderOptions) -> str:
    return plan.model_dump_json(indent=2) + "\n"


def plan_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of what `render` emits."""
    schema = Plan.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    return json.dumps(plan_schema(), indent=2, sort_keys=False) + "\n"
