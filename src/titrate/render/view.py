"""The one view model of a plan that every document format is built from.

HTML and PDF (and Markdown, iCalendar, FHIR, CSV where they need it) read what to show
from here, so a layout decision (which day starts a step, which findings sit beside
which day, what a date looks like) is made once. Nothing here computes a dose: totals
and doses are the plan's own numbers, formatted for display only.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from msgspec.structs import replace

from titrate.citation import BASIS_TEXT
from titrate.model import DispenseLine, Dose, NoticeRef, Plan, ReviewBy
from titrate.render import RenderOptions
from titrate.render.common import mg, number, title
from titrate.render.ending import short_day, then_text, times_words
from titrate.render.findings import Alert as Alert
from titrate.render.findings import FindingView as FindingView
from titrate.render.findings import RuleSource as RuleSource
from titrate.render.findings import alerts, finding_view, rules_broken
from titrate.render.findings import finding_day as finding_day
from titrate.render.findings import finding_days as finding_days
from titrate.render.findings import short_citation as short_citation

# A fixed namespace for every UUID titrate derives (ICS UIDs, FHIR fullUrls): the same
# plan gives the same ids, so a re-import updates instead of duplicating.
TITRATE_NAMESPACE = uuid.UUID("0b6f3c1e-5a7d-4a55-9a59-1f1c7b3f2a10")


KIND_TEXT = {"titration": "Titration", "custom": "Custom schedule", "taper": "Taper"}

# Headings for the regimen's notices, by notice id; an unknown id is shown without one.
NOTICE_HEADINGS = {
    "missed-dose": "If a dose is missed",
    "never-stop-suddenly": "Never stop suddenly",
    "drowsiness": "Drowsiness, alcohol and driving",
    "overdose": "If someone takes too much",
    "disposal": "What is left over",
}

PAPER_SIZES = ("a4", "letter")

# A boxed notice whose own text starts "Boxed warning:" is shown under a "BOXED WARNING"
# heading without saying it twice.
_BOXED_PREFIX = re.compile(r"^\s*boxed warning\s*:\s*", re.IGNORECASE)

# Unicode "first strong isolate" … "pop directional isolate": keeps right-to-left or
# override characters in a name from reordering the text around it where no markup can
# (an HTML <title>); the body uses <bdi>.
FSI, PDI = "\u2068", "\u2069"


def isolate(text: str) -> str:
    return f"{FSI}{text}{PDI}"


def notice_text(notice: NoticeRef) -> str:
    """The notice's words, without a leading "Boxed warning:" that its heading says."""
    if not notice.boxed:
        return notice.text
    text = _BOXED_PREFIX.sub("", notice.text, count=1)
    return text[:1].upper() + text[1:] if text != notice.text else text


def notice_line(notice: NoticeRef) -> str:
    """One line for the plain-text formats (CSV, iCalendar, FHIR): `Boxed warning: …`."""
    return f"Boxed warning: {notice_text(notice)}" if notice.boxed else notice.text


def title_parts(plan: Plan) -> tuple[str, str]:
    """`common.title` around the patient's name: (head, tail) with
    title == head + " for " + name + tail, so a page can isolate the name (<bdi>)."""
    anonymous = replace(plan, patient=replace(plan.patient, name=None))
    bare, tail = title(anonymous), f", starting {plan.start.isoformat()}"
    head = bare.removesuffix(tail)
    name = plan.patient.name
    if head == bare or (name and title(plan) != f"{head} for {name}{tail}"):
        return bare, ""  # a title in another shape: shown whole, never wrong
    return head, tail


def review_line(review: ReviewBy) -> str:
    """`Review by 2027-01-14 (Thu 14 Jan 2027, day 45): <text>` for the plain-text formats."""
    when = f"{review.date.isoformat()} ({day_text(review.date)}, day {review.day})"
    return f"Review by {when}: {review.text}"


def day_text(on: date) -> str:
    """`Tue 1 Dec 2026`: unambiguous in the US and the UK, unlike 12/01."""
    return f"{short_day(on)} {on.year}"


