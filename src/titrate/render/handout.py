"""The patient's page: a grid of days × dose times, in words a patient reads.

Built on the shared view model (`render.view`) for the HTML handout. What the anchors ask
(USP <17>, the Universal Medication Schedule, AHRQ's pill card): each dose time named
(morning, midday, evening, bedtime) with its clock time, each cell the amount in words and
numerals ("1½ tablets") with a tick box, the name, dates and any DO-NOT-USE banner on every
printed page, and only the sources the page's own numbers cite. What is for the pharmacist
(dispensing, conventions, rule codes) is on the pharmacist's sheet instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from titrate.model import Dose, Plan
from titrate.render.common import number
from titrate.render.ending import amount_words, short_day, times_words
from titrate.render.findings import FindingView
from titrate.render.view import NoticeView, PlanView, SourceView, local_start

# Where a dose time falls in the day (Universal Medication Schedule, with an afternoon
# for plans of four or more doses): the first period whose end hour is after the time.
_PERIODS = ((11, "Morning"), (15, "Midday"), (18, "Afternoon"), (21, "Evening"), (24, "Bedtime"))
# The notices a patient reads, in the order they matter; others follow in data order.
_PATIENT_ORDER = ("missed-dose", "never-stop-suddenly", "drowsiness", "overdose", "disposal")


def period(clock: str) -> str:
    """`08:00` → `Morning`; `20:00` → `Evening`; `22:00` → `Bedtime`."""
    hour = int(clock[:2])
    return next(label for end, label in _PERIODS if hour < end)


@dataclass(frozen=True)
class Column:
    label: str  # "Morning"
    clock: str  # "08:00"


@dataclass(frozen=True)
class Cell:
    amount: str  # "1½ tablets" (or "10 mg" without a product)
    dose: str | None  # "(15 mg)" beside an amount in tablets or mL


@dataclass(frozen=True)
class Row:
    day: int
    date_text: str
    cells: list[Cell | None]  # one per column; None: no dose at that time
    total: str
    caption: str | None  # on the first day of a step: "Days 4–6: 1 tablet (10 mg) …"
    findings: list[FindingView]  # those whose run starts this day
    review: bool


@dataclass(frozen=True)
class Handout:
    columns: list[Column]
    rows: list[Row]
    notices: list[NoticeView]
    sources: list[SourceView]  # cited on the patient's pages
    pharmacist_sources: list[SourceView]  # cited anywhere in the plan (the JSON has all)
    date_range: str  # "Tue 1 Dec – Sat 12 Dec 2026"
    banner: str | None  # printed on every page of a plan with an error finding
    medicine: str


def build_handout(plan: Plan, view: PlanView) -> Handout:
    clocks = sorted({clock_of(plan, dose) for dose in plan.doses})
    columns = [Column(period(clock), clock) for clock in clocks]
    labels = [column.label for column in columns]
    if len(set(labels)) < len(labels):  # two times in one period: the clock says which
        columns = [Column("", column.clock) for column in columns]
    cells_by_day: dict[int, dict[str, Cell]] = {}
    for dose in plan.doses:
        if dose.amount is not None:
            cell = Cell(amount_words(dose.amount), f"({_mg(dose.dose_mg)})")
        else:
            cell = Cell(_mg(dose.dose_mg), None)
        cells_by_day.setdefault(dose.day, {})[clock_of(plan, dose)] = cell
    rows = [
        Row(
            day=day.day,
            date_text=short_day(day.date),
            cells=[cells_by_day.get(day.day, {}).get(clock) for clock in clocks],
            total=day.total,
            caption=_caption(plan, day.run.first_day, day.run.last_day) if day.starts_run else None,
            findings=[finding for finding in day.findings if finding.day == day.day],
            review=day.review is not None,
        )
        for day in view.days
    ]
    notices = sorted((notice for notice in view.notices if not notice.boxed), key=_rank)
    return Handout(
        columns=columns,
        rows=rows,
        notices=notices,
        sources=view.patient_sources,
        pharmacist_sources=view.cited_sources,
        date_range=_date_range(plan),
        banner=(
            "DO NOT USE THIS SCHEDULE AS WRITTEN: it goes over a limit. Ask your pharmacist."
            if view.error_count
            else None
        ),
        medicine=plan.product.name if plan.product else plan.regimen.name,
    )


def clock_of(plan: Plan, dose: Dose) -> str:
    """The dose's local HH:MM in the plan's zone."""
    return local_start(dose, plan).strftime("%H:%M")


def _mg(value: Decimal) -> str:
    return f"{number(value, '0.001')} mg"


def _caption(plan: Plan, first_day: int, last_day: int) -> str:
    """`Days 4–6: 1 tablet (10 mg) 3 times a day` (unequal doses: each at its time)."""
    doses = [dose for dose in plan.doses if dose.day == first_day]
    span = f"Day {first_day}" if first_day == last_day else f"Days {first_day}–{last_day}"
    if not doses:
        return f"{span}: no doses"
    if len({dose.dose_mg for dose in doses}) == 1:
        dose = doses[0]
        what = (
            f"{amount_words(dose.amount)} ({_mg(dose.dose_mg)})"
            if dose.amount is not None
            else _mg(dose.dose_mg)
        )
        return f"{span}: {what} {times_words(len(doses))}"
    parts = [
        f"{amount_words(dose.amount) if dose.amount else _mg(dose.dose_mg)} at "
        f"{clock_of(plan, dose)}"
        for dose in doses
    ]
    return f"{span}: " + ", ".join(parts)


def _rank(notice: NoticeView) -> int:
    known = _PATIENT_ORDER
    return known.index(notice.notice_id) if notice.notice_id in known else len(known)


def _date_range(plan: Plan) -> str:
    if not plan.days:
        return short_day(plan.start) + f" {plan.start.year}"
    first: date = plan.days[0].date
    last: date = plan.days[-1].date
    if first.year == last.year:
        return f"{short_day(first)} – {short_day(last)} {last.year}"
    return f"{short_day(first)} {first.year} – {short_day(last)} {last.year}"


# A page margin holds one line: a longer name is cut there (the page's heading has it whole).
_MARGIN_NAME_CHARS = 48


def margin_name(name: str | None) -> str:
    """`Name: A. Patient` for every page's margin, isolated so right-to-left text in the
    name cannot reorder the label; a long name is cut with an ellipsis."""
    if not name:
        return "Name:"
    shown = name if len(name) <= _MARGIN_NAME_CHARS else name[: _MARGIN_NAME_CHARS - 1] + "…"
    return f"Name: \u2068{shown}\u2069"


def css_string(text: str) -> str:
    """Text as a CSS string literal for a page margin box (`content: …`): every
    character but letters, digits and spaces is written as a hex escape, so a name can
    neither end the string nor inject a rule."""
    parts = []
    for char in text:
        if char.isascii() and (char.isalnum() or char == " "):
            parts.append(char)
        else:
            # the space ends the escape (CSS consumes one), so "A: B" keeps its space
            parts.append(f"\\{ord(char):x} ")
    return '"' + "".join(parts) + '"'
