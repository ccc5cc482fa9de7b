"""The clinical review (issue 15): evidence labelled as it is, no news or blog sources,
kidneys that say avoid, renal doses a product can measure, tapers that cut on day 1."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import run
from titrate.catalog import get_regimen, load_regimens
from titrate.core.taper import taper_ladder
from titrate.model import Regimen

REGIMENS = ("baclofen", "tizanidine", "dantrolene")
START = ("--start", "2026-12-01", "--tz", "UTC")


def label_facts_without_a_label_source(regimen: Regimen) -> list[str]:
    """Every fact whose basis is `label` but none of whose sources is a label."""
    return [
        where
        for where, fact in regimen.facts()
        if fact.basis == "label"
        and not any(regimen.source(source).kind == "label" for source in fact.source)
    ]


@pytest.mark.parametrize("regimen_id", REGIMENS)
def test_every_label_basis_cites_a_label_kind_source(regimen_id: str) -> None:
    assert label_facts_without_a_label_source(get_regimen(regimen_id)) == []


def test_the_basis_check_fails_for_a_label_basis_backed_only_by_a_summary() -> None:
    regimen = get_regimen("baclofen")
    population = regimen.population
    assert population is not None
    relabelled = regimen.model_copy(
        update={"population": population.model_copy(update={"basis": "label"})}
    )
    # the minimum age cites only patient information and a secondary summary
    assert label_facts_without_a_label_source(relabelled) == ["population"]


@pytest.mark.parametrize("regimen_id", REGIMENS)
def test_no_news_or_blog_pages_among_the_sources(regimen_id: str) -> None:
    urls = [source.url for source in get_regimen(regimen_id).sources]
    assert not [url for url in urls if "news" in url or "blog" in url]


def test_label_and_literature_sources_are_what_they_say() -> None:
    baclofen = get_regimen("baclofen")
    kinds = {source.id: source.kind for source in baclofen.sources}
    assert "B3" not in kinds and kinds["B4"] == "label"
    assert kinds["R4"] == "literature"


def plan_json(*args: str) -> tuple[int, dict[str, object]]:
    result = run(*args, *START, "-f", "json")
    assert result.stderr == "", result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_crcl_30_renal_adjust_in_suspension_gives_whole_0_1_ml_steps_and_exact_totals() -> None:
    code, plan = plan_json("plan", "baclofen", "--crcl", "30", "--renal-adjust", "--product",
                           "suspension")  # fmt: skip
    doses = plan["doses"]
    assert isinstance(doses, list) and isinstance(plan["days"], list)
    volumes = [Decimal(str(dose["amount"]["value"])) for dose in doses]
    assert all(volume % Decimal("0.1") == 0 for volume in volumes)
    assert sorted({Decimal(str(dose["dose_mg"])) for dose in doses}) == [
        Decimal("1.5"), Decimal("3"), Decimal("5"), Decimal("6.5"),
    ]  # fmt: skip
    for day in plan["days"]:
        given = [Decimal(str(d["dose_mg"])) for d in doses if d["day"] == day["day"]]
        assert Decimal(str(day["total_mg"])) == sum(given, Decimal(0))
    # each 3-day step lasts 9 days at a third of the dose (a stated convention)
    assert len(plan["days"]) == 36
    assert [day["total_mg"] for day in plan["days"][::9]] == [4.5, 9, 15, 19.5]
    assert "Each step of the titration lasts 3 times as long" in plan["notes"][0]  # type: ignore[index]
    renal = [f for f in plan["findings"] if f["rule"] == "renal-impairment"]  # type: ignore[attr-defined]
    assert renal[0]["message"].startswith(
        "CrCl 30 mL/min, severe (CrCl 30 mL/min or less): Avoid baclofen if possible"
    )
    assert (
        "[R4]" in renal[0]["message"]
        and "extrapolated from a single-dose study" in (renal[0]["message"])
    )
    assert renal[1]["message"] == (
        "Day 1: computed 5 mg × 1/3 = 5/3 mg; given 1.5 mg (rounded down to what Baclofen "
        "oral suspension 25 mg/5 mL (5 mg/mL; Fleqsuvy, generics) measures)."
    )
    assert code == 0  # warnings only: every dose is measurable


def test_dialysis_says_avoid_if_possible_with_its_source() -> None:
    _, plan = plan_json("plan", "baclofen", "--dialysis")
    (renal,) = [f for f in plan["findings"] if f["rule"] == "renal-impairment"]  # type: ignore[attr-defined]
    assert renal["message"].startswith("Patient on dialysis: Avoid baclofen if possible")
    assert "pubmed.ncbi.nlm.nih.gov/28899601" in renal["message"]


def test_taper_from_20_mg_three_times_a_day_totals_45_mg_on_day_1() -> None:
    code, plan = plan_json("taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3")
    assert code == 0
    assert [day["total_mg"] for day in plan["days"][::3]] == [45, 30, 15]  # type: ignore[index]


def test_taper_from_80_mg_a_day_never_cuts_more_than_half() -> None:
    _, plan = plan_json("taper", "baclofen", "--from-mg", "20", "--doses-per-day", "4")
    totals = [day["total_mg"] for day in plan["days"]]  # type: ignore[union-attr]
    assert totals[::3] == [60, 40, 20, 15]
    previous = 80
    for total in totals:
        assert previous - total <= previous / 2
        previous = total


def test_a_per_day_cut_of_more_than_half_is_made_half_unless_asked() -> None:
    regimen = get_regimen("tizanidine")
    assert regimen.taper is not None and regimen.taper.step_mg_per_day is not None
    wide = regimen.taper.step_mg_per_day.model_copy(update={"min": Decimal(4)})
    fast = regimen.model_copy(
        update={"taper": regimen.taper.model_copy(update={"step_mg_per_day": wide})}
    )
    # 3 mg twice a day (6 mg) at 4 mg a day would leave 2 mg (two thirds off): 3 mg instead
    capped = taper_ladder(fast, Decimal(3), 2)
    assert [step.total_mg for step in capped.steps] == [3]
    assert any("more than half of the day's remaining dose" in n for n in capped.notes)
    asked = taper_ladder(fast, Decimal(3), 2, step_mg=Decimal(4))
    assert [step.total_mg for step in asked.steps] == [2]
    assert not any("more than half" in n for n in asked.notes)


def test_the_built_in_data_loads() -> None:
    assert set(load_regimens()) >= set(REGIMENS)


def test_pace_percent_cuts_a_fixed_fraction_of_the_current_dose_with_a_floor() -> None:
    code, plan = plan_json("taper", "baclofen", "--from-mg", "20", "--doses-per-day", "3",
                           "--pace-percent", "25", "--product", "suspension")  # fmt: skip
    assert code == 0
    doses = [day_doses for day_doses in plan["days"][::3]]  # type: ignore[index]
    # 25% of 20 = 5 → 15; 25% of 15 = 3.75, rounded down to 3 → 12; then 9, 7, 6, 5
    assert [d["total_mg"] for d in doses] == [45, 36, 27, 21, 18, 15]
    assert plan["notes"][0].startswith(  # type: ignore[index]
        "Taper pace: proportional, each reduction 25% of each dose every 3 day(s), rounded "
        "down to multiples of 1 mg and at least 1 mg (a convention, not a label fact)"
    )


def test_pace_percent_over_half_or_without_data_is_bad_input() -> None:
    over = run("taper", "baclofen", "--from-mg", "20", "--pace-percent", "60", *START)
    assert over.exit_code == 2
    assert over.stderr == "titrate: error: --pace-percent: '60' is not a percentage (0 to 50)\n"
    none = run("taper", "dantrolene", "--from-mg", "100", "--pace-percent", "10", *START)
    assert none.exit_code == 2
    assert none.stderr.startswith(
        "titrate: error: --pace-percent: regimen 'dantrolene' has no proportional taper data"
    )
    both = run("taper", "baclofen", "--from-mg", "20", "--pace-percent", "10", "--step-mg",
               "5", *START)  # fmt: skip
    assert both.exit_code == 2 and "not both" in both.stderr


def test_granules_course_is_dispensed_from_the_fewest_strengths_and_cartons() -> None:
    code, plan = plan_json("plan", "baclofen", "--product", "granules")
    assert code == 0
    course = [line["text"] for line in plan["dispense"] if line["step"] is None]  # type: ignore[union-attr]
    assert course == ["36 × 10 mg packet: 1 carton of 90", "18 × 5 mg packet: 1 carton of 90"]
    amounts = {dose["dose_mg"]: dose["amount"]["text"] for dose in plan["doses"]}  # type: ignore[union-attr]
    assert amounts == {
        5: "1 × 5 mg packet",
        10: "1 × 10 mg packet",
        15: "1 × 10 mg packet + 1 × 5 mg packet",
        20: "2 × 10 mg packet",
    }
    assert any(
        note.startswith("The doses use 5 mg and 10 mg packets only") for note in plan["notes"]
    )  # type: ignore[union-attr]


def test_granules_fall_back_to_every_strength_when_two_packets_cannot_make_a_dose() -> None:
    _, plan = plan_json("plan", "baclofen", "--product", "granules", "--steps", "25x3:2")
    assert {dose["amount"]["text"] for dose in plan["doses"]} == {  # type: ignore[union-attr]
        "1 × 20 mg packet + 1 × 5 mg packet"
    }


# --- Generic oral solutions: bottles and unit-dose cups ---------------------------------


def _course(plan: dict[str, object]) -> list[str]:
    return [line["text"] for line in plan["dispense"] if line["step"] is None]  # type: ignore[attr-defined,index]


def _amounts(plan: dict[str, object]) -> dict[object, object]:
    return {
        dose["dose_mg"]: dose["amount"] and (dose["amount"]["text"], dose["amount"]["value"])
        for dose in plan["doses"]  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize(
    ("product", "amounts", "course"),
    [
        pytest.param(
            "solution-5mg-5ml",
            {5: ("5 mL", 5), 10: ("10 mL", 10), 15: ("15 mL", 15), 20: ("20 mL", 20)},
            "450 mL of 1 mg/mL solution: 1 × 473 mL bottle",
            id="5mg-5ml",
        ),
        pytest.param(
            "solution-10mg-5ml",
            {5: ("2.5 mL", 2.5), 10: ("5 mL", 5), 15: ("7.5 mL", 7.5), 20: ("10 mL", 10)},
            "225 mL of 2 mg/mL solution: 1 × 237 mL bottle",
            id="10mg-5ml",
        ),
    ],
)
def test_generic_solution_bottles_measure_the_label_plan_exactly(
    product: str, amounts: dict[int, tuple[str, float]], course: str
) -> None:
    code, plan = plan_json("plan", "baclofen", "--product", product)
    assert code == 0 and plan["findings"] == []
    assert plan["product"]["id"] == product  # type: ignore[index]
    assert plan["product"]["measure_step_ml"] == 0.1  # type: ignore[index]
    assert _amounts(plan) == amounts
    assert _course(plan) == [course]


def test_unit_dose_cups_are_whole_cups_counted_per_dose() -> None:
    """The label plan in 5 mL cups (10 mg a cup): 10 and 20 mg doses are one and two
    cups; 5 and 15 mg are not whole cups and are flagged, never measured out of a cup."""
    result = run("plan", "baclofen", *START, "--product", "cups-5ml", "-f", "json")
    assert result.exit_code == 1  # dose-not-measurable is an error
    plan = json.loads(result.stdout)
    assert _amounts(plan) == {5: None, 10: ("5 mL", 5), 15: None, 20: ("10 mL", 10)}
    assert [(f["code"], f["day"], f["message"]) for f in plan["findings"]] == [
        ("TT401", 1, "Days 1–3: 5 mg is 2.5 mL of the 2 mg/mL solution, not a whole number of "
                     "5 mL measuring steps; it is not rounded."),
        ("TT401", 7, "Days 7–9: 15 mg is 7.5 mL of the 2 mg/mL solution, not a whole number of "
                     "5 mL measuring steps; it is not rounded."),
    ]  # fmt: skip
    # 9 doses of 10 mg (1 cup) + 9 doses of 20 mg (2 cups): 27 cups of 5 mL.
    assert _course(plan) == ["135 mL of 2 mg/mL solution: 27 × 5 mL cup"]


def test_ten_ml_cups_serve_20_mg_doses_one_cup_each() -> None:
    code, plan = plan_json("plan", "baclofen", "--product", "cups-10ml", "--steps", "20x3:7")
    assert code == 0
    assert _amounts(plan) == {20: ("10 mL", 10)}
    assert _course(plan) == ["210 mL of 2 mg/mL solution: 21 × 10 mL cup"]
    code, ten = plan_json("plan", "baclofen", "--product", "cups-10ml", "--steps", "10x3:3")
    assert code == 1
    assert [f["message"] for f in ten["findings"]] == [  # type: ignore[attr-defined]
        "Days 1–3: 10 mg is 5 mL of the 2 mg/mL solution, not a whole number of 10 mL "
        "measuring steps; it is not rounded."
    ]


def test_the_generic_solutions_cite_their_ndc_listings() -> None:
    result = run("products", "baclofen", "-f", "json")
    by_id = {p["id"]: p for p in json.loads(result.stdout)["products"]}
    for product, ndc in (
        ("solution-5mg-5ml", "73352-103"),
        ("solution-10mg-5ml", "72888-466"),
        ("cups-5ml", "42192-631"),
        ("cups-10ml", "42192-631"),
    ):
        assert f"(NDC {ndc}, " in by_id[product]["source"]
        assert "api.fda.gov/drug/ndc.json" in by_id[product]["source"]
    assert (by_id["cups-5ml"]["pack_name"], by_id["cups-5ml"]["pack_sizes"]) == ("cup", [5])
    assert by_id["solution-10mg-5ml"]["pack_sizes"] == [237, 473]


def test_a_tablet_plans_handout_prints_none_of_the_solution_sources() -> None:
    """The label plan (tablets) cites no NDC listing of the solutions: the handout does
    not print them; the JSON lists every source of the regimen."""
    html = run("plan", "baclofen", *START, "-f", "html").stdout
    assert "Sources this plan cites (11 of the regimen's 27" in html
    assert "73352-103" not in html and "42192-631" not in html
    _, plan = plan_json("plan", "baclofen")
    assert {"G1", "G2", "G3"} <= {s["id"] for s in plan["sources"]}  # type: ignore[attr-defined]
