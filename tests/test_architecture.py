"""The shape of the house, checked: layers (import-linter, in CI), no import cycles,
a thin CLI, library modules that never spell a command-line flag, files a reader can
hold in mind, and `titrate --help` that imports no command."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "titrate"
CLI = SRC / "cli"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")


def python_files(under: Path) -> list[Path]:
    return sorted(path for path in under.rglob("*.py") if "__pycache__" not in path.parts)


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that import each other in a ring."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycle_among_the_modules() -> None:
    imports = grimp.build_graph("titrate", exclude_type_checking_imports=True)
    graph = {
        module: {
            target
            for target in imports.find_modules_directly_imported_by(module)
            if target.startswith("titrate")
        }
        for module in imports.modules
        if module.startswith("titrate")
    }
    rings = [sorted(group) for group in strongly_connected(graph) if len(group) > 1]
    assert rings == []


def test_no_function_in_the_cli_is_over_40_lines() -> None:
    long = []
    for path in python_files(CLI):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                decorators = node.decorator_list
                start = decorators[0].lineno if decorators else node.lineno
                length = (node.end_lineno or node.lineno) - start + 1
                if length > 40:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} {length}")
    assert long == []


def test_no_module_outside_the_cli_names_a_flag() -> None:
    named = []
    for path in python_files(SRC):
        if CLI in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for flag in FLAG.findall(node.value):
                    named.append(f"{path.relative_to(SRC)}:{node.lineno} {flag}")
    assert named == []


def test_no_source_file_is_over_700_lines() -> None:
    sizes = {
        str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
        for path in python_files(SRC)
    }
    assert {name: lines for name, lines in sizes.items() if lines > 700} == {}


HELP_WRAPPER = """
import atexit, json, sys
sys.argv = ["titrate", *sys.argv[1:]]
from titrate.cli import entry
# entry() ends the process itself (os._exit) once the atexit handlers have run
atexit.register(lambda: sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
entry()
"""


def modules_after(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", HELP_WRAPPER, *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "TZ": "UTC", "NO_COLOR": "1", "PYTHONPATH": str(SRC.parent)},
        timeout=120,
    )
    line = done.stderr.rstrip("\n").rsplit("\n", 1)[-1]
    assert line.startswith("MODULES "), done.stderr
    return done, set(json.loads(line.removeprefix("MODULES ")))


def test_help_lists_every_command_and_imports_none_of_them() -> None:
    from titrate.cli.registry import COMMANDS

    done, modules = modules_after("--help")
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"^  (\w+) ", done.stdout.split("Commands:", 1)[1], re.M)
    assert listed == list(COMMANDS)
    assert sorted(m for m in modules if m.startswith("titrate.cli.commands.")) == []
    assert "pydantic" not in modules


@pytest.mark.parametrize("command", ["plan", "audit"])
def test_a_command_imports_only_its_own_module(command: str) -> None:
    done, modules = modules_after(command, "--help")
    assert done.returncode == 0, done.stderr
    loaded = sorted(m for m in modules if m.startswith("titrate.cli.commands."))
    assert loaded == [f"titrate.cli.commands.{command}"]
