"""`titrate products` and `titrate plan --product/--strengths` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run

LABEL = ("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC")


def plan_json(*extra: str) -> dict[str, object]:
    result = run(*LABEL, *extra, "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


# --- products --------------------------------------------------------------------------


def test_products_lists_every_product_with_storage_and_sources(
    golden: Callable[[str, str], None],
) -> None:
    result = run("products", "baclofen")
    assert result.exit_code == 0, result.stderr
    for expected in (
        "tablets (default): Baclofen tablets",
        "may be halved: 10, 20 mg",
        "ozobax: Ozobax oral solution 5 mg/5 mL (1 mg/mL)",
        "Keep in the refrigerator",
        "Discard: 59 days after first opening",
        "whole packets only",
        "Shake well",
    ):
        assert expected in result.stdout
    golden("products_baclofen.txt", result.stdout)


def test_products_json(golden: Callable[[str, str], None]) -> None:
    result = run("products", "baclofen", "-f", "json")
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    assert listing["default_product"] == "tablets"
    by_id = {p["id"]: p for p in listing["products"]}
    assert set(by_id) == {
        "tablets", "ozobax", "ozobax-ds", "solution-5mg-5ml", "solution-10mg-5ml", "cups-5ml",
        "cups-10ml", "suspension", "granules",
    }  # fmt: skip
    assert by_id["tablets"]["strengths_mg"] == [5, 10, 15, 20]
    assert by_id["tablets"]["scored_mg"] == [10, 20]
    assert [by_id[i]["concentration_mg_per_ml"] for i in ("ozobax", "ozobax-ds", "suspension")] == [
        1,
        2,
        5,
    ]
    assert by_id["suspension"]["discard_after_opening_days"] == 59
    assert by_id["suspension"]["pack_sizes"] == [120, 300]
    assert by_id["granules"]["pack_sizes"] == [90]
    assert "dailymed" in by_id["suspension"]["source"]
    golden("products_baclofen.json", result.stdout)


def test_products_of_an_unknown_regimen() -> None:
    result = run("products", "baclofn")
    assert result.exit_code == 2
    assert "did you mean 'baclofen'" in result.stderr


# --- plan with a product ------------------------------------------------------------------


def test_plan_json_carries_product_amounts_and_dispense() -> None:
    plan = plan_json("--product", "suspension")
    product = plan["product"]
    assert isinstance(product, dict)
    assert product["id"] == "suspension" and product["concentration_mg_per_ml"] == 5
    assert "Shake well before each dose." in product["administration"]
    doses = plan["doses"]
    assert isinstance(doses, list)
    assert doses[0]["amount"] == {"value": 1, "unit": "mL", "text": "1 mL", "pieces": []}
    dispense = plan["dispense"]
    assert isinstance(dispense, list)
    assert dispense[-1]["step"] is None and dispense[-1]["quantity"] == 90


def test_plan_json_tablet_pieces() -> None:
    plan = plan_json("--strengths", "10")
    doses = plan["doses"]
    assert isinstance(doses, list)
    assert doses[18]["amount"] == {
        "value": 1.5,
        "unit": "tablet",
        "text": "1½ × 10 mg tablet",
        "pieces": [{"strength_mg": 10, "count": 1.5}],
    }


def test_plan_table_with_the_suspension(golden: Callable[[str, str], None]) -> None:
    result = run(*LABEL, "--product", "suspension")
    assert result.exit_code == 0
    assert "Amount" in result.stdout
    assert "Whole course: 90 mL of 5 mg/mL suspension: 1 × 120 mL bottle" in result.stdout
    assert "How to take: Shake well before each dose." in result.stdout
    golden("products_plan_suspension.txt", result.stdout)


def test_plan_table_with_granules_fits_80_columns(golden: Callable[[str, str], None]) -> None:
    result = run(*LABEL, "--product", "granules", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "Storage: " not in result.stdout  # none sourced: nothing invented
    golden("products_plan_granules.txt", result.stdout)


def test_not_measurable_dose_is_shown_beside_its_day_and_exits_1() -> None:
    argv = (*LABEL, "--product", "granules", "--steps", "7.5x3:1,5x3:1")
    result = run(*argv)
    assert result.exit_code == 1
    day_one = next(line for line in result.stdout.splitlines() if "2026-12-01   08:00" in line)
    assert "not measurable" in day_one and "dose-not-measurable" in day_one
    assert "ERROR dose-not-measurable (TT401): Day 1: 7.5 mg" in result.stdout
    assert "Whole course: 3 × 5 mg packet" in result.stdout
    assert run(*argv, "--fail-on", "never").exit_code == 0


def test_in_use_expiry_is_a_warning() -> None:
    argv = (*LABEL, "--product", "suspension", "--hold-days", "58")
    assert run(*argv).exit_code == 0
    result = run(*argv, "--fail-on", "warning")
    assert result.exit_code == 1
    assert "WARNING in-use-expiry (TT402)" in result.stdout


# --- bad input: one line on stderr, exit 2 ---------------------------------------------


def one_line_error(args: tuple[str, ...], *fragments: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("titrate: error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_product_lists_the_valid_ones() -> None:
    one_line_error(
        (*LABEL, "--product", "syrup"),
        "--product",
        "unknown product 'syrup'",
        "tablets, ozobax, ozobax-ds, solution-5mg-5ml, solution-10mg-5ml, cups-5ml, cups-10ml, "
        "suspension, granules",
    )


def test_unknown_strength_lists_the_valid_ones() -> None:
    one_line_error((*LABEL, "--strengths", "5,12"), "--strengths", "no 12 mg", "5, 10, 15, 20 mg")
    one_line_error((*LABEL, "--strengths", "abc"), "--strengths", "'abc'")
    one_line_error((*LABEL, "--strengths", ","), "--strengths", "empty")
    one_line_error((*LABEL, "--strengths", "-5"), "--strengths")


def test_strengths_with_a_liquid() -> None:
    one_line_error((*LABEL, "--product", "ozobax", "--strengths", "5"), "--strengths", "mL")


def test_strengths_that_make_no_dose() -> None:
    one_line_error(
        (*LABEL, "--steps", "2.5x3:3", "--strengths", "5,15"),
        "--strengths",
        "none of the plan's doses (2.5 mg)",
    )


REGIMEN_WITH_PRODUCT = """\
schema_version: 1
regimens:
  - id: demo
    name: Demo drug
    drug: demo
    summary: A made-up regimen for a student exercise.
    titration:
      steps:
        - {dose_mg: 10, per_day: 1, days: 2}
      source: [S1]
    limits:
      max_daily_mg: {value: 20, source: [S1]}
    dose_times:
      by_frequency:
        1: ["09:00"]
      source: [S1]
      basis: convention
    default_product: drops
    products:
      - id: drops
        name: Demo drops 3 mg/mL
        form: solution
        concentration: {mg_per_ml: 3, source: [S1]}
        measure_step: {ml: 0.1, source: [S1], basis: convention}
        source: [S1]
    sources:
      - {id: S1, title: Teaching example, url: "https://example.org/demo", retrieved: 2026-11-26}
