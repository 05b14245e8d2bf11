"""Charts that hold for any span and any number of calls: drawn for short and
long spans and for 1, 7 and 40 calls, at print and phone width, no two
labels overlap and none leaves the figure (measured with matplotlib's own
text extents); month labels are unambiguous; call colours stay apart."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from pipeline import charts
from pipeline.aggregate import TOTAL

AREAS = ["Nord", "Centro", "Sud e Isole", "Multiregionale"]
SPANS = [("2021-12", 1), ("2021-11", 2), ("2021-01", 12), ("2020-11", 14), ("2020-11", 26), ("2019-03", 40),
         ("2018-01", 72), ("2018-12", 73), ("2013-06", 150)]


def _months(start: str, n: int, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 140, n)
    if n > 2:
        values[-2:] = 0  # empty months up to the reference month
    return pd.Series(values, index=pd.period_range(start, periods=n, freq="M"))


def _tab(calls: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    body = pd.DataFrame(rng.integers(0, 5, (calls, 4)), columns=AREAS,
                        index=[f"Bando di prova con un nome lungo {i + 1} {2016 + i % 8}" for i in range(calls)])
    body.iloc[0] = [1, 2, 0, 1]
    body[TOTAL] = body.sum(axis=1)
    body.loc[TOTAL] = body.sum(axis=0)
    return body


def _texts(fig):
    """(text, extent in pixels) of every label the figure draws: texts and
    annotations, axis labels, tick labels within the axis range, legends."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    drawn = list(fig.texts)
    for legend in fig.legends:
        drawn += legend.get_texts()
    for ax in fig.axes:
        drawn += ax.texts
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                continue
            drawn.append(axis.label)
            low, high = sorted(axis.get_view_interval())
            drawn += [tick.label1 for tick in axis.get_major_ticks()
                      if tick.label1.get_visible() and low - 1e-9 <= tick.get_loc() <= high + 1e-9]
    shown = [(t.get_text(), t.get_window_extent(renderer)) for t in drawn
             if t.get_visible() and t.get_text().strip()]
    return shown, fig.bbox


def _assert_legible(fig):
    shown, frame = _texts(fig)
    assert shown
    for text, box in shown:
        assert frame.x0 - 0.5 <= box.x0 and box.x1 <= frame.x1 + 0.5, f"{text!r} leaves the figure"
        assert frame.y0 - 0.5 <= box.y0 and box.y1 <= frame.y1 + 0.5, f"{text!r} leaves the figure"
    for (a, box_a), (b, box_b) in combinations(shown, 2):
        overlap_x = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        overlap_y = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        assert overlap_x <= 0.5 or overlap_y <= 0.5, f"{a!r} overlaps {b!r}"
    return [text for text, _ in shown]


@pytest.mark.parametrize("variant", charts.VARIANTS, ids=lambda v: v.name)
@pytest.mark.parametrize("start,n", SPANS)
def test_monthly_chart_labels_never_overlap(start, n, variant):
    per_month = _months(start, n)
    texts = _assert_legible(charts.months_figure(per_month, variant))
    years = sorted({p.year for p in per_month.index})
    year_labels = [t for t in texts if t in {str(y) for y in years} | {f"’{y % 100:02d}" for y in years}]
    assert len(year_labels) == len(set(year_labels)), "a year is named twice"
    # Every full year is named; a year with only a month or two may be
    # shortened or left out, never repeated.
    full = [y for y in years if sum(p.year == y for p in per_month.index) == 12]
    for y in full:
        assert str(y) in year_labels or f"’{y % 100:02d}" in year_labels, (y, texts)
    assert not [t for t in texts if len(t) == 1 and t.isalpha()], "single-letter months are ambiguous"


def test_month_labels_are_babel_abbreviations_or_quarters():
    level, row, years = charts.month_axis(_months("2021-01", 12).index, 0.36, 8, 0.06, 0.06)
    assert level == "mesi" and [t for _, t in row][:3] == ["gen", "feb", "mar"] and years == [(5.5, "2021")]
    level, row, years = charts.month_axis(_months("2020-11", 26).index, 0.16, 8, 0.06, 0.06)
    assert level == "trimestri" and {t for _, t in row} <= {"T1", "T2", "T3", "T4"}
    assert [t for _, t in years] == ["2020", "2021", "2022"]
    assert years[1][0] == pytest.approx(7.5)  # centred under its twelve months (bars 2 to 13)
    level, row, years = charts.month_axis(_months("2013-06", 150).index, 0.029, 8, 0.06, 0.06)
    assert level == "anni" and row == []


def test_monthly_chart_names_a_year_once_centred_under_its_months():
    per_month = _months("2018-01", 72)
    level, row, years = charts.month_axis(per_month.index, 4.4 / 72, charts.PRINT.small_pt, 0.06, 0.06)
    assert [t for _, t in years] == ["2018", "2019", "2020", "2021", "2022", "2023"]
    assert [x for x, _ in years] == pytest.approx([5.5 + 12 * k for k in range(6)])


