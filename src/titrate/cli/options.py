"""Option bundles shared by the commands (as sqlite-utils' `output_options` and
pip-tools' `options.py`), and the mapping from a command's parameters to request fields.
Help text, where flags belong, lives here."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    never = "never"


RegimenFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--regimens",
        metavar="FILE",
        help="Extra regimen YAML file (same schema as the built-in data). Repeatable.",
        dir_okay=False,
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: table or json. Default: from the -o extension, else table.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write to FILE (atomically) instead of stdout."
    ),
]

# Options of every command that renders a plan (plan, taper): formats and what the printed
# formats show besides the plan itself.
PlanFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: table, json, html, pdf (needs titrate[pdf]), csv, md, ics or "
        "fhir (FHIR R4 JSON). Default: from the -o extension (.json .html .pdf .csv .md "
        ".ics .fhir.json), else table.",
    ),
]
PrescriberOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Prescriber, printed on html/pdf/md (and FHIR).")
]
PharmacyOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Pharmacy, printed on html/pdf/md.")
]
PharmacyPhoneOpt = Annotated[
    str | None,
    typer.Option(
        "--pharmacy-phone",
        metavar="PHONE",
        help="The pharmacy's phone number, printed where the patient looks for help (html/pdf).",
    ),
]
SheetOpt = Annotated[
    str,
    typer.Option(
        "--sheet",
        metavar="both|patient|pharmacist",
        help="html/pdf: the patient's pages and the pharmacist's page (both, the default), or "
        "one of them.",
    ),
]
PrintedOnOpt = Annotated[
    str | None,
    typer.Option(
        "--printed-on",
        metavar="DATE",
        help="Date printed on html/pdf/md, YYYY-MM-DD. Default: today.",
    ),
]
RemindMinutesOpt = Annotated[
    int,
    typer.Option(
        "--remind-minutes",
        min=0,
        max=1440,
        metavar="N",
        help="ics: reminder N minutes before each dose.",
    ),
]
FhirIntentOpt = Annotated[
    str,
    typer.Option(
        "--fhir-intent",
        metavar="INTENT",
        help="FHIR MedicationRequest intent: proposal (default; titrate does not "
        "prescribe), or plan or order when the plan mirrors a signed order.",
    ),
]
PaperOpt = Annotated[
    str | None,
    typer.Option(
        "--paper",
        metavar="a4|letter",
        help="Paper for pdf (default a4) and html (default: the printer's).",
    ),
]
ThenOpt = Annotated[
    str | None,
    typer.Option(
        "--then",
        metavar="continue|stop|review",
        help="How the plan ends: continue at the last step until the prescriber changes it "
        "(default), review (default when the regimen has a review date), or stop after the "
        "last dose (a course; checked for an abrupt stop).",
    ),
]
ExcelOpt = Annotated[
    bool,
    typer.Option(
        "--excel",
        help="csv for Excel and LibreOffice: UTF-8 with a byte order mark, so ½, × and → "
        "open right (lines end in CRLF, as always). For -f csv, -o FILE.csv and --findings-csv.",
    ),
]
FindingsCsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--findings-csv",
        metavar="FILE",
        dir_okay=False,
        help="Also write the findings as CSV to FILE.",
    ),
]


# Options shared by every command that builds a plan (plan, missed, taper, check, batch).
RegimenArg = Annotated[
    str,
    typer.Argument(metavar="REGIMEN", help="Regimen id, e.g. baclofen (see `titrate regimens`)."),
]
StartOpt = Annotated[
    str | None, typer.Option(metavar="DATE", help="First day, YYYY-MM-DD. Default: today.")
]
TimesOpt = Annotated[
    str | None,
    typer.Option(metavar="HH:MM,...", help="Clock times for steps taken that many times a day."),
]
FirstDoseOpt = Annotated[
    str | None,
    typer.Option(
        "--first-dose",
        metavar="HH:MM",
        help="Day 1 starts with the dose at this time, one of day 1's dose times (the earlier "
        "ones are left out; every step keeps its length). Default: with --start omitted or "
        "today, the first dose time not yet passed, stated in the plan.",
    ),
]
MadeAtOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="DATETIME",
        help="When the plan is made, ISO 8601 (no UTC offset: the plan's zone); it sets "
        "'today' and which of today's dose times have passed. Default: now.",
    ),
]
TzOpt = Annotated[
    str | None, typer.Option("--tz", metavar="ZONE", help="IANA time zone. Default: the system's.")
]
TargetOpt = Annotated[
    str | None,
    typer.Option("--target-mg", metavar="MG", help="Stop escalating once a dose reaches MG."),
]
HoldOpt = Annotated[
    int, typer.Option("--hold-days", min=0, metavar="N", help="Continue the last step N more days.")
]
# Shared by `plan` (rule-based titration: the prescriber's rise and interval) and `taper`
# (the pace of the reductions).
StepMgOpt = Annotated[
    str | None,
    typer.Option(
        "--step-mg",
        metavar="MG",
        help="plan: raise each dose by MG at each increase (rule-based regimens; see `titrate "
        "show REGIMEN`). taper: lower by MG at each reduction (default: from data).",
    ),
]
EveryDaysOpt = Annotated[
    int | None,
    typer.Option(
        "--every-days",
        metavar="N",
        help="plan: days between increases (rule-based regimens). taper: days between "
        "reductions (default: from data).",
    ),
]
StepsOpt = Annotated[
    str | None,
    typer.Option(
        metavar="SPEC", help="Custom schedule to check: MGxPER_DAY:DAYS,... e.g. '5x3:3,10x3:3'."
    ),
]
AgeOpt = Annotated[str | None, typer.Option(metavar="YEARS", help="Patient's age in years.")]
PatientOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Patient's name, printed on the plan.")
]
ProductOpt = Annotated[
    str | None,
    typer.Option(
        "--product",
        metavar="ID",
        help="Product to measure doses in (see `titrate products REGIMEN`). Default: the "
        "regimen's default (baclofen: tablets).",
    ),
]
StrengthsOpt = Annotated[
    str | None,
    typer.Option(
        "--strengths",
        metavar="MG,...",
        help="Use only these strengths of a tablet, capsule or packet product, e.g. '5,10'.",
    ),
]
# The patient in front of the pharmacist (plan, taper, check).
CrclOpt = Annotated[
    str | None,
    typer.Option(
        "--crcl", metavar="ML_MIN", help="Creatinine clearance (Cockcroft-Gault), mL/min."
    ),
]
DialysisOpt = Annotated[bool, typer.Option("--dialysis", help="The patient is dialysis-dependent.")]
WithOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--with",
        metavar="DRUG_OR_CLASS",
        help="A co-medication (generic name, brand or class) or alcohol. Checked against "
        "the regimen's interaction data (`titrate show REGIMEN -f json` lists it); a name it "
        "does not list is reported as not checked. Repeatable.",
    ),
]
IndicationOpt = Annotated[
    str | None,
    typer.Option(
        "--indication",
        metavar="NAME",
        help="What the drug is given for, for a regimen with a schedule per indication "
        "(`titrate show REGIMEN` lists them; needed when it has several). With --with, "
        "it chooses the regimen's schedule (e.g. lamotrigine --indication epilepsy --with "
        "valproate); every output says which.",
    ),
]
PregnantOpt = Annotated[bool, typer.Option("--pregnant", help="The patient is pregnant.")]
HepaticOpt = Annotated[
    bool, typer.Option("--hepatic", help="The patient has active liver disease.")
]
RenalAdjustOpt = Annotated[
    bool,
    typer.Option(
        "--renal-adjust",
        help="Reduce every dose by the regimen's suggested factor for the --crcl given "
        "(baclofen: published literature, not US labeling).",
    ),
]


def fail_on_option(default: FailOn) -> object:
    return typer.Option(
        "--fail-on", help=f"Exit 1 on findings at or above this severity (default {default.value})."
    )


FailOnOpt = Annotated[FailOn, fail_on_option(FailOn.error)]
FailOnWarningOpt = Annotated[FailOn, fail_on_option(FailOn.warning)]


NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="DATETIME",
        help="Current time, ISO 8601 (no UTC offset: the plan's zone). Default: now.",
    ),
]


# Command parameters whose request field has another name.
_FIELD_FOR_PARAM = {
    "tz": "timezone",
    "age": "age_years",
    "patient": "name",
    "crcl": "crcl_ml_min",
    "with_": "co_medications",
}

RequestT = TypeVar("RequestT")


def request_fields(params: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """A command's parameters, renamed to request fields, keeping those in `fields`."""
    renamed = {_FIELD_FOR_PARAM.get(name, name): value for name, value in params.items()}
    return {name: value for name, value in renamed.items() if name in fields}


def build(kind: type[RequestT], params: Mapping[str, Any]) -> RequestT:
    """A request of `kind` from a command's parameters (`locals()` of the command)."""
    names: tuple[str, ...] = kind.__struct_fields__  # type: ignore[attr-defined]
    return kind(**request_fields(params, names))
