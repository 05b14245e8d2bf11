"""Render stage: the context becomes files (HTML page, PDF, CSV, JSON,
charts, fonts, manifest).

`edition_files` renders every output file of an edition to bytes in memory,
from its context alone; `publish` writes them. The Jinja
environment is made once per process (autoescape on, undefined names are
errors), its compiled templates kept in `.cache/modelli/`, and WeasyPrint fetches only `data:` URLs and files under the
project's asset folder.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import platform
import traceback
from pathlib import Path
from typing import Callable

import pandas as pd

from . import formatting, spreadsheets, versions
from .context import ChartView, Context, IndexEntry
from .errors import Problem, TemplateError, display_path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ASSETS = TEMPLATES / "assets"
ASSET_DIRS = ("fonts",)  # asset folders the web page needs beside it


# Templates compiled to Python bytecode are kept here, as Python keeps its
# own in __pycache__: Jinja compiling the templates again on every run costs
# more than rendering them. Each file is checked against its template's
# source before use (an edited template is compiled again), and the key of
# every file also covers what else shapes the compiled code (the
# environment's settings below, the filters, Jinja's and Python's versions).
CODE_CACHE = TEMPLATES.parent / ".cache" / "modelli"


@functools.cache
def _code_fingerprint() -> str:
    digest = hashlib.sha256(f"{platform.python_version()} {versions.version('jinja2')}".encode())
    for module in (Path(__file__), Path(formatting.__file__)):
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _bytecode_cache():
    from jinja2 import FileSystemBytecodeCache

    class TemplateCache(FileSystemBytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return super().get_cache_key(name, f"{filename}|{_code_fingerprint()}")

        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except OSError:
                pass  # unreadable: compiled again

        def dump_bytecode(self, bucket) -> None:
            try:  # written beside, then renamed (by Jinja): a reader never sees half a file
                CODE_CACHE.mkdir(parents=True, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass  # a cache that cannot be written only costs time

    return TemplateCache(str(CODE_CACHE))


@functools.cache
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, extensions=["jinja2.ext.i18n"],
                      bytecode_cache=_bytecode_cache())
    # Agreement in number ({% trans count=n %}…{% pluralize %}…{% endtrans %}): the
    # null translations' rule (singular for 1) is Italian's; blocks read as one line.
    env.install_null_translations(newstyle=True)
    env.policies["ext.i18n.trimmed"] = True
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


def size(n: int) -> str:
    """A file size as the download links show it: 12 kB, 1,2 MB."""
    if n >= 1_000_000:
        return f"{formatting.number(round(n / 1_000_000, 1))}\u00a0MB"
    return f"{formatting.number(max(1, round(n / 1000)))}\u00a0kB"


def html_page(ctx: Context, sizes: dict[str, str]) -> bytes:
    """The web page; `sizes`: the other files' sizes, by path."""
    return _render("pagina.html.j2", c=ctx, nav=ctx.navigazione, dimensioni=sizes).encode("utf-8")


def print_html(ctx: Context, touches=None, columns: dict[str, tuple[float, ...]] | None = None) -> str:
    """The print version's HTML; `columns`: the column widths (px) of
    tables laid out before, by caption id (`pagination.column_widths`)."""
    from .charts import PRINT
    from .pagination import Touches
    return _render("stampa.html.j2", c=ctx, ritocchi=touches or Touches(), colonne=columns or {},
                   larghezza_grafico=PRINT.width_in * 72)


