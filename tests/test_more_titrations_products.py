"""Issue 18: the new regimens' products and dispensing, and every existing capability
(missed doses, taper, check, batch) on lamotrigine, gabapentin and ropinirole, with exact
results."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import run
from titrate import batch


def json_out(*args: str) -> dict:  # type: ignore[type-arg]
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)  # type: ignore[no-any-return]


def course_line(plan: dict) -> dict:  # type: ignore[type-arg]
    (line,) = [line for line in plan["dispense"] if line["step"] is None]
    return line  # type: ignore[no-any-return]


# --- products -----------------------------------------------------------------------


def test_gabapentin_lists_capsules_tablets_and_oral_solution() -> None:
    result = run("products", "gabapentin")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "capsules (default): Gabapentin capsules (Neurontin, generics)" in out
    assert "tablets: Gabapentin film-coated tablets 600 mg and 800 mg" in out
    assert "  Form: tablet, 600, 800 mg; may be halved: none\n" in out
    assert "  Packs: bottles of 100 or 500 tablets\n" in out
    assert "oral-solution: Gabapentin oral solution 250 mg/5 mL (50 mg/mL" in out
    assert "  Form: solution, 50 mg/mL, measured in 0.1 mL steps\n" in out
    assert "  Packs: bottles of 470 or 473 mL\n" in out
    assert "[GB22] openFDA NDC directory, Neurontin oral solution 250 mg/5 mL" in out


def test_gabapentin_solution_gives_exact_ml_and_one_bottle() -> None:
    plan = json_out(
        "plan",
        "gabapentin",
        "--indication",
        "postherpetic-neuralgia",
        "--start",
        "2026-12-01",
        "--product",
        "oral-solution",
    )
    assert [(d["dose_mg"], d["amount"]["value"], d["amount"]["unit"]) for d in plan["doses"]] == [
        (300, 6, "mL")
    ] * 6
    steps = [(line["step"], line["quantity"]) for line in plan["dispense"]]
    assert steps == [(1, 6), (2, 12), (3, 18), (None, 36)]
    line = course_line(plan)
    assert line["text"] == "36 mL of 50 mg/mL solution: 1 × 470 mL bottle"
    assert line["pack_counts"] == [{"size": 470, "count": 1}]


def test_gabapentin_solution_text_names_storage_and_the_bottle() -> None:
    result = run(
        "plan",
        "gabapentin",
        "--indication",
        "postherpetic-neuralgia",
        "--start",
        "2026-12-01",
        "--product",
        "oral-solution",
    )
    assert result.exit_code == 0, result.stderr
    assert "  1   2026-12-01   20:00   300 mg   6 mL        300 mg   step 1\n" in result.stdout
    assert "  Whole course: 36 mL of 50 mg/mL solution: 1 × 470 mL bottle\n" in result.stdout
    assert "Storage: Keep the oral solution in the refrigerator; do not freeze.\n" in result.stdout


def test_gabapentin_tablets_are_never_halved_for_300_mg() -> None:
    result = run(
        "plan",
        "gabapentin",
        "--indication",
        "postherpetic-neuralgia",
        "--start",
        "2026-12-01",
        "--product",
        "tablets",
        "-f",
        "json",
    )
    # 300 mg cannot be made from unscored 600/800 mg tablets: a finding, never a half.
    plan = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [d["amount"] for d in plan["doses"]] == [None] * 6
    assert [f["code"] for f in plan["findings"]] == ["TT401"]


def test_gabapentin_tablets_epilepsy_600_mg_three_times_a_day() -> None:
    plan = json_out(
        "plan",
        "gabapentin",
        "--indication",
        "epilepsy",
        "--start",
        "2026-12-01",
        "--product",
        "tablets",
        "--steps",
        "600x3:1,800x3:1",
    )
    assert [(d["dose_mg"], d["amount"]["text"]) for d in plan["doses"]] == [
        (600, "1 × 600 mg tablet")
    ] * 3 + [(800, "1 × 800 mg tablet")] * 3
    course = [line["text"] for line in plan["dispense"] if line["step"] is None]
    assert course == ["3 × 800 mg tablet: 1 bottle of 100", "3 × 600 mg tablet: 1 bottle of 100"]


def test_lamotrigine_lists_the_dose_pack_chewables_and_odt() -> None:
    result = run("products", "lamotrigine")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "dose-pack-25mg: Lamictal 25 mg tablets, 35-tablet dose pack" in out
    assert "  Packs: packs of 35 tablets\n" in out
    assert (
        "chewable-dispersible: Lamotrigine tablets (chewable, dispersible), 5 mg and 25 mg" in out
    )
    assert "  Form: tablet, 5, 25 mg; may be halved: none\n" in out
    assert "odt: Lamotrigine orally disintegrating tablets 25, 50, 100 and 200 mg" in out
    assert "  Form: tablet, 25, 50, 100, 200 mg; may be halved: none\n" in out


@pytest.mark.parametrize(
    ("args", "per_step", "tablets", "text"),
    [
        (("--with", "valproate"), [(1, 7), (2, 14)], 21, "21 × 25 mg tablet: 1 pack of 35"),
        ((), [(1, 14), (2, 28)], 42, "42 × 25 mg tablet: 2 packs of 35"),
    ],
    ids=["valproate-one-kit", "no-co-medication-two-kits"],
)
def test_lamotrigine_dose_pack_counts_kits(
    args: tuple[str, ...], per_step: list[tuple[int, int]], tablets: int, text: str
) -> None:
    plan = json_out(
        "plan",
        "lamotrigine",
        "--indication",
        "epilepsy",
        *args,
        "--start",
        "2026-12-01",
        "--product",
        "dose-pack-25mg",
    )
    assert [(line["step"], line["quantity"]) for line in plan["dispense"][:-1]] == per_step
    line = course_line(plan)
    assert line["quantity"] == tablets
    assert line["text"] == text
    assert line["packs"] == tablets // 35 + (1 if tablets % 35 else 0)


def test_lamotrigine_chewable_5_mg_makes_the_25_mg_dose_from_one_25_mg_tablet() -> None:
    plan = json_out(
        "plan",
        "lamotrigine",
        "--indication",
        "epilepsy",
        "--start",
        "2026-12-01",
        "--product",
        "chewable-dispersible",
    )
    assert {d["amount"]["text"] for d in plan["doses"]} == {"1 × 25 mg tablet", "2 × 25 mg tablet"}


# --- missed doses -------------------------------------------------------------------

VALPROATE = ("lamotrigine", "--indication", "epilepsy", "--with", "valproate")


def test_missed_every_other_day_dose_cut_off_is_halfway_to_the_next_real_dose() -> None:
    advice = json_out(
        "missed", *VALPROATE, "--start", "2026-12-01", "--dose", "2026-12-03T08:00",
        "--now", "2026-12-04T07:59",
    )  # fmt: skip
    assert advice["action"] == "take"
    assert advice["next_dose"]["at"] == "2026-12-05T08:00:00Z"  # two days on, not the next day
    assert advice["cutoff"] == "2026-12-04T08:00:00Z"  # 24 h: half of the 48 h gap
    assert advice["source"].startswith("[LT8] Mayo Clinic / Micromedex, Lamotrigine")
    late = json_out(
        "missed", *VALPROATE, "--start", "2026-12-01", "--dose", "2026-12-03T08:00",
        "--now", "2026-12-04T08:01",
    )  # fmt: skip
    assert late["action"] == "skip"
    assert late["cutoff"] == "2026-12-04T08:00:00Z"


def test_missed_last_alternate_day_dose_counts_to_the_next_step() -> None:
    advice = json_out(
        "missed", *VALPROATE, "--start", "2026-12-01", "--dose", "2026-12-13T08:00",
        "--now", "2026-12-14T07:59",
    )  # fmt: skip
    assert (advice["dose"]["day"], advice["next_dose"]["day"]) == (13, 15)
    assert advice["next_dose"]["step"] == 2
    assert advice["cutoff"] == "2026-12-14T08:00:00Z"
    assert advice["action"] == "take"


def test_missed_lamotrigine_text_says_skip_and_the_next_real_dose() -> None:
    result = run(
        "missed", *VALPROATE, "--start", "2026-12-01", "--dose", "2026-12-03T08:00",
        "--now", "2026-12-04T09:00",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "SKIP THE MISSED DOSE\n" in result.stdout
    assert "Cut-off:      2026-12-04 08:00\n" in result.stdout
    assert "Next dose:    dose 3, 2026-12-05 08:00, 25 mg (1 × 25 mg tablet) (day 5, step 1)\n" in (
        result.stdout
    )


@pytest.mark.parametrize(("now", "action"), [("10:59", "take"), ("11:01", "skip")])
def test_missed_ropinirole_parkinsons(now: str, action: str) -> None:
    advice = json_out(
        "missed", "ropinirole", "--indication", "parkinsons", "--start", "2026-12-01",
        "--dose", "2026-12-02T08:00", "--now", f"2026-12-02T{now}",
    )  # fmt: skip
    assert advice["action"] == action
    assert advice["dose"]["dose_mg"] == Decimal("0.25")
    assert advice["next_dose"]["at"] == "2026-12-02T14:00:00Z"
    assert advice["cutoff"] == "2026-12-02T11:00:00Z"
    assert advice["source"].startswith("[RP9] Mayo Clinic / Micromedex, Ropinirole")


# --- taper (the regimens have no taper pace yet: it is given) -------------------------


def test_taper_ropinirole_parkinsons_from_1_mg_three_times_a_day() -> None:
    plan = json_out(
        "taper", "ropinirole", "--indication", "parkinsons", "--from-mg", "1",
        "--doses-per-day", "3", "--step-mg", "0.25", "--every-days", "7",
        "--start", "2026-12-01",
    )  # fmt: skip
    per_day = [(day["date"], day["total_mg"]) for day in plan["days"]]
    assert per_day[0] == ("2026-12-01", Decimal("2.25"))
    assert per_day[7] == ("2026-12-08", Decimal("1.5"))
    assert per_day[14] == ("2026-12-15", Decimal("0.75"))
    assert len(per_day) == 21


def test_taper_gabapentin_needs_a_pace_until_the_data_has_one() -> None:
    result = run(
        "taper", "gabapentin", "--indication", "epilepsy", "--from-mg", "300",
        "--doses-per-day", "3", "--start", "2026-12-01",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "titrate: error: --step-mg: regimen 'gabapentin' has no taper pace; "
        "give both --step-mg and --every-days\n"
    )


# --- check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("lamotrigine", "--indication", "epilepsy", "--with", "valproate"),
        ("gabapentin", "--indication", "postherpetic-neuralgia", "--product", "oral-solution"),
        ("ropinirole", "--indication", "parkinsons"),
    ],
    ids=["lamotrigine", "gabapentin", "ropinirole"],
)
def test_check_of_each_saved_plan_exits_0(tmp_path: Path, args: tuple[str, ...]) -> None:
    saved = tmp_path / "plan.json"
    made = run("plan", *args, "--start", "2026-12-01", "-f", "json", "-o", str(saved))
    assert made.exit_code == 0, made.stderr
    checked = run("check", str(saved))
    assert checked.exit_code == 0, checked.stdout + checked.stderr


# --- batch ----------------------------------------------------------------------------


def test_batch_has_an_indication_column() -> None:
    assert "indication" in batch.COLUMNS


def test_batch_one_row_per_new_drug(tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text(
        "id,regimen,indication,with,product,start\n"
        "l1,lamotrigine,epilepsy,valproate,,2026-12-01\n"
        "g1,gabapentin,postherpetic-neuralgia,,oral-solution,2026-12-01\n"
        "r1,ropinirole,rls,,,2026-12-01\n"
        "r2,ropinirole,,,,2026-12-01\n"
    )
    out = tmp_path / "plans.jsonl"
    result = run("batch", str(source), "-o", str(out))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    by_id = {record["id"]: record for record in records}
    lamotrigine = by_id["l1"]["plan"]
    assert [d["total_mg"] for d in lamotrigine["days"][:3]] == [25, 0, 25]
    gabapentin = by_id["g1"]["plan"]
    assert course_line(gabapentin)["text"] == "36 mL of 50 mg/mL solution: 1 × 470 mL bottle"
    ropinirole = by_id["r1"]["plan"]
    assert ropinirole["doses"][0]["at"] == "2026-12-01T21:00:00Z"
    assert by_id["r2"]["error"] == (
        "indication: ropinirole has several indications, each with its own schedule: "
        "choose one of parkinsons, rls"
    )
    assert result.exit_code == 2
