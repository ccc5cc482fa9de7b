"""The naive loop `titrate batch` is measured against: plain Python, standard library only.

    python bench/naive.py TEMPLATES.jsonl ROWS.csv OUT.jsonl

For each row of the bench's workload (`run.request_row`: id, regimen, start, times, tz,
age, patient) it rebuilds the very record `titrate batch` writes: fresh dose and day
dicts with the row's dates and zone-aware times, the patient, the start, the end, and the
regimen's static parts (regimen, sources, notices, product, dispensing, ...) reused from
a template, then `json.dumps`. TEMPLATES.jsonl holds two lines of `titrate batch` output
for the same regimen made before timing starts: one with the regimen's default clock
times, one with clock times given (their notes differ). The output is byte for byte
titrate's for this workload (tests/test_bench.py checks it); it knows nothing else
(no rules, no other drugs, no DST gaps).
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def prepared(plan: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[int, int]]]:
    """The template plan and, for each dose, (its day's offset from the start, its place
    among that day's doses)."""
    places: list[tuple[int, int]] = []
    seen: dict[int, int] = {}
    for dose in plan["doses"]:
        place = seen.get(dose["day"], 0)
        seen[dose["day"]] = place + 1
        places.append((dose["day"] - 1, place))
    return plan, places


def instant(on: date, clock: str, zone: ZoneInfo) -> str:
    hour, minute = clock.split(":")
    at = datetime(on.year, on.month, on.day, int(hour), int(minute), tzinfo=zone).isoformat()
    return at[:-6] + "Z" if at.endswith("+00:00") else at


def record(index: int, row: dict[str, str], template: dict[str, Any], places: list[Any]) -> str:
    zone = ZoneInfo(row["tz"])
    start = date.fromisoformat(row["start"])
    times = {key: row["times"].split(",") for key in template["times"]} if row["times"] else None
    clocks = times or template["times"]
    per_day = {day["day"] - 1: str(day["doses"]) for day in template["days"]}
    doses = []
    for dose, (offset, place) in zip(template["doses"], places, strict=True):
        on = start + timedelta(days=offset)
        doses.append({**dose, "at": instant(on, clocks[per_day[offset]][place], zone)})
    days = [
        {**day, "date": (start + timedelta(days=day["day"] - 1)).isoformat()}
        for day in template["days"]
    ]
    then = {
        **template["then"],
        "from": (start + timedelta(days=len(days))).isoformat(),
        "after": doses[-1]["at"],
    }
    patient = {**template["patient"], "name": row["patient"], "age_years": int(row["age"])}
    plan = {
        **template,
        "patient": patient,
        "start": row["start"],
        "timezone": row["tz"],
        "times": clocks,
        "doses": doses,
        "days": days,
        "then": then,
    }
    return json.dumps(
        {"row": index, "id": row["id"], "plan": plan}, ensure_ascii=False, separators=(",", ":")
    )


def main(argv: list[str]) -> None:
    templates_path, rows_path, out_path = argv
    with open(templates_path, encoding="utf-8") as handle:
        default_times, given_times = (prepared(json.loads(line)["plan"]) for line in handle)
    with (
        open(rows_path, newline="", encoding="utf-8") as rows,
        open(out_path, "w", encoding="utf-8", newline="\n") as out,
    ):
        for index, row in enumerate(csv.DictReader(rows), start=1):
            template, places = given_times if row["times"] else default_times
            out.write(record(index, row, template, places) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
