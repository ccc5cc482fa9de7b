"""How a fact is cited and what its basis means, in words.

Rules, computation and renderers all quote a fact's sources; this is the one place
that says how (kept out of the models, which hold data only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from titrate.model import Regimen, Sourced

BASIS_TEXT: dict[str, str] = {
    "label": "stated in the label",
    "implied": "implied by the label's wording, not stated as a separate limit",
    "inference": "inferred from the label's wording",
    "convention": "a convention, not a label fact",
    "literature": "published literature, not US labeling",
    "non-us-label": "non-US labeling, not US labeling",
    "patient-info": "patient information (MedlinePlus, Mayo), not the prescribing information",
    "secondary": "secondary summaries of the label, not the label text itself",
}


def citations(regimen: Regimen, fact: Sourced) -> list[str]:
    """One human citation per source of a fact: id, title, section, URL."""
    parts = []
    for source_id in fact.source:
        src = regimen.source(source_id)
        section = f", {src.section}" if src.section else ""
        parts.append(f"[{src.id}] {src.title}{section} <{src.url}>")
    return parts


def cite(regimen: Regimen, fact: Sourced) -> str:
    """All of a fact's citations on one line."""
    return "; ".join(citations(regimen, fact))


def basis_text(regimen: Regimen, fact: Sourced) -> str:
    """The fact's basis in words; a label fact whose sources are all secondary
    summaries or patient pages says so."""
    text = BASIS_TEXT[fact.basis]
    kinds = {regimen.source(source_id).kind for source_id in fact.source}
    if fact.basis == "label" and kinds <= {"secondary", "patient-info"}:
        text += ", read only in secondary summaries of it [S]"
    return text
