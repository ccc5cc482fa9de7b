"""Doses → amounts of a product and dispensing totals (titrate.core.measure), exactly."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import combinations_with_replacement

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from titrate.api import plan as build_plan
from titrate.catalog import get_regimen
from titrate.core.amounts import fewest_pieces, liquid_ml
from titrate.core.measure import choose_packs, in_use_windows
from titrate.errors import InputError
from titrate.model import Plan, PlanOptions, Product, Step, Strength

BACLOFEN = get_regimen("baclofen")
START = date(2026, 12, 1)


def product(product_id: str) -> Product:
    found = BACLOFEN.product(product_id)
    assert found is not None
    return found


def make_plan(
    product_id: str | None = None,
    strengths: list[str] | None = None,
    steps: str | None = None,
    hold_days: int = 0,
) -> Plan:
    from titrate.core.schedule import parse_steps

    return build_plan(
        BACLOFEN,
        PlanOptions(
            start=START,
            timezone="UTC",
            product=product_id,
            strengths=[Decimal(s) for s in strengths] if strengths is not None else None,
            steps=parse_steps(steps) if steps else None,
            hold_days=hold_days,
        ),
    )


def per_step_texts(plan: Plan) -> list[str | None]:
    """The amount of the first dose of each step."""
    seen: dict[int, str | None] = {}
    for dose in plan.doses:
        seen.setdefault(dose.step, dose.amount.text if dose.amount else None)
    return [seen[step] for step in sorted(seen)]


def course(plan: Plan) -> list[tuple[str, Decimal]]:
    return [(line.item, line.quantity) for line in plan.dispense if line.step is None]


# --- the label plan in each product (issue 3, "Done when") ------------------------------


def test_label_plan_with_10_mg_tablets_reads_half_to_two_and_dispenses_45() -> None:
    plan = make_plan("tablets", ["10"])
    assert per_step_texts(plan) == [
        "½ × 10 mg tablet",
        "1 × 10 mg tablet",
        "1½ × 10 mg tablet",
        "2 × 10 mg tablet",
    ]
    assert [d.amount.value for d in plan.doses[::9] if d.amount] == [
        Decimal("0.5"),
        1,
        Decimal("1.5"),
        2,
    ]
    assert course(plan) == [("10 mg tablet", 45)]
    total = next(line for line in plan.dispense if line.step is None)
    assert (total.halves, total.halves_left_over) == (18, 0)
    assert plan.findings == []


def test_default_tablets_choose_10_mg_for_the_label_plan_and_say_it_is_a_convention() -> None:
    plan = make_plan()
    assert plan.product is not None and plan.product.id == "tablets"
    assert course(plan) == [("10 mg tablet", 45)]
    assert any("10 mg tablets" in note and "convention" in note for note in plan.notes)


def test_label_plan_with_5_mg_tablets_reads_one_to_four_and_dispenses_90() -> None:
    plan = make_plan("tablets", ["5"])
    assert per_step_texts(plan) == [
        "1 × 5 mg tablet",
        "2 × 5 mg tablet",
        "3 × 5 mg tablet",
        "4 × 5 mg tablet",
    ]
    assert course(plan) == [("5 mg tablet", 90)]
    steps = [(line.step, line.quantity) for line in plan.dispense if line.step is not None]
    assert steps == [(1, 9), (2, 18), (3, 27), (4, 36)]


def test_label_plan_with_the_5_mg_per_ml_suspension_is_1_to_4_ml_and_90_ml() -> None:
    plan = make_plan("suspension")
    assert per_step_texts(plan) == ["1 mL", "2 mL", "3 mL", "4 mL"]
    (total,) = [line for line in plan.dispense if line.step is None]
    assert (total.quantity, total.packs, total.pack_size) == (90, 1, 120)
    assert plan.findings == []  # 12 days: well inside the in-use limit


def test_label_plan_with_the_1_mg_per_ml_solution_is_5_to_20_ml_and_one_473_ml_bottle() -> None:
    plan = make_plan("ozobax")
    assert per_step_texts(plan) == ["5 mL", "10 mL", "15 mL", "20 mL"]
    (total,) = [line for line in plan.dispense if line.step is None]
    assert (total.quantity, total.packs, total.pack_size) == (450, 1, 473)
    assert "450 mL" in total.text and "1 × 473 mL bottle" in total.text
    assert plan.product is not None and "refrigerator" in (plan.product.storage or "")


def test_label_plan_with_the_2_mg_per_ml_solution_halves_the_volume() -> None:
    plan = make_plan("ozobax-ds")
    assert per_step_texts(plan) == ["2.5 mL", "5 mL", "7.5 mL", "10 mL"]
    (total,) = [line for line in plan.dispense if line.step is None]
    assert (total.quantity, total.packs, total.pack_size) == (225, 1, 237)


def test_label_plan_with_granules_combines_whole_packets() -> None:
    plan = make_plan("granules")
    # the fewest strengths and cartons (issue 15): 5 and 10 mg, at most 2 packets a dose
    assert per_step_texts(plan) == [
        "1 × 5 mg packet",
        "1 × 10 mg packet",
        "1 × 10 mg packet + 1 × 5 mg packet",
        "2 × 10 mg packet",
    ]
    assert course(plan) == [("10 mg packet", 36), ("5 mg packet", 18)]
    ten = next(line for line in plan.dispense if line.step is None)
    assert (ten.packs, ten.pack_size) == (1, 90)


# --- doses that cannot be made -----------------------------------------------------------


def test_7_5_mg_with_granule_packets_is_dose_not_measurable() -> None:
    plan = make_plan("granules", steps="7.5x3:2")
    assert all(dose.amount is None for dose in plan.doses)
    found = [f for f in plan.findings if f.rule == "dose-not-measurable"]
    assert [(f.day, f.last_day, f.severity, f.code) for f in found] == [
        (1, 2, "error", "TT401"),  # days 1-2: one finding for the run
    ]
    assert "7.5 mg" in found[0].message and "not split" in found[0].message
    assert plan.dispense == []


def test_2_5_mg_with_unscored_5_mg_tablets_is_dose_not_measurable() -> None:
    plan = make_plan("tablets", ["5"], steps="2.5x3:1,5x3:1")
    assert [d.amount is None for d in plan.doses[::3]] == [True, False]
    found = [f for f in plan.findings if f.rule == "dose-not-measurable"]
    assert [f.day for f in found] == [1]
    assert "2.5 mg" in found[0].message and "no halves" in found[0].message
    # the dispensing count covers the doses that can be made, and says what it leaves out
    assert course(plan) == [("5 mg tablet", 3)]
    assert any("leave them out" in note for note in plan.notes)


def test_strengths_that_make_none_of_the_doses_are_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        make_plan("tablets", ["5"], steps="2.5x3:1")
    assert caught.value.field == "strengths"
    assert "none of the plan's doses" in caught.value.message


def test_a_liquid_dose_finer_than_the_measuring_step_is_flagged_never_rounded() -> None:
    plan = make_plan("suspension", steps="0.25x3:1,5x3:1")
    assert plan.doses[0].amount is None
    assert plan.doses[3].amount is not None and plan.doses[3].amount.text == "1 mL"
    (finding,) = [f for f in plan.findings if f.rule == "dose-not-measurable"]
    assert "0.05 mL" in finding.message and "0.1 mL" in finding.message
    assert finding.basis == "convention"  # the 0.1 mL step is a convention, and says so


def test_an_odd_number_of_halves_wastes_one_half_and_says_so() -> None:
    plan = make_plan("tablets", ["10"], steps="5x3:1")
    (total,) = [line for line in plan.dispense if line.step is None]
    assert (total.quantity, total.halves, total.halves_left_over) == (2, 3, 1)
    assert "1 half left over" in total.text


# --- in-use expiry ---------------------------------------------------------------------------


def test_a_suspension_course_longer_than_59_days_warns_and_counts_fresh_bottles() -> None:
    plan = make_plan("suspension", hold_days=58)  # 70 days
    (finding,) = plan.findings
    assert (finding.rule, finding.severity, finding.code, finding.day) == (
        "in-use-expiry",
        "warning",
        "TT402",
        60,
    )
    assert "2027-01-29" in finding.message and "59 days" in finding.message
    (total,) = [line for line in plan.dispense if line.step is None]
    # days 1-59: 654 mL → 300 + 300 + 120; days 60-70: 132 mL → 300 (fresh bottles)
    assert total.quantity == 786
    assert [(p.size, p.count) for p in total.pack_counts] == [(300, 3), (120, 1)]
    assert "day 60" in total.text


def test_solution_without_an_in_use_limit_never_warns() -> None:
    plan = make_plan("ozobax", hold_days=100)
    assert [f.rule for f in plan.findings] == []


def test_in_use_windows() -> None:
    assert in_use_windows([1, 2, 3], 59) == [(1, 3)]
    assert in_use_windows(list(range(1, 71)), 59) == [(1, 59), (60, 70)]
    assert in_use_windows(list(range(1, 119)), 59) == [(1, 59), (60, 118)]
    assert in_use_windows([], 59) == []


# --- the combination search -------------------------------------------------------------------


def strengths(*spec: tuple[str, bool]) -> list[Strength]:
    return [Strength(mg=Decimal(mg), scored=scored, source=["x"]) for mg, scored in spec]


TABLETS = strengths(("5", False), ("10", True), ("15", False), ("20", True))


@pytest.mark.parametrize(
    ("dose", "expected"),
    [
        ("15", [("15", 1, 0)]),  # one 15 mg tablet beats 10 + ½ × 10
        ("25", [("20", 1, 0), ("5", 1, 0)]),  # tie with 15 + 10: larger strengths win
        ("7.5", None),  # 2.5 mg pieces do not exist
        ("5", [("5", 1, 0)]),  # a whole tablet beats half of a 10 (fewer halves)
        ("35", [("20", 1, 0), ("15", 1, 0)]),
        ("80", [("20", 4, 0)]),
    ],
)
def test_fewest_pieces(dose: str, expected: list[tuple[str, int, int]] | None) -> None:
    found = fewest_pieces(Decimal(dose), TABLETS)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert [(str(mg), w, h) for mg, w, h in found.parts] == expected


def test_fewest_pieces_is_not_greedy() -> None:
    # Greedy largest-first would try 10 + ... and fail or use more pieces: 18 = 3 × 6.
    six_ten = strengths(("6", False), ("10", False))
    found = fewest_pieces(Decimal(18), six_ten)
    assert found is not None and [(int(m), w, h) for m, w, h in found.parts] == [(6, 3, 0)]
    found = fewest_pieces(Decimal(22), six_ten)
    assert found is not None and found.pieces == 3 and found.mg == 22


def test_choose_packs() -> None:
    def packs(quantity: str, *sizes: int) -> list[tuple[int, int]]:
        chosen = choose_packs(Decimal(quantity), [Decimal(s) for s in sizes])
        return [(int(p.size), p.count) for p in chosen]

    assert packs("450", 473) == [(473, 1)]
    assert packs("474", 473) == [(473, 2)]
    assert packs("90", 120, 300) == [(120, 1)]
    assert packs("130", 120, 300) == [(300, 1)]  # fewest bottles first
    assert packs("400", 120, 300) == [(300, 1), (120, 1)]  # then the least left over
    assert packs("0", 120) == []


def test_liquid_ml_is_exact() -> None:
    assert liquid_ml(Decimal(5), product("ozobax")) == Decimal(5)
    assert liquid_ml(Decimal(5), product("ozobax-ds")) == Decimal("2.5")
    assert liquid_ml(Decimal(5), product("suspension")) == Decimal(1)
    assert liquid_ml(Decimal("0.3"), product("suspension")) is None  # 0.06 mL
    assert liquid_ml(Decimal("0.5"), product("suspension")) == Decimal("0.1")


# --- properties ------------------------------------------------------------------------------

strength_values = st.sampled_from(["1", "2", "2.5", "3", "4", "5", "6", "10", "15", "20", "25"])
strength_sets = st.lists(
    st.tuples(strength_values, st.booleans()), min_size=1, max_size=3, unique_by=lambda t: t[0]
)
small_doses = st.integers(min_value=1, max_value=100).map(lambda n: Decimal(n) / 2)


def brute_force_pieces(dose: Decimal, spec: list[tuple[str, bool]]) -> int | None:
    """Fewest pieces by exhaustive search over wholes and halves (independent of measure)."""
    units = [Decimal(mg) for mg, _ in spec] + [Decimal(mg) / 2 for mg, scored in spec if scored]

    @cache
    def best(rest: Decimal, index: int) -> float:
        if rest == 0:
            return 0
        if index == len(units):
            return math.inf
        unit = units[index]
        return min(
            count + best(rest - count * unit, index + 1) for count in range(int(rest / unit) + 1)
        )

    found = best(dose, 0)
    return None if found == math.inf else int(found)


@settings(max_examples=150, deadline=None)
@given(small_doses, strength_sets)
def test_fewest_pieces_is_exact_and_minimal(dose: Decimal, spec: list[tuple[str, bool]]) -> None:
    found = fewest_pieces(dose, strengths(*spec))
    expected = brute_force_pieces(dose, spec)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.mg == dose  # the amount times the strength is the dose, exactly
    assert found.pieces == expected
    scored = {Decimal(mg) for mg, is_scored in spec if is_scored}
    assert all(mg in scored for mg, _, halves in found.parts if halves)


plan_steps = st.lists(
    st.builds(
        Step,
        dose_mg=st.integers(min_value=1, max_value=160).map(lambda n: Decimal(n) / 4),
        per_day=st.integers(min_value=1, max_value=4),
        days=st.integers(min_value=1, max_value=30),
    ),
    min_size=1,
    max_size=4,
)
products = st.sampled_from([p.id for p in BACLOFEN.products])


@settings(max_examples=80, deadline=None)
@given(plan_steps, products)
def test_amounts_are_exact_and_dispensing_covers_every_dose(
    steps: list[Step], product_id: str
) -> None:
    plan = build_plan(
        BACLOFEN, PlanOptions(start=START, timezone="UTC", steps=steps, product=product_id)
    )
    chosen = product(product_id)
    flagged_days = {
        day
        for f in plan.findings
        if f.rule == "dose-not-measurable" and f.day is not None
        for day in range(f.day, (f.last_day or f.day) + 1)
    }
    taken: dict[Decimal | None, Decimal] = {}
    for dose in plan.doses:
        if dose.amount is None:
            assert dose.day in flagged_days  # never a silent gap
            continue
        if chosen.concentration is not None:
            assert dose.amount.value * chosen.concentration.mg_per_ml == dose.dose_mg
            taken[None] = taken.get(None, Decimal(0)) + dose.amount.value
        else:
            assert sum(p.count * p.strength_mg for p in dose.amount.pieces) == dose.dose_mg
            for piece in dose.amount.pieces:
                strength = chosen.strength(piece.strength_mg)
                assert strength is not None
                assert piece.count == int(piece.count) or strength.scored  # halves: scored only
                taken[piece.strength_mg] = taken.get(piece.strength_mg, Decimal(0)) + piece.count
    totals = {line.strength_mg: line for line in plan.dispense if line.step is None}
    assert set(totals) == set(taken)
    for key, amount in taken.items():
        line = totals[key]
        assert line.quantity >= amount  # dispensed covers what is taken
        assert line.quantity - amount < 1 or chosen.concentration is not None
        if line.pack_counts:
            assert sum(p.size * p.count for p in line.pack_counts) >= line.quantity
    per_step = sum((line.quantity for line in plan.dispense if line.step is not None), Decimal(0))
    assert per_step == sum(taken.values(), Decimal(0))


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1, max_value=2000).map(Decimal),
    st.lists(st.integers(min_value=40, max_value=500), min_size=1, max_size=3, unique=True),
)
def test_choose_packs_is_fewest_then_least_left_over(quantity: Decimal, sizes: list[int]) -> None:
    chosen = choose_packs(quantity, [Decimal(s) for s in sizes])
    count = sum(p.count for p in chosen)
    held = sum(p.size * p.count for p in chosen)
    assert held >= quantity
    fewest = math.ceil(quantity / max(sizes))
    assert count == fewest
    # brute force over every way to fill `fewest` packs
    best = min(
        sum(combo)
        for combo in combinations_with_replacement(sizes, fewest)
        if sum(combo) >= quantity
    )
    assert held == best
