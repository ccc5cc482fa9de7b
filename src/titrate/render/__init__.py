"""Renderers: one module per output format, imported only when that format is used.

A renderer is `render(plan, options) -> str | bytes`; it formats, it never computes.
"""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

import msgspec

from titrate.errors import InputError
from titrate.model import Plan

# FHIR MedicationRequest.intent values titrate writes: a proposal unless the user states
# the plan mirrors a signed order.
FHIR_INTENTS = ("proposal", "plan", "order")


class RenderOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Presentation choices that are not part of the plan."""

    color: bool = False
    width: int = 100
    prescriber: str | None = None
    pharmacy: str | None = None
    printed_on: date | None = None
    remind_minutes: int = 10
    paper: str | None = None  # "a4" or "letter"; None: HTML fits either, PDF uses A4
    pharmacy_phone: str | None = None  # printed where the patient looks for help
    # The HTML/PDF handout: the patient's pages, the pharmacist's page, or both (default).
    sheet: Literal["both", "patient", "pharmacist"] = "both"
    # FHIR MedicationRequest.intent: "proposal" unless the user states the plan mirrors
    # a signed order ("plan" or "order").
    fhir_intent: str = "proposal"
    # CSV for spreadsheets: a UTF-8 byte order mark first (Excel reads BOM-less CSV in the
    # system's legacy code page: ½ × becomes Â½ Ã—).
    excel: bool = False


class Format(msgspec.Struct, frozen=True):
    name: str
    module: str
    extensions: tuple[str, ...]
    machine: bool  # machine formats go to stdout with plain writes
    binary: bool = False
    extra: str | None = None  # the pip extra that provides the format's dependency


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format("table", "titrate.render.table", (".txt",), machine=False),
        Format("json", "titrate.render.json", (".json",), machine=True),
        Format("html", "titrate.render.html", (".html", ".htm"), machine=False),
        Format("pdf", "titrate.render.pdf", (".pdf",), machine=False, binary=True, extra="pdf"),
        Format("csv", "titrate.render.csv", (".csv",), machine=True),
        Format("md", "titrate.render.md", (".md", ".markdown"), machine=False),
        Format("ics", "titrate.render.ics", (".ics",), machine=True),
        Format("fhir", "titrate.render.fhir", (".fhir.json",), machine=True),
    )
}


class Renderer(Protocol):
    def __call__(self, plan: Plan, options: RenderOptions) -> str | bytes: ...


def format_for_path(path: Path) -> str | None:
    """The format an output file's extension asks for, if any (the longest matching
    ending wins, so `plan.fhir.json` is FHIR and `plan.json` is JSON)."""
    name = path.name.lower()
    matches = [
        (len(extension), fmt.name)
        for fmt in FORMATS.values()
        for extension in fmt.extensions
        if name.endswith(extension)
    ]
    return max(matches)[1] if matches else None


def renderer(name: str) -> Renderer:
    """Import the renderer for `name` (lazily: heavy libraries load only when used)."""
    fmt = FORMATS.get(name)
    if fmt is None:
        raise InputError(
            f"unknown format {name!r} (choose from {', '.join(FORMATS)})", field="format"
        )
    try:
        module = importlib.import_module(fmt.module)
    except ModuleNotFoundError as exc:
        if fmt.extra:
            raise InputError(
                f"format {name!r} needs the optional extra: pip install 'titrate[{fmt.extra}]'"
                f" ({exc.name} is not installed)",
                field="format",
            ) from None
        raise
    render: Renderer = module.render
    return render
