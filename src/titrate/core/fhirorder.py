"""Read a FHIR R4 MedicationRequest (or a Bundle holding one) as dated doses to check.

Accepted: titrate's own export and an EHR's order whose `dosageInstruction` is a
sequence of Dosages, each with `timing.repeat` (`frequency` per `period` 1 `periodUnit`
"d", optional `timeOfDay`, and bounds as `boundsPeriod` or `boundsDuration` in days or
weeks) and `doseAndRate[0].doseQuantity` in mg. Dosages run in `sequence` order; those
sharing a sequence number run at the same time (FHIR's meaning). A step given only by a
duration starts the day after the previous sequence ends (the first on `authoredOn`,
`dispenseRequest.validityPeriod.start` or the caller's start date). Without `timeOfDay`
the regimen's default clock times for that many doses a day are used.

Anything else in a timing (`when`, `dayOfWeek`, `count`, an hourly period, …) would
change when doses are taken, so it is refused with one line naming the element rather
than guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from titrate.errors import InputError
from titrate.io.yamltext import LineMap, line_for
from titrate.model import Regimen

# Timing elements that change which days or hours a dose is taken on: refused.
_UNSUPPORTED_REPEAT = (
    "when",
    "dayOfWeek",
    "count",
    "countMax",
    "duration",
    "durationMax",
    "frequencyMax",
    "periodMax",
    "offset",
    "boundsRange",
)
_UNSUPPORTED_TIMING = ("event", "code")
_UNSUPPORTED_DOSAGE = ("asNeededBoolean", "asNeededCodeableConcept")
_DAYS_PER_UNIT = {"d": 1, "wk": 7}


@dataclass(frozen=True)
class OrderDose:
    """One dose the order asks for, in the patient's local date and clock time."""

    date: date
    time: time
    dose_mg: Decimal


@dataclass(frozen=True)
class Order:
    """The MedicationRequest found in the file, and where it is."""

    request: dict[str, Any]
    path: tuple[Any, ...]
    medication: list[str]  # texts, displays and codes naming the medication


def is_fhir(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") in ("MedicationRequest", "Bundle")


def find_order(data: dict[str, Any], name: str) -> Order:
    """The one MedicationRequest of a MedicationRequest or Bundle document."""
    path: tuple[Any, ...] = ()
    resources: list[Any] = [data]
    if data["resourceType"] == "MedicationRequest":
        request = data
    else:
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            raise InputError("a Bundle's `entry` must be a list", name)
        resources = [e.get("resource") for e in entries if isinstance(e, dict)]
        found = [
            (index, resource)
            for index, resource in enumerate(resources)
            if isinstance(resource, dict) and resource.get("resourceType") == "MedicationRequest"
        ]
        if len(found) != 1:
            raise InputError(
                f"the Bundle holds {len(found)} MedicationRequests; check one order per file",
                name,
            )
        index, request = found[0]
        path = ("entry", index, "resource")
    return Order(request, path, _medication_names(request, resources))


def _medication_names(request: dict[str, Any], resources: Sequence[Any]) -> list[str]:
    concepts: list[Any] = [request.get("medicationCodeableConcept")]
    reference = (request.get("medicationReference") or {}).get("reference", "")
    for resource in [*resources, *request.get("contained", [])]:
        is_medication = isinstance(resource, dict) and resource.get("resourceType") == "Medication"
        if is_medication and (
            not reference or reference.split("/")[-1].lstrip("#") == resource.get("id")
        ):
            concepts.append(resource.get("code"))
    names: list[str] = []
    for concept in concepts:
        if not isinstance(concept, dict):
            continue
        names += [str(concept["text"])] if concept.get("text") else []
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict):
                names += [str(coding[key]) for key in ("display", "code") if coding.get(key)]
    return names


