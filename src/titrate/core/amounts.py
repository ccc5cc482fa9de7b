"""Amounts of a product, exactly: the fewest pieces of tablets, capsules or packets that
make a dose, mL of a liquid, and why a dose cannot be made (used by `measure` and the
product rules). Nothing here rounds: a dose that cannot be made exactly has no amount.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple, Protocol

import msgspec

from titrate.errors import InputError
from titrate.model import (
    Amount,
    Piece,
    PlanOptions,
    Product,
    Regimen,
    Strength,
)
from titrate.model.units import decimal_text

HALF = Decimal("0.5")


class MeasuredDose(Protocol):
    """What dispensing reads from a dose: a Dose, or a MeasuredRow while measuring."""

    @property
    def step(self) -> int: ...
    @property
    def day(self) -> int: ...
    @property
    def amount(self) -> Amount | None: ...


class MeasuredRow(NamedTuple):
    step: int
    day: int
    amount: Amount | None


# The combination search is a small knapsack over "quanta" (the greatest common step of
# the strengths). Real strengths give a few dozen quanta; this bound only stops a regimen
# file with absurdly fine strengths (0.0001 mg beside 100 mg) from hanging the planner.
_MAX_SEARCH_CELLS = 5_000_000


def plain(value: Decimal) -> str:
    """An exact Decimal without exponent or trailing zeros (2.50 → 2.5, 1E+1 → 10)."""
    return decimal_text(value)


def count_text(count: Decimal) -> str:
    """Units for people: 0.5 → ½, 1.5 → 1½, 2 → 2."""
    whole = int(count)
    if count - whole == HALF:
        return f"{whole or ''}½"
    return plain(count)


# ---------------------------------------------------------------------------------------
# Choosing the product and strengths


def resolve_product(regimen: Regimen, options: PlanOptions) -> Product | None:
    """The product a plan is measured in: the chosen `product`, else the regimen's default."""
    valid = ", ".join(product.id for product in regimen.products)
    if options.product is not None:
        product = regimen.product(options.product.strip().lower())
        if product is None:
            if not regimen.products:
                raise InputError(f"regimen {regimen.id!r} lists no products", field="product")
            raise InputError(
                f"unknown product {options.product!r} for {regimen.id} (valid: {valid})",
                field="product",
            )
        return product
    if regimen.default_product is None:
        if options.strengths is not None:
            raise InputError(
                f"regimen {regimen.id!r} has no default product; choose one with <product>"
                + (f" ({valid})" if valid else ""),
                field="strengths",
            )
        return None
    return regimen.product(regimen.default_product)


def allowed_strengths(product: Product, wanted: Sequence[Decimal] | None) -> list[Strength]:
    """The product's strengths, restricted to `wanted` (largest first)."""
    if wanted is None:
        chosen = list(product.strengths)
    else:
        if product.liquid:
            raise InputError(
                f"{product.id} is a {product.form} measured in mL; <strengths> applies to "
                "tablets, capsules and packets",
                field="strengths",
            )
        valid = ", ".join(plain(strength.mg) for strength in product.strengths)
        chosen = []
        for mg in wanted:
            strength = product.strength(mg)
            if strength is None:
                raise InputError(
                    f"{product.id} has no {plain(mg)} mg strength (valid: {valid} mg)",
                    field="strengths",
                )
            if strength not in chosen:
                chosen.append(strength)
    return sorted(chosen, key=lambda strength: strength.mg)


# ---------------------------------------------------------------------------------------
# Solid forms: the fewest pieces


class Combination(msgspec.Struct, frozen=True):
    """Whole units and halves per strength (largest strength first)."""

    parts: tuple[tuple[Decimal, int, int], ...]  # (strength mg, wholes, halves)

    @property
    def pieces(self) -> int:
        return sum(wholes + halves for _, wholes, halves in self.parts)

    @property
    def halves(self) -> int:
        return sum(halves for _, _, halves in self.parts)

    @property
    def mg(self) -> Decimal:
        return sum(
            (mg * wholes + mg * halves * HALF for mg, wholes, halves in self.parts), Decimal(0)
        )


