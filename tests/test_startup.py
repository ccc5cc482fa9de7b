"""Start-up: what a command imports (seen from a fresh interpreter) and the compiled
regimen data shipped beside the YAML."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from titrate import catalog
from titrate.catalog import BUILTIN_NAME, COMPILED_NAME, builtin_regimens, parse_regimen_file
from titrate.rules import catalogue

HEAVY = ("rich", "jinja2", "icalendar", "fpdf", "fhir")

# Runs the CLI exactly as the console script does, then reports every imported module.
WRAPPER = """
import atexit, json, sys
sys.argv = ["titrate", *sys.argv[1:]]
from titrate.cli import entry
# entry() ends the process itself (os._exit) once the atexit handlers have run
atexit.register(lambda: sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
entry()
"""


# The subprocesses import the titrate these tests import (a worktree's, an installed one).
SOURCE_ROOT = str(Path(catalog.__file__).parents[1])


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[Any, set[str]]:
    environment = {"TZ": "UTC", "NO_COLOR": "1", "PYTHONPATH": SOURCE_ROOT, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **environment},
        timeout=120,
    )
    modules_line = done.stderr.rstrip("\n").rsplit("\n", 1)[-1]
    assert modules_line.startswith("MODULES "), done.stderr
    return done, set(json.loads(modules_line.removeprefix("MODULES ")))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_plan_json_imports_no_heavy_module_and_no_yaml_parser() -> None:
    done, modules = run_cli("plan", "baclofen", "--start", "2026-12-01", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["doses"]) == 36
    assert heavy_in(modules) == []
    assert "ruamel.yaml" not in modules, f"{COMPILED_NAME} was not used: {COMPILE_HINT}"
    assert "titrate.render.json" in modules  # the check above looked at the right process


def test_batch_imports_no_heavy_module_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("id,regimen,start\np1,baclofen,2026-12-01\n", encoding="utf-8")
    done, modules = run_cli("batch", str(source))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "p1"
    assert heavy_in(modules) == []


def test_import_titrate_alone_is_cheap() -> None:
    code = "import sys, titrate; print(sorted(m for m in sys.modules if m.split('.')[0] in "
    code += "('pydantic', 'typer', 'ruamel', 'titrate')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['titrate']"


# ---------------------------------------------------------------------------------------
# The compiled copy of the built-in regimens

COMPILE_HINT = f"regenerate it with `.venv/bin/{catalog.COMPILE_COMMAND}` and commit it"


def test_shipped_compiled_regimens_are_current() -> None:
    shipped = catalog._data_file(COMPILED_NAME).read_text("utf-8")
    assert shipped == catalog.compile_builtin(), (
        f"src/titrate/data/{COMPILED_NAME} does not match {BUILTIN_NAME} (or the models that "
        f"read it): {COMPILE_HINT}"
    )


def test_compiled_regimens_equal_the_yaml_and_keep_decimals_exact() -> None:
    data = catalog._data_file(BUILTIN_NAME).read_bytes()
    compiled = catalog._read_compiled(catalog.fingerprint(data))
    parsed = tuple(parse_regimen_file(data.decode("utf-8"), BUILTIN_NAME))
    assert compiled is not None, COMPILE_HINT
    assert compiled == parsed == builtin_regimens()
    document = json.loads(catalog._data_file(COMPILED_NAME).read_text("utf-8"))
    baclofen = document["file"]["regimens"][0]
    assert baclofen["limits"]["max_daily_mg"]["value"] == "80"  # exact text, never 80.0
    assert catalog._read_compiled("crc32:00000000 bytes:1") is None  # other YAML: not used


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the package's data folder that `builtin_regimens` reads instead."""
    for name in (BUILTIN_NAME, COMPILED_NAME):
        (tmp_path / name).write_bytes(catalog._data_file(name).read_bytes())
    monkeypatch.setattr(catalog, "_data_file", lambda name: tmp_path / name)
    builtin_regimens.cache_clear()
    yield tmp_path
    builtin_regimens.cache_clear()  # the next test reads the real data again


def test_edited_yaml_is_parsed_not_shadowed_by_the_compiled_copy(data_folder: Path) -> None:
    yaml = data_folder / BUILTIN_NAME
    text = yaml.read_text("utf-8")
    assert "name: Baclofen (oral)" in text
    yaml.write_text(text.replace("name: Baclofen (oral)", "name: Edited name", 1), "utf-8")
    assert builtin_regimens()[0].name == "Edited name"


def test_an_edit_keeping_the_yaml_length_is_seen_too(data_folder: Path) -> None:
    yaml = data_folder / BUILTIN_NAME
    text = yaml.read_text("utf-8")
    edited = text.replace("name: Baclofen (oral)", "name: Baclofen (orAl)", 1)
    assert len(edited) == len(text) and edited != text
    yaml.write_text(edited, "utf-8")
    assert builtin_regimens()[0].name == "Baclofen (orAl)"


def test_damaged_compiled_copy_falls_back_to_the_yaml(data_folder: Path) -> None:
    expected = tuple(
        parse_regimen_file((data_folder / BUILTIN_NAME).read_text("utf-8"), BUILTIN_NAME)
    )
    compiled = data_folder / COMPILED_NAME
    document = json.loads(compiled.read_text("utf-8"))
    document["file"]["regimens"][0]["limits"] = "damaged"
    compiled.write_text(json.dumps(document), "utf-8")
    assert builtin_regimens() == expected
    builtin_regimens.cache_clear()
    compiled.unlink()
    assert builtin_regimens() == expected


def test_compile_command_check_mode() -> None:
    current = catalog._data_file(COMPILED_NAME).read_text("utf-8") == catalog.compile_builtin()
    done = subprocess.run(
        [sys.executable, "-m", "titrate.catalog", "check"], capture_output=True, text=True
    )
    assert done.returncode == (0 if current else 1), done.stderr
    assert current or "is out of date: run `python -m titrate.catalog compile`" in done.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "titrate.catalog", "--bogus"], capture_output=True, text=True
    )
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_regimen_data_is_parsed_once_per_process() -> None:
    assert builtin_regimens() is builtin_regimens()


