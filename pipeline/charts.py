"""Charts stage: matplotlib figures drawn from the aggregates, as SVG text.

Every chart is drawn twice: at the width it is printed (the PDF, the wide
page and the standalone file) and for a phone's column (the page shows it
below 36rem), each with text that stays legible at that width. Labels are
chosen by measuring them: the monthly chart names months ("gen", "feb"),
quarters ("T1") or only years, whatever fits, with one year label per year
centred under its months; calls beyond what the palette keeps apart are
grouped as "altri bandi" (the Tab keeps them all).

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
from pathlib import Path

import pandas as pd

from . import formatting, versions
from .aggregate import TOTAL, Figures

# Call colours, ordered so that neighbours differ most. Chosen by measuring
# (tests/test_charts.py): each has at least 3:1 contrast against white (WCAG
# 1.4.11); every pair, also the grey of "altri bandi", stays at least 9.5
# apart (CIEDE2000) in normal vision and in simulated deuteranopia,
# protanopia and tritanopia, and neighbours at least 15 apart. A white rule
# separates the stacked segments as well.
PALETTE = ("#1b3a5c", "#a43a41", "#2f60b2", "#a56b38", "#1988a3", "#5e1c36", "#884b75")
OTHERS = "#77726c"  # "altri bandi"
INK = "#1d1d1b"
MUTED = "#6f6b66"  # axis and its label, 5.3:1 against white
GRID = "#dedad4"
FONTS = Path(__file__).resolve().parent.parent / "templates" / "assets" / "fonts"
FAMILY = "Titillium Web"
# The standalone SVG files name a fallback after the bundled font.
FALLBACK = "sans-serif"


@dataclass(frozen=True)
class Variant:
    """One width a chart is drawn for, with its text sizes (points)."""

    name: str
    width_in: float
    text_pt: float  # labels, legend
    small_pt: float  # month and value labels
    month_height_in: float


# Drawn at the size they are printed (about 117 mm wide): the PDF shows them
# 1:1 and the wide page enlarges them a little (34rem).
PRINT = Variant("stampa", 4.6, 9, 8, 1.95)
# The phone column at 390 px is 350 CSS px (3.65 in at 96 px per inch): drawn
# at that width, 9.5 pt text shows at 12.7 CSS px.
PHONE = Variant("telefono", 3.65, 10, 9.5, 2.25)
VARIANTS = (PRINT, PHONE)


@dataclass(frozen=True, eq=False)
class Chart:
    name: str  # file stem, e.g. "gruppi-per-area"
    svg: str  # drawn for print (and the wide page, and the file)
    svg_telefono: str  # drawn for a phone's column
    data: pd.DataFrame  # what the chart plots (rows and columns as its table shows them)


@functools.cache
def _register_fonts() -> None:
    """Make the bundled Titillium Web known to matplotlib (once per process)."""
    from matplotlib import font_manager
    for path in sorted(FONTS.glob("TitilliumWeb-*.ttf")):
        font_manager.fontManager.addfont(str(path))


def _style(variant: Variant):
    import matplotlib
    _register_fonts()
    return matplotlib.rc_context({
        "svg.hashsalt": "bilancio-sociale",
        # Text stays text: WeasyPrint sets it in the document's bundled font
        # (far quicker than drawing glyph outlines) and the page, where the
        # SVG is inlined, uses its own @font-face.
        "svg.fonttype": "none",
        "font.family": [FAMILY],
        "font.size": variant.text_pt,
        # Record text is text: a "$" in a call's name is not maths.
        "text.parse_math": False,
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

    def prefixed(tag: str) -> str:
        tag = re.sub(r'\bid="', f'id="{prefix}', tag)
        return tag.replace("url(#", f"url(#{prefix}").replace('href="#', f'href="#{prefix}')
    svg = _in_tags(svg, prefixed)  # text from the records (`id="x"` in a name) stays as written
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


_MARKUP = re.compile(r"<!--.*?-->|<[^>]*>", re.S)


def _in_tags(svg: str, edit) -> str:
    """`svg` with `edit` applied to its tags only, never to text content
    (where matplotlib escapes `<` and `>`, so a tag cannot start there)."""
    return _MARKUP.sub(lambda m: m.group(0) if m.group(0).startswith("<!--") else edit(m.group(0)), svg)


def _with_fallback(svg: str) -> str:
    """Name a sans-serif after the bundled font wherever the SVG sets it, so
    that the file read on its own never falls back to a serif."""
    return _in_tags(svg, lambda tag: tag.replace(f"font-family: '{FAMILY}'", f"font-family: '{FAMILY}', {FALLBACK}"))


_GROUP_TAG = re.compile(r"(\n *)?<(/?)g\b([^>]*)>")
_BARE_GROUP = re.compile(r'(?: id="[^"]*")?/?')
_NO_ROTATION = re.compile(r' transform="rotate\(-?0 [^)"]*\)"')


def _lean(svg: str) -> str:
    """The same drawing in fewer nodes, each of which WeasyPrint otherwise
    visits while drawing the PDF (and a browser while rendering the page):
    no group that only names its content (matplotlib opens one per artist,
    an empty one for a tick without a mark), no text rotated by 0 degrees.
    Only tags are edited (text from the records stays as written; matplotlib
    escapes `<` in it, so a tag cannot start there)."""
    kept: list[bool] = []  # for every open group: is it kept?
    parts, start = [], 0
    for m in _GROUP_TAG.finditer(svg):
        closing, attributes = m.group(2), m.group(3)
        if closing:
            keep = kept.pop()
        else:
            keep = not _BARE_GROUP.fullmatch(attributes)
            if not attributes.endswith("/"):
                kept.append(keep)
        if not keep:
            parts.append(svg[start:m.start()])
            start = m.end()
    parts.append(svg[start:])
    return _in_tags("".join(parts), lambda tag: _NO_ROTATION.sub("", tag) if tag.startswith("<text") else tag)


def _svg(fig) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    buffer = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None, "Creator": None})
    return _with_fallback(_lean(_one_path_per_bar(buffer.getvalue())))


@functools.cache
def _text_width_in(text: str, size_pt: float, weight: str = "normal") -> float:
    """Width of `text` set in the bundled font, in inches (matplotlib's own
    metrics, the ones it lays the chart out with)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath
    _register_fonts()
    prop = FontProperties(family=FAMILY, size=size_pt, weight=weight)
    width, _height, _descent = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return width / 72


