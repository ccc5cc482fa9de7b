"""The Python API: `from titrate import ...` gives the functions the CLI uses."""

from __future__ import annotations

import inspect
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import run
from titrate import InputError, Plan, PlanOptions, get_regimen, load_regimens, plan

START = date(2026, 12, 1)


def test_public_names_resolve_to_functions_and_models() -> None:
    import titrate.core.check
    import titrate.core.taper
    from titrate import check, taper

    for function in (load_regimens, get_regimen, plan, check, taper):
        assert inspect.isfunction(function), function
    assert titrate.check is check and titrate.taper is taper
    assert set(titrate.__all__) <= set(dir(titrate))
    for name in titrate.__all__:
        assert getattr(titrate, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = titrate.nothing  # type: ignore[attr-defined]


def test_plan_returns_the_model_the_cli_renders() -> None:
    options = PlanOptions(start=START, timezone="Europe/London")
    result = plan(load_regimens()["baclofen"], options)
    assert isinstance(result, Plan)
    assert [str(day.total_mg) for day in result.days][::3] == ["15", "30", "45", "60"]
    assert result.findings == []
    cli = run("plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London", "-f", "json")
    assert result.model_dump(mode="json") == json.loads(cli.stdout)


def test_plan_reports_findings_and_bad_input_raises_input_error() -> None:
    from titrate.core.schedule import parse_steps

    baclofen = get_regimen("baclofen")
    over = plan(baclofen, PlanOptions(start=START, timezone="UTC", steps=parse_steps("25x4:3")))
    assert {f.rule for f in over.findings} >= {"over-daily-max"}
    assert all(f.source for f in over.findings)
    with pytest.raises(InputError) as caught:
        plan(baclofen, PlanOptions(start=START, timezone="Mars/Olympus"))
    assert caught.value.field == "timezone"
    with pytest.raises(InputError, match="unknown regimen 'baclofn'; did you mean 'baclofen'"):
        get_regimen("baclofn")


def test_check_a_saved_plan_file(tmp_path: Path) -> None:
    from titrate import check
    from titrate.core.schedule import parse_steps

    baclofen = get_regimen("baclofen")
    over = plan(baclofen, PlanOptions(start=START, timezone="UTC", steps=parse_steps("20x4:3")))
    saved = tmp_path / "plan.json"
    saved.write_text(over.model_dump_json(), encoding="utf-8")
    checked = check(saved)
    assert isinstance(checked, Plan)
    assert [f.rule for f in checked.findings] == [f.rule for f in over.findings]


def test_taper_makes_a_taper_plan() -> None:
    from titrate import taper

    options = PlanOptions(start=START, timezone="UTC")
    result = taper(get_regimen("baclofen"), options, from_mg=Decimal(20), doses_per_day=3)
    assert result.kind == "taper"
    assert result.days[0].total_mg == 45 and result.days[-1].total_mg < 45  # cut on day 1


def test_advise_missed_and_audit_under_the_issues_names(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from titrate import advise_missed, audit, read_log

    baclofen = get_regimen("baclofen")
    label = plan(baclofen, PlanOptions(start=START, timezone="UTC"))
    first = label.doses[0]
    advice = advise_missed(label, baclofen, 1, first.at + timedelta(minutes=30))
    assert advice.dose.number == 1 and advice.missed == [1]
    assert advice.action and advice.source and advice.never_double

    log = tmp_path / "log.csv"
    taken = [dose for dose in label.doses if dose.number != 2]
    rows = [f"{dose.at.isoformat()},{dose.dose_mg}" for dose in taken]
    log.write_text("taken_at,dose_mg\n" + "\n".join(rows) + "\n", encoding="utf-8")
    # audited when the plan's last window has closed, before its maintenance doses are due
    result = audit(
        label, baclofen, read_log(log, ZoneInfo("UTC")), datetime(2026, 12, 13, 1, tzinfo=UTC)
    )
    assert [(f.rule, f.dose) for f in result.findings if f.rule == "missed-dose"] == [
        ("missed-dose", 2)
    ]


# ---------------------------------------------------------------------------------------
# What the planner's speed-ups rely on (light records written by titrate.model.jsonout,
# the JSON number table, the measurement cache): each must give exactly what the
# pydantic edge models (titrate.schema) give.


def test_records_write_exactly_the_json_of_their_edge_models() -> None:
    from datetime import UTC, datetime

    from titrate.core.measure import with_amounts
    from titrate.model import Amount, Day, Dose, Piece, PlanEnd
    from titrate.schema import edge_model, to_runtime, validate

    values = {
        "number": 3,
        "at": datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        "day": 1,
        "step": 1,
        "dose_mg": Decimal("7.50"),
        "amount": None,
    }
    built = Dose(**values)
    edge = edge_model(Dose)(**values)
    assert built.model_dump_json() == edge.model_dump_json()
    assert to_runtime(edge, Dose) == built == validate(Dose, json.loads(built.model_dump_json()))
    amount = Amount(value=Decimal("1.5"), unit="tablet", text="1½ × 5 mg tablet",
                    pieces=[Piece(strength_mg=Decimal("5.0"), count=Decimal("1.5"))])  # fmt: skip
    [copied] = with_amounts([built], {Decimal("7.5"): amount})
    assert copied == Dose(**{**values, "amount": amount})
    assert built.amount is None  # the copy is a new record
    with_edge = edge_model(Dose)(**{**values, "amount": amount.model_dump()})
    assert copied.model_dump_json(indent=2) == with_edge.model_dump_json(indent=2)
    day = {"day": 1, "date": date(2026, 12, 1), "step": 1, "doses": 3, "total_mg": Decimal(15)}
    assert Day(**day).model_dump_json() == edge_model(Day)(**day).model_dump_json()
    end = PlanEnd(action="stop", from_date=date(2026, 12, 2), dose_mg=Decimal("1E+1"))
    assert '"from":"2026-12-02"' in end.model_dump_json()
    assert end.model_dump_json() == validate(PlanEnd, end.model_dump()).model_dump_json()
    assert (
        end.model_dump_json()
        == edge_model(PlanEnd).model_validate(end.model_dump()).model_dump_json()
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"product": "suspension"},
        {"product": "granules", "renal_adjust": True, "crcl_ml_min": "40"},
        {"target_mg": "12.5", "then": "stop", "age_years": "70"},
        # local mean time, -00:00:52: pydantic cut the offset's seconds off (-00:00)
        {"timezone": "Africa/Accra", "start": "1899-12-30", "times": "00:00,08:00,16:00"},
    ],
)
def test_a_plans_json_is_byte_for_byte_what_the_edge_plan_model_writes(
    options: dict[str, str],
) -> None:
    from titrate.requests import PlanRequest
    from titrate.schema import edge_model

    fields = {"start": "2026-12-01", "timezone": "America/New_York", **options}
    the_plan = PlanRequest(regimen="baclofen", **fields).plan()
    edge = edge_model(Plan).model_validate(the_plan.model_dump())  # the same Python values
    assert the_plan.model_dump_json(indent=2) == edge.model_dump_json(indent=2)
    assert the_plan.model_dump_json() == edge.model_dump_json()
    assert the_plan.model_dump(mode="json") == edge.model_dump(mode="json")