def local_start(dose: Dose, plan: Plan) -> datetime:
    """The dose's instant in the plan's zone (a plan read back from JSON carries only a
    UTC offset, which would be wrong on the other side of a clock change)."""
    return dose.at.astimezone(ZoneInfo(plan.timezone))


def clock_text(moment: datetime | time) -> str:
    return moment.strftime("%H:%M")


def per_day_text(count: int) -> str:
    return times_words(count)


def medicine_text(plan: Plan) -> str:
    """The regimen's name, with its route unless the name already says it."""
    name, route = plan.regimen.name, plan.regimen.route
    return name if route.lower() in name.lower() else f"{name} ({route})"


def plan_identity(plan: Plan) -> str:
    """What makes two exports "the same plan" for calendar and FHIR ids: a re-export of
    the same patient's plan (even with changed doses) keeps its ids."""
    return "|".join(
        [
            plan.regimen.id,
            plan.kind,
            plan.start.isoformat(),
            plan.timezone,
            plan.patient.name or "",
        ]
    )


def stable_uuid(*parts: str) -> uuid.UUID:
    return uuid.uuid5(TITRATE_NAMESPACE, "|".join(parts))


@dataclass(frozen=True)
class DoseRow:
    number: int
    time: str
    dose: str  # "5 mg"
    amount: str  # "1 × 5 mg tablet", or "" without a product


@dataclass(frozen=True)
class StepRun:
    """Consecutive days with the same step and the same doses at the same clock times.

    A ladder step is normally one run; a clock change that moves a dose (a skipped hour)
    or a step with unequal doses through the day still gets its own exact run.
    """

    sequence: int
    step: int
    first_day: int
    last_day: int
    start: date
    end: date
    pattern: tuple[tuple[str, Decimal], ...]  # (local HH:MM, mg) for each dose of a day
    day_total_mg: Decimal
    starts_new_step: bool

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1

    @property
    def per_day(self) -> int:
        return len(self.pattern)

    @property
    def dose_amounts(self) -> list[Decimal]:
        """Distinct per-dose amounts, in order of first appearance."""
        return list(dict.fromkeys(amount for _, amount in self.pattern))

    def times_for(self, amount: Decimal) -> list[str]:
        return [clock for clock, dose in self.pattern if dose == amount]

    def dose_text(self) -> str:
        """`10 mg 3 times a day (08:00, 14:00, 20:00)` or, for unequal doses,
        `10 mg at 08:00 and 20:00, 5 mg at 14:00`."""
        if not self.pattern:
            return "no doses"
        amounts = self.dose_amounts
        if len(amounts) == 1:
            clocks = ", ".join(clock for clock, _ in self.pattern)
            return f"{mg(amounts[0])} {per_day_text(self.per_day)} ({clocks})"
        return ", ".join(
            f"{mg(amount)} at {' and '.join(self.times_for(amount))}" for amount in amounts
        )

    def caption(self) -> str:
        """`Step 2 · days 4–6 (Fri 4 Dec 2026 – Sun 6 Dec 2026): 10 mg 3 times a day …`."""
        span = (
            f"day {self.first_day} ({day_text(self.start)})"
            if self.first_day == self.last_day
            else f"days {self.first_day}–{self.last_day} "
            f"({day_text(self.start)} – {day_text(self.end)})"
        )
        return f"Step {self.step} · {span}: {self.dose_text()}; {mg(self.day_total_mg)} a day"


@dataclass(frozen=True)
class ReviewView:
    """The date by which the treatment must be reviewed (e.g. stopped without benefit)."""

    date: date
    date_text: str
    day: int
    text: str
    source: str
    source_short: str
    basis: str
    within_plan: bool  # False: it falls after the plan's last day (shown after it)

    @property
    def when(self) -> str:
        """`Thu 14 Jan 2027 (day 45)`."""
        return f"{self.date_text} (day {self.day})"

    @property
    def line(self) -> str:
        return f"Review by {self.when}: {self.text}"


