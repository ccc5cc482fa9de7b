"""Choosing a regimen's ladder by indication and co-medication.

A regimen with `ladders` (several titrations, e.g. one per indication, and within an
indication one per co-medication that changes the dose) is planned on the ladder chosen
here: the first ladder of the indication whose `when` holds for the co-medication groups
the patient's co-medications name. The plan follows an *effective* regimen, the regimen
with the ladder's titration, limits and dose times, so every rule, product and renderer
works on it unchanged; the plan records the choice (`Plan.ladder`) and says it in words
(a note, which every format prints).
"""

from __future__ import annotations

import re

import msgspec
from msgspec.structs import replace

from titrate.citation import cite
from titrate.errors import InputError
from titrate.model import Ladder, LadderRef, Regimen


class Chosen(msgspec.Struct, frozen=True):
    """The regimen to plan on (the ladder's effective regimen) and the choice made."""

    regimen: Regimen
    ladder: LadderRef | None


def _normal(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().lower())


def groups_named(regimen: Regimen, co_medications: list[str]) -> dict[str, list[str]]:
    """Each co-medication group the given names match (by id or alias), with the names."""
    found: dict[str, list[str]] = {}
    for given in co_medications:
        wanted = _normal(given)
        for group in regimen.co_medication_groups:
            names = {_normal(group.id), *(_normal(alias) for alias in group.aliases)}
            if wanted in names:
                found.setdefault(group.id, []).append(given)
    return found


def indication_of(regimen: Regimen, indication: str | None) -> str | None:
    """The indication asked for, checked; without one, the regimen's only indication
    (a regimen with several needs one: exit 2 naming them)."""
    ids = [item.id for item in regimen.indications]
    if indication is not None and indication.strip():
        wanted = _normal(indication).replace(" ", "-")
        if wanted in ids:
            return wanted
        choices = f"its indications: {', '.join(ids)}" if ids else "it has no indications"
        raise InputError(
            f"{indication!r} is not an indication of {regimen.id} ({choices})",
            field="indication",
        )
    if len(ids) > 1:
        raise InputError(
            f"{regimen.id} has several indications, each with its own schedule: choose one "
            f"of {', '.join(ids)}",
            field="indication",
        )
    return ids[0] if ids else None


_EFFECTIVE: dict[tuple[int, str], Regimen] = {}


def effective(regimen: Regimen, ladder: Ladder) -> Regimen:
    """The regimen as the ladder sets it: its titration, limits, dose times and restart
    rule (kept by identity, so a regimen's per-regimen caches see one object per ladder)."""
    key = (id(regimen), ladder.id)
    found = _EFFECTIVE.get(key)
    if found is None or found.ladders is not regimen.ladders:
        if len(_EFFECTIVE) >= 256:
            _EFFECTIVE.clear()
        found = _EFFECTIVE[key] = replace(
            regimen,
            titration=ladder.titration,
            limits=ladder.limits or regimen.limits,
            dose_times=ladder.dose_times or regimen.dose_times,
            restart=ladder.restart or regimen.restart,
        )
    return found


def choose(regimen: Regimen, indication: str | None, co_medications: list[str]) -> Chosen:
    """The ladder for this indication and these co-medications (a regimen without
    ladders is planned as it is; naming an indication it does not have is an error)."""
    if not regimen.ladders:
        if indication is not None and indication.strip():
            indication_of(regimen, indication)
        return Chosen(regimen, None)
    wanted = indication_of(regimen, indication)
    named = groups_named(regimen, co_medications)
    own = [ladder for ladder in regimen.ladders if ladder.indication == wanted]
    ladder = next(ladder for ladder in own if ladder.when.holds(set(named)))
    matched = [given for group in ladder.when.groups for given in named.get(group, [])]
    indication_name = next((item.name for item in regimen.indications if item.id == wanted), None)
    ref = LadderRef(
        id=ladder.id,
        name=ladder.name,
        indication=wanted,
        indication_name=indication_name,
        default=not ladder.when.groups,
        matched=list(dict.fromkeys(matched)),
        source=cite(regimen, ladder),
    )
    return Chosen(effective(regimen, ladder), ref)


def by_id(regimen: Regimen, ladder_id: str) -> Regimen:
    """The effective regimen of the ladder a saved plan names."""
    for ladder in regimen.ladders:
        if ladder.id == ladder_id:
            return effective(regimen, ladder)
    known = ", ".join(ladder.id for ladder in regimen.ladders) or "none"
    raise InputError(
        f"ladder.id: {ladder_id!r} is not a ladder of regimen {regimen.id!r} (its ladders: "
        f"{known})",
        field="ladder",
    )


def ladder_sentence(regimen: Regimen, ladder: LadderRef) -> str:
    """The choice in words, as every format prints it."""
    if ladder.matched:
        why = f"because {', '.join(ladder.matched)} was named"
    elif len(regimen.ladders) > 1 and any(item.when.groups for item in regimen.ladders):
        groups = " or ".join(group.name for group in regimen.co_medication_groups)
        why = (
            f"the default: no {groups} was named among the co-medications; if one is "
            "taken, this is the wrong schedule"
        )
    else:
        why = "the schedule for this indication"
    return f"Schedule chosen: {ladder.name} ({why}). Source: {ladder.source}."
