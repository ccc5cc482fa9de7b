"""Missed-dose advice: `titrate missed` and titrate.core.missed.advise."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run
from titrate.api import plan as build_plan
from titrate.catalog import get_regimen
from titrate.core.missed import NEVER_DOUBLE, advise
from titrate.model import Amount, Limit, MissedDose, Plan, PlanOptions, Regimen
from titrate.render.advice import advice_schema

LABEL = ("baclofen", "--start", "2026-12-01", "--tz", "UTC", "--times", "08:00,14:00,20:00")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(scope="module")
def regimen() -> Regimen:
    return get_regimen("baclofen")


@pytest.fixture(scope="module")
def label_plan(regimen: Regimen) -> Plan:
    return build_plan(regimen, PlanOptions(start=date(2026, 12, 1), timezone="UTC"))


def missed_json(*args: str) -> dict[str, object]:
    result = run("missed", *LABEL, *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


# --- The "done when" cases, through the CLI ------------------------------------


def test_missed_1400_at_1530_take_now_cutoff_1700() -> None:
    data = missed_json("--dose", "2026-12-02T14:00", "--now", "2026-12-02T15:30")
    assert data["action"] == "take"
    assert data["cutoff"] == "2026-12-02T17:00:00Z"
    assert data["dose"]["number"] == 5  # type: ignore[index]
    assert data["dose"]["dose_mg"] == 5  # type: ignore[index]
    assert data["next_dose"]["at"] == "2026-12-02T20:00:00Z"  # type: ignore[index]
    assert "Take the 14:00 dose now" in str(data["message"])
    assert "cut-off at 17:00" in str(data["message"])
    assert NEVER_DOUBLE in str(data["message"])
    assert data["rule_field"] == "missed_dose.take_within_fraction"
    assert data["basis"] == "convention"
    assert "[MP] MedlinePlus" in str(data["source"]) and "[X3]" in str(data["source"])


def test_missed_1400_at_1830_skip_next_2000() -> None:
    data = missed_json("--dose", "2026-12-02T14:00", "--now", "2026-12-02T18:30")
    assert data["action"] == "skip"
    assert data["cutoff"] == "2026-12-02T17:00:00Z"
    assert data["next_dose"]["at"] == "2026-12-02T20:00:00Z"  # type: ignore[index]
    assert "Take the next dose at 20:00 as planned: 5 mg" in str(data["message"])
    assert NEVER_DOUBLE in str(data["message"])


def test_missed_before_step_boundary_skip_and_keep_next_at_10mg() -> None:
    data = missed_json("--dose", "2026-12-03T20:00", "--now", "2026-12-04T07:00")
    assert data["action"] == "skip"
    assert data["cutoff"] == "2026-12-04T02:00:00Z"  # halfway through the overnight gap
    nxt = data["next_dose"]
    assert nxt["at"] == "2026-12-04T08:00:00Z"  # type: ignore[index]
    assert nxt["dose_mg"] == 10 and nxt["step"] == 2  # type: ignore[index]
    message = str(data["message"])
    assert "as planned: 10 mg (1 × 10 mg tablet). It starts step 2 (up from 5 mg)" in message
    assert "keep it at 10 mg, with nothing added for the missed dose" in message


def test_missed_table_output_golden(golden: Callable[[str, str], None]) -> None:
    result = run("missed", *LABEL, "--dose", "2026-12-03T20:00", "--now", "2026-12-04T07:00")
    assert result.exit_code == 0, result.stderr
    assert "SKIP THE MISSED DOSE" in result.stdout
    assert "Never take two doses at once" in result.stdout
    assert "Rule:" in result.stdout and "Source:" in result.stdout
    golden("missed_skip_step_boundary.txt", result.stdout)


def test_missed_json_golden_and_schema(golden: Callable[[str, str], None]) -> None:
    result = run("missed", *LABEL, "--dose-number", "5", "--now", "2026-12-02T15:30", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, advice_schema())
    schema_out = run("schema", "--kind", "advice")
    assert json.loads(schema_out.stdout) == advice_schema()
    assert data["disclaimer"] and data["sources"]
    golden("missed_take.json", result.stdout)


# --- Times around the rule's edges ------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "action"),
    [
        (utc(2026, 12, 2, 17, 0), "take"),  # exactly at the cut-off: still take it
        (utc(2026, 12, 2, 17, 0, 1), "skip"),
        (utc(2026, 12, 2, 14, 0), "take"),  # "missed" the moment it is due
    ],
)
def test_cutoff_is_inclusive(
    label_plan: Plan, regimen: Regimen, now: datetime, action: str
) -> None:
    assert advise(label_plan, regimen, 5, now).action == action


@pytest.mark.parametrize(
    ("now", "action"),
    [(utc(2026, 12, 3, 1, 59), "take"), (utc(2026, 12, 3, 2, 1), "skip")],
)
def test_overnight_gap_cutoff_is_0200(
    label_plan: Plan, regimen: Regimen, now: datetime, action: str
) -> None:
    advice = advise(label_plan, regimen, 6, now)  # 2026-12-02 20:00, next 08:00
    assert advice.cutoff == utc(2026, 12, 3, 2, 0)
    assert advice.action == action
    assert advice.next_dose is not None and advice.next_dose.number == 7


def test_first_dose_of_plan(label_plan: Plan, regimen: Regimen) -> None:
    advice = advise(label_plan, regimen, 1, utc(2026, 12, 1, 10, 59))
    assert (advice.action, advice.cutoff) == ("take", utc(2026, 12, 1, 11, 0))
    assert advise(label_plan, regimen, 1, utc(2026, 12, 1, 11, 1)).action == "skip"


def test_last_dose_of_plan_uses_where_the_next_would_be(label_plan: Plan, regimen: Regimen) -> None:
    # a plan that stops after its last dose (a continuing plan goes on at its last step)
    label_plan = label_plan.model_copy(update={"then": None, "kind": "custom"})
    last = label_plan.doses[-1]
    assert last.at == utc(2026, 12, 12, 20, 0)
    advice = advise(label_plan, regimen, last.number, utc(2026, 12, 13, 1, 0))
    assert advice.action == "take"
    assert advice.next_dose is None
    assert advice.cutoff == utc(2026, 12, 13, 2, 0)
    assert any("last dose of the plan" in note for note in advice.notes)
    later = advise(label_plan, regimen, last.number, utc(2026, 12, 13, 3, 0))
    assert later.action == "skip"
    assert "Take the next dose" not in later.message
    assert NEVER_DOUBLE in later.message


def test_past_the_next_dose_the_missed_one_is_gone(label_plan: Plan, regimen: Regimen) -> None:
    advice = advise(label_plan, regimen, 5, utc(2026, 12, 2, 20, 30))
    assert advice.missed == [5, 6]
    assert advice.action == "take"
    assert advice.dose.number == 6  # the 20:00 dose, not the 14:00 one
    assert advice.cutoff == utc(2026, 12, 3, 2, 0)
    assert "The missed 14:00 dose is gone" in advice.message
    assert any("Counted as missed: 2 doses" in note for note in advice.notes)


def test_three_in_a_row_contact_prescriber(label_plan: Plan, regimen: Regimen) -> None:
    advice = advise(label_plan, regimen, 5, utc(2026, 12, 3, 9, 0))
    assert advice.missed == [5, 6, 7]
    assert advice.action == "contact-prescriber"
    assert advice.cutoff is None
    assert advice.rule_field == "missed_dose.contact_prescriber_after"
    assert advice.basis == "convention"
    assert "contact the prescriber before continuing" in advice.message
    assert "withdrawal" in advice.message
    assert "[B4]" in advice.source
    assert NEVER_DOUBLE in advice.message


def test_contact_prescriber_table() -> None:
    result = run("missed", *LABEL, "--dose", "2026-12-02T14:00", "--now", "2026-12-03T09:00")
    assert result.exit_code == 0
    assert "CONTACT THE PRESCRIBER BEFORE CONTINUING" in result.stdout
    assert "Missed:       doses 5, 6, 7" in result.stdout


def test_amount_is_shown_when_the_plan_has_one(label_plan: Plan, regimen: Regimen) -> None:
    doses = [
        dose.model_copy(
            update={"amount": Amount(value=Decimal(1), unit="tablet", text="1 × 5 mg tablet")}
        )
        for dose in label_plan.doses
    ]
    with_amounts = label_plan.model_copy(update={"doses": doses})
    advice = advise(with_amounts, regimen, 5, utc(2026, 12, 2, 15, 30))
    assert "Take the 14:00 dose now: 5 mg (1 × 5 mg tablet)." in advice.message


def test_fixed_hour_window_variant(label_plan: Plan, regimen: Regimen) -> None:
    fraction = regimen.missed_dose
    assert fraction is not None
    one_hour = MissedDose(
        source=["MP"],
        basis="patient-info",
        take_within_hours=Limit(value=Decimal(1), source=["MP"], basis="convention"),
        contact_prescriber_after=fraction.contact_prescriber_after,
    )
    variant = regimen.model_copy(update={"missed_dose": one_hour})
    advice = advise(label_plan, variant, 5, utc(2026, 12, 2, 15, 30))
    assert advice.cutoff == utc(2026, 12, 2, 15, 0)
    assert advice.action == "skip"
    assert advice.rule_field == "missed_dose.take_within_hours"
    assert "no more than 1 hour(s)" in advice.rule


# --- Time zones and DST -------------------------------------------------------------------


def test_dst_spring_forward_cutoff_europe_london() -> None:
    """27→28 March 2027: the night is 11 hours; halfway is 01:30 UTC = 02:30 BST."""
    args = ("baclofen", "--start", "2027-03-26", "--tz", "Europe/London")
    data = json.loads(
        run(
            "missed", *args, "--dose", "2027-03-27T20:00", "--now", "2027-03-28T02:29", "-f", "json"
        ).stdout
    )
    assert data["action"] == "take"
    assert data["cutoff"] == "2027-03-28T02:30:00+01:00"
    assert data["next_dose"]["at"] == "2027-03-28T08:00:00+01:00"
    late = run("missed", *args, "--dose", "2027-03-27T20:00", "--now", "2027-03-28T02:31")
    assert "SKIP THE MISSED DOSE" in late.stdout
    assert "past the cut-off at 02:30" in late.stdout


def test_now_with_another_utc_offset() -> None:
    """15:30 in New York is 20:30 in London: past the 20:00 dose too."""
    data = missed_json("--dose", "2026-12-02T14:00", "--now", "2026-12-02T15:30-05:00")
    assert data["missed"] == [5, 6]
    assert data["dose"]["number"] == 6  # type: ignore[index]


def test_naive_dose_time_is_in_the_plans_zone() -> None:
    args = ("baclofen", "--start", "2026-07-01", "--tz", "America/New_York")
    data = json.loads(
        run(
            "missed",
            *args,
            "--dose",
            "2026-07-01T14:00",
            "--now",
            "2026-07-01T19:00Z",
            "-f",
            "json",
        ).stdout
    )
    assert data["dose"]["at"] == "2026-07-01T14:00:00-04:00"
    assert data["now"] == "2026-07-01T15:00:00-04:00"
    assert data["action"] == "take"


# --- A plan file instead of a regimen -------------------------------------------------


def test_plan_file_gives_the_same_advice(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    assert run("plan", *LABEL, "-f", "json", "-o", str(plan_path)).exit_code == 0
    from_file = run(
        "missed",
        "--plan",
        str(plan_path),
        "--dose",
        "2026-12-02T14:00",
        "--now",
        "2026-12-02T15:30",
        "-f",
        "json",
    )
    assert from_file.exit_code == 0, from_file.stderr
    from_regimen = missed_json("--dose", "2026-12-02T14:00", "--now", "2026-12-02T15:30")
    assert json.loads(from_file.stdout) == from_regimen


def test_plan_file_over_the_limit_shows_findings_and_exits_1(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run(
        "plan",
        "baclofen",
        "--start",
        "2026-12-01",
        "--tz",
        "UTC",
        "--steps",
        "30x3:2",
        "-f",
        "json",
        "-o",
        str(plan_path),
    )
    result = run(
        "missed", "--plan", str(plan_path), "--dose-number", "2", "--now", "2026-12-01T15:00"
    )
    assert result.exit_code == 1
    assert "The plan itself has findings" in result.stdout
    assert "over-daily-max (TT101)" in result.stdout
    assert "TAKE THE MISSED DOSE NOW" in result.stdout


# --- Bad input: one line on stderr, exit 2 --------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--dose", "2026-12-02T14:30", "--now", "2026-12-02T15:30"),
            "titrate: error: --dose: no dose is scheduled at 2026-12-02 14:30 (UTC); the nearest: "
            "dose 5 at 2026-12-02 14:00 and dose 6 at 2026-12-02 20:00\n",
        ),
        (
            ("--dose-number", "99", "--now", "2026-12-02T15:30"),
            "titrate: error: --dose-number: dose 99 is not in the plan (it has doses 1 to 36)\n",
        ),
        (
            ("--dose", "2026-12-02T14:00", "--now", "2026-12-02T13:00"),
            "titrate: error: --now: dose 5 is scheduled at 2026-12-02 14:00, after now "
            "(2026-12-02 13:00); it is not missed yet\n",
        ),
        (
            ("--dose", "2026-12-02", "--now", "2026-12-02T15:00"),
            "titrate: error: --dose: '2026-12-02' is not an ISO 8601 date-time with a time of day "
            "(e.g. 2026-12-02T14:00 or 2026-12-02T14:00+01:00)\n",
        ),
        (
            ("--dose", "2026-12-02T14:00", "--now", "yesterday"),
            "titrate: error: --now: 'yesterday' is not an ISO 8601 date-time with a time of day "
            "(e.g. 2026-12-02T14:00 or 2026-12-02T14:00+01:00)\n",
        ),
        (
            ("--dose", "2026-12-02T14:00", "--dose-number", "5"),
            "titrate: error: --dose: give the missed dose with exactly one of --dose or "
            "--dose-number\n",
        ),
        (
            ("--dose-number", "5", "-f", "html"),
            "titrate: error: --format: unknown format 'html' (choose table or json)\n",
        ),
    ],
)
def test_bad_input(args: tuple[str, ...], expected: str) -> None:
    result = run("missed", *LABEL, *args)
    assert result.exit_code == 2
    assert result.stderr == expected
    assert result.stdout == ""


def test_plan_file_and_plan_options_conflict(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run("plan", *LABEL, "-f", "json", "-o", str(plan_path))
    result = run("missed", "--plan", str(plan_path), "--start", "2026-12-02", "--dose-number", "1")
    assert result.exit_code == 2
    assert result.stderr == (
        "titrate: error: --start: the plan file already fixes this; give it only with REGIMEN\n"
    )
    neither = run("missed", "--dose-number", "1")
    assert neither.exit_code == 2
    assert "give REGIMEN (and its plan options) or --plan FILE" in neither.stderr


def test_missing_plan_file() -> None:
    result = run("missed", "--plan", "nope.json", "--dose-number", "1")
    assert result.exit_code == 2
    assert result.stderr == "titrate: error: nope.json: no such plan file\n"


MINIMAL = """\
schema_version: 1
regimens:
  - id: testdrug
    name: Test drug
    drug: test
    summary: test regimen
    titration:
      steps: [{dose_mg: 5, per_day: 2, days: 2}]
      source: [S1]
    limits:
      max_daily_mg: {value: 20, source: [S1]}
    dose_times:
      by_frequency: {2: ["08:00", "20:00"]}
      source: [S1]
      basis: convention
    missed_dose:
      source: [S1]
      take_within_fraction: {value: 0.5, source: [S1], basis: convention}
{extra}      contact_prescriber_after: {value: 2, source: [S1], basis: convention}
    sources:
      - {id: S1, title: Test source, url: "https://example.org/", retrieved: 2026-11-26}
