"""The spreadsheets readers download (`dati/<slug>.xlsx`, `.ods`): they open
with pandas, openpyxl and odfpy, hold exactly the figures of cifre.json, and
follow the Analysis Function's guidance for releasing statistics in
spreadsheets; two builds give the same bytes."""

from __future__ import annotations

import json
import re
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from odf import opendocument
from odf.namespaces import DCNS, TABLENS
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from odf.text import A
from openpyxl import load_workbook

from pipeline import spreadsheets
from pipeline.formatting import long_date

EDITIONS = {2021: "2-19-comunita-di-pratiche", 2022: "4-3-comunita-di-pratiche"}
FIRST_SHEETS = ["Copertina", "Indice", "Note"]


def _paths(built: Path, year: int) -> tuple[Path, Path]:
    folder = built / str(year) / "dati"
    return folder / f"{EDITIONS[year]}.xlsx", folder / f"{EDITIONS[year]}.ods"


def _cifre(built: Path, year: int) -> dict:
    return json.loads((built / str(year) / "dati" / "cifre.json").read_text("utf-8"))


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    """Each table sheet as a frame: the header row is the first row of
    column B that is filled (a table has at least two columns), the title
    and its lines above it."""
    engine = "openpyxl" if path.suffix == ".xlsx" else "odf"
    sheets = pd.read_excel(path, sheet_name=None, header=None, engine=engine)
    tables = {}
    for name, raw in sheets.items():
        if name == "Copertina":
            continue
        top = int(raw[1].first_valid_index())
        frame = raw.iloc[top + 1:].copy()
        frame.columns = list(raw.iloc[top])
        tables[name] = frame.reset_index(drop=True)
    return tables


@pytest.mark.parametrize("year", EDITIONS)
@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_every_sheet_holds_exactly_the_figures_of_cifre_json(built, year, kind):
    path = _paths(built, year)[kind == "ods"]
    cifre = _cifre(built, year)
    tables = _tables(path)

    main = tables["Cifre_principali"]
    assert dict(zip(main["Nome in cifre.json"], main["Valore"])) == {
        k: cifre[k] for k in main["Nome in cifre.json"]}
    assert len(main) == 10

    tab = tables[f"Tab_{cifre['tabella']}"].set_index("Bando")
    assert {label: {c: int(v) for c, v in row.items()} for label, row in tab.iterrows()} == cifre["tabella_gruppi"]

    def pairs(name):
        frame = tables[name]
        return {str(k): int(v) for k, v in zip(frame.iloc[:, 0], frame.iloc[:, 1])}
    assert pairs("Progetti_per_bando") == cifre["progetti_per_bando"]
    assert pairs("Incontri_per_tema") == cifre["incontri_per_tema"]
    assert pairs("Incontri_per_modalita") == cifre["incontri_per_modalita"]

    months = pairs("Graf_2")
    assert months.pop("Totale") == cifre["incontri"]
    assert months == cifre["incontri_per_mese"]

    groups = tables["Graf_1"].set_index("Bando")
    assert int(groups.loc["Totale"].sum()) == cifre["gruppi"]
    for call, row in groups.drop(index="Totale").iterrows():
        for area, value in row.items():
            assert int(value) == cifre["tabella_gruppi"][call][area], (call, area)

    if cifre["confronto"] is None:
        assert "Confronto" not in tables
    else:
        frame = tables["Confronto"]
        prev = cifre["confronto"]["anno_precedente"]
        assert list(frame.columns) == ["Indicatore", f"Bilancio sociale {prev}", f"Bilancio sociale {year}",
                                       "Variazione", "Variazione in per cento"]
        assert {r[0][0].lower() + r[0][1:]: {"precedente": int(r[1]), "attuale": int(r[2]), "variazione": int(r[3]),
                       "variazione_percentuale": None if r[4] == "[z]" else r[4]}
                for r in frame.itertuples(index=False)} == {
            k: v for k, v in cifre["confronto"].items() if k != "anno_precedente"}


