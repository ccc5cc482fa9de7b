"""`titrate check FILE`: check a proposed plan or regimen against a regimen's rules.

A file may be any of:
- the plan JSON of `titrate plan -f json` (read with `titrate.core.planfile`);
- a proposed plan in YAML (or JSON) with `regimen:` and either `steps:` or dated
  `doses:`::

      regimen: baclofen
      start: 2026-12-01
      kind: custom          # custom (default): a course that ends after its last dose;
                            # titration: ends on a maintenance step that continues;
                            # taper: a taper, counted from its first day
      then: stop            # optional: continue | stop | review (default: by kind)
      steps:
        - {dose_mg: 5, per_day: 3, days: 1}
        - {dose_mg: 15, per_day: 3, days: 3}
      # or: doses: [{date: 2026-12-01, time: "08:00", dose_mg: 5}, ...]
      patient: {age_years: 40, crcl_ml_min: 45}   # optional

- a proposed regimen (a regimens YAML file holding one regimen): its titration ladder
  is checked against the built-in regimen with the same id or drug;
- a FHIR R4 MedicationRequest or Bundle (read with `titrate.core.fhirorder`): its
  dosage instructions become dated doses, checked against `regimen_id` or the regimen
  the medication's text or code names.

Errors name the file and line. The patient from the file is overridden field by field
by the patient given by the caller (the command line).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from msgspec.structs import replace
from pydantic import Field, ValidationError, model_validator

from titrate.catalog import get_regimen, parse_regimen_file
from titrate.clock import local_instant, zone
from titrate.core import fhirorder
from titrate.core.adjust import adjust_plan, merge_patient
from titrate.core.ending import default_action, plan_end
from titrate.core.pipeline import plan as build_plan
from titrate.core.planfile import parse_plan_json, regimen_mismatch
from titrate.core.schedule import MAX_PLAN_DAYS, regimen_parts, review_by
from titrate.errors import InputError
from titrate.io.jsontext import json_lines
from titrate.io.yamltext import LineMap, parse_yaml, read_text, validation_error
from titrate.model import (
    DISCLAIMER,
    Day,
    Dose,
    Patient,
    Plan,
    PlanAction,
    PlanOptions,
    Regimen,
    Step,
)
from titrate.rules import checked
from titrate.schema import to_runtime, validate
from titrate.schema.options import Patient as PatientModel
from titrate.schema.regimen import Step as StepModel
from titrate.schema.units import Mg, Strict, TimeOfDay


class ProposedDose(Strict):
    """One dated dose of a proposed plan."""

    date: date
    time: TimeOfDay
    dose_mg: Mg


class ProposedPlan(Strict):
    """The simple proposed-plan form: a regimen id and steps or dated doses."""

    regimen: str = Field(min_length=1)
    kind: Literal["custom", "titration", "taper"] = "custom"
    then: Literal["continue", "stop", "review"] | None = None
    title: str | None = None
    start: date | None = None
    timezone: str | None = None
    times: list[TimeOfDay] | None = None
    patient: PatientModel | None = None
    steps: list[StepModel] | None = Field(default=None, min_length=1)
    doses: list[ProposedDose] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _steps_or_doses(self) -> ProposedPlan:
        if (self.steps is None) == (self.doses is None):
            raise ValueError("give either `steps:` or `doses:` (exactly one of them)")
        if self.doses is not None and self.times is not None:
            raise ValueError("`times:` goes with `steps:`; dated doses carry their own times")
        return self


def check(
    path: str | Path,
    *,
    catalog: Mapping[str, Regimen] | None = None,
    patient: Patient | None = None,
    regimen_id: str | None = None,
    timezone: str = "UTC",
    start: date | None = None,
) -> Plan:
    """Check the plan or regimen in `path`; the returned plan carries every finding.

    `regimen_id` chooses the regimen whose rules apply (default: the one the file
    names); `timezone` and `start` are used when the file does not give them.
    """
    name = str(path)
    return check_text(
        read_text(Path(path), "file to check"),
        name,
        catalog=catalog,
        patient=patient,
        regimen_id=regimen_id,
        timezone=timezone,
        start=start,
    )


def check_text(
    text: str,
    name: str,
    *,
    catalog: Mapping[str, Regimen] | None = None,
    patient: Patient | None = None,
    regimen_id: str | None = None,
    timezone: str = "UTC",
    start: date | None = None,
) -> Plan:
    """`check` for text already read (`name` is used in error messages)."""
    from titrate.catalog import load_regimens

    regimens = dict(catalog) if catalog is not None else load_regimens()
    given = patient or Patient()
    order = _fhir_order(text, name)
    if order is not None:
        return _check_fhir(order, name, regimens, given, regimen_id, timezone, start)
    saved = _saved_plan(text, name)
    if saved is not None:
        return _check_saved(saved, regimens, given, regimen_id, name)
    data, lines = parse_yaml(text, name)
    if not isinstance(data, dict):
        raise InputError("expected a mapping: a plan (`regimen:`, `steps:`) or `regimens:`", name)
    if "regimens" in data:
        return _check_regimen_file(text, name, regimens, given, regimen_id, timezone, start)
    if isinstance(data.get("regimen"), dict):  # a plan written as YAML
        try:
            saved = validate(Plan, data)
        except ValidationError as exc:
            raise validation_error(exc, name, lines) from None
        return _check_saved(saved, regimens, given, regimen_id, name)
    try:
        proposed = ProposedPlan.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, name, lines) from None
    return _check_proposed(proposed, lines, name, regimens, given, regimen_id, timezone, start)


def _saved_plan(text: str, name: str) -> Plan | None:
    """The plan JSON of `titrate plan -f json`, or None when the text is something else."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError):
        # the YAML parser reports the syntax error with its line (and refuses deep nesting)
        return None
    if not (isinstance(data, dict) and isinstance(data.get("regimen"), dict)):
        return None
    return parse_plan_json(text, name)


