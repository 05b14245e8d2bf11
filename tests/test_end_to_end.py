"""End to end: the sample editions build, and the published figures of the
2021 section appear in the table, the page and the PDF."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.build import build

from .conftest import DATA

SLUG_2021 = "2-19-comunita-di-pratiche"


def _pdf_text(path: Path) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    text = re.sub(r"[\u2010\u00ad-]\n", "", text)  # words hyphenated at a line end
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def _html_text(path: Path) -> str:
    html = path.read_text("utf-8")
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\u00a0", " "))
    return re.sub(r" ([,.;:])", r"\1", text)  # a closing tag before punctuation is no space


def test_outputs_exist(built):
    for name in (f"{SLUG_2021}.html", f"{SLUG_2021}.pdf", "dati/tab-21.csv", "dati/cifre.json", "manifest.json"):
        assert (built / "2021" / name).is_file(), name
    assert (built / "index.html").is_file()


def test_table_csv_is_the_published_table(built):
    rows = list(csv.reader(io.StringIO((built / "2021/dati/tab-21.csv").read_text("utf-8-sig"))))
    assert rows == [
        ["Bando", "Nord", "Centro", "Sud e Isole", "Multiregionale", "Totale"],
        ["Prima Infanzia 2016", "1", "1", "2", "1", "5"],
        ["Adolescenza 2016", "1", "1", "2", "1", "5"],
        ["Nuove Generazioni 2017", "2", "1", "2", "1", "6"],
        ["Totale", "4", "3", "6", "3", "16"],
    ]


def test_figures_json(built):
    cifre = json.loads((built / "2021/dati/cifre.json").read_text("utf-8"))
    assert cifre["progetti_coinvolti"] == 249
    assert cifre["progetti_per_bando"] == {"Prima Infanzia 2016": 80, "Adolescenza 2016": 86,
                                           "Nuove Generazioni 2017": 83}
    assert cifre["incontri"] == 35
    assert cifre["gruppi"] == 16
    assert cifre["facilitatori"] == 3
    assert cifre["primo_incontro"].startswith("2020-11")
    assert cifre["incontri_per_modalita"] == {"online": 35, "in presenza": 0, "mista": 0}
    assert cifre["data_riferimento"] == "2021-12-31"


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_published_figures_appear_in_page_and_pdf(built, kind):
    path = built / "2021" / f"{SLUG_2021}.{kind}"
    text = _pdf_text(path) if kind == "pdf" else _html_text(path)
    for needle in ("249 progetti", "Prima Infanzia 2016 (80 progetti)", "Adolescenza 2016 (86)",
                   "Nuove Generazioni 2017 (83)", "35 incontri", "16 comunità di pratiche", "3 facilitatori",
                   "novembre 2020", "31 dicembre 2021", "tutti online",
                   "Tab 21 – Comunità di pratiche: gruppi attivati e distribuzione territoriale",
                   "i 3 gruppi multiregionali hanno affrontato solo il primo tema",
                   "Da settembre 2021", "Con i Bambini", "Via del Corso, 262"):
        assert needle in text, f"{needle!r} missing from the {kind}"


def test_manifest_lists_inputs_and_outputs_with_hashes(built):
    manifest = json.loads((built / "2021/manifest.json").read_text("utf-8"))
    inputs = {i["path"]: i for i in manifest["input"]}
    assert inputs["raw/2021/incontri.csv"]["rows"] == 35
    assert inputs["raw/2021/progetti.csv"]["rows"] == 249
    assert inputs["raw/2021/incontri.csv"]["sha256"] == hashlib.sha256(
        (DATA / "2021/incontri.csv").read_bytes()).hexdigest()
    for entry in manifest["output"]:
        assert hashlib.sha256((built / "2021" / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert "weasyprint" in manifest["versioni"]
    assert "/" not in json.dumps(manifest["input"]).split("raw/")[0]  # no absolute paths


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_builds_give_identical_bytes(built, tmp_path, monkeypatch):
    again = tmp_path / "output"
    build(DATA, again, log=lambda line: None)
    assert _tree(again) == _tree(built)


def test_source_date_epoch_is_honoured_and_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first, second = tmp_path / "a", tmp_path / "b"
    build(DATA, first, years=[2021], log=lambda line: None)
    build(DATA, second, years=[2021], log=lambda line: None)
    assert _tree(first) == _tree(second)
    meta = PdfReader(first / "2021" / f"{SLUG_2021}.pdf").metadata
    assert "20231114" in str(meta.get("/CreationDate"))


def test_build_can_run_again_in_the_same_process_on_changed_data(data_copy, tmp_path):
    """What a live preview does: rebuild after an edit, without restarting."""
    out = tmp_path / "output"
    build(data_copy, out, years=[2021], log=lambda line: None)
    meetings = data_copy / "2021" / "incontri.csv"
    lines = meetings.read_text("utf-8").splitlines(keepends=True)
    meetings.write_text("".join(lines[:-1]), "utf-8")  # the last meeting removed
    build(data_copy, out, years=[2021], log=lambda line: None)
    cifre = json.loads((out / "2021/dati/cifre.json").read_text("utf-8"))
    assert cifre["incontri"] == 34
    assert "34 incontri" in _html_text(out / "2021" / f"{SLUG_2021}.html")