def pdf(ctx: Context, variant: str | None = "pdf/ua-1") -> bytes:
    """The print version, rendered by WeasyPrint: PDF/UA-1 by default, or
    another variant such as the archival "pdf/a-3b".

    Every variant is tagged (structure tree, /Lang, DisplayDocTitle, alt
    text of the charts, /Scope and /Headers of table cells): WeasyPrint tags
    PDF/UA on its own, and `pdf_tags` keeps the tags in PDF/A-3b, which
    would otherwise drop them. Fonts are embedded, subsetted by HarfBuzz
    (reproducibly). A page left more than a third empty by a figure that
    moved on is laid out again with that figure allowed to give way; a long
    table may break from the start (`pagination`); tables keep the column
    widths of the first layout, which
    pagination does not change, instead of measuring every cell again.
    """
    from weasyprint import HTML

    from .fetcher import LocalFetcher
    from .pagination import column_widths, first_touches, scope_headers, touches
    options = {"pdf_variant": variant, "pdf_tags": True, "uncompressed_pdf": False, "custom_metadata": False}
    applied, columns = first_touches({f"tab-{ctx.tabella.numero}": len(ctx.tabella.righe) + 1}), {}
    for _ in range(3):
        document = HTML(string=print_html(ctx, applied, columns), base_url=ASSETS.as_uri() + "/",
                        url_fetcher=LocalFetcher()).render(**options)
        wanted = touches(document, applied)
        if wanted == applied:
            break
        applied = wanted
        columns = columns or column_widths(document)
    return document.write_pdf(finisher=scope_headers, **options)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP, “CSV
    injection”): one starting with = + - @, a tab or a carriage return gets
    a leading apostrophe. Only for text: numbers are written as numbers."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM: without it Excel reads the accents wrong. Text
    cells (labels, headers, text columns) are neutralised with
    `spreadsheet_text`; numeric columns are written as they are."""
    def safe(values):
        return [spreadsheet_text(v) if isinstance(v, str) else v for v in values]
    frame = frame.copy()
    frame.index = pd.Index(safe(frame.index), name=spreadsheet_text(str(frame.index.name or "")) or None)
    frame.columns = safe(frame.columns)
    for column in frame.columns[frame.dtypes.eq(object)]:
        frame[column] = safe(frame[column])
    return frame.to_csv(lineterminator="\n").encode("utf-8-sig")


def table_csv(ctx: Context) -> bytes:
    t = ctx.tabella
    frame = pd.DataFrame([list(values) for _, values in t.righe] + [list(t.totale)],
                         columns=list(t.colonne),
                         index=pd.Index([label for label, _ in t.righe] + ["Totale"], name="Bando"))
    return _csv(frame)


def chart_csv(chart: ChartView) -> bytes:
    """`dati/grafico-<n>.csv`: the numbers the chart plots, with a total row."""
    t = chart.tabella
    frame = pd.DataFrame([list(values) for _, _, values in t.righe] + [list(t.totale)], columns=list(t.colonne),
                         index=pd.Index([key for _, key, _ in t.righe] + ["Totale"], name=t.intestazione))
    return _csv(frame)


def figures_json(ctx: Context) -> bytes:
    return (json.dumps(ctx.cifre, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@functools.cache  # the libraries a process has imported do not change under it
def _versions() -> dict[str, str]:
    names = ("pandas", "numpy", "matplotlib", "weasyprint", "jinja2", "babel")
    return {"python": platform.python_version(), **{n: versions.version(n) for n in names}}


def manifest(ctx: Context, files: dict[str, bytes]) -> bytes:
    """`manifest.json`: the edition, its inputs and every other output, with hashes."""
    s = ctx.sezione
    data = {
        "edizione": {"anno": ctx.anno, "sezione": s.numero, "titolo": s.titolo, "parte": s.parte,
                     "tabella": s.tabella, "data_riferimento": ctx.data_riferimento.isoformat(),
                     "pagina": s.pagina, "pdf": s.pdf, "csv": s.tabella_csv},
        "input": [{"path": i.path, **({"foglio": i.foglio} if i.foglio else {}), "sha256": i.sha256,
                   "rows": i.rows} for i in ctx.ingressi],
        "output": [{"path": k, "sha256": hashlib.sha256(v).hexdigest()} for k, v in sorted(files.items())],
        "versioni": _versions(),
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _assets() -> dict[str, bytes]:
    files = {}
    for folder in ASSET_DIRS:
        source = ASSETS / folder
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    files[f"assets/{path.relative_to(ASSETS).as_posix()}"] = path.read_bytes()
    return files


def _direct(name: str, fn, *args):
    return fn(*args)


def edition_files(ctx: Context, pdf_variant: str | None = "pdf/ua-1",
                  stage: Callable = _direct, with_pdf: bool | bytes = True) -> dict[str, bytes]:
    """Every output file of an edition (path relative to its folder ->
    bytes), from its context alone. `stage(name, fn, *args)` runs the slow
    steps (a build passes one that times them). `with_pdf` False leaves the
    PDF out, bytes stand in for it (the live preview's quick rebuild, which
    renders the PDF afterwards)."""
    files: dict[str, bytes] = {}
    if with_pdf is True:
        files[ctx.file_pdf] = stage("pdf", pdf, ctx, pdf_variant)
    elif with_pdf:
        files[ctx.file_pdf] = with_pdf
    files[ctx.sezione.tabella_csv] = table_csv(ctx)
    files["dati/cifre.json"] = figures_json(ctx)
    for g in ctx.grafici:
        files[g.file] = g.svg.encode("utf-8")
        files[g.file_dati] = chart_csv(g)
    files.update(spreadsheets.files(ctx))
    files.update(_assets())
    files[ctx.sezione.pagina] = stage("html", html_page, ctx, {k: size(len(v)) for k, v in files.items()})
    files["manifest.json"] = manifest(ctx, files)
    return files


def index_page(editions: tuple[IndexEntry, ...], ente) -> bytes:
    """`output/index.html`: every edition present, newest first."""
    return _render("indice.html.j2", edizioni=editions, ente=ente).encode("utf-8")
