"""iCalendar export, parsed back with icalendar: one event per dose at the right local
time (also across a clock change), a reminder, stable UIDs, fixed DTSTAMP, findings in
the affected doses' summaries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from conftest import run
from titrate.model import Plan
from titrate.schema import validate_json

LABEL = [
    "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London",
    "--patient", "Example Patient", "--printed-on", "2026-11-26",
]  # fmt: skip
OVER_MAX = [*LABEL, "--steps", "20x4:3,25x4:3"]


def export(args: list[str]) -> tuple[bytes, Calendar, Plan]:
    result = run(*args, "-f", "ics")
    assert result.exit_code in (0, 1), result.stderr
    plan = validate_json(Plan, run(*args, "-f", "json").stdout)
    calendar = Calendar.from_ical(result.stdout_bytes)
    return result.stdout_bytes, calendar, plan


def events(calendar: Calendar) -> list[Component]:
    """The dose events: timed ones (the review date and the plan's ending are all-day)."""
    found = calendar.walk("VEVENT")
    for event in found:
        assert not event.errors, event.errors  # icalendar parses leniently: check
    return [event for event in found if isinstance(event.decoded("dtstart"), datetime)]


def all_day(calendar: Calendar) -> list[Component]:
    return [e for e in calendar.walk("VEVENT") if not isinstance(e.decoded("dtstart"), datetime)]


def test_one_event_per_dose_at_the_plans_instants() -> None:
    data, calendar, plan = export(LABEL)
    assert data.count(b"\r\n") == data.count(b"\n")
    found = events(calendar)
    assert len(found) == len(plan.doses) == 36
    for event, dose in zip(found, plan.doses, strict=True):
        start = event.decoded("dtstart")
        assert start == dose.at
        assert str(start.tzinfo) == "Europe/London"  # a TZID, not floating, not UTC
        assert f"{dose.dose_mg} mg" in str(event["summary"])
        assert event.decoded("duration") == timedelta(minutes=15)
    assert len({str(event["uid"]) for event in found}) == 36
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["tzid"]) for zone in zones] == ["Europe/London"]


def test_reminder_alarm_and_remind_minutes_option() -> None:
    _, calendar, _ = export(LABEL)
    alarms = calendar.walk("VALARM")
    assert len(alarms) == 36
    assert {alarm.decoded("trigger") for alarm in alarms} == {timedelta(minutes=-10)}
    assert {str(alarm["action"]) for alarm in alarms} == {"DISPLAY"}
    _, calendar, _ = export([*LABEL, "--remind-minutes", "45"])
    assert {alarm.decoded("trigger") for alarm in calendar.walk("VALARM")} == {
        timedelta(minutes=-45)
    }


def test_byte_identical_reexport_with_fixed_dtstamp() -> None:
    first, calendar, _ = export(LABEL)
    second, _, _ = export(LABEL)
    assert first == second
    stamps = {event.decoded("dtstamp") for event in events(calendar)}
    assert stamps == {datetime(2026, 11, 26, tzinfo=UTC)}  # the issue date, not now()
    assert {int(event["sequence"]) for event in events(calendar)} == {20261126}


def test_a_revised_plan_keeps_uids_and_raises_sequence_with_a_newer_dtstamp() -> None:
    _, before, _ = export([*LABEL, "--steps", "5x3:3"])
    revised = [*LABEL[:-1], "2026-11-28", "--steps", "10x3:3"]
    again, after, _ = export(revised)
    assert again == export(revised)[0]  # deterministic: no clock read
    assert [str(e["uid"]) for e in events(before)] == [str(e["uid"]) for e in events(after)]
    for old, new in zip(events(before), events(after), strict=True):
        assert int(new["sequence"]) > int(old["sequence"])
        assert new.decoded("dtstamp") > old.decoded("dtstamp")


FALL_BACK = [
    "plan", "baclofen", "--start", "2026-10-24", "--times", "01:30,13:00,21:00",
    "--tz", "Europe/London", "--printed-on", "2026-10-01",
]  # fmt: skip


def test_a_dose_in_the_repeated_hour_is_written_in_utc() -> None:
    data, calendar, plan = export(FALL_BACK)
    # 2026-10-25 01:30 happens twice in London; the plan means the first (BST, 00:30 UTC)
    lines = data.decode().splitlines()
    assert "DTSTART:20261025T003000Z" in lines
    assert [
        line for line in lines if line.startswith("DTSTART;TZID=Europe/London:20261025T01")
    ] == []
    assert "DTSTART;TZID=Europe/London:20261024T013000" in lines  # an unambiguous 01:30
    starts = [event.decoded("dtstart") for event in events(calendar)]
    assert starts == [dose.at for dose in plan.doses]


