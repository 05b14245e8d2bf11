"""An edition kept in `dati.xlsx` instead of CSV files: the same records
build the same section, and problems are placed as a spreadsheet user reads
them (foglio, riga, colonna)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from pipeline.build import build, check
from pipeline.errors import InputError
from pipeline.schema import TABLES

from .conftest import DATA, ROOT, assert_same_edition


def csv_rows(folder: Path, name: str) -> list[list[str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def workbook_from_csv(folder: Path, target: Path, *, text_dates: bool = False) -> Path:
    """The edition's CSV files typed into one workbook as an analyst would:
    dates as Excel dates (or as text 31/12/2021), whole numbers as numbers,
    one sheet per table."""
    book = Workbook()
    book.remove(book.active)
    for spec in TABLES:
        sheet = book.create_sheet(spec.name)
        rows = csv_rows(folder, spec.name)
        kinds = {c.name: c.kind for c in spec.columns}
        sheet.append(rows[0])
        for row in rows[1:]:
            cells = []
            for name, value in zip(rows[0], row):
                if kinds.get(name) == "date":
                    day = date.fromisoformat(value)
                    cells.append(day.strftime("%d/%m/%Y") if text_dates else datetime(day.year, day.month, day.day))
                elif kinds.get(name) == "int" and value:
                    cells.append(int(value))
                else:
                    cells.append(value)
            sheet.append(cells)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "DD/MM/YYYY"
    book.save(target)
    return target


def edition_as_workbook(data: Path, year: str = "2021", **options) -> Path:
    """Replace an edition's CSV files by a workbook holding the same records."""
    folder = data / year
    workbook_from_csv(folder, folder / "dati.xlsx", **options)
    for spec in TABLES:
        (folder / spec.file).unlink()
    return folder / "dati.xlsx"


def problems_of(data: Path, year: int = 2021) -> list[str]:
    with pytest.raises(InputError) as caught:
        check(data, [year])
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("text_dates", [False, True], ids=["date-excel", "date-testo"])
def test_the_2021_sample_as_a_workbook_builds_the_same_section(built, data_copy, tmp_path, text_dates):
    edition_as_workbook(data_copy, text_dates=text_dates)
    shutil.rmtree(data_copy / "2022")  # 2021 alone: the same neighbours as below
    out = tmp_path / "out"
    build(data_copy, out, [2021], log=lambda line: None)
    reference = tmp_path / "ref"
    only_2021 = tmp_path / "raw-csv"
    shutil.copytree(DATA, only_2021)
    shutil.rmtree(only_2021 / "2022")
    build(only_2021, reference, [2021], log=lambda line: None)
    assert_same_edition(out / "2021", reference / "2021")


def test_the_manifest_lists_each_sheet_of_the_workbook(data_copy, tmp_path):
    import hashlib
    import json
    book = edition_as_workbook(data_copy)
    build(data_copy, tmp_path / "out", [2021], log=lambda line: None)
    manifest = json.loads((tmp_path / "out" / "2021" / "manifest.json").read_text("utf-8"))
    sheets = [i for i in manifest["input"] if i["path"].endswith("dati.xlsx")]
    assert [i["foglio"] for i in sheets] == [t.name for t in TABLES]
    assert {i["sha256"] for i in sheets} == {hashlib.sha256(book.read_bytes()).hexdigest()}
    assert {i["foglio"]: i["rows"] for i in sheets} == {
        t.name: len(csv_rows(DATA / "2021", t.name)) - 1 for t in TABLES}
    assert not any(i["path"].endswith(".csv") for i in manifest["input"])


def _edit(book_path: Path, sheet: str, cells: dict[str, object], formats: dict[str, str] | None = None) -> None:
    book = load_workbook(book_path)
    for ref, value in cells.items():
        book[sheet][ref] = value
    for ref, fmt in (formats or {}).items():
        book[sheet][ref].number_format = fmt
    book.save(book_path)


def _cell(sheet_rows: list[list[str]], column: str, row: int) -> str:
    """The spreadsheet reference (B12) of `column` in spreadsheet row `row`."""
    return f"{chr(65 + sheet_rows[0].index(column))}{row}"


