"""Doses → amounts of a product, exactly; how much to dispense.

Tablets, capsules and packets: the combination of strengths with the fewest pieces that
makes the dose exactly, halving only scored tablets; when the product's data states a
one-strength preference, one strength serves the whole course if it makes every dose
within the stated number of pieces. Liquids: mL = mg ÷ concentration, which must be a
whole number of the product's measuring steps. A dose that cannot be made exactly gets no
amount (the rule `dose-not-measurable` reports it): nothing is ever rounded.

All arithmetic is exact (Decimal and Fraction); every number comes from the regimen data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple, Protocol

from titrate.citation import cite
from titrate.errors import InputError
from titrate.model import (
    Amount,
    DispenseLine,
    Dose,
    PackCount,
    Piece,
    Plan,
    PlanOptions,
    Product,
    ProductRef,
    Regimen,
    Step,
    Strength,
    trusted,
)

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


# (step, day, dose in mg) of every dose of a plan, in order: all that measuring needs.
Shape = tuple[tuple[int, int, Decimal], ...]

# The combination search is a small knapsack over "quanta" (the greatest common step of
# the strengths). Real strengths give a few dozen quanta; this bound only stops a regimen
# file with absurdly fine strengths (0.0001 mg beside 100 mg) from hanging the planner.
_MAX_SEARCH_CELLS = 5_000_000


def plain(value: Decimal) -> str:
    """An exact Decimal without exponent or trailing zeros (2.50 → 2.5, 1E+1 → 10)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


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


@dataclass(frozen=True)
class Combination:
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


@dataclass(frozen=True)
class SolidChoice:
    """How each distinct dose is made, and the one strength used for all, if any."""

    combinations: dict[Decimal, Combination | None]
    single: Strength | None


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
    return SolidChoice(mixed, None)


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
# Dispensing


