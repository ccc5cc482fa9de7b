"""CSV (RFC 4180, UTF-8, CRLF): one row per dose, for spreadsheets and dispensing systems.

Columns: date, time (local wall time in the plan's zone), day, step, dose_mg (exact),
amount (of the chosen product, empty without one), taken (left empty to tick),
findings (every finding about that dose's day, and those about the whole plan), notes.

After the dose rows come note rows, whose dose columns are all empty and whose `notes`
cell holds the patient, prescriber and pharmacy (when given), the time zone, the review
date (whose row also has it in `date`), how the plan ends (`Then: …`, dated the
day after the last day), the plan's notes (e.g. a dose moved by a clock
change), the notices, the disclaimer and each source: a spreadsheet user sees them and a
script skips every row with an empty `day`. On the review day itself, the `notes` cell
of each dose row says so too.

Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) get a leading apostrophe.

For spreadsheets (`RenderOptions.excel`): the same rows as UTF-8 bytes after a
byte order mark. Excel and LibreOffice read a CSV without one in the system's legacy code
page (`½ ×` shows as `Â½ Ã—`); with it they read UTF-8. Lines end in CRLF either way.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from titrate.model import Plan
from titrate.model.units import decimal_text
from titrate.render import RenderOptions
from titrate.render.common import finding_line
from titrate.render.ending import then_text
from titrate.render.view import (
    clock_text,
    finding_day,
    local_start,
    notice_line,
    review_line,
)

COLUMNS = ("date", "time", "day", "step", "dose_mg", "amount", "taken", "findings", "notes")
FINDING_COLUMNS = (
    "code",
    "rule",
    "severity",
    "day",
    "date",
    "dose",
    "at",
    "message",
    "source",
    "basis",
    "last_day",  # a run of days with the same finding ends here (empty: one day)
    "last_date",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # UTF-8: EF BB BF


def text_cell(text: str) -> str:
    """Neutralise spreadsheet formula injection (OWASP's advice: a leading apostrophe)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def exact(value: Decimal) -> str:
    """An exact plain number: 15, 2.5, 0.125 (never 1E+1, never rounded)."""
    return decimal_text(value)


def for_spreadsheet(text: str, excel: bool) -> str | bytes:
    """The CSV as written: text, or for Excel UTF-8 bytes after a byte order mark (bytes,
    so that stdout's own encoding never changes them)."""
    return (BOM + text).encode("utf-8") if excel else text


def render(plan: Plan, options: RenderOptions) -> str | bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    date_of_day = {day.day: day.date for day in plan.days}
    plan_wide = [finding_line(f) for f in plan.findings if finding_day(plan, f) is None]
    by_day: dict[int, list[str]] = {}
    for finding in plan.findings:
        day = finding_day(plan, finding)
        if day is not None:
            for run_day in range(day, (finding.last_day or day) + 1):
                by_day.setdefault(run_day, []).append(finding_line(finding))
    review = plan.review_by
    review_note = f"{review_line(review)} Source: {review.source}" if review else ""
    for dose in plan.doses:
        on_review_day = review is not None and dose.day == review.day
        writer.writerow(
            [
                date_of_day[dose.day].isoformat(),
                clock_text(local_start(dose, plan)),
                dose.day,
                dose.step,
                exact(dose.dose_mg),
                text_cell(dose.amount.text) if dose.amount else "",
                "",
                text_cell("; ".join(by_day.get(dose.day, []) + plan_wide)),
                text_cell(f"Review day: {review_note}") if on_review_day else "",
            ]
        )
    people = [
        f"{label}: {value}"
        for label, value in (
            ("Patient", plan.patient.name),
            ("Prescriber", options.prescriber),
            ("Pharmacy", options.pharmacy),
        )
        if value
    ]
    for note in people:
        writer.writerow(["", "", "", "", "", "", "", "", text_cell(note)])
    if review is not None:
        writer.writerow(
            [review.date.isoformat(), "", "", "", "", "", "", "", text_cell(review_note)]
        )
    ending = then_text(plan)
    if plan.then is not None and ending is not None:
        writer.writerow(
            [
                plan.then.from_date.isoformat(),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                text_cell(f"Then: {ending}"),
            ]
        )
    notes = [
        f"Times are local wall-clock times in {plan.timezone}.",
        f"{plan.regimen.name}: daily maximum {exact(plan.regimen.max_daily_mg)} mg.",
        *(f"Finding (whole plan): {line}" for line in plan_wide),
        *(f"Note: {note}" for note in plan.notes),
        *(f"{notice_line(notice)} Source: {notice.source}" for notice in plan.notices),
        f"Disclaimer: {plan.disclaimer}",
        *(
            f"Source [{source.id}] {source.title}"
            + (f", {source.section}" if source.section else "")
            + f". {source.url} (retrieved {source.retrieved.isoformat()})"
            for source in plan.sources
        ),
    ]
    for note in notes:
        writer.writerow(["", "", "", "", "", "", "", "", text_cell(note)])
    return for_spreadsheet(out.getvalue(), options.excel)


def render_findings(plan: Plan, excel: bool = False) -> str | bytes:
    """The findings as their own CSV; a header row even when there are none."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FINDING_COLUMNS)
    date_of_day = {day.day: day.date for day in plan.days}
    for finding in plan.findings:
        day = finding_day(plan, finding)
        writer.writerow(
            [
                finding.code,
                finding.rule,
                finding.severity,
                day if day is not None else "",
                date_of_day[day].isoformat() if day is not None and day in date_of_day else "",
                finding.dose if finding.dose is not None else "",
                finding.at.isoformat() if finding.at else "",
                text_cell(finding.message),
                text_cell(finding.source),
                finding.basis or "",
                finding.last_day if finding.last_day is not None else "",
                date_of_day[finding.last_day].isoformat()
                if finding.last_day in date_of_day
                else "",
            ]
        )
    return for_spreadsheet(out.getvalue(), excel)