"""


def test_regimen_file_with_both_windows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        MINIMAL.replace("{extra}", "      take_within_hours: {value: 1, source: [S1]}\n")
    )
    result = run(
        "missed",
        "testdrug",
        "--regimens",
        str(path),
        "--start",
        "2026-12-01",
        "--dose-number",
        "1",
        "--now",
        "2026-12-01T09:00",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"titrate: error: {path}:16: regimens.0.missed_dose:")
    assert "exactly one of take_within_fraction or take_within_hours" in result.stderr


def test_user_regimen_contact_after_two(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL.replace("{extra}", ""))
    result = run(
        "missed",
        "testdrug",
        "--regimens",
        str(path),
        "--start",
        "2026-12-01",
        "--tz",
        "UTC",
        "--dose-number",
        "1",
        "--now",
        "2026-12-01T21:00",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["action"] == "contact-prescriber"
    assert data["missed"] == [1, 2]
    assert data["source"] == "[S1] Test source <https://example.org/>"


def test_a_regimen_without_a_missed_dose_rule_says_so_in_one_line(tmp_path: Path) -> None:
    """The built-in regimens all have one now; a user's regimen file may not."""
    s_block = MINIMAL[MINIMAL.index("    missed_dose:") : MINIMAL.index("    sources:")]
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL.replace(s_block, ""))
    assert "missed_dose" not in path.read_text()
    result = run(
        "missed", "testdrug", "--regimens", str(path), "--start", "2026-12-01",
        "--dose-number", "1", "--now", "2026-12-01T09:00",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "titrate: error: regimen 'testdrug' has no missed-dose rule (`missed_dose:` in its "
        "data); ask the pharmacist or prescriber\n"
    )


