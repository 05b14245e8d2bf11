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
        assert f"pagina {number} di {total}" in _page_text(page)


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
