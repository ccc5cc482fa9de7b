"""Requests: raw values (CLI parameters, a batch row, API keywords) → validated options.

One object per kind of request. Each is built alike by every edge and validates its own
values; every problem is an `InputError` naming the field (`step_mg`), which the edge
words its own way (a flag on the command line, a column in a batch). Values may be
given as text (as typed or read from a file) or already typed (`Decimal`, `date`, a list
of steps).

>>> request = PlanRequest(regimen="baclofen", start="2026-12-01", timezone="UTC")
>>> options = request.options()
>>> options.start.isoformat(), options.timezone
('2026-12-01', 'UTC')
>>> PlanRequest(regimen="baclofen", step_mg="five").options()
Traceback (most recent call last):
...
titrate.errors.InputError: step_mg: 'five' is not a number of milligrams
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from titrate.errors import InputError
from titrate.io.numbers import decimal_or_none
from titrate.io.text import text_problem

if TYPE_CHECKING:
    from titrate.core.audit import AuditRun
    from titrate.model import Advice, Patient, Plan, PlanAction, PlanOptions, Regimen, Step

# Physiological bounds, not drug facts: they catch typos such as 400 for 40.
MAX_AGE_YEARS = Decimal(130)
MAX_CRCL_ML_MIN = Decimal(300)

Catalog = dict[str, "Regimen"]

# The fields that shape a plan, in the order the command line lists them: a plan file
# fixes them all, so a request that reads one may not set them.
_SHAPING_FIELDS = (
    "indication",
    "start",
    "times",
    "timezone",
    "target_mg",
    "step_mg",
    "every_days",
    "hold_days",
    "steps",
    "age_years",
    "name",
    "product",
    "strengths",
    "then",
    "first_dose",
)


@contextmanager
def model_errors() -> Iterator[None]:
    """A value the parsers let through but a model refuses → InputError on its field."""
    from pydantic import ValidationError

    try:
        yield
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(message, field=field) from None


# ---------------------------------------------------------------------------------------
# Validating options without building a pydantic model (see `titrate.model.plain`)


def valid_patient(values: dict[str, object]) -> Patient:
    """A Patient from values checked like the edge model checks them: directly when they
    are plainly valid, else through the edge model (which words any error)."""
    from titrate.model import Patient
    from titrate.model.plain import plain_patient

    if plain_patient(values):
        return Patient(**values)  # type: ignore[arg-type]
    from titrate.schema import to_runtime
    from titrate.schema.options import Patient as PatientModel

    with model_errors():
        return to_runtime(PatientModel.model_validate(values), Patient)


def valid_options(values: dict[str, object]) -> PlanOptions:
    """PlanOptions from values checked like the edge model checks them (as above)."""
    from titrate.model import PlanOptions
    from titrate.model.plain import plain_options

    if plain_options(values):
        return PlanOptions(**values)  # type: ignore[arg-type]
    from titrate.schema import to_edge_data, to_runtime
    from titrate.schema.options import PlanOptions as PlanOptionsModel

    data = {key: to_edge_data(value) for key, value in values.items()}
    with model_errors():
        return to_runtime(PlanOptionsModel.model_validate(data), PlanOptions)


# ---------------------------------------------------------------------------------------
# Values


def parse_mg(value: str | Decimal, field: str) -> Decimal:
    """A dose in mg: a positive, finite, plausible number."""
    from titrate.model import ABSURD_MG

    found = decimal_or_none(value)
    if found is None:
        if isinstance(value, Decimal):
            raise InputError(f"{value!r}: must be a positive number of milligrams", field=field)
        raise InputError(f"{value!r} is not a number of milligrams", field=field)
    number = found
    if not number.is_finite() or number <= 0:
        raise InputError(f"{value!r}: must be a positive number of milligrams", field=field)
    if number > ABSURD_MG:
        raise InputError(f"{value!r} mg is not a plausible dose", field=field)
    return number


def _bounded(value: str | Decimal, field: str, what: str, most: Decimal) -> Decimal:
    found = decimal_or_none(value)  # ASCII digits only: `1_2` is not 12
    if found is None and not isinstance(value, Decimal):
        raise InputError(f"{value!r} is not {what}", field=field)
    number = found if found is not None else Decimal("NaN")
    if not number.is_finite() or number < 0 or number > most:
        raise InputError(f"{value!r} is not {what} (0 to {most})", field=field)
    return number


def parse_strengths(value: str | Sequence[Decimal]) -> list[Decimal]:
    """`"5,10"` → [5, 10] (mg); which strengths exist is checked against the product."""
    if not isinstance(value, str):
        return [parse_mg(item, "strengths") for item in value]
    parts = [part.strip() for part in value.split(",")]
    if not any(parts):
        raise InputError("empty; expected strengths in mg, e.g. '5,10'", field="strengths")
    return [parse_mg(part, "strengths") for part in parts if part]


def whole_number(value: int | str | None, field: str) -> int | None:
    """A count (of days, doses) given as an integer or its digits."""
    if value is None:
        return None
    if isinstance(value, bool):  # True is an int to Python, not a count to a prescriber
        raise InputError(f"{value!r} is not a whole number", field=field)
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise InputError(f"{value!r} is not a whole number", field=field)
    return int(text)


def check_text(value: str | None, field: str) -> None:
    """A name printed on outputs: valid Unicode text of at most 10,000 characters."""
    if value is None:
        return
    # lone surrogates (bytes that are not UTF-8) cannot be written to any output
    if any("\ud800" <= char <= "\udfff" for char in value):
        raise InputError("text is not valid UTF-8", field=field)
    if len(value) > 10_000:
        raise InputError(f"at most 10000 characters, not {len(value)}", field=field)
    problem = text_problem(value)
    if problem is not None:
        raise InputError(f"text holds {problem}", field=field)


def zone_name(timezone: str | None, default: str | None = None) -> str:
    """The zone a request uses: as given (validated), else `default`, else the system's."""
    from titrate.clock import system_timezone, zone

    if timezone:
        return zone(timezone).key
    return default or system_timezone()


