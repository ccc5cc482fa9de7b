"""Missed-dose advice as plain text (table format) or JSON. Formats only; the decision,
cut-off and message come from titrate.core.missed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from titrate.model import Advice, Dose
from titrate.model.jsonout import dump_json
from titrate.render.common import finding_line, mg
from titrate.render.wrap import wrap as wrap_text

HEADLINE = {
    "take": "TAKE THE MISSED DOSE NOW",
    "skip": "SKIP THE MISSED DOSE",
    "contact-prescriber": "CONTACT THE PRESCRIBER BEFORE CONTINUING",
}

ADVICE_SCHEMA_ID = "https://titrate.invalid/schema/advice-1.json"


def render(advice: Advice, fmt: str, width: int = 88) -> str:
    if fmt == "json":
        return dump_json(advice, indent=2) + "\n"
    return advice_text(advice, width)


def _wall(instant: datetime, advice: Advice) -> str:
    from titrate.clock import zone

    return instant.astimezone(zone(advice.timezone)).strftime("%Y-%m-%d %H:%M")


def _dose_line(dose: Dose, advice: Advice) -> str:
    amount = f" ({dose.amount.text})" if dose.amount is not None else ""
    return (
        f"dose {dose.number}, {_wall(dose.at, advice)}, {mg(dose.dose_mg)}{amount} "
        f"(day {dose.day}, step {dose.step})"
    )


def advice_text(advice: Advice, width: int = 88) -> str:
    width = max(width, 60)

    def wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
        return wrap_text(text, width, indent if first is None else first, indent)

    lines = wrap(
        f"Missed dose: {advice.regimen.name}. Now: {_wall(advice.now, advice)} "
        f"(times in {advice.timezone}).",
        "  ",
        "",
    )
    lines += ["", HEADLINE[advice.action]]
    lines += wrap(advice.message)
    lines.append("")
    label = "Dose" if advice.action != "contact-prescriber" else "First missed"
    lines += wrap(_dose_line(advice.dose, advice), " " * 14, f"{label + ':':<14}")
    if len(advice.missed) > 1:
        numbers = ", ".join(str(number) for number in advice.missed)
        lines.append(f"{'Missed:':<14}doses {numbers}")
    if advice.cutoff is not None:
        lines.append(f"{'Cut-off:':<14}{_wall(advice.cutoff, advice)}")
    if advice.next_dose is not None:
        lines += wrap(_dose_line(advice.next_dose, advice), " " * 14, f"{'Next dose:':<14}")
    else:
        lines.append(f"{'Next dose:':<14}none (the plan has ended)")
    lines += wrap(
        f"{advice.rule} [{advice.rule_field}; basis: {advice.basis}]", " " * 14, f"{'Rule:':<14}"
    )
    lines += wrap(advice.source, " " * 14, f"{'Source:':<14}")
    lines.append("")
    lines += wrap(advice.never_double)
    for note in advice.notes:
        lines += wrap(f"Note: {note}", "  ", "")
    if advice.findings:
        lines += ["", f"The plan itself has findings ({len(advice.findings)}):"]
        for finding in advice.findings:
            lines += wrap(finding_line(finding), "    ", "  ")
    lines += ["", "Sources:"]
    for source in advice.sources:
        section = f", {source.section}" if source.section else ""
        lines += wrap(
            f"[{source.id}] {source.title}{section}. {source.url} (retrieved {source.retrieved})",
            "    ",
            "  ",
        )
    lines.append("")
    lines += wrap(advice.disclaimer)
    return "\n".join(lines) + "\n"


def advice_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the advice JSON (from its edge model)."""
    from titrate.schema.advice import Advice as AdviceModel

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": ADVICE_SCHEMA_ID,
        **AdviceModel.model_json_schema(mode="serialization"),
    }


def advice_schema_text() -> str:
    return json.dumps(advice_schema(), indent=2) + "\n"