@dataclass(frozen=True)
class DayView:
    day: int
    date: date
    date_text: str
    step: int
    run: StepRun
    starts_run: bool
    total: str
    doses: list[DoseRow]
    findings: list[FindingView]
    review: ReviewView | None = None  # set on the review day itself

    @property
    def worst(self) -> str | None:
        """The most serious severity among the day's findings (for emphasis)."""
        for severity in ("error", "warning", "info"):
            if any(finding.severity == severity for finding in self.findings):
                return severity
        return None


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class NoticeView:
    heading: str | None
    text: str
    source: str
    source_short: str
    boxed: bool  # the label's boxed warning: shown in a box at the top, not with the rest
    notice_id: str = ""


@dataclass(frozen=True)
class DispenseRow:
    scope: str  # "Step 2" or "Whole course"
    item: str
    quantity: str
    text: str


@dataclass(frozen=True)
class SourceView:
    id: str
    title: str
    section: str | None
    url: str
    retrieved: str
    show_retrieved: bool  # False when the heading states one date for every source

    @property
    def line(self) -> str:
        section = f", {self.section}" if self.section else ""
        retrieved = f" (retrieved {self.retrieved})" if self.show_retrieved else ""
        return f"[{self.id}] {self.title}{section}. {self.url}{retrieved}"


@dataclass(frozen=True)
class PlanView:
    """Everything a printed plan shows, in the order it shows it."""

    title: str
    title_head: str  # title == title_head + (" for " + patient if any) + title_tail
    title_tail: str
    kind: str
    drug: str
    regimen_name: str
    patient: str | None
    header: list[Field]
    summary: str
    findings: list[FindingView]
    plan_findings: list[FindingView]  # those that concern no single day
    rules_broken: list[RuleSource]
    alerts: list[Alert]
    runs: list[StepRun]
    days: list[DayView]
    has_amounts: bool
    notices: list[NoticeView]
    notes: list[str]
    product_name: str | None
    storage: str | None
    administration: list[str]
    product_notes: list[str]
    product_source: str | None
    dispense: list[DispenseRow]
    sources_heading: str
    sources: list[SourceView]  # every source of the regimen (as the JSON lists them)
    patient_sources: list[SourceView]  # those the patient's pages cite
    cited_sources: list[SourceView]  # those the plan cites anywhere (pharmacist's page, md)
    disclaimer: str
    paper: str | None
    review: ReviewView | None
    then: str | None  # how the plan ends, in words (render.ending)

    @property
    def review_after_plan(self) -> ReviewView | None:
        """The review date when it falls after the last day (shown after the schedule)."""
        return self.review if self.review is not None and not self.review.within_plan else None

    @property
    def boxed_notices(self) -> list[NoticeView]:
        return [notice for notice in self.notices if notice.boxed]

    @property
    def other_notices(self) -> list[NoticeView]:
        return [notice for notice in self.notices if not notice.boxed]

    @property
    def product_source_short(self) -> str:
        return short_citation(self.product_source) if self.product_source else ""

    @property
    def error_count(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == "error")


def step_runs(plan: Plan) -> list[StepRun]:
    """Group the plan's days into runs of the same step and the same daily pattern."""
    patterns: dict[int, list[tuple[str, Decimal]]] = {day.day: [] for day in plan.days}
    for dose in plan.doses:
        patterns.setdefault(dose.day, []).append(
            (clock_text(local_start(dose, plan)), dose.dose_mg)
        )
    runs: list[StepRun] = []
    previous_step: int | None = None
    for day in plan.days:
        pattern = tuple(patterns[day.day])
        last = runs[-1] if runs else None
        if (
            last is not None
            and last.step == day.step
            and last.pattern == pattern
            and last.last_day + 1 == day.day
        ):
            runs[-1] = StepRun(
                sequence=last.sequence,
                step=last.step,
                first_day=last.first_day,
                last_day=day.day,
                start=last.start,
                end=day.date,
                pattern=last.pattern,
                day_total_mg=last.day_total_mg,
                starts_new_step=last.starts_new_step,
            )
            continue
        runs.append(
            StepRun(
                sequence=len(runs) + 1,
                step=day.step,
                first_day=day.day,
                last_day=day.day,
                start=day.date,
                end=day.date,
                pattern=pattern,
                day_total_mg=day.total_mg,
                starts_new_step=day.step != previous_step,
            )
        )
        previous_step = day.step
    return runs


