"""Load stage, for an edition kept in Excel: the sheets of `dati.xlsx`
become the same raw tables `load` makes of CSV files, so every check and
message works unchanged.

Cells are read with python-calamine (Rust, imported only when a workbook is
read): a cell's cached value, with dates recognised from the cell's number
format. What calamine turns into an empty cell without saying so (a formula
that has no saved value, an error such as #N/D) is found by a second look at
the sheet's XML, only when the sheet holds formulas or errors at all.

Each cell becomes the text a CSV saved by Excel would hold, so that `validate`
sees the same values: dates as `2021-12-31`, whole numbers without `.0`, text
as typed. Positions are reported as a spreadsheet user reads them:
`data/raw/2023/dati.xlsx, foglio incontri, riga 12, colonna "data"`.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, display_path, sheet_place
from .load import RawTable, header_name
from .reading import MAX_CELL, MAX_CELLS, MAX_WORKBOOK_BYTES, MAX_WORKBOOK_UNPACKED, megabytes, read_input
from .schema import TABLE_BY_NAME, TABLES, WORKBOOK


# Excel writes error values in English in the file; an Italian Excel shows them so.
ERRORS_IT = {"#N/A": "#N/D", "#VALUE!": "#VALORE!", "#REF!": "#RIF!", "#NAME?": "#NOME?",
             "#NULL!": "#NULLO!", "#DIV/0!": "#DIV/0!", "#NUM!": "#NUM!"}


def read_tables(folder: Path) -> dict[str, RawTable]:
    """Every table of an edition folder, read from its `dati.xlsx`; problems
    are attached to the tables, as `load.read_table` does."""
    path = folder / WORKBOOK
    shown = display_path(path)
    beside = [t.file for t in TABLES if (folder / t.file).exists()]
    if beside:
        return _failed(path, shown, "", Problem(
            shown, 0, "", f"nella cartella ci sono sia {WORKBOOK} sia {', '.join(beside)}: la procedura legge "
            f"i dati da uno solo dei due. Se i dati aggiornati sono in {WORKBOOK}, spostare altrove i file CSV; "
            f"se sono nei CSV, spostare altrove {WORKBOOK}"))
    data, problems = read_input(path, shown, MAX_WORKBOOK_BYTES)
    if data is None:
        return _failed(path, shown, "", *problems)
    digest = hashlib.sha256(data).hexdigest()
    book, problem = _open(data, shown)
    if book is None:
        return _failed(path, shown, digest, problem)
    names = {_sheet_key(n): n for n in reversed(book.sheet_names)}  # the first of equal names wins
    flagged = _flagged_cells(data)
    tables = {}
    for spec in TABLES:
        sheet = names.get(spec.name)
        if sheet is None:
            present = ", ".join(f"“{n}”" for n in book.sheet_names) or "nessuno"
            tables[spec.name] = _failed(path, shown, digest, Problem(
                shown, 0, "", f"manca il foglio “{spec.name}” (fogli presenti: {present})"))[spec.name]
            continue
        tables[spec.name] = _sheet_table(spec.name, path, shown, digest, book, sheet, flagged.get(sheet, []))
    return tables


def _failed(path: Path, shown: str, digest: str, *problems: Problem) -> dict[str, RawTable]:
    """Every table empty, carrying the same problems (reported once)."""
    tables = {}
    for spec in TABLES:
        table = RawTable(spec.name, path, shown, pd.DataFrame(), np.zeros(0, dtype=np.int64), digest)
        table.problems = list(problems)
        tables[spec.name] = table
    return tables


def _sheet_key(name: str) -> str:
    """A sheet name as matched against a table's: case and spaces ignored."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def _open(data: bytes, shown: str):
    """The workbook opened by calamine, or a problem saying why not."""
    not_xlsx = ("non è una cartella di lavoro Excel (.xlsx) leggibile: salvarla da Excel come "
                "“Cartella di lavoro di Excel (*.xlsx)”")
    if data[:4] == b"\xd0\xcf\x11\xe0":  # OLE2: an .xls of old Excel, or a workbook protected by a password
        return None, Problem(shown, 0, "", "è nel formato .xls del vecchio Excel o protetta da password: "
                             "salvarla da Excel, senza password, come “Cartella di lavoro di Excel (*.xlsx)”")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
            if unpacked > MAX_WORKBOOK_UNPACKED:
                return None, Problem(shown, 0, "", f"la cartella di lavoro decompressa è troppo grande "
                                     f"({megabytes(unpacked)}): al massimo {megabytes(MAX_WORKBOOK_UNPACKED)}")
    except (zipfile.BadZipFile, ValueError, OSError):
        return None, Problem(shown, 0, "", not_xlsx)
    from python_calamine import CalamineWorkbook
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data)), None
    except Exception:  # calamine's errors on a damaged file vary by part; none may end in a traceback
        return None, Problem(shown, 0, "", not_xlsx)


