"""titrate benchmarks: start-up, batch throughput, and growth, measured in one run.

    .venv/bin/python bench/run.py              # the full run (a few minutes)
    .venv/bin/python bench/run.py --quick      # fewer repeats, 1,000 / 10,000 rows
    .venv/bin/python bench/run.py --profile 1000   # and where a batch spends its time

Only the standard library is used: time.perf_counter (wall) and time.process_time or
os.wait4's rusage (CPU, user + system) for time, and the peak resident set size of
each child process (os.wait4) for memory. Every figure is a ratio
against a floor measured in the same run on the same machine, so the numbers travel
between machines better than the absolute times. Input files are generated in a
temporary folder and deleted afterwards.

1. start-up: `titrate plan baclofen -f json` against `python -c "import typer,
   pydantic"` (the floor named in the issue) and against titrate's own typer interface
   (every command and option) with commands that do nothing: what typer costs for this
   command line before titrate does any work. Target ≤ 1.3× the floor.
2. throughput: `titrate batch` on N rows against a reference loop that builds the same
   36-dose plan documents as plain dicts and json.dumps them, timed just before and
   just after each batch (a busy machine drifts; each round uses their mean), in several
   rounds; the median round is reported. Target ≥ 0.5×.
3. growth: a 12-day against a 365-day plan (time per plan in process, peak memory of the
   command), and an N-row against a 10×N-row batch (time, peak memory; target: memory
   within 1.2×, time per row flat).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

ZONES = ("Europe/London", "America/New_York", "UTC", "Asia/Tokyo", "Australia/Sydney")
FIRST_START = date(2026, 1, 1)
TIMES = ("", "07:30,13:30,21:00", "")
PLAN_ARGS = ("plan", "baclofen", "-f", "json", "--start", "2026-12-01", "--tz", "UTC")

# titrate's own command line (the invoked command's options and help text, so typer introspects
# and converts exactly what it does for titrate) with commands that do nothing: the cost
# of importing typer, building the commands and their parameter adapters, and parsing.
INTERFACE_STUB = """
import functools, importlib, sys
from titrate.cli import entry
from titrate.cli.registry import COMMANDS

def no_work(command):
    @functools.wraps(command)  # same signature and annotations for typer
    def stub(*args, **kwargs):
        sys.stdout.write("{}\\n")
    return stub

# only the invoked command is built, as the real command line does
module = importlib.import_module(COMMANDS[sys.argv[1]].module)
for info in module.app.registered_commands:
    info.callback = no_work(info.callback)
entry()
"""


# ---------------------------------------------------------------------------------------
# Inputs


def request_row(index: int) -> dict[str, str]:
    """Request `index` of the generated workload: the labeled 36-dose plan with a start,
    zone, clock times, age and name that vary from row to row."""
    return {
        "id": f"p{index:06d}",
        "regimen": "baclofen",
        "start": (FIRST_START + timedelta(days=index % 730)).isoformat(),
        "times": TIMES[index % len(TIMES)],
        "tz": ZONES[index % len(ZONES)],
        "age": str(18 + index % 70),
        "patient": f"Patient {index}",
    }


def write_rows(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(request_row(0)))
        writer.writeheader()
        for index in range(1, count + 1):
            writer.writerow(request_row(index))


# ---------------------------------------------------------------------------------------
# Measuring child processes


def titrate_command() -> list[str]:
    script = Path(sys.executable).with_name("titrate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "titrate"]


class Child(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds: less disturbed than wall time by a busy machine
    peak_mb: float  # peak resident set size
    status: int


def run_child(argv: Sequence[str]) -> Child:
    """Run one child process to the end and measure it (os.wait4 gives its own rusage)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode() if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if child.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(argv)} exited {child.returncode}: {stderr}")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    return Child(wall, cpu, usage.ru_maxrss / scale, child.returncode)