def _header(plan: Plan, options: RenderOptions) -> list[Field]:
    fields = [
        Field("Patient", plan.patient.name or "(not given)"),
    ]
    if plan.patient.age_years is not None:
        fields.append(Field("Age", f"{number(plan.patient.age_years)} years"))
    fields += [
        Field("Prescriber", options.prescriber or "(not given)"),
        Field("Pharmacy", options.pharmacy or "(not given)"),
        Field(
            "Date printed", day_text(options.printed_on) if options.printed_on else "(not given)"
        ),
        Field("Medicine", medicine_text(plan)),
        Field(
            "Product",
            plan.product.name if plan.product else "not chosen: doses are in milligrams",
        ),
        *_renal_fields(plan),
        Field("Starts", day_text(plan.start)),
        Field("Clock times", f"{plan.timezone} local time"),
    ]
    if plan.review_by is not None:
        review = plan.review_by
        fields.append(Field("Review by", f"{day_text(review.date)} (day {review.day})"))
    return fields


def _review(plan: Plan) -> ReviewView | None:
    review = plan.review_by
    if review is None:
        return None
    return ReviewView(
        date=review.date,
        date_text=day_text(review.date),
        day=review.day,
        text=review.text,
        source=review.source,
        source_short=short_citation(review.source),
        basis=BASIS_TEXT[review.basis],
        within_plan=any(day.day == review.day for day in plan.days),
    )


def _dispense_row(line: DispenseLine) -> DispenseRow:
    return DispenseRow(
        scope=f"Step {line.step}" if line.step is not None else "Whole course",
        item=line.item,
        # "24" of "10 mg tablet" reads right; a volume needs its unit: "450 mL".
        quantity=f"{number(line.quantity)} mL" if line.unit == "mL" else number(line.quantity),
        text=line.text,
    )


def amount_text(plan: Plan, dose: Dose) -> str:
    """The product amount of a dose; a dose the product cannot make says so (the
    dose-not-measurable finding sits beside its day)."""
    if dose.amount is not None:
        return dose.amount.text
    return "not measurable" if plan.product is not None else ""


def _product_notes(plan: Plan) -> list[str]:
    product = plan.product
    if product is None:
        return []
    notes = list(product.notes)
    if product.discard_after_opening_days is not None:
        notes.insert(0, f"Discard {product.discard_after_opening_days} days after opening.")
    return notes


def _renal_fields(plan: Plan) -> list[Field]:
    renal = plan.renal_adjustment
    if renal is None:
        return []
    return [
        Field(
            "Kidney function",
            f"{renal.band}: every dose × {renal.factor} ({BASIS_TEXT[renal.basis]}; "
            f"source {short_citation(renal.source)})",
        )
    ]


