"""Every regimen with a missed-dose rule tells the patient what to do about a missed dose
on every plan (issue 14): a `missed-dose` notice, worded from the same patient information
the rule cites, so no handout can lack it (baclofen had one; tizanidine and dantrolene,
whose missed-dose rules came later, had none)."""

from __future__ import annotations

import pytest

from conftest import run
from titrate.catalog import builtin_regimens

PLANS = {
    "baclofen": ("plan", "baclofen", "--start", "2026-12-01", "--tz", "UTC"),
    "tizanidine": ("plan", "tizanidine", "--start", "2026-12-01", "--tz", "UTC", "--step-mg",
                   "2", "--every-days", "3", "--target-mg", "8"),
    "dantrolene": ("plan", "dantrolene", "--start", "2026-12-01", "--tz", "UTC"),
    "lamotrigine": ("plan", "lamotrigine", "--indication", "epilepsy", "--start",
                    "2026-12-01", "--tz", "UTC"),
    "gabapentin": ("plan", "gabapentin", "--indication", "postherpetic-neuralgia", "--start",
                   "2026-12-01", "--tz", "UTC"),
    "ropinirole": ("plan", "ropinirole", "--indication", "parkinsons", "--start", "2026-12-01",
                   "--tz", "UTC"),
}  # fmt: skip


def test_every_regimen_with_a_missed_dose_rule_has_a_notice_from_its_sources() -> None:
    with_rule = [regimen for regimen in builtin_regimens() if regimen.missed_dose is not None]
    assert {regimen.id for regimen in with_rule} == set(PLANS)
    for regimen in with_rule:
        assert regimen.missed_dose is not None
        notice = next((n for n in regimen.notices if n.id == "missed-dose"), None)
        assert notice is not None, regimen.id
        assert set(notice.source) <= set(regimen.missed_dose.source), regimen.id
        assert notice.basis == "patient-info"
        assert "Never take two doses at once." in notice.text


@pytest.mark.parametrize("regimen", PLANS)
def test_the_handout_and_the_table_say_what_to_do_about_a_missed_dose(regimen: str) -> None:
    page = run(*PLANS[regimen], "--sheet", "patient", "-f", "html").stdout
    assert "If a dose is missed" in page
    assert "skip the missed dose" in page
    table = run(*PLANS[regimen], env={"COLUMNS": "1000"}).stdout
    assert "! If you miss a dose, take it as soon as" in table
