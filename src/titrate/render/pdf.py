"""PDF (optional extra `titrate[pdf]`, fpdf2): the handout, from the same view model as
the HTML (`render.view` and `render.handout`), so both say the same things in the same
words.

The patient's pages come first (USP <17>: critical text at 12 pt, explicit dose and time;
the Universal Medication Schedule's times of day), then the pharmacist's page on a page of
its own; `RenderOptions.sheet` keeps one of them. Every page's header names the patient
and the dates, and a plan with an error finding carries the DO-NOT-USE banner in every
page's footer. Output is byte-identical for the same input: the creation date comes from
the plan's start date, never from the clock. Layout: `pdf_page` (fonts, header and
footer, text in lines), `pdf_patient`, `pdf_pharmacist`.
"""

from __future__ import annotations

from titrate.model import Plan
from titrate.render import RenderOptions
from titrate.render.handout import build_handout
from titrate.render.pdf_page import Writer
from titrate.render.pdf_patient import patient_pages
from titrate.render.pdf_pharmacist import pharmacist_page
from titrate.render.view import build_view


def render(plan: Plan, options: RenderOptions) -> bytes:
    view = build_view(plan, options)
    handout = build_handout(plan, view)
    writer = Writer(view.paper, plan.start, handout.banner)
    pdf = writer.pdf
    pdf.set_title(writer.printable(view.title))
    name = f"Name: {view.patient}" if view.patient else "Name:"
    writer.running_header(name, f"{view.regimen_name} · {handout.date_range}")
    if options.sheet != "pharmacist":
        pdf.add_page()
        patient_pages(writer, view, handout, f"{plan.timezone} local time", options)
    if options.sheet != "patient":
        pdf.add_page()
        pharmacist_page(writer, view, handout)
    return writer.output()
