"""`make modello ANNO=2024`: the workbook analysts fill in, `dati.xlsx`,
made from the schema so that mistakes are prevented at the cell.

One sheet per table with the contract's columns, prefilled with the records
of the edition folder itself (to move an edition from CSV to Excel) or else
of the previous edition (the editions are cumulative), or with the headers
only. Every closed set is a drop-down list: regions, macro-areas and modes
(from the schema) and the facilitators already named are kept in a hidden
sheet `elenchi`; calls, groups and themes are listed from their own sheets,
so a code added there is offered at once. Dates and whole numbers are
checked by Excel as they are typed, codes must not repeat, the header row
stays in view, and a first sheet `Istruzioni` explains it all in Italian,
generated from `schema` like the checks themselves.

Nothing is ever overwritten: the file is created only if absent.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from . import validate
from .edition import editions_in
from .errors import UsageError, display_path
from .schema import REFERENCES, REGION_AREA, TABLES, WORKBOOK, Column, Table

LAST_ROW = 20_000  # rows that carry the lists and checks (Excel counts from 1)
INSTRUCTIONS = "Istruzioni"
LISTS = "elenchi"


@dataclass
class Written:
    path: Path
    source: str  # where the records came from, as the CLI says it
    rows: dict[str, int]


def _references() -> dict[tuple[str, str], str]:
    return {(r.table, r.column): r.target for r in REFERENCES}


def _kind(column: Column) -> str:
    """The column's type, in the instructions' words."""
    if column.kind == "code":
        return "codice"
    if column.kind == "text":
        return "testo"
    if column.kind == "int":
        return "numero intero" + (f", almeno {column.minimum}" if column.minimum is not None else "")
    if column.kind == "date":
        return "data, per esempio 15/03/2024"
    if column.kind == "choice":
        return "uno fra " + ", ".join(column.choices)
    if column.kind == "region":
        return "una regione italiana (nome ISTAT) oppure Multiregionale"
    raise ValueError(column.kind)  # a kind added to schema.py and not here


def _rule(table: Table, column: Column) -> str:
    """What the checks require of the column, and what it means."""
    target = _references().get((table.name, column.name))
    parts = []
    if column.unique:
        parts.append("ogni codice una volta sola")
    if target:
        parts.append(f"un codice del foglio {target}, da scegliere nell’elenco")
    elif column.kind in ("choice", "region"):
        parts.append("da scegliere nell’elenco")
    elif column.suggested:
        parts.append("l’elenco propone i nomi già usati; un nome nuovo è ammesso")
    if column.note:
        parts.append(column.note)
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + ("." if text else "")


def _records(data_dir: Path, anno: int) -> tuple[dict[str, list[list]], str]:
    """The records to prefill, by table, and where they come from ("dai file
    CSV di ...", "dall’edizione 2022"): this edition's own files, else the
    previous edition's, else none ("")."""
    from .build import _load_tables  # the same reading as a build
    folder = data_dir / str(anno)
    own = all((folder / t.file).exists() for t in TABLES)
    earlier = [y for y in editions_in(data_dir) if y < anno]
    if own:
        source, read_from = f"dai file CSV di {display_path(folder)}", folder
    elif earlier:
        source, read_from = f"dall’edizione {earlier[-1]}", data_dir / str(earlier[-1])
    else:
        return {t.name: [] for t in TABLES}, ""
    dataset = validate.validate(_load_tables(read_from), None)  # raises InputError, shown as such
    # A meeting's facilitator comes resolved (its own, else its group's):
    # written only where it is not the group's, as the analyst would.
    meetings = dataset.incontri.copy()
    of_group = meetings["gruppo"].map(dict(zip(dataset.gruppi["gruppo"], dataset.gruppi["facilitatore"])))
    meetings["facilitatore"] = meetings["facilitatore"].where(meetings["facilitatore"] != of_group)
    dataset.incontri = meetings
    records = {}
    for spec in TABLES:
        frame = getattr(dataset, spec.name)
        rows = []
        for values in zip(*(frame[c.name] if c.name in frame else [None] * len(frame) for c in spec.columns)):
            rows.append([_cell(c, v) for c, v in zip(spec.columns, values)])
        records[spec.name] = rows
    return records, source


def _cell(column: Column, value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column.kind == "int":
        return int(value)
    if column.kind == "date":
        return pd.Timestamp(value).to_pydatetime()
    return str(value)


def workbook(anno: int, records: dict[str, list[list]], source: str) -> bytes:
    """The template's bytes (XlsxWriter)."""
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.set_properties({"title": f"Dati della sezione Comunità di pratiche – Bilancio sociale {anno}",
                       "created": datetime(anno, 1, 1), "comments": f"Generato da make modello ANNO={anno}"})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 15})
    heading = wb.add_format({"bold": True, "font_size": 12})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    header = wb.add_format({"bold": True, "bottom": 1, "bg_color": "#E8EEF4"})
    formats = {"date": wb.add_format({"num_format": "dd/mm/yyyy"}), "int": wb.add_format({"num_format": "0"}),
               "text": wb.add_format({"num_format": "@"})}

    guide = wb.add_worksheet(INSTRUCTIONS)
    sheets = {spec.name: wb.add_worksheet(spec.name) for spec in TABLES}
    lists = wb.add_worksheet(LISTS)

    # The hidden sheet: one column per closed set, named elenco_<column>.
    lists_of = _lists(records)
    for col, (key, values) in enumerate(lists_of.items()):
        letter = _letter(col)
        lists.write_string(0, col, key, bold)
        for row, value in enumerate(values, start=1):
            lists.write_string(row, col, value)
        wb.define_name(f"elenco_{key}", f"={LISTS}!${letter}$2:${letter}${max(len(values), 1) + 1}")
        lists.set_column(col, col, _width([key, *values]))
    lists.hide()
    for target in sorted({r.target for r in REFERENCES}):  # codes (a table's first column), from their sheet
        wb.define_name(f"elenco_{target}", f"={target}!$A$2:$A${LAST_ROW}")

    references = _references()
    for spec in TABLES:
        sheet = sheets[spec.name]
        rows = records[spec.name]
        for col, column in enumerate(spec.columns):
            sheet.write_string(0, col, column.name, header)
            kind = "date" if column.kind == "date" else "int" if column.kind == "int" else "text"
            for r, row in enumerate(rows, start=1):
                value = row[col]
                if value is None:
                    continue
                if kind == "date":
                    sheet.write_datetime(r, col, value, formats["date"])
                elif kind == "int":
                    sheet.write_number(r, col, value, formats["int"])
                else:
                    sheet.write_string(r, col, value, formats["text"])
            sheet.data_validation(1, col, LAST_ROW - 1, col, _validation(spec, column, col, references, anno))
            target = references.get((spec.name, column.name))
            offered = ([str(r[0]) for r in records[target]] if target
                       else lists_of.get(column.name, []) if _list_key(column) else [])
            shown = [column.name, *(str(r[col]) for r in rows if r[col] is not None), *offered]
            width = 12 if kind == "date" else _width(shown) + (3 if offered or _list_key(column) or target else 0)
            sheet.set_column(col, col, width, formats[kind])
        sheet.freeze_panes(1, 0)

    _instructions(guide, anno, source, title, heading, bold, wrap)
    guide.activate()
    wb.close()
    return out.getvalue()


