"""iCalendar (RFC 5545): one event per dose with a reminder, for the patient's phone.

- Times carry the plan's zone (TZID) and a VTIMEZONE covering only the plan's span, so
  08:00 stays 08:00 local across a clock change. A dose whose wall time is ambiguous (the
  repeated hour of a fall-back night) or lies within one clock jump after a spring-forward
  gap (where a dose from the gap is moved) is written in UTC (`DTSTART:…Z`): clients
  disagree on which of two 01:30s a TZID time means (khal, ical.js, node-ical and vobject
  take the second), and an instant in UTC has one reading.
- The VTIMEZONE onsets are corrected to RFC 5545 §3.6.5: DTSTART of a STANDARD or DAYLIGHT
  part is the local time before the change (in TZOFFSETFROM). icalendar 7.3 writes the
  local time after a spring-forward change (`DTSTART:20270328T020000` for London, where
  the change is at 01:00 GMT), which ical.js reads an hour late.
- UIDs are uuid5(plan identity, dose's local start): re-importing a re-exported plan
  updates its events instead of duplicating them.
- DTSTAMP is the date the plan was issued (`RenderOptions.printed_on`, else the plan's
  start) at 00:00 UTC, never the clock: the same plan gives byte-identical files.
  SEQUENCE is that date as YYYYMMDD, so a revised plan for the same patient and start,
  issued on a later day, keeps its UIDs and raises SEQUENCE with a newer DTSTAMP
  (RFC 5546 §2.1.5: a calendar replaces an event whose SEQUENCE, then DTSTAMP, is newer).
  Two revisions issued on the same day carry the same SEQUENCE and DTSTAMP.
- A finding is never hidden: the summary of every dose on an affected day starts with
  the finding's severity and rule, and the description spells it out; findings about
  the whole plan are in every event's description and in the calendar description.
- The plan's notes (e.g. "02:30 does not exist on 14 Mar 2027 … that dose is at 03:30")
  are in every event's description and in the calendar description.
- A review date (e.g. stop if there is no benefit by day 45) is an all-day event on that
  date, with its own stable UID, whether or not it falls within the plan's days; every
  dose's description repeats it.
- Text is RFC 5545 TEXT: a carriage return is not allowed in it, so any line ending in a
  name or note becomes a line break (\n); commas, semicolons and backslashes are escaped
  and long lines folded by icalendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vDDDTypes, vText

from titrate.model import Dose, Plan
from titrate.render import RenderOptions
from titrate.render.common import finding_line, mg, title
from titrate.render.ending import then_text
from titrate.render.view import (
    day_text,
    finding_days,
    local_start,
    notice_line,
    plan_identity,
    review_line,
    stable_uuid,
)

PRODID = "-//titrate//dose schedule//EN"
# How long a dose event lasts in the calendar: long enough to be seen, short enough not
# to block the day.
EVENT_MINUTES = 15


def dose_uid(plan: Plan, dose: Dose) -> str:
    local = local_start(dose, plan).replace(tzinfo=None).isoformat()
    return f"{stable_uuid(plan_identity(plan), 'dose', local)}@titrate"


def review_uid(plan: Plan) -> str:
    assert plan.review_by is not None
    return f"{stable_uuid(plan_identity(plan), 'review', plan.review_by.date.isoformat())}@titrate"


def ics_text(text: str) -> vText:
    """RFC 5545 TEXT has no carriage return: every line ending becomes a line break."""
    return vText(text.replace("\r\n", "\n").replace("\r", "\n"))


def issued_on(plan: Plan, options: RenderOptions) -> date:
    return options.printed_on or plan.start


def sequence(issued: date) -> int:
    """SEQUENCE from the issue date: later revisions get larger numbers, with no state."""
    return int(issued.strftime("%Y%m%d"))


def needs_utc(start: datetime) -> bool:
    """True for a wall time clients may read differently: ambiguous (a repeated hour) or
    within one clock jump after a forward change (where a dose from the gap lands)."""
    tz = start.tzinfo
    assert isinstance(tz, ZoneInfo)
    wall = start.replace(tzinfo=None)

    def offsets(moment: datetime) -> tuple[timedelta | None, timedelta | None]:
        return (
            moment.replace(tzinfo=tz, fold=0).utcoffset(),
            moment.replace(tzinfo=tz, fold=1).utcoffset(),
        )

    first, second = offsets(wall)
    if first != second:
        return True
    before = (start - timedelta(days=1)).utcoffset()
    after = start.utcoffset()
    if before is None or after is None or after <= before:
        return False
    earlier_first, earlier_second = offsets(wall - (after - before))
    return earlier_first != earlier_second


def correct_onsets(timezone: Timezone, tz: ZoneInfo) -> None:
    """Rewrite each onset as the local time before the change (RFC 5545 §3.6.5)."""
    for part in timezone.subcomponents:
        offset_from: timedelta = part.decoded("TZOFFSETFROM")
        offset_to: timedelta = part.decoded("TZOFFSETTO")
        if offset_from == offset_to:
            continue  # the opening part: no change happens at its DTSTART
        written: datetime = part.decoded("DTSTART")
        for candidate in (written - offset_from, written - offset_to):
            instant = candidate.replace(tzinfo=UTC)
            just_before = (instant - timedelta(seconds=1)).astimezone(tz).utcoffset()
            if just_before == offset_from and instant.astimezone(tz).utcoffset() == offset_to:
                part["DTSTART"] = vDDDTypes(candidate + offset_from)
                break


def render(plan: Plan, options: RenderOptions) -> bytes:
    issued = issued_on(plan, options)
    stamp = datetime.combine(issued, time(0), tzinfo=UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", ics_text(title(plan)))
    calendar.add("x-wr-timezone", plan.timezone)

    by_day: dict[int, list[str]] = {}
    plan_wide: list[str] = []
    for finding in plan.findings:
        days = finding_days(plan, finding)
        if not days:
            plan_wide.append(finding_line(finding))
        for day in days:
            by_day.setdefault(day, []).append(finding_line(finding))
    # Severity and rule of each finding, for the summary line a phone shows.
    short_by_day: dict[int, list[str]] = {}
    for finding in plan.findings:
        for day in finding_days(plan, finding):
            tag = f"{finding.severity.upper()} {finding.rule}"
            if tag not in short_by_day.setdefault(day, []):
                short_by_day[day].append(tag)

    date_of_day = {day.day: day.date for day in plan.days}
    total_of_day = {day.day: day.total_mg for day in plan.days}
    sources = "; ".join(f"[{source.id}] {source.title} {source.url}" for source in plan.sources)
    review = plan.review_by
    review_text = [f"{review_line(review)} Source: {review.source}"] if review else []
    notes = [f"Note: {note}" for note in plan.notes]
    calendar.add(
        "x-wr-caldesc",
        ics_text(
            "\n".join(
                [
                    title(plan),
                    *(f"Finding: {finding_line(finding)}" for finding in plan.findings),
                    *review_text,
                    *notes,
                    plan.disclaimer,
                ]
            )
        ),
    )
    drug = plan.regimen.drug.capitalize()
    for dose in plan.doses:
        start = local_start(dose, plan)
        amount = f" ({dose.amount.text})" if dose.amount else ""
        flags = short_by_day.get(dose.day, [])
        summary = f"{drug} {mg(dose.dose_mg)}{amount}"
        if flags:
            summary = f"⚠ {', '.join(flags)}: {summary}"
        description = [
            f"Take {plan.regimen.drug} {mg(dose.dose_mg)}{amount}.",
            f"Day {dose.day} ({day_text(date_of_day[dose.day])}), step {dose.step}, "
            f"dose {dose.number} of {len(plan.doses)}; "
            f"{mg(total_of_day[dose.day])} that day.",
            *by_day.get(dose.day, []),
            *(f"Finding (whole plan): {line}" for line in plan_wide),
            *review_text,
            *notes,
            *(notice_line(notice) for notice in plan.notices),
            plan.disclaimer,
            f"Sources: {sources}",
        ]
        event = Event()
        event.add("uid", dose_uid(plan, dose))
        event.add("dtstamp", stamp)
        event.add("sequence", sequence(issued))
        event.add("dtstart", start.astimezone(UTC) if needs_utc(start) else start)
        event.add("duration", timedelta(minutes=EVENT_MINUTES))
        event.add("summary", summary)
        event.add("description", ics_text("\n".join(description)))
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["Medication"])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", timedelta(minutes=-options.remind_minutes))
        event.add_component(alarm)
        calendar.add_component(event)
    if review is not None:
        calendar.add_component(_review_event(plan, stamp, sequence(issued), sources))
    if plan.then is not None:
        calendar.add_component(_then_event(plan, stamp, sequence(issued)))
    if plan.days:
        # Only the transitions within the plan: an unbounded VTIMEZONE spans 1970-2038.
        calendar.add_missing_timezones(
            plan.days[0].date - timedelta(days=1), plan.days[-1].date + timedelta(days=2)
        )
        for timezone in calendar.timezones:
            correct_onsets(timezone, ZoneInfo(plan.timezone))
    data: bytes = calendar.to_ical()
    return data


def _then_event(plan: Plan, stamp: datetime, revision: int) -> Event:
    """How the plan ends, as an all-day event on the day after it: the calendar's last
    entry must not read as the last dose when the plan continues."""
    then = plan.then
    assert then is not None
    words = then_text(plan) or ""
    event = Event()
    event.add(
        "uid", f"{stable_uuid(plan_identity(plan), 'then', then.from_date.isoformat())}@titrate"
    )
    event.add("dtstamp", stamp)
    event.add("sequence", revision)
    event.add("dtstart", then.from_date)
    event.add("dtend", then.from_date + timedelta(days=1))
    summary = {
        "continue": f"Keep taking {plan.regimen.drug}: the schedule goes on",
        "review": f"Keep taking {plan.regimen.drug}; see your prescriber",
        "stop": f"{plan.regimen.drug}: the last dose was yesterday; do not restart alone",
    }[then.action]
    event.add("summary", summary)
    event.add("description", ics_text("\n".join([words, title(plan), plan.disclaimer])))
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Medication"])
    return event


def _review_event(plan: Plan, stamp: datetime, revision: int, sources: str) -> Event:
    """The review date as an all-day event (a date, no time zone needed)."""
    review = plan.review_by
    assert review is not None
    event = Event()
    event.add("uid", review_uid(plan))
    event.add("dtstamp", stamp)
    event.add("sequence", revision)
    event.add("dtstart", review.date)
    event.add("dtend", review.date + timedelta(days=1))
    event.add("summary", f"⚑ Review {plan.regimen.drug} treatment today (day {review.day})")
    event.add(
        "description",
        ics_text(
            "\n".join(
                [
                    f"{review_line(review)} Source: {review.source}",
                    title(plan),
                    plan.disclaimer,
                    f"Sources: {sources}",
                ]
            )
        ),
    )
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Medication"])
    return event