@pytest.mark.parametrize("variant", charts.VARIANTS, ids=lambda v: v.name)
@pytest.mark.parametrize("calls", [1, 7, 40])
def test_groups_chart_labels_never_overlap(calls, variant):
    data = charts.groups_data(_tab(calls))
    fig = charts.groups_figure(data, variant)
    texts = _assert_legible(fig)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    if calls <= len(charts.PALETTE):
        assert len(legend) == len(data) <= calls
    else:
        assert len(legend) == len(charts.PALETTE) + 1
        assert any(t.startswith("altri ") for t in legend)
        assert data.to_numpy().sum() == _tab(calls).loc[TOTAL, TOTAL]  # grouped, not dropped
    for area in AREAS:
        assert area in texts
    colours = {tuple(h.get_facecolor()) for h in fig.legends[0].legend_handles}
    assert len(colours) == len(legend), "two calls share a colour"


def test_smallest_calls_are_grouped_and_the_others_keep_tab_order():
    tab = _tab(12)
    data = charts.groups_data(tab)
    totals = tab.drop(index=TOTAL)[TOTAL]
    kept = list(data.index[:-1])
    assert kept == [label for label in tab.index if label in kept]  # Tab order
    assert min(totals[k] for k in kept) >= max(totals[k] for k in totals.index if k not in kept)
    assert data.index[-1] == f"altri {len(totals) - len(kept)} bandi"


def test_calls_without_groups_are_not_in_the_chart():
    tab = _tab(3)
    tab.iloc[1, :] = 0
    assert len(charts.groups_data(tab)) == 2


def test_palette_stays_apart_in_every_kind_of_vision():
    from coloraide import Color
    colours = list(charts.PALETTE) + [charts.OTHERS]
    views = {c: [Color(c)] + [Color(c).filter(kind) for kind in ("deutan", "protan", "tritan")] for c in colours}

    def distance(a, b):
        return min(x.delta_e(y, method="2000") for x, y in zip(views[a], views[b]))
    for c in colours:
        assert Color(c).contrast("white") >= 3, c
    for a, b in combinations(colours, 2):
        assert distance(a, b) >= 9.5, (a, b)
    for a, b in zip(charts.PALETTE, charts.PALETTE[1:]):
        assert distance(a, b) >= 15, (a, b)


def test_standalone_svg_names_a_sans_serif_fallback():
    svg = charts._drawn(charts.months_figure, _months("2021-01", 12), charts.PRINT)
    assert "font-family: 'Titillium Web', sans-serif" in svg
    assert "font-family: 'Titillium Web';" not in svg


def test_lean_svg_drops_only_bare_groups_and_null_rotations():
    drawn = ('<svg><g id="figure_1"><g id="patch_1"><path d="M 0 0"/></g><g id="line2d_2"/>'
             '<g clip-path="url(#p1)"><g><use x="1"/></g></g>'
             '<text x="1" transform="rotate(-0 1 2)">&lt;g id="x"&gt; transform="rotate(-0 1 2)"</text>'
             '<text x="2" transform="rotate(-90 1 2)">y</text></g></svg>')
    assert charts._lean(drawn) == (
        '<svg><path d="M 0 0"/><g clip-path="url(#p1)"><use x="1"/></g>'
        '<text x="1">&lt;g id="x"&gt; transform="rotate(-0 1 2)"</text>'
        '<text x="2" transform="rotate(-90 1 2)">y</text></svg>')


@pytest.mark.parametrize("figure, data", [(charts.groups_figure, _tab(12)),
                                          (charts.months_figure, _months("2019-01", 30))])
def test_charts_carry_no_bare_groups_and_clip_nothing_they_fit_in(figure, data):
    """Nodes WeasyPrint would visit for nothing: a group naming its content,
    a bar clipped to the axes it lies in (its clip path drawn once per bar)."""
    import re
    from xml.etree import ElementTree
    if figure is charts.groups_figure:
        data = charts.groups_data(data)
    svg = charts._drawn(figure, data, charts.PRINT)
    root = ElementTree.fromstring(svg.encode())
    groups = root.iter("{http://www.w3.org/2000/svg}g")
    assert all(set(g.attrib) - {"id"} for g in groups)
    assert not re.search(r"rotate\(-?0 ", svg)
    bars = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if "fill: #1b3a5c" in p.get("style", "")]
    assert bars and not any("clip-path" in p.attrib for p in bars)
    # One rectangle per path, as Axes.bar writes them: a month with meetings,
    # or an area (and the legend's square) for the first call.
    assert all(p.get("d").count("M") == 1 for p in bars)
    assert len(bars) == (int((data > 0).sum()) if figure is charts.months_figure else len(data.columns) + 1)