def build_view(plan: Plan, options: RenderOptions) -> PlanView:
    findings = [finding_view(plan, finding) for finding in plan.findings]
    review = _review(plan)
    runs = step_runs(plan)
    run_of_day = {day: run for run in runs for day in range(run.first_day, run.last_day + 1)}
    rows_by_day: dict[int, list[DoseRow]] = {}
    for dose in plan.doses:
        rows_by_day.setdefault(dose.day, []).append(
            DoseRow(
                number=dose.number,
                time=clock_text(local_start(dose, plan)),
                dose=mg(dose.dose_mg),
                amount=amount_text(plan, dose),
            )
        )
    days = [
        DayView(
            day=day.day,
            date=day.date,
            date_text=day_text(day.date),
            step=day.step,
            run=run_of_day[day.day],
            starts_run=run_of_day[day.day].first_day == day.day,
            total=mg(day.total_mg),
            doses=rows_by_day.get(day.day, []),
            findings=[finding for finding in findings if finding.about(day.day)],
            review=review if review is not None and review.day == day.day else None,
        )
        for day in plan.days
    ]
    product = plan.product
    # One retrieval date for every source is said once: the list must fit the page.
    retrieved_dates = {source.retrieved for source in plan.sources}
    one_date = len(retrieved_dates) == 1
    head, tail = title_parts(plan)
    sources = [
        SourceView(
            id=source.id,
            title=source.title,
            section=source.section,
            url=source.url,
            retrieved=source.retrieved.isoformat(),
            show_retrieved=not one_date,
        )
        for source in plan.sources
    ]
    patient_cites, plan_cites = cited_ids(plan), cited_ids(plan, everything=True)
    return PlanView(
        title=title(plan),
        title_head=head,
        title_tail=tail,
        kind=KIND_TEXT[plan.kind],
        drug=plan.regimen.drug,
        regimen_name=plan.regimen.name,
        patient=plan.patient.name,
        header=_header(plan, options),
        summary=(
            f"{len(plan.days)} days, {len(plan.doses)} doses, {mg(plan.total_mg)} in all. "
            f"Daily maximum for this medicine: {mg(plan.regimen.max_daily_mg)}."
        ),
        findings=findings,
        plan_findings=[finding for finding in findings if finding.day is None],
        rules_broken=rules_broken(findings),
        alerts=alerts(findings),
        runs=runs,
        days=days,
        has_amounts=plan.product is not None,
        notices=[
            NoticeView(
                "Boxed warning" if notice.boxed else NOTICE_HEADINGS.get(notice.id),
                notice_text(notice),
                notice.source,
                short_citation(notice.source),
                notice.boxed,
                notice.id,
            )
            for notice in plan.notices
        ],
        notes=list(plan.notes),
        product_name=product.name if product else None,
        storage=product.storage if product else None,
        administration=list(product.administration) if product else [],
        product_notes=_product_notes(plan),
        product_source=(product.source or None) if product else None,
        dispense=[_dispense_row(line) for line in plan.dispense],
        sources_heading=(
            f"Sources (all retrieved {retrieved_dates.pop().isoformat()})"
            if len(retrieved_dates) == 1
            else "Sources"
        ),
        sources=sources,
        patient_sources=[source for source in sources if source.id in patient_cites],
        cited_sources=[source for source in sources if source.id in plan_cites],
        disclaimer=plan.disclaimer,
        paper=options.paper,
        review=review,
        then=then_text(plan),
    )


# `[B1]` or a list `[O1, B1, N1]` (as a note cites several sources at once)
_CITED = re.compile(r"\[([A-Za-z0-9_.-]{1,32}(?:, ?[A-Za-z0-9_.-]{1,32})*)\]")


def cited_ids(plan: Plan, everything: bool = False) -> set[str]:
    """The ids of the sources the patient's pages cite: the dose ladder and daily maximum,
    the notices, the findings, the review date and the product shown. `everything` adds
    what the pharmacist's page, the terminal table and Markdown cite too (notes, renal
    reduction, product notes). The formats for machines (JSON, CSV, FHIR, ICS) list every
    source of the regimen instead."""
    citations = [plan.regimen.source, *(notice.source for notice in plan.notices)]
    if everything:
        citations += [*plan.notes, *(plan.product.notes if plan.product else [])]
        if plan.renal_adjustment is not None:
            citations.append(plan.renal_adjustment.source)
    citations += [finding.source for finding in plan.findings]
    if plan.review_by is not None:
        citations.append(plan.review_by.source)
    if plan.product is not None:
        citations.append(plan.product.source)
    return {
        source_id.strip()
        for text in citations
        for cited in _CITED.findall(text)
        for source_id in cited.split(",")
    }


def uncited_note(plan: Plan, cited: int) -> tuple[str, str] | None:
    """After a list of only the `cited` sources: how many more the regimen has, and the
    command that lists them all (kept whole on a line of its own where lines wrap); None
    when the plan cites every source."""
    more = len(plan.sources) - cited
    if more <= 0:
        return None
    noun = "source" if more == 1 else "sources"
    return (
        f"The regimen has {more} more {noun}, not cited by this plan; the plan's JSON lists "
        "every source, and so does",
        f"titrate show {plan.regimen.id}",
    )