def test_problems_name_the_sheet_the_row_and_the_column(data_copy):
    book = edition_as_workbook(data_copy)
    meetings = csv_rows(DATA / "2021", "incontri")
    projects = csv_rows(DATA / "2021", "progetti")
    _edit(book, "incontri", {_cell(meetings, "data", 12): "31/02/2021", _cell(meetings, "modalita", 5): "on line"})
    _edit(book, "progetti", {_cell(projects, "regione", 40): "Lombadia"})
    found = problems_of(data_copy)
    shown = _shown(book)
    assert f'{shown}, foglio incontri, riga 12, colonna "data": "31/02/2021" non è una data valida: ' \
           "febbraio ha 28 giorni" in found
    assert any(p.startswith(f'{shown}, foglio incontri, riga 5, colonna "modalita": "on line" non è un valore ammesso')
               for p in found)
    assert any(p.startswith(f'{shown}, foglio progetti, riga 40, colonna "regione": "Lombadia"')
               and 'forse "Lombardia"?' in p for p in found)
    assert len(found) == 3, found


def test_rows_are_numbered_as_the_spreadsheet_shows_them(data_copy):
    """Blank rows above the header and between records are skipped, but
    the row numbers stay those of the sheet."""
    book_path = edition_as_workbook(data_copy)
    book = load_workbook(book_path)
    sheet = book["temi"]
    sheet.insert_rows(1, 2)  # header now on row 3
    sheet.insert_rows(5)  # a blank row after the first theme
    sheet["A7"] = "COVID19"  # the third theme, on row 7, repeats the first one's code (row 4)
    book.save(book_path)
    found = problems_of(data_copy)
    assert any(p.endswith('foglio temi, riga 7, colonna "tema": codice "COVID19" ripetuto (compare già alla riga 4)')
               for p in found), found


def test_sheet_names_ignore_case_and_other_sheets_are_ignored(data_copy, tmp_path):
    book_path = edition_as_workbook(data_copy)
    book = load_workbook(book_path)
    book["bandi"].title = "Bandi "
    book.create_sheet("Appunti")["A1"] = "note di lavoro, non lette dalla procedura"
    book.save(book_path)
    assert check(data_copy, [2021]) is not None


def test_a_missing_sheet_is_named(data_copy):
    book_path = edition_as_workbook(data_copy)
    book = load_workbook(book_path)
    del book["gruppi"]
    book.save(book_path)
    found = problems_of(data_copy)
    present = ", ".join(f"“{t.name}”" for t in TABLES if t.name != "gruppi")
    assert found == [f"{_shown(book_path)}: manca il foglio “gruppi” (fogli presenti: {present})"]


def test_workbook_beside_csv_files_is_refused_saying_which_to_move(data_copy):
    workbook_from_csv(data_copy / "2021", data_copy / "2021" / "dati.xlsx")
    found = problems_of(data_copy)
    assert len(found) == 1
    assert f"ci sono sia dati.xlsx sia {', '.join(t.file for t in TABLES)}:" in found[0]
    assert "spostare altrove i file CSV" in found[0] and "spostare altrove dati.xlsx" in found[0]


def test_dates_as_excel_dates_text_and_numbers_formatted_as_dates(data_copy, tmp_path):
    """Three ways a date arrives from Excel all read as the same day; a bare
    number in a date column is not a date."""
    book = edition_as_workbook(data_copy)
    meetings = csv_rows(DATA / "2021", "incontri")
    column = meetings[0].index("data")
    second, third = meetings[2][column], meetings[3][column]  # spreadsheet rows 3 and 4
    serial = (date.fromisoformat(third) - date(1899, 12, 30)).days
    _edit(book, "incontri", {_cell(meetings, "data", 3): date.fromisoformat(second).strftime("%d/%m/%Y"),
                             _cell(meetings, "data", 4): serial},
          formats={_cell(meetings, "data", 4): "[$-410]d mmmm yyyy"})
    out = tmp_path / "out"
    build(data_copy, out, [2021], log=lambda line: None)
    reference = (ROOT / "data" / "raw")  # the CSV edition
    ref_out = tmp_path / "ref"
    build(reference, ref_out, [2021], log=lambda line: None)
    assert (out / "2021/dati/cifre.json").read_bytes() == (ref_out / "2021/dati/cifre.json").read_bytes()
    _edit(book, "incontri", {_cell(meetings, "data", 4): serial}, formats={_cell(meetings, "data", 4): "General"})
    found = problems_of(data_copy)
    assert found == [f'{_shown(book)}, foglio incontri, riga 4, colonna "data": "{serial}" non è una data valida '
                     "(scrivere 31/12/2021 oppure 2021-12-31)"]


