"""Render stage, spreadsheets: every table of the section in one workbook
that readers can open in Excel or LibreOffice, `dati/<slug>.xlsx` and
`dati/<slug>.ods`.

The layout follows the UK Government Analysis Function's guidance on
releasing statistics in spreadsheets: a cover sheet (title, edition,
reference date, source, contacts), a contents sheet linking to every other
sheet, a notes sheet, then one table per sheet; each sheet's title in A1 and
its text in column A above the table, the table starting in column A with a
single header row, numbers stored as numbers, no merged cells, no blank
cells standing for zero, no filters or frozen panes, no colour. In the xlsx
file each table is marked up as an Excel table, so that screen readers
announce its headers.

Every number comes from the context's `cifre` (the same dictionary that
becomes `dati/cifre.json`) or from the charts' data tables, never computed
here. `workbook()` describes the sheets once; `xlsx()` (XlsxWriter) and
`ods()` (odfpy) write that description. Both are deterministic: document
dates are the edition's publication date and zip entries carry a fixed
timestamp, so the same inputs give the same bytes. The writers are imported
only when a file is written.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from . import formatting as fmt
from .context import Context

ONE_TABLE = "Questo foglio contiene una tabella."
NOT_APPLICABLE = "[z]"  # the guidance's shorthand for a value that cannot exist (a change from zero)


@dataclass(frozen=True)
class Table:
    """One sheet holding one table."""

    sheet: str  # tab name (unique, at most 31 characters, no spaces)
    name: str  # the Excel table's name
    title: str  # cell A1, with its [nota N] markers
    description: str  # what the table holds, as the contents sheet lists it
    header: tuple[str, ...]
    rows: tuple[tuple[str | int | float, ...], ...]
    lines: tuple[str, ...] = (ONE_TABLE,)  # the text between the title and the table
    links: bool = False  # the first column names sheets: each cell links to its sheet


@dataclass(frozen=True)
class Cover:
    title: str
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, lines)


@dataclass(frozen=True)
class Workbook:
    title: str
    subject: str
    author: str
    created: date
    cover: Cover
    tables: tuple[Table, ...] = field(default_factory=tuple)  # contents, notes, then the data tables


def _plain(text: str) -> str:
    """Text for a cell: ordinary spaces (the report's non-breaking ones help
    line breaking on a page, not in a cell)."""
    return text.replace(fmt.NBSP, " ")


def _notes(ctx: Context) -> dict[str, str]:
    """The notes, by key; numbered in this order."""
    c = ctx.cifre
    reference = _plain(fmt.long_date(ctx.data_riferimento))
    excluded = c["incontri_esclusi"]
    notes = {
        "incontri": f"Sono conteggiati gli incontri con data uguale o precedente al {reference}"
                    + (f"; {_plain(fmt.count(excluded, 'incontro successivo non è conteggiato', 'incontri successivi non sono conteggiati'))}."
                       if excluded else "."),
        "progetti": "Progetti coinvolti: i progetti finanziati che partecipano a una comunità di pratiche "
                    "(un gruppo); i progetti senza gruppo sono elencati nei dati ma non conteggiati.",
        "facilitatori": "Facilitatori: le persone diverse che hanno condotto gli incontri conteggiati.",
        "partecipanti": "Partecipanti: la somma dei partecipanti registrati negli incontri conteggiati; "
                        "un incontro senza il numero dei partecipanti conta zero.",
        "aree": "Macro-aree secondo la ripartizione ISTAT: Nord = Nord-ovest e Nord-est; Centro; "
                "Sud e Isole. Multiregionale: gruppi di progetti attivi in più regioni.",
        "mesi": "I mesi senza incontri, tra il primo e l’ultimo, sono compresi con il valore 0.",
    }
    if c["confronto"]:
        notes["percentuale"] = (f"Variazione in per cento rispetto all’edizione precedente, arrotondata come nel "
                                f"testo; {NOT_APPLICABLE} (non applicabile) quando il valore precedente è zero.")
    return notes


def _marks(numbers: dict[str, int], *keys: str) -> str:
    return " ".join(f"[nota {numbers[k]}]" for k in keys)


def workbook(ctx: Context) -> Workbook:
    """The spreadsheet version of the section, described once for both
    formats."""
    c = ctx.cifre
    s = ctx.sezione
    notes = _notes(ctx)
    number = {key: i for i, key in enumerate(notes, start=1)}
    as_of = _plain(fmt.long_date(ctx.data_riferimento))
    tables: list[Table] = []

    indicators = (
        ("Gruppi attivati (comunità di pratiche)", "gruppi"),
        ("Facilitatori", "facilitatori"),
        ("Progetti coinvolti", "progetti_coinvolti"),
        ("Progetti senza gruppo (non conteggiati)", "progetti_senza_gruppo"),
        ("Bandi con progetti coinvolti", "bandi_coinvolti"),
        ("Incontri", "incontri"),
        ("Incontri dopo la data di riferimento (non conteggiati)", "incontri_esclusi"),
        ("Partecipanti agli incontri", "partecipanti"),
        ("Temi del ciclo che ogni gruppo dovrebbe percorrere", "temi_ciclo"),
        ("Gruppi che hanno trattato tutti i temi del ciclo", "gruppi_ciclo_completo"),
    )
    tables.append(Table(
        "Cifre_principali", "cifre_principali",
        f"Cifre principali al {as_of} {_marks(number, 'incontri', 'progetti', 'facilitatori', 'partecipanti')}",
        "Le cifre principali della sezione",
        ("Indicatore", "Valore", "Nome in cifre.json"),
        tuple((label, c[key], key) for label, key in indicators)))

    tab = c["tabella_gruppi"]
    areas = tuple(next(iter(tab.values())).keys()) if tab else ()
    tables.append(Table(
        f"Tab_{s.tabella}", f"tab_{s.tabella}",
        f"Tab {s.tabella} – {_plain(ctx.tabella.titolo)}, al {as_of} {_marks(number, 'aree')}",
        f"Tab {s.tabella}: gruppi attivati per bando e macro-area",
        ("Bando", *areas),
        tuple((label, *(row[a] for a in areas)) for label, row in tab.items())))

    tables.append(Table(
        "Progetti_per_bando", "progetti_per_bando",
        f"Progetti coinvolti per bando, al {as_of} {_marks(number, 'progetti')}",
        "Progetti coinvolti nelle comunità di pratiche, per bando",
        ("Bando", "Progetti coinvolti"),
        tuple(c["progetti_per_bando"].items())))

    tables.append(Table(
        "Incontri_per_tema", "incontri_per_tema",
        f"Incontri per tema, al {as_of} {_marks(number, 'incontri')}",
        "Incontri per tema trattato",
        ("Tema", "Incontri"),
        tuple(c["incontri_per_tema"].items())))

    tables.append(Table(
        "Incontri_per_modalita", "incontri_per_modalita",
        f"Incontri per modalità, al {as_of} {_marks(number, 'incontri')}",
        "Incontri per modalità (online, in presenza, mista)",
        ("Modalità", "Incontri"),
        tuple(c["incontri_per_modalita"].items())))

    for g in ctx.grafici:
        t = g.tabella
        months = t.intestazione == "Mese"
        tables.append(Table(
            f"Graf_{g.numero}", f"grafico_{g.numero}",
            f"Graf. {g.numero} – {_plain(g.didascalia)}: i dati del grafico "
            + _marks(number, *(("incontri", "mesi") if months else ("aree",))),
            f"Graf. {g.numero}: {_plain(g.didascalia)} (i dati del grafico)",
            ((f"{t.intestazione} (anno-mese)" if months else t.intestazione), *t.colonne),
            tuple((key, *values) for _, key, values in t.righe) + (("Totale", *t.totale),)))

    if c["confronto"]:
        prev = c["confronto"]["anno_precedente"]
        rows = tuple((label.capitalize(), v["precedente"], v["attuale"], v["variazione"],
                      NOT_APPLICABLE if v["variazione_percentuale"] is None else v["variazione_percentuale"])
                     for label, v in c["confronto"].items() if label != "anno_precedente")
        tables.append(Table(
            "Confronto", "confronto",
            f"Cifre principali: confronto con l’edizione {prev} "
            + _marks(number, 'incontri', 'progetti', 'facilitatori', 'percentuale'),
            f"Cifre principali del {ctx.anno} a confronto con quelle del {prev}",
            ("Indicatore", f"Bilancio sociale {prev}", f"Bilancio sociale {ctx.anno}", "Variazione",
             "Variazione in per cento"),
            rows))

    contents = Table(
        "Indice", "indice", "Indice",
        "L’elenco dei fogli",
        ("Foglio", "Contenuto"),
        (("Note", "Le note richiamate nei titoli delle tabelle come [nota N]"),)
        + tuple((t.sheet, t.description) for t in tables),
        lines=(ONE_TABLE, "Ogni voce della colonna Foglio è un collegamento al foglio."),
        links=True)
    notes_table = Table(
        "Note", "note", "Note",
        "Le note richiamate nei titoli",
        ("Nota", "Testo"),
        tuple((f"nota {number[k]}", text) for k, text in notes.items()))

    e = ctx.ente
    first, last = c["primo_incontro"], c["ultimo_incontro"]
    period = (f"dal {_plain(fmt.long_date(date.fromisoformat(first)))} al "
              f"{_plain(fmt.long_date(date.fromisoformat(last)))}") if first and last else "nessun incontro"
    title = f"{_plain(ctx.titolo)} – {e.nome}, Bilancio sociale {ctx.anno}"
    cover = Cover(title, (
        ("Che cosa contiene", (
            f"Le tabelle della sezione {s.numero} “{s.titolo}” ({s.parte}) del Bilancio sociale {ctx.anno} "
            f"di {e.nome}, con i dati dei grafici.",
            "Il foglio Indice elenca i fogli, con un collegamento a ciascuno; il foglio Note spiega i richiami "
            "[nota N] nei titoli. Ogni tabella è in un foglio a sé, con una sola riga di intestazione; "
            "i valori sono numeri.")),
        ("Edizione", (f"Bilancio sociale {ctx.anno}, sezione {s.numero}",)),
        ("Data di riferimento", (f"Dati al {as_of}",)),
        ("Periodo degli incontri", (period,)),
        ("Fonte", (f"{e.nome}: registri delle comunità di pratiche (bandi, progetti, gruppi, incontri, temi).",)),
        ("Contatti", (e.nome, f"{e.indirizzo}, {e.cap} {e.citta}", f"Telefono {e.telefono}", f"Email {e.email}",
                      *(f"Sito {site}" for site in e.siti))),
    ))
    return Workbook(title=title, subject=f"Bilancio sociale {ctx.anno}, sezione {s.numero} {s.titolo}",
                    author=e.nome, created=ctx.pubblicazione, cover=cover,
                    tables=(contents, notes_table, *tables))


COVER_WIDTH = 85  # characters: the cover's one column (as gptables)
LINE_HEIGHT = 15  # points: one line of text at the default size


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(table: Table) -> list[bool]:
    """Which columns hold numbers (their headers are aligned with them, on
    the right); the [z] shorthand counts as a number's place."""
    return [bool(table.rows) and all(_is_number(r[i]) or r[i] == NOT_APPLICABLE for r in table.rows)
            for i in range(len(table.header))]


