"""Plain-text and JSON views of regimen data and the rule catalogue (`show`, `rules`)."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

from titrate.citation import BASIS_TEXT, citations, cite
from titrate.model import Regimen, Sourced, Step
from titrate.render.common import mg, number

if TYPE_CHECKING:
    from titrate.rules import Rule


def _fact_line(label: str, value: str, fact: Sourced) -> str:
    return f"  {label:<28} {value}  [{', '.join(fact.source)}; {fact.basis}]"


def _step_lines(steps: list[Step]) -> list[str]:
    lines, day = [], 1
    for index, step in enumerate(steps, start=1):
        last = day + step.days - 1
        length = f"{step.weeks} weeks" if step.weeks else f"{step.days} days"
        often = (
            f"{step.per_day}x a day every {step.every_days} days"
            if step.every_days > 1
            else f"{step.per_day}x a day"
        )
        lines.append(
            f"  {index}. {mg(step.dose_mg)} {often} for {length} (days {day}-{last}), "
            f"{mg(step.total_mg)} a dose day"
        )
        day = last + 1
    return lines


def _ladder_lines(regimen: Regimen) -> list[str]:
    """Each ladder of a regimen with several: when it applies, its steps, its limits."""
    lines = ["", "Schedules (ladders), chosen by indication and co-medication:"]
    for indication in regimen.indications:
        lines.append(_fact_line(f"indication {indication.id}", indication.name, indication))
    for group in regimen.co_medication_groups:
        lines.append(_fact_line(f"co-medication {group.id}", group.name, group))
    for ladder in regimen.ladders:
        when = ladder.when
        parts = [f"with any of {', '.join(when.with_any)}"] if when.with_any else []
        parts += [f"with all of {', '.join(when.with_all)}"] if when.with_all else []
        parts += [f"without {', '.join(when.without)}"] if when.without else []
        lines += ["", f"  {ladder.id}: {ladder.name}"]
        lines.append(
            f"  indication {ladder.indication or '-'}; "
            f"{'; '.join(parts) if parts else 'the default (no group named)'}"
            f"  [{', '.join(ladder.source)}; {ladder.basis}]"
        )
        lines += _step_lines(ladder.titration.steps)
        lines.append(f"  [{', '.join(ladder.titration.source)}; {ladder.titration.basis}]")
        limits = ladder.limits or regimen.limits
        lines.append(
            _fact_line("daily maximum", mg(limits.max_daily_mg.value), limits.max_daily_mg)
        )
        if limits.max_single_mg:
            lines.append(
                _fact_line(
                    "largest single dose", mg(limits.max_single_mg.value), limits.max_single_mg
                )
            )
        if ladder.dose_times is not None:
            times = "; ".join(
                f"{per_day}x: {', '.join(clock.strftime('%H:%M') for clock in clocks)}"
                for per_day, clocks in sorted(ladder.dose_times.by_frequency.items())
            )
            lines.append(_fact_line("dose times", times, ladder.dose_times))
    return lines


def regimen_text(regimen: Regimen) -> str:
    lines = [f"{regimen.name} ({regimen.id})", ""]
    lines += textwrap.wrap(regimen.summary, 88)
    if regimen.ladders:
        lines += _ladder_lines(regimen)
    rule = regimen.titration.rule
    if rule is not None:
        lines += [
            "",
            "Titration rule (the prescriber chooses the step, the interval and the target):",
        ]
        lines.append(
            f"  start {mg(rule.start_mg)} {rule.per_day.value}x a day "
            f"[{', '.join(rule.per_day.source)}; {rule.per_day.basis}]"
        )
        escalation = regimen.limits.escalation
        if escalation is not None:
            low = escalation.min_increment_mg_per_dose
            late = escalation.max_days_between_increases
            rise = (
                f"{mg(low)} to {mg(escalation.max_increment_mg_per_dose)}"
                if low is not None
                else f"at most {mg(escalation.max_increment_mg_per_dose)}"
            )
            days = (
                f"{escalation.min_days_between_increases} to {late} days"
                if late is not None
                else f"at least {escalation.min_days_between_increases} days"
            )
            lines.append(f"  then raise each dose by {rise}, {days} apart, up to the target")
    else:
        lines += ["", "Titration steps:"]
    day = 1
    for index, step in enumerate(regimen.titration.steps, start=1):
        last = day + step.days - 1
        lines.append(
            f"  {index}. {mg(step.dose_mg)} {step.per_day}x a day for {step.days} days "
            f"(days {day}-{last}), {mg(step.total_mg)} a day"
        )
        day = last + 1
    lines.append(f"  [{', '.join(regimen.titration.source)}; {regimen.titration.basis}]")
    lines += ["", "Limits:"]
    limits = regimen.limits
    lines.append(_fact_line("daily maximum", mg(limits.max_daily_mg.value), limits.max_daily_mg))
    if limits.max_single_mg:
        lines.append(
            _fact_line("largest single dose", mg(limits.max_single_mg.value), limits.max_single_mg)
        )
    if limits.max_doses_per_day:
        lines.append(
            _fact_line(
                "doses a day, at most",
                number(limits.max_doses_per_day.value),
                limits.max_doses_per_day,
            )
        )
    if limits.min_hours_between_doses:
        lines.append(
            _fact_line(
                "hours between doses, least",
                number(limits.min_hours_between_doses.value),
                limits.min_hours_between_doses,
            )
        )
    if limits.escalation:
        esc = limits.escalation
        lines.append(
            _fact_line(
                "fastest escalation",
                f"+{mg(esc.max_increment_mg_per_dose)} per dose, "
                f"every {esc.min_days_between_increases} days",
                esc,
            )
        )
        low, late = esc.min_increment_mg_per_dose, esc.max_days_between_increases
        if low is not None or late is not None:
            rise = (
                f"+{mg(low)} to {mg(esc.max_increment_mg_per_dose)} per dose"
                if low is not None
                else f"up to +{mg(esc.max_increment_mg_per_dose)} per dose"
            )
            apart = (
                f"{esc.min_days_between_increases} to {late} days apart"
                if late is not None
                else f"at least {esc.min_days_between_increases} days apart"
            )
            lines.append(_fact_line("labeled escalation range", f"{rise}, {apart}", esc))
    if regimen.review:
        lines += ["", "Review:"]
        lines.append(_fact_line("review by", f"day {regimen.review.by_day}", regimen.review))
        lines += textwrap.wrap(
            regimen.review.text, 88, initial_indent="    ", subsequent_indent="    "
        )
    if regimen.population:
        lines += ["", "Population:"]
        lines.append(
            _fact_line(
                "minimum age",
                f"{number(regimen.population.min_age_years)} years",
                regimen.population,
            )
        )
    lines += _stopping_lines(regimen)
    lines += ["", "Default clock times:"]
    for per_day, clocks in sorted(regimen.dose_times.by_frequency.items()):
        lines.append(f"  {per_day}x a day: {', '.join(c.strftime('%H:%M') for c in clocks)}")
    lines.append(f"  [{', '.join(regimen.dose_times.source)}; {regimen.dose_times.basis}]")
    notes = [(path, fact) for path, fact in regimen.facts() if fact.note]
    if notes:
        lines += ["", "Notes:"]
        for path, fact in notes:
            lines += textwrap.wrap(
                f"{path}: {fact.note} ({BASIS_TEXT[fact.basis]})",
                88,
                initial_indent="  ",
                subsequent_indent="    ",
            )
    lines += ["", "Sources:"]
    for source in regimen.sources:
        section = f", {source.section}" if source.section else ""
        lines.append(f"  [{source.id}] {source.title}{section}")
        lines.append(f"       {source.url} (retrieved {source.retrieved}; {source.kind})")
    return "\n".join(lines) + "\n"


def _stopping_lines(regimen: Regimen) -> list[str]:
    """Renal bands (our edges and the label's), the dialysis supplement, a taper by doses
    a day and the restart rule, where the regimen has them."""
    lines: list[str] = []
    renal = regimen.renal
    if renal is not None and renal.bands:
        lines += ["", "Kidney function (CrCl bands: our edges | as the label prints them):"]
        for band in renal.bands:
            regimen_words = (
                f"{mg(band.daily_mg.min)} to {mg(band.daily_mg.max)} a day, {band.per_day}x a day"
                if band.daily_mg is not None and band.per_day is not None
                else f"each dose x {band.dose_factor}"
                if band.dose_factor is not None
                else band.suggestion or ""
            )
            printed = band.edges_as_printed or "(not given)"
            lines.append(_fact_line(band.edges, f"{printed} | {regimen_words}", band))
            if band.regimen_columns_mg:
                columns = ", ".join(mg(column) for column in band.regimen_columns_mg)
                lines.append(f"    doses by column: {columns}")
            if band.edges_note:
                lines += textwrap.wrap(
                    band.edges_note, 88, initial_indent="    ", subsequent_indent="    "
                )
        extra = renal.dialysis.supplemental if renal.dialysis is not None else None
        if extra is not None:
            doses = ", ".join(mg(dose) for dose in extra.by_regimen_column_mg)
            lines.append(
                _fact_line(
                    "after each dialysis session",
                    f"{doses} by column (per {number(extra.after_each_session_hours)} h)",
                    extra,
                )
            )
    taper = regimen.taper
    if taper is not None and taper.frequency_steps is not None:
        steps = ", then ".join(f"{s.per_day}x a day {s.days} days" for s in taper.frequency_steps)
        lines += ["", "Taper (each dose kept, doses a day fall):"]
        lines.append(_fact_line("by doses a day", f"{steps}, then stop", taper))
    restart = regimen.restart
    if restart is not None:
        gap = (
            f"{number(restart.after_days)} days"
            if restart.after_days is not None
            else f"{number(restart.hours)} hours"
        )
        lines += ["", "Restart after a break:"]
        lines.append(_fact_line("titrate again after", f"more than {gap} without a dose", restart))
    return lines


def _enforced(rule: Rule, regimen: Regimen | None) -> dict[str, Any] | None:
    """The regimen fact a rule enforces, with its value, basis and citation."""
    if regimen is None:
        return None
    node: Any = regimen
    for part in rule.enforces.split("."):
        node = getattr(node, part, None)
        if node is None:
            return {"field": rule.enforces, "present": False}
    if not isinstance(node, Sourced):
        return {"field": rule.enforces, "present": True}
    return {
        "field": rule.enforces,
        "present": True,
        "basis": node.basis,
        "source": cite(regimen, node),
        "citations": citations(regimen, node),
    }


def rules_text(rules: list[Rule], regimen: Regimen | None) -> str:
    lines: list[str] = []
    for rule in rules:
        lines.append(f"{rule.code}  {rule.slug}  [{rule.severity}]  ({rule.scope})")
        lines += ["    " + line if line else "" for line in rule.doc.splitlines()]
        enforced = _enforced(rule, regimen)
        if enforced is None:
            lines.append(f"    Enforces: {rule.enforces} in the regimen data (cited per regimen).")
        elif not enforced["present"]:
            lines.append(
                f"    Enforces: {rule.enforces}: not set for "
                f"{regimen.id if regimen else ''}; rule inactive."
            )
        else:
            basis = f" ({BASIS_TEXT[enforced['basis']]})" if "basis" in enforced else ""
            lines.append(f"    Enforces: {rule.enforces}{basis}")
            lines += [f"      {citation}" for citation in enforced.get("citations", [])]
        lines.append("")
    return "\n".join(lines)


def rules_json(rules: list[Rule], regimen: Regimen | None) -> str:
    rows = [
        {
            "code": rule.code,
            "rule": rule.slug,
            "severity": rule.severity,
            "scope": rule.scope,
            "summary": rule.summary,
            "doc": rule.doc,
            "enforces": rule.enforces,
            **({"regimen": _enforced(rule, regimen)} if regimen else {}),
        }
        for rule in rules
    ]
    return json.dumps(rows, indent=2) + "\n"


def rules_markdown(rules: list[Rule], regimens: list[Regimen]) -> str:
    """The rule catalogue as Markdown (docs/rules.md is this, for the built-in regimens):
    each rule's code, slug, severity, documentation and examples, and for each regimen
    the data it enforces with that data's basis and sources."""
    lines = [
        "# titrate's rules",
        "",
        "Generated by `titrate rules -f md` from the rules' own documentation and the",
        "built-in regimen data; do not edit by hand. Each Passes and Fails example is run",
        "by a test (`tests/rules/`), so what is written here is what the rules do.",
        "",
        "| Code | Rule | Severity | Checks | Summary |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| [{r.code}](#{r.code.lower()}-{r.slug}) | `{r.slug}` | {r.severity} | {r.scope} "
        f"| {r.summary} |"
        for r in rules
    ]
    for rule in rules:
        summary, _, rest = rule.doc.partition("\n")
        lines += ["", f"## {rule.code} {rule.slug}", ""]
        lines += [f"**{rule.severity}**, checks a {rule.scope}. {summary}", ""]
        for paragraph in rest.strip().split("\n\n"):
            lines += [_md_paragraph(paragraph), ""]
        lines.append(f"Enforces `{rule.enforces}`:")
        lines.append("")
        for regimen in regimens:
            enforced = _enforced(rule, regimen)
            assert enforced is not None
            if not enforced["present"]:
                lines.append(f"- {regimen.id}: not set (the rule does not apply).")
                continue
            basis = f" ({BASIS_TEXT[enforced['basis']]})" if "basis" in enforced else ""
            cited = "; ".join(enforced.get("citations", [])) or "sources of the regimen"
            lines.append(f"- {regimen.id}{basis}: {cited}")
    return "\n".join(lines) + "\n"


def _md_paragraph(text: str) -> str:
    """Passes/Fails/Source lines as a list; other lines joined into one paragraph."""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith(("Passes:", "Fails:", "Source:")):
            label, _, said = line.partition(":")
            out.append(f"- **{label}**: {said.strip()}")
        elif line.startswith(" ") and out and out[-1].startswith("- "):
            out[-1] += " " + line.strip()
        elif line.startswith(("What it does:", "Why it matters:")):
            label, _, said = line.partition(":")
            out.append(("\n" if out else "") + f"**{label}**: {said.strip()}")
        elif out:
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
    return "\n".join(out)