# ---------------------------------------------------------------------------------------
# Option values coerced without typer's per-option pydantic adapters (issue 13)


def test_plan_json_builds_no_option_adapter_and_only_the_invoked_command() -> None:
    done, modules = run_cli("plan", "baclofen", "--start", "2026-12-01", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert "typer._adapters" not in modules
    assert "pydantic.type_adapter" not in modules
    commands = sorted(m for m in modules if m.startswith("titrate.cli.commands."))
    assert commands == ["titrate.cli.commands.plan"]


SAMPLES = ["", "0", "7", "-1", "+5", " 5", "5_000", "5.0", "1441", "x", "9" * 30, "panic",
           "error", "ERROR", "never", "/", "/tmp/", "./x", "a//b", "no-such.json",
           "a\udcffb", "\x1b[31m", "Zoë"]  # fmt: skip


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    from typer._click.exceptions import BadParameter

    try:
        return "value", runtime.coerce(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return "error", exc.format_message()


def test_direct_coercion_gives_what_typer_gives_for_every_option() -> None:
    """Every parameter of every command: the same value, or the same message, as typer's
    own (pydantic) coercion, for ordinary and odd values alike."""
    import typer.main
    from typer._coercion import build_runtime_param

    from titrate.cli import app as group_app
    from titrate.cli import coerce
    from titrate.cli.registry import COMMANDS

    group = typer.main.get_command(group_app)
    compared = 0
    for name, entry in COMMANDS.items():
        command = typer.main.get_command(importlib.import_module(entry.module).app)
        with group.make_context("titrate", [name], resilient_parsing=True) as parent:
            coerce.install(command, parent)  # as the group does, before parsing
            ctx = command.make_context(name, [], parent=parent, resilient_parsing=True)
            for param in command.get_params(ctx):
                direct = param._runtime_param
                if not isinstance(direct, coerce.DirectParam):
                    continue
                own = build_runtime_param(param.type_descriptor)
                values: list[Any] = [*SAMPLES, param.default]
                if param.multiple:
                    values = [(), ("a", "/tmp/"), *[(value,) for value in SAMPLES]]
                for value in values:
                    if value is None:
                        continue
                    mine = _outcome(direct, value, param, ctx)
                    theirs = _outcome(own, value, param, ctx)
                    assert mine == theirs, (name, param.name, value)
                    compared += 1
    assert compared > 500


# ---------------------------------------------------------------------------------------
# Leaving without the interpreter's teardown (issue 13): every exit status, atexit
# handlers and complete output kept, in a real process as the console script runs.

EXIT_WRAPPER = """
import atexit, os, sys, threading, time
sys.argv = ["titrate", *sys.argv[1:]]

class Teardown:
    def __del__(self):
        os.write(2, b"TEARDOWN\\n")  # only the interpreter's teardown frees a module global

keep = Teardown()
atexit.register(lambda: print("ATEXIT", file=sys.stderr))
if os.environ.get("BREAK_EMIT"):
    import titrate.cli.output
    def broken(*args, **kwargs):
        raise RuntimeError("emit broke")
    titrate.cli.output.emit = broken
if os.environ.get("BUSY_THREAD"):
    threading.Thread(target=time.sleep, args=(2.0,)).start()  # outlives entry(), even loaded
from titrate.cli import entry
entry()
"""


def run_entry(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", EXIT_WRAPPER, *args],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "TZ": "UTC",
            "NO_COLOR": "1",
            "PYTHONPATH": SOURCE_ROOT,
            **env,
        },
        timeout=120,
    )


LONG_PLAN = ("plan", "baclofen", "--start", "2026-12-01", "--hold-days", "353", "-f", "json")


@pytest.mark.parametrize(
    ("args", "env", "status", "stderr_start"),
    [
        (LONG_PLAN, {}, 0, ""),
        (("plan", "baclofen", "--steps", "30x3:3", "-f", "json"), {}, 1, ""),
        (("plan", "baclofen", "--hold-days", "-1"), {}, 2, "titrate: error: Invalid value"),
        (
            ("plan", "baclofen", "-f", "json"),
            {"BREAK_EMIT": "1"},
            3,
            "titrate: internal error: RuntimeError: emit broke",
        ),
        (("--version",), {}, 0, ""),
    ],
)
def test_a_finished_command_leaves_without_teardown_keeping_status_and_atexit(
    args: tuple[str, ...], env: dict[str, str], status: int, stderr_start: str
) -> None:
    done = run_entry(*args, **env)
    assert done.returncode == status, done.stderr
    assert done.stderr.startswith(stderr_start)
    assert done.stderr.endswith("ATEXIT\n")  # the handler ran, its output was flushed
    assert "TEARDOWN" not in done.stderr  # ... and the interpreter's teardown did not


def test_output_is_complete_after_a_fast_exit(tmp_path: Path) -> None:
    from conftest import run

    expected = run(*LONG_PLAN).stdout
    assert len(expected) > 100_000  # more than a pipe holds at once
    assert run_entry(*LONG_PLAN).stdout == expected
    target = tmp_path / "plan.json"
    assert run_entry(*LONG_PLAN, "-o", str(target)).returncode == 0
    assert target.read_text("utf-8") == expected
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plan.json"]


def test_a_thread_still_running_gets_the_normal_exit() -> None:
    done = run_entry("plan", "baclofen", "--hold-days", "-1", BUSY_THREAD="1")
    assert done.returncode == 2
    assert done.stderr.endswith("ATEXIT\nTEARDOWN\n")  # joined, handlers, teardown


def test_a_status_that_is_not_a_number_gets_the_normal_exit() -> None:
    code = "from titrate.cli.app import leave; leave(SystemExit('stopped: a message'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SOURCE_ROOT})  # fmt: skip
    assert (done.returncode, done.stderr) == (1, "stopped: a message\n")


# ---------------------------------------------------------------------------------------
# No pydantic model on the one-shot path: the plan is built from the compiled regimens in
# light records (titrate.model) and written by msgspec; pydantic's model machinery (and
# titrate.schema, where every pydantic model of titrate lives) is for untrusted input.

PYDANTIC_MODELS = ("pydantic.main", "pydantic._internal._model_construction")


def _no_model_machinery(modules: set[str]) -> None:
    assert sorted(m for m in modules if m.startswith("titrate.schema")) == []
    assert "titrate.core.check" not in modules  # defines the proposed-plan edge models
    assert "msgspec" in modules or "titrate.render.json" not in modules
    assert [m for m in PYDANTIC_MODELS if m in modules] == []


def test_plan_json_builds_no_pydantic_model() -> None:
    done, modules = run_cli("plan", "baclofen", "--start", "2026-12-01", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert "titrate.render.json" in modules and "msgspec" in modules
    _no_model_machinery(modules)


def test_help_builds_no_pydantic_model() -> None:
    done, modules = run_cli("--help")
    assert done.returncode == 0, done.stderr
    assert "plan" in done.stdout
    _no_model_machinery(modules)


# ---------------------------------------------------------------------------------------
# What the one-shot path does not import or build (issue 13, the fast follow-up)


def test_plan_json_leaves_out_what_only_other_paths_need() -> None:
    done, modules = run_cli("plan", "baclofen", "--start", "2026-12-01", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert "titrate.render.json" in modules  # the right process was looked at
    unneeded = {
        "hashlib",  # the compiled regimens are keyed by a CRC-32 (zlib is loaded anyway)
        "tempfile",  # only for writing a file (-o)
        "random",
        "csv",
        "titrate.core.doselog",  # only to read a dose log or an instant given as text
        "titrate.io.lines",
        "titrate.rules.audit",  # log rules only for audits and the catalogue
    }
    assert sorted(unneeded & modules) == []
    # and no dataclass of titrate's is made (~0.5 ms each): records are Structs
    made = [
        f"{name}.{value.__name__}"
        for name in sorted(m for m in modules if m.startswith("titrate"))
        for value in vars(importlib.import_module(name)).values()
        if isinstance(value, type)
        and value.__module__ == name
        and "__dataclass_fields__" in vars(value)
    ]
    assert made == []


def test_log_rules_are_registered_whenever_rules_are_listed_or_looked_up() -> None:
    code = (
        "import sys\n"
        "import titrate.rules as rules\n"
        "assert 'titrate.rules.audit' not in sys.modules\n"
        "{probe}\n"
        "assert 'titrate.rules.audit' in sys.modules\n"
        "print(len(rules.catalogue()))\n"
    )
    counts = set()
    for probe in ("rules.catalogue()", "from titrate.rules import REGISTRY", "rules.REGISTRY"):
        done = subprocess.run(
            [sys.executable, "-c", code.format(probe=probe)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SOURCE_ROOT},
        )
        assert done.returncode == 0, done.stderr
        counts.add(done.stdout)
    assert len(counts) == 1
    assert any(rule.scope == "log" for rule in catalogue())


def test_printable_text_needs_no_pattern() -> None:
    """text_problem skips its patterns for printable text: sound only while every
    character they refuse is unprintable."""
    import re

    from titrate.io.text import CONTROL, CONTROL_MULTILINE, text_problem

    refused = re.compile(CONTROL)
    assert re.compile(CONTROL_MULTILINE).pattern != refused.pattern
    for code in range(0x110000):
        char = chr(code)
        if refused.match(char):
            assert not char.isprintable(), hex(code)
            assert text_problem(f"a{char}b") is not None or char == "\n", hex(code)
    assert text_problem("Zoë 5 mg ½ × ‎") is None


def test_record_modules_keep_real_annotations() -> None:
    """msgspec and jsonout read each record's field types once per process; from
    postponed (string) annotations that cost ~4 ms of every one-shot plan."""
    import msgspec

    import titrate.model as model

    postponing = []
    for path in sorted(Path(model.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"titrate.model.{path.stem}".removesuffix(".__init__"))
        defines_records = any(
            isinstance(value, type)
            and issubclass(value, msgspec.Struct)
            and value.__module__ == module.__name__
            for value in vars(module).values()
        )
        if defines_records and "from __future__ import annotations" in path.read_text("utf-8"):
            postponing.append(path.name)
    assert postponing == []