def test_a_dose_moved_across_the_gap_is_written_in_utc() -> None:
    args = [*FALL_BACK[:3], "2027-03-26", *FALL_BACK[4:]]
    data, _, plan = export(args)
    # 01:30 does not exist on 2027-03-28; the plan moves it to the end of the gap,
    # 02:00 BST (01:00 UTC)
    assert "DTSTART:20270328T010000Z" in data.decode().splitlines()
    assert any("02:00" in note for note in plan.notes)


@pytest.mark.parametrize(
    ("zone", "start", "onsets"),
    [
        # RFC 5545: an onset is the local time before the change, in TZOFFSETFROM
        ("Europe/London", "2027-03-26", ["DTSTART:20270328T010000"]),
        ("Europe/London", "2026-10-24", ["DTSTART:20261025T020000"]),
        ("America/New_York", "2027-03-12", ["DTSTART:20270314T020000"]),
        ("America/New_York", "2026-10-31", ["DTSTART:20261101T020000"]),
        ("Australia/Sydney", "2026-10-02", ["DTSTART:20261004T020000"]),
    ],
)
def test_vtimezone_onsets_are_the_local_time_before_the_change(
    zone: str, start: str, onsets: list[str]
) -> None:
    _, calendar, _ = export(["plan", "baclofen", "--start", start, "--tz", zone])
    changes = [
        part
        for part in calendar.walk("STANDARD") + calendar.walk("DAYLIGHT")
        if part.decoded("TZOFFSETFROM") != part.decoded("TZOFFSETTO")
    ]
    assert [f"DTSTART:{part.decoded('dtstart'):%Y%m%dT%H%M%S}" for part in changes] == onsets


def test_reexport_with_changed_doses_keeps_the_uids() -> None:
    # Same patient, start and times, different doses: a calendar app updates the events.
    _, before, _ = export([*LABEL, "--steps", "5x3:3"])
    _, after, _ = export([*LABEL, "--steps", "10x3:3"])
    assert [str(e["uid"]) for e in events(before)] == [str(e["uid"]) for e in events(after)]
    _, other, _ = export([*LABEL[:-4], "--patient", "Someone Else", "--steps", "5x3:3"])
    assert not {str(e["uid"]) for e in events(before)} & {str(e["uid"]) for e in events(other)}


def test_dst_change_keeps_0800_local_on_both_sides() -> None:
    # Europe/London springs forward on 2027-03-28 at 01:00 UTC.
    args = ["plan", "baclofen", "--start", "2027-03-26", "--tz", "Europe/London"]
    _, calendar, _ = export(args)
    zone = ZoneInfo("Europe/London")
    mornings = [
        event.decoded("dtstart")
        for event in events(calendar)
        if event.decoded("dtstart").astimezone(zone).hour < 12
    ]
    by_date = {start.date(): start for start in mornings}
    before, after = by_date[datetime(2027, 3, 27).date()], by_date[datetime(2027, 3, 29).date()]
    assert before.astimezone(zone).strftime("%H:%M") == "08:00"
    assert after.astimezone(zone).strftime("%H:%M") == "08:00"
    assert before.utcoffset() == timedelta(0)
    assert after.utcoffset() == timedelta(hours=1)
    assert after.astimezone(UTC).hour == 7  # the same wall time is an hour earlier in UTC
    daylight = calendar.walk("DAYLIGHT")
    assert daylight and daylight[0].decoded("dtstart").date() == datetime(2027, 3, 28).date()


def test_vtimezone_is_bounded_to_the_plans_span() -> None:
    data, calendar, _ = export(LABEL)
    # A December plan in London needs GMT only: no daylight rules for 1970-2038.
    assert not calendar.walk("DAYLIGHT")
    assert data.count(b"BEGIN:STANDARD") == 1


def test_findings_are_in_the_affected_doses_summary_and_description() -> None:
    _, calendar, plan = export(OVER_MAX)
    found = events(calendar)
    for event, dose in zip(found, plan.doses, strict=True):
        summary = str(event["summary"])
        description = str(event["description"])
        if dose.day >= 4:
            assert summary.startswith("⚠ ERROR over-daily-max")
            # one finding for the run of days 4-6, on each of their doses
            assert "Days 4–6 (2026-12-04 to 2026-12-06): 100 mg in the day" in description
        elif dose.day in (2, 3):
            assert not summary.startswith("⚠")
        alarm = event.walk("VALARM")[0]
        assert str(alarm["description"]) == summary  # the reminder shows the warning too


