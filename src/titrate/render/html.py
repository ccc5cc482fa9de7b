"""HTML: one self-contained page made for paper (inline CSS, no network, A4 or Letter).

Built from the shared view model (`render.view`), like the PDF. Jinja2 escapes every
value (autoescape on), so a patient named `<script>` is printed as text.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from titrate.model import Plan
from titrate.render import RenderOptions
from titrate.render.view import build_view, isolate

if TYPE_CHECKING:
    from jinja2 import Environment

# CSS page sizes; "auto" lets the printer's paper decide (the layout fits A4 and Letter).
_PAGE_SIZE = {None: "auto", "a4": "A4", "letter": "letter"}


@cache
def environment() -> Environment:
    # Imported here: jinja2 loads only when HTML is asked for.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("titrate", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(plan: Plan, options: RenderOptions) -> str:
    from titrate.render.handout import build_handout, css_string, margin_name

    view = build_view(plan, options)
    handout = build_handout(plan, view)
    # Day, Date, Time, Dose, [Amount], Taken, Day total, Findings
    columns = 8 if view.has_amounts else 7
    # <title> cannot hold markup: the name is isolated with Unicode isolate characters.
    who = f" for {isolate(view.patient)}" if view.patient else ""
    page_title = f"{view.title_head}{who}{view.title_tail}"
    return (
        environment()
        .get_template("plan.html")
        .render(
            view=view,
            handout=handout,
            sheet=options.sheet,
            pharmacy_phone=options.pharmacy_phone,
            pharmacy=options.pharmacy,
            prescriber=options.prescriber,
            zone_text=f"{plan.timezone} local time",
            name_css=css_string(margin_name(view.patient)),
            range_css=css_string(f"{plan.regimen.name} · {handout.date_range}"),
            banner_css=css_string(handout.banner) if handout.banner else None,
            columns=columns,
            page_title=page_title,
            page_size=_PAGE_SIZE.get(options.paper, "auto"),
        )
    )
