"""Interaction and liver rules: co-medications the label forbids or warns about, names
the regimen's data does not list, and active liver disease."""

from __future__ import annotations

from collections.abc import Iterator

from titrate.core.adjust import comedication, unchecked_names
from titrate.model.cautions import CoMedication, Hepatic
from titrate.rules.base import Context, Example, Hit, rule

_RULE_BASED = {"regimen": "tizanidine", "target_mg": "8", "step_mg": "2", "every_days": 3}


def _listed(ctx: Context, severity: str) -> Iterator[Hit]:
    found: dict[str, tuple[CoMedication, list[str]]] = {}
    for typed in ctx.plan.patient.co_medications:
        listed = comedication(ctx.regimen, typed)
        if listed is not None and listed.severity == severity:
            found.setdefault(listed.id, (listed, []))[1].append(typed)
    for listed, typed_names in found.values():
        yield Hit(
            f"Taken with {', '.join(typed_names)} ({listed.name}): {listed.mechanism} "
            f"{listed.advice}",
            listed,
        )


@rule(
    "TT205",
    "contraindicated-comedication",
    "error",
    "interactions.comedications",
    passes=[Example("tizanidine with no co-medication.", _RULE_BASED)],
    fails=[
        Example(
            "tizanidine with ciprofloxacin (a potent CYP1A2 inhibitor: contraindicated).",
            {**_RULE_BASED, "co_medications": ["ciprofloxacin"]},
        ),
        Example(
            "tizanidine with fluvoxamine (contraindicated).",
            {**_RULE_BASED, "co_medications": ["fluvoxamine"]},
        ),
    ],
)
def contraindicated_comedication(ctx: Context) -> Iterator[Hit]:
    """A co-medication the label says must not be taken with the drug.

    What it does: matches the patient's co-medications (generic names, brand names or
    classes) against the regimen's `interactions.comedications` marked `contraindicated`;
    one finding per listed entry, naming what was typed, the mechanism and the advice.
    Why it matters: a contraindicated pair (for example, an inhibitor of the enzyme that
    clears the drug, raising its exposure many times over) must not be dispensed without
    the prescriber changing one of the two.
    """
    yield from _listed(ctx, "contraindicated")


@rule(
    "TT206",
    "interaction",
    "warning",
    "interactions.comedications",
    passes=[Example("dantrolene with no co-medication.", {"regimen": "dantrolene"})],
    fails=[
        Example(
            "dantrolene with an estrogen (a higher risk of liver injury).",
            {"regimen": "dantrolene", "co_medications": ["estradiol"]},
        ),
        Example(
            "tizanidine with an oral contraceptive (CYP1A2 inhibition: start low, rise slowly).",
            {**_RULE_BASED, "co_medications": ["oral contraceptives"]},
        ),
    ],
)
def interaction(ctx: Context) -> Iterator[Hit]:
    """A co-medication the label warns about (a major interaction).

    What it does: matches the patient's co-medications against the regimen's
    `interactions.comedications` marked `major`; one finding per listed entry.
    Why it matters: the combination may be right, but it changes the dose, the pace or
    the monitoring; the pharmacist has to see it before dispensing.
    """
    yield from _listed(ctx, "major")


@rule(
    "TT207",
    "comedication-not-checked",
    "info",
    "interactions",
    passes=[
        Example(
            "baclofen with oxycodone (listed: reported by cns-depressant).",
            {"co_medications": ["oxycodone"]},
        )
    ],
    fails=[
        Example(
            "baclofen with aspirin, which its interaction data does not list.",
            {"co_medications": ["aspirin"]},
        )
    ],
)
def comedication_not_checked(ctx: Context) -> Iterator[Hit]:
    """A co-medication the regimen's interaction data does not list: not checked.

    What it does: names every co-medication given that matches none of the regimen's
    listed classes, drugs or brands, in one finding.
    Why it matters: silence is not safety. The data lists what the cited sources name;
    anything else has not been checked by this tool and needs an interaction checker or
    a pharmacist's reference.
    """
    unchecked = unchecked_names(ctx.regimen, ctx.plan.patient)
    interactions = ctx.regimen.interactions
    if not unchecked or interactions is None:
        return
    yield Hit(
        f"Not checked against {ctx.regimen.drug}'s interaction data (it lists only what its "
        f"sources name): {', '.join(unchecked)}. Check these with an interaction reference.",
        interactions,
    )


def _hepatic(ctx: Context, severity: str) -> Iterator[Hit]:
    hepatic: Hepatic | None = ctx.regimen.hepatic
    if hepatic is None or not ctx.plan.patient.hepatic or hepatic.severity != severity:
        return
    yield Hit(f"Active liver disease: {hepatic.text}", hepatic)


@rule(
    "TT208",
    "hepatic-contraindicated",
    "error",
    "hepatic",
    passes=[Example("dantrolene for a patient without liver disease.", {"regimen": "dantrolene"})],
    fails=[
        Example(
            "dantrolene for a patient with active liver disease (contraindicated).",
            {"regimen": "dantrolene", "hepatic": True},
        )
    ],
)
def hepatic_contraindicated(ctx: Context) -> Iterator[Hit]:
    """Active liver disease, where the regimen's data says the drug is contraindicated.

    What it does: when the patient has active liver disease and the regimen's `hepatic`
    data says `contraindicated`, reports it with the source.
    Why it matters: a drug with a boxed warning for fatal liver injury is ruled out by
    its label when the liver is already diseased.
    """
    yield from _hepatic(ctx, "contraindicated")


@rule(
    "TT209",
    "hepatic-avoid",
    "warning",
    "hepatic",
    passes=[Example("tizanidine for a patient without liver disease.", _RULE_BASED)],
    fails=[
        Example(
            "tizanidine for a patient with active liver disease (avoid; if used, lower doses).",
            {**_RULE_BASED, "hepatic": True},
        )
    ],
)
def hepatic_avoid(ctx: Context) -> Iterator[Hit]:
    """Active liver disease, where the regimen's data says to avoid the drug.

    What it does: when the patient has active liver disease and the regimen's `hepatic`
    data says `avoid`, reports it with the source and what to do if it is used anyway.
    Why it matters: a drug cleared by the liver accumulates when the liver fails, and
    some injure the liver themselves.
    """
    yield from _hepatic(ctx, "avoid")