def _list_key(column: Column) -> str | None:
    """The hidden sheet's list a column picks from (named after the column,
    so that columns of the same name share it), or None."""
    return column.name if column.kind in ("choice", "region") or column.suggested else None


def _lists(records: dict[str, list[list]]) -> dict[str, list[str]]:
    """The closed sets, from the schema, and the names already used in the
    suggested columns (sorted)."""
    found: dict[str, list[str]] = {}
    for spec in TABLES:
        for i, column in enumerate(spec.columns):
            key = _list_key(column)
            if key is None:
                continue
            if column.kind == "region":
                found[key] = list(REGION_AREA)
            elif column.kind == "choice":
                found[key] = list(column.choices)
            else:
                used = set(found.get(key, [])) | {str(r[i]) for r in records[spec.name] if r[i]}
                found[key] = sorted(used, key=str.casefold)
    return found


def _letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _width(texts) -> int:
    return min(max((len(str(t)) for t in texts), default=8) + 2, 60)


def _validation(spec: Table, column: Column, col: int, references, anno: int) -> dict:
    """The Excel data validation of a column: a list, a date, a whole number
    or, for a key, a code not used above."""
    prompt = {"input_title": column.name[:32], "input_message": (_kind(column) + ". " + _rule(spec, column))[:255]}
    target = references.get((spec.name, column.name))
    if target:
        return {"validate": "list", "source": f"=elenco_{target}", **prompt,
                "error_title": "Codice sconosciuto", "error_message":
                    f"Il codice non è nel foglio {target}: sceglierlo nell’elenco o aggiungerlo prima là."}
    if column.suggested:
        return {"validate": "list", "source": f"=elenco_{column.name}", **prompt,
                "error_type": "warning", "error_title": "Nome nuovo?",
                "error_message": "Il nome non è tra quelli già usati: confermare solo se è davvero una "
                                 "persona nuova (e non lo stesso nome scritto in altro modo)."}
    if _list_key(column):
        return {"validate": "list", "source": f"=elenco_{column.name}", **prompt,
                "error_title": "Valore non ammesso", "error_message": "Scegliere un valore dell’elenco."}
    if column.kind == "date":  # the window the checks allow, for an edition dated within its year
        first, last = validate.date_window(date(anno, 12, 31))
        return {"validate": "date", "criteria": "between", "minimum": datetime.combine(first, datetime.min.time()),
                "maximum": datetime.combine(last, datetime.min.time()), **prompt,
                "error_title": "Data non valida",
                "error_message": f"Scrivere una data tra il {first:%d/%m/%Y} e il {last:%d/%m/%Y}, "
                                 "per esempio 15/03/2024."}
    if column.kind == "int":
        return {"validate": "integer", "criteria": ">=", "value": column.minimum or 0, **prompt,
                "error_title": "Numero non valido",
                "error_message": f"Scrivere un numero intero, almeno {column.minimum or 0}, senza separatore "
                                 "delle migliaia."}
    if column.unique:
        letter = _letter(col)
        return {"validate": "custom", "value": f"=COUNTIF(${letter}$2:${letter}${LAST_ROW},{letter}2)=1", **prompt,
                "error_title": "Codice ripetuto", "error_message": "Questo codice c’è già in un’altra riga."}
    return {"validate": "any", **prompt}


