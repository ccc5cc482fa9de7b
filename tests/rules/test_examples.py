"""Each rule's documented examples, run (yamllint's tests/rules style): a Passes example
gives no finding of that rule, a Fails example at least one. The examples are the data
`titrate rules` and docs/rules.md print, so the documentation cannot drift from what
the rules do."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from titrate.core.audit import audit_log
from titrate.core.doselog import open_log
from titrate.model import Finding, Plan
from titrate.requests import Catalog, PlanRequest, TaperRequest
from titrate.rules import Rule, catalogue
from titrate.rules.base import Example, LogExample

DEFAULTS = {"regimen": "baclofen", "start": "2026-12-01", "timezone": "UTC"}


def cases(outcome: str) -> list[Any]:
    return [
        pytest.param(rule, example, id=f"{rule.code}-{rule.slug}-{number}")
        for rule in catalogue()
        for number, example in enumerate(getattr(rule, outcome), start=1)
    ]


ROOT = Path(__file__).resolve().parents[2]


def example_catalog(example: Example) -> Catalog | None:
    """The catalogue an example runs against: the built-in regimens, plus a regimens file
    (relative to the repository) when the example names one (`regimens`)."""
    extra = example.request.get("regimens")
    if extra is None:
        return None
    from titrate.catalog import load_regimens

    return load_regimens([ROOT / str(extra)])


def example_plan(example: Example) -> Plan:
    fields: dict[str, Any] = {**DEFAULTS, **example.request}
    fields.pop("regimens", None)
    catalog = example_catalog(example)
    if example.taper:
        return TaperRequest(**fields).plan(catalog)
    return PlanRequest(**fields).plan(catalog)


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def log_rows(plan: Plan, log: LogExample) -> list[tuple[str, str]]:
    until = instant(log.until) if log.until else None
    skipped = {instant(text) for text in log.skip}
    rows = [
        (dose.at.isoformat(), str(dose.dose_mg))
        for dose in plan.doses
        if (until is None or dose.at <= until) and dose.at not in skipped
    ]
    rows += [(instant(at).isoformat(), mg) for at, mg in log.extra]
    return sorted(rows)


def findings_of(example: Example, tmp_path: Path) -> list[Finding]:
    plan = example_plan(example)
    if example.log is None:
        return plan.findings
    path = tmp_path / "log.csv"
    lines = ["taken_at,dose_mg", *(",".join(row) for row in log_rows(plan, example.log))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from titrate.catalog import get_regimen
    from titrate.clock import zone

    regimen = get_regimen(plan.regimen.id, example_catalog(example))
    log = open_log(path, zone(plan.timezone))
    return audit_log(plan, regimen, log, instant(example.log.now)).findings


@pytest.mark.parametrize(("rule", "example"), cases("passes"))
def test_a_passing_example_gives_no_finding_of_its_rule(
    rule: Rule, example: Example, tmp_path: Path
) -> None:
    assert [f.message for f in findings_of(example, tmp_path) if f.code == rule.code] == []


@pytest.mark.parametrize(("rule", "example"), cases("fails"))
def test_a_failing_example_gives_a_finding_of_its_rule(
    rule: Rule, example: Example, tmp_path: Path
) -> None:
    found = [f for f in findings_of(example, tmp_path) if f.code == rule.code]
    assert found, f"{rule.code} {rule.slug}: no finding for {example.says!r}"
    expected = example.severity or rule.severity
    assert all(f.severity == expected and f.source for f in found)


def test_every_rule_documents_what_why_and_examples_of_both_outcomes() -> None:
    for rule in catalogue():
        assert "What it does:" in rule.doc and "Why it matters:" in rule.doc, rule.code
        assert rule.passes and rule.fails, rule.code
        assert "Source: the regimen's" in rule.doc, rule.code


def test_docs_rules_md_is_the_catalogue_as_generated() -> None:
    """docs/rules.md is generated; regenerate with `titrate rules -f md > docs/rules.md`."""
    from titrate.catalog import load_regimens
    from titrate.render.regimen import rules_markdown

    docs = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    expected = rules_markdown(catalogue(), list(load_regimens([]).values()))
    assert docs.read_text(encoding="utf-8") == expected, "stale: run `titrate rules -f md`"
    for rule in catalogue():
        assert f"## {rule.code} {rule.slug}" in expected
