"""Charts stage: matplotlib figures drawn from the aggregates, as SVG text.

Only matplotlib's object API is used (no pyplot: it costs a GUI backend
import and global state). Output is deterministic: no date in the metadata,
a fixed hash salt for element ids.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import formatting
from .aggregate import TOTAL, Figures

# Every colour has at least 3:1 contrast against white (WCAG 1.4.11) and
# neighbouring colours alternate dark and light (relative luminance 0.04,
# 0.22, 0.13, 0.23, 0.04, 0.20, 0.26), so stacked segments stay apart in
# greyscale; a white rule separates them as well.
PALETTE = ("#1b3a5c", "#d1603d", "#2a6f63", "#8f7ab8", "#5b2a4e", "#9c7418", "#6b8fb3")
INK = "#1d1d1b"
MUTED = "#6f6b66"  # axis and its label, 5.3:1 against white
GRID = "#dedad4"
FONT_SIZE = 9
# Drawn at the size they are printed (about 117 mm wide): the PDF shows them
# 1:1 and a 390 px phone screen shrinks them by only a fifth.
WIDTH_IN = 4.6
FONTS = Path(__file__).resolve().parent.parent / "templates" / "assets" / "fonts"
FAMILY = "Titillium Web"

MONTHS_IT = ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")
LONG_SPAN = 15  # months; past this, ticks show the initial only (g f m a ...)


@dataclass(frozen=True)
class Chart:
    name: str  # file stem, e.g. "gruppi-per-area"
    svg: str


@functools.cache
def _register_fonts() -> None:
    """Make the bundled Titillium Web known to matplotlib (once per process)."""
    from matplotlib import font_manager
    for path in sorted(FONTS.glob("TitilliumWeb-*.ttf")):
        font_manager.fontManager.addfont(str(path))


def _style():
    import matplotlib
    _register_fonts()
    return matplotlib.rc_context({
        "svg.hashsalt": "bilancio-sociale",
        # Text stays text: WeasyPrint sets it in the document's bundled font
        # (far quicker than drawing glyph outlines) and the page, where the
        # SVG is inlined, uses its own @font-face. Standalone files fall back
        # to a sans-serif where Titillium Web is not installed.
        "svg.fonttype": "none",
        "font.family": [FAMILY],
        "font.size": FONT_SIZE,
        "axes.edgecolor": MUTED, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
        "xtick.major.size": 0, "ytick.major.size": 0, "xtick.major.pad": 4, "ytick.major.pad": 4,
        "text.color": INK,
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": False, "grid.color": GRID, "grid.linewidth": 0.6,
        "legend.frameon": False,
    })


def inline(svg: str, prefix: str) -> str:
    """The SVG as markup inside an HTML page: no XML prolog, doctype or
    metadata; ids (and references to them) prefixed so that two charts on
    one page never share one; hidden from assistive technology, since the
    page gives the chart's text alternative."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    svg = svg.replace("url(#", f"url(#{prefix}").replace('href="#', f'href="#{prefix}')
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