def _wrap(text: str, size_pt: float, width_in: float) -> str:
    """`text` broken at spaces into lines no wider than `width_in` (a word
    longer than that stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width_in(f"{lines[-1]} {word}", size_pt) <= width_in:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines) or text


BARS = "barre"  # the id of a path of bars (see `_bars`), written out one bar per path


def _bars(ax, rectangles, **style) -> None:
    """Bars of one colour, rectangles (x0, y0, x1, y1) in data units, added
    to `ax` as `Axes.bar` would draw them (corner by corner from (x0, y0),
    counter-clockwise) but as one artist: matplotlib lays out and draws one
    path instead of one patch per bar. They lie within the axes' limits by
    construction: neither clipped (WeasyPrint would draw the clip path once
    per bar) nor measured by the layout."""
    import numpy as np
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath
    if not rectangles:
        return
    vertices = np.array([[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)] for x0, y0, x1, y1 in rectangles],
                        dtype=float).reshape(-1, 2)
    codes = np.tile([MplPath.MOVETO] + [MplPath.LINETO] * 3 + [MplPath.CLOSEPOLY], len(rectangles))
    ax.add_patch(PathPatch(MplPath(vertices, codes), clip_on=False, in_layout=False, gid=BARS, **style))


_BAR_PATH = re.compile(f'<g id="{BARS}">\\s*<path d="([^"]*)"([^>]*)/>\\s*</g>')
_SUBPATH = re.compile(r"(?<=z)\s*(?=M)")


def _one_path_per_bar(svg: str) -> str:
    """Each bar of a `_bars` path as a path of its own, as `Axes.bar` writes
    them: a PDF viewer may set a lone rectangle's edges on whole pixels
    (poppler does), which it does not do for the rectangles of one path."""
    return _BAR_PATH.sub(lambda m: "".join(f'<path d="{d}"{m.group(2)}/>' for d in _SUBPATH.split(m.group(1))), svg)


def _italian_ticks(axis) -> None:
    """Integer ticks written the Italian way (1.234)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: formatting.number(int(round(v)))))


# --- Groups per area and call -------------------------------------------

def others_label(calls: int) -> str:
    return f"altri {formatting.number(calls)} bandi"