# --- Properties ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    number=st.integers(min_value=1, max_value=35),
    fraction=st.fractions(min_value=0, max_value=1, max_denominator=1000),
)
def test_take_exactly_until_halfway(number: int, fraction: object) -> None:
    """Between a dose and the next: take iff now − S ≤ ½ (N − S) in real time; the cut-off
    lies strictly between S and N, also across a clock change."""
    regimen = get_regimen("baclofen")
    # 2027-03-20 to 03-31 crosses the spring-forward night of 27→28 March.
    plan = build_plan(regimen, PlanOptions(start=date(2027, 3, 20), timezone="Europe/London"))
    dose, nxt = plan.doses[number - 1], plan.doses[number]
    at, next_at = dose.at.astimezone(UTC), nxt.at.astimezone(UTC)  # real, not wall, time
    span = next_at - at
    now = min(at + span * float(fraction), next_at - timedelta(microseconds=1))  # type: ignore[arg-type]
    advice = advise(plan, regimen, number, now)
    assert advice.cutoff is not None and at < advice.cutoff < next_at
    assert advice.cutoff == at + span / 2
    assert advice.action == ("take" if now - at <= span / 2 else "skip")
    assert advice.next_dose == nxt
    assert NEVER_DOUBLE in advice.message
    assert advice.now.tzinfo is not None and advice.now.utcoffset() is not None
    assert ZoneInfo(advice.timezone).key == "Europe/London"


