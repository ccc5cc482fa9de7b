"""Fuzzing the command line and regimen files (hypothesis).

Bounded for CI; set TITRATE_FUZZ_EXAMPLES=5000 (for example) for a longer run.
Invariants: exit status in {0, 1, 2}; never an uncaught exception or a traceback; the
JSON of exit 0/1 parses and validates against the schema; no day over the daily
maximum without its finding.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from conftest import run
from titrate.render.json import plan_schema

EXAMPLES = int(os.environ.get("TITRATE_FUZZ_EXAMPLES", "60"))
VALIDATOR = Draft202012Validator(plan_schema(), format_checker=FormatChecker())
BASE_REGIMEN = (Path(__file__).parent / "regimen_files" / "bom.yaml").read_bytes()

junk = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
numbers = st.one_of(
    st.integers(-5, 200).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["nan", "inf", "-0", "1e400", "0.1", "2.5", "1e-9", "", " "]),
)
step_items = st.builds(
    lambda mg, per_day, days: f"{mg}x{per_day}:{days}",
    st.one_of(st.integers(-1, 40).map(str), st.sampled_from(["2.5", "0.125", "nan", "1e3"])),
    st.integers(-1, 30),
    st.integers(-1, 40),
)
option_values: dict[str, st.SearchStrategy[str]] = {
    "--start": st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from(["2027-02-29", "2028-02-29", "9999-12-31", "0001-01-01", "tomorrow"]),
        junk,
    ),
    "--times": st.one_of(
        st.lists(st.times().map(lambda t: t.strftime("%H:%M")), min_size=1, max_size=5).map(
            ",".join
        ),
        st.sampled_from(["25:00", "8am", "08:00,08:00,09:00", "14:00,08:00,20:00"]),
        junk,
    ),
    "--tz": st.one_of(
        st.sampled_from(["UTC", "Europe/London", "America/New_York", "Mars/Olympus", "../etc"]),
        junk,
    ),
    "--target-mg": numbers,
    "--hold-days": st.one_of(st.integers(-3, 5000).map(str), junk),
    "--steps": st.one_of(st.lists(step_items, min_size=1, max_size=5).map(",".join), junk),
    "--age": numbers,
    "--patient": junk,
    "--fail-on": st.sampled_from(["error", "warning", "never", "panic"]),
}


@st.composite
def plan_argv(draw: st.DrawFn) -> list[str]:
    argv = ["plan", draw(st.sampled_from(["baclofen", "baclofen", "nope", ""]))]
    for name in draw(st.lists(st.sampled_from(sorted(option_values)), max_size=5, unique=True)):
        argv += [name, draw(option_values[name])]
    return [*argv, "-f", "json"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_argv())
def test_plan_never_crashes_and_json_always_validates(argv: list[str]) -> None:
    result = run(*argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        argv,
        repr(result.exception),
    )
    assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.strip(), argv
        return
    plan = json.loads(result.stdout)
    errors = list(VALIDATOR.iter_errors(plan))
    assert not errors, (argv, errors[0].message)
    flagged = {  # a finding about a run of days (day … last_day) flags each of them
        (f["rule"], day)
        for f in plan["findings"]
        if f["day"] is not None
        for day in range(f["day"], (f["last_day"] or f["day"]) + 1)
    }
    maximum = plan["regimen"]["max_daily_mg"]
    for day in plan["days"]:
        if day["total_mg"] > maximum:
            assert ("over-daily-max", day["day"]) in flagged, argv


yaml_values = st.one_of(
    numbers,
    junk.map(json.dumps),
    st.sampled_from(["[]", "{}", "~", "yes", "*x", "&x 1", "!!str 5", "'08:00'", "08:00"]),
)
mutable_tokens = [b"2,", b"3,", b"12,", b'"08:00"', b"2026-11-26", b"demo", b"oral", b"[S1]"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(mutable_tokens), yaml_values), min_size=1, max_size=3),
    st.integers(0, 1),
)
def test_mutated_regimen_files_give_a_plan_or_one_clear_line(
    tmp_path_factory: object, mutations: list[tuple[bytes, str]], truncate: int
) -> None:
    import tempfile

    data = BASE_REGIMEN
    for token, value in mutations:
        data = data.replace(token, value.encode("utf-8", "surrogatepass"), 1)
    if truncate:
        data = data[: len(data) // 2]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        result = run("plan", "demo", "--start", "2026-12-01", "--regimens", str(path), "-f", "json")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1, 2), result.stderr
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    else:
        assert not list(VALIDATOR.iter_errors(json.loads(result.stdout)))
