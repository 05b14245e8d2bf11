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
import traceback
from pathlib import Path

import pandas as pd

from . import formatting
from .context import Context
from .errors import Problem, TemplateError, display_path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ASSETS = TEMPLATES / "assets"


@functools.cache
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(formatting.FILTERS)
    env.filters["data_uri"] = lambda svg: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return env


def _render(name: str, **values) -> str:
    """A template rendered; a mistake in a template (syntax, an unknown
    name) becomes a TemplateError that names the template's file and line,
    as input problems do."""
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateSyntaxError
    try:
        return environment().get_template(name).render(**values)
    except TemplateSyntaxError as exc:
        where = Path(exc.filename) if exc.filename else TEMPLATES / name
        raise TemplateError([Problem(display_path(where), exc.lineno or 0, "",
                                     f"errore nel modello ({exc.message})")]) from None
    except JinjaError as exc:
        # Jinja maps its frames back to template lines: the innermost one
        # inside templates/ is where the mistake is.
        where, line = TEMPLATES / name, 0
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            filename = Path(frame.f_code.co_filename)
            if filename.is_relative_to(TEMPLATES):
                where, line = filename, lineno
        raise TemplateError([Problem(display_path(where), line, "",
                                     f"errore nel modello ({exc})")]) from None


def html_page(ctx: Context, nav: dict) -> bytes:
    return _render("pagina.html.j2", c=ctx, nav=nav).encode("utf-8")


def print_html(ctx: Context) -> str:
    return _render("stampa.html.j2", c=ctx)


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
    return _render("indice.html.j2", edizioni=editions, ente=ente).encode("utf-8")