def median_times(commands: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, cpu) seconds of each command, runs interleaved so drift hits all alike."""
    times: dict[str, list[Child]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the OS and bytecode caches once
        run_child(argv)
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run_child(argv))
    return {
        name: (
            statistics.median(child.wall for child in children),
            statistics.median(child.cpu for child in children),
        )
        for name, children in times.items()
    }


def per_call(function: Callable[[], object], seconds: float) -> float:
    """CPU seconds per call of `function`, from as many calls as fit in about `seconds`."""
    function()
    calls, started, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        function()
        calls += 1
        if time.perf_counter() - started >= seconds:
            return (time.process_time() - cpu) / calls


# ---------------------------------------------------------------------------------------
# The reference loop


def reference_lines(count: int, template: dict[str, Any]) -> int:
    """Build `count` plan documents like titrate's as plain dicts and json.dumps them.

    The per-request parts (dates, zone-aware clock times, day totals, patient) are
    computed; the parts every plan of the regimen shares (regimen, sources, notices,
    disclaimer, and each step's product amount) are taken from `template`, a plan
    titrate made once before timing starts. Returns the number of bytes produced.
    """
    steps = {dose["step"]: dose for dose in template["doses"]}
    ladder = [(day["step"], day["doses"], steps[day["step"]]) for day in template["days"]]
    extra_dose_keys = [k for k in template["doses"][0] if k not in ("number", "at", "day")]
    shared = {k: v for k, v in template.items() if k not in ("doses", "days", "patient")}
    produced = 0
    for index in range(1, count + 1):
        row = request_row(index)
        zone = ZoneInfo(row["tz"])
        start = date.fromisoformat(row["start"])
        clocks = [
            tuple(int(part) for part in clock.split(":"))
            for clock in (row["times"] or "08:00,14:00,20:00").split(",")
        ]
        doses: list[dict[str, Any]] = []
        days: list[dict[str, Any]] = []
        for day_number, (step, per_day, step_dose) in enumerate(ladder, start=1):
            on = start + timedelta(days=day_number - 1)
            for hour, minute in clocks[:per_day]:
                at = datetime(on.year, on.month, on.day, hour, minute, tzinfo=zone)
                dose = {"number": len(doses) + 1, "at": at.isoformat(), "day": day_number}
                dose.update((key, step_dose[key]) for key in extra_dose_keys)
                doses.append(dose)
            days.append(
                {
                    "day": day_number,
                    "date": on.isoformat(),
                    "step": step,
                    "doses": per_day,
                    "total_mg": step_dose["dose_mg"] * per_day,
                }
            )
        plan = {
            **shared,
            "patient": {**template["patient"], "name": row["patient"], "age_years": 40},
            "start": row["start"],
            "timezone": row["tz"],
            "doses": doses,
            "days": days,
        }
        line = json.dumps({"row": index, "id": row["id"], "plan": plan}, separators=(",", ":"))
        produced += len(line) + 1
    return produced


# ---------------------------------------------------------------------------------------
# The three figures


def startup(runs: int, folder: Path) -> dict[str, tuple[float, float]]:
    stub = folder / "interface_stub.py"
    stub.write_text(INTERFACE_STUB)
    return median_times(
        {
            "floor": [sys.executable, "-c", "import typer, pydantic"],
            "stub": [sys.executable, str(stub), *PLAN_ARGS],
            "titrate": [*titrate_command(), *PLAN_ARGS],
        },
        runs,
    )


def plan_template() -> dict[str, Any]:
    result = subprocess.run(
        [*titrate_command(), *PLAN_ARGS], capture_output=True, check=True, text=True
    )
    template: dict[str, Any] = json.loads(result.stdout)
    return template


def reference_rate(rows: int, template: dict[str, Any]) -> tuple[float, float]:
    """Plans per second of the reference loop: (by wall time, by CPU time)."""
    wall, cpu = time.perf_counter(), time.process_time()
    reference_lines(rows, template)
    return rows / (time.perf_counter() - wall), rows / (time.process_time() - cpu)


class Round(NamedTuple):
    batch: Child
    ref_wall: float  # plans/s of the reference, mean of the runs before and after
    ref_cpu: float
    rate: float  # plans/s of the batch, start-up included
    rate_cpu: float

    @property
    def ratio(self) -> float:
        return self.rate / self.ref_wall

    @property
    def ratio_cpu(self) -> float:
        return self.rate_cpu / self.ref_cpu


def throughput_rounds(rows: int, count: int, template: dict[str, Any], folder: Path) -> list[Round]:
    """Batches interleaved with the reference (ref, batch, ref, batch, ..., ref): on a
    shared machine the speed drifts over a run, so each batch is compared with the
    reference runs on either side of it."""
    references = [reference_rate(rows, template)]
    rounds = []
    for _ in range(count):
        child = batch_run(rows, folder)
        references.append(reference_rate(rows, template))
        (before_wall, before_cpu), (after_wall, after_cpu) = references[-2:]
        rounds.append(
            Round(
                batch=child,
                ref_wall=(before_wall + after_wall) / 2,
                ref_cpu=(before_cpu + after_cpu) / 2,
                rate=rows / child.wall,
                rate_cpu=rows / child.cpu,
            )
        )
    return rounds


def batch_run(rows: int, folder: Path) -> Child:
    source, out = folder / f"rows_{rows}.csv", folder / "out.jsonl"
    write_rows(source, rows)
    child = run_child([*titrate_command(), "batch", str(source), "-o", str(out)])
    with out.open("rb") as handle:
        lines = sum(1 for _ in handle)
    if lines != rows:
        raise SystemExit(f"bench: batch wrote {lines} lines for {rows} rows")
    source.unlink()
    return child


GROWTH_SAMPLES = 15


def plan_growth(seconds: float) -> dict[str, float]:
    """CPU seconds per 12-day and 365-day plan in process (build, check, JSON)."""
    from titrate.api import plan
    from titrate.catalog import get_regimen
    from titrate.model import PlanOptions
    from titrate.render import RenderOptions
    from titrate.render.json import render

    regimen = get_regimen("baclofen")
    figures: dict[str, float] = {}
    lengths = (("short", 0), ("long", 353))
    for label, hold in lengths:
        options = PlanOptions(start=date(2026, 12, 1), timezone="UTC", hold_days=hold)
        figures[f"{label}_days"] = len(plan(regimen, options).days)
        child = run_child([*titrate_command(), *PLAN_ARGS, "--hold-days", str(hold)])
        figures[f"{label}_peak"] = child.peak_mb
    # Interleaved samples of each length, keeping the least: on a shared machine the
    # least disturbed sample is the best estimate of what a plan costs.
    for _ in range(GROWTH_SAMPLES):
        for label, hold in lengths:
            options = PlanOptions(start=date(2026, 12, 1), timezone="UTC", hold_days=hold)

            def one_plan(options: PlanOptions = options) -> str:
                return render(plan(regimen, options), RenderOptions())

            sample = per_call(one_plan, seconds / GROWTH_SAMPLES)
            key = f"{label}_seconds"
            figures[key] = min(figures.get(key, sample), sample)
    return figures


def profile_batch(rows: int) -> None:
    """Where an in-process batch spends its time: the top functions by own time."""
    import cProfile
    import io
    import pstats

    from titrate import batch
    from titrate.catalog import load_regimens

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(request_row(0)))
    writer.writeheader()
    writer.writerows(request_row(index) for index in range(1, rows + 1))
    planner = batch.Planner(load_regimens(), default_zone="UTC")
    requests = batch.read_requests(io.BytesIO(text.getvalue().encode()), "rows.csv")
    profiler = cProfile.Profile()
    profiler.runcall(lambda: list(batch.plan_lines(requests, planner, batch.Summary())))
    print(f"\nprofile of {rows:,} rows in process (top 25 by own time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def report(args: argparse.Namespace) -> None:
    print(
        f"titrate bench: Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print("(medians; CPU = user + system time, less disturbed by other work on the machine)")
    with tempfile.TemporaryDirectory(prefix="titrate-bench-") as temp:
        folder = Path(temp)

        times = startup(args.runs, folder)
        (floor, floor_cpu), (stub, stub_cpu), (mine, mine_cpu) = (
            times["floor"],
            times["stub"],
            times["titrate"],
        )
        ratio = mine / floor
        print(f"\n1. start-up ({args.runs} runs of each, interleaved)")
        print(f"   python -c 'import typer, pydantic'  {ms(floor)} wall {ms(floor_cpu)} CPU  floor")
        print(
            f"   titrate's typer interface, no work  {ms(stub)} wall {ms(stub_cpu)} CPU  "
            f"{stub / floor:.2f}× floor (CPU {stub_cpu / floor_cpu:.2f}×)"
        )
        print(
            f"   titrate plan baclofen -f json       {ms(mine)} wall {ms(mine_cpu)} CPU  "
            f"{ratio:.2f}× floor (CPU {mine_cpu / floor_cpu:.2f}×), {mine / stub:.2f}× the "
            f"interface; target ≤ 1.30× floor: {verdict(ratio <= 1.3)}"
        )

        template = plan_template()
        rounds = throughput_rounds(args.rows, args.rounds, template, folder)
        middle = sorted(rounds, key=lambda r: r.ratio)[len(rounds) // 2]
        small = middle.batch
        print(
            f"\n2. throughput ({args.rows:,} rows of the 36-dose label plan; the median of "
            f"{len(rounds)} round(s), each batch between two runs of the reference)"
        )
        print(
            f"   reference loop (dicts + json.dumps)  {middle.ref_wall:7,.0f} plans/s "
            f"({middle.ref_cpu:,.0f} CPU)"
        )
        print(
            f"   titrate batch FILE -o OUT            {middle.rate:7,.0f} plans/s "
            f"({middle.rate_cpu:,.0f} CPU; start-up included) = {middle.ratio:.2f}× the "
            f"reference (CPU {middle.ratio_cpu:.2f}×); target ≥ 0.50×: "
            f"{verdict(middle.ratio >= 0.5)}"
        )
        if len(rounds) > 1:
            shown = ", ".join(f"{r.ratio:.2f}× (CPU {r.ratio_cpu:.2f}×)" for r in rounds)
            print(f"   every round: {shown}")

        plans = plan_growth(args.seconds)
        days_ratio = plans["long_days"] / plans["short_days"]
        time_ratio = plans["long_seconds"] / plans["short_seconds"]
        print("\n3. growth")
        print(
            f"   plan, {plans['short_days']:.0f} vs {plans['long_days']:.0f} days (in process, "
            f"build + check + JSON, least of {GROWTH_SAMPLES} samples): "
            f"{ms(plans['short_seconds'], 2)} vs {ms(plans['long_seconds'], 2)} = "
            f"{time_ratio:.1f}× for {days_ratio:.1f}× the days "
            f"({verdict(time_ratio <= days_ratio * 1.2)} linear); peak memory of the command "
            f"{plans['short_peak']:.0f} vs {plans['long_peak']:.0f} MB"
        )
        big_rows = args.rows * 10
        big = batch_run(big_rows, folder)
        peak_ratio = big.peak_mb / small.peak_mb
        per_row, big_per_row = small.cpu / args.rows, big.cpu / big_rows
        print(
            f"   batch, {args.rows:,} vs {big_rows:,} rows: {small.wall:.1f} vs {big.wall:.1f} s "
            f"wall, {1e6 * per_row:.0f} vs {1e6 * big_per_row:.0f} µs CPU per row = "
            f"{big_per_row / per_row:.2f}× ({verdict(big_per_row / per_row <= 1.2)} linear); "
            f"peak memory {small.peak_mb:.0f} vs {big.peak_mb:.0f} MB = {peak_ratio:.2f}× "
            f"(target ≤ 1.20×: {verdict(peak_ratio <= 1.2)})"
        )
    if args.profile:
        profile_batch(args.profile)


def ms(seconds: float, places: int = 0) -> str:
    return f"{seconds * 1000:6.{places}f} ms"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs, 1 round, 1,000 / 10,000 rows")
    parser.add_argument("--runs", type=int, default=21, help="start-up runs per command")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the small batch")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per in-process figure")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="ROWS", help="also profile ROWS rows in process"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.rows, args.seconds, args.rounds = 5, 1_000, 0.5, 1
    report(args)


if __name__ == "__main__":
    main()