# ---------------------------------------------------------------------------------------
# The patient


class PatientFields(msgspec.Struct, frozen=True, kw_only=True):
    """The patient in front of the pharmacist; only the fields given are set, so a
    patient from a file keeps the rest."""

    name: str | None = None
    age_years: str | Decimal | None = None
    crcl_ml_min: str | Decimal | None = None
    dialysis: bool = False
    co_medications: Sequence[str] | None = None
    pregnant: bool = False
    hepatic: bool = False

    def patient(self) -> Patient:

        given: dict[str, object] = {}  # the model checks the name's text itself
        check_text(self.name, "name")  # no control characters from any edge
        for item in self.co_medications or ():
            check_text(item, "co_medications")
        if self.name is not None:
            given["name"] = self.name
        if self.age_years not in (None, ""):
            assert self.age_years is not None
            given["age_years"] = _bounded(
                self.age_years, "age_years", "an age in years", MAX_AGE_YEARS
            )
        if self.crcl_ml_min not in (None, ""):
            assert self.crcl_ml_min is not None
            given["crcl_ml_min"] = _bounded(
                self.crcl_ml_min,
                "crcl_ml_min",
                "a creatinine clearance in mL/min",
                MAX_CRCL_ML_MIN,
            )
        if self.dialysis:
            given["dialysis"] = True
        if self.co_medications:
            given["co_medications"] = [text.strip() for text in self.co_medications]
        if self.pregnant:
            given["pregnant"] = True
        if self.hepatic:
            given["hepatic"] = True
        return valid_patient(given)


# ---------------------------------------------------------------------------------------
# Plans


PLAN_ACTIONS: tuple[PlanAction, ...] = ("continue", "stop", "review")


def plan_action(text: str | None, field: str = "then") -> PlanAction | None:
    """`continue`, `stop` or `review` (how the plan ends), or None for the default."""
    if text is None or not text.strip():
        return None
    wanted = text.strip().lower()
    for action in PLAN_ACTIONS:
        if action == wanted:
            return action
    raise InputError(
        f"{text!r} is not how a plan can end (choose continue, stop or review)", field=field
    )