TIZANIDINE = (
    "missed", "tizanidine", "--start", "2026-12-01", "--target-mg", "8", "--tz", "UTC",
    "--step-mg", "2", "--every-days", "2", "--dose-number", "2",
)  # fmt: skip
MAYO_TIZANIDINE = (
    "[TZ16] Mayo Clinic / Micromedex, Tizanidine (oral route) patient monograph (DRG-20066921), "
    "Proper Use: Missed Dose "
    "<https://www.mayoclinic.org/drugs-supplements/tizanidine-oral-route/proper-use/drg-20066921>"
)
MAYO_DANTROLENE = (
    "[DA11] Mayo Clinic / Micromedex, Dantrolene (oral route) patient monograph (DRG-20063299), "
    "Proper Use: Missed Dose "
    "<https://www.mayoclinic.org/drugs-supplements/dantrolene-oral-route/proper-use/drg-20063299>"
)


def _advice(*args: str) -> dict[str, object]:
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    advice: dict[str, object] = json.loads(result.stdout)
    assert advice["rule_field"] == "missed_dose.take_within_fraction"
    assert advice["basis"] == "convention"  # "almost time" is read as halfway: a convention
    return advice


def test_tizanidine_takes_or_skips_by_its_mayo_clinic_monograph() -> None:
    """A rule-based regimen (--target-mg/--step-mg/--every-days) with the Mayo Clinic /
    Micromedex take-or-skip wording; the 14:00 dose's cut-off is halfway to 20:00."""
    take = _advice(*TIZANIDINE, "--now", "2026-12-01T15:00")
    assert (take["action"], take["cutoff"]) == ("take", "2026-12-01T17:00:00Z")
    assert take["message"] == (
        "Take the 14:00 dose now: 2 mg (1 × 2 mg tablet). It is 15:00, no later than the "
        "cut-off at 17:00. Then take the next dose at 20:00 as planned: 2 mg (1 × 2 mg tablet). "
        + NEVER_DOUBLE
    )
    assert take["source"] == MAYO_TIZANIDINE
    skip = _advice(*TIZANIDINE, "--now", "2026-12-01T18:00")
    assert skip["action"] == "skip"
    assert skip["message"] == (
        "Skip the 14:00 dose of 2 mg (1 × 2 mg tablet): it is 18:00, past the cut-off at 17:00, "
        "so it is almost time for the next dose. Do not make it up. Take the next dose at 20:00 "
        "as planned: 2 mg (1 × 2 mg tablet). " + NEVER_DOUBLE
    )
    assert skip["source"] == MAYO_TIZANIDINE