def test_utc_plan_has_no_vtimezone() -> None:
    _, calendar, plan = export(["plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC"])
    assert not calendar.walk("VTIMEZONE")
    assert events(calendar)[0].decoded("dtstart") == plan.doses[0].at


@pytest.mark.parametrize("minutes", ["-1", "1441", "ten"])
def test_bad_remind_minutes_exit_2(minutes: str) -> None:
    result = run(*LABEL, "-f", "ics", "--remind-minutes", minutes)
    assert result.exit_code == 2
    assert "--remind-minutes" in result.stderr


DANTROLENE = ["plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC"]


def test_review_date_is_an_all_day_event_with_a_stable_uid() -> None:
    data, calendar, plan = export(DANTROLENE)
    assert plan.review_by is not None
    assert len(events(calendar)) == len(plan.doses)
    found = all_day(calendar)  # the review date and the plan's ending
    assert len(found) == 2
    (review,) = [event for event in found if "Review" in str(event["summary"])]
    assert review.decoded("dtstart") == date(2027, 1, 14)  # a date: an all-day event
    assert review.decoded("dtend") == date(2027, 1, 15)
    assert str(review["summary"]) == "⚑ Review dantrolene treatment today (day 45)"
    description = str(review["description"])
    assert description.startswith(
        "Review by 2027-01-14 (Thu 14 Jan 2027, day 45): " + plan.review_by.text
    )
    assert "Source: [DA1]" in description and plan.disclaimer in description
    # re-export: same UID (a calendar updates it); other patient: another UID
    again, calendar_again, _ = export(DANTROLENE)
    assert again == data
    other = Calendar.from_ical(run(*DANTROLENE, "--patient", "B", "-f", "ics").stdout_bytes)
    uid = str(review["uid"])
    assert uid in {str(e["uid"]) for e in calendar_again.walk("VEVENT")}
    assert uid not in {str(e["uid"]) for e in other.walk("VEVENT")}
    assert uid not in {str(e["uid"]) for e in found if e is not review}
    # every dose's reminder text carries the review date too
    for event in events(calendar):
        assert "Review by 2027-01-14" in str(event["description"])


def ics_unescape(value: str) -> str:
    """RFC 5545 TEXT → text (icalendar leaves X- properties raw)."""
    escapes = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\"}
    return re.sub(r"\\([nN,;\\])", lambda match: escapes[match.group(1)], value)


def test_calendar_description_has_review_date_and_notes() -> None:
    data, _, plan = export(DANTROLENE)
    unfolded = data.decode("utf-8").replace("\r\n ", "")
    (line,) = [item for item in unfolded.split("\r\n") if item.startswith("X-WR-CALDESC:")]
    text = ics_unescape(line.removeprefix("X-WR-CALDESC:"))
    assert "Review by 2027-01-14 (Thu 14 Jan 2027, day 45)" in text
    for note in plan.notes:
        assert f"Note: {note}" in text.split("\n")


def test_a_calendar_in_a_zone_nobody_chose_is_refused(tmp_path: Path) -> None:
    # A machine in UTC and no --tz: a phone in New York would ring at 03:00.
    target = tmp_path / "plan.ics"
    result = run("plan", "baclofen", "--start", "2026-12-01", "-o", str(target), env={"TZ": "UTC"})
    assert result.exit_code == 2 and not target.exists()
    assert result.stderr == (
        "titrate: error: --tz: this machine's zone is UTC and no zone was given: the "
        "calendar's reminders would ring at UTC times; give the patient's zone (for example "
        "America/New_York)\n"
    )
    chosen = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "-f", "ics")
    assert chosen.exit_code == 0  # UTC stated on purpose is the user's choice


def test_the_plans_ending_is_an_all_day_event_the_day_after() -> None:
    _, calendar, plan = export(["plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC"])
    (ending,) = all_day(calendar)
    assert ending.decoded("dtstart") == date(2026, 12, 13)
    assert str(ending["summary"]) == "Keep taking baclofen: the schedule goes on"
    assert str(ending["description"]).startswith(
        "From Sun 13 Dec: keep taking 2 tablets (20 mg) 3 times a day until your prescriber "
        "changes it."
    )
    assert plan.then is not None and plan.then.action == "continue"