class PlanRequest(PatientFields, frozen=True, kw_only=True):
    """`titrate plan REGIMEN …`, a batch row, or `PlanRequest(...)` from Python."""

    regimen: str
    start: str | date | None = None
    timezone: str | None = None
    times: str | Sequence[time] | None = None
    target_mg: str | Decimal | None = None
    step_mg: str | Decimal | None = None
    every_days: int | str | None = None
    hold_days: int | str | None = 0
    steps: str | Sequence[Step] | None = None
    product: str | None = None
    strengths: str | Sequence[Decimal] | None = None
    renal_adjust: bool = False
    then: str | None = None
    first_dose: str | time | None = None
    indication: str | None = None

    def given(self) -> list[str]:
        """The plan-shaping fields set (not the patient's): for requests that may not
        set them (a plan file fixes them)."""
        found = []
        for name in _SHAPING_FIELDS:
            value = getattr(self, name)
            if value not in (None, "") and not (name == "hold_days" and str(value) == "0"):
                found.append(name)
        return found

    def options(
        self,
        default_zone: str | None = None,
        today: date | None = None,
        now: str | datetime | None = None,
    ) -> PlanOptions:
        """The validated PlanOptions ('today' in the plan's zone unless given). `now`, the
        time the plan is made (read once by the caller; ISO 8601 text without an offset is
        in the plan's zone): 'today' is its date in the plan's zone, and a plan starting
        that day leaves out the dose times already passed and says so, unless `first_dose`
        is given (see `PlanOptions.now`)."""
        from titrate.clock import today_in
        from titrate.clock import zone as zone_info
        from titrate.core.schedule import parse_date, parse_steps, parse_time, parse_times

        zone = zone_name(self.timezone, default_zone)
        made = instant(now, zone, "now") if now is not None else None
        if made is not None and made.utcoffset() is None:
            raise InputError("a date-time with a UTC offset is needed", field="now")
        start = self.start
        if isinstance(start, str) and start.strip():
            start = parse_date(start)
        elif not isinstance(start, date):
            if today is None:
                today = made.astimezone(zone_info(zone)).date() if made else today_in(zone)
            start = today
        first_dose = self.first_dose
        if isinstance(first_dose, str):
            first_dose = parse_time(first_dose) if first_dose.strip() else None
        times, steps = self.times, self.steps
        strengths = self.strengths
        hold_days = whole_number(self.hold_days, "hold_days") or 0
        return valid_options(
            dict(
                product=self.product or None,
                strengths=parse_strengths(strengths) if strengths not in (None, "") else None,
                start=start,
                timezone=zone,
                times=parse_times(times) if isinstance(times, str) and times else times or None,
                target_mg=parse_mg(self.target_mg, "target_mg")
                if self.target_mg not in (None, "")
                else None,
                step_mg=parse_mg(self.step_mg, "step_mg")
                if self.step_mg not in (None, "")
                else None,
                every_days=whole_number(self.every_days, "every_days"),
                hold_days=hold_days,
                steps=parse_steps(steps) if isinstance(steps, str) else steps or None,
                patient=self.patient(),
                renal_adjust=self.renal_adjust,
                then=plan_action(self.then),
                first_dose=first_dose,
                now=made if first_dose is None else None,
                indication=self.indication.strip() if self.indication else None,
            )
        )

    def regimen_from(self, catalog: Catalog | None) -> Regimen:
        from titrate.catalog import get_regimen

        return get_regimen(self.regimen, catalog)

    def plan(
        self,
        catalog: Catalog | None = None,
        default_zone: str | None = None,
        now: str | datetime | None = None,
    ) -> Plan:
        """The checked plan this request asks for (`now`: as for `options`)."""
        from titrate.core.pipeline import plan

        regimen = self.regimen_from(catalog)
        return plan(regimen, self.options(default_zone, now=now))


# ---------------------------------------------------------------------------------------
# Plan files (audit, missed, taper from a plan)


def plan_file_and_regimen(path: Path, catalog: Catalog | None) -> tuple[Plan, Regimen]:
    """A plan JSON file and its regimen (by the plan's regimen id), with the plan's
    findings checked afresh against the regimen data."""
    from titrate.catalog import get_regimen
    from titrate.core.planfile import load_plan, regimen_mismatch
    from titrate.rules import checked

    loaded = load_plan(path)
    try:
        chosen = get_regimen(loaded.regimen.id, catalog)
    except InputError as exc:
        raise InputError(f"{exc.template} (the plan's regimen)", str(path)) from None
    if loaded.ladder is not None:
        from titrate.core.ladders import by_id

        try:
            chosen = by_id(chosen, loaded.ladder.id)
        except InputError as exc:
            raise InputError(exc.template, str(path)) from None
    mismatch = regimen_mismatch(loaded, chosen)
    if mismatch is not None:
        raise InputError(mismatch, str(path))
    return checked(loaded, chosen), chosen


