"""The PDF as a reader, a screen reader and a printer meet it: tagged and
in Italian, titled, fonts embedded, A4, numbered pages, the Tab whole on one
page, charts with alternative text, table headers as headers, and the text in
reading order. Checked on every sample edition, and once as PDF/A-3b."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from pipeline.build import build

from .conftest import DATA

EDITIONS = (2021, 2022)


def _pdf(out: Path, anno: int) -> Path:
    manifest = json.loads((out / str(anno) / "manifest.json").read_text("utf-8"))
    return out / str(anno) / manifest["edizione"]["pdf"]


@pytest.fixture(scope="module", params=EDITIONS)
def edition(request, built):
    """(reader, figures of cifre.json, path) of one edition's PDF."""
    path = _pdf(built, request.param)
    cifre = json.loads((built / str(request.param) / "dati" / "cifre.json").read_text("utf-8"))
    return PdfReader(path), cifre, path


def _children(node: DictionaryObject):
    kids = node.get("/K")
    if kids is None:
        return []
    kids = kids.get_object()
    return [k.get_object() for k in kids] if isinstance(kids, ArrayObject) else [kids]


def _elements(node: DictionaryObject):
    """Every structure element under `node`, depth first (document order)."""
    for kid in _children(node):
        if isinstance(kid, DictionaryObject) and "/S" in kid:
            yield kid
            yield from _elements(kid)


def _structure(reader: PdfReader) -> list[DictionaryObject]:
    return list(_elements(reader.trailer["/Root"]["/StructTreeRoot"]))


def _page_text(page) -> str:
    return re.sub(r"\s+", " ", page.extract_text().replace("\u00a0", " "))


def _text(reader: PdfReader) -> str:
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"-\n", "", text)  # words hyphenated at a line end
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def test_tagged_in_italian(edition):
    reader, _, _ = edition
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a PDF boolean)
    assert root["/Lang"] == "it"
    kinds = {e["/S"] for e in _structure(reader)}
    assert {"/H1", "/P", "/Table", "/Figure", "/Caption"} <= kinds, kinds


def test_title_author_subject_and_viewer_shows_title(edition):
    reader, cifre, _ = edition
    meta = reader.metadata
    assert meta.title.startswith(cifre["sezione"]) and f"Bilancio sociale {cifre['anno']}" in meta.title
    assert meta.author == "Con i Bambini"
    assert meta.subject and str(cifre["anno"]) in meta.subject
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712


def _fonts(resources: DictionaryObject, seen: set):
    """Every font used by a page's resources, forms (SVG charts) included."""
    resources = resources.get_object() if resources else DictionaryObject()
    for font in (resources.get("/Font") or DictionaryObject()).values():
        font = font.get_object()
        yield font
        for descendant in font.get("/DescendantFonts", []):
            yield descendant.get_object()
    for xobject in (resources.get("/XObject") or DictionaryObject()).values():
        ref = xobject.indirect_reference if hasattr(xobject, "indirect_reference") else None
        xobject = xobject.get_object()
        key = id(xobject) if ref is None else (ref.idnum, ref.generation)
        if key in seen or xobject.get("/Subtype") != "/Form":
            continue
        seen.add(key)
        yield from _fonts(xobject.get("/Resources"), seen)