def choose_packs(quantity: Decimal, sizes: Sequence[Decimal]) -> list[PackCount]:
    """The fewest packs that hold `quantity`; among those, the least left over."""
    if quantity <= 0 or not sizes:
        return []
    ordered = sorted(set(sizes), reverse=True)
    largest = ordered[0]
    fewest = math.ceil(Fraction(quantity) / Fraction(largest))
    # `fewest` packs of the largest size hold the quantity with `slack` to spare; swapping
    # a large pack for a smaller one of size s gives up (largest - s). Pick the swaps that
    # give up the most without going past the slack (slack < largest, so few choices).
    slack = fewest * largest - quantity
    smaller = ordered[1:]
    best: tuple[Decimal, tuple[int, ...]] = (Decimal(0), (0,) * len(smaller))

    def search(index: int, left: Decimal, packs_left: int, counts: tuple[int, ...]) -> None:
        nonlocal best
        if index == len(smaller):
            given_up = slack - left
            if given_up > best[0]:
                best = (given_up, counts)
            return
        step = largest - smaller[index]
        most = min(packs_left, int(left // step))
        for count in range(most, -1, -1):
            search(index + 1, left - count * step, packs_left - count, (*counts, count))

    search(0, slack, fewest, ())
    counts = best[1]
    packs = [PackCount(size=largest, count=fewest - sum(counts))]
    packs += [PackCount(size=size, count=n) for size, n in zip(smaller, counts, strict=True)]
    return [pack for pack in packs if pack.count]


def in_use_windows(days: Sequence[int], limit_days: int) -> list[tuple[int, int]]:
    """Consecutive periods of at most `limit_days` days from the first day: bottles opened
    at the start of each period are discarded at its end."""
    if not days:
        return []
    first, last = min(days), max(days)
    return [
        (start, min(start + limit_days - 1, last)) for start in range(first, last + 1, limit_days)
    ]


def restart_days(
    windows: Sequence[tuple[int, int]], limit_days: int, dates: Mapping[int, date] | None = None
) -> str:
    """`day 60`, `days 60 and 119`, or `day 60 and every 59 days after, 5 times in all`."""
    starts = [first for first, _ in windows[1:]]

    def day(number: int) -> str:
        return (
            f"{number} ({dates[number].isoformat()})" if dates and number in dates else str(number)
        )

    if len(starts) == 1:
        return f"day {day(starts[0])}"
    if len(starts) == 2:
        return f"days {day(starts[0])} and {day(starts[1])}"
    return f"day {day(starts[0])} and every {limit_days} days after, {len(starts)} times in all"


def _packs_text(packs: Sequence[PackCount], unit: str, name: str) -> str:
    return " + ".join(
        f"{pack.count} × {plain(pack.size)} {unit} {name}"
        if unit == "mL"
        else f"{pack.count} {name}{'s' if pack.count != 1 else ''} of {plain(pack.size)}"
        for pack in packs
    )


def _merge_packs(groups: Iterable[Sequence[PackCount]]) -> list[PackCount]:
    totals: dict[Decimal, int] = defaultdict(int)
    for group in groups:
        for pack in group:
            totals[pack.size] += pack.count
    return [PackCount(size=size, count=totals[size]) for size in sorted(totals, reverse=True)]


def _solid_lines(product: Product, doses: Sequence[MeasuredDose]) -> list[DispenseLine]:
    unit = product.unit
    wholes: dict[tuple[int | None, Decimal], int] = defaultdict(int)
    halves: dict[tuple[int | None, Decimal], int] = defaultdict(int)
    for dose in doses:
        assert dose.amount is not None
        for piece in dose.amount.pieces:
            whole = int(piece.count)
            half = 1 if piece.count - whole == HALF else 0
            for step in (dose.step, None):
                wholes[(step, piece.strength_mg)] += whole
                halves[(step, piece.strength_mg)] += half
    lines: list[DispenseLine] = []
    keys = sorted(wholes, key=lambda key: (key[0] is None, key[0] or 0, -key[1]))
    packs = product.packs
    for step, mg in keys:
        whole, half = wholes[(step, mg)], halves[(step, mg)]
        item = f"{plain(mg)} mg {unit}"
        if step is not None:
            taken = whole + half * HALF
            detail = ""
            if half:
                detail = f" ({whole} whole + {half} halves)" if whole else f" ({half} halves)"
            lines.append(
                DispenseLine(
                    step=step,
                    item=item,
                    strength_mg=mg,
                    quantity=taken,
                    unit=unit,
                    text=f"{count_text(taken)} × {item}{detail}",
                    halves=half or None,
                )
            )
            continue
        split = math.ceil(half / 2)
        left_over = split * 2 - half
        quantity = whole + split
        text = f"{quantity} × {item}"
        if half:
            text += (
                f" ({split} split in half for {half} halves"
                + (f"; {left_over} half left over" if left_over else "")
                + ")"
            )
        chosen: list[PackCount] = []
        if packs is not None:
            chosen = choose_packs(Decimal(quantity), packs.sizes)
            text += f": {_packs_text(chosen, unit, packs.name)}"
        lines.append(
            DispenseLine(
                step=None,
                item=item,
                strength_mg=mg,
                quantity=quantity,
                unit=unit,
                packs=sum(pack.count for pack in chosen) if chosen else None,
                pack_size=chosen[0].size if len(chosen) == 1 else None,
                text=text,
                pack_counts=chosen,
                halves=half if half else None,
                halves_left_over=left_over if half else None,
            )
        )
    return lines


def _liquid_lines(product: Product, doses: Sequence[MeasuredDose]) -> list[DispenseLine]:
    item = liquid_name(product)
    by_step: dict[int, Decimal] = defaultdict(Decimal)
    by_day: dict[int, Decimal] = defaultdict(Decimal)
    for dose in doses:
        assert dose.amount is not None
        by_step[dose.step] += dose.amount.value
        by_day[dose.day] += dose.amount.value
    lines = [
        DispenseLine(step=step, item=item, quantity=ml, unit="mL", text=f"{plain(ml)} mL")
        for step, ml in sorted(by_step.items())
    ]
    total = sum(by_step.values(), Decimal(0))
    text = f"{plain(total)} mL of {item}"
    chosen: list[PackCount] = []
    if product.packs is not None:
        limit = product.discard_after_opening
        windows = in_use_windows(list(by_day), limit.days) if limit else []
        if limit is not None and len(windows) > 1:
            # Each in-use period gets its own bottles: what is left when a period ends is
            # discarded, so one course-wide total would not cover the later doses.
            chosen = _merge_packs(
                choose_packs(
                    sum((ml for day, ml in by_day.items() if first <= day <= last), Decimal(0)),
                    product.packs.sizes,
                )
                for first, last in windows
            )
            text += (
                f": {_packs_text(chosen, 'mL', product.packs.name)} (fresh bottles opened on "
                f"{restart_days(windows, limit.days)}: an opened bottle is discarded "
                f"{limit.days} days after first opening)"
            )
        else:
            chosen = choose_packs(total, product.packs.sizes)
            text += f": {_packs_text(chosen, 'mL', product.packs.name)}"
    lines.append(
        DispenseLine(
            step=None,
            item=item,
            quantity=total,
            unit="mL",
            packs=sum(pack.count for pack in chosen) if chosen else None,
            pack_size=chosen[0].size if len(chosen) == 1 else None,
            text=text,
            pack_counts=chosen,
        )
    )
    return lines


def dispense_lines(product: Product, doses: Sequence[MeasuredDose]) -> list[DispenseLine]:
    """Totals per step and for the whole course (step None) of the measured doses."""
    measured = [dose for dose in doses if dose.amount is not None]
    if not measured:
        return []
    if product.liquid:
        return _liquid_lines(product, measured)
    return _solid_lines(product, measured)


# ---------------------------------------------------------------------------------------
# The plan


def product_ref(regimen: Regimen, product: Product, strengths: Sequence[Strength]) -> ProductRef:
    notes = [product.note] if product.note else []
    notes += [f"{plain(s.mg)} mg: {s.note}" for s in strengths if s.note]
    for fact in (product.concentration, product.measure_step, product.storage, product.packs):
        if fact is not None and fact.note:
            notes.append(fact.note)
    if product.discard_after_opening and product.discard_after_opening.note:
        notes.append(product.discard_after_opening.note)
    notes += [note.note for note in product.administration if note.note]
    swap = product.not_interchangeable
    if swap is not None:
        names = [other.name for other_id in swap.products if (other := regimen.product(other_id))]
        notes.insert(0, f"Not interchangeable with {'; '.join(names)}: {swap.text}")
    return ProductRef(
        id=product.id,
        name=product.name,
        form=product.form,
        strengths_mg=[s.mg for s in strengths],
        concentration_mg_per_ml=product.concentration.mg_per_ml if product.concentration else None,
        storage=product.storage.text if product.storage else None,
        discard_after_opening_days=(
            product.discard_after_opening.days if product.discard_after_opening else None
        ),
        administration=[note.text for note in product.administration],
        source=cite(regimen, product),
        scored_mg=[s.mg for s in strengths if s.scored],
        measure_step_ml=product.measure_step.ml if product.measure_step else None,
        pack_sizes=list(product.packs.sizes) if product.packs else [],
        pack_name=product.packs.name if product.packs else None,
        notes=notes,
        not_interchangeable_with=list(swap.products) if swap is not None else [],
    )


@dataclass(frozen=True)
class Measurement:
    """Everything measuring adds to a plan, for one product, strength set and plan shape
    (how many doses of each amount on each step and day)."""

    regimen: Regimen  # the key holds id(regimen): this guards against a reused id
    amounts: dict[Decimal, Amount | None]  # by dose in mg
    notes: tuple[str, ...]
    product: ProductRef
    dispense: tuple[DispenseLine, ...]


# Plans of the same shape in the same product measure the same way: a batch of label
# plans measures once. Keyed by regimen identity (regimens are frozen and the catalog's
# live for the whole process), product id, strengths and the shape; bounded so plans of
# many shapes (tests, scripts) do not pile up.
_MEASURED: dict[tuple[object, ...], Measurement] = {}
_MEASURED_LIMIT = 256


def dose_shape(doses: Iterable[Dose]) -> Shape:
    return tuple((dose.step, dose.day, dose.dose_mg) for dose in doses)


def ladder_shape(steps: Sequence[Step]) -> Shape:
    """The shape of the doses `schedule.build_schedule` makes from these steps (the same
    order: step by step, day by day, the day's doses in order)."""
    shape: list[tuple[int, int, Decimal]] = []
    day = 0
    for number, step in enumerate(steps, start=1):
        amounts = step.amounts
        for _ in range(step.days):
            day += 1
            shape.extend((number, day, dose_mg) for dose_mg in amounts)
    return tuple(shape)


def measurement(
    regimen: Regimen, product: Product, strengths: Sequence[Strength], shape: Shape
) -> Measurement:
    """The amounts, notes, product and dispensing lines for doses of this shape (cached)."""
    key = (id(regimen), product.id, tuple(s.mg for s in strengths), shape)
    found = _MEASURED.get(key)
    if found is None or found.regimen is not regimen:
        if len(_MEASURED) >= _MEASURED_LIMIT:
            _MEASURED.clear()
        found = _MEASURED[key] = _measure(regimen, product, strengths, shape)
    return found


def _measure(
    regimen: Regimen, product: Product, strengths: Sequence[Strength], shape: Shape
) -> Measurement:
    notes: list[str] = []
    amounts: dict[Decimal, Amount | None] = {}
    if product.liquid:
        for dose_mg in sorted({dose_mg for _, _, dose_mg in shape}):
            ml = liquid_ml(dose_mg, product)
            amounts[dose_mg] = liquid_amount(ml) if ml is not None else None
    else:
        choice = choose_solid(product, strengths, (dose_mg for _, _, dose_mg in shape))
        for dose_mg, combination in choice.combinations.items():
            amounts[dose_mg] = solid_amount(product, combination) if combination else None
        if choice.single is not None and len(strengths) > 1 and product.single_strength:
            notes.append(
                f"Every dose uses {plain(choice.single.mg)} mg {product.unit}s: "
                + (product.single_strength.note or "one strength for the whole course.")
            )
    measured = [MeasuredRow(step, day, amounts[dose_mg]) for step, day, dose_mg in shape]
    missing = sum(1 for row in measured if row.amount is None)
    if missing:
        notes.append(
            f"{missing} dose(s) cannot be made exactly from {product.name} "
            "(see dose-not-measurable); the dispensing totals leave them out."
        )
    return Measurement(
        regimen=regimen,
        amounts=amounts,
        notes=tuple(notes),
        product=product_ref(regimen, product, strengths),
        dispense=tuple(dispense_lines(product, measured)),
    )


def ladder_amounts(
    regimen: Regimen, options: PlanOptions, steps: Sequence[Step]
) -> Mapping[Decimal, Amount | None]:
    """Each distinct dose's amount for a plan of these steps, before its doses exist, so
    `build_schedule` can build every Dose once, with its amount: `measure_plan` then
    finds the same (cached) amounts on the doses and keeps them instead of copying."""
    product = resolve_product(regimen, options)
    if product is None:
        return {}
    strengths = allowed_strengths(product, options.strengths)
    return measurement(regimen, product, strengths, ladder_shape(steps)).amounts


def with_amounts(doses: Sequence[Dose], amounts: Mapping[Decimal, Amount | None]) -> list[Dose]:
    """Copies of the doses with their amounts: `model_copy(update=...)` without its
    generic machinery (`trusted`: the doses and the amounts are validated models)."""
    return [trusted(Dose, {**dose.__dict__, "amount": amounts[dose.dose_mg]}) for dose in doses]


def measure_plan(plan: Plan, regimen: Regimen, options: PlanOptions) -> Plan:
    """Add the product, each dose's amount and the dispensing totals to a plan.

    Each distinct dose is measured once per plan shape (`measurement`); the Amount,
    ProductRef and DispenseLine models it gives are frozen, so plans share them."""
    product = resolve_product(regimen, options)
    if product is None:
        return plan
    strengths = allowed_strengths(product, options.strengths)
    measured = measurement(regimen, product, strengths, dose_shape(plan.doses))
    amounts = measured.amounts
    if options.strengths is not None and amounts and all(a is None for a in amounts.values()):
        raise InputError(
            f"none of the plan's doses ({', '.join(plain(mg) for mg in sorted(amounts))} mg) "
            f"can be made exactly from {', '.join(plain(s.mg) for s in strengths)} mg "
            f"{product.unit}s"
            + (
                f" (halves only of scored tablets: "
                f"{', '.join(plain(s.mg) for s in product.strengths if s.scored) or 'none'} mg)"
                if product.form == "tablet"
                else ""
            ),
            field="strengths",
        )
    # Doses built by build_schedule with `ladder_amounts` already hold these very Amount
    # objects: keep them; otherwise (other plans, renal-adjusted doses) copy.
    if all(dose.amount is amounts[dose.dose_mg] for dose in plan.doses):
        doses = list(plan.doses)
    else:
        doses = with_amounts(plan.doses, amounts)
    return plan.model_copy(
        update={
            "doses": doses,
            "product": measured.product,
            "dispense": list(measured.dispense),
            "notes": [*plan.notes, *measured.notes],
        }
    )


def product_catalogue(regimen: Regimen) -> list[ProductRef]:
    """Every product of a regimen, with all its strengths (`titrate products`)."""
    return [
        product_ref(regimen, product, allowed_strengths(product, None))
        for product in regimen.products
    ]