@pytest.mark.parametrize("year", EDITIONS)
def test_the_cover_names_title_edition_reference_date_source_and_contacts(built, year):
    cifre = _cifre(built, year)
    for path in _paths(built, year):
        engine = "openpyxl" if path.suffix == ".xlsx" else "odf"
        cover = pd.read_excel(path, sheet_name="Copertina", header=None, engine=engine)[0].dropna().tolist()
        assert cover[0] == f"{cifre['sezione']} Comunità di pratiche – Con i Bambini, Bilancio sociale {year}"
        reference = long_date(date.fromisoformat(cifre["data_riferimento"])).replace("\u00a0", " ")
        first = long_date(date.fromisoformat(cifre["primo_incontro"])).replace("\u00a0", " ")
        last = long_date(date.fromisoformat(cifre["ultimo_incontro"])).replace("\u00a0", " ")
        for heading, text in (("Edizione", f"Bilancio sociale {year}, sezione {cifre['sezione']}"),
                              ("Data di riferimento", f"Dati al {reference}"),
                              ("Periodo degli incontri", f"dal {first} al {last}"),
                              ("Contatti", "Email info@conibambini.org")):
            assert heading in cover and text in cover[cover.index(heading):], (path.suffix, heading)
        assert any(line.startswith("Con i Bambini: registri") for line in cover)


@pytest.mark.parametrize("year", EDITIONS)
def test_xlsx_structure_follows_the_guidance(built, year):
    path = _paths(built, year)[0]
    book = load_workbook(path)  # not read-only: tables, links and merged cells are loaded
    names = book.sheetnames
    assert names[:3] == FIRST_SHEETS
    assert len(set(names)) == len(names) and all(len(n) <= 31 and " " not in n for n in names)
    notes = {}
    for name in names:
        sheet = book[name]
        assert sheet.sheet_state == "visible", name
        assert not sheet.merged_cells.ranges, name
        assert sheet.freeze_panes is None, name
        assert sheet.auto_filter.ref is None, name
        assert isinstance(sheet["A1"].value, str) and sheet["A1"].value, name  # the title
        assert not any(d.hidden for d in sheet.column_dimensions.values()), name
        assert not any(d.hidden for d in sheet.row_dimensions.values()), name
        if name == "Copertina":
            assert not sheet.tables
            continue
        assert len(sheet.tables) == 1, name  # one table, marked up as an Excel table
        table = next(iter(sheet.tables.values()))
        assert table.headerRowCount in (None, 1) and table.autoFilter is None
        assert table.tableStyleInfo is None or table.tableStyleInfo.name is None  # no background fill
        first, last = table.ref.split(":")
        top = int(re.sub(r"\D", "", first))
        assert first.startswith("A") and top > 1  # in column A, below the title and its lines
        assert all(sheet.cell(r, 1).value for r in range(2, top)), name  # no blank row above the table
        assert sheet.max_row == int(re.sub(r"\D", "", last)), name  # nothing below the table
        header = [c.value for c in sheet[top]]
        assert all(isinstance(h, str) and h for h in header), name  # one header row, every column named
        for row in sheet.iter_rows(min_row=top + 1, max_row=sheet.max_row):
            for cell in row:
                assert cell.value is not None and cell.value != "", (name, cell.coordinate)  # no empty cell
                if isinstance(cell.value, str):
                    assert not re.fullmatch(r"-?\d+", cell.value), (name, cell.coordinate)  # numbers as numbers
        if name == "Note":
            notes = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(top + 1, sheet.max_row + 1)}
    # Every [nota N] in a title is explained on the notes sheet, and every note is used.
    used = {m for name in names for m in re.findall(r"\[(nota \d+)\]", book[name]["A1"].value)}
    assert used == set(notes) and all(notes.values())
    # The contents sheet links to every other sheet.
    contents = book["Indice"]
    links = {c.value: c.hyperlink.location for c in contents["A"] if c.hyperlink is not None}
    assert set(links) == set(names) - {"Copertina", "Indice"}
    assert all(location == f"'{name}'!A1" for name, location in links.items())
    assert book.properties.created.date() == date.fromisoformat(_cifre(built, year)["data_riferimento"])
    assert book.properties.title.startswith(_cifre(built, year)["sezione"])


def _text(cell) -> str:
    return "".join(str(node) for node in cell.childNodes)