def _width(texts) -> float:
    """A column width (in characters) that fits its longest entry, within reason."""
    return min(max((len(str(t)) for t in texts), default=8) + 2, 80)


def _widths(table: Table) -> list[float]:
    widths = [_width([h, *(v[i] for v in table.rows)]) for i, h in enumerate(table.header)]
    widths[0] = max(widths[0], 24)
    return widths


def _fit_row(sheet, row: int, cells: list[tuple[str, float]]) -> None:
    """Make a row tall enough for its wrapped text: Excel grows rows on its
    own, but other programs show the height the file states."""
    lines = max((math.ceil(len(text) / max(width - 2, 1)) for text, width in cells), default=1)
    if lines > 1:
        sheet.set_row(row, LINE_HEIGHT * lines)


def _fixed_zip(data: bytes, when: date) -> bytes:
    """The same zip with every entry dated `when` (odfpy stamps the clock),
    entries and compression unchanged."""
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, stamp)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            fixed.create_system = 3
            target.writestr(fixed, source.read(info))
    return out.getvalue()


def xlsx(book: Workbook) -> bytes:
    """The workbook as an Excel file (XlsxWriter)."""
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.set_properties({"title": book.title, "subject": book.subject, "author": book.author,
                       "company": book.author, "created": datetime.combine(book.created, datetime.min.time()),
                       "comments": "Tabelle accessibili: copertina, indice, note, una tabella per foglio."})
    title = wb.add_format({"bold": True, "font_size": 15, "text_wrap": False})
    heading = wb.add_format({"bold": True, "font_size": 12})
    text = wb.add_format({"text_wrap": True, "valign": "top"})
    header = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    header_right = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "align": "right"})
    whole = wb.add_format({"num_format": "#,##0"})
    decimal = wb.add_format({"num_format": "#,##0.0"})
    link = wb.add_format({"font_color": "#0B57A4", "underline": 1})

    cover = wb.add_worksheet("Copertina")
    cover.write_string(0, 0, book.cover.title, title)
    row = 2
    for name, lines in book.cover.sections:
        cover.write_string(row, 0, name, heading)
        row += 1
        for line in lines:
            cover.write_string(row, 0, line, text)
            _fit_row(cover, row, [(line, COVER_WIDTH)])
            row += 1
        row += 1
    cover.set_column(0, 0, COVER_WIDTH)

    for table in book.tables:
        sheet = wb.add_worksheet(table.sheet)
        sheet.write_string(0, 0, table.title, title)
        for i, line in enumerate(table.lines, start=1):
            sheet.write_string(i, 0, line)
        top = len(table.lines) + 1
        bottom = top + len(table.rows)
        sheet.add_table(top, 0, bottom, len(table.header) - 1, {
            "name": table.name, "style": None, "autofilter": False,
            "columns": [{"header": h, "header_format": header_right if numeric else header}
                        for h, numeric in zip(table.header, _numeric(table))]})
        widths = _widths(table)
        for r, values in enumerate(table.rows, start=top + 1):
            for col, value in enumerate(values):
                if _is_number(value):
                    sheet.write_number(r, col, value, whole if isinstance(value, int) else decimal)
                elif col == 0 and table.links:
                    sheet.write_url(r, col, f"internal:'{value}'!A1", link, string=value,
                                    tip=f"Vai al foglio {value}")
                else:
                    sheet.write_string(r, col, value, text)
            _fit_row(sheet, r, [(v, w) for v, w in zip(values, widths) if isinstance(v, str)])
        _fit_row(sheet, top, list(zip(table.header, widths)))
        for col, w in enumerate(widths):
            sheet.set_column(col, col, w)
    wb.close()
    return out.getvalue()