"""


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (("mg_per_ml: 3", "mg_per_ml: 0"), (":23:", "concentration.mg_per_ml", "greater than 0")),
        (("mg_per_ml: 3", "mg_per_ml: -2"), (":23:", "concentration.mg_per_ml")),
        (("ml: 0.1", "ml: 0"), (":24:", "measure_step.ml")),
        (("default_product: drops", "default_product: pills"), ("default_product 'pills'",)),
        (("form: solution", "form: tablet"), (":20:", "needs `strengths`")),
        (("form: solution", "form: syrup"), ("form",)),
    ],
)
def test_bad_product_data_names_file_and_line(
    tmp_path: Path, edit: tuple[str, str], fragments: tuple[str, ...]
) -> None:
    assert edit[0] in REGIMEN_WITH_PRODUCT
    path = tmp_path / "demo.yaml"
    path.write_text(REGIMEN_WITH_PRODUCT.replace(*edit))
    one_line_error(("products", "demo", "--regimens", str(path)), str(path), *fragments)


def test_a_volume_that_is_not_a_whole_number_of_steps_is_not_rounded(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(REGIMEN_WITH_PRODUCT)
    result = run(
        "plan",
        "demo",
        "--start",
        "2026-12-01",
        "--tz",
        "UTC",
        "--regimens",
        str(path),
        "-f",
        "json",
    )
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert [d["amount"] for d in plan["doses"]] == [None, None]
    (first,) = plan["findings"]  # days 1-2: one finding for the run
    assert first["rule"] == "dose-not-measurable" and first["last_day"] == 2
    assert "3.3333…" in first["message"] and "not rounded" in first["message"]