def test_dantrolene_takes_or_skips_by_its_mayo_clinic_monograph() -> None:
    """Dose 9 is the 14:00 dose of day 8, the first day at three times a day."""
    base = ("missed", "dantrolene", "--start", "2026-12-01", "--tz", "UTC")
    take = _advice(*base, "--dose", "2026-12-08T14:00", "--now", "2026-12-08T15:30")
    assert (take["action"], take["cutoff"]) == ("take", "2026-12-08T17:00:00Z")
    assert take["message"] == (
        "Take the 14:00 dose now: 25 mg (1 × 25 mg capsule). It is 15:30, no later than the "
        "cut-off at 17:00. Then take the next dose at 20:00 as planned: 25 mg (1 × 25 mg "
        "capsule). " + NEVER_DOUBLE
    )
    assert take["source"] == MAYO_DANTROLENE
    text = run(*base, "--dose", "2026-12-08T14:00", "--now", "2026-12-08T18:00")
    assert text.exit_code == 0, text.stderr
    assert text.stdout.splitlines()[:6] == [
        "Missed dose: Dantrolene sodium (oral capsules). Now: 2026-12-08 18:00 (times in UTC).",
        "",
        "SKIP THE MISSED DOSE",
        "Skip the 14:00 dose of 25 mg (1 × 25 mg capsule): it is 18:00, past the cut-off at "
        "17:00, so it is",
        "almost time for the next dose. Do not make it up. Take the next dose at 20:00 as "
        "planned: 25 mg",
        "(1 × 25 mg capsule). Never take two doses at once, and never take extra to make up "
        "for a missed",
    ]
    assert "Source:       [DA11] Mayo Clinic / Micromedex, Dantrolene (oral route)" in text.stdout
    # Three doses in a row (the once-a-day doses of days 1 to 3) go to the prescriber.
    contact = _contact(*base, "--dose-number", "1", "--now", "2026-12-03T09:00")
    assert contact["action"] == "contact-prescriber"