def _sheet_table(name: str, path: Path, shown: str, digest: str, book, sheet: str,
                 flagged: list[tuple[int, int, str]]) -> RawTable:
    """One sheet as a RawTable: trimmed text cells, spreadsheet row numbers."""
    place = sheet_place(shown, sheet)
    table = RawTable(name, path, place, pd.DataFrame(), np.zeros(0, dtype=np.int64), digest, sheet=sheet)
    try:
        cells = book.get_sheet_by_name(sheet)
        end = cells.end  # (row, column) of the last used cell, 0-based; None for an empty sheet
        if end is not None and (end[0] + 1) * (end[1] + 1) > MAX_CELLS:
            table.problems = [Problem(place, 0, "", f"il foglio è troppo grande: l’ultima cella usata è "
                                      f"{_cell_name(end[0] + 1, end[1])}: più di {_number(MAX_CELLS)} celle; "
                                      "cancellare le righe e le colonne in più in fondo al foglio")]
            return table
        rows = cells.to_python(skip_empty_area=False) if end is not None else []
    except Exception:  # as in _open: a damaged sheet is reported, never a traceback
        table.problems = [Problem(place, 0, "", "il foglio non si può leggere: il file è danneggiato")]
        return table
    width = max((len(r) for r in rows), default=0)
    if any(len(r) != width for r in rows):  # calamine's rows are all as wide as the used area
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    columns = [_categorical(values) for values in zip(*rows)]
    blank = np.ones(len(rows), dtype=bool)
    for column in columns:
        blank &= (column.categories == "")[column.codes]
    filled = np.flatnonzero(~blank)
    if not len(filled):
        table.problems = [Problem(place, 0, "", "il foglio è vuoto: manca anche la riga di intestazione")]
        return table
    head, body = int(filled[0]), filled[1:]
    for col, column in enumerate(columns):
        lengths = column.categories.str.len()
        if (lengths > MAX_CELL).any():  # as a CSV cell: no text so long reaches the checks and the charts
            row = int(np.flatnonzero((lengths > MAX_CELL)[column.codes])[0])
            table.problems = [Problem(place, row + 1, "", f"la cella {_cell_name(row + 1, col)} ha "
                                      f"{_number(int(lengths[column.codes[row]]))} caratteri: al massimo "
                                      f"{_number(MAX_CELL)}")]
            return table
    table.header_line = head + 1
    table.lines = (body + 1).astype(np.int64)
    header = [header_name(str(column.categories[column.codes[head]])) for column in columns]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h and h in seen:
            table.problems.append(Problem(place, table.header_line, h, "colonna ripetuta nell’intestazione"))
        elif h:
            seen[h] = i
    table.frame = pd.DataFrame({h: pd.Series(columns[i].take(body)) for h, i in seen.items()})
    wanted = {c.name for c in TABLE_BY_NAME[name].columns}
    for row, col, message in flagged:
        if row > table.header_line and col < len(header) and header[col] in wanted and seen.get(header[col]) == col:
            table.problems.append(Problem(place, row, header[col], message))
    return table