def fewest_pieces(dose_mg: Decimal, strengths: Sequence[Strength]) -> Combination | None:
    """The exact combination with the fewest pieces, or None if there is none.

    Ties go to fewer halves, then to larger strengths. Halves only of scored strengths,
    and at most one half per strength (two halves are one whole, one piece fewer).
    """
    spec = tuple(sorted(((s.mg, s.scored) for s in strengths), reverse=True))
    return _fewest(dose_mg, spec)


@lru_cache(maxsize=4096)
def _fewest(dose_mg: Decimal, spec: tuple[tuple[Decimal, bool], ...]) -> Combination | None:
    if not spec or dose_mg <= 0:
        return None
    count = len(spec)
    # Each kind of piece: (exact mg, vector added to the score when used once). The score
    # vector is (pieces, halves, -wholes per strength..., -halves per strength...): summing
    # and comparing it lexicographically gives fewest pieces, then fewest halves, then the
    # larger strengths.
    kinds: list[tuple[Fraction, tuple[int, ...], int | None]] = []
    for index, (mg, scored) in enumerate(spec):
        whole = [1, 0] + [0] * (2 * count)
        whole[2 + index] = -1
        kinds.append((Fraction(mg), tuple(whole), index))
        if scored:
            half = [1, 1] + [0] * (2 * count)
            half[2 + count + index] = -1
            kinds.append((Fraction(mg) / 2, tuple(half), None))
    denominator = math.lcm(*(value.denominator for value, _, _ in kinds))
    scaled = [int(value * denominator) for value, _, _ in kinds]
    step = math.gcd(*scaled)
    target = Fraction(dose_mg) * denominator / step
    if target.denominator != 1:
        return None
    goal = int(target)
    quanta = [value // step for value in scaled]
    # The largest whole strength may be used any number of times; every other piece is
    # bounded: n copies of a smaller whole c with n*c a multiple of the largest L could be
    # exchanged for fewer L pieces, so n < lcm(c, L)/c; halves appear at most once.
    largest = quanta[0]
    items: list[tuple[int, tuple[int, ...]]] = []
    for (_, vector, whole_index), size in zip(kinds, quanta, strict=True):
        if whole_index == 0:
            continue
        copies = 1 if whole_index is None else math.lcm(size, largest) // size - 1
        items.extend([(size, vector)] * copies)
    bound = min(goal, sum(size for size, _ in items))
    if (bound + 1) * max(len(items), 1) > _MAX_SEARCH_CELLS:
        raise InputError(
            f"the strengths {', '.join(plain(mg) for mg, _ in spec)} mg are too fine-grained "
            f"to combine into {plain(dose_mg)} mg"
        )
    zero = (0,) * (2 + 2 * count)
    best: list[tuple[int, ...] | None] = [None] * (bound + 1)
    best[0] = zero
    for size, vector in items:
        for total in range(bound, size - 1, -1):
            before = best[total - size]
            if before is None:
                continue
            candidate = tuple(a + b for a, b in zip(before, vector, strict=True))
            current = best[total]
            if current is None or candidate < current:
                best[total] = candidate
    largest_vector = kinds[0][1]
    found: tuple[int, ...] | None = None
    for rest in range(goal % largest, bound + 1, largest):
        partial = best[rest]
        if partial is None:
            continue
        times = (goal - rest) // largest
        candidate = tuple(a + times * b for a, b in zip(partial, largest_vector, strict=True))
        if found is None or candidate < found:
            found = candidate
    if found is None:
        return None
    parts = tuple(
        (mg, -found[2 + index], -found[2 + count + index])
        for index, (mg, _) in enumerate(spec)
        if found[2 + index] or found[2 + count + index]
    )
    return Combination(parts)


class SolidChoice(msgspec.Struct, frozen=True):
    """How each distinct dose is made, and the one strength used for all, if any."""

    combinations: dict[Decimal, Combination | None]
    single: Strength | None
    subset: tuple[Strength, ...] | None = None  # the fewest strengths chosen, if any


def choose_solid(
    product: Product, strengths: Sequence[Strength], doses: Iterable[Decimal]
) -> SolidChoice:
    """One strength for the whole course when the product prefers it and it fits;
    otherwise the fewest pieces for each dose."""
    counts: dict[Decimal, int] = defaultdict(int)
    for dose_mg in doses:
        counts[dose_mg] += 1
    mixed = {dose_mg: fewest_pieces(dose_mg, strengths) for dose_mg in counts}
    # A dose no combination can make is reported anyway; it must not stop the other doses
    # from sharing one strength.
    makeable = [dose_mg for dose_mg, combo in mixed.items() if combo is not None]
    preference = product.single_strength
    if preference is not None and makeable:
        ranked: list[tuple[tuple[int, int, Decimal], Strength, dict[Decimal, Combination]]] = []
        for strength in strengths:
            made = {dose_mg: fewest_pieces(dose_mg, [strength]) for dose_mg in makeable}
            usable = {dose_mg: combo for dose_mg, combo in made.items() if combo is not None}
            if len(usable) != len(made):
                continue
            if max(combo.pieces for combo in usable.values()) > preference.max_pieces:
                continue
            score = (
                sum(counts[d] * combo.pieces for d, combo in usable.items()),
                sum(counts[d] * combo.halves for d, combo in usable.items()),
                -strength.mg,
            )
            ranked.append((score, strength, usable))
        if ranked:
            _, strength, usable = min(ranked, key=lambda entry: entry[0])
            return SolidChoice({**mixed, **usable}, strength)
    if product.fewest_strengths is not None and makeable:
        chosen = _fewest_strengths(product, strengths, counts, makeable)
        if chosen is not None:
            subset, usable = chosen
            return SolidChoice({**mixed, **usable}, None, subset)
    return SolidChoice(mixed, None)


# Subsets of more strengths than this are not searched (2**8 subsets at most).
_MAX_STRENGTHS_SEARCHED = 8


def _fewest_strengths(
    product: Product,
    strengths: Sequence[Strength],
    counts: dict[Decimal, int],
    makeable: Sequence[Decimal],
) -> tuple[tuple[Strength, ...], dict[Decimal, Combination]] | None:
    """The subset of strengths that makes every makeable dose within the preference's
    pieces, ranked by strengths, then packs (when pack sizes are known), then pieces."""
    preference = product.fewest_strengths
    assert preference is not None
    if len(strengths) > _MAX_STRENGTHS_SEARCHED:
        return None
    largest_pack = max(product.packs.sizes) if product.packs is not None else None
    found: list[tuple[tuple[int, int, int, int], tuple[Strength, ...], dict[Decimal, Combination]]]
    found = []
    for size in range(1, len(strengths) + 1):
        for subset in combinations(strengths, size):
            made = {dose_mg: fewest_pieces(dose_mg, list(subset)) for dose_mg in makeable}
            if any(combo is None for combo in made.values()):
                continue
            usable = {dose_mg: combo for dose_mg, combo in made.items() if combo is not None}
            if max(combo.pieces for combo in usable.values()) > preference.max_pieces:
                continue
            units: dict[Decimal, Fraction] = defaultdict(Fraction)
            for dose_mg, combo in usable.items():
                for mg, wholes, halves in combo.parts:
                    units[mg] += counts[dose_mg] * (wholes + Fraction(halves, 2))
            packs = (
                sum(math.ceil(count / Fraction(largest_pack)) for count in units.values())
                if largest_pack is not None
                else 0
            )
            pieces = sum(counts[d] * combo.pieces for d, combo in usable.items())
            found.append(((size, packs, pieces, len(found)), subset, usable))
    if not found:
        return None
    _, subset, usable = min(found, key=lambda entry: entry[0])
    return subset, usable


def solid_amount(product: Product, combination: Combination) -> Amount:
    pieces = [
        Piece(strength_mg=mg, count=wholes + halves * HALF)
        for mg, wholes, halves in combination.parts
    ]
    text = " + ".join(
        f"{count_text(piece.count)} × {plain(piece.strength_mg)} mg {product.unit}"
        for piece in pieces
    )
    return Amount(
        value=sum((piece.count for piece in pieces), Decimal(0)),
        unit=product.unit,
        text=text,
        pieces=pieces,
    )


# ---------------------------------------------------------------------------------------
# Liquids: mL from the concentration


def liquid_ml(dose_mg: Decimal, product: Product) -> Decimal | None:
    """mL of the product holding exactly `dose_mg`, if a whole number of measuring steps."""
    if product.concentration is None or product.measure_step is None:
        return None
    steps = Fraction(dose_mg) / (
        Fraction(product.concentration.mg_per_ml) * Fraction(product.measure_step.ml)
    )
    if steps.denominator != 1:
        return None
    return steps.numerator * product.measure_step.ml


def liquid_amount(ml: Decimal) -> Amount:
    return Amount(value=ml, unit="mL", text=f"{plain(ml)} mL")


def liquid_name(product: Product) -> str:
    assert product.concentration is not None
    return f"{plain(product.concentration.mg_per_ml)} mg/mL {product.form}"


# ---------------------------------------------------------------------------------------
# Explaining a dose that cannot be made


def why_not_measurable(dose_mg: Decimal, product: Product, strengths_mg: Sequence[Decimal]) -> str:
    """One sentence: why `dose_mg` cannot be made exactly from the product."""
    if product.liquid:
        assert product.concentration is not None and product.measure_step is not None
        volume = Fraction(dose_mg) / Fraction(product.concentration.mg_per_ml)
        shown = (
            plain(Decimal(volume.numerator) / Decimal(volume.denominator))
            if _terminates(volume)
            else f"{float(volume):.4f}… (not a terminating decimal)"
        )
        return (
            f"{plain(dose_mg)} mg is {shown} mL of the {liquid_name(product)}, not a whole "
            f"number of {plain(product.measure_step.ml)} mL measuring steps; it is not rounded."
        )
    sizes = ", ".join(plain(mg) for mg in strengths_mg)
    if product.form != "tablet":
        return (
            f"{plain(dose_mg)} mg cannot be made from whole {sizes} mg {product.unit}s "
            f"({product.unit}s are not split)."
        )
    scored = [mg for mg in strengths_mg if (s := product.strength(mg)) is not None and s.scored]
    halves = (
        f"halves only of the scored {', '.join(plain(mg) for mg in scored)} mg"
        if scored
        else "none of them is scored, so no halves"
    )
    return f"{plain(dose_mg)} mg cannot be made exactly from {sizes} mg tablets ({halves})."


def _terminates(value: Fraction) -> bool:
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


# ---------------------------------------------------------------------------------------
# Rounding a computed dose down to what the product measures (renal adjustment)

# A grain this fine would take more than this many tries to search down from the dose.
_MAX_GRAINS_TRIED = 100_000


def measurable_at_most(
    value: Fraction, product: Product, strengths: Sequence[Strength]
) -> Decimal | None:
    """The largest dose no greater than `value` that the product measures exactly (a whole
    number of a liquid's measuring steps; a combination of the allowed strengths, halves
    only of scored tablets), or None when even the smallest is more than `value`."""
    if product.liquid:
        assert product.concentration is not None and product.measure_step is not None
        unit = Fraction(product.concentration.mg_per_ml) * Fraction(product.measure_step.ml)
        count = math.floor(value / unit)
        return _decimal(count * unit) if count > 0 else None
    pieces = [
        Fraction(strength.mg) / 2 if strength.scored else Fraction(strength.mg)
        for strength in strengths
    ]
    if not pieces:
        return None
    denominator = math.lcm(*(piece.denominator for piece in pieces))
    grain = Fraction(math.gcd(*(int(piece * denominator) for piece in pieces)), denominator)
    count = math.floor(value / grain)
    for tried, multiple in enumerate(range(count, 0, -1)):
        if tried > _MAX_GRAINS_TRIED:
            break
        candidate = _decimal(multiple * grain)
        if fewest_pieces(candidate, strengths) is not None:
            return candidate
    return None


def _decimal(value: Fraction) -> Decimal:
    """An exact Decimal of a fraction whose denominator has only the factors 2 and 5."""
    with localcontext() as context:
        context.prec = 50
        return Decimal(value.numerator) / Decimal(value.denominator)
