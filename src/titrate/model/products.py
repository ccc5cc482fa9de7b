"""Products a dose is measured in: strengths, concentrations, packs, storage."""

from decimal import Decimal
from typing import Literal

import msgspec

from titrate.model.sourced import Sourced

ProductForm = Literal["tablet", "capsule", "solution", "suspension", "granules"]
LIQUID_FORMS: frozenset[str] = frozenset({"solution", "suspension"})
PRODUCT_UNIT: dict[str, Literal["tablet", "capsule", "packet", "mL"]] = {
    "tablet": "tablet",
    "capsule": "capsule",
    "granules": "packet",
    "solution": "mL",
    "suspension": "mL",
}
"""The unit a dose of each product form is counted in."""

PositiveNumber = Decimal
"""A positive exact number (mL, pack sizes)."""


class Strength(Sourced, frozen=True, kw_only=True):
    """One strength of a solid product; only `scored` tablets may be halved."""

    mg: Decimal
    scored: bool = False


class Concentration(Sourced, frozen=True, kw_only=True):
    """A liquid's strength: milligrams in each millilitre."""

    mg_per_ml: Decimal


class MeasureStep(Sourced, frozen=True, kw_only=True):
    """The finest volume the product's measuring device marks (e.g. a 0.1 mL syringe)."""

    ml: Decimal


class SingleStrength(Sourced, frozen=True, kw_only=True):
    """Dispensing preference: one strength for the whole course when it makes every dose
    with at most `max_pieces` pieces."""

    max_pieces: int


class FewestStrengths(Sourced, frozen=True, kw_only=True):
    """Dispensing preference for a course: the fewest strengths that make every dose
    with at most `max_pieces` pieces, then the fewest packs (cartons), then the fewest
    pieces."""

    max_pieces: int


class Storage(Sourced, frozen=True, kw_only=True):
    text: str


class InUseLimit(Sourced, frozen=True, kw_only=True):
    """Discard an opened container this many days after first opening."""

    days: int


class Packs(Sourced, frozen=True, kw_only=True):
    """The sizes a product is supplied in (mL per bottle or unit-dose cup, packets per
    carton)."""

    sizes: list[Decimal]
    name: Literal["bottle", "carton", "box", "pack", "cup"] = "bottle"


class AdministrationNote(Sourced, frozen=True, kw_only=True):
    text: str


class NotInterchangeable(Sourced, frozen=True, kw_only=True):
    """Products of the regimen this one must not be swapped with during a course (e.g.
    tablets and capsules that are absorbed differently); a plan uses one product."""

    products: list[str]
    text: str


class Product(Sourced, frozen=True, kw_only=True):
    """One product a regimen can be measured in: solid strengths or a liquid's
    concentration, with storage, in-use limit, packs and administration notes."""

    id: str
    name: str
    form: ProductForm
    strengths: list[Strength] = msgspec.field(default_factory=list)
    concentration: Concentration | None = None
    measure_step: MeasureStep | None = None
    single_strength: SingleStrength | None = None
    fewest_strengths: FewestStrengths | None = None
    storage: Storage | None = None
    discard_after_opening: InUseLimit | None = None
    packs: Packs | None = None
    administration: list[AdministrationNote] = msgspec.field(default_factory=list)
    not_interchangeable: NotInterchangeable | None = None

    @property
    def liquid(self) -> bool:
        return self.form in LIQUID_FORMS

    @property
    def unit(self) -> Literal["tablet", "capsule", "packet", "mL"]:
        return PRODUCT_UNIT[self.form]

    def strength(self, mg: Decimal) -> Strength | None:
        return next((s for s in self.strengths if s.mg == mg), None)
