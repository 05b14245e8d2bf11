"""No-op and selective builds: `python -m pipeline build` with nothing
changed does nothing; a change to one edition rebuilds that edition and the
one compared with it; `make clean` or an output edited by hand rebuilds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline import cli, fingerprint

OPTIONS = {"pdf": "pdf/ua-1"}


def _fake_build(data: Path, out: Path, years: list[int] | None = None) -> fingerprint.Plan:
    """What a build leaves for the check (without rendering anything): a
    folder of files per edition, an index, the record."""
    todo = fingerprint.plan(data, out, years, OPTIONS)
    for year in todo.stale:
        folder = out / str(year)
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "dati").mkdir(parents=True)
        (folder / "pagina.html").write_text(f"pagina {year}", "utf-8")
        (folder / "dati" / "cifre.json").write_text("{}", "utf-8")
        (folder / "manifest.json").write_text("{}", "utf-8")
    (out / "index.html").write_text("indice", "utf-8")
    fingerprint.record(out, todo, {2022: 3})
    return todo


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture(autouse=True)
def records(tmp_path, monkeypatch):
    """Records of these tests' builds kept apart."""
    monkeypatch.setattr(fingerprint, "RECORDS", tmp_path / "impronte")


@pytest.fixture()
def built(data_copy, tmp_path):
    out = tmp_path / "output"
    assert _fake_build(data_copy, out).stale == [2021, 2022]
    return data_copy, out


def _stale(data, out, years=None, options=OPTIONS):
    return fingerprint.plan(data, out, years, options).stale


def test_nothing_changed_nothing_to_do(built):
    data, out = built
    todo = fingerprint.plan(data, out, None, OPTIONS)
    assert todo.stale == [] and todo.warnings == 3
    assert _stale(data, out, [2021]) == []


def test_one_edition_changed(built):
    data, out = built
    _edit(data / "2022" / "edizione.toml", "nota_dati = \"", "nota_dati = \"Nota nuova. ")
    assert _stale(data, out) == [2022]  # 2021 neither compares with 2022 nor shows its text


def test_an_edition_and_the_one_compared_with_it(built):
    data, out = built
    _edit(data / "2021" / "incontri.csv", ",online,", ",mista,")
    assert _stale(data, out) == [2021, 2022]
    assert _stale(data, out, [2021]) == [2021]


def test_a_neighbours_title_is_in_the_link(built):
    data, out = built
    _edit(data / "2022" / "edizione.toml", 'titolo = "Comunità di pratiche"', 'titolo = "Comunità educanti"')
    assert _stale(data, out) == [2021, 2022]


@pytest.mark.parametrize("change", ["ente", "option", "epoch"])
def test_shared_inputs_and_options_rebuild_everything(built, monkeypatch, change):
    data, out = built
    options = OPTIONS
    if change == "ente":
        _edit(data / "ente.toml", "Roma", "Roma ")
    elif change == "option":
        options = {"pdf": "pdf/a-3b"}
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _stale(data, out, options=options) == [2021, 2022]


def test_templates_and_code_are_inputs(built, monkeypatch, tmp_path):
    data, out = built
    templates = tmp_path / "templates"
    shutil.copytree(fingerprint._TEMPLATES, templates)
    monkeypatch.setattr(fingerprint, "_TEMPLATES", templates)
    assert _stale(data, out) == []  # the same contents: the same key
    (templates / "pagina.html.j2").write_text("{{ c }}", "utf-8")
    assert _stale(data, out) == [2021, 2022]
    _fake_build(data, out)
    code = tmp_path / "pipeline"
    shutil.copytree(fingerprint._PACKAGE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "_PACKAGE", code)
    assert _stale(data, out) == []
    _edit(code / "formatting.py", '"""', '"""Changed. ')
    assert _stale(data, out) == [2021, 2022]


def test_editor_scratch_files_are_not_inputs(built):
    data, out = built
    (data / "2021" / ".edizione.toml.swp").write_bytes(b"vim")
    (data / "2021" / "~$dati.xlsx").write_bytes(b"excel")
    assert _stale(data, out) == []


@pytest.mark.parametrize("how", ["edited", "deleted", "added", "manifest", "clean", "beside"])
def test_outputs_touched_by_hand_are_rebuilt(built, how):
    data, out = built
    if how == "edited":
        (out / "2021" / "dati" / "cifre.json").write_text('{"gruppi": 99}', "utf-8")
    elif how == "deleted":
        (out / "2022" / "pagina.html").unlink()
    elif how == "added":
        (out / "2022" / "nota.txt").write_text("mia", "utf-8")
    elif how == "manifest":
        (out / "2021" / "manifest.json").write_text("{ }", "utf-8")
    elif how == "beside":
        (out / "css").mkdir()  # a build would refuse the folder now: it must run
    else:
        shutil.rmtree(out)  # `make clean` removes the records too; this is harder
    expected = {"edited": [2021], "deleted": [2022], "added": [2022], "manifest": [2021],
                "clean": [2021, 2022], "beside": [2021, 2022]}[how]
    assert _stale(data, out) == expected


def test_an_index_edited_by_hand_is_rebuilt(built):
    data, out = built
    (out / "index.html").write_text("il mio indice", "utf-8")
    assert _stale(data, out) == [2021, 2022]


def test_the_command_line_skips_a_build_with_nothing_to_do(data_copy, tmp_path, capsys):
    out = tmp_path / "output"
    args = ["build", "--data", str(data_copy), "--out", str(out)]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert "File scritti:" in first and fingerprint.record_path(out).is_file()

    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert cli.main(args) == 0
    said = capsys.readouterr().out.strip().splitlines()
    assert said == [f"Nessuna modifica dall’ultima generazione: {out.as_posix()}/ è già aggiornata "
                    "(3 avvisi dall’ultima generazione: `make check` li mostra)."]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before

    # One edition's text: only that edition is built again.
    _edit(data_copy / "2022" / "edizione.toml", "nota_dati = \"", "nota_dati = \"Nota nuova. ")
    assert cli.main(args) == 0
    said = capsys.readouterr().out
    assert "Già aggiornate: 2021; da rigenerare: 2022" in said
    assert "Nota nuova." in (out / "2022" / "4-3-comunita-di-pratiche.html").read_text("utf-8")
    assert all(p.stat().st_mtime_ns == t for p, t in before.items() if "/2021/" in p.as_posix())

    # A published file edited by hand: rebuilt, and right again.
    page = out / "2021" / "2-19-comunita-di-pratiche.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"Comunit", b"Kommunit"))
    assert cli.main(args) == 0
    assert "da rigenerare: 2021" in capsys.readouterr().out
    assert page.read_bytes() == original
    assert cli.main(args) == 0
    assert "Nessuna modifica" in capsys.readouterr().out


def test_a_pipe_among_the_inputs_is_left_to_the_build(built):
    """The check never opens what is not a regular file (it would wait for
    a writer forever): the build runs and says what is wrong."""
    data, out = built
    (data / "2021" / "incontri.csv").unlink()
    os.mkfifo(data / "2021" / "incontri.csv")
    assert _stale(data, out) == [2021, 2022]