def groups_data(tab: pd.DataFrame) -> pd.DataFrame:
    """What the groups chart plots: groups per call (rows, Tab order) and
    area (columns), only calls with groups; past the palette's size the
    calls with most groups keep their colour and the rest are summed in a
    last row "altri N bandi"."""
    body = tab.drop(index=TOTAL).drop(columns=TOTAL)
    body = body.loc[body.sum(axis=1) > 0]
    if len(body) > len(PALETTE):
        totals = body.sum(axis=1)
        order = sorted(range(len(body)), key=lambda i: (-int(totals.iloc[i]), i))
        keep = sorted(order[:len(PALETTE)])
        rest = body.drop(index=body.index[keep])
        body = pd.concat([body.iloc[keep], rest.sum().to_frame(others_label(len(rest))).T])
    body.index.name = "Bando"
    return body.astype(int)


def groups_figure(data: pd.DataFrame, variant: Variant = PRINT):
    """Horizontal stacked bars: one bar per macro-area, a segment per call."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    areas = list(data.columns)[::-1]
    colours = [OTHERS if label.startswith("altri ") and i == len(PALETTE) else PALETTE[i % len(PALETTE)]
               for i, label in enumerate(data.index)]
    with _style(variant):
        # Legend: two columns when the longest label fits in half the width.
        legend_pt = variant.text_pt - 0.5
        handle_in = legend_pt * 2.6 / 72  # the square and the space after it
        column_in = (variant.width_in - 0.2) / 2 - handle_in
        ncols = 2 if len(data) > 1 and max(_text_width_in(s, legend_pt) for s in data.index) <= column_in else 1
        width = column_in if ncols == 2 else variant.width_in - 0.2 - handle_in
        labels = [_wrap(str(s), legend_pt, width) for s in data.index]
        lines = [labels[i: i + ncols] for i in range(0, len(labels), ncols)]
        legend_in = sum(max(s.count("\n") + 1 for s in row) for row in lines) * legend_pt * 1.45 / 72
        fig = Figure(figsize=(variant.width_in, 0.42 * len(areas) * variant.text_pt / 9 + 0.75 + legend_in),
                     layout="constrained")
        ax = fig.add_subplot()
        # One path per call, a bar 0.6 high per area as `barh` draws them (the
        # y limits follow from the bars, with the usual margins).
        ax.set_yticks(range(len(areas)), areas)
        left = pd.Series(0, index=areas)
        for colour, (label, row) in zip(colours, data.iterrows()):
            values = row[areas]
            _bars(ax, [(start, y - 0.3, start + value, y - 0.3 + 0.6)
                       for y, (start, value) in enumerate(zip(left, values))],
                  facecolor=colour, edgecolor="white", linewidth=0.8)
            left = left + values
        ax.autoscale_view(scalex=False)
        for y, total in enumerate(left):
            ax.annotate(formatting.number(int(total)), (total, y), xytext=(3, 0), textcoords="offset points",
                        va="center", ha="left", fontsize=variant.text_pt, fontweight="bold")
        ax.set_xlabel("gruppi attivati", color=MUTED, fontsize=variant.small_pt)
        _italian_ticks(ax.xaxis)
        ax.tick_params(axis="x", labelsize=variant.small_pt)
        ax.tick_params(axis="y", labelsize=variant.text_pt)
        ax.set_xlim(0, max(left.max(), 1) * 1.12)
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x")
        ax.set_axisbelow(True)
        # matplotlib fills legend columns first; reorder so that it reads in
        # rows, left to right, in the order of the segments.
        handles = [Patch(facecolor=c) for c in colours]
        rows = -(-len(labels) // ncols)
        order = [r * ncols + c for c in range(ncols) for r in range(rows) if r * ncols + c < len(labels)]
        fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside lower left",
                   ncols=ncols, fontsize=legend_pt, handlelength=1, handleheight=1, columnspacing=1.5)
    return fig


# --- Meetings per month -------------------------------------------------

def _month_names() -> dict[int, str]:
    from babel.dates import get_month_names
    return dict(get_month_names("abbreviated", locale=formatting.LOCALE, context="stand-alone"))


def _quarter_names() -> dict[int, str]:
    from babel.dates import get_quarter_names
    return dict(get_quarter_names("abbreviated", locale=formatting.LOCALE))


def _runs(keys: list) -> list[tuple[object, int, int]]:
    """Consecutive equal keys as (key, first index, last index)."""
    runs: list[tuple[object, int, int]] = []
    for i, key in enumerate(keys):
        if runs and runs[-1][0] == key:
            runs[-1] = (key, runs[-1][1], i)
        else:
            runs.append((key, i, i))
    return runs


def _place(spans: list[tuple[int, int]], widths: list[float], low: float, high: float, gap: float):
    """Centres for labels of the given widths, each as near as can be to the
    middle of its span (first, last index), in order, `gap` apart, within
    [low, high]; None when they cannot all fit."""
    centres = [(a + b) / 2 for a, b in spans]
    for i in range(len(centres)):  # push right past the previous label
        floor = low + widths[i] / 2 if i == 0 else centres[i - 1] + (widths[i - 1] + widths[i]) / 2 + gap
        centres[i] = max(centres[i], floor)
    for i in reversed(range(len(centres))):  # then left, from the right end
        ceiling = high - widths[i] / 2 if i == len(centres) - 1 else \
            centres[i + 1] - (widths[i + 1] + widths[i]) / 2 - gap
        centres[i] = min(centres[i], ceiling)
    if centres and centres[0] - widths[0] / 2 < low - 1e-9:
        return None
    return centres


def month_axis(months: pd.PeriodIndex, slot_in: float, size_pt: float, left_in: float, right_in: float):
    """The labels under the monthly bars: (level, first row, year row).

    level is "mesi", "trimestri" or "anni"; a row is a list of (x, text) in
    bar units (bar i at x = i). Months are named when every name fits under
    its bar, else quarters when they fit under their months, else only
    years. Years are centred under their months, never overlapping (a year
    with too few months for its label gets "’21"; one that still does not
    fit is left out, its months read from their neighbours)."""
    gap = size_pt * 0.35 / 72  # inches between two labels
    names = _month_names()
    n = len(months)
    first_row: list[tuple[float, str]] = []
    if max(_text_width_in(s, size_pt) for s in names.values()) + gap <= slot_in:
        level = "mesi"
        first_row = [(i, names[p.month]) for i, p in enumerate(months)]
    else:
        quarters = _runs([(p.year, p.quarter) for p in months])
        labels = _quarter_names()
        if max(_text_width_in(s, size_pt) for s in labels.values()) + gap <= 3 * slot_in:
            level = "trimestri"
            for (year, q), a, b in quarters:
                text = labels[q]
                if _text_width_in(text, size_pt) + gap <= (b - a + 1) * slot_in:  # a partial quarter may not fit
                    first_row.append(((a + b) / 2, text))
        else:
            level = "anni"
    years = _runs([p.year for p in months])
    spans = [(a, b) for _, a, b in years]
    low, high = -0.5 - left_in / slot_in, n - 0.5 + right_in / slot_in

    def fits(text: str, span: tuple[int, int]) -> bool:
        return _text_width_in(text, size_pt, "bold") + gap <= (span[1] - span[0] + 1) * slot_in

    # A year reads in full where it fits under its months, else as "’21".
    texts = [str(y) if fits(str(y), span) else f"’{y % 100:02d}" for (y, _, _), span in zip(years, spans)]
    keep = list(range(len(years)))
    while keep:
        widths = [_text_width_in(texts[i], size_pt, "bold") / slot_in for i in keep]
        centres = _place([spans[i] for i in keep], widths, low, high, gap / slot_in)
        if centres is not None:
            return level, first_row, [(c, texts[i]) for c, i in zip(centres, keep)]
        # Too many years to name them all: leave out the one with fewest months.
        keep.remove(min(keep, key=lambda i: (spans[i][1] - spans[i][0], -i)))
    return level, first_row, []


def months_figure(per_month: pd.Series, variant: Variant = PRINT):
    """Vertical bars, one per month to the reference month (empty months
    included); each bar carries its value where values fit above the bars,
    else a value axis with a light grid."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, MaxNLocator
    from matplotlib.transforms import blended_transform_factory
    values = per_month.to_numpy()
    n = len(values)
    top_value = max(int(values.max()), 1)
    size = variant.small_pt
    line_in = size * 1.6 / 72  # Titillium Web's ascent and descent span about 1.5 em
    with _style(variant):
        # Geometry in inches, fixed before drawing so that labels can be
        # chosen by measuring them against the room each bar has.
        value_labels = [formatting.number(int(v)) for v in values]
        side_in = 0.06
        ticks = MaxNLocator(nbins=4, integer=True).tick_values(0, top_value)
        ticks = [t for t in ticks if 0 <= t <= top_value * 1.1]
        tick_labels = [formatting.number(int(t)) for t in ticks]
        axis_in = max(_text_width_in(s, size) for s in tick_labels) + 0.08
        slot_in = (variant.width_in - 2 * side_in) / n
        on_bars = max(_text_width_in(s, size) for s in value_labels) <= slot_in * 0.92
        left_in = side_in if on_bars else side_in + axis_in
        slot_in = (variant.width_in - left_in - side_in) / n
        # Year labels may reach into the outer margin, not into the value axis.
        level, first_row, year_row = month_axis(per_month.index, slot_in, size, side_in if on_bars else 0, side_in)
        rows = 2 if first_row else 1
        bottom_in = 0.08 + rows * line_in
        top_in = line_in + 0.04 if on_bars else size / 72
        height = variant.month_height_in
        fig = Figure(figsize=(variant.width_in, height))
        ax = fig.add_axes((left_in / variant.width_in, bottom_in / height,
                           1 - (left_in + side_in) / variant.width_in, 1 - (bottom_in + top_in) / height))
        bar_in = min(0.72 * slot_in, 0.32)
        half = bar_in / slot_in / 2
        _bars(ax, [(x - half, 0, x + half, v) for x, v in enumerate(values) if v],
              facecolor=PALETTE[0], edgecolor="none")
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(0, top_value)
        ax.spines["left"].set_visible(False)
        ax.spines["bottom"].set_color(MUTED)
        ax.set_xticks([])
        # Year boundaries: a light rule down through the labels.
        boundaries = [i - 0.5 for i, p in enumerate(per_month.index) if p.month == 1 and i > 0]
        ax.xaxis.set_minor_locator(FixedLocator(boundaries))
        ax.tick_params(axis="x", which="minor", length=(rows * line_in + 0.05) * 72, width=0.6, color=GRID)
        if on_bars:
            ax.yaxis.set_visible(False)
            for x, (v, s) in enumerate(zip(values, value_labels)):
                if v:
                    ax.text(x, v, s, ha="center", va="bottom", fontsize=size)
        else:
            ax.set_yticks(ticks, tick_labels, fontsize=size)
            ax.tick_params(axis="y", length=0, pad=3)
            ax.grid(axis="y")
            ax.set_axisbelow(True)
        where = blended_transform_factory(ax.transData, fig.dpi_scale_trans)
        y = bottom_in - 0.06
        for x, text in first_row:
            ax.text(x, y, text, transform=where, ha="center", va="top", fontsize=size, clip_on=False, color=MUTED)
        if first_row:
            y -= line_in
        for x, text in year_row:
            ax.text(x, y, text, transform=where, ha="center", va="top", fontsize=size, clip_on=False,
                    fontweight="bold")
    return fig


