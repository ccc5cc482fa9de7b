"""`titrate products`: a regimen's products."""

from __future__ import annotations

import typer

from titrate.cli.edge import fail, input_errors
from titrate.cli.options import FormatOpt, RegimenArg, RegimenFiles
from titrate.cli.output import emit, load_catalog, table_or_json, text_width

app = typer.Typer()


@app.command()
def products(
    regimen: RegimenArg, fmt: FormatOpt = None, regimen_files: RegimenFiles = None
) -> None:
    """List REGIMEN's products: strengths or concentration, storage, packs, sources.

    Example: titrate products baclofen -f json
    """
    with input_errors():
        from titrate.catalog import get_regimen
        from titrate.core.measure import product_catalogue

        chosen = get_regimen(regimen, load_catalog(regimen_files))
        refs = product_catalogue(chosen)
        if table_or_json(fmt) == "json":
            import json

            listing = {
                "regimen": chosen.id,
                "default_product": chosen.default_product,
                "products": [ref.model_dump(mode="json") for ref in refs],
            }
            emit(json.dumps(listing, indent=2, ensure_ascii=False) + "\n", "json", None)
            return
        if not refs:
            fail(f"regimen {chosen.id!r} lists no products")
        from titrate.render.table import products_text

        emit(products_text(chosen, refs, min(text_width(None)[0], 88)), "table", None)
