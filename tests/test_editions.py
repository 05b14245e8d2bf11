"""Every edition, not just 2021: the 2022 sample, links between editions,
the year-over-year view, and editions as pure data."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.build import build

from .conftest import DATA, files_of
from .test_end_to_end import _html_text, _pdf_text

SLUG_2022 = "4-3-comunita-di-pratiche"


def _rows(name: str, year: int = 2022) -> list[dict]:
    with open(DATA / str(year) / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def expected_2022() -> dict:
    """The 2022 figures, counted here with the csv module, independently of
    the pipeline's pandas code."""
    bandi = _rows("bandi.csv")
    gruppi = _rows("gruppi.csv")
    progetti = _rows("progetti.csv")
    incontri = [r for r in _rows("incontri.csv") if r["data"] <= "2022-12-31"]
    led_by = {g["gruppo"]: g["facilitatore"] for g in gruppi}
    cells = Counter((g["bando"], g["area"]) for g in gruppi)
    areas = ["Nord", "Centro", "Sud e Isole", "Multiregionale"]
    table = [[f"{b['nome']} {b['anno']}"] + [str(cells[(b["bando"], a)]) for a in areas]
             + [str(sum(cells[(b["bando"], a)] for a in areas))] for b in bandi]
    table.append(["Totale"] + [str(sum(cells[(b["bando"], a)] for b in bandi)) for a in areas] + [str(len(gruppi))])
    return {
        "table": table,
        "gruppi": len(gruppi),
        "progetti": sum(1 for p in progetti if p["gruppo"]),
        "senza_gruppo": sum(1 for p in progetti if not p["gruppo"]),
        "incontri": len(incontri),
        "modalita": Counter(r["modalita"] for r in incontri),
        "patti": [r for r in incontri if r["tema"] == "PATTI"],
        "led_by": led_by,
        "facilitatori": len({led_by[m["gruppo"]] for m in incontri}),  # the file has no facilitatore column
        "bandi": len(bandi),
    }


def test_2022_table_matches_hand_count(built, expected_2022):
    rows = list(csv.reader((built / "2022/dati/tab-37.csv").read_text("utf-8-sig").splitlines()))
    assert rows[0] == ["Bando", "Nord", "Centro", "Sud e Isole", "Multiregionale", "Totale"]
    assert rows[1:] == expected_2022["table"]
    assert ["Cambio rotta 2019", "0", "1", "1", "0", "2"] in rows  # zero cells stay


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_2022_figures_in_page_and_pdf(built, expected_2022, kind):
    path = built / "2022" / f"{SLUG_2022}.{kind}"
    text = _pdf_text(path) if kind == "pdf" else _html_text(path)
    e = expected_2022
    m = e["modalita"]
    for needle in (f"{e['incontri']} incontri", f"{e['gruppi']} comunità di pratiche",
                   f"per un totale di {e['progetti']} progetti", f"Altri {e['senza_gruppo']} progetti",
                   f"{e['facilitatori']} facilitatori", f"{m['online']} si sono svolti online",
                   f"{m['in presenza']} in presenza", f"{m['mista']} in forma mista",
                   "Tab 37 – Comunità di pratiche", "4.3 Comunità di pratiche",
                   "Non sono conteggiati 3 incontri", "31 dicembre 2022",
                   "Rispetto al 2021 la variazione più ampia riguarda i bandi coinvolti, cresciuti da 3 a 7 (+133%)",
                   "Le cifre principali a confronto con il 2021"):
        assert needle in text, f"{needle!r} missing from the 2022 {kind}"
    assert "parte terza" in text.lower()


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_2022_theme_names_the_facilitators_of_its_own_meetings(built, expected_2022, kind):
    """The paragraph on the extra theme counts who led that theme's
    meetings (3 in the sample), not every facilitator of the edition (4)."""
    patti = expected_2022["patti"]
    led = {expected_2022["led_by"][m["gruppo"]] for m in patti}
    assert (len(led), expected_2022["facilitatori"]) == (3, 4)
    path = built / "2022" / f"{SLUG_2022}.{kind}"
    text = _pdf_text(path) if kind == "pdf" else _html_text(path)
    assert (f"“Patti educativi di comunità”: {len(patti)} incontri con {len({m['gruppo'] for m in patti})} gruppi, "
            f"con il contributo di {len(led)} facilitatori.") in text
    assert "La conduzione è stata affidata a 4 facilitatori" in text
    cifre = json.loads((built / "2022/dati/cifre.json").read_text("utf-8"))
    assert cifre["temi"]["PATTI"]["facilitatori"] == 3
    assert cifre["facilitatori"] == 4