# ---------------------------------------------------------------------------------------
# Tapers


class TaperRequest(PatientFields, frozen=True, kw_only=True):
    """`titrate taper`: from a dose taken now (`from_mg`, `doses_per_day`) or from the
    last day of a plan file (`from_plan`)."""

    regimen: str
    from_mg: str | Decimal | None = None
    doses_per_day: int | str | None = None
    from_plan: Path | None = None
    step_mg: str | Decimal | None = None
    every_days: int | str | None = None
    pace_percent: str | Decimal | None = None
    start: str | date | None = None
    timezone: str | None = None
    times: str | Sequence[time] | None = None
    product: str | None = None
    strengths: str | Sequence[Decimal] | None = None
    renal_adjust: bool = False
    first_dose: str | time | None = None
    indication: str | None = None

    def _plan_request(self, start: str | date | None, default_zone: str | None) -> PlanRequest:
        patient = {name: getattr(self, name) for name in PatientFields.__struct_fields__}
        return PlanRequest(
            regimen=self.regimen,
            start=start,
            timezone=self.timezone or default_zone,
            times=self.times,
            product=self.product,
            strengths=self.strengths,
            renal_adjust=self.renal_adjust,
            first_dose=self.first_dose,
            indication=self.indication,
            **patient,
        )

    def plan(
        self,
        catalog: Catalog | None = None,
        default_zone: str | None = None,
        now: str | datetime | None = None,
    ) -> Plan:
        """The checked taper (`now`: as for `PlanRequest.options`)."""
        from titrate.catalog import get_regimen
        from titrate.core.taper import taper

        if (self.from_mg is None) == (self.from_plan is None):
            raise InputError(
                "give the current dose with exactly one of <from_mg> or <from_plan>",
                field="from_mg",
            )
        if self.from_plan is not None and self.doses_per_day is not None:
            raise InputError(
                "the plan gives the doses a day; drop <doses_per_day>", field="doses_per_day"
            )
        regimen = get_regimen(self.regimen, catalog)
        if regimen.ladders:
            from titrate.core.ladders import choose

            regimen = choose(regimen, self.indication, list(self.co_medications or ())).regimen
        step = parse_mg(self.step_mg, "step_mg") if self.step_mg not in (None, "") else None
        every = whole_number(self.every_days, "every_days")
        percent = (
            _bounded(self.pace_percent, "pace_percent", "a percentage", Decimal(50))
            if self.pace_percent not in (None, "")
            else None
        )
        if percent is not None and step is not None:
            raise InputError(
                "give either <step_mg> or <pace_percent>, not both", field="pace_percent"
            )
        if self.from_plan is not None:
            return self._after_plan(
                regimen, self.from_plan, step, every, default_zone, percent, now
            )
        assert self.from_mg is not None
        options = self._plan_request(self.start, default_zone).options(now=now)
        return taper(
            regimen,
            options,
            from_mg=parse_mg(self.from_mg, "from_mg"),
            doses_per_day=whole_number(self.doses_per_day, "doses_per_day"),
            step_mg=step,
            every_days=every,
            pace_percent=percent,
        )

    def _after_plan(
        self,
        regimen: Regimen,
        path: Path,
        step: Decimal | None,
        every: int | None,
        default_zone: str | None,
        percent: Decimal | None = None,
        now: str | datetime | None = None,
    ) -> Plan:
        """Taper from a plan file's last day, starting the day after it unless `start` is
        given, in its zone unless `timezone` is; the file's patient, updated by the
        patient fields given."""
        from titrate.core.adjust import merge_patient
        from titrate.core.planfile import load_plan
        from titrate.core.taper import day_after, taper_after

        previous = load_plan(path)
        start = self.start or day_after(previous)
        request = self._plan_request(start, None if self.timezone else previous.timezone)
        options = request.options(default_zone, now=now)
        options = replace(options, patient=merge_patient(previous.patient, options.patient))
        return taper_after(
            regimen,
            previous,
            options,
            step_mg=step,
            every_days=every,
            where=str(path),
            pace_percent=percent,
        )


# ---------------------------------------------------------------------------------------
# Missed doses