def _italian_ticks(axis) -> None:
    """Integer ticks written the Italian way (1.234)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: formatting.number(int(round(v)))))


def _svg(fig) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    buffer = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def groups_by_area(tab: pd.DataFrame) -> str:
    """Horizontal stacked bars: one bar per macro-area, a segment per call."""
    from matplotlib.figure import Figure
    body = tab.drop(index=TOTAL).drop(columns=TOTAL)
    areas = list(body.columns)[::-1]
    with _style():
        legend_rows = -(-len(body) // 2)
        fig = Figure(figsize=(WIDTH_IN, 0.42 * len(areas) + 0.8 + 0.2 * legend_rows), layout="constrained")
        ax = fig.add_subplot()
        left = pd.Series(0, index=areas)
        for i, (label, row) in enumerate(body.iterrows()):
            values = row[areas]
            ax.barh(areas, values, left=left, color=PALETTE[i % len(PALETTE)], label=label,
                    edgecolor="white", linewidth=0.8, height=0.6)
            left = left + values
        for y, total in enumerate(left):
            ax.text(total + 0.15, y, formatting.number(int(total)), va="center", ha="left",
                    fontsize=FONT_SIZE, fontweight="bold")
        ax.set_xlabel("gruppi attivati", color=MUTED)
        _italian_ticks(ax.xaxis)
        ax.set_xlim(0, max(left.max(), 1) * 1.1)
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x")
        ax.set_axisbelow(True)
        # matplotlib fills legend columns first; reorder so that it reads in
        # rows, left to right, in the order of the segments.
        handles, labels = ax.get_legend_handles_labels()
        ncols = min(2, len(labels))
        rows = -(-len(labels) // ncols)
        order = [r * ncols + c for c in range(ncols) for r in range(rows) if r * ncols + c < len(labels)]
        fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside lower left",
                   ncols=ncols, fontsize=FONT_SIZE - 0.5, handlelength=1, handleheight=1, columnspacing=1.5)
        return _svg(fig)


def meetings_per_month(per_month: pd.Series) -> str:
    """Vertical bars: meetings in each month, Italian month labels."""
    from matplotlib.figure import Figure
    def name(month: int) -> str:
        return MONTHS_IT[month - 1][0] if len(per_month) > LONG_SPAN else MONTHS_IT[month - 1]
    labels = [f"{name(p.month)}\n{p.year}" if (i == 0 or p.month == 1) else name(p.month)
              for i, p in enumerate(per_month.index)]
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 1.9), layout="constrained")
        ax = fig.add_subplot()
        ax.bar(range(len(per_month)), per_month.to_numpy(), color=PALETTE[0], width=0.7)
        ax.set_xticks(range(len(per_month)), labels, fontsize=FONT_SIZE - 1)
        # Every bar carries its value, so the value axis would only repeat it.
        ax.yaxis.set_visible(False)
        ax.spines["left"].set_visible(False)
        ax.spines["bottom"].set_color(MUTED)
        ax.set_ylim(0, max(int(per_month.max()), 1) * 1.15)
        for x, v in enumerate(per_month.to_numpy()):
            if v:
                ax.text(x, v, formatting.number(int(v)), ha="center", va="bottom", fontsize=FONT_SIZE - 1)
        return _svg(fig)


# Charts already drawn are kept here, named by a hash of everything that
# shapes them: a rebuild whose chart data did not change skips matplotlib
# (its import alone is a third of a second). Set PIPELINE_CACHE to another
# folder, or to an empty value to draw every time.
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "grafici"


def cache_dir() -> Path | None:
    value = os.environ.get("PIPELINE_CACHE")
    if value is None:
        return CACHE
    return Path(value) if value.strip() else None


@functools.cache
def _code_fingerprint() -> str:
    """What, besides the data, decides a chart's bytes: this module, the
    fonts, matplotlib's version."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(FONTS.glob("*.ttf")):
        digest.update(path.read_bytes())
    digest.update(metadata.version("matplotlib").encode())
    return digest.hexdigest()


# matplotlib's settings (rc_context) are global to the process: the live
# preview, which builds in two threads, draws one chart at a time.
_DRAWING = threading.Lock()


def _drawn(draw_fn, data) -> str:
    with _DRAWING:
        return draw_fn(data)


def _cached(name: str, data: pd.DataFrame | pd.Series, draw_fn, folder: Path | None) -> Chart:
    if folder is None:
        return Chart(name, _drawn(draw_fn, data))
    key = hashlib.sha256(f"{_code_fingerprint()}\n{name}\n{data.to_csv()}".encode()).hexdigest()[:32]
    path = folder / f"{name}-{key}.svg"
    try:
        return Chart(name, path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        pass
    svg = _drawn(draw_fn, data)
    try:  # written beside, then renamed: a reader never sees half a file
        folder.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        staging.write_text(svg, "utf-8")
        os.replace(staging, path)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return Chart(name, svg)


def draw(figures: Figures, cache: Path | None = None) -> list[Chart]:
    """Every chart of the section, in the order the page shows them;
    `cache`: the folder of charts already drawn (None: draw them all)."""
    charts = [_cached("gruppi-per-area", figures.tab, groups_by_area, cache)]
    if len(figures.per_mese):
        charts.append(_cached("incontri-per-mese", figures.per_mese, meetings_per_month, cache))
    return charts
