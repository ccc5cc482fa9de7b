"""Issue 18, real data: gabapentin's renal table (Neurontin label §2.3 Table 1, GB1),
ropinirole's Parkinson's discontinuation by doses a day (secondary: RP6, RP15) and
lamotrigine's restart after five half-lives (secondary: LT7, LT18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run

GB1 = "[GB1] NEURONTIN (gabapentin) prescribing information"
PHN = ("gabapentin", "--indication", "postherpetic-neuralgia", "--start", "2026-12-01")


def findings(stdout: str) -> list[tuple[str, str, str]]:
    data: dict[str, Any] = json.loads(stdout)
    return [(f["code"], f["severity"], f["message"]) for f in data["findings"]]


def test_gabapentin_at_crcl_40_flags_three_doses_a_day_and_days_over_1400_mg() -> None:
    result = run(
        "plan", *PHN, "--crcl", "40", "--tz", "UTC",
        "--steps", "300x2:1,400x2:1,600x2:1,600x3:1", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    band = (
        "band CrCl above 30, below 60 mL/min "
        "(above 30, below 60 mL/min; the label prints '>30 to 59')"
    )
    got = [f for f in findings(result.stdout) if f[0] in ("TT211", "TT215")]
    assert got == [
        ("TT215", "error",
         f"Day 4: 1800 mg in the day, over the 1400 mg daily maximum for CrCl 40 mL/min, {band} "
         "(stated in the label)."),
        ("TT211", "warning",
         f"Day 4: 3 doses in the day; for CrCl 40 mL/min the {band} gives 2 doses a day "
         "(stated in the label)."),
    ]  # fmt: skip
    sources = json.loads(result.stdout)["findings"][0]["source"]
    assert sources.startswith(GB1) and "97935fd9-1d4a-43b6-a5d9-de994591187b" in sources


def test_gabapentin_label_ladder_at_crcl_40_flags_day_1_and_day_3() -> None:
    result = run("plan", *PHN, "--crcl", "40", "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    assert "WARNING renal-frequency (TT211): Day 1: 1 dose in the day; for CrCl 40" in result.stdout
    assert (
        "WARNING renal-frequency (TT211): Day 3: 3 doses in the day; for CrCl 40" in result.stdout
    )
    assert (
        "NOTE renal-daily-range (TT215): Day 1: 300 mg in the day, under the band's 400–1400"
        in (result.stdout)
    )
    assert "Day 2:" not in result.stdout


def test_gabapentin_within_its_band_has_no_renal_day_findings() -> None:
    result = run("plan", *PHN, "--crcl", "70", "--tz", "UTC", "--steps", "300x3:2", "-f", "json")
    assert [f for f in findings(result.stdout) if f[0] in ("TT211", "TT215")] == []


def test_gabapentin_on_dialysis_states_the_supplemental_dose() -> None:
    result = run("plan", *PHN, "--crcl", "40", "--dialysis", "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert (
        "Note: On haemodialysis: a supplemental dose after each 4 hours of dialysis (stated in "
        "the label [GB1]): 150 mg after each session, the table's supplemental dose for a "
        "maintenance dose of 300 mg (CrCl above 30, below 60 mL/min). It is not scheduled in "
        "this plan: give it after each session, on top of the daily doses."
    ) in text


def test_gabapentin_show_prints_the_label_edges() -> None:
    result = run("show", "gabapentin")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    for printed in ("≥ 60", ">30 to 59", ">15 to 29", "15 (footnote: <15)"):
        assert printed in text


def test_ropinirole_parkinsons_taper_drops_doses_a_day_over_7_days() -> None:
    result = run(
        "taper", "ropinirole", "--indication", "parkinsons", "--from-mg", "1",
        "--doses-per-day", "3", "--start", "2026-12-29", "--tz", "UTC", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    plan: dict[str, Any] = json.loads(result.stdout)
    assert [(d["at"], d["dose_mg"]) for d in plan["doses"]] == [
        (f"{day}T{hour}:00:00Z", 1)
        for day in ("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01")
        for hour in ("08", "20")
    ] + [(f"{day}T08:00:00Z", 1) for day in ("2027-01-02", "2027-01-03", "2027-01-04")]
    assert plan["then"]["action"] == "stop"
    notes = " ".join(plan["notes"])
    assert (
        "Taper pace: each dose stays 1 mg and the doses a day fall: 1 mg 2× a day for 4 day(s), "
        "then 1 mg 1× a day for 3 day(s), then stop, from the regimen's taper data (secondary "
        "summaries of the label, not the label text itself) [RP6, RP15]."
    ) in notes


LAMOTRIGINE = ("lamotrigine", "--indication", "epilepsy", "--start", "2026-12-01", "--tz", "UTC")


def test_lamotrigine_missed_after_more_than_127_hours_says_restart_the_titration() -> None:
    """Without an inducer the ladder's own rule: 5 × 25.4 h (an inducer ladder: 67.5 h)."""
    result = run(
        "missed", *LAMOTRIGINE, "--dose", "2026-12-05T08:00", "--now", "2026-12-09T16:00",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    advice: dict[str, Any] = json.loads(result.stdout)
    assert (advice["action"], advice["rule_field"], advice["basis"]) == (
        "contact-prescriber", "restart.after_hours", "secondary",
    )  # fmt: skip
    assert advice["source"].startswith("[LT7] PDR drug summary, Lamictal")
    assert "[LT10] Drugster" in advice["source"]
    assert advice["message"] == (
        "The last dose taken was 2026-12-04 08:00 (25 mg (1 × 25 mg tablet)), 128 hours ago: "
        "more than 127 hour(s) without lamotrigine. Do not restart at your last dose and do "
        "not take the missed doses; ask your prescriber: the titration starts again from its "
        "first step (25 mg 1× a day). Never take two doses at once, and never take extra to "
        "make up for a missed dose."
    )


def test_lamotrigine_missed_within_the_gap_gets_the_usual_advice() -> None:
    result = run(
        "missed", *LAMOTRIGINE, "--dose", "2026-12-05T08:00", "--now", "2026-12-05T09:00",
        "-f", "json",
    )  # fmt: skip
    advice = json.loads(result.stdout)
    assert advice["rule_field"] != "restart.after_hours"
    assert "titration starts again" not in advice["message"]


def test_lamotrigine_audit_flags_resuming_the_full_dose_after_the_gap(tmp_path: Path) -> None:
    plan = run("plan", *LAMOTRIGINE, "-f", "json")
    (tmp_path / "plan.json").write_text(plan.stdout)
    days = [*range(1, 16), *range(22, 25)]
    mg = {d: "25" if d <= 14 else "50" for d in days}
    log = tmp_path / "log.csv"
    log.write_text(
        "taken_at,dose_mg\n" + "".join(f"2026-12-{d:02d}T08:00:00Z,{mg[d]}\n" for d in days)
    )
    result = run(
        "audit", str(tmp_path / "plan.json"), str(log), "--now", "2026-12-24T21:00", "-f", "json"
    )
    assert result.exit_code == 1, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "TT507"]
    assert [(f["rule"], f["severity"], f["day"], f["message"]) for f in found] == [
        ("restart-without-retitration", "error", 22,
         "50 mg logged at 2026-12-22 08:00 after 168h00 with no dose logged (since 2026-12-15 "
         "08:00), more than 127 hours: after such a break the titration starts again from its "
         "first step (25 mg), not at the last dose. Contact the prescriber."),
    ]  # fmt: skip


def test_an_inducer_ladder_keeps_the_regimens_shorter_restart_gap() -> None:
    """With carbamazepine the half-life is shortest: the regimen's 67.5 h rule applies."""
    result = run(
        "missed", *LAMOTRIGINE, "--with", "carbamazepine", "--dose", "2026-12-05T08:00",
        "--now", "2026-12-07T09:00", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    advice = json.loads(result.stdout)
    assert (advice["action"], advice["rule_field"]) == ("contact-prescriber", "restart.after_hours")
    assert "73 hours ago: more than 67.5 hour(s) without lamotrigine" in advice["message"]
