"""The web pages in a real browser: Debian's Chromium driven by Playwright.

The built `output/` is served over HTTP on 127.0.0.1; each page is checked
at a phone (390 px) and a desktop (1280 px) width with axe-core (no WCAG 2.1
A/AA violation), for sideways scrolling, and for links to the PDF and the
data files that resolve. Where Chromium or Playwright is missing the tests
are skipped with the reason (never passed silently); `make test` installs
both when it can.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WIDTHS = (390, 1280)
PAGES = ("2021/2-19-comunita-di-pratiche.html", "2022/4-3-comunita-di-pratiche.html", "index.html")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _served(folder: Path):
    """Base URL of `folder` served on an ephemeral port of 127.0.0.1, for
    as long as the generator is open."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def site(built):
    """`built` (the sample editions), served."""
    yield from _served(built)


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium non trovato in {CHROMIUM}: installarlo con `apt-get install chromium` "
                    "(o `make test` da root) per eseguire i test nel browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright non installato: `pip install -e '.[test]'` (o `make test`)")
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken install must show up as a skip with its reason
            pytest.skip(f"Chromium non si avvia ({CHROMIUM}): {exc}")
        yield chromium
        chromium.close()


@pytest.fixture()
def open_page(browser, site):
    pages = []

    def _open(path: str, width: int):
        page = browser.new_page(viewport={"width": width, "height": 900})
        pages.append(page)
        response = page.goto(f"{site}/{path}", wait_until="networkidle")
        assert response is not None and response.status == 200, path
        page.evaluate("document.fonts.ready")
        return page
    yield _open
    for page in pages:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_no_wcag_aa_violations(open_page, path, width):
    from axe_playwright_python.sync_playwright import Axe
    page = open_page(path, width)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # the chart data too
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    violations = results.response["violations"]
    assert not violations, "\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} – " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in violations)
    assert results.response["passes"], "axe-core ran no check at all"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_no_sideways_scrolling(open_page, path, width):
    page = open_page(path, width)
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{path} at {width} px is {scroll_width} px wide"


@pytest.mark.parametrize("path", PAGES[:2])
def test_bundled_font_is_used(open_page, path):
    page = open_page(path, 1280)
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any("Titillium Web" in family for family in loaded), loaded
    assert page.evaluate("document.fonts.check('16px \"Titillium Web\"')")


@pytest.mark.parametrize("path", PAGES)
def test_pdf_and_data_links_resolve(open_page, site, path):
    page = open_page(path, 1280)
    hrefs = page.eval_on_selector_all(
        "main a[href$='.pdf'], main a[href$='.csv'], main a[href$='.json'], main a[href$='.html']",
        "links => links.map(a => a.href)")
    kinds = {href.rsplit(".", 1)[-1] for href in hrefs}
    assert {"pdf", "csv", "json"} <= kinds, hrefs
    for href in hrefs:
        assert href.startswith(site), href
        with urllib.request.urlopen(href) as response:  # noqa: S310 (our own local server)
            assert response.status == 200, href
            assert response.read(1), href


@pytest.mark.parametrize("path", PAGES[:2])
def test_page_structure(open_page, path):
    """Landmarks, one h1, headings in order, tables with caption and scoped
    headers, scroll boxes reachable by keyboard, images with text."""
    page = open_page(path, 390)
    for selector in ("header", "nav", "main", "footer", "a.salta[href='#contenuto']"):
        assert page.locator(selector).count() >= 1, selector
    levels = page.eval_on_selector_all("h1, h2, h3, h4", "hs => hs.map(h => +h.tagName[1])")
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    for table in page.locator("table").all():
        assert table.locator("caption").count() == 1
        assert table.locator("th:not([scope])").count() == 0
    for box in page.locator("figure.tabella").all():
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("aria-labelledby")
    # Charts are inline SVG inside an element with role="img" and the text
    # alternative as its label; the drawing itself is hidden from screen
    # readers, is drawn at a readable size and sets its text in the bundled font.
    alts = page.eval_on_selector_all(".grafico [role=img]", "els => els.map(e => e.getAttribute('aria-label'))")
    assert alts and all(len(a) > 40 for a in alts), alts
    assert page.evaluate("""[...document.querySelectorAll('.grafico [role=img] svg')].every(s =>
        s.getAttribute('aria-hidden') === 'true')""")
    shown = page.evaluate("""[...document.querySelectorAll('.grafico [role=img]')].map(d =>
        [...d.querySelectorAll('svg')].filter(s => s.getClientRects().length).map(s => s.getBoundingClientRect().width))""")
    assert all(len(widths) == 1 and widths[0] > 250 for widths in shown), shown  # one drawing per chart shown
    fonts = page.eval_on_selector_all(".grafico svg text", "ts => ts.map(t => getComputedStyle(t).fontFamily)")
    assert fonts and all("Titillium Web" in f for f in fonts), set(fonts)
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_skip_link_and_focus_are_visible(open_page):
    page = open_page(PAGES[0], 390)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "salta"
    box = page.locator("a.salta").bounding_box()
    assert box and box["y"] >= 0, "the skip link stays off screen when focused"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