class MissedRequest(msgspec.Struct, frozen=True, kw_only=True):
    """`titrate missed`: the plan (built from `plan`, or read from `plan_file`), the
    missed dose (`dose` time or `dose_number`) and the time now."""

    plan_request: PlanRequest | None = None
    plan_file: Path | None = None
    dose: str | datetime | None = None
    dose_number: int | None = None
    now: str | datetime | None = None

    def advise(self, catalog: Catalog | None = None, default_zone: str | None = None) -> Advice:
        from titrate.clock import zone
        from titrate.core.missed import advise, dose_at

        if (self.dose is None) == (self.dose_number is None):
            raise InputError(
                "give the missed dose with exactly one of <dose> or <dose_number>", field="dose"
            )
        if self.plan_file is not None:
            if self.plan_request is not None:
                if self.plan_request.regimen:
                    raise InputError("give REGIMEN or <plan_file>, not both", field="plan_file")
                for name in self.plan_request.given():
                    raise InputError(
                        "the plan file already fixes this; give it only with REGIMEN", field=name
                    )
            plan, regimen = plan_file_and_regimen(self.plan_file, catalog)
        else:
            if self.plan_request is None or not self.plan_request.regimen:
                raise InputError(
                    "give REGIMEN (and its plan options) or <plan_file> FILE", field="regimen"
                )
            from titrate.core.pipeline import plan as build_plan

            regimen = self.plan_request.regimen_from(catalog)
            plan = build_plan(regimen, self.plan_request.options(default_zone))
            if plan.ladder is not None:
                from titrate.core.ladders import by_id

                regimen = by_id(regimen, plan.ladder.id)
        tz = zone(plan.timezone)
        if self.dose is not None:
            number = dose_at(plan, instant(self.dose, tz.key, "dose")).number
        else:
            assert self.dose_number is not None
            number = self.dose_number
        return advise(plan, regimen, number, now_in(self.now, tz.key))


def instant(value: str | datetime, zone_name: str, field: str) -> datetime:
    """An ISO 8601 date-time; without a UTC offset, in `zone_name`."""
    if isinstance(value, datetime):
        return value
    from titrate.clock import zone
    from titrate.core.doselog import parse_instant

    return parse_instant(value, zone(zone_name), field)


def now_in(value: str | datetime | None, zone_name: str) -> datetime:
    """'Now' as given, else the clock's (resolved once, here)."""
    from titrate.clock import zone

    if value is None:
        return datetime.now(zone(zone_name))
    return instant(value, zone_name, "now")


# ---------------------------------------------------------------------------------------
# Audits


class AuditRequest(msgspec.Struct, frozen=True, kw_only=True):
    """`titrate audit PLAN LOG`: a plan file, a dose log file and the audit time."""

    plan_file: Path
    log_file: Path
    now: str | datetime | None = None

    def audit(self, catalog: Catalog | None = None) -> AuditRun:
        from titrate.clock import zone
        from titrate.core.audit import run_audit
        from titrate.core.doselog import open_log

        plan, regimen = plan_file_and_regimen(self.plan_file, catalog)
        as_of = now_in(self.now, plan.timezone)
        log = open_log(self.log_file, zone(plan.timezone))  # streamed by the audit
        return run_audit(plan, regimen, log, as_of)


# ---------------------------------------------------------------------------------------
# Checks


class CheckRequest(PatientFields, frozen=True, kw_only=True):
    """`titrate check FILE`: a proposed plan or regimen, checked against `regimen_id`
    (default: the one the file names) for the patient given (added to the file's)."""

    file: Path
    regimen_id: str | None = None
    start: str | date | None = None
    timezone: str | None = None

    def check(self, catalog: Catalog | None = None) -> Plan:
        from titrate.clock import today_in
        from titrate.core.check import check
        from titrate.core.schedule import parse_date

        zone = zone_name(self.timezone)
        start = self.start
        if isinstance(start, str) and start.strip():
            start = parse_date(start)
        elif not isinstance(start, date):
            start = today_in(zone)
        return check(
            self.file,
            catalog=catalog,
            patient=self.patient(),
            regimen_id=self.regimen_id,
            timezone=zone,
            start=start,
        )


__all__ = [
    "AuditRequest",
    "CheckRequest",
    "MissedRequest",
    "PatientFields",
    "PlanRequest",
    "TaperRequest",
    "plan_file_and_regimen",
]