def test_every_font_is_embedded_and_is_the_bundled_one(edition):
    reader, _, _ = edition
    names = set()
    for page in reader.pages:
        for font in _fonts(page.get("/Resources"), set()):
            if font.get("/Subtype") == "/Type0":
                continue  # its descendant carries the descriptor
            descriptor = font["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    assert names and all(n.startswith("Titillium") for n in names), names


def test_a4_pages_each_with_its_number(edition):
    reader, _, _ = edition
    total = len(reader.pages)
    assert total >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert f"pagina {number}" in _page_text(page)
        assert " di " not in _page_text(page).split(f"pagina {number}", 1)[1][:4]  # "pagina N", not "N di M"


def test_running_header_from_the_context(edition):
    reader, cifre, _ = edition
    parte = json.loads((_manifest_path(edition)).read_text("utf-8"))["edizione"]["parte"]
    for page in reader.pages[1:]:
        assert f"Bilancio sociale {cifre['anno']} · {parte}" in _page_text(page)


def _manifest_path(edition) -> Path:
    return edition[2].parent / "manifest.json"


def _pages_of(element: DictionaryObject) -> set[int]:
    pages = set()
    for e in [element, *_elements(element)]:
        ref = e.raw_get("/Pg") if "/Pg" in e else None
        if isinstance(ref, IndirectObject):
            pages.add(ref.idnum)
    return pages


def test_tables_are_whole_on_one_page(edition):
    reader, cifre, _ = edition
    tables = [e for e in _structure(reader) if e["/S"] == "/Table"]
    assert tables
    for table in tables:
        assert len(_pages_of(table)) == 1
    # and the Tab's caption and its total row are printed on the same page
    pages = [_page_text(p) for p in reader.pages]
    caption = f"Tab {cifre['tabella']} –"
    holding = [t for t in pages if caption in t]
    assert len(holding) == 1
    assert re.search(r"Totale( \d+){5}", holding[0].replace(".", "")), holding[0]


def test_charts_are_figures_with_alternative_text(edition):
    reader, cifre, _ = edition
    figures = [e for e in _structure(reader) if e["/S"] == "/Figure"]
    assert len(figures) == 2
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert all(len(a) > 40 for a in alts), alts
    assert f"{cifre['gruppi']} gruppi in tutto" in alts[0].replace("\u00a0", " ")
    assert f"{cifre['incontri']} incontri in tutto" in alts[1].replace("\u00a0", " ")


def test_table_headers_are_th(edition):
    reader, cifre, _ = edition
    table = next(e for e in _structure(reader) if e["/S"] == "/Table")
    cells = [e["/S"] for e in _elements(table) if e["/S"] in ("/TH", "/TD")]
    columns = len(next(iter(cifre["tabella_gruppi"].values()))) + 1  # + the row label
    rows = len(cifre["tabella_gruppi"])
    # a header per column, then a header at the start of each row
    assert cells[:columns] == ["/TH"] * columns
    assert cells.count("/TH") == columns + rows
    assert any(e["/S"] == "/THead" for e in _elements(table))


def test_data_cells_point_to_their_headers(edition):
    """Every number of the Tab names its row and column headers (/Headers),
    so a screen reader reads "Nord, Prima Infanzia 2016: 1"."""
    reader, _, _ = edition
    table = next(e for e in _structure(reader) if e["/S"] == "/Table")
    ids = {str(e["/ID"]) for e in _elements(table) if e["/S"] == "/TH"}
    cells = [e for e in _elements(table) if e["/S"] == "/TD"]
    assert cells
    for cell in cells:
        headers = [str(h) for h in cell["/A"]["/Headers"]]
        assert len(headers) == 2 and set(headers) <= ids, headers


def test_bookmarks_follow_the_headings(edition):
    """One bookmark for the section title, one below it for each h2 of the
    section (as the web page shows them)."""
    reader, cifre, path = edition
    page = path.with_suffix(".html").read_text("utf-8")
    article = page[page.index('<article class="sezione"'):page.index("</article>")]
    h2 = [re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", article, re.S)]
    outline = reader.outline
    assert outline and outline[0].title.startswith(f"{cifre['sezione']} ")
    children = outline[1] if len(outline) > 1 and isinstance(outline[1], list) else []
    assert h2 and [c.title for c in children] == h2


def test_reading_order_carries_the_figures(edition):
    reader, cifre, _ = edition
    text = _text(reader)
    sequence = [f"{cifre['sezione']} Comunità di pratiche",
                f"{cifre['progetti_coinvolti']} progetti",
                f"{cifre['incontri']} incontri",
                f"{cifre['gruppi']} comunità di pratiche",
                f"Tab {cifre['tabella']} –",
                "Graf. 1 –", "Graf. 2 –",
                "Con i Bambini Via del Corso"]
    position = 0
    for needle in sequence:
        found = text.find(needle, position)
        assert found >= 0, f"{needle!r} missing or out of order"
        position = found
    for label, value in cifre["progetti_per_bando"].items():
        assert f"{label} ({value}" in text


def test_typographic_apostrophes_and_quotes(edition):
    reader, _, _ = edition
    text = _text(reader)
    assert "’" in text and "“" in text and "”" in text
    assert not re.search(r"\w'\w", text), "straight apostrophe in the PDF"
    assert '"' not in text


def test_archival_variant_pdf_a_3b(tmp_path):
    """`make report PDF=pdf/a-3b`: PDF/A-3b identification and sRGB output
    intent, and still tagged, in Italian, with embedded fonts."""
    out = tmp_path / "output"
    build(DATA, out, years=[2021], log=lambda line: None, pdf_variant="pdf/a-3b")
    path = _pdf(out, 2021)
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part[^0-9]{1,3}3", xmp) and re.search(r"pdfaid:conformance[^A-Z]{1,3}B", xmp)
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert "/StructTreeRoot" in root and root["/Lang"] == "it"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert any(e["/S"] == "/Figure" and "/Alt" in e for e in _structure(reader))
    for page in reader.pages:
        for font in _fonts(page.get("/Resources"), set()):
            if font.get("/Subtype") != "/Type0":
                assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]


# Layout on the generated stress editions too (tests/stress.py): 40 calls over
# six years, and one call with one month printed from page 58 of its volume.

def _all_pdfs(built, stress_built) -> list[Path]:
    return [_pdf(built, y) for y in EDITIONS] + [_pdf(stress_built, y) for y in (2023, 2024)]


def _lines(path: Path) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    """Per page: (width, height, words as (xMin, yMin, xMax, yMax, text)),
    from poppler's pdftotext, y from the top."""
    import html
    import subprocess
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page.group(3))]
        pages.append((float(page.group(1)), float(page.group(2)), words))
    return pages