def _instructions(sheet, anno: int, source: str, title, heading, bold, wrap) -> None:
    """The first sheet: how to work in the workbook, and every table's columns."""
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 2, 14)
    sheet.set_column(3, 3, 90)
    lines = [
        (f"Dati della sezione “Comunità di pratiche” – Bilancio sociale {anno}", title),
        None,
        ("Come si usa", heading),
        (f"Questo file ({WORKBOOK}, nella cartella dell’edizione {anno}) contiene i dati dell’edizione al posto "
         "dei cinque file CSV (la procedura legge uno solo dei due: tenere nella cartella o il file Excel o "
         "i CSV).", wrap),
        (f"I dati iniziali vengono {source}: aggiornarli, aggiungere le righe nuove, togliere quelle che non "
         "valgono più." if source else "Il file contiene solo le intestazioni: non c’è un’edizione precedente "
         "da cui partire.", wrap),
        ("Ogni foglio è un file dei dati: " + ", ".join(t.name for t in TABLES) + ". Non rinominare i fogli né "
         "le intestazioni della riga 1; l’ordine delle colonne è libero e le colonne in più sono ignorate, "
         "così come gli altri fogli (questo compreso).", wrap),
        ("Nelle colonne con un elenco (regione, area, modalità, i codici di bandi, gruppi e temi, i facilitatori) "
         "il valore si sceglie dalla freccia della cella. Gli elenchi dei codici seguono i loro fogli: un bando "
         "aggiunto nel foglio bandi compare subito nell’elenco dei fogli gruppi e progetti. Gli elenchi fissi "
         f"sono nel foglio nascosto “{LISTS}”, da non modificare.", wrap),
        ("Date e numeri sono controllati mentre si scrive: una data come 15/03/2024, un numero intero senza "
         "separatore delle migliaia. Una formula è ammessa purché Excel abbia salvato il suo risultato "
         "(basta salvare il file da Excel).", wrap),
        (f"Poi, dalla cartella del progetto: make check ANNO={anno} controlla i dati e indica ogni problema con "
         f"foglio, riga e colonna (per esempio {WORKBOOK}, foglio incontri, riga 12, colonna "
         f"\"data\"); make report ANNO={anno} genera pagina, PDF e tabelle.", wrap),
        None,
    ]
    row = 0
    for line in lines:
        if line is not None:
            sheet.write_string(row, 0, line[0], line[1])
        row += 1
    for spec in TABLES:
        sheet.write_string(row, 0, f"Foglio {spec.name}: {spec.description}", heading)
        row += 1
        for col, text in enumerate(("Colonna", "Tipo", "Obbligatoria", "Regola")):
            sheet.write_string(row, col, text, bold)
        row += 1
        for column in spec.columns:
            sheet.write_string(row, 0, column.name)
            sheet.write_string(row, 1, _kind(column), wrap)
            sheet.write_string(row, 2, "sì" if column.required else "no, può restare vuota")
            sheet.write_string(row, 3, _rule(spec, column), wrap)
            row += 1
        row += 1


def write(data_dir: Path, anno: int) -> Written:
    """Create `data_dir/<anno>/dati.xlsx` (never overwriting it). Raises
    UsageError (file already there, no data folder) or InputError (the
    records to prefill have problems)."""
    if not data_dir.is_dir():
        raise UsageError(f"la cartella dei dati {display_path(data_dir)} non esiste")
    target = data_dir / str(anno) / WORKBOOK
    if os.path.lexists(target):
        raise UsageError(f"{display_path(target)} esiste già e non viene sovrascritto: per un modello nuovo "
                         "spostarlo o rinominarlo")
    records, source = _records(data_dir, anno)
    data = workbook(anno, records, source)
    target.parent.mkdir(exist_ok=True)
    with open(target, "xb") as handle:  # "x": fails rather than overwrite a file created meanwhile
        handle.write(data)
    return Written(target, source, {t: len(r) for t, r in records.items()})