def _contact(*args: str) -> dict[str, object]:
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    advice: dict[str, object] = json.loads(result.stdout)
    assert advice["rule_field"] == "missed_dose.contact_prescriber_after"
    return advice


def test_step_options_conflict_with_a_plan_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    assert run("plan", "baclofen", "--start", "2026-12-01", "-o", str(path)).exit_code == 0
    result = run("missed", "--plan", str(path), "--dose-number", "1", "--step-mg", "2")
    assert result.exit_code == 2
    assert result.stderr == (
        "titrate: error: --step-mg: the plan file already fixes this; give it only with REGIMEN\n"
    )


def test_the_last_dose_of_a_continuing_plan_is_followed_by_its_maintenance() -> None:
    """Issue 14: dose 36 of the label plan is not the last dose the patient takes."""
    result = run(
        "missed", *LABEL, "--dose", "2026-12-12T20:00", "--now", "2026-12-12T21:00", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    advice = json.loads(result.stdout)
    assert advice["action"] == "take"
    assert advice["next_dose"]["at"].startswith("2026-12-13T08:00")
    assert (advice["next_dose"]["number"], advice["next_dose"]["dose_mg"]) == (37, 20)
    assert "Then take the next dose at 2026-12-13 08:00 as planned" in advice["message"]
    assert not any("last dose of the plan" in note for note in advice["notes"])


def test_the_last_dose_of_a_plan_that_stops_has_no_next_dose() -> None:
    result = run(
        "missed", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "--steps", "5x3:2",
        "--then", "stop", "--dose", "2026-12-02T20:00", "--now", "2026-12-02T21:00", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    advice = json.loads(result.stdout)
    assert advice["next_dose"] is None
    assert any("last dose of the plan" in note for note in advice["notes"])