MARGIN_PT = 24 / 25.4 * 72  # top and bottom page margins of stampa.css


def test_no_page_is_left_a_third_empty(built, stress_built):
    """Every page but the last is filled to at least two thirds: measured as
    the bottom of its last line of text (above the page number)."""
    for path in _all_pdfs(built, stress_built):
        pages = _lines(path)
        for number, (_, height, words) in enumerate(pages[:-1], start=1):
            body = [w for w in words if MARGIN_PT - 2 < w[1] and w[3] < height - MARGIN_PT + 2]
            last = max(w[3] for w in body)
            empty = (height - MARGIN_PT - last) / (height - 2 * MARGIN_PT)
            assert empty <= 1 / 3, f"{path.name}, pagina {number}: {empty:.0%} vuota"


def test_a_long_table_breaks_between_rows_with_its_header_and_one_total(stress_built):
    pages = [" ".join(w[4] for w in words) for _, _, words in _lines(_pdf(stress_built, 2023))]
    holding = [i for i, text in enumerate(pages) if re.search(r"\d{4} 1 1 1 1 4", text)]  # rows of the Tab
    assert holding == [0, 1], holding  # the Tab starts on page 1, beside the text that names it
    assert all("Bando Nord Centro Sud e Isole Multiregionale Totale" in pages[i] for i in holding)
    assert sum(len(re.findall(r"Totale 40 40 40 40 160", pages[i])) for i in holding) == 1


def test_page_numbers_continue_the_volume(stress_built):
    """`pagina_iniziale = 58`: pages read "pagina 58", "pagina 59"; an even
    first page is a left-hand page (number on the outer, left side)."""
    pages = _lines(_pdf(stress_built, 2024))
    for offset, (width, height, words) in enumerate(pages):
        number = [w for w in words if w[4] == str(58 + offset) and w[1] > height - MARGIN_PT]
        assert len(number) == 1, (offset, [w for w in words if w[1] > height - MARGIN_PT])
        left_page = offset % 2 == 0
        assert (number[0][2] < width / 2) == left_page
        header = [w for w in words if w[3] < MARGIN_PT]
        assert bool(header) == (offset > 0), header  # the first page has the title block instead


def test_header_cells_carry_scope(built, stress_built):
    for path in _all_pdfs(built, stress_built):
        reader = PdfReader(path)
        for table in (e for e in _structure(reader) if e["/S"] == "/Table"):
            for section in (e for e in _children(table) if e.get("/S") in ("/THead", "/TBody", "/TFoot")):
                for cell in (e for e in _elements(section) if e["/S"] == "/TH"):
                    expected = "/Column" if section["/S"] == "/THead" else "/Row"
                    assert cell["/A"]["/Scope"] == expected


def test_an_independent_pdf_ua_checker_finds_nothing(built, stress_built):
    """pdfua (PyPI), beside these checks: zero errors, zero warnings. Its
    empty-heading rule cannot run on any PDF with pikepdf 10 (the checker
    asks an array for an attribute); the bookmarks test above covers
    headings."""
    from pdfua import validate
    for path in _all_pdfs(built, stress_built):
        report = validate(str(path))
        assert not report.findings, [(f.rule_id, f.severity.name, f.message) for f in report.findings]
        assert {o.rule_id for o in report.skipped} <= {"UA-14-001"}, report.skipped


def _svg_uri(width: int, height: int) -> str:
    import base64
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"><rect width="{width}" height="{height}"/></svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _layout(body: str, css: str = ""):
    from weasyprint import HTML
    page = "@page { size: 400px 600px; margin: 0 } body { margin: 0 } figure { margin: 0; break-inside: avoid }"
    return HTML(string=f"<html><head><style>{page} {css}</style></head><body>{body}</body></html>").render()


