"""Dose-log audits: each scheduled dose's status and the findings (published in
`titrate schema`)."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from datetime import date, datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from titrate.model.audit import AUDIT_DISCLAIMER, DoseStatusName
from titrate.schema.plan import Finding, RegimenRef, SourceRef
from titrate.schema.units import (
    Mg,
    MgOrZero,
)


class LogEntry(BaseModel):
    """One row of a dose log: when a dose was taken and how much."""

    model_config = ConfigDict(frozen=True)

    line: int = Field(ge=1, description="line number in the log file")
    taken_at: datetime = Field(description="ISO 8601 date-time with UTC offset")
    dose_mg: Mg
    note: str | None = None


class RejectedRow(BaseModel):
    """A log row that could not be read (reported, never silently dropped)."""

    model_config = ConfigDict(frozen=True)

    line: int = Field(ge=1)
    message: str
    text: str = Field(description="the row as written (shortened if long)")


class DoseStatus(BaseModel):
    """One scheduled dose and what the log shows for it, or one extra log entry."""

    model_config = ConfigDict(frozen=True)

    status: DoseStatusName
    dose: int | None = Field(
        description="scheduled dose number (for extra entries: the dose window they fall in)"
    )
    day: int | None = None
    step: int | None = None
    scheduled_at: datetime | None = None
    scheduled_mg: Mg | None = None
    taken_mg: MgOrZero = Field(description="total of the entries counted for this row")
    entries: list[LogEntry] = Field(default_factory=list)
    minutes_from_schedule: int | None = Field(
        default=None, description="first entry minus scheduled time, whole minutes"
    )


class DayTotal(BaseModel):
    """Planned and logged milligrams on one calendar day in the plan's zone."""

    model_config = ConfigDict(frozen=True)

    date: date
    day: int | None = Field(description="plan day number; None: outside the plan")
    planned_mg: MgOrZero
    taken_mg: MgOrZero


class AuditResult(BaseModel):
    """A dose log compared with its plan: every scheduled dose's status and the findings."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal["1"] = "1"
    kind: Literal["dose-log-audit"] = "dose-log-audit"
    regimen: RegimenRef
    plan_start: date
    timezone: str
    as_of: datetime | None = Field(description="doses after this are pending, not missed")
    log: str = Field(description="the log file's name")
    entries: int = Field(description="log rows read")
    summary: dict[str, int] = Field(description="count of rows per status")
    doses: list[DoseStatus]
    days: list[DayTotal]
    findings: list[Finding]
    rejected_rows: list[RejectedRow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sources: list[SourceRef]
    disclaimer: str = AUDIT_DISCLAIMER
