"""Data is never markup, and rendering stays home.

Text from the inputs that looks like HTML shows as those very characters in
the page, the PDF and the data files; WeasyPrint's URL fetcher serves only
`data:` URLs and the project's assets and refuses (without fetching)
everything else.
"""

from __future__ import annotations

import re
import socket
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from pipeline.build import build
from pipeline.fetcher import LocalFetcher
from pipeline.render import ASSETS

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [f"{k}={v}" for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> Path:
    import shutil
    from .conftest import DATA
    base = tmp_path_factory.mktemp("markup")
    data = base / "raw"
    shutil.copytree(DATA, data)
    temi = data / "2021" / "temi.csv"
    temi.write_text(temi.read_text("utf-8").replace("Le sfide educative al tempo del COVID-19", SCRIPT), "utf-8")
    bandi = data / "2021" / "bandi.csv"
    bandi.write_text(bandi.read_text("utf-8").replace("Prima Infanzia", f'"{IMG}"'), "utf-8")
    out = base / "output"
    build(data, out, years=[2021], log=lambda line: None)
    return out / "2021"


def test_html_shows_input_text_as_characters(hostile_build):
    page = _Page()
    page.feed((hostile_build / "2-19-comunita-di-pratiche.html").read_text("utf-8"))
    assert "script" not in page.tags
    assert not [a for a in page.attributes if a.startswith("onerror")]
    text = _flat("".join(page.text))
    assert SCRIPT in text
    assert f"{IMG} 2016" in text  # the call's label in the table


def test_pdf_shows_input_text_as_characters(hostile_build):
    reader = PdfReader(hostile_build / "2-19-comunita-di-pratiche.pdf")
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    assert SCRIPT in text
    assert IMG in text


def test_data_files_keep_input_text_verbatim(hostile_build):
    assert f"\n{IMG} 2016," in (hostile_build / "dati" / "tab-21.csv").read_text("utf-8")
    assert SCRIPT in (hostile_build / "dati" / "cifre.json").read_text("utf-8")


@pytest.fixture()
def listener():
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


def _connections(server) -> int:
    count = 0
    while True:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_fetcher_refuses_network_and_outside_files_and_fetches_nothing(listener, tmp_path, monkeypatch):
    port = listener.getsockname()[1]
    secret = tmp_path / "segreto.png"
    secret.write_bytes(b"not for the report")
    escape = (ASSETS / ".." / ".." / "pipeline" / "build.py").as_uri()
    refused_urls = [
        "file:///etc/hostname",
        secret.as_uri(),
        escape,
        f"http://127.0.0.1:{port}/x.png",
        f"https://127.0.0.1:{port}/y.css",
        "ftp://127.0.0.1:9/z.png",
    ]
    html = "".join(f'<img src="{u}">' for u in refused_urls[:-2])
    html += f'<link rel="stylesheet" href="{refused_urls[-2]}"><img src="{refused_urls[-1]}">'
    html += ('<p>ok</p><img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdp'
             'ZHRoPSIxIiBoZWlnaHQ9IjEiLz4=">')
    opened: list[str] = []
    real_fetch = URLFetcher.fetch

    def recording_fetch(self, url, headers=None):  # WeasyPrint's own fetching, below ours
        opened.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(URLFetcher, "fetch", recording_fetch)
    fetcher = LocalFetcher()
    pdf = HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert sorted(fetcher.refused) == sorted(refused_urls)
    assert opened and all(u.startswith("data:") for u in opened), opened
    assert _connections(listener) == 0


def test_fetcher_serves_data_urls_and_project_assets():
    fetcher = LocalFetcher()
    font = next(p for p in sorted((ASSETS / "fonts").rglob("*")) if p.is_file())
    response = fetcher.fetch(font.as_uri())
    try:
        assert response.read() == font.read_bytes()
    finally:
        response.close()
    assert fetcher.fetch("data:text/plain,ciao").read() == b"ciao"
    assert fetcher.refused == []