@pytest.mark.parametrize("year", EDITIONS)
def test_ods_structure_follows_the_guidance(built, year):
    xlsx_path, ods_path = _paths(built, year)
    doc = opendocument.load(str(ods_path))
    sheets = doc.spreadsheet.getElementsByType(OdsTable)
    assert [s.getAttribute("name") for s in sheets] == load_workbook(xlsx_path, read_only=True).sheetnames
    assert b"covered-table-cell" not in doc.contentxml()  # no merged cells
    for sheet in sheets[1:]:
        name = sheet.getAttribute("name")
        children = list(sheet.childNodes)
        headers = [i for i, n in enumerate(children) if n.qname == (TABLENS, "table-header-rows")]
        assert len(headers) == 1, name  # one header row, marked as such
        assert len(children[headers[0]].getElementsByType(TableRow)) == 1, name
        body = [n for n in children[headers[0] + 1:] if n.qname == (TABLENS, "table-row")]
        assert body, name
        for row in body:
            for cell in row.getElementsByType(TableCell):
                assert _text(cell), name  # no empty cell
                if re.fullmatch(r"-?\d+", _text(cell)):
                    assert cell.getAttribute("valuetype") == "float", name  # numbers as numbers
    links = [a.getAttribute("href") for a in sheets[1].getElementsByType(A)]
    assert links == [f"#{s.getAttribute('name')}.A1" for s in sheets[2:]]
    meta = {n.qname[1]: _text(n) for n in doc.meta.childNodes if n.qname[0] == DCNS}
    assert meta["language"] == "it-IT" and meta["title"].startswith(_cifre(built, year)["sezione"])


def test_two_renderings_give_the_same_bytes(built, monkeypatch):
    """Document dates come from the edition and zip entries carry a fixed
    time, whatever the clock says."""
    from pipeline import build as build_module
    from pipeline.edition import load_edition, load_organisation

    from .conftest import DATA
    edition, _ = load_edition(DATA, 2021)
    ente, _ = load_organisation(DATA)
    summary = build_module.summarise_edition(edition, lambda line: None)
    from pipeline import charts, context
    ctx = context.make(edition, ente, summary.figures, charts.draw(summary.figures, charts.cache_dir()),
                       build_module.publication_date(edition))
    first = spreadsheets.files(ctx)
    real = time.localtime
    monkeypatch.setattr(time, "localtime", lambda *a: real(1_900_000_000))  # another day, another hour
    second = spreadsheets.files(ctx)
    assert first == second
    published = (built / "2021" / "dati")
    for name, data in first.items():
        assert (published.parent / name).read_bytes() == data


def test_downloads_are_linked_from_the_page_with_sizes_and_listed_in_the_manifest(built):
    page = (built / "2021" / f"{EDITIONS[2021]}.html").read_text("utf-8")
    manifest = json.loads((built / "2021" / "manifest.json").read_text("utf-8"))
    outputs = {o["path"] for o in manifest["output"]}
    for suffix, label in (("xlsx", "Tutte le tabelle (Excel)"), ("ods", "Tutte le tabelle (ODS, formato aperto)")):
        name = f"dati/{EDITIONS[2021]}.{suffix}"
        assert name in outputs
        link = re.search(rf'<a href="{re.escape(name)}"><span class="etichetta">{re.escape(label)}</span> '
                         r'<span class="formato">(\d+)\xa0kB</span></a>', page)
        assert link, suffix
        assert int(link.group(1)) == max(1, round((built / "2021" / name).stat().st_size / 1000))


def test_csv_files_start_with_a_bom(built):
    for name in ("dati/tab-21.csv", "dati/grafico-1.csv", "dati/grafico-2.csv"):
        assert (built / "2021" / name).read_bytes().startswith("\ufeff".encode()), name


def test_a_change_from_zero_is_marked_not_applicable_and_explained():
    """No empty cell stands for a missing value: a change in per cent from
    zero is the guidance's [z], explained on the notes sheet."""
    import copy
    import dataclasses

    from pipeline import aggregate, charts, context
    from pipeline import build as build_module
    from pipeline.edition import load_edition, load_organisation

    from .conftest import DATA
    edition, _ = load_edition(DATA, 2022)
    previous, _ = load_edition(DATA, 2021)
    ente, _ = load_organisation(DATA)
    now = build_module.summarise_edition(edition, lambda line: None)
    before = build_module.summarise_edition(previous, lambda line: None)
    ctx = context.make(edition, ente, now.figures, charts.draw(now.figures, charts.cache_dir()),
                       build_module.publication_date(edition), (2021, aggregate.compare(before.figures, now.figures)))
    cifre = copy.deepcopy(ctx.cifre)
    cifre["confronto"]["facilitatori"]["variazione_percentuale"] = None
    book = spreadsheets.workbook(dataclasses.replace(ctx, cifre=cifre))
    table = next(t for t in book.tables if t.sheet == "Confronto")
    row = next(r for r in table.rows if r[0] == "Facilitatori")
    assert row[-1] == "[z]"
    notes = next(t for t in book.tables if t.sheet == "Note")
    marker = re.search(r"\[(nota \d+)\]$", table.title).group(1)
    assert "[z] (non applicabile) quando il valore precedente è zero" in dict(notes.rows)[marker]
