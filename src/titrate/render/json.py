"""JSON: the plan as published in `titrate schema` (numbers as JSON numbers)."""

from __future__ import annotations

import json
from typing import Any

from titrate.model import Plan
from titrate.model.jsonout import dump_json
from titrate.render import RenderOptions

SCHEMA_ID = "https://titrate.invalid/schema/plan-1.json"

# Patterns the models guarantee by construction, published so a consumer can check them.
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_PATTERNS: dict[tuple[str, str], str] = {
    ("Finding", "rule"): SLUG,
    ("Finding", "code"): r"^[A-Z]+[0-9]+$",
    ("RegimenRef", "id"): r"^[a-z0-9][a-z0-9-]{0,63}$",
    ("NoticeRef", "id"): SLUG,
}


def render(plan: Plan, options: RenderOptions) -> str:
    return dump_json(plan, indent=2) + "\n"


def plan_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of what `render` emits."""
    from titrate.schema.plan import Plan as PlanModel

    schema = PlanModel.model_json_schema(mode="serialization")
    _tighten(schema)
    for name, definition in schema.get("$defs", {}).items():
        _tighten(definition)
        for (holder, field), pattern in _PATTERNS.items():
            if holder == name and field in definition.get("properties", {}):
                definition["properties"][field]["pattern"] = pattern
    # `times` is a map (doses a day → clock times), so its keys and values are pinned instead
    times = schema["properties"]["times"]
    times["propertyNames"] = {"pattern": r"^[1-9][0-9]*$"}
    times["additionalProperties"]["items"]["pattern"] = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
    # every plan names its schema version, so a consumer can refuse one it does not know
    schema["required"] = ["schema_version", *schema.get("required", [])]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    return json.dumps(plan_schema(), indent=2, sort_keys=False) + "\n"


def _tighten(node: Any) -> None:
    """Close every object (no unknown properties) and pin date strings to YYYY-MM-DD."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        if node.get("format") == "date":
            node["pattern"] = DATE
        for value in node.values():
            _tighten(value)
    elif isinstance(node, list):
        for item in node:
            _tighten(item)
