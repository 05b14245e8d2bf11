"""Render stage: the context becomes files (HTML page, PDF, CSV, JSON).

Everything is rendered to bytes in memory; `publish` writes them. The Jinja
environment is made once per process (autoescape on, undefined names are
errors) and WeasyPrint fetches only `data:` URLs and files under the
project's asset folder.
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path

import pandas as pd

from . import formatting
from .context import Context

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ASSETS = TEMPLATES / "assets"


@functools.cache
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, extensions=["jinja2.ext.i18n"])
    # Agreement in number ({% trans count=n %}…{% pluralize %}…{% endtrans %}): the
    # null translations' rule (singular for 1) is Italian's; blocks read as one line.
    env.install_null_translations(newstyle=True)
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(formatting.FILTERS)
    env.filters["data_uri"] = lambda svg: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return env


def html_page(ctx: Context, nav: dict) -> bytes:
    return environment().get_template("pagina.html.j2").render(c=ctx, nav=nav).encode("utf-8")


def print_html(ctx: Context) -> str:
    return environment().get_template("stampa.html.j2").render(c=ctx)


def pdf(ctx: Context, variant: str | None = "pdf/ua-1") -> bytes:
    """The print version, rendered by WeasyPrint: PDF/UA-1 by default, or
    another variant such as the archival "pdf/a-3b".

    Every variant is tagged (structure tree, /Lang, DisplayDocTitle, alt
    text of the charts): WeasyPrint tags PDF/UA on its own, and `pdf_tags`
    keeps the tags in PDF/A-3b, which would otherwise drop them. Fonts are
    embedded, subsetted by HarfBuzz (reproducibly).
    """
    from weasyprint import HTML

    from .fetcher import LocalFetcher
    document = HTML(string=print_html(ctx), base_url=ASSETS.as_uri() + "/", url_fetcher=LocalFetcher())
    return document.write_pdf(pdf_variant=variant, pdf_tags=True, uncompressed_pdf=False, custom_metadata=False)


def table_csv(ctx: Context) -> bytes:
    t = ctx.tabella
    frame = pd.DataFrame([list(values) for _, values in t.righe] + [list(t.totale)],
                         columns=list(t.colonne),
                         index=pd.Index([label for label, _ in t.righe] + ["Totale"], name="Bando"))
    return frame.to_csv(lineterminator="\n").encode("utf-8")


def figures_json(ctx: Context) -> bytes:
    return (json.dumps(ctx.cifre, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def index_page(editions: list[dict], ente) -> bytes:
    """`output/index.html`: every edition present, newest first."""
    return environment().get_template("indice.html.j2").render(
        edizioni=editions, ente=ente).encode("utf-8")