def _fhir_order(text: str, name: str) -> tuple[fhirorder.Order, LineMap] | None:
    """A FHIR MedicationRequest or Bundle, or None when the text is something else."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return None
    if not fhirorder.is_fhir(data):
        return None
    return fhirorder.find_order(data, name), json_lines(text)


def _check_fhir(
    found: tuple[fhirorder.Order, LineMap],
    name: str,
    regimens: dict[str, Regimen],
    given: Patient,
    regimen_id: str | None,
    timezone: str,
    start: date | None,
) -> Plan:
    order, lines = found
    if regimen_id:
        regimen = _reference(regimens, regimen_id, field="regimen_id")
    else:
        regimen = _regimen_for_medication(order.medication, regimens, name)
    doses = fhirorder.order_doses(order, regimen, name, lines, start)
    proposed = ProposedPlan(
        regimen=regimen.id,
        doses=[ProposedDose(date=d.date, time=d.time, dose_mg=d.dose_mg) for d in doses],
        # an order whose last step has no end goes on at that step; one with an end stops
        then="continue" if fhirorder.open_ended(order) else None,
    )
    patient = merge_patient(Patient(), given)
    zone_name = zone(timezone).key
    plan = _plan_from_doses(proposed, regimen, patient, zone_name, {}, name)
    plan = adjust_plan(
        plan, regimen, PlanOptions(start=plan.start, timezone=zone_name, patient=patient)
    )
    what = " / ".join(order.medication) or "an unnamed medication"
    notes = [f"Checked from the FHIR MedicationRequest in {name} ({what}) against {regimen.id!r}."]
    if start is not None and fhirorder.needs_start(order):
        notes.append(f"The order gives no start date; its undated steps are counted from {start}.")
    return checked(replace(plan, notes=[*notes, *plan.notes]), regimen)


def _regimen_for_medication(names: list[str], regimens: dict[str, Regimen], name: str) -> Regimen:
    """The regimen whose id or drug the medication's text, display or code names."""
    words = {word for text in names for word in re.findall(r"[a-z0-9-]+", text.lower())}
    by_id = [regimen for regimen in regimens.values() if regimen.id in words]
    by_drug = [regimen for regimen in regimens.values() if regimen.drug.lower() in words]
    matches = by_id or by_drug
    if not matches:
        shown = ", ".join(repr(text) for text in names) or "no medication text or code"
        raise InputError(
            f"no regimen matches the medication ({shown}); choose one with <regimen_id>", name
        )
    return matches[0]


def _reference(
    regimens: dict[str, Regimen], wanted: str, where: str | None = None, field: str | None = None
) -> Regimen:
    try:
        return get_regimen(wanted, regimens)
    except InputError as exc:
        raise InputError(exc.template, where, field=field) from None


