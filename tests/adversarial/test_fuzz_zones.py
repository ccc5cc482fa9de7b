"""The tool accepts its own output, in every zone (hypothesis; issue 16).

For generated plans — a zone sampled from all of `zoneinfo.available_timezones()`, started
the day before one of that zone's clock changes (or a day it skipped), with odd clock
times — what `plan -f json` writes, `check`, `audit` (with a log of the plan's own dose
times) and `missed` accept (exit 0 or 1, never 2 or 3), and the plan keeps its promises:
doses in time order, never two days' doses on one instant, one date per day, a note for
every time moved. TITRATE_FUZZ_EXAMPLES raises the bound; the counts are printed.
"""

from __future__ import annotations

import json
import os
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import run

EXAMPLES = int(os.environ.get("TITRATE_FUZZ_EXAMPLES", "40"))
ZONES = sorted(zoneinfo.available_timezones())
SEEN: dict[str, int] = {"examples": 0, "zones": 0, "moved_times": 0, "skipped_days": 0}
_ZONES_SEEN: set[str] = set()


def next_change(tz: zoneinfo.ZoneInfo, after: date) -> date:
    """The first date on or after `after` whose UTC offset at its end differs from its
    start (a clock change), within a year; else `after` itself."""
    day = after
    for _ in range(366):
        start = datetime.combine(day, time(0), tzinfo=tz).utcoffset()
        end = datetime.combine(day, time(23, 59), tzinfo=tz).utcoffset()
        if start != end:
            return day
        day += timedelta(days=1)
    return after


clock_times = st.lists(
    st.builds(
        time,
        st.one_of(st.sampled_from([0, 1, 2, 3, 23]), st.integers(0, 23)),
        st.one_of(st.sampled_from([0, 30, 59]), st.integers(0, 59)),
    ),
    min_size=1,
    max_size=4,
    unique=True,
).map(sorted)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    zone_name=st.sampled_from(ZONES),
    year=st.integers(1900, 2037),
    times=clock_times,
    days=st.integers(1, 3),
)
@example(zone_name="Pacific/Apia", year=2011, times=[time(8), time(14), time(20)], days=3)
@example(zone_name="America/New_York", year=2027, times=[time(2, 10), time(2, 40)], days=2)
@example(zone_name="Pacific/Kwajalein", year=1993, times=[time(0), time(23, 59)], days=2)
def test_the_tool_accepts_its_own_plans_in_every_zone(
    tmp_path: Path, zone_name: str, year: int, times: list[time], days: int
) -> None:
    tz = zoneinfo.ZoneInfo(zone_name)
    change = next_change(
        tz, date(year, 8, 1) if zone_name == "Pacific/Kwajalein" else date(year, 1, 1)
    )
    if zone_name == "Pacific/Apia" and year == 2011:
        change = date(2011, 12, 30)
    start = change - timedelta(days=1)
    spec = ",".join(t.strftime("%H:%M") for t in times)
    result = run(
        "plan", "baclofen", "--tz", zone_name, "--start", start.isoformat(),
        "--steps", f"5x{len(times)}:{days},10x{len(times)}:1", "--times", spec, "-f", "json",
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.stderr
    plan = json.loads(result.stdout)
    SEEN["examples"] += 1
    _ZONES_SEEN.add(zone_name)
    SEEN["zones"] = len(_ZONES_SEEN)
    SEEN["moved_times"] += sum(
        "does not exist" in note and "(clocks go" in note for note in plan["notes"]
    )
    SEEN["skipped_days"] += sum("the zone skipped that calendar day" in n for n in plan["notes"])

    instants = [datetime.fromisoformat(dose["at"]).astimezone(UTC) for dose in plan["doses"]]
    assert instants == sorted(instants)
    by_day: dict[int, set[datetime]] = {}
    for dose, at in zip(plan["doses"], instants, strict=True):
        by_day.setdefault(dose["day"], set()).add(at)
    for day, shared in by_day.items():
        for other, other_instants in by_day.items():
            assert other == day or not shared & other_instants  # never stacked across days
    dates = [day["date"] for day in plan["days"]]
    assert dates == sorted(set(dates))

    path = tmp_path / "plan.json"
    path.write_text(result.stdout)
    checked = run("check", str(path), "-f", "json")
    assert checked.exit_code in (0, 1), checked.stderr
    assert [f["rule"] for f in json.loads(checked.stdout)["findings"]] == [
        f["rule"] for f in plan["findings"]
    ]

    first, last = plan["doses"][0], plan["doses"][-1]
    log = tmp_path / "log.csv"
    log.write_text(f"taken_at,dose_mg\n{first['at']},{first['dose_mg']}\n")
    now = (datetime.fromisoformat(last["at"]) + timedelta(hours=1)).isoformat()
    audited = run("audit", str(path), str(log), "--now", now, "-f", "json")
    assert audited.exit_code in (0, 1), audited.stderr
    missed = run("missed", "--plan", str(path), "--dose-number", "1", "--now", now, "-f", "json")
    assert missed.exit_code in (0, 1), missed.stderr


def test_zz_report_the_zone_fuzz_count() -> None:
    print(f"\nzone fuzz: {SEEN} of {len(ZONES)} zones available")
