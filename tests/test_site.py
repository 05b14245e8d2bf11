"""The site around the sections: navigation between editions, the index,
every file of an edition rendered from its context, the build lock."""

from __future__ import annotations

import fcntl
import re
import json
import os
import threading
from pathlib import Path

import pytest

from pipeline import context, render
from pipeline.build import build
from pipeline.edition import load_edition, load_organisation
from pipeline.publish import locked

from .conftest import DATA


def _site(years_built: set[int], out_dir: Path) -> tuple[context.Site, dict]:
    editions = {y: load_edition(DATA, y)[0] for y in (2021, 2022)}
    return context.site(editions, years_built, out_dir), editions


def test_neighbours_link_only_editions_built_now_or_published(tmp_path):
    ente = load_organisation(DATA)[0]
    site, editions = _site({2021}, tmp_path)
    nav = context.navigation(site, editions[2021], ente)
    assert nav.precedente is None and nav.successiva is None  # 2022 neither built nor published
    (tmp_path / "2022").mkdir()
    (tmp_path / "2022" / "manifest.json").write_text('{"output": []}', "utf-8")  # lists every file there
    site, editions = _site({2021}, tmp_path)
    nav = context.navigation(site, editions[2021], ente)
    assert nav.successiva == context.EditionLink(2022, "4.3 Comunità di pratiche",
                                                 "../2022/4-3-comunita-di-pratiche.html")
    back = context.navigation(site, editions[2022], ente).precedente
    assert back.href == "../2021/2-19-comunita-di-pratiche.html"


def test_every_output_file_comes_from_render_and_is_in_the_manifest(built):
    for year in (2021, 2022):
        folder = built / str(year)
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        listed = {o["path"] for o in manifest["output"]}
        present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert present == listed | {"manifest.json"}


def test_page_shows_the_real_size_of_each_download(built):
    folder = built / "2021"
    page = (folder / "2-19-comunita-di-pratiche.html").read_text("utf-8")
    pdf_size = render.size((folder / "2-19-comunita-di-pratiche.pdf").stat().st_size)
    assert f"PDF, {pdf_size}" in page
    assert render.size(1_234_567) == "1,2\u00a0MB" and render.size(10) == "1\u00a0kB"


def test_index_entries_read_from_manifests_newest_first(built):
    entries = context.index_entries(built)
    assert [e.anno for e in entries] == [2022, 2021]
    assert entries[1].pagina == "2-19-comunita-di-pratiche.html" and entries[1].tabella == "dati/tab-21.csv"


def test_no_lock_file_is_left_in_or_beside_the_output(tmp_path):
    out = tmp_path / "sito" / "output"
    build(DATA, out, years=[2021], log=lambda line: None)
    assert sorted(p.name for p in out.iterdir()) == ["2021", "index.html"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["output"]


def test_lock_makes_a_second_build_wait(tmp_path):
    out = tmp_path / "output"
    entered = threading.Event()
    with locked(out):
        def other():
            with locked(out):
                entered.set()
        thread = threading.Thread(target=other)
        thread.start()
        assert not entered.wait(0.3)  # held: the other one waits
        fd = os.open(out, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    thread.join(5)
    assert entered.is_set()


@pytest.mark.parametrize("value", ['"57"', "0", "true", "10000"])
def test_a_wrong_first_page_is_reported_on_its_line(data_copy, value):
    path = data_copy / "2021" / "edizione.toml"
    text = path.read_text("utf-8").replace("tabella = 21\n", f"tabella = 21\npagina_iniziale = {value}\n")
    path.write_text(text, "utf-8")
    edition, problems = load_edition(data_copy, 2021)
    assert edition is None and len(problems) == 1
    line = text.splitlines().index(f"pagina_iniziale = {value}") + 1
    assert problems[0].line == line and "pagina_iniziale" in problems[0].message and "da 1 a 9999" in problems[0].message


def test_first_page_defaults_to_one_and_is_read(data_copy):
    assert load_edition(data_copy, 2021)[0].sezione.pagina_iniziale == 1
    path = data_copy / "2021" / "edizione.toml"
    path.write_text(path.read_text("utf-8").replace("tabella = 21\n", "tabella = 21\npagina_iniziale = 57\n"), "utf-8")
    assert load_edition(data_copy, 2021)[0].sezione.pagina_iniziale == 57


def _nav(html: str) -> str:
    return html[html.index('<nav aria-label="Sito">'):html.index("</nav>")]


def test_menu_items_all_lead_somewhere_and_every_page_links_to_the_index(built):
    pages = {p: p.read_text("utf-8") for p in sorted(built.glob("*/*.html"))}
    pages[built / "index.html"] = (built / "index.html").read_text("utf-8")
    for path, html in pages.items():
        nav = _nav(html)
        items = re.findall(r"<li>(.*?)</li>", nav, re.S)
        assert items and all(re.fullmatch(r'<a href="[^"]+"[^>]*>[^<]+</a>', i.strip()) for i in items), items
        assert "<span" not in nav
        index = "index.html" if path.parent == built else "../index.html"
        assert f'<a href="{index}"' in html, path
        assert "Precedenti edizioni" not in html and "Parte quarta" not in nav


def test_index_is_titled_for_what_it_lists_and_marks_the_latest(built):
    html = (built / "index.html").read_text("utf-8")
    assert "<h1>Tutte le edizioni</h1>" in html and "<title>Tutte le edizioni" in html
    items = re.findall(r"<li(?: class=\"ultima\")?>\s*<h2>(.*?)</h2>", html, re.S)
    assert [re.sub(r"<[^>]+>", "", i).split()[2] for i in items] == ["2022", "2021"]
    assert html.count("edizione più recente") == 1 and "edizione più recente" in items[0]
