"""Dose-log audit: `titrate audit PLAN LOG`, core.doselog, core.audit and the log rules."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
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
from titrate.core.audit import audit_log, match
from titrate.core.doselog import DoseLog, read_log
from titrate.errors import InputError
from titrate.model import AuditResult, Finding, LogEntry, Plan, PlanOptions, Regimen
from titrate.render.audit import audit_schema
from titrate.rules import catalogue, checked

AFTER_PLAN = "2026-12-13T09:00"  # the label plan started 2026-12-01 ends 2026-12-12 20:00


@pytest.fixture(scope="module")
def regimen() -> Regimen:
    return get_regimen("baclofen")


def label_plan(start: date = date(2026, 12, 1), tz: str = "UTC") -> Plan:
    return build_plan(get_regimen("baclofen"), PlanOptions(start=start, timezone=tz))


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    result = run(
        "plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC", "-f", "json", "-o", str(path)
    )
    assert result.exit_code == 0, result.stderr
    return path


def on_time_rows(plan: Plan) -> list[tuple[str, str]]:
    return [(dose.at.isoformat(), str(dose.dose_mg)) for dose in plan.doses]


def write_csv(path: Path, rows: Iterable[tuple[str, ...]], header: bool = True) -> Path:
    lines = ["taken_at,dose_mg,note"] if header else []
    lines += [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def slugs(findings: Iterable[Finding]) -> list[tuple[str, int | None, int | None]]:
    return [(finding.rule, finding.day, finding.dose) for finding in findings]


def audit_rows(
    regimen: Regimen, plan: Plan, rows: list[tuple[str, str]], as_of: datetime | None = None
) -> AuditResult:
    tz = ZoneInfo(plan.timezone)
    from titrate.core.doselog import parse_instant

    entries = [
        LogEntry(line=index, taken_at=parse_instant(at, tz, "test"), dose_mg=Decimal(mg))
        for index, (at, mg) in enumerate(rows, start=2)
    ]
    return audit_log(plan, regimen, DoseLog(name="log", entries=entries), as_of)


# --- The "done when" ------------------------------------------------------------


def done_when_log(plan: Plan) -> list[tuple[str, str]]:
    """Dose 5 missing, dose 8 logged twice, 30 mg more at 16:00 on day 10 (90 mg)."""
    rows: list[tuple[str, str]] = []
    for dose in plan.doses:
        if dose.number == 5:
            continue
        rows.append((dose.at.isoformat(), str(dose.dose_mg)))
        if dose.number == 8:
            rows.append((dose.at.isoformat(), str(dose.dose_mg)))
    rows.append(("2026-12-10T16:00:00+00:00", "30"))
    return rows


def test_missing_doubled_and_90mg_day_report_exactly_those(
    tmp_path: Path,
    plan_file: Path,
    golden: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # relative names keep the golden files free of tmp paths
    write_csv(tmp_path / "log.csv", ((*row, "") for row in done_when_log(label_plan())))
    plan_file, log = Path(plan_file.name), Path("log.csv")
    result = run("audit", str(plan_file), str(log), "--now", AFTER_PLAN, "-f", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, audit_schema())
    found = [(f["rule"], f["day"], f["dose"]) for f in data["findings"]]
    assert found == [  # the most severe first, then in plan order
        ("double-dose", 3, 8),
        ("over-daily-max", 10, None),
        ("double-dose", 10, 29),
        ("missed-dose", 2, 5),
    ]
    by_dose = {row["dose"]: row for row in data["doses"] if row["status"] != "extra"}
    assert by_dose[5]["status"] == "missed"
    assert [row["dose"] for row in data["doses"] if row["status"] == "extra"] == [8, 29]
    day10 = next(day for day in data["days"] if day["day"] == 10)
    assert (day10["planned_mg"], day10["taken_mg"]) == (60, 90)
    assert data["summary"] == {"taken": 35, "late": 0, "missed": 1, "pending": 1, "extra": 2}
    golden("audit_done_when.json", result.stdout)
    table = run("audit", str(plan_file), str(log), "--now", AFTER_PLAN)
    assert table.exit_code == 1
    golden("audit_done_when.txt", table.stdout)


def test_90mg_as_three_30mg_doses(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [(at, "30" if at.startswith("2026-12-10") else mg) for at, mg in on_time_rows(plan)]
    result = audit_rows(regimen, plan, rows)
    assert slugs(result.findings) == [
        ("over-daily-max", 10, None),
        ("double-dose", 10, 28),
        ("double-dose", 10, 29),
        ("double-dose", 10, 30),
    ]
    assert "90 mg logged, over the 80 mg daily maximum" in result.findings[0].message


def test_complete_on_time_log_reports_nothing(tmp_path: Path, plan_file: Path) -> None:
    log = write_csv(tmp_path / "log.csv", ((*row, "") for row in on_time_rows(label_plan())))
    result = run("audit", str(plan_file), str(log), "--now", AFTER_PLAN)
    assert result.exit_code == 0, result.stdout
    assert result.stderr == ""
    assert "No findings: the log matches the plan." in result.stdout
    assert "36 taken" in result.stdout


def test_rules_list_log_rules_and_plans_do_not_run_them(regimen: Regimen) -> None:
    log_rules = {(r.code, r.slug) for r in catalogue() if r.scope == "log"}
    assert log_rules == {
        ("TT501", "missed-dose"),
        ("TT502", "double-dose"),
        ("TT503", "doses-too-close"),
        ("TT504", "dose-differs"),
        ("TT505", "over-daily-max"),
        ("TT506", "abrupt-stop"),
        ("TT507", "restart-without-retitration"),
    }
    listing = run("rules").stdout
    assert "TT505  over-daily-max  [error]  (log)" in listing
    assert "TT101  over-daily-max  [error]  (plan)" in listing
    from titrate.model import Step

    over = build_plan(
        regimen,
        PlanOptions(
            start=date(2026, 12, 1),
            timezone="UTC",
            steps=[Step(dose_mg=Decimal(30), per_day=3, days=1)],
        ),
    )
    codes = {f.code for f in checked(over, regimen).findings}
    assert "TT101" in codes and not any(code.startswith("TT5") for code in codes)


# --- Windows: overnight, first and last doses, DST, other offsets -----------------------


def test_windows_meet_halfway_overnight_and_at_the_plan_ends(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [
        ("2026-12-01T02:00", "5"),  # first window opens 02:00 (halfway from 20:00 the day before)
        ("2026-12-01T01:59", "5"),  # before the plan: outside
        ("2026-12-02T01:59", "5"),  # night 1→2: still dose 3's window (20:00)
        ("2026-12-02T02:00", "5"),  # from 02:00: dose 4's window (08:00)
        ("2026-12-13T01:59", "20"),  # last dose's window ends 02:00 next day
        ("2026-12-13T02:00", "20"),  # after the plan: outside
    ]
    context = match(plan, regimen, [], None)
    assert context.windows[0].start == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert context.windows[-1].end == datetime(2026, 12, 13, 2, 0, tzinfo=UTC)
    result = audit_rows(regimen, plan, rows)
    extra = [(row.dose, row.entries[0].line) for row in result.doses if row.status == "extra"]
    assert (None, 3) in extra and (None, 7) in extra
    statuses = {row.dose: row for row in result.doses if row.status != "extra"}
    assert [e.line for e in statuses[1].entries] == [2]
    assert statuses[1].minutes_from_schedule == -360
    assert [e.line for e in statuses[3].entries] == [4]
    assert [e.line for e in statuses[4].entries] == [5]
    assert [e.line for e in statuses[36].entries] == [6]
    differs = sorted(f.message for f in result.findings if f.rule == "dose-differs")
    assert differs == [
        "1 dose(s), 20 mg in all, logged after the plan's last dose (2026-12-13 02:00 to "
        "2026-12-13 02:00); the plan schedules none then.",
        "1 dose(s), 5 mg in all, logged before the plan's first dose (2026-12-01 01:59 to "
        "2026-12-01 01:59); the plan schedules none then.",
    ]


def test_dst_spring_forward_europe_london(regimen: Regimen) -> None:
    """27→28 March 2027: the 20:00→08:00 night is 11 hours; its midpoint is 02:30 BST."""
    plan = label_plan(date(2027, 3, 26), "Europe/London")
    on_time = [(dose.at.isoformat(), str(dose.dose_mg)) for dose in plan.doses]
    assert audit_rows(regimen, plan, on_time).findings == []
    naive = [(dose.at.strftime("%Y-%m-%dT%H:%M"), str(dose.dose_mg)) for dose in plan.doses]
    assert audit_rows(regimen, plan, naive).findings == []
    context = match(plan, regimen, [], None)
    boundary = next(w for w in context.windows if w.dose.at.day == 27 and w.dose.at.hour == 20)
    assert boundary.end.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    late = [r for r in on_time if not r[0].startswith("2027-03-27T20")]
    late.append(("2027-03-28T02:29", "5"))  # 01:29 UTC: still the 20:00 dose's window
    result = audit_rows(regimen, plan, late)
    assert result.findings == []
    row = next(
        r
        for r in result.doses
        if r.scheduled_at and r.scheduled_at.day == 27 and r.scheduled_at.hour == 20
    )
    assert (row.status, row.minutes_from_schedule) == ("late", 329)  # 5h29 real, not 6h29
    early = [r for r in on_time if not r[0].startswith("2027-03-28T08")]
    early.append(("2027-03-28T02:31", "5"))  # 01:31 UTC: the 08:00 dose's window
    result = audit_rows(regimen, plan, early)
    assert result.findings == []
    row = next(
        r
        for r in result.doses
        if r.scheduled_at and r.scheduled_at.day == 28 and r.scheduled_at.hour == 8
    )
    assert (row.status, row.minutes_from_schedule) == ("taken", -329)


def test_dst_day_totals_and_fall_back(regimen: Regimen) -> None:
    """31 Oct 2027 (clocks go back): totals per local day stay per local day."""
    plan = label_plan(date(2027, 10, 30), "Europe/London")
    rows = [(dose.at.isoformat(), str(dose.dose_mg)) for dose in plan.doses]
    rows.append(("2027-10-31T01:30+01:00", "5"))  # first 01:30 (BST), in dose 3's window
    result = audit_rows(regimen, plan, rows)
    assert slugs(result.findings) == [("double-dose", 1, 3)]
    day2 = next(day for day in result.days if day.date == date(2027, 10, 31))
    assert day2.taken_mg == Decimal(20)


def test_log_in_another_utc_offset(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run(
        "plan",
        "baclofen",
        "--start",
        "2026-12-01",
        "--tz",
        "Europe/London",
        "-f",
        "json",
        "-o",
        str(plan_path),
    )
    plan = label_plan(tz="Europe/London")
    paris = [
        (
            dose.at.astimezone(ZoneInfo("Europe/Paris")).isoformat(),
            str(dose.dose_mg),
            "",
        )
        for dose in plan.doses
    ]
    assert paris[0][0] == "2026-12-01T09:00:00+01:00"
    log = write_csv(tmp_path / "paris.csv", paris)
    result = run("audit", str(plan_path), str(log), "--now", AFTER_PLAN, "-f", "json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["findings"] == []
    assert data["doses"][0]["entries"][0]["taken_at"] == "2026-12-01T08:00:00Z"


def test_day_totals_use_the_plans_zone(regimen: Regimen) -> None:
    """20:00 in New York on 1 Dec is 01:00 UTC on 2 Dec: dose 3's window, day 2's total."""
    plan = label_plan()
    rows = [r for r in on_time_rows(plan) if not r[0].startswith("2026-12-01T20")]
    rows.append(("2026-12-01T20:00-05:00", "5"))
    result = audit_rows(regimen, plan, rows)
    assert result.findings == []
    days = {day.day: day.taken_mg for day in result.days}
    assert (days[1], days[2]) == (Decimal(10), Decimal(20))
    dose3 = next(row for row in result.doses if row.dose == 3)
    assert (dose3.status, dose3.minutes_from_schedule) == ("late", 300)


# --- Each log rule ----------------------------------------------------------------------


def test_late_and_doses_too_close(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [
        r for r in on_time_rows(plan) if not r[0].startswith(("2026-12-02T14", "2026-12-02T20"))
    ]
    rows += [("2026-12-02T16:59", "5"), ("2026-12-02T17:30", "5")]
    result = audit_rows(regimen, plan, rows)
    assert slugs(result.findings) == [("doses-too-close", 2, 6)]
    assert result.findings[0].message.startswith(
        "Doses logged at 2026-12-02 16:59 (line 36) and 2026-12-02 17:30 (line 37) are 0h31 apart"
    )
    assert result.findings[0].basis == "convention"
    dose5 = next(row for row in result.doses if row.dose == 5)
    assert (dose5.status, dose5.minutes_from_schedule) == ("late", 179)


def test_late_hour_boundary(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [
        r for r in on_time_rows(plan) if not r[0].startswith(("2026-12-01T08", "2026-12-01T14"))
    ]
    rows += [("2026-12-01T09:00", "5"), ("2026-12-01T15:01", "5")]
    statuses = {row.dose: row.status for row in audit_rows(regimen, plan, rows).doses}
    assert (statuses[1], statuses[2]) == ("taken", "late")


def test_dose_differs_for_less_than_planned(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [(at, "2.5" if at.startswith("2026-12-01T08") else mg) for at, mg in on_time_rows(plan)]
    result = audit_rows(regimen, plan, rows)
    assert slugs(result.findings) == [("dose-differs", 1, 1)]
    assert "2.5 mg logged, 5 mg planned" in result.findings[0].message


def test_split_dose_in_one_window_is_fine(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [r for r in on_time_rows(plan) if not r[0].startswith("2026-12-01T08")]
    rows += [("2026-12-01T08:00", "2.5"), ("2026-12-01T08:10", "2.5")]
    result = audit_rows(regimen, plan, rows)
    assert result.findings == []
    first = next(row for row in result.doses if row.dose == 1)
    assert (first.taken_mg, len(first.entries)) == (Decimal(5), 2)


def test_abrupt_stop_mid_plan(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [r for r in on_time_rows(plan) if r[0] < "2026-12-10T09"]  # stops after day 10 08:00
    result = audit_rows(regimen, plan, rows, datetime(2026, 12, 13, 9, tzinfo=UTC))
    stops = [f for f in result.findings if f.rule == "abrupt-stop"]
    assert len(stops) == 1 and stops[0].severity == "error" and stops[0].dose == 29
    assert stops[0].message.startswith(
        "The log stops at 2026-12-10 08:00 (50 mg logged in the 24 hours before) while the "
        "plan goes on: nothing logged for 73h00, more than 24 hours, and 8 scheduled dose(s) "
        "missed since."
    )
    assert {f.rule for f in result.findings} == {"abrupt-stop", "missed-dose"}
    assert "[B4]" in stops[0].source
    # the 8 doses missed since are one finding, from dose 29, that says to call
    contact = [f for f in result.findings if "3 or more doses in a row missed" in f.message]
    assert [(f.dose, f.day, f.last_day) for f in contact] == [(29, 10, 12)]
    assert contact[0].message.startswith("8 doses missed in a row, 2026-12-10 14:00 to")


def test_no_abrupt_stop_soon_after_or_from_a_low_dose(regimen: Regimen) -> None:
    plan = label_plan()
    rows = [r for r in on_time_rows(plan) if r[0] < "2026-12-10T09"]
    soon = audit_rows(regimen, plan, rows, datetime(2026, 12, 10, 21, tzinfo=UTC))
    assert slugs(soon.findings) == [("missed-dose", 10, 29)]
    assert soon.summary["pending"] == 7
    low = [r for r in on_time_rows(plan) if r[0] < "2026-12-02T09"]  # 15 mg a day: the taper end
    late = audit_rows(regimen, plan, low, datetime(2026, 12, 13, 9, tzinfo=UTC))
    assert "abrupt-stop" not in {f.rule for f in late.findings}


def test_pending_doses_are_not_missed(tmp_path: Path, plan_file: Path) -> None:
    rows = [(*r, "") for r in on_time_rows(label_plan()) if r[0] < "2026-12-05T15"]
    log = write_csv(tmp_path / "log.csv", rows)
    result = run("audit", str(plan_file), str(log), "--now", "2026-12-05T15:00", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["findings"] == []
    assert data["summary"]["pending"] == 22 and data["summary"]["taken"] == 14


# --- Reading logs -------------------------------------------------------------------------


def test_unreadable_rows_are_reported_and_the_rest_audited(tmp_path: Path, plan_file: Path) -> None:
    rows = [(*r, "") for r in on_time_rows(label_plan())]
    rows[4] = ("2026-12-02T14:00", "five", "")  # line 6
    rows[10] = ("2026-12-04", "10", "")  # line 12: no time
    log = write_csv(tmp_path / "log.csv", rows)
    result = run("audit", str(plan_file), str(log), "--now", AFTER_PLAN)
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {log}:6: dose_mg 'five' is not a number\n"
        f"titrate: error: {log}:12: taken_at: '2026-12-04' is not an ISO 8601 date-time with a "
        "time of day (e.g. 2026-12-02T14:00 or 2026-12-02T14:00+01:00)\n"
    )
    assert "Unreadable rows (2), left out of the audit:" in result.stdout
    assert "  line 6: dose_mg 'five' is not a number" in result.stdout
    data = json.loads(
        run("audit", str(plan_file), str(log), "--now", AFTER_PLAN, "-f", "json").stdout
    )
    assert [f["dose"] for f in data["findings"] if f["rule"] == "missed-dose"] == [5, 11]
    assert [row["line"] for row in data["rejected_rows"]] == [6, 12]


def test_jsonl_log(tmp_path: Path, plan_file: Path) -> None:
    lines = [
        json.dumps({"taken_at": at, "dose_mg": float(mg)}) for at, mg in on_time_rows(label_plan())
    ]
    lines[0] = json.dumps({"taken_at": "2026-12-01T08:00Z", "dose_mg": 5, "note": "with food"})
    lines[3] = '{"taken_at": "2026-12-02T08:00Z", "dose": 5}'
    lines[6] = '{"taken_at": "2026-12-03T08:00Z", "dose_mg": NaN}'
    lines[9] = "{not json"
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:]) + "\n")
    log = read_log(path, ZoneInfo("UTC"))
    assert [(row.line, row.message) for row in log.rejected] == [
        (4, "unknown field 'dose' (expected taken_at, dose_mg, note)"),
        (8, "NaN is not a number"),
        (11, "not valid JSON: Expecting property name enclosed in double quotes"),
    ]
    assert log.entries[0].note == "with food"
    assert len(log.entries) == 33
    result = run("audit", str(plan_file), str(path), "--now", AFTER_PLAN, "-f", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["summary"]["missed"] == 3


def test_csv_variants(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(
        "\ufeffdose_mg,taken_at,note\n"
        "# a comment\n"
        "\n"
        '5 mg,2026-12-01T08:00,"with food, and water"\n'
        "5,2026-12-01T14:00,felt sleepy, went to bed\n"
        "7.5,2026-12-01 20:00+00:00\n".encode()
        + b"5,2026-12-02T08:00,caf\xe9\n"
        + b"-5,2026-12-02T14:00\n"
        + b"0,2026-12-02T20:00\n"
        + b'5,"2026-12-03T08:00\n'
    )
    log = read_log(path, ZoneInfo("UTC"))
    assert [(e.line, str(e.dose_mg), e.note) for e in log.entries] == [
        (4, "5", "with food, and water"),
        (5, "5", "felt sleepy, went to bed"),
        (6, "7.5", None),
    ]
    assert [(row.line, row.message) for row in log.rejected] == [
        (7, "not UTF-8 text"),
        (8, "dose_mg '-5' must be more than 0 (leave doses not taken out of the log)"),
        (9, "dose_mg '0' must be more than 0 (leave doses not taken out of the log)"),
        (10, "not a CSV row (unexpected end of data)"),
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "titrate: error: {log}: dose log has no rows (expected taken_at,dose_mg[,note])\n"),
        (
            "when,dose_mg\n",
            "titrate: error: {log}:1: unknown column 'when' (expected taken_at, "
            "dose_mg and optionally note)\n",
        ),
        ("taken_at,note\n", "titrate: error: {log}:1: the header has no dose_mg column\n"),
    ],
)
def test_bad_log_files(tmp_path: Path, plan_file: Path, content: str, expected: str) -> None:
    log = tmp_path / "log.csv"
    log.write_text(content)
    result = run("audit", str(plan_file), str(log), "--now", AFTER_PLAN)
    assert result.exit_code == 2
    assert result.stderr == expected.format(log=log)
    assert result.stdout == ""


def test_missing_files(tmp_path: Path, plan_file: Path) -> None:
    result = run("audit", str(plan_file), str(tmp_path / "none.csv"))
    assert (result.exit_code, result.stderr) == (
        2,
        f"titrate: error: {tmp_path / 'none.csv'}: no such dose log\n",
    )
    result = run("audit", str(tmp_path / "none.json"), str(plan_file))
    assert (result.exit_code, result.stderr) == (
        2,
        f"titrate: error: {tmp_path / 'none.json'}: no such plan file\n",
    )


def test_entries_after_now_are_rejected(tmp_path: Path, plan_file: Path) -> None:
    log = write_csv(
        tmp_path / "log.csv", [("2026-12-01T08:00Z", "5", ""), ("2026-12-01T14:00Z", "5", "")]
    )
    result = run("audit", str(plan_file), str(log), "--now", "2026-12-01T13:00", "-f", "json")
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {log}:3: taken_at 2026-12-01 14:00 is after the audit time "
        "2026-12-01 13:00: check the date, the UTC offset or the audit time\n"
    )


def test_fail_on_never_and_error(tmp_path: Path, plan_file: Path) -> None:
    rows = [(*r, "") for r in on_time_rows(label_plan())[1:]]  # first dose missing: a warning
    log = write_csv(tmp_path / "log.csv", rows)
    assert run("audit", str(plan_file), str(log), "--now", AFTER_PLAN).exit_code == 1
    assert (
        run("audit", str(plan_file), str(log), "--now", AFTER_PLAN, "--fail-on", "error").exit_code
        == 0
    )
    assert (
        run("audit", str(plan_file), str(log), "--now", AFTER_PLAN, "--fail-on", "never").exit_code
        == 0
    )


def test_output_file_is_written(tmp_path: Path, plan_file: Path) -> None:
    log = write_csv(tmp_path / "log.csv", ((*r, "") for r in on_time_rows(label_plan())))
    out = tmp_path / "audit.json"
    result = run("audit", str(plan_file), str(log), "--now", AFTER_PLAN, "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["kind"] == "dose-log-audit"


# --- Properties ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    dropped=st.sets(st.integers(min_value=1, max_value=36), max_size=2),
    jitter=st.lists(st.integers(min_value=-59, max_value=59), min_size=36, max_size=36),
)
def test_missed_exactly_the_dropped_doses(dropped: set[int], jitter: list[int]) -> None:
    """Doses taken within an hour of their time count as taken; dropped ones (not two in a
    row, which may add an abrupt stop near the end) are exactly the missed-dose findings."""
    regimen = get_regimen("baclofen")
    plan = label_plan()
    rows = [
        ((dose.at + timedelta(minutes=jitter[dose.number - 1])).isoformat(), str(dose.dose_mg))
        for dose in plan.doses
        if dose.number not in dropped
    ]
    result = audit_rows(regimen, plan, rows)
    assert {f.rule for f in result.findings} <= {"missed-dose", "abrupt-stop"}
    # doses missed in a row are one finding, at the first of them
    starts = sorted(dose for dose in dropped if dose - 1 not in dropped)
    assert sorted(f.dose for f in result.findings if f.rule == "missed-dose") == starts
    assert result.summary["missed"] == len(dropped)
    assert result.summary["taken"] == 36 - len(dropped)


def test_a_file_with_no_readable_row_is_one_error(tmp_path: Path, plan_file: Path) -> None:
    result = run("audit", str(plan_file), str(plan_file), "--now", AFTER_PLAN)
    assert result.exit_code == 2
    assert result.stderr == (
        f"titrate: error: {plan_file}: no row could be read (expected taken_at,dose_mg[,note]); "
        "line 1: not valid JSON: Expecting property name enclosed in double quotes\n"
    )


def test_many_unreadable_rows_keep_stderr_short(tmp_path: Path, plan_file: Path) -> None:
    rows = [(*r, "") for r in on_time_rows(label_plan())]
    rows += [("2026-12-05T09:00", "x", "")] * 12
    log = write_csv(tmp_path / "log.csv", rows)
    result = run("audit", str(plan_file), str(log), "--now", AFTER_PLAN, "-f", "json")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 11
    assert lines[-1] == f"titrate: error: {log}: 2 more unreadable row(s), listed in the output"
    assert len(json.loads(result.stdout)["rejected_rows"]) == 12


# --- Streaming: bounded memory, same answers ----------------------------------------------


def _shuffled_log(tmp_path: Path, plan: Plan) -> Path:
    """Every dose, one late, one doubled, one split in halves, in scrambled order."""
    rows = [(dose.at.isoformat(), str(dose.dose_mg)) for dose in plan.doses]
    rows[4] = ((plan.doses[4].at + timedelta(minutes=150)).isoformat(), rows[4][1])
    rows.append(rows[7])
    half = str(plan.doses[10].dose_mg / 2)
    rows[10] = (rows[10][0], half)
    rows.append(((plan.doses[10].at + timedelta(minutes=20)).isoformat(), half))
    order = sorted(range(len(rows)), key=lambda index: (index * 7919) % len(rows))
    return write_csv(tmp_path / "log.csv", [rows[index] for index in order])


def test_streamed_audit_equals_the_in_memory_one(regimen: Regimen, tmp_path: Path) -> None:
    from titrate.core.doselog import open_log

    plan = label_plan()
    log = _shuffled_log(tmp_path, plan)
    as_of = datetime(2026, 12, 13, 9, tzinfo=UTC)
    streamed = audit_log(plan, regimen, open_log(log, ZoneInfo("UTC")), as_of)
    in_memory = audit_log(plan, regimen, read_log(log, ZoneInfo("UTC")), as_of)
    assert streamed == in_memory
    assert streamed.summary == {"taken": 35, "late": 1, "missed": 0, "pending": 1, "extra": 1}
    assert slugs(streamed.findings) == [("double-dose", 3, 8)]
    split = next(row for row in streamed.doses if row.dose == 11)
    assert (split.status, len(split.entries)) == ("taken", 2)


def test_rejected_rows_beyond_the_listing_cap_are_counted(
    regimen: Regimen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from titrate.core.doselog import open_log

    auditing = importlib.import_module(
        "titrate.core.audit"
    )  # `titrate.core.audit` is also a function
    monkeypatch.setattr(auditing, "MAX_LISTED_REJECTED", 3)
    rows = [*on_time_rows(label_plan()), *[("2026-12-05T09:00", "x")] * 5]
    log = write_csv(tmp_path / "log.csv", rows)
    run_result = auditing.run_audit(label_plan(), regimen, open_log(log, ZoneInfo("UTC")))
    assert [row.line for row in run_result.result.rejected_rows] == [38, 39, 40]
    assert (run_result.rejected_total, run_result.first_unlisted) == (5, 41)
    assert run_result.result.notes[-1] == (
        "5 rows could not be read; the first 3 are listed, 2 more from line 41 on are not."
    )
    assert run_result.result.entries == 41


def test_too_many_kept_entries_is_one_clear_error(
    regimen: Regimen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from titrate.core.doselog import open_log

    auditing = importlib.import_module("titrate.core.audit")
    monkeypatch.setattr(auditing, "MAX_KEPT_ENTRIES", 10)
    log = write_csv(tmp_path / "log.csv", on_time_rows(label_plan()))
    with pytest.raises(InputError) as caught:
        auditing.run_audit(label_plan(), regimen, open_log(log, ZoneInfo("UTC")))
    assert str(caught.value) == (
        f"{log}: more than 10 readable entries to audit (line 12); split the log by period "
        "and audit each part"
    )


def test_clock_change_notes_are_capped(regimen: Regimen, tmp_path: Path) -> None:
    """Twelve naive 01:30 rows on a fall-back night: ten notes, then a count."""
    from titrate.core.doselog import open_log

    plan = label_plan(date(2026, 10, 24), "Europe/London")
    rows = [(dose.at.isoformat(), str(dose.dose_mg)) for dose in plan.doses]
    rows += [("2026-10-25T01:30", "1")] * 12
    log = write_csv(tmp_path / "log.csv", rows)
    result = audit_log(plan, regimen, open_log(log, ZoneInfo("Europe/London")))
    clock = [note for note in result.notes if "happened twice" in note]
    assert len(clock) == 10
    assert clock[0] == (
        "Line 38: 2026-10-25 01:30 happened twice in Europe/London (the clocks went back): "
        "read as the first, UTC offset +01:00; write 2026-10-25T01:30+00:00 for the second."
    )
    assert result.notes[-1] == "2 more row(s) at a skipped or repeated clock time."


def test_plan_findings_lead_the_audit(regimen: Regimen, tmp_path: Path) -> None:
    """A plan over the daily maximum is flagged in its own audit, not silently used."""
    from titrate.model import Step

    over = build_plan(
        regimen,
        PlanOptions(
            start=date(2026, 12, 1),
            timezone="UTC",
            steps=[Step(dose_mg=Decimal(30), per_day=3, days=1)],
        ),
    )
    rows = [(dose.at.isoformat(), str(dose.dose_mg)) for dose in over.doses]
    result = audit_rows(regimen, over, rows)
    assert ("over-daily-max", 1, None) in slugs(result.findings)
    assert any(f.code == "TT101" for f in result.findings)  # the plan rule, not TT505 only
    assert over.findings
    assert f"{len(over.findings)} finding(s) are about the plan itself" in " ".join(result.notes)


def test_a_log_that_stops_after_day_9_is_summed_up_in_two_findings(tmp_path: Path) -> None:
    """Issue 14: the label plan followed to day 9, then nothing: one abrupt-stop and one
    missed-dose finding for the run of 9 doses, not 9 warnings."""
    plan_file = tmp_path / "plan.json"
    result = run(
        "plan", "baclofen", "--start", "2026-12-01", "--tz", "Europe/London", "-o", str(plan_file)
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doses = json.loads(plan_file.read_text())["doses"]
    log = tmp_path / "log.csv"
    log.write_text(
        "taken_at,dose_mg\n"
        + "".join(f"{d['at'][:16]},{d['dose_mg']}\n" for d in doses if d["day"] <= 9)
    )
    audited = run("audit", str(plan_file), str(log), "--now", "2026-12-13T09:00", "-f", "json")
    assert audited.exit_code == 1
    findings = json.loads(audited.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["abrupt-stop", "missed-dose"]
    missed = findings[1]
    assert (missed["day"], missed["last_day"], missed["dose"]) == (10, 12, 28)
    assert missed["message"].startswith(
        "9 doses missed in a row, 2026-12-10 08:00 to 2026-12-12 20:00 (doses 28–36); "
        "last dose logged 2026-12-09 20:00."
    )


# --- After the plan's last day: maintenance (then: continue / review) or nothing (stop) ---


def with_maintenance(plan_json: dict, until: str, mg: str | None = None) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """Every dose of a plan file taken on time, then its last day's doses at the same clock
    times (the maintenance) up to `until` (local wall time, `YYYY-MM-DDTHH:MM`), at `mg`
    (default: the last day's dose)."""
    doses = plan_json["doses"]
    rows = [(dose["at"][:16], str(dose["dose_mg"])) for dose in doses]
    last_day = [dose for dose in doses if dose["day"] == doses[-1]["day"]]
    on = date.fromisoformat(doses[-1]["at"][:10])
    while True:
        on += timedelta(days=1)
        for dose in last_day:
            at = f"{on.isoformat()}T{dose['at'][11:16]}"
            if at > until:
                return rows
            rows.append((at, mg or str(dose["dose_mg"])))


def written_plan(tmp_path: Path, *args: str) -> tuple[Path, dict]:  # type: ignore[type-arg]
    path = tmp_path / "plan.json"
    made = run("plan", *args, "--start", "2026-12-01", "--tz", "UTC", "-o", str(path))
    assert made.exit_code in (0, 1), made.stderr
    return path, json.loads(path.read_text())


def audit_json(plan_path: Path, log: Path, now: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run("audit", str(plan_path), str(log), "--now", now, "-f", "json")
    assert result.stderr == "", result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_a_log_that_goes_on_at_the_maintenance_dose_matches_a_continuing_plan(
    tmp_path: Path,
) -> None:
    """The label plan continues at 20 mg three times a day from 13 Dec: a log that does so
    until 20 Dec is on plan (no dose-differs, no abrupt stop)."""
    plan_path, plan = written_plan(tmp_path, "baclofen")
    assert plan["then"]["action"] == "continue"
    log = write_csv(tmp_path / "log.csv", with_maintenance(plan, "2026-12-20T20:00"))
    code, data = audit_json(plan_path, log, "2026-12-21T09:00")
    assert code == 0
    assert data["findings"] == []
    assert data["summary"] == {"taken": 60, "late": 0, "missed": 0, "pending": 1, "extra": 0}
    pending = data["doses"][-1]
    assert (pending["dose"], pending["day"], pending["scheduled_at"], pending["scheduled_mg"]) == (
        61, 21, "2026-12-21T08:00:00Z", 20
    )  # fmt: skip
    assert [(d["date"], d["day"], d["planned_mg"]) for d in data["days"][12:14]] == [
        ("2026-12-13", 13, 60),
        ("2026-12-14", 14, 60),
    ]
    assert data["notes"][-1] == (
        "The plan continues after its last day (2026-12-12) at 20 mg 3 times a day: its 25 "
        "maintenance doses up to the audit time, doses 37–61 (2026-12-13 08:00 to 2026-12-21 "
        "08:00), are audited as scheduled doses."
    )
    table = run("audit", str(plan_path), str(log), "--now", "2026-12-21T09:00")
    assert table.exit_code == 0
    assert "No findings: the log matches the plan." in table.stdout
    assert "60 taken, 1 pending." in table.stdout


def test_a_log_that_stops_two_days_after_a_continuing_plan_is_an_abrupt_stop(
    tmp_path: Path,
) -> None:
    plan_path, plan = written_plan(tmp_path, "baclofen")
    log = write_csv(tmp_path / "log.csv", with_maintenance(plan, "2026-12-14T20:00"))
    code, data = audit_json(plan_path, log, "2026-12-17T09:00")
    assert code == 1
    found = [
        (f["rule"], f["severity"], f["day"], f["last_day"], f["dose"]) for f in data["findings"]
    ]
    assert found == [
        ("abrupt-stop", "error", 15, None, 43),
        ("missed-dose", "warning", 15, 16, 43),
    ]
    assert data["findings"][0]["message"].startswith(
        "The log stops at 2026-12-14 20:00 (60 mg logged in the 24 hours before) while the "
        "plan goes on: nothing logged for 61h00, more than 24 hours, and 6 scheduled dose(s) "
        "missed since."
    )
    assert data["findings"][1]["message"].startswith(
        "6 doses missed in a row, 2026-12-15 08:00 to 2026-12-16 20:00 (doses 43–48); last "
        "dose logged 2026-12-14 20:00."
    )
    assert data["summary"] == {"taken": 42, "late": 0, "missed": 6, "pending": 1, "extra": 0}


def test_more_than_the_maintenance_dose_after_the_end_is_flagged_as_on_any_day(
    tmp_path: Path,
) -> None:
    plan_path, plan = written_plan(tmp_path, "baclofen")
    rows = with_maintenance(plan, "2026-12-13T20:00", mg="30")  # 30 mg for each 20 mg dose
    code, data = audit_json(plan_path, write_csv(tmp_path / "log.csv", rows), "2026-12-14T03:00")
    assert code == 1
    assert [(f["rule"], f["day"], f["dose"]) for f in data["findings"]] == [
        ("over-daily-max", 13, None),
        ("double-dose", 13, 37),
        ("double-dose", 13, 38),
        ("double-dose", 13, 39),
    ]
    assert data["findings"][0]["message"] == (
        "2026-12-13 (day 13, planned 60 mg): 90 mg logged, over the 80 mg daily maximum."
    )
    assert data["findings"][1]["message"] == (
        "Dose 37 (day 13, 2026-12-13 08:00): 30 mg logged in its window (at 08:00), more than "
        "the 20 mg scheduled. Never take two doses at once."
    )


def test_after_a_plan_that_stops_doses_are_extra(tmp_path: Path) -> None:
    plan_path, plan = written_plan(tmp_path, "baclofen", "--then", "stop")
    log = write_csv(tmp_path / "log.csv", with_maintenance(plan, "2026-12-13T20:00"))
    code, data = audit_json(plan_path, log, "2026-12-14T09:00")
    assert code == 1
    assert [(f["code"], f["rule"]) for f in data["findings"]] == [
        ("TT301", "abrupt-stop"),  # the plan's own finding: it stops from 60 mg a day
        ("TT504", "dose-differs"),
    ]
    assert data["findings"][1]["message"] == (
        "3 dose(s), 60 mg in all, logged after the plan's last dose (2026-12-13 08:00 to "
        "2026-12-13 20:00); the plan schedules none then."
    )
    assert data["summary"] == {"taken": 36, "late": 0, "missed": 0, "pending": 0, "extra": 3}
    assert not any("continues after its last day" in note for note in data["notes"])


def test_a_reviewed_plan_schedules_its_maintenance_until_the_review_date(tmp_path: Path) -> None:
    """Dantrolene's label plan ends on 28 Dec at 100 mg three times a day, to be reviewed
    by 14 Jan (day 45): maintenance until then, nothing after."""
    plan_path, plan = written_plan(tmp_path, "dantrolene")
    assert (plan["then"]["action"], plan["review_by"]["date"]) == ("review", "2027-01-14")
    log = write_csv(tmp_path / "log.csv", with_maintenance(plan, "2027-01-16T20:00"))
    code, data = audit_json(plan_path, log, "2027-01-17T09:00")
    assert code == 1
    assert [(f["rule"], f["day"]) for f in data["findings"]] == [("dose-differs", None)]
    assert data["findings"][0]["message"] == (
        "6 dose(s), 600 mg in all, logged after the plan's review date (2027-01-14) "
        "(2027-01-15 08:00 to 2027-01-16 20:00); the plan schedules none then."
    )
    statuses = [row for row in data["doses"] if row["status"] != "extra"]
    assert (len(statuses), statuses[-1]["scheduled_at"]) == (70 + 17 * 3, "2027-01-14T20:00:00Z")
    assert data["notes"][-1] == (
        "The plan continues after its last day (2026-12-28) at 100 mg 3 times a day until its "
        "review date (2027-01-14): its 51 maintenance doses up to the audit time, doses 71–121 "
        "(2026-12-29 08:00 to 2027-01-14 20:00), are audited as scheduled doses."
    )


def test_the_api_without_an_audit_time_expects_only_the_plans_own_doses(
    regimen: Regimen,
) -> None:
    plan = label_plan()
    rows = [*on_time_rows(plan), ("2026-12-13T08:00:00+00:00", "20")]
    whole = audit_rows(regimen, plan, rows)
    assert [f.message for f in whole.findings] == [
        "1 dose(s), 20 mg in all, logged after the plan's last dose (2026-12-13 08:00 to "
        "2026-12-13 08:00); the plan schedules none then."
    ]
    assert whole.notes[-1] == (
        "The plan continues after its last day (2026-12-12) at 20 mg 3 times a day; audited "
        "without an audit time, only the plan's own doses are expected."
    )
    timed = audit_rows(regimen, plan, rows, datetime(2026, 12, 13, 9, tzinfo=UTC))
    assert timed.findings == []
    assert timed.summary == {"taken": 37, "late": 0, "missed": 0, "pending": 0, "extra": 0}


def test_an_early_dose_before_midnight_counts_for_the_next_maintenance_day(
    regimen: Regimen,
) -> None:
    """A once-a-day plan at 08:00 ending on 3 Dec: the 5 Dec maintenance dose's window opens
    at 20:00 on 4 Dec, so an entry at 21:00 audited at 22:00 belongs to it (maintenance is
    expanded one day past the audit time's date)."""
    from titrate.model import Step

    plan = build_plan(
        regimen,
        PlanOptions(
            start=date(2026, 12, 1),
            timezone="UTC",
            steps=[Step(dose_mg=Decimal(10), per_day=1, days=3)],
            times=[datetime(2026, 1, 1, 8).time()],
        ),
    )
    rows = [*on_time_rows(plan), ("2026-12-04T08:00", "10"), ("2026-12-04T21:00", "10")]
    result = audit_rows(regimen, plan, rows, datetime(2026, 12, 4, 22, tzinfo=UTC))
    assert result.findings == []
    last = [row for row in result.doses if row.dose == 5]
    assert [(row.status, row.day, row.minutes_from_schedule) for row in last] == [
        ("taken", 5, -660)
    ]


def test_maintenance_is_expected_for_at_most_the_limit_and_says_so(
    regimen: Regimen, monkeypatch: pytest.MonkeyPatch
) -> None:
    auditing = importlib.import_module("titrate.core.audit")
    ending = importlib.import_module("titrate.core.ending")
    for module in (auditing, ending):
        monkeypatch.setattr(module, "MAX_MAINTENANCE_DAYS", 2)
    plan = label_plan()
    rows = [*on_time_rows(plan), ("2026-12-15T08:00:00+00:00", "20")]
    result = audit_rows(regimen, plan, rows, datetime(2026, 12, 20, 9, tzinfo=UTC))
    assert result.notes[-1] == (
        "The plan continues after its last day (2026-12-12) at 20 mg 3 times a day: its 6 "
        "maintenance doses in the 2 days after it (the most an audit expects), doses 37–42 "
        "(2026-12-13 08:00 to 2026-12-14 20:00), are audited as scheduled doses."
    )
    assert [(f.rule, f.day, f.dose) for f in result.findings] == [
        ("dose-differs", None, None),
        ("missed-dose", 13, 37),  # 6 in a row (no abrupt stop: the log goes on after them)
    ]
    assert result.findings[0].message == (
        "1 dose(s), 20 mg in all, logged after the plan's last maintenance dose "
        "(2026-12-15 08:00 to 2026-12-15 08:00); the plan schedules none then."
    )