def months_data(per_month: pd.Series) -> pd.DataFrame:
    """What the monthly chart plots: one row per month."""
    frame = per_month.rename("Incontri").to_frame()
    frame.index.name = "Mese"
    return frame


# --- Drawing, with a cache ----------------------------------------------

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
    digest.update(versions.version("matplotlib").encode())
    return digest.hexdigest()


# matplotlib's settings (rc_context) are global to the process: the live
# preview, which builds in two threads, draws one chart at a time.
_DRAWING = threading.Lock()


def _one_at_a_time(draw_fn, data) -> str:
    with _DRAWING:
        return draw_fn(data)


def _cached(name: str, data: pd.DataFrame | pd.Series, draw_fn, folder: Path | None) -> str:
    if folder is None:
        return _one_at_a_time(draw_fn, data)
    key = hashlib.sha256(f"{_code_fingerprint()}\n{name}\n{data.to_csv()}".encode()).hexdigest()[:32]
    path = folder / f"{name}-{key}.svg"
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    svg = _one_at_a_time(draw_fn, data)
    try:  # written beside, then renamed: a reader never sees half a file
        folder.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        staging.write_text(svg, "utf-8")
        os.replace(staging, path)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return svg


def _drawn(figure_fn, data, variant: Variant) -> str:
    with _style(variant):  # the SVG writer reads the style too (text as text, id salt)
        return _svg(figure_fn(data, variant))


def _chart(name: str, data: pd.DataFrame, plotted, figure_fn, cache: Path | None) -> Chart:
    svgs = [_cached(f"{name}-{v.name}", plotted, functools.partial(_drawn, figure_fn, variant=v), cache)
            for v in VARIANTS]
    return Chart(name, svgs[0], svgs[1], data)


def draw(figures: Figures, cache: Path | None = None) -> list[Chart]:
    """Every chart of the section, in the order the page shows them;
    `cache`: the folder of charts already drawn (None: draw them all)."""
    charts = []
    groups = groups_data(figures.tab)
    if len(groups):
        charts.append(_chart("gruppi-per-area", groups, groups, groups_figure, cache))
    if len(figures.per_mese):
        charts.append(_chart("incontri-per-mese", months_data(figures.per_mese), figures.per_mese,
                             months_figure, cache))
    return charts