def _categorical(values) -> pd.Categorical:
    """A column's cells as trimmed NFC text, categorical: each distinct
    value is converted once."""
    # Booleans first: as keys they would merge with 1 and 0.
    values = [("VERO" if v else "FALSO") if type(v) is bool else v for v in values]
    codes, uniques = pd.factorize(np.array(values + [""], dtype=object)[:-1])  # [""]: never a 2-D array
    texts = pd.Index([v if type(v) is str else _text(v) for v in uniques], dtype=object)
    if len(texts):  # trimmed, and in Unicode NFC as the CSV reader gives them ("è" typed as e + accent)
        texts = texts.str.strip().str.normalize("NFC")
    inverse, final = pd.factorize(texts)
    return pd.Categorical.from_codes(inverse[codes] if len(codes) else codes,
                                     categories=pd.Index(final, dtype=object))


def _text(value) -> str:
    """A cell's value as the text a CSV saved by Excel would hold."""
    if isinstance(value, bool):
        return "VERO" if value else "FALSO"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (time, timedelta)):
        return str(value)
    return "" if value is None else str(value)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _cell_name(row: int, column: int) -> str:
    """`B12` for row 12 (1-based) and column 1 (0-based)."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


_PREFIX = re.compile(rb'\s*(?:<\?xml[^>]*\?>\s*)?<(\w+):')  # a part written as <x:worksheet ...>


def _may_flag(xml: bytes) -> bool:
    """Whether a sheet part may hold a formula (`<f>`, `<x:f .../>`) or an
    error value (`t="e"`): two plain substring searches, much faster than a
    regular expression over a large sheet (`<f` also finds the odd
    `<formula1>` of a validation: the parse that follows tells them apart)."""
    prefix = _PREFIX.match(xml[:300])
    return (b"<" + prefix.group(1) + b":f" if prefix else b"<f") in xml or b't="e"' in xml
_REF = re.compile(r"([A-Z]+)(\d+)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _flagged_cells(data: bytes) -> dict[str, list[tuple[int, int, str]]]:
    """Per sheet name, the cells whose value calamine would read as empty
    although they are not: a formula without a saved value, an error value.
    Each as (row 1-based, column 0-based, message). Sheets without any
    formula or error are not parsed."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for sheet, part in _sheet_parts(archive).items():
                xml = archive.read(part)
                if _may_flag(xml):
                    found[sheet] = list(_scan(io.BytesIO(xml)))
    except (KeyError, StopIteration, ET.ParseError, zipfile.BadZipFile, OSError, ValueError):
        pass  # a workbook calamine could read but this look cannot: the values read stand
    return found


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the part (file inside the zip) holding its cells."""
    def rels(part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of a part."""
        folder, name = posixpath.split(part)
        found = {}
        for r in ET.fromstring(archive.read(posixpath.join(folder, "_rels", name + ".rels"))):
            target = r.get("Target", "")
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[r.get("Id")] = (r.get("Type", ""), target)
        return found
    book = next(t for kind, t in rels("").values() if kind.endswith("/officeDocument"))
    targets = rels(book)
    parts = {}
    for element in ET.fromstring(archive.read(book)).iter():
        if _local(element.tag) == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            if rid in targets and element.get("name") is not None:
                parts[element.get("name")] = targets[rid][1]
    return parts


def _scan(handle):
    """Yield (row, column, message) for each flagged cell of a sheet part."""
    for _, element in ET.iterparse(handle):
        if _local(element.tag) != "c":
            if _local(element.tag) == "row":
                element.clear()
            continue
        children = {_local(child.tag): child for child in element}
        ref = _REF.fullmatch(element.get("r", ""))
        if ref is None:
            continue
        column = 0
        for letter in ref.group(1):
            column = column * 26 + ord(letter) - 64
        row, column, cell = int(ref.group(2)), column - 1, ref.group(0)
        value = children.get("v")
        if element.get("t") == "e":
            code = (value.text or "").strip() if value is not None else ""
            shown = ERRORS_IT.get(code, code)
            yield row, column, (f"la cella {cell} contiene l’errore {shown}"
                                + (" della sua formula" if "f" in children else "")
                                + ": correggerla o scrivere il valore")
        elif "f" in children and (value is None or (not value.text and element.get("t") != "str")):
            yield row, column, (f"la cella {cell} contiene una formula senza valore calcolato: aprire il file "
                                "in Excel e salvarlo (Excel calcola e salva i valori), oppure scrivere il valore")
