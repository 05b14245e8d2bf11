"""Charts stage: matplotlib figures drawn from the aggregates, as SVG text.

Only matplotlib's object API is used (no pyplot: it costs a GUI backend
import and global state). Output is deterministic: no date in the metadata,
a fixed hash salt for element ids.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd

from .aggregate import TOTAL, Figures

# Colour-blind safe, distinct in greyscale, >= 3:1 against white.
PALETTE = ("#1b4f72", "#c0392b", "#117864", "#7d3c98", "#8a5a00", "#34495e", "#b03a2e")
INK = "#222222"
FONT_SIZE = 9

MONTHS_IT = ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")


@dataclass(frozen=True)
class Chart:
    name: str  # file stem, e.g. "gruppi-per-area"
    svg: str


def _style():
    import matplotlib
    return matplotlib.rc_context({
        "svg.hashsalt": "bilancio-sociale",
        "svg.fonttype": "path",
        "font.family": ["DejaVu Sans"],
        "font.size": FONT_SIZE,
        "axes.edgecolor": INK, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
        "text.color": INK,
        "axes.spines.top": False, "axes.spines.right": False,
    })


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
        fig = Figure(figsize=(6.3, 0.5 * len(areas) + 1.3), layout="constrained")
        ax = fig.add_subplot()
        left = pd.Series(0, index=areas)
        for i, (label, row) in enumerate(body.iterrows()):
            values = row[areas]
            ax.barh(areas, values, left=left, color=PALETTE[i % len(PALETTE)], label=label,
                    edgecolor="white", linewidth=0.8, height=0.6)
            left = left + values
        for y, total in enumerate(left):
            ax.text(total + 0.1, y, f"{int(total)}", va="center", ha="left", fontsize=FONT_SIZE)
        ax.set_xlabel("gruppi attivati")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(0, max(left.max(), 1) * 1.12)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3 if len(areas) > 2 else -0.5),
                  ncols=min(3, len(body)), frameon=False, fontsize=FONT_SIZE - 0.5)
        return _svg(fig)


def meetings_per_month(per_month: pd.Series) -> str:
    """Vertical bars: meetings in each month, Italian month labels."""
    from matplotlib.figure import Figure
    labels = [f"{MONTHS_IT[p.month - 1]}\n{p.year}" if (i == 0 or p.month == 1) else MONTHS_IT[p.month - 1]
              for i, p in enumerate(per_month.index)]
    with _style():
        fig = Figure(figsize=(6.3, 2.6), layout="constrained")
        ax = fig.add_subplot()
        ax.bar(range(len(per_month)), per_month.to_numpy(), color=PALETTE[0], width=0.7)
        ax.set_xticks(range(len(per_month)), labels, fontsize=FONT_SIZE - 1)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("incontri")
        for x, v in enumerate(per_month.to_numpy()):
            if v:
                ax.text(x, v, f"{int(v)}", ha="center", va="bottom", fontsize=FONT_SIZE - 1)
        return _svg(fig)


def draw(figures: Figures) -> list[Chart]:
    """Every chart of the section, in the order the page shows them."""
    charts = [Chart("gruppi-per-area", groups_by_area(figures.tab))]
    if len(figures.per_mese):
        charts.append(Chart("incontri-per-mese", meetings_per_month(figures.per_mese)))
    return charts
