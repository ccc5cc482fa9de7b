"""Invariants that must hold for any plan (hypothesis)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from titrate.api import plan as build_plan
from titrate.catalog import get_regimen
from titrate.model import Patient, PlanOptions, Step
from titrate.render.json import plan_schema

BACLOFEN = get_regimen("baclofen")
VALIDATOR = Draft202012Validator(plan_schema(), format_checker=FormatChecker())

doses_mg = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(60), places=1)
steps = st.lists(
    st.builds(
        Step,
        dose_mg=doses_mg,
        per_day=st.integers(min_value=1, max_value=6),
        days=st.integers(min_value=1, max_value=5),
    ),
    min_size=1,
    max_size=6,
)
zones = st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe"])
starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def plan_options(draw: st.DrawFn) -> PlanOptions:
    return PlanOptions(
        start=draw(starts),
        timezone=draw(zones),
        steps=draw(st.one_of(st.none(), steps)),
        hold_days=draw(st.integers(min_value=0, max_value=10)),
        patient=Patient(age_years=draw(st.one_of(st.none(), st.integers(0, 99)))),
    )


@settings(max_examples=150, deadline=None)
@given(plan_options())
def test_no_plan_over_a_limit_without_a_finding(options: PlanOptions) -> None:
    plan = build_plan(BACLOFEN, options)
    limits = BACLOFEN.limits
    # a finding about a run of days (day … last_day) flags each of them
    flagged = {(f.rule, f.day) for f in plan.findings} | {
        (f.rule, day)
        for f in plan.findings
        if f.day is not None
        for day in range(f.day, (f.last_day or f.day) + 1)
    }
    for day in plan.days:
        if day.total_mg > limits.max_daily_mg.value:
            assert ("over-daily-max", day.day) in flagged
        assert limits.max_doses_per_day is not None
        if day.doses > limits.max_doses_per_day.value:
            assert ("too-many-doses-per-day", day.day) in flagged
    assert limits.max_single_mg is not None
    for dose in plan.doses:
        if dose.dose_mg > limits.max_single_mg.value:
            assert ("over-single-dose", dose.day) in flagged
    age = options.patient.age_years
    if age is not None and age < 12:
        assert ("age-below-minimum", None) in flagged


@settings(max_examples=150, deadline=None)
@given(plan_options())
def test_day_totals_equal_the_sum_of_doses_and_days_are_consecutive(options: PlanOptions) -> None:
    plan = build_plan(BACLOFEN, options)
    for day in plan.days:
        doses = [d for d in plan.doses if d.day == day.day]
        assert day.total_mg == sum((d.dose_mg for d in doses), Decimal(0))
        assert day.doses == len(doses)
        assert day.date == options.start + timedelta(days=day.day - 1)
    assert [d.number for d in plan.doses] == list(range(1, len(plan.doses) + 1))
    instants = [d.at for d in plan.doses]
    assert instants == sorted(instants)
    assert plan.total_mg == sum((d.dose_mg for d in plan.doses), Decimal(0))


@settings(max_examples=100, deadline=None)
@given(plan_options())
def test_json_always_validates_against_the_published_schema(options: PlanOptions) -> None:
    plan = build_plan(BACLOFEN, options)
    document = json.loads(plan.model_dump_json())
    errors = list(VALIDATOR.iter_errors(document))
    assert not errors, errors[0].message


def test_schema_rejects_a_document_that_breaks_it() -> None:
    plan = build_plan(BACLOFEN, PlanOptions(start=date(2026, 12, 1), timezone="UTC"))
    document = json.loads(plan.model_dump_json())
    document["doses"][0]["dose_mg"] = "5"
    document["findings"] = [{"code": "TT101"}]
    assert len(list(VALIDATOR.iter_errors(document))) >= 2
