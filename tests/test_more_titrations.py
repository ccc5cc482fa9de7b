"""Issue 18's Done-when checks: lamotrigine's ladders by co-medication (a dose every
other day), gabapentin's day-by-day ramp, ropinirole's weekly ladder and its maximum;
the ladder chosen is said in every format; every new regimen runs through every format."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import run
from titrate.catalog import get_regimen

START = "2026-12-01"
LAMOTRIGINE_VALPROATE = (
    "plan", "lamotrigine", "--indication", "epilepsy", "--with", "valproate",
    "--start", START, "--tz", "UTC",
)  # fmt: skip
LAMOTRIGINE = ("plan", "lamotrigine", "--indication", "epilepsy", "--start", START, "--tz", "UTC")
GABAPENTIN = (
    "plan", "gabapentin", "--indication", "postherpetic-neuralgia", "--start", START,
    "--tz", "UTC",
)  # fmt: skip
ROPINIROLE = ("plan", "ropinirole", "--indication", "parkinsons", "--start", START, "--tz", "UTC")
PLANS = {"lamotrigine": LAMOTRIGINE_VALPROATE, "gabapentin": GABAPENTIN, "ropinirole": ROPINIROLE}


def plan_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def doses_by_date(plan: dict) -> dict[str, list[tuple[str, Decimal]]]:  # type: ignore[type-arg]
    found: dict[str, list[tuple[str, Decimal]]] = {}
    for dose in plan["doses"]:
        found.setdefault(dose["at"][:10], []).append(
            (dose["at"][11:16], Decimal(str(dose["dose_mg"])))
        )
    return found


def dates(first: int, last: int) -> list[str]:
    start = date(2026, 12, 1)
    return [(start + timedelta(days=day - 1)).isoformat() for day in range(first, last + 1)]


def test_lamotrigine_with_valproate_every_other_day_then_daily() -> None:
    plan = plan_json(*LAMOTRIGINE_VALPROATE)
    by_date = doses_by_date(plan)
    odd_days = dates(1, 14)[0::2]
    assert sorted(by_date) == odd_days + dates(15, 28)
    assert all(by_date[on] == [("08:00", Decimal(25))] for on in by_date)
    assert [day["doses"] for day in plan["days"][:14]] == [1, 0] * 7
    assert len(plan["days"]) == 28 and len(plan["doses"]) == 21
    assert plan["ladder"]["id"] == "epilepsy-valproate"
    assert plan["ladder"]["matched"] == ["valproate"]
    assert plan["notes"][0].startswith(
        "Schedule chosen: epilepsy, taking valproate (because valproate was named)."
    )
    assert plan["regimen"]["max_daily_mg"] == 200
    assert plan["notices"][0]["id"] == "serious-rash" and plan["notices"][0]["boxed"]


def test_lamotrigine_without_co_medication_25_then_50_a_day() -> None:
    plan = plan_json(*LAMOTRIGINE)
    by_date = doses_by_date(plan)
    assert sorted(by_date) == dates(1, 28)
    assert all(by_date[on] == [("08:00", Decimal(25))] for on in dates(1, 14))
    assert all(by_date[on] == [("08:00", Decimal(50))] for on in dates(15, 28))
    assert plan["ladder"]["id"] == "epilepsy" and plan["ladder"]["default"] is True
    assert "the default: no valproate or carbamazepine" in plan["notes"][0]


def test_lamotrigine_with_carbamazepine_takes_the_inducer_ladder() -> None:
    plan = plan_json(*LAMOTRIGINE, "--with", "Tegretol")
    by_date = doses_by_date(plan)
    assert by_date[dates(1, 1)[0]] == [("08:00", Decimal(50))]
    assert by_date[dates(15, 15)[0]] == [("08:00", Decimal(50)), ("20:00", Decimal(50))]
    assert plan["ladder"]["id"] == "epilepsy-inducer"


def test_lamotrigine_with_both_groups_keeps_the_valproate_start() -> None:
    plan = plan_json(*LAMOTRIGINE, "--with", "depakote", "--with", "carbamazepine")
    assert plan["ladder"]["id"] == "epilepsy-valproate-and-inducer"
    assert [day["doses"] for day in plan["days"][:4]] == [1, 0, 1, 0]
    assert plan["regimen"]["max_daily_mg"] == 400


def test_an_indication_is_required_when_there_are_several() -> None:
    result = run("plan", "lamotrigine", "--start", START)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "titrate: error: --indication: lamotrigine has several indications, each with its "
        "own schedule: choose one of epilepsy, bipolar"
    ]
    unknown = run("plan", "ropinirole", "--indication", "epilepsy", "--start", START)
    assert unknown.exit_code == 2
    assert "'epilepsy' is not an indication of ropinirole (its indications: parkinsons, rls)" in (
        unknown.stderr
    )
    assert run("plan", "baclofen", "--indication", "rls", "--start", START).exit_code == 2


def test_gabapentin_postherpetic_neuralgia_one_two_three_doses() -> None:
    plan = plan_json(*GABAPENTIN)
    by_date = doses_by_date(plan)
    assert by_date == {
        "2026-12-01": [("20:00", Decimal(300))],
        "2026-12-02": [("08:00", Decimal(300)), ("20:00", Decimal(300))],
        "2026-12-03": [("08:00", Decimal(300)), ("14:00", Decimal(300)), ("20:00", Decimal(300))],
    }
    assert plan["findings"] == []


def test_ropinirole_parkinsons_weekly_ladder() -> None:
    plan = plan_json(*ROPINIROLE)
    weekly = {(day["day"] - 1) // 7 + 1: Decimal(str(day["total_mg"])) for day in plan["days"]}
    assert weekly == {1: Decimal("0.75"), 2: Decimal("1.5"), 3: Decimal("2.25"), 4: Decimal(3)}
    assert len(plan["days"]) == 28 and {d["doses"] for d in plan["days"]} == {3}


def test_ropinirole_over_its_maximum_is_an_error_and_exit_1() -> None:
    result = run(*ROPINIROLE, "--steps", "9x3:7", "-f", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["day"], f["last_day"]) for f in findings] == [("over-daily-max", 1, 7)]
    assert "27 mg in the day, over the 24 mg daily maximum" in findings[0]["message"]


def test_ropinirole_rls_has_its_own_time_and_maximum() -> None:
    plan = plan_json("plan", "ropinirole", "--indication", "rls", "--start", START, "--tz", "UTC")
    assert [dose["at"][11:16] for dose in plan["doses"]] == ["21:00", "21:00"]
    assert plan["regimen"]["max_daily_mg"] == 4
    over = run("plan", "ropinirole", "--indication", "rls", "--steps", "5x1:1", "--start", START)
    assert over.exit_code == 1


@pytest.mark.parametrize("drug", ["lamotrigine", "gabapentin", "ropinirole"])
def test_show_lists_every_number_with_source_and_basis(drug: str) -> None:
    result = run("show", drug)
    assert result.exit_code == 0, result.stderr
    regimen = get_regimen(drug)
    for ladder in regimen.ladders:
        assert ladder.name in result.stdout
        for step in ladder.titration.steps:
            assert f"{step.dose_mg} mg" in result.stdout
        assert f"{ladder.limits.max_daily_mg.value}" in result.stdout  # type: ignore[union-attr]
    for source in regimen.sources:
        assert source.url in result.stdout


def test_a_label_basis_cites_a_label_source() -> None:
    for drug in ("lamotrigine", "gabapentin", "ropinirole"):
        regimen = get_regimen(drug)
        for where, fact in regimen.facts():
            if fact.basis == "label":
                kinds = {regimen.source(source).kind for source in fact.source}
                assert "label" in kinds, (drug, where)


@pytest.mark.parametrize("drug", ["lamotrigine", "gabapentin", "ropinirole"])
def test_golden_plans(drug: str, golden: Callable[[str, str], None]) -> None:
    as_json = run(*PLANS[drug], "-f", "json")
    assert as_json.exit_code == 0
    golden(f"plan_{drug}.json", as_json.stdout)
    as_html = run(*PLANS[drug], "-f", "html", "--printed-on", "2026-11-30")
    assert as_html.exit_code == 0
    golden(f"plan_{drug}.html", as_html.stdout)


@pytest.mark.parametrize("drug", ["lamotrigine", "gabapentin", "ropinirole"])
@pytest.mark.parametrize("fmt", ["table", "csv", "md", "html", "ics", "fhir"])
def test_every_format_states_the_ladder(drug: str, fmt: str) -> None:
    result = run(*PLANS[drug], "-f", fmt, "--printed-on", "2026-11-30")
    assert result.exit_code == 0, result.stderr
    name = get_regimen(drug).ladders[0].name if drug != "lamotrigine" else "taking valproate"
    text = html.unescape(result.stdout) if fmt == "html" else result.stdout
    flat = " ".join(text.replace("\\n", " ").replace("\\,", ",").split())
    assert "Schedule chosen:" in flat and name.split(",")[0] in flat


@pytest.mark.parametrize("drug", ["lamotrigine", "gabapentin", "ropinirole"])
def test_pdf_check_missed_and_taper(drug: str, tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    pdf = tmp_path / "plan.pdf"
    assert run(*PLANS[drug], "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    saved = tmp_path / "plan.json"
    saved.write_text(run(*PLANS[drug], "-f", "json").stdout)
    checked = run("check", str(saved))
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    args = PLANS[drug][2:]  # the same regimen options, without `plan REGIMEN`
    missed = run("missed", drug, *args, "--dose-number", "2", "--now", "2026-12-03T09:00")
    assert missed.exit_code in (0, 1), missed.stderr
    assert "Traceback" not in missed.stdout + missed.stderr
    from_plan = run(
        "taper", drug, "--from-plan", str(saved), "--step-mg", "25", "--every-days", "7"
    )
    assert from_plan.exit_code in (0, 1, 2), from_plan.stderr
    assert "Traceback" not in from_plan.stdout + from_plan.stderr


def test_a_day_off_in_an_every_other_day_step_is_said_in_the_table() -> None:
    """The patient must see that day 2 has no dose, not a gap that looks like a misprint."""
    result = run(
        "plan", "lamotrigine", "--indication", "epilepsy", "--with", "valproate",
        "--start", "2026-12-01", "--tz", "UTC",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "  2   2026-12-02   —       no dose                           0 mg" in result.stdout