def _check_saved(
    saved: Plan,
    regimens: dict[str, Regimen],
    given: Patient,
    regimen_id: str | None,
    name: str,
) -> Plan:
    regimen = _reference(regimens, regimen_id or saved.regimen.id, name)
    if saved.ladder is not None and regimen.ladders:
        from titrate.core.ladders import by_id

        try:
            regimen = by_id(regimen, saved.ladder.id)
        except InputError as exc:
            raise InputError(exc.template, name) from None
    if regimen_id is None:
        # judged by its own regimen: a file whose regimen copy was edited to another drug
        # must not pass under that drug's limits (another regimen, asked for, is a choice)
        mismatch = regimen_mismatch(saved, regimen)
        if mismatch is not None:
            raise InputError(mismatch, name)
    _days_match_doses(saved, name)
    patient = merge_patient(saved.patient, given)
    plan = replace(saved, patient=patient, findings=[])
    # the options only say "no renal adjustment": a saved plan is checked as written
    options = PlanOptions(start=saved.start, timezone=saved.timezone, patient=patient)
    plan = adjust_plan(plan, regimen, options)
    return checked(plan, regimen)


def _days_match_doses(plan: Plan, name: str) -> None:
    """A hand-edited plan whose day totals no longer match its doses is refused."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    counts: dict[int, int] = defaultdict(int)
    for dose in plan.doses:
        totals[dose.day] += dose.dose_mg
        counts[dose.day] += 1
    known = {day.day for day in plan.days}
    for dose in plan.doses:
        if dose.day not in known:
            raise InputError(f"doses.{dose.number - 1}: day {dose.day} is not in `days`", name)
    for index, day in enumerate(plan.days):
        if day.total_mg != totals[day.day] or day.doses != counts[day.day]:
            raise InputError(
                f"days.{index}: day {day.day} says {day.doses} doses, {day.total_mg} mg, but "
                f"its doses are {counts[day.day]}, {totals[day.day]} mg; fix the file or "
                "write the plan in the simple YAML form",
                name,
            )


def _check_regimen_file(
    text: str,
    name: str,
    regimens: dict[str, Regimen],
    given: Patient,
    regimen_id: str | None,
    timezone: str,
    start: date | None,
) -> Plan:
    proposed_all = parse_regimen_file(text, name)
    if len(proposed_all) != 1:
        raise InputError(f"holds {len(proposed_all)} regimens; check one regimen per file", name)
    proposed = proposed_all[0]
    if regimen_id is not None:
        reference = _reference(regimens, regimen_id, field="regimen_id")
    elif proposed.id in regimens:
        reference = regimens[proposed.id]
    else:
        same_drug = [r for r in regimens.values() if r.drug == proposed.drug]
        if not same_drug:
            raise InputError(
                f"no known regimen for drug {proposed.drug!r} to check against; "
                "choose one with <regimen_id>",
                name,
            )
        reference = same_drug[0]
    if start is None:
        raise InputError("a proposed regimen has no start date; give <start>", name)
    if proposed.titration.rule is not None:
        raise InputError(
            f"regimen {proposed.id!r} titrates by a rule, not a fixed ladder, so there are no "
            "steps to check; check a plan of it instead (`titrate plan ... -f json`)",
            name,
        )
    options = PlanOptions(
        start=start,
        timezone=zone(timezone).key,
        steps=list(proposed.titration.steps),
        kind="titration",
        patient=given,
    )
    plan = build_plan(reference, options)
    note = (
        f"Proposed regimen {proposed.id!r} ({name}): its titration ladder is checked against "
        f"the rules of {reference.id!r}; its own limits and sources are not used."
    )
    return replace(plan, notes=[note, *plan.notes])


def _file_then(proposed: ProposedPlan, regimen: Regimen, start: date) -> PlanAction:
    """A file's `then:`, else by its kind: a custom course or a taper stops after its
    last dose; a titration continues (or is reviewed, when the regimen says by when)."""
    if proposed.then is not None:
        return proposed.then
    if proposed.kind != "titration":
        return "stop"
    return default_action("titration", review_by(regimen, start, "titration"))


def _check_proposed(
    proposed: ProposedPlan,
    lines: LineMap,
    name: str,
    regimens: dict[str, Regimen],
    given: Patient,
    regimen_id: str | None,
    timezone: str,
    start: date | None,
) -> Plan:
    if regimen_id:
        regimen = _reference(regimens, regimen_id, field="regimen_id")
    else:
        regimen = _reference(regimens, proposed.regimen, _at(name, lines, "regimen"))
    zone_name = (
        zone(proposed.timezone, where=_at(name, lines, "timezone")).key
        if proposed.timezone
        else timezone
    )
    patient = merge_patient(
        to_runtime(proposed.patient, Patient) if proposed.patient else Patient(), given
    )
    notes = [f"Checked from {name}" + (f": {proposed.title}" if proposed.title else ".")]
    if proposed.steps is not None:
        first = proposed.start or start
        if first is None:
            raise InputError("`start:` is missing (or give <start>)", _at(name, lines, "steps"))
        options = PlanOptions(
            start=first,
            timezone=zone(zone_name).key,
            times=proposed.times,
            steps=[to_runtime(step, Step) for step in proposed.steps],
            kind=proposed.kind,
            then=_file_then(proposed, regimen, first),
            patient=patient,
        )
        try:
            plan = build_plan(regimen, options)
        except InputError as exc:
            # schedule errors name command-line options; here they concern the file
            raise InputError(exc.template, _at(name, lines, "steps")) from None
        return replace(plan, notes=[*notes, *plan.notes])
    assert proposed.doses is not None
    plan = _plan_from_doses(proposed, regimen, patient, zone_name, lines, name)
    options = PlanOptions(start=plan.start, timezone=zone_name, patient=patient)
    plan = adjust_plan(plan, regimen, options)
    plan = replace(plan, notes=[*notes, *plan.notes])
    return checked(plan, regimen)


def _at(name: str, lines: LineMap, *path: Any) -> str:
    line = lines.get(tuple(path))
    return f"{name}:{line}" if line else name


def _plan_from_doses(
    proposed: ProposedPlan,
    regimen: Regimen,
    patient: Patient,
    zone_name: str,
    lines: LineMap,
    name: str,
) -> Plan:
    """Dated doses → a Plan: days from the first date to the last, a new step whenever
    the day's doses differ from the day before."""
    assert proposed.doses is not None
    tz = zone(zone_name)
    ordered = sorted(enumerate(proposed.doses), key=lambda item: (item[1].date, item[1].time))
    first_date = ordered[0][1].date
    if proposed.start is not None and proposed.start > first_date:
        raise InputError(
            f"start {proposed.start} is after the first dose ({first_date})",
            _at(name, lines, "start"),
        )
    start = proposed.start or first_date
    last_date = ordered[-1][1].date
    by_date: dict[date, list[ProposedDose]] = defaultdict(list)
    for _, dose in ordered:
        by_date[dose.date].append(dose)
    doses: list[Dose] = []
    days: list[Day] = []
    times: dict[int, list[str]] = {}
    step = 0
    previous_pattern: tuple[tuple[time, Decimal], ...] | None = None
    notes: list[str] = []
    day_count = (last_date - start).days + 1
    if day_count > MAX_PLAN_DAYS:
        raise InputError(
            f"the doses span {day_count} days; the limit is {MAX_PLAN_DAYS} days",
            _at(name, lines, "doses"),
        )
    for offset in range(day_count):
        on = date.fromordinal(start.toordinal() + offset)
        todays = by_date.get(on, [])
        pattern = tuple((dose.time, dose.dose_mg) for dose in todays)
        if pattern != previous_pattern:
            step += 1
            previous_pattern = pattern
        for dose in todays:
            instant, note = local_instant(on, dose.time, tz)
            if note:
                notes.append(note)
            doses.append(
                Dose(
                    number=len(doses) + 1,
                    at=instant,
                    day=offset + 1,
                    step=step,
                    dose_mg=dose.dose_mg,
                )
            )
        if todays:
            times.setdefault(len(todays), [dose.time.strftime("%H:%M") for dose in todays])
        days.append(
            Day(
                day=offset + 1,
                date=on,
                step=step,
                doses=len(todays),
                total_mg=sum((dose.dose_mg for dose in todays), Decimal(0)),
            )
        )
    shared = regimen_parts(regimen)
    review = review_by(regimen, start, proposed.kind)
    return Plan(
        kind=proposed.kind,
        regimen=shared.ref,
        patient=patient,
        start=start,
        timezone=tz.key,
        times=dict(sorted(times.items())),
        doses=doses,
        days=days,
        then=plan_end(_file_then(proposed, regimen, start), doses, days),
        findings=[],
        sources=list(shared.sources),
        notes=notes,
        notices=list(shared.notices),
        review_by=review,
        disclaimer=DISCLAIMER,
    )
