"""The published plan schema is strict: every object closed, doses above zero, dates and
slugs pinned, `schema_version` required. Checked with jsonschema (2020-12, formats on)
and with check-jsonschema, the command a script author would run."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conftest import GOLDEN, run

PLAN = ["plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London", "-f", "json"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = run("schema")
    assert result.exit_code == 0
    published: dict[str, Any] = json.loads(result.stdout)
    return published


@pytest.fixture(scope="module")
def good_plan() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(run(*PLAN).stdout)
    return document


def errors(schema: dict[str, Any], document: Any) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return sorted(error.message for error in validator.iter_errors(document))


def walk_objects(node: Any, path: str = "#") -> Any:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield path, node
        for key, value in node.items():
            yield from walk_objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk_objects(item, f"{path}/{index}")


def test_every_object_in_the_schema_is_closed(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    open_objects = [
        path
        for path, node in walk_objects(schema)
        if node.get("additionalProperties") is not False and "propertyNames" not in node
    ]
    assert open_objects == []
    assert schema["required"][0] == "schema_version"


def test_a_real_plan_passes(schema: dict[str, Any], good_plan: dict[str, Any]) -> None:
    assert errors(schema, good_plan) == []


def set_path(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(document)
    node: Any = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return broken


UNEXPECTED = "Additional properties are not allowed"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("doses", 0, "dose_mg"), -5, "-5 is less than or equal to the minimum of 0"),
        (("doses", 0, "dose_mg"), 0, "0 is less than or equal to the minimum of 0"),
        (("days", 0, "total_mg"), -1, "-1 is less than the minimum of 0"),
        (("doses", 0, "colour"), "red", f"{UNEXPECTED} ('colour' was unexpected)"),
        (("surprise",), True, f"{UNEXPECTED} ('surprise' was unexpected)"),
        (("regimen", "max_daily_mg"), -80, "-80 is less than or equal to the minimum of 0"),
        (("start",), "1 Dec 2026", "'1 Dec 2026' does not match '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"),
        (("regimen", "id"), "Baclofen", "'Baclofen' does not match '^[a-z0-9][a-z0-9-]{0,63}$'"),
        (("times", "3", 0), "8am", "'8am' does not match '^([01][0-9]|2[0-3]):[0-5][0-9]$'"),
        (("schema_version",), "2", "'1' was expected"),
    ],
)  # fmt: skip
def test_the_schema_refuses_a_broken_plan(
    schema: dict[str, Any],
    good_plan: dict[str, Any],
    path: tuple[Any, ...],
    value: Any,
    message: str,
) -> None:
    found = errors(schema, set_path(good_plan, path, value))
    assert message in found and len(found) <= 2, found  # a bad date also fails `format`


def test_a_finding_rule_must_be_a_slug(schema: dict[str, Any]) -> None:
    over = json.loads(run(*PLAN, "--steps", "25x4:3").stdout)
    over["findings"][0]["rule"] = "Over Daily Max"
    assert errors(schema, over) == ["'Over Daily Max' does not match '^[a-z0-9]+(-[a-z0-9]+)*$'"]


def test_schema_version_is_required(schema: dict[str, Any], good_plan: dict[str, Any]) -> None:
    unversioned = {k: v for k, v in good_plan.items() if k != "schema_version"}
    assert errors(schema, unversioned) == ["'schema_version' is a required property"]


CHECK_JSONSCHEMA = shutil.which("check-jsonschema")


@pytest.mark.skipif(CHECK_JSONSCHEMA is None, reason="check-jsonschema is not installed")
def test_check_jsonschema_rejects_minus_five_and_an_unknown_property(
    tmp_path: Path, good_plan: dict[str, Any], write_schema: Callable[[Path], Path]
) -> None:
    schema_file = write_schema(tmp_path)
    for name, document in {
        "negative.json": set_path(good_plan, ("doses", 0, "dose_mg"), -5),
        "unknown.json": set_path(good_plan, ("unknown",), 1),
    }.items():
        path = tmp_path / name
        path.write_text(json.dumps(document))
        result = subprocess.run(
            [str(CHECK_JSONSCHEMA), "--schemafile", str(schema_file), str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1, result.stdout
        assert "Schema validation errors were encountered." in result.stdout


@pytest.fixture
def write_schema() -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "plan.schema.json"
        path.write_text(run("schema").stdout)
        return path

    return write


PLAN_GOLDENS = sorted(
    path
    for path in GOLDEN.glob("*.json")
    if not path.name.endswith(".fhir.json")
    and '"schema_version"' in path.read_text()
    and '"doses"' in path.read_text()
    and not path.name.startswith(("audit", "missed"))
)


@pytest.mark.skipif(CHECK_JSONSCHEMA is None, reason="check-jsonschema is not installed")
def test_check_jsonschema_validates_every_plan_golden(
    tmp_path: Path, write_schema: Callable[[Path], Path]
) -> None:
    assert len(PLAN_GOLDENS) >= 4
    result = subprocess.run(
        [
            str(CHECK_JSONSCHEMA),
            "--schemafile",
            str(write_schema(tmp_path)),
            *map(str, PLAN_GOLDENS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_titrate_schema_validate_refuses_minus_five_and_an_unknown_property(
    tmp_path: Path, good_plan: dict[str, Any]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(good_plan, indent=2))
    result = run("schema", "--validate", str(good))
    assert (result.exit_code, result.stdout) == (0, f"{good}: a valid plan (schema version 1)\n")
    cases = {
        "negative.json": (("doses", 0, "dose_mg"), -5, "Input should be greater than 0"),
        "unknown.json": (("doses", 0, "colour"), "red", "Extra inputs are not permitted"),
    }
    for name, (path, value, message) in cases.items():
        text = json.dumps(set_path(good_plan, path, value), indent=2)
        bad = tmp_path / name
        bad.write_text(text)
        line = next(n for n, row in enumerate(text.splitlines(), 1) if f'"{path[-1]}": ' in row)
        result = run("schema", "--validate", str(bad))
        assert result.exit_code == 2
        field = ".".join(map(str, path))
        assert result.stderr == f"titrate: error: {bad}:{line}: {field}: {message}\n"
