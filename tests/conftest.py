"""Shared test helpers: the CLI runner and golden files.

Regenerate golden files deliberately with `UPDATE_GOLDEN=1 pytest`, then read the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from titrate.cli import app

GOLDEN = Path(__file__).parent / "golden"
CLI_ENV = {"NO_COLOR": "1", "COLUMNS": "100", "TZ": "UTC"}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """Invoke the CLI as a user would (separate stdout/stderr, exit code)."""
    return CliRunner().invoke(app, list(args), env={**CLI_ENV, **(env or {})})


@pytest.fixture
def golden() -> Callable[[str, str | bytes], None]:
    def check(name: str, actual: str | bytes) -> None:
        path = GOLDEN / name
        data = actual.encode("utf-8") if isinstance(actual, str) else actual
        if os.environ.get("UPDATE_GOLDEN"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
        expected = path.read_bytes()
        if isinstance(actual, str):
            assert actual == expected.decode("utf-8"), f"output differs from {path}"
        else:
            assert actual == expected, f"output differs from {path}"

    return check