def _shown(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def test_a_formula_without_a_saved_value_is_an_error_naming_the_cell(data_copy):
    """openpyxl writes formulas without their value (as a program that does
    not calculate does): the cell is named. Errors such as #N/D too."""
    book = edition_as_workbook(data_copy)
    meetings = csv_rows(DATA / "2021", "incontri")
    ref = _cell(meetings, "partecipanti", 6)
    error = _cell(meetings, "partecipanti", 7)
    _edit(book, "incontri", {ref: "=10+2", error: "#N/A"})
    wb = load_workbook(book)
    wb["incontri"][error].data_type = "e"
    wb.save(book)
    found = problems_of(data_copy)
    assert f'{_shown(book)}, foglio incontri, riga 6, colonna "partecipanti": la cella {ref} contiene una formula ' \
           "senza valore calcolato: aprire il file in Excel e salvarlo (Excel calcola e salva i valori), " \
           "oppure scrivere il valore" in found
    assert f'{_shown(book)}, foglio incontri, riga 7, colonna "partecipanti": la cella {error} contiene ' \
           "l’errore #N/D: correggerla o scrivere il valore" in found


def test_a_formula_with_its_saved_value_is_read(data_copy, tmp_path):
    """Excel saves each formula's result beside it: that value is read.
    (XlsxWriter can write the result, as Excel does.)"""
    import xlsxwriter
    folder = data_copy / "2021"
    book = folder / "dati.xlsx"
    with xlsxwriter.Workbook(book) as workbook:
        for spec in TABLES:
            sheet = workbook.add_worksheet(spec.name)
            rows = csv_rows(folder, spec.name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if r and rows[0][c] == "anno":  # the call's year computed by a formula
                        sheet.write_formula(r, c, f"=2000+{int(value) - 2000}", None, int(value))
                    else:
                        sheet.write_string(r, c, value)
    for spec in TABLES:
        (folder / spec.file).unlink()
    build(data_copy, tmp_path / "out", [2021], log=lambda line: None)
    cifre = (tmp_path / "out/2021/dati/cifre.json").read_text("utf-8")
    assert '"Prima Infanzia 2016": 80' in cifre


def test_a_file_that_is_not_a_workbook_is_reported_without_traceback(data_copy):
    book = edition_as_workbook(data_copy)
    book.write_bytes(b"bando,nome,anno\nPI2016,Prima Infanzia,2016\n")  # a CSV renamed .xlsx
    env_python = sys.executable
    result = subprocess.run([env_python, "-m", "pipeline", "check", "--anno", "2021", "--data", str(data_copy)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "dati.xlsx: non è una cartella di lavoro Excel (.xlsx) leggibile" in result.stderr


def test_a_csv_only_check_never_imports_the_workbook_reader():
    code = ("import sys; from pathlib import Path; from pipeline.build import check; check(Path('data/raw'));"
            "print(sorted(m for m in ('python_calamine', 'openpyxl', 'xlsxwriter', 'odf', 'pipeline.input_workbook')"
            " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_csv_only_build_imports_only_the_download_writers(tmp_path):
    """The reader is not imported; XlsxWriter and odfpy are, to write the
    downloads."""
    code = (f"import sys; from pathlib import Path; from pipeline.build import build; "
            f"build(Path('data/raw'), Path({str(tmp_path / 'out')!r}), [2021], log=lambda line: None);"
            "print(sorted(m for m in ('python_calamine', 'openpyxl', 'xlsxwriter', 'odf', 'pipeline.input_workbook')"
            " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['odf', 'xlsxwriter']"


def test_text_is_trimmed_and_normalised_as_in_a_csv_file(data_copy, tmp_path):
    """A code typed with a decomposed accent and padded with spaces is the
    same code: the workbook builds the same figures."""
    book = edition_as_workbook(data_copy)
    themes = csv_rows(DATA / "2021", "temi")
    title = themes[1][themes[0].index("titolo")]
    decomposed = "  " + unicodedata.normalize("NFD", title.replace("e", "è", 1)) + " "
    _edit(book, "temi", {_cell(themes, "titolo", 2): decomposed})
    out = tmp_path / "out"
    build(data_copy, out, [2021], log=lambda line: None)
    cifre = (out / "2021/dati/cifre.json").read_text("utf-8")
    assert unicodedata.normalize("NFC", decomposed.strip()) in cifre
    assert unicodedata.normalize("NFD", decomposed.strip()) not in cifre


def test_formulas_are_looked_for_in_parts_written_with_a_namespace_prefix():
    """Some programs write `<x:worksheet>`, `<x:c>`, `<x:f>`: the look for
    formulas without a value finds them there too."""
    import io

    from pipeline.input_workbook import _may_flag, _scan
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = (f'<?xml version="1.0"?><x:worksheet xmlns:x="{ns}"><x:sheetData><x:row r="3">'
           '<x:c r="B3"><x:f>A3*2</x:f></x:c><x:c r="C3" t="str"><x:f>""</x:f><x:v></x:v></x:c>'
           '</x:row></x:sheetData></x:worksheet>').encode()
    assert _may_flag(xml)
    assert [(row, col) for row, col, _ in _scan(io.BytesIO(xml))] == [(3, 1)]  # C3's saved value is ""
    assert not _may_flag(xml.replace(b"<x:f>", b"<x:v>").replace(b"</x:f>", b"</x:v>"))


def test_messages_name_sheets_not_files(data_copy):
    """A code missing from another sheet, a sheet with the header only, a
    header not recognised: worded for a workbook."""
    book_path = edition_as_workbook(data_copy)
    projects = csv_rows(DATA / "2021", "progetti")
    _edit(book_path, "progetti", {_cell(projects, "bando", 3): "PI2061"})
    shown = _shown(book_path)
    assert problems_of(data_copy) == [f'{shown}, foglio progetti, riga 3, colonna "bando": "PI2061" non esiste '
                                      'nel foglio bandi: forse "PI2016"?']
    book = load_workbook(book_path)
    book["temi"].delete_rows(2, book["temi"].max_row)
    book["bandi"]["A1"], book["bandi"]["B1"], book["bandi"]["C1"] = "codice", "descrizione", "anno bando"
    book.save(book_path)
    found = problems_of(data_copy)
    assert f"{shown}, foglio temi, riga 1: il foglio contiene solo l’intestazione: nessuna riga di dati" in found
    assert any(p.startswith(f"{shown}, foglio bandi, riga 1: intestazione non riconosciuta: servono le colonne "
                            "bando, nome, anno nella riga 1 del foglio") for p in found), found


def test_limits_hold_for_workbooks_too(data_copy, monkeypatch):
    """A cell longer than the contract's limit, a workbook that unpacks to
    too much: each one problem, as for a CSV file."""
    from pipeline import input_workbook
    from pipeline.reading import MAX_CELL
    book = edition_as_workbook(data_copy)
    themes = csv_rows(DATA / "2021", "temi")
    _edit(book, "temi", {_cell(themes, "titolo", 3): "x" * (MAX_CELL + 1)})
    found = problems_of(data_copy)
    assert found == [f"{_shown(book)}, foglio temi, riga 3: la cella B3 ha 1.001 caratteri: al massimo 1.000"]
    monkeypatch.setattr(input_workbook, "MAX_WORKBOOK_UNPACKED", 1000)
    found = problems_of(data_copy)
    assert len(found) == 1 and "dati.xlsx: la cartella di lavoro decompressa è troppo grande" in found[0]
