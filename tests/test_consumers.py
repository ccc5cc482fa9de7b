"""Third-party consumers read titrate's files as titrate means them.

- ICS: `ical` (strict; Home Assistant's parser) and `vobject` read every ICS golden file
  and give the plan JSON's instants, dose by dose, including the fall-back night where
  01:30 happens twice (khal, ical.js, node-ical and vobject read a TZID 01:30 as the
  second one; titrate writes that dose in UTC). Each file is read in a fresh process:
  vobject caches a VTIMEZONE by its name across files in one process.
- FHIR: `fhirclient` (R4 4.0.1, strict) parses every FHIR golden file.
(check-jsonschema validates the plan JSON goldens in test_schema.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import GOLDEN, run
from titrate.api import plan as build_plan
from titrate.catalog import get_regimen
from titrate.model import PlanOptions, Step

BACLOFEN = get_regimen("baclofen")

FALL_BACK = [
    "plan", "baclofen", "--start", "2026-10-24", "--times", "01:30,13:00,21:00",
    "--tz", "Europe/London", "--printed-on", "2026-10-01",
]  # fmt: skip


def test_fall_back_plan_goldens(golden: Callable[[str, str | bytes], None]) -> None:
    for fmt, name in (("ics", "fall_back_plan.ics"), ("json", "fall_back_plan.json")):
        result = run(*FALL_BACK, "-f", fmt)
        assert result.exit_code == 0, result.stderr
        golden(name, result.stdout_bytes)


# Each reader prints the UTC instants of the timed events, one per line.
READERS = {
    "ical": """
import sys
from datetime import UTC, datetime
from ical.calendar_stream import IcsCalendarStream
calendar = IcsCalendarStream.calendar_from_ics(open(sys.argv[1], encoding="utf-8").read())
for event in calendar.events:
    if isinstance(event.dtstart, datetime):
        print(event.dtstart.astimezone(UTC).isoformat())
""",
    "vobject": """
import sys
from datetime import UTC, datetime
import vobject
calendar = vobject.readOne(open(sys.argv[1], encoding="utf-8").read())
for event in calendar.vevent_list:
    if isinstance(event.dtstart.value, datetime):
        print(event.dtstart.value.astimezone(UTC).isoformat())
""",
}

ICS_GOLDENS = sorted(GOLDEN.glob("*.ics"))


def plan_instants(ics: Path) -> list[str]:
    plan = json.loads(ics.with_suffix(".json").read_text())
    return sorted(
        datetime.fromisoformat(d["at"]).astimezone(UTC).isoformat() for d in plan["doses"]
    )


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("ics", ICS_GOLDENS, ids=[path.stem for path in ICS_GOLDENS])
def test_ics_readers_agree_with_the_plan_json(reader: str, ics: Path) -> None:
    pytest.importorskip(reader)
    result = subprocess.run(
        [sys.executable, "-c", READERS[reader], str(ics)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(result.stdout.split()) == plan_instants(ics)


def test_every_ics_golden_has_its_plan_json() -> None:
    assert {path.stem for path in ICS_GOLDENS} >= {"label_plan", "over_max_plan", "fall_back_plan"}
    assert all(path.with_suffix(".json").exists() for path in ICS_GOLDENS)


def test_the_repeated_hour_dose_is_the_first_one() -> None:
    instants = plan_instants(GOLDEN / "fall_back_plan.ics")
    # 2026-10-25 01:30 in London: first at 00:30 UTC (BST), the second would be 01:30 UTC
    assert "2026-10-25T00:30:00+00:00" in instants
    assert "2026-10-25T01:30:00+00:00" not in instants


FHIR_GOLDENS = sorted(GOLDEN.glob("*.fhir.json"))


@pytest.mark.parametrize("path", FHIR_GOLDENS, ids=[path.name for path in FHIR_GOLDENS])
def test_fhirclient_strict_reads_every_fhir_golden(path: Path) -> None:
    pytest.importorskip("fhirclient")
    from fhirclient.models.bundle import Bundle

    document = json.loads(path.read_text())
    bundle = Bundle(document, strict=True)  # raises on any element R4 does not define
    kinds = [entry.resource.resource_type for entry in bundle.entry]
    assert kinds[0] == "MedicationRequest"
    assert bundle.as_json() == document  # nothing dropped or added in the round trip


# --- Properties: any plan, any zone, times near the clock changes ---

TRANSITION_ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe"]
# Start dates a few days before the 2026-2027 clock changes of those zones.
NEAR_CHANGES = [
    date(2026, 3, 26), date(2026, 10, 22), date(2026, 3, 6), date(2026, 10, 29),
    date(2026, 4, 1), date(2026, 10, 1), date(2027, 3, 25), date(2027, 3, 11),
]  # fmt: skip


@st.composite
def clocks(draw: st.DrawFn) -> list[time]:
    """1 to 4 distinct clock times, mostly in the small hours where clocks change."""
    hours = st.one_of(st.integers(0, 3), st.integers(0, 23))
    picked = draw(
        st.lists(
            st.builds(time, hours, st.sampled_from([0, 15, 30, 45])),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    return sorted(picked)


@st.composite
def near_change_options(draw: st.DrawFn) -> PlanOptions:
    times = draw(clocks())
    return PlanOptions(
        start=draw(st.sampled_from(NEAR_CHANGES)) + timedelta(days=draw(st.integers(0, 4))),
        timezone=draw(st.sampled_from(TRANSITION_ZONES)),
        times=times,
        steps=[Step(dose_mg=Decimal(5), per_day=len(times), days=draw(st.integers(3, 6)))],
    )


@settings(max_examples=60, deadline=None)
@given(near_change_options())
def test_ical_reads_the_plans_instants_for_any_plan_near_a_clock_change(
    options: PlanOptions,
) -> None:
    from ical.calendar_stream import IcsCalendarStream

    from titrate.render import RenderOptions
    from titrate.render.ics import render as render_ics

    the_plan = build_plan(BACLOFEN, options)
    calendar = IcsCalendarStream.calendar_from_ics(render_ics(the_plan, RenderOptions()).decode())
    read = sorted(
        e.dtstart.astimezone(UTC) for e in calendar.events if isinstance(e.dtstart, datetime)
    )
    assert read == sorted(dose.at.astimezone(UTC) for dose in the_plan.doses)


@settings(max_examples=60, deadline=None)
@given(near_change_options())
def test_check_reads_back_its_fhir_export_dose_for_dose(options: PlanOptions) -> None:
    from titrate.core.check import check_text
    from titrate.render import RenderOptions
    from titrate.render.fhir import render as render_fhir

    the_plan = build_plan(BACLOFEN, options)
    text = render_fhir(the_plan, RenderOptions())
    back = check_text(text, "plan.fhir.json", timezone=options.timezone)
    # compared as sets of instants: a dose moved out of a gap can land after the next
    # scheduled one (02:15 → 03:15 before 03:00), and the read-back plan is in time order
    assert sorted((d.at, d.dose_mg) for d in back.doses) == sorted(
        (d.at, d.dose_mg) for d in the_plan.doses
    )