def ods(book: Workbook) -> bytes:
    """The workbook as an OpenDocument spreadsheet (odfpy), for LibreOffice
    and every program that reads the open format."""
    from odf import dc, meta
    from odf.element import Element
    from odf.number import Number, NumberStyle
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import ParagraphProperties, Style, TableCellProperties, TableColumnProperties, TextProperties
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
    from odf.text import A, P

    # odfpy declares, on every document it writes, each namespace any of its
    # elements has used in this process (one dict shared by all elements):
    # emptied first, a document's bytes depend on its own content alone.
    Element.namespaces.clear()
    doc = OpenDocumentSpreadsheet()
    stamp = datetime.combine(book.created, datetime.min.time()).isoformat()
    doc.meta.addElement(dc.Title(text=book.title))
    doc.meta.addElement(dc.Subject(text=book.subject))
    doc.meta.addElement(dc.Creator(text=book.author))
    doc.meta.addElement(dc.Language(text="it-IT"))
    doc.meta.addElement(meta.CreationDate(text=stamp))
    doc.meta.addElement(dc.Date(text=stamp))

    def cell_style(name: str, wrap: bool = True, right: bool = False, **text) -> Style:
        style = Style(name=name, family="table-cell")
        style.addElement(TextProperties(**text))
        if right:
            style.addElement(ParagraphProperties(textalign="end"))
        style.addElement(TableCellProperties(wrapoption="wrap" if wrap else "no-wrap", verticalalign="top"))
        doc.automaticstyles.addElement(style)
        return style
    title = cell_style("titolo", wrap=False, fontweight="bold", fontsize="15pt")  # spills over, as in Excel
    line = cell_style("riga", wrap=False)  # the text between title and table spills over too
    heading = cell_style("intestazione", fontweight="bold")
    heading_right = cell_style("intestazione-numeri", right=True, fontweight="bold")
    plain = cell_style("testo")
    grouped = NumberStyle(name="intero")  # 1.708, as "#,##0" in the xlsx
    grouped.addElement(Number(decimalplaces="0", grouping="true", minintegerdigits="1"))
    doc.automaticstyles.addElement(grouped)
    whole = Style(name="numero", family="table-cell", datastylename=grouped)
    doc.automaticstyles.addElement(whole)
    tenths = NumberStyle(name="decimale")  # 12,5, as "#,##0.0" in the xlsx
    tenths.addElement(Number(decimalplaces="1", grouping="true", minintegerdigits="1"))
    doc.automaticstyles.addElement(tenths)
    decimal = Style(name="numero-decimale", family="table-cell", datastylename=tenths)
    doc.automaticstyles.addElement(decimal)
    widths: dict[float, Style] = {}

    def column(width: float) -> TableColumn:
        if width not in widths:
            style = Style(name=f"colonna{len(widths) + 1}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm"))
            doc.automaticstyles.addElement(style)
            widths[width] = style
        return TableColumn(stylename=widths[width])

    def text_cell(value: str, style=None, href: str | None = None) -> TableCell:
        cell = TableCell(valuetype="string", stylename=style or plain)
        paragraph = P()
        paragraph.addElement(A(type="simple", href=href, text=value)) if href else paragraph.addText(value)
        cell.addElement(paragraph)
        return cell

    def number_cell(value: int | float) -> TableCell:
        cell = TableCell(valuetype="float", value=str(value), stylename=whole if isinstance(value, int) else decimal)
        cell.addElement(P(text=str(value)))
        return cell

    def add_row(parent, cells) -> None:
        row = TableRow()
        for cell in cells:
            row.addElement(cell)
        parent.addElement(row)

    cover = OdsTable(name="Copertina")
    cover.addElement(column(COVER_WIDTH))
    add_row(cover, [text_cell(book.cover.title, title)])
    add_row(cover, [])
    for name, lines in book.cover.sections:
        add_row(cover, [text_cell(name, heading)])
        for line in lines:
            add_row(cover, [text_cell(line)])
        add_row(cover, [])
    doc.spreadsheet.addElement(cover)

    for table in book.tables:
        sheet = OdsTable(name=table.sheet)
        for w in _widths(table):
            sheet.addElement(column(w))
        add_row(sheet, [text_cell(table.title, title)])
        for text in table.lines:
            add_row(sheet, [text_cell(text, line)])
        header_rows = TableHeaderRows()  # the header row, marked as such
        add_row(header_rows, [text_cell(h, heading_right if numeric else heading)
                              for h, numeric in zip(table.header, _numeric(table))])
        sheet.addElement(header_rows)
        for values in table.rows:
            add_row(sheet, [number_cell(v) if _is_number(v) else
                            text_cell(v, href=f"#{v}.A1" if table.links and i == 0 else None)
                            for i, v in enumerate(values)])
        doc.spreadsheet.addElement(sheet)

    out = io.BytesIO()
    doc.write(out)
    return _fixed_zip(out.getvalue(), book.created)


def files(ctx: Context) -> dict[str, bytes]:
    """`dati/<slug>.xlsx` and `dati/<slug>.ods`, by path."""
    book = workbook(ctx)
    return {ctx.sezione.xlsx: xlsx(book), ctx.sezione.ods: ods(book)}
