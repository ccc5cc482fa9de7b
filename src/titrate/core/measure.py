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
from datetime import date
from decimal import Decimal
from fractions import Fraction

import msgspec
from msgspec.structs import replace

from titrate.citation import cite
from titrate.core.amounts import (
    HALF,
    MeasuredDose,
    MeasuredRow,
    allowed_strengths,
    choose_solid,
    count_text,
    liquid_amount,
    liquid_ml,
    liquid_name,
    plain,
    resolve_product,
    solid_amount,
)
from titrate.errors import InputError
from titrate.model import (
    Amount,
    DispenseLine,
    Dose,
    PackCount,
    Plan,
    PlanOptions,
    Product,
    ProductRef,
    Regimen,
    Step,
    Strength,
)

# (step, day, dose in mg) of every dose of a plan, in order: all that measuring needs.
Shape = tuple[tuple[int, int, Decimal], ...]

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
        quantity = Decimal(whole + split)
        text = f"{quantity} × {item}"
        if half:
            text += (
                f" ({split} split in half for {half} halves"
                + (f"; {left_over} half left over" if left_over else "")
                + ")"
            )
        chosen: list[PackCount] = []
        if packs is not None:
            chosen = choose_packs(quantity, packs.sizes)
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


class Measurement(msgspec.Struct, frozen=True):
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
        fewest = product.fewest_strengths
        if choice.subset is not None and fewest is not None and len(choice.subset) < len(strengths):
            used = " and ".join(f"{plain(s.mg)} mg" for s in choice.subset)
            notes.append(
                f"The doses use {used} {product.unit}s only: "
                + (fewest.note or "the fewest strengths for the whole course.")
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
    """Copies of the doses with their amounts."""
    return [replace(dose, amount=amounts[dose.dose_mg]) for dose in doses]


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
    return replace(
        plan,
        doses=doses,
        product=measured.product,
        dispense=list(measured.dispense),
        notes=[*plan.notes, *measured.notes],
    )


def product_catalogue(regimen: Regimen) -> list[ProductRef]:
    """Every product of a regimen, with all its strengths (`titrate products`)."""
    return [
        product_ref(regimen, product, allowed_strengths(product, None))
        for product in regimen.products
    ]