def test_json_numbers_depend_only_on_the_value() -> None:
    from titrate.model import Day

    def total(text: str) -> str:
        day = Day(day=1, date=START, step=1, doses=1, total_mg=Decimal(text))
        return day.model_dump_json().rsplit(":", 1)[1]

    assert [total(t) for t in ("15", "15.0", "1.5E+1", "7.50", "7.5", "0.1", "0")] == [
        "15}", "15}", "15}", "7.5}", "7.5}", "0.1}", "0}",
    ]  # fmt: skip


def test_measurement_cache_tells_regimens_with_the_same_id_apart() -> None:
    baclofen = get_regimen("baclofen")
    tablets = next(product for product in baclofen.products if product.id == "tablets")
    only_5 = tablets.model_copy(update={"strengths": [s for s in tablets.strengths if s.mg == 5]})
    other = baclofen.model_copy(
        update={"products": [only_5 if p is tablets else p for p in baclofen.products]}
    )
    options = PlanOptions(start=START, timezone="UTC")
    first, second, again = plan(baclofen, options), plan(other, options), plan(baclofen, options)
    assert {p.strength_mg for d in second.doses if d.amount for p in d.amount.pieces} == {5}
    assert first.model_dump_json() == again.model_dump_json() != second.model_dump_json()


def test_doses_are_measured_as_they_are_built_and_errors_keep_their_order() -> None:
    from titrate.core.adjust import adjust_plan
    from titrate.core.measure import measure_plan
    from titrate.core.schedule import build_schedule
    from titrate.requests import PlanRequest

    baclofen = get_regimen("baclofen")
    options = PlanOptions(start=START, timezone="UTC", product="suspension")
    fast = plan(baclofen, options)
    # the same plan the long way: doses built without amounts, then copied with them
    slow = measure_plan(adjust_plan(build_schedule(baclofen, options), baclofen, options),
                        baclofen, options)  # fmt: skip
    assert fast.model_dump_json() == slow.model_copy(update={"findings": []}).model_dump_json()

    def field(**given: object) -> str | None:
        base = {"regimen": "baclofen", "start": "2026-12-01", "timezone": "UTC"}
        with pytest.raises(InputError) as caught:
            plan(baclofen, PlanRequest(**{**base, **given}).options())  # type: ignore[arg-type]
        return caught.value.field

    # the schedule's own errors first, then the patient, then the product
    assert field(start="9999-12-25", product="nope", co_medications=[" "]) == "start"
    assert field(product="nope", co_medications=[" "]) == "co_medications"
    assert field(product="nope", strengths="4") == "product"


def test_the_api_refuses_options_a_script_built_wrong_as_the_command_line_does() -> None:
    """Runtime records validate nothing when made; `titrate.plan` checks them."""
    from datetime import date
    from decimal import Decimal

    import pytest

    from titrate import InputError, Patient, PlanOptions, get_regimen, plan

    baclofen = get_regimen("baclofen")
    start = date(2026, 12, 1)
    with pytest.raises(InputError) as dose:
        plan(baclofen, PlanOptions(start=start, timezone="UTC", step_mg=Decimal("-5")))
    assert dose.value.field == "step_mg"
    with pytest.raises(InputError) as age:
        plan(baclofen, PlanOptions(start=start, timezone="UTC", patient=Patient(age_years=-3)))
    assert "greater than or equal to 0" in str(age.value)
    assert len(plan(baclofen, PlanOptions(start=start, timezone="UTC")).doses) == 36