def test_a_chart_that_moved_on_is_scaled_to_fit_within_limits():
    from pipeline.pagination import MIN_SCALE, Touches, gaps, touches
    opening = f'<img src="{_svg_uri(300, 280)}" style="display: block">'
    chart = f'<figure class="grafico" id="grafico-1"><img src="{_svg_uri(300, 350)}" style="display: block"></figure>'
    document = _layout(opening + chart + "<p>Dopo.</p>")
    assert len(document.pages) == 2 and gaps(document)[0].empty > 600 / 3
    wanted = touches(document, Touches())
    assert not wanted.tabelle_divisibili and MIN_SCALE <= wanted.scala[1] < 1
    width = 300 * wanted.scala[1]
    again = _layout(opening + chart + "<p>Dopo.</p>", f"#grafico-1 img {{ width: {width}px; height: auto }}")
    first = gaps(again)[0]
    assert first.empty < 600 / 3 and first.next_figure is None  # the chart now ends the first page
    # Far too tall to fit: scaled no further than the limit.
    huge = f'<figure class="grafico" id="grafico-1"><img src="{_svg_uri(300, 560)}" style="display: block"></figure>'
    assert touches(_layout(opening + huge), Touches()).scala[1] == MIN_SCALE


def test_a_table_that_moved_on_may_break_and_a_full_page_is_left_alone():
    from pipeline.pagination import Touches, touches
    rows = "".join(f"<tr><th>riga {i}</th><td>{i}</td></tr>" for i in range(30))
    table = f'<figure class="tabella"><table><caption id="tab-9">Tab 9</caption><tbody>{rows}</tbody></table></figure>'
    opening = f'<img src="{_svg_uri(300, 250)}" style="display: block">'
    assert touches(_layout(opening + table), Touches()).tabelle_divisibili == {"tab-9"}
    full = f'<img src="{_svg_uri(300, 500)}" style="display: block">'
    assert not touches(_layout(full + table), Touches())


def test_a_long_table_may_break_from_the_first_layout_unless_it_starts_in_a_pages_bottom_third():
    from pipeline.pagination import LONG_TABLE, first_touches, touches
    rows = "".join(f"<tr><th>riga {i}</th><td>{i}</td></tr>" for i in range(30))
    table = f'<figure class="tabella"><table><caption id="tab-9">Tab 9</caption><tbody>{rows}</tbody></table></figure>'
    css = "figure:has(caption#tab-9) { break-inside: auto }"  # what the print template writes for it
    first = first_touches({"tab-9": 31, "tab-confronto": LONG_TABLE})
    assert first.tabelle_divisibili == {"tab-9"}  # short tables keep the stylesheet's rule
    # Starting high on the page, it breaks where the page ends: nothing to lay out again.
    high = _layout(f'<img src="{_svg_uri(300, 250)}" style="display: block">' + table, css)
    assert len(high.pages) == 2 and touches(high, first) == first
    # Starting in the bottom third, it would break after a few rows: kept whole instead, for good.
    low = _layout(f'<img src="{_svg_uri(300, 450)}" style="display: block">' + table, css)
    wanted = touches(low, first)
    assert not wanted.tabelle_divisibili and wanted.tabelle_intere == {"tab-9"}
    whole = _layout(f'<img src="{_svg_uri(300, 450)}" style="display: block">' + table)
    assert touches(whole, wanted) == wanted  # the page it leaves is under a third empty: no touch


def test_a_second_layout_keeps_the_first_ones_table_columns_without_measuring_cells(monkeypatch):
    """The widths `column_widths` reads from a layout, given back as `<col>`
    widths with the fixed table layout, are the same columns to the last
    bit: the PDF laid out again needs no second pass over every cell."""
    from weasyprint.layout import table as table_layout

    from pipeline.pagination import column_widths
    rows = "".join(f"<tr><th>Bando numero {i}</th><td>{i * 37}</td><td>Sud e Isole</td></tr>" for i in range(40))
    body = ('<figure class="tabella"><table><caption id="tab-9">Tab 9</caption>{cols}'
            '<thead><tr><th>Bando</th><th>Gruppi</th><th>Macro-area più lunga</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></figure>')
    css = "table { width: 100%; border-collapse: collapse } td, th { padding: 1.3mm 2mm } .fisse { table-layout: fixed }"
    first = column_widths(_layout(body.format(cols=""), css))
    assert list(first) == ["tab-9"] and len(first["tab-9"]) == 3
    # A table wider than its figure (a word that cannot fit) keeps the automatic layout.
    wide = body.format(cols="").replace("Bando numero 3", "B" * 300)
    assert column_widths(_layout(wide, css)) == {}
    cols = "<colgroup>" + "".join(f'<col style="width: {w}px">' for w in first["tab-9"]) + "</colgroup>"
    measured = []
    monkeypatch.setattr(table_layout, "auto_table_layout", lambda *a: measured.append(a))
    again = _layout(body.format(cols=cols).replace("<table>", '<table class="fisse">'), css)
    assert not measured and column_widths(again) == {}  # fixed: not read again
    tables = [b for p in again.pages for b in _boxes(p._page_box) if type(b).__name__ == "TableBox"]
    assert len(tables) > 1 and all(tuple(t.column_widths) == first["tab-9"] for t in tables)  # over pages


def _boxes(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)
