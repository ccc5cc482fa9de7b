"""Dose-log audits: each scheduled dose's status and the findings
(`titrate.schema.audit` publishes their schema)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import msgspec

from titrate.model.plan import Finding, RegimenRef, SourceRef
from titrate.model.units import Record

AUDIT_DISCLAIMER = (
    "This audit compares a dose log with the plan; it supports, and does not replace, "
    "review by the prescriber or pharmacist."
)

DoseStatusName = Literal["taken", "late", "missed", "pending", "extra"]


class LogEntry(Record, frozen=True, kw_only=True):
    """One row of a dose log: when a dose was taken and how much."""

    line: int
    taken_at: datetime
    dose_mg: Decimal
    note: str | None = None


class RejectedRow(Record, frozen=True, kw_only=True):
    """A log row that could not be read (reported, never silently dropped)."""

    line: int
    message: str
    text: str


class DoseStatus(Record, frozen=True, kw_only=True):
    """One scheduled dose and what the log shows for it, or one extra log entry."""

    status: DoseStatusName
    dose: int | None
    day: int | None = None
    step: int | None = None
    scheduled_at: datetime | None = None
    scheduled_mg: Decimal | None = None
    taken_mg: Decimal
    entries: list[LogEntry] = msgspec.field(default_factory=list)
    minutes_from_schedule: int | None = None


class DayTotal(Record, frozen=True, kw_only=True):
    """Planned and logged milligrams on one calendar day in the plan's zone."""

    date: date
    day: int | None
    planned_mg: Decimal
    taken_mg: Decimal


class AuditResult(Record, frozen=True, kw_only=True):
    """A dose log compared with its plan: every scheduled dose's status and the findings."""

    schema_version: Literal["1"] = "1"
    kind: Literal["dose-log-audit"] = "dose-log-audit"
    regimen: RegimenRef
    plan_start: date
    timezone: str
    as_of: datetime | None
    log: str
    entries: int
    summary: dict[str, int]
    doses: list[DoseStatus]
    days: list[DayTotal]
    findings: list[Finding]
    rejected_rows: list[RejectedRow] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)
    sources: list[SourceRef]
    disclaimer: str = AUDIT_DISCLAIMER
