"""Text from the inputs is text everywhere it is published: in the charts
(no mathtext, no legend-hiding underscore), in the SVG inlined in the page
(an `id="…"` in a name is not rewritten), in the CSV downloads (cells that a
spreadsheet would run as formulas are neutralised, numbers stay numbers).
"""

from __future__ import annotations

import csv
import html
import io
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import charts
from pipeline.build import build
from pipeline.render import spreadsheet_text

HOSTILE_NAMES = ["Costi $x^2$ e $y$", "_nascosto", 'Bando id="graf1-x" <b>', "url(#p1) href=\"#a\"",
                 "=SOMMA(A1:A9)", "-3", "+39 06", "@utente", "\tTab", "font-family: 'Titillium Web'"]


def _tab(names: list[str]) -> pd.DataFrame:
    """A Tab with one call per name, one group each in turn per area."""
    areas = ["Nord", "Centro", "Sud e Isole", "Multiregionale"]
    rows = {name: [1 if j == i % 4 else 0 for j in range(4)] for i, name in enumerate(names)}
    tab = pd.DataFrame.from_dict(rows, orient="index", columns=areas)
    tab["Totale"] = tab.sum(axis=1)
    tab.loc["Totale"] = tab.sum(axis=0)
    return tab


def _texts(svg: str) -> list[str]:
    """The text content of every <text> element, unescaped and joined per
    element (a wrapped legend label spans several <tspan>s or lines)."""
    return [html.unescape(re.sub(r"<[^>]+>", "\n", m)).strip()
            for m in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, flags=re.S)]


def test_names_reach_the_chart_and_the_page_as_written():
    names = HOSTILE_NAMES[:7]
    svg = charts._drawn(charts.groups_figure, charts.groups_data(_tab(names)), charts.PRINT)
    inlined = charts.inline(svg, "graf1-")
    for drawn in (svg, inlined):
        texts = "\n".join(_texts(drawn))
        for name in names:
            words = name.split()
            assert all(w in texts for w in words), (name, texts)  # every word, in order of the legend
    # The legend has an entry per call, the underscored one included.
    assert "_nascosto" in "\n".join(_texts(inlined))
    # Ids are prefixed in markup only: the text `id="graf1-x"` stays as typed.
    assert 'id="graf1-x"' in html.unescape(inlined) and 'id="graf1-graf1-x"' not in html.unescape(inlined)
    assert "url(#p1)" in "\n".join(_texts(inlined))
    assert not re.search(r'\sid="(?!graf1-)', re.sub(r">[^<]*<", "><", inlined))  # every real id prefixed


@settings(max_examples=25, deadline=None, derandomize=True)
@given(name=st.text(alphabet=st.sampled_from(list('$_^\\{}#%&<>"\'=+-@ abc$€à')), min_size=1, max_size=30)
       .filter(lambda s: s.strip()))
def test_any_name_is_drawn_verbatim(name):
    svg = charts.inline(charts._drawn(charts.groups_figure, charts.groups_data(_tab([name.strip(), "Altro"])),
                                      charts.PRINT), "g-")
    texts = "\n".join(_texts(svg))
    assert all(word in texts for word in name.split()), (name, texts)


def test_spreadsheet_formulas_are_neutralised_numbers_are_not():
    assert [spreadsheet_text(v) for v in ("=1+1", "+39", "-3", "@a", "\tx", "\rx", "Prima", "", "a=b")] == \
        ["'=1+1", "'+39", "'-3", "'@a", "'\tx", "'\rx", "Prima", "", "a=b"]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """The sample edition with hostile call names, built."""
    from .conftest import DATA
    import shutil
    base = tmp_path_factory.mktemp("testo")
    data = base / "raw"
    shutil.copytree(DATA, data)
    bandi = data / "2021" / "bandi.csv"
    rows = list(csv.reader(io.StringIO(bandi.read_text("utf-8"))))
    for row, name in zip(rows[1:], ["_nascosto $x^2$", "=SOMMA(A1:A9)", "-3"]):
        row[1] = name
    rows += [["XX2018", "@utente", "2018"], ["YY2019", "+39", "2019"]]  # calls without groups: Tab rows of zeros
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    bandi.write_text(buffer.getvalue(), "utf-8")
    out = base / "output"
    build(data, out, years=[2021], log=lambda line: None)
    return out / "2021", [r[1] + " " + r[2] for r in rows[1:]]


def test_published_csv_cells_cannot_run_as_formulas(hostile_build):
    folder, labels = hostile_build
    for path in sorted((folder / "dati").glob("*.csv")):
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
        for row in rows:
            for cell in row:
                assert not cell[:1] in ("=", "+", "-", "@", "\t", "\r"), (path.name, cell)
    tab = list(csv.reader(io.StringIO((folder / "dati" / "tab-21.csv").read_text("utf-8-sig"))))
    first = [row[0] for row in tab[1:]]
    assert first[:5] == ["_nascosto $x^2$ 2016", "'=SOMMA(A1:A9) 2016", "'-3 2017", "'@utente 2018", "'+39 2019"]
    assert all(re.fullmatch(r"[0-9]+", cell) for row in tab[1:] for cell in row[1:])  # numbers stay numbers


def test_hostile_names_are_text_in_page_and_figures(hostile_build):
    import json
    folder, labels = hostile_build
    figures = json.loads((folder / "dati" / "cifre.json").read_text("utf-8"))
    assert set(figures["progetti_per_bando"]) == set(labels)  # JSON keys as written: JSON runs nothing
    page = html.unescape((folder / "2-19-comunita-di-pratiche.html").read_text("utf-8"))
    for label in labels:
        assert label in page