def order_doses(
    order: Order, regimen: Regimen, name: str, lines: LineMap, start: date | None
) -> list[OrderDose]:
    """Every dose of the order's dosage instructions, dated."""
    dosages = order.request.get("dosageInstruction")
    if not isinstance(dosages, list) or not dosages:
        raise InputError("the MedicationRequest has no `dosageInstruction`", name)
    first = order_start(order.request) or start
    by_sequence: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for index, dosage in enumerate(dosages):
        if not isinstance(dosage, dict):
            raise InputError("a Dosage must be an object", _where(order, lines, name, index))
        sequence = dosage.get("sequence", index + 1)
        if not isinstance(sequence, int):
            raise InputError("`sequence` must be an integer", _where(order, lines, name, index))
        by_sequence.setdefault(sequence, []).append((index, dosage))
    doses: list[OrderDose] = []
    next_day = first
    previous: set[tuple[time, Decimal]] = set()
    for sequence in sorted(by_sequence):
        ends: list[date] = []
        step_doses: list[OrderDose] = []
        for index, dosage in by_sequence[sequence]:
            step = _dosage_doses(order, dosage, index, regimen, name, lines, next_day)
            step_doses += step.doses
            ends.append(step.end)
        pattern = {(dose.time, dose.dose_mg) for dose in step_doses}
        if not (sequence == max(by_sequence) and open_ended(order) and pattern == previous):
            doses += step_doses  # an ongoing repeat of the step before adds nothing new
        previous = pattern
        next_day = max(ends) + timedelta(days=1)
    return doses


def open_ended(order: Order) -> bool:
    """True when the order's last step has no end (`boundsPeriod` without `end`): the
    schedule continues at that step rather than stopping after its last dose."""
    dosages = [d for d in order.request.get("dosageInstruction") or [] if isinstance(d, dict)]
    if not dosages:
        return False
    last = max(d.get("sequence", index + 1) for index, d in enumerate(dosages))
    for index, dosage in enumerate(dosages):
        if dosage.get("sequence", index + 1) != last:
            continue
        bounds = ((dosage.get("timing") or {}).get("repeat") or {}).get("boundsPeriod")
        if isinstance(bounds, dict) and "end" not in bounds:
            return True
    return False


@dataclass(frozen=True)
class _Step:
    doses: list[OrderDose]
    end: date


def _dosage_doses(
    order: Order,
    dosage: dict[str, Any],
    index: int,
    regimen: Regimen,
    name: str,
    lines: LineMap,
    next_day: date | None,
) -> _Step:
    def where(*path: Any) -> str:
        return _where(order, lines, name, index, *path)

    for key in _UNSUPPORTED_DOSAGE:
        if key in dosage:
            raise InputError(
                "not supported: an as-needed dose has no schedule to check", where(key)
            )
    timing = dosage.get("timing")
    if not isinstance(timing, dict) or not isinstance(timing.get("repeat"), dict):
        raise InputError("a Dosage needs `timing.repeat` to be checked", where())
    for key in _UNSUPPORTED_TIMING:
        if key in timing:
            raise InputError("not supported; give `timing.repeat`", where("timing", key))
    repeat: dict[str, Any] = timing["repeat"]
    for key in _UNSUPPORTED_REPEAT:
        if key in repeat:
            raise InputError(
                "not supported (titrate checks a frequency per day, timeOfDay and bounds)",
                where("timing", "repeat", key),
            )
    if repeat.get("periodUnit", "d") != "d" or repeat.get("period", 1) != 1:
        raise InputError(
            'only `period` 1 with `periodUnit` "d" is supported (so many doses a day), got '
            f"period {repeat.get('period', 1)!r} {repeat.get('periodUnit', 'd')!r}",
            where("timing", "repeat", "periodUnit" if "periodUnit" in repeat else "period"),
        )
    clocks = _clocks(repeat, regimen, where)
    first, last = _bounds(repeat, next_day, where)
    amount = _dose_mg(dosage, where)
    doses = [
        OrderDose(first + timedelta(days=offset), clock, amount)
        for offset in range((last - first).days + 1)
        for clock in clocks
    ]
    return _Step(doses, last)


def _clocks(repeat: dict[str, Any], regimen: Regimen, where: Any) -> list[time]:
    frequency = repeat.get("frequency", 1)
    if not isinstance(frequency, int) or frequency < 1:
        raise InputError(
            "`frequency` must be a positive integer", where("timing", "repeat", "frequency")
        )
    if "timeOfDay" in repeat:
        raw = repeat["timeOfDay"]
        try:
            clocks = sorted(time.fromisoformat(str(value)) for value in raw)
        except (TypeError, ValueError):
            raise InputError(
                "`timeOfDay` must list times hh:mm:ss", where("timing", "repeat", "timeOfDay")
            ) from None
        if len(clocks) != frequency:
            raise InputError(
                f"`frequency` {frequency} differs from the {len(clocks)} `timeOfDay` values",
                where("timing", "repeat", "timeOfDay"),
            )
        return clocks
    default = regimen.dose_times.by_frequency.get(frequency)
    if default is None:
        raise InputError(
            f"no `timeOfDay`, and regimen {regimen.id!r} has no default times for {frequency} "
            "doses a day",
            where("timing", "repeat"),
        )
    return list(default)


