"""Products a dose is measured in: strengths, concentrations, packs, storage."""

# No `from __future__ import annotations` in this package: pydantic would then compile and
# evaluate every field annotation from its string, which every command pays at start-up.

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from titrate.model.products import LIQUID_FORMS, PRODUCT_UNIT, ProductForm
from titrate.schema.sourced import Sourced
from titrate.schema.units import (
    ABSURD_MG,
    Mg,
    _decimal_from_text,
    _NumberOut,
    _NumberSchema,
)

PositiveNumber = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_text),
    Field(gt=0, le=ABSURD_MG, allow_inf_nan=False),
    _NumberOut,
    _NumberSchema,
]
"""A positive exact number (mL, pack sizes)."""


class Strength(Sourced):
    """One strength of a solid product; only `scored` tablets may be halved."""

    mg: Mg
    scored: bool = False


class Concentration(Sourced):
    """A liquid's strength: milligrams in each millilitre."""

    mg_per_ml: Mg


class MeasureStep(Sourced):
    """The finest volume the product's measuring device marks (e.g. a 0.1 mL syringe)."""

    ml: PositiveNumber


class SingleStrength(Sourced):
    """Dispensing preference: one strength for the whole course when it makes every dose
    with at most `max_pieces` pieces."""

    max_pieces: int = Field(ge=1, le=100)


class FewestStrengths(Sourced):
    """Dispensing preference for a course: the fewest strengths that make every dose
    with at most `max_pieces` pieces, then the fewest packs (cartons), then the fewest
    pieces."""

    max_pieces: int = Field(ge=1, le=100)


class Storage(Sourced):
    text: str = Field(min_length=1)


class InUseLimit(Sourced):
    """Discard an opened container this many days after first opening."""

    days: int = Field(ge=1, le=3660)


class Packs(Sourced):
    """The sizes a product is supplied in (mL per bottle or unit-dose cup, packets per
    carton)."""

    sizes: list[PositiveNumber] = Field(min_length=1)
    name: Literal["bottle", "carton", "box", "pack", "cup"] = "bottle"


class AdministrationNote(Sourced):
    text: str = Field(min_length=1)


class NotInterchangeable(Sourced):
    """Products of the regimen this one must not be swapped with during a course (e.g.
    tablets and capsules that are absorbed differently); a plan uses one product."""

    products: list[str] = Field(min_length=1, description="ids of the other products")
    text: str = Field(min_length=1)


class Product(Sourced):
    """One product a regimen can be measured in: solid strengths or a liquid's
    concentration, with storage, in-use limit, packs and administration notes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1)
    form: ProductForm
    strengths: list[Strength] = Field(default_factory=list)
    concentration: Concentration | None = None
    measure_step: MeasureStep | None = None
    single_strength: SingleStrength | None = None
    fewest_strengths: FewestStrengths | None = None
    storage: Storage | None = None
    discard_after_opening: InUseLimit | None = None
    packs: Packs | None = None
    administration: list[AdministrationNote] = Field(default_factory=list)
    not_interchangeable: NotInterchangeable | None = None

    @property
    def liquid(self) -> bool:
        return self.form in LIQUID_FORMS

    @property
    def unit(self) -> Literal["tablet", "capsule", "packet", "mL"]:
        return PRODUCT_UNIT[self.form]

    def strength(self, mg: Decimal) -> Strength | None:
        return next((s for s in self.strengths if s.mg == mg), None)

    @model_validator(mode="after")
    def _form_fits(self) -> Self:
        if self.liquid:
            if self.concentration is None or self.measure_step is None:
                raise ValueError(f"a {self.form} needs `concentration` and `measure_step`")
            if self.strengths or self.single_strength or self.fewest_strengths:
                raise ValueError(f"a {self.form} has a concentration, not `strengths`")
            return self
        if not self.strengths:
            raise ValueError(f"a {self.form} product needs `strengths`")
        if self.concentration is not None or self.measure_step is not None:
            raise ValueError(f"a {self.form} has strengths, not a concentration")
        values = [strength.mg for strength in self.strengths]
        if len(set(values)) != len(values):
            raise ValueError("strengths must be distinct")
        if self.form != "tablet" and any(strength.scored for strength in self.strengths):
            raise ValueError(f"only tablets can be scored; a {self.form} is taken whole")
        return self