def test_comparison_in_figures_json(built):
    cifre = json.loads((built / "2022/dati/cifre.json").read_text("utf-8"))
    assert cifre["confronto"]["anno_precedente"] == 2021
    assert cifre["confronto"]["incontri"] == {"precedente": 35, "attuale": 78, "variazione": 43,
                                             "variazione_percentuale": 123}
    assert json.loads((built / "2021/dati/cifre.json").read_text("utf-8"))["confronto"] is None


def _local_links(page: Path) -> list[str]:
    html = page.read_text("utf-8")
    return [h for h in re.findall(r'href="([^"]+)"', html) if not urlsplit(h).scheme and not h.startswith("#")]


def test_links_between_editions_resolve(built):
    pages = [built / "index.html", built / "2021" / "2-19-comunita-di-pratiche.html", built / "2022" / f"{SLUG_2022}.html"]
    for page in pages:
        links = _local_links(page)
        assert links, page
        for href in links:
            assert (page.parent / href).resolve().is_file(), f"{page.name}: {href} is broken"
    assert 'href="../2022/4-3-comunita-di-pratiche.html"' in pages[1].read_text("utf-8")
    assert 'href="../2021/2-19-comunita-di-pratiche.html"' in pages[2].read_text("utf-8")
    index = pages[0].read_text("utf-8")
    assert index.index("Bilancio sociale 2022") < index.index("Bilancio sociale 2021")  # newest first


def _set(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def _renumber_back(text: str) -> str:
    """4.7 -> 4.3 where it is the section number (not inside 134.71428)."""
    return re.sub(r"(?<![\d.])4\.7(?![\d])", "4.3", text).replace("4-7-", "4-3-")


def test_renumbering_a_section_changes_only_its_number(built, data_copy, tmp_path):
    _set(data_copy / "2022" / "edizione.toml", 'numero = "4.3"', 'numero = "4.7"')
    out = tmp_path / "out"
    build(data_copy, out, log=lambda line: None)
    before, after = files_of(built / "2022"), files_of(out / "2022")
    assert set(after) == {name.replace("4-3-", "4-7-") for name in before}
    for name, content in before.items():
        if name.endswith((".html", ".json", ".csv")) and name != "manifest.json":
            renamed = after[name.replace("4-3-", "4-7-")].decode("utf-8")
            original = content.decode("utf-8")
            assert "4.7" in renamed or "4-7" in renamed or name.startswith("dati/"), name
            assert _renumber_back(renamed) == original, name
    pdf_before = _pdf_text(built / "2022" / f"{SLUG_2022}.pdf")
    pdf_after = _pdf_text(out / "2022" / "4-7-comunita-di-pratiche.pdf")
    assert "4.7 Comunità di pratiche" in pdf_after
    assert _renumber_back(pdf_after) == pdf_before


def test_a_new_edition_folder_builds_without_code_changes(data_copy, tmp_path):
    shutil.copytree(data_copy / "2022", data_copy / "2023")
    toml = data_copy / "2023" / "edizione.toml"
    _set(toml, "anno = 2022", "anno = 2023")
    _set(toml, "data_riferimento = 2022-12-31", "data_riferimento = 2023-12-31")
    _set(toml, "tabella = 37", "tabella = 41")
    out = tmp_path / "out"
    build(data_copy, out, log=lambda line: None)
    cifre = json.loads((out / "2023/dati/cifre.json").read_text("utf-8"))
    assert cifre["incontri"] == 81  # the three 2023 meetings now count
    assert cifre["confronto"]["anno_precedente"] == 2022
    assert cifre["confronto"]["incontri"]["variazione"] == 3
    text = _html_text(out / "2023" / f"{SLUG_2022}.html")
    assert ("Rispetto al 2022 la variazione più ampia riguarda gli incontri, cresciuti da 78 a 81 (+4%); "
            "le altre cifre principali sono rimaste invariate.") in text
    assert (out / "2023/dati/tab-41.csv").is_file()
    index = (out / "index.html").read_text("utf-8")
    assert index.index("2023/") < index.index("2022/") < index.index("2021/")


def test_previous_edition_with_bad_data_stops_the_build(data_copy, tmp_path):
    from pipeline.errors import InputError
    _set(data_copy / "2021" / "incontri.csv", "INC-002,AD-NORD,2020-11-16", "INC-002,AD-NORD,2020-11-31")
    with pytest.raises(InputError) as caught:
        build(data_copy, tmp_path / "out", years=[2022], log=lambda line: None)
    assert any(p.path.endswith("2021/incontri.csv") and p.column == "data" for p in caught.value.problems)
    assert not (tmp_path / "out" / "2022").exists()


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, "utf-8")