CHART_TEXT_PX = """[...document.querySelectorAll('.grafico svg text')].filter(t => t.getClientRects().length).map(t => {
    const m = t.getScreenCTM();
    return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)];
})"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES[:2])
def test_chart_text_is_at_least_12_css_px(open_page, path, width):
    """No chart text renders below 12 CSS px: the size each text is set in,
    times the scale the page draws its SVG at."""
    page = open_page(path, width)
    sizes = page.evaluate(CHART_TEXT_PX)
    assert len(sizes) > 10
    small = [(text, round(px, 1)) for text, px in sizes if px < 12]
    assert not small, small


@pytest.mark.parametrize("path", PAGES[:2])
def test_key_figures_come_right_after_the_title_on_a_phone(open_page, path):
    page = open_page(path, 390)
    title = page.locator("h1").bounding_box()
    figures = page.locator(".sintesi").bounding_box()
    first_paragraph = page.locator(".sezione > p").first.bounding_box()
    assert title["y"] < figures["y"] < first_paragraph["y"], (title, figures, first_paragraph)
    assert figures["y"] < 900
    downloads = page.locator(".scarica").bounding_box()
    last = page.locator(".sezione > *").last.bounding_box()
    assert downloads["y"] > last["y"]  # the downloads stay at the end, where the keyboard reaches them
    wide = open_page(path, 1280)
    assert wide.locator(".sintesi").bounding_box()["x"] > wide.locator("h1").bounding_box()["x"] + 500


@pytest.mark.parametrize("path", PAGES[:2])
def test_every_chart_has_its_data_as_a_table_and_a_csv(open_page, site, path):
    page = open_page(path, 390)
    charts = page.locator("figure.grafico").count()
    assert charts == page.locator("details.dati-grafico").count() >= 1
    for n in range(1, charts + 1):
        details = page.locator("details.dati-grafico").nth(n - 1)
        assert details.locator("summary").inner_text().startswith("Dati del grafico")
        assert not details.locator("table").is_visible()
        details.locator("summary").click()
        table = details.locator("table")
        assert table.is_visible() and table.locator("th[scope=col]").count() >= 2
        link = details.locator(f"a[href='dati/grafico-{n}.csv']")
        with urllib.request.urlopen(link.evaluate("a => a.href")) as response:  # noqa: S310 (local server)
            rows = response.read().decode("utf-8").splitlines()
        body = table.locator("tbody tr").count()
        assert len(rows) == 1 + body + 1  # header, one row per table row, total


@pytest.fixture(scope="module")
def stress_site(stress_built):
    """The generated stress editions (tests/stress.py), served like `site`."""
    yield from _served(stress_built)


STRESS_PAGES = ("2023/2-19-comunita-di-pratiche.html", "2024/2-19-comunita-di-pratiche.html", "index.html")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", STRESS_PAGES)
def test_stress_editions_pass_axe_fit_the_screen_and_keep_chart_text_legible(browser, stress_site, path, width):
    from axe_playwright_python.sync_playwright import Axe
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        assert page.goto(f"{stress_site}/{path}", wait_until="networkidle").status == 200
        page.evaluate("document.fonts.ready")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        violations = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}}).response["violations"]
        assert not violations, [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width
        if path != "index.html":
            sizes = page.evaluate(CHART_TEXT_PX)
            assert sizes and not [(t, round(px, 1)) for t, px in sizes if px < 12]
    finally:
        page.close()
