"""Unit tests of the pure stages, on tiny inline frames."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipeline import aggregate, formatting
from pipeline.load import parse
from pipeline.edition import slugify, Section


def _bandi():
    return pd.DataFrame({"bando": ["B1", "B2", "B3"], "nome": ["Uno", "Due", "Tre"], "anno": [2016, 2017, 2018],
                         "etichetta": ["Uno 2016", "Due 2017", "Tre 2018"]})


def _gruppi():
    return pd.DataFrame({
        "gruppo": ["G1", "G2", "G3", "G4"],
        "bando": ["B1", "B1", "B2", "B2"],
        "area": pd.Categorical(["Nord", "Sud e Isole", "Sud e Isole", "Multiregionale"],
                               categories=["Nord", "Centro", "Sud e Isole", "Multiregionale"], ordered=True),
        "facilitatore": ["A", "B", "A", "C"],
    })


def test_groups_table_has_calls_in_file_order_zero_cells_and_totals():
    tab = aggregate.groups_table(_bandi(), _gruppi())
    assert list(tab.index) == ["Uno 2016", "Due 2017", "Tre 2018", "Totale"]
    assert list(tab.columns) == ["Nord", "Centro", "Sud e Isole", "Multiregionale", "Totale"]
    assert tab.loc["Uno 2016"].tolist() == [1, 0, 1, 0, 2]
    assert tab.loc["Tre 2018"].tolist() == [0, 0, 0, 0, 0]
    assert tab.loc["Totale"].tolist() == [1, 0, 2, 1, 4]


def test_meetings_after_reference_date_are_not_counted():
    incontri = pd.DataFrame({"data": pd.to_datetime(["2021-12-31", "2022-01-01"])})
    assert len(aggregate.counted_meetings(incontri, date(2021, 12, 31))) == 1


def test_meetings_by_month_fills_empty_months():
    meetings = pd.DataFrame({"data": pd.to_datetime(["2020-11-10", "2020-11-20", "2021-02-01"])})
    per_month = aggregate.meetings_by_month(meetings)
    assert [str(p) for p in per_month.index] == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert per_month.tolist() == [2, 0, 0, 1]
    to_reference = aggregate.meetings_by_month(meetings, date(2021, 5, 31))
    assert str(to_reference.index[-1]) == "2021-05" and to_reference.tolist() == [2, 0, 0, 1, 0, 0, 0]


def test_cycle_coverage_needs_every_cycle_theme():
    temi = pd.DataFrame({"tema": ["A", "B", "X"], "titolo": ["a", "b", "x"], "ciclo": pd.array([1, 2, None], dtype="Int64")})
    meetings = pd.DataFrame({"gruppo": ["G1", "G1", "G2", "G2", "G3"], "tema": ["A", "B", "A", "X", "A"]})
    frame = aggregate.cycle_coverage(meetings, _gruppi(), temi)
    assert frame.set_index("gruppo")["completo"].to_dict() == {"G1": True, "G2": False, "G3": False, "G4": False}
    assert frame.set_index("gruppo")["temi_ciclo"].to_dict()["G2"] == (1,)


def test_projects_by_call_counts_only_projects_in_a_group():
    progetti = pd.DataFrame({"bando": ["B1", "B1", "B2"], "gruppo": ["G1", None, "G3"]})
    frame = aggregate.projects_by_call(_bandi(), progetti)
    assert frame["progetti"].tolist() == [2, 1, 0]
    assert frame["coinvolti"].tolist() == [1, 1, 0]


def test_italian_formatting():
    assert formatting.number(1234) == "1.234"
    assert formatting.number(12.5) == "12,5"
    assert formatting.long_date(date(2021, 12, 31)) == "31\u00a0dicembre 2021"
    assert formatting.month(date(2020, 11, 10)) == "novembre 2020"
    assert formatting.count(1, "gruppo", "gruppi") == "1\u00a0gruppo"
    assert formatting.count(16, "gruppo", "gruppi") == "16\u00a0gruppi"
    assert formatting.join(["A", "B", "C"]) == "A, B e C"
    assert formatting.join(["A"]) == "A"
    assert formatting.typeset("l'iniziativa \"Comunità\"") == "l’iniziativa “Comunità”"


def test_slug_comes_from_number_and_title():
    assert Section("2.19", "Comunità di pratiche", "Parte seconda", 21).slug == "2-19-comunita-di-pratiche"
    assert slugify("4.3 Comunità di pratiche") == "4-3-comunita-di-pratiche"


@pytest.mark.parametrize("raw", [
    "bando,nome,anno\nPI,Prima Infanzia,2016\n".encode("utf-8"),
    "\ufeffBANDO ; Nome;anno\r\nPI ;Prima Infanzia; 2016\r\n\r\n".encode("utf-8"),
    "bando;nome;anno\n\nPI;Prima Infanzia;2016\n".encode("cp1252"),
])
def test_load_reads_every_excel_flavour_the_same(raw):
    table = parse("bandi", None, raw, "bandi.csv")
    assert table.problems == []
    assert list(table.frame.columns) == ["bando", "nome", "anno"]
    assert table.frame.astype(str).values.tolist() == [["PI", "Prima Infanzia", "2016"]]


def test_load_line_numbers_follow_the_spreadsheet():
    raw = 'a,b\n\n1,"due\nrighe"\n3,x\n'.encode()
    table = parse("t", None, raw, "t.csv")
    assert table.lines.tolist() == [3, 5]
    assert table.frame["b"].astype(str).tolist() == ["due\nrighe", "x"]


def test_load_windows_1252_accents_come_out_right():
    table = parse("t", None, "titolo\nComunità\n".encode("cp1252"), "t.csv")
    assert table.frame["titolo"].astype(str).tolist() == ["Comunità"]


def test_chart_cache_gives_the_same_bytes_as_drawing(tmp_path):
    from pipeline import charts
    from pipeline.build import summarise_edition
    from pipeline.edition import load_edition
    from .conftest import DATA
    edition, _ = load_edition(DATA, 2021)
    figures = summarise_edition(edition, lambda line: None).figures
    def svgs(drawn):
        return [(c.svg, c.svg_telefono) for c in drawn]
    drawn = charts.draw(figures)
    cold = charts.draw(figures, tmp_path)
    assert len(list(tmp_path.glob("*.svg"))) == 4  # two charts, each for print and for a phone
    warm = charts.draw(figures, tmp_path)
    assert svgs(drawn) == svgs(cold) == svgs(warm)
    figures.per_mese.iloc[0] += 1  # other data, another file
    assert svgs(charts.draw(figures, tmp_path))[1] != svgs(warm)[1]
    assert len(list(tmp_path.glob("incontri-per-mese-*.svg"))) == 4


@pytest.mark.parametrize("raw", [
    "a,b\n x,y\n", "a,b\nx ,y\n", "a;b\nx; y\n", "a,b\nx,y \n", "a,b\nx,y ", "a,b\nx,\ty\n", "a,b\nx,y\u00a0\n",
])
def test_padding_anywhere_is_trimmed(raw):
    table = parse("t", None, raw.encode(), "t.csv")
    assert table.frame.astype(str).values.tolist() == [["x", "y"]]


def test_inner_spaces_are_kept():
    table = parse("t", None, "a,b\nin presenza,Sud e Isole\n".encode(), "t.csv")
    assert table.frame.astype(str).values.tolist() == [["in presenza", "Sud e Isole"]]


@pytest.mark.parametrize("raw, line, cells", [
    ("a,b\n1,2\n3,4,5\n6,7\n", 3, 3),  # wider than the header: every line is counted
    ("a;b;;\n1;2;;\n3;4;x;\n5;6\n", 3, 4),  # header padded by Excel: its width, a filled padding cell
    ('a,b\n"1",2\n3,4,5\n', 3, 3),  # the same with quotes (the other reader)
])
def test_load_reports_the_cells_of_a_shifted_line(raw, line, cells):
    table = parse("t", None, raw.encode(), "t.csv")
    shifted = [p for p in table.problems if "celle ma l’intestazione" in p.message]
    assert [(p.line, p.message.split(" ma ")[0]) for p in shifted] == [(line, f"la riga ha {cells} celle")]
    assert table.shifted.tolist() == [i == line - 2 for i in range(len(table.frame))]


def test_load_lines_narrower_than_the_header_and_blank_lines_are_kept_in_place():
    table = parse("t", None, b"a,b,c\n1,2,3\n\n4,5\n6,7,8\n", "t.csv")
    assert table.problems == []
    assert table.lines.tolist() == [2, 4, 5]
    assert table.frame.astype(str).fillna("").values.tolist()[0] == ["1", "2", "3"]
    assert table.frame["a"].astype(str).tolist() == ["1", "4", "6"]