def test_the_text_agrees_in_number_with_a_tiny_edition(data_copy, tmp_path):
    """One call, one group, one project, one meeting in person, one
    facilitator: every sentence in the singular, none about absent things."""
    folder = data_copy / "2024"
    folder.mkdir()
    toml = (data_copy / "2021" / "edizione.toml").read_text("utf-8")
    toml = toml.replace("anno = 2021", "anno = 2024").replace("2021-12-31", "2024-12-31")
    _write(folder, "edizione.toml", toml.replace('contesto_modalita = "a causa dell’emergenza sanitaria"\n', ""))
    _write(folder, "bandi.csv", "bando,nome,anno\nB1,Prova,2024\n")
    _write(folder, "temi.csv", "tema,titolo,ciclo\nT1,Primo tema,1\nT2,Secondo tema,2\n")
    _write(folder, "gruppi.csv", "gruppo,bando,area,facilitatore\nG1,B1,Nord,Anna Rossi\n")
    _write(folder, "progetti.csv", "progetto,bando,titolo,regione,gruppo\nP1,B1,Un progetto,Veneto,G1\n")
    _write(folder, "incontri.csv", "incontro,gruppo,data,tema,modalita,partecipanti\nI1,G1,2024-03-05,T1,in presenza,12\n")
    out = tmp_path / "out"
    build(data_copy, out, years=[2024], log=lambda line: None)
    text = _html_text(out / "2024" / "2-19-comunita-di-pratiche.html")
    for needle in ("L’unico incontro si è svolto a marzo 2024, in presenza.",
                   "La conduzione è stata affidata a un facilitatore, selezionato con un avviso pubblico, che ha lavorato",
                   "Nel primo anno di sperimentazione è stato coinvolto un progetto, del bando Prova 2024.",
                   "Al 31 dicembre 2024 si contano un incontro e una comunità di pratiche, cioè un gruppo, "
                   "come mostra la Tab 21.",
                   "Alla data di riferimento l’unico gruppo ha affrontato solo il primo tema.",
                   "Rispetto al 2022 la variazione più ampia riguarda i progetti coinvolti, diminuiti da 382 a 1 (−99,7%); "
                   "diminuiscono anche tutte le altre cifre principali."):
        assert needle in text, needle
    for absent in ("Altri", "Non sono conteggiati", "Da settembre", "tutti online"):
        assert absent not in text, absent


def test_index_skips_folders_that_are_not_published_editions(data_copy, tmp_path):
    out = tmp_path / "out"
    (out / "1999").mkdir(parents=True)  # no manifest
    (out / "2000").mkdir()
    (out / "2000" / "manifest.json").write_text("{ non è json", "utf-8")
    build(data_copy, out, years=[2021], log=lambda line: None, adopt=True)  # a folder it did not create
    index = (out / "index.html").read_text("utf-8")
    assert "2021/2-19-comunita-di-pratiche.html" in index
    assert "1999" not in index and "Bilancio sociale 2000" not in index
    assert (out / "2000" / "manifest.json").read_text("utf-8") == "{ non è json"  # adopted: left as it was