def _bounds(repeat: dict[str, Any], next_day: date | None, where: Any) -> tuple[date, date]:
    if isinstance(repeat.get("boundsPeriod"), dict):
        period = repeat["boundsPeriod"]
        try:
            first = _date(period.get("start")) or next_day
            last = _date(period["end"]) if "end" in period else None
        except ValueError:
            raise InputError(
                "`boundsPeriod` dates must be YYYY-MM-DD", where("timing", "repeat", "boundsPeriod")
            ) from None
        if first is None:
            raise InputError(
                "`boundsPeriod` needs a start", where("timing", "repeat", "boundsPeriod")
            )
        if last is None:
            # open-ended (a plan that continues, titrate's own export too): its first day
            # is checked, and the plan goes on at that step
            last = first
    elif isinstance(repeat.get("boundsDuration"), dict):
        duration = repeat["boundsDuration"]
        unit = duration.get("code") or duration.get("unit")
        value = duration.get("value")
        if unit not in _DAYS_PER_UNIT or not isinstance(value, int) or value < 1:
            raise InputError(
                "`boundsDuration` must be a whole number of days (d) or weeks (wk)",
                where("timing", "repeat", "boundsDuration"),
            )
        if next_day is None:
            raise InputError(
                "the order has no start date (`authoredOn` or a `boundsPeriod`); give <start>",
                where("timing", "repeat", "boundsDuration"),
            )
        first, last = next_day, next_day + timedelta(days=value * _DAYS_PER_UNIT[unit] - 1)
    else:
        raise InputError(
            "a Dosage needs `timing.repeat.boundsPeriod` or `boundsDuration`",
            where("timing", "repeat"),
        )
    if last < first:
        raise InputError(
            "`boundsPeriod` ends before it starts", where("timing", "repeat", "boundsPeriod")
        )
    return first, last


def _dose_mg(dosage: dict[str, Any], where: Any) -> Decimal:
    rates = dosage.get("doseAndRate")
    quantity = rates[0].get("doseQuantity") if isinstance(rates, list) and len(rates) == 1 else None
    if not isinstance(quantity, dict):
        raise InputError(
            "a Dosage needs one `doseAndRate` with a `doseQuantity`", where("doseAndRate")
        )
    unit = quantity.get("code") or quantity.get("unit")
    if unit != "mg":
        raise InputError(
            f"`doseQuantity` must be in mg, got {unit!r}", where("doseAndRate", 0, "doseQuantity")
        )
    try:
        amount = Decimal(str(quantity["value"]))
    except (KeyError, InvalidOperation):
        raise InputError(
            "`doseQuantity.value` must be a number", where("doseAndRate", 0, "doseQuantity")
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise InputError(
            f"`doseQuantity.value` must be above 0, got {quantity['value']}",
            where("doseAndRate", 0, "doseQuantity", "value"),
        )
    return amount


def needs_start(order: Order) -> bool:
    """True when a step has no date of its own and the order gives no start date."""
    if order_start(order.request) is not None:
        return False
    for dosage in order.request.get("dosageInstruction") or []:
        repeat = ((dosage or {}).get("timing") or {}).get("repeat") or {}
        if not (repeat.get("boundsPeriod") or {}).get("start"):
            return True
    return False


def order_start(request: dict[str, Any]) -> date | None:
    validity = (request.get("dispenseRequest") or {}).get("validityPeriod") or {}
    for value in (validity.get("start"), request.get("authoredOn")):
        try:
            found = _date(value)
        except ValueError:
            continue
        if found is not None:
            return found
    return None


def _date(value: Any) -> date | None:
    """A FHIR date or dateTime → its date (the local date the order was written for)."""
    if value is None:
        return None
    return date.fromisoformat(str(value)[:10])


def _where(order: Order, lines: LineMap, name: str, index: int, *path: Any) -> str:
    full = (*order.path, "dosageInstruction", index, *path)
    line = line_for(full, lines)
    element = (
        "dosageInstruction["
        + str(index)
        + "]"
        + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    )
    return f"{name}:{line}: {element}" if line else f"{name}: {element}"
