"""Time per plan in process, a 12-day against a 365-day plan (run by bench/run.py with the
installed titrate): planned and written as `titrate batch` does, least of many samples.

    python bench/growth.py SECONDS     # prints {"short_days": 12, "short_seconds": ...}
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from titrate import batch
from titrate.catalog import load_regimens

SAMPLES = 15
PLAN = {"regimen": "baclofen", "start": "2026-12-01"}


def per_plan(planner: batch.Planner, request: batch.Request, seconds: float) -> float:
    """CPU seconds per plan, from as many plans as fit in about `seconds`."""
    planner.line(request, batch.Summary())
    calls, started, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        planner.line(request, batch.Summary())
        calls += 1
        if time.perf_counter() - started >= seconds:
            return (time.process_time() - cpu) / calls


def main(seconds: float) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    planner = batch.Planner(load_regimens(), default_zone="UTC", now=now)
    figures: dict[str, float] = {}
    lengths = {"short": "0", "long": "353"}  # days held at the last step after the 12
    requests = {
        label: batch.Request(1, "g", {**PLAN, "hold_days": days}) for label, days in lengths.items()
    }
    for label, request in requests.items():
        line = json.loads(planner.line(request, batch.Summary()))
        figures[f"{label}_days"] = len(line["plan"]["days"])
    # Interleaved samples, keeping the least: on a shared machine the least disturbed
    # sample is the best estimate of what a plan costs.
    for _ in range(SAMPLES):
        for label, request in requests.items():
            sample = per_plan(planner, request, seconds / SAMPLES / 2)
            key = f"{label}_seconds"
            figures[key] = min(figures.get(key, sample), sample)
    print(json.dumps(figures))


if __name__ == "__main__":
    main(float(sys.argv[1]))
