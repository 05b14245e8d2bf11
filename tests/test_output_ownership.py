"""The output folder: the build writes only into a folder it owns and never
deletes what it did not write.

Each case points `--out` somewhere a hurried user might, and checks the exit
status, the Italian message, and that every file outside the outputs (the
data folder, an unrelated folder) is byte for byte as it was.
"""

from __future__ import annotations

import builtins
import errno
import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from .test_publish import tree_hash, whole_edition_from


def _run(capsys, *argv: str) -> tuple[int, str]:
    status = main(["build", "--anno", "2021", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return status, captured.err


def _website(folder: Path) -> None:
    """A website checkout: what a user might point --out at by mistake."""
    (folder / "2021").mkdir(parents=True)
    (folder / "2021" / "foto.jpg").write_bytes(b"\xff\xd8 una foto")
    (folder / "index.html").write_text("<html>il sito</html>", "utf-8")
    (folder / "css").mkdir()
    (folder / "css" / "sito.css").write_text("body{}", "utf-8")


# --- folders that are never an output folder ------------------------------

@pytest.mark.parametrize("where, says", [
    (lambda data: data, "è la cartella dei dati"),
    (lambda data: data / "2021", "si trova dentro la cartella dei dati"),
    (lambda data: data / "nuova", "si trova dentro la cartella dei dati"),
    (lambda data: data.parent, "contiene la cartella dei dati"),
])
def test_output_folder_overlapping_the_data_is_refused(data_copy, capsys, where, says):
    before = tree_hash(data_copy.parent)
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(where(data_copy)))
    assert status == 2 and says in err, err
    assert tree_hash(data_copy.parent) == before
    assert sorted(p.name for p in data_copy.iterdir()) == ["2021", "2022", "README.md", "ente.toml"]


def test_output_folder_reaching_the_data_through_a_link_is_refused(data_copy, tmp_path, capsys):
    link = tmp_path / "collegamento"
    link.symlink_to(data_copy / "2021")
    before = tree_hash(data_copy)
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(link))
    assert status == 2 and "dentro la cartella dei dati" in err
    assert tree_hash(data_copy) == before


def test_filesystem_root_and_home_are_refused(data_copy, tmp_path, capsys, monkeypatch):
    home = tmp_path / "casa" / "utente"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    for out, says in (("/", "radice del filesystem"), (str(home), "è la cartella personale"),
                      (str(home.parent), "contiene la cartella personale")):
        status, err = _run(capsys, "--data", str(data_copy), "--out", out)
        assert status == 2 and says in err, (out, err)
    assert list(home.iterdir()) == []


def test_a_file_as_output_folder_is_refused(data_copy, tmp_path, capsys):
    target = tmp_path / "risultati"
    target.write_text("appunti", "utf-8")
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(target))
    assert status == 2 and "è un file, non una cartella" in err
    assert target.read_text("utf-8") == "appunti"


# --- folders the pipeline did not create ----------------------------------

def test_existing_folder_it_did_not_create_is_refused_untouched(data_copy, tmp_path, capsys):
    site = tmp_path / "sito"
    _website(site)
    before = tree_hash(site)
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(site))
    assert status == 2, err
    assert "non è stata creata da questa procedura" in err and "--adotta" in err and "2021" in err
    assert tree_hash(site) == before and sorted(p.name for p in site.iterdir()) == ["2021", "css", "index.html"]


def test_adopting_never_replaces_a_folder_or_index_it_did_not_write(data_copy, tmp_path, capsys):
    site = tmp_path / "sito"
    _website(site)
    for removed, says in ((None, "foto.jpg"), ("2021", "index.html")):
        if removed:
            shutil.rmtree(site / removed)
        before = tree_hash(site)
        status, err = _run(capsys, "--data", str(data_copy), "--out", str(site), "--adotta")
        assert status == 2 and says in err, err
        assert tree_hash(site) == before
    assert sorted(p.name for p in site.iterdir()) == ["css", "index.html"]


def test_adopted_folder_keeps_every_file_it_held(data_copy, tmp_path, capsys):
    site = tmp_path / "sito"
    _website(site)
    shutil.rmtree(site / "2021")
    (site / "index.html").unlink()
    (site / ".nuovo-appunti-1").write_text("sembra temporaneo, ma non è nostro", "utf-8")
    foreign = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(site), "--adotta")
    assert status == 0, err
    assert whole_edition_from(site / "2021", data_copy)
    assert sorted(p.name for p in site.iterdir()) == [".nuovo-appunti-1", "2021", "css", "index.html"]
    # The folder still holds files the pipeline did not write: every build
    # says so again, and with --adotta leaves them alone.
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(site))
    assert status == 2 and "css" in err and "--adotta" in err, err
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(site), "--adotta")
    assert status == 0, err
    assert {p: (site / p).read_bytes() for p in foreign} == foreign


def test_output_folder_of_an_earlier_version_is_recognised(built, data_copy, tmp_path, capsys):
    """A folder made by an earlier version (its lock file, a killed build's
    staging folder): every entry is something the pipeline writes, so it is
    the pipeline's, and the leftovers are cleaned."""
    out = tmp_path / "output"
    shutil.copytree(built, out)
    (out / ".lock").write_bytes(b"")
    shutil.copytree(out / "2021", out / ".nuovo-2021-99999")
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(out))
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == [".lock", "2021", "2022", "index.html"]


def test_an_edited_edition_folder_is_not_replaced(built, data_copy, tmp_path, capsys):
    """A file added by hand inside a published edition is not the
    pipeline's: the build refuses to replace that edition."""
    out = tmp_path / "output"
    shutil.copytree(built, out)
    (out / "2021" / "dati" / "note.txt").write_text("mie note", "utf-8")
    before = tree_hash(out)
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(out))
    assert status == 2 and "dati/note.txt" in err, err
    assert tree_hash(out) == before


def test_empty_or_new_folder_becomes_the_pipelines(data_copy, tmp_path, capsys):
    for out in (tmp_path / "vuota", tmp_path / "nuova" / "sotto"):
        if out.name == "vuota":
            out.mkdir()
        status, err = _run(capsys, "--data", str(data_copy), "--out", str(out))
        assert status == 0, err
        assert whole_edition_from(out / "2021", data_copy)
        assert sorted(p.name for p in out.iterdir()) == ["2021", "index.html"]  # nothing but the outputs


# --- failures while writing -----------------------------------------------

@pytest.mark.parametrize("failing", ["grafici", "manifest.json", "index.html"])
def test_disk_full_leaves_old_outputs_and_no_staging(built, data_copy, tmp_path, capsys, monkeypatch, failing):
    """A write that fails with ENOSPC, at several points of publishing:
    exit 1, "disco pieno", every published file as it was (or wholly new),
    no temporary folder or file left."""
    out = tmp_path / "output"
    shutil.copytree(built, out)
    old = tree_hash(out / "2021")
    real_open = builtins.open

    def full_disk(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if "w" in mode and failing in str(file):
            handle.close()
            raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return handle

    monkeypatch.setattr(builtins, "open", full_disk)
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(out))
    monkeypatch.undo()
    assert status == 1 and "disco pieno" in err, err
    assert tree_hash(out / "2021") == old or whole_edition_from(out / "2021", data_copy)
    if failing != "index.html":
        assert tree_hash(out / "2021") == old
    leftovers = [p.name for p in out.iterdir() if p.name.startswith((".nuovo-", ".vecchio-"))]
    assert leftovers == []


# --- the index ------------------------------------------------------------

@pytest.mark.parametrize("pagina", ["javascript:alert(1)", "https://esempio.it/x.html", "/etc/passwd",
                                    "../../fuori.html", "non-esiste.html", "2-19-comunita-di-pratiche.html"])
def test_index_links_only_to_files_the_pipeline_wrote(built, data_copy, tmp_path, capsys, pagina):
    """A planted edition (folder and manifest written by someone else) is
    not listed, whatever its manifest says; the real editions are."""
    out = tmp_path / "output"
    shutil.copytree(built, out)
    planted = out / "2019"
    shutil.copytree(out / "2021", planted)
    manifest = json.loads((planted / "manifest.json").read_text("utf-8"))
    manifest["edizione"].update(anno=2019, pagina=pagina, titolo="Piantata")
    if pagina == "2-19-comunita-di-pratiche.html":  # coherent links, but a file the manifest does not list
        (planted / "extra.js").write_text("alert(1)", "utf-8")
    (planted / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    status, err = _run(capsys, "--data", str(data_copy), "--out", str(out), "--adotta")
    assert status == 0, err
    index = (out / "index.html").read_text("utf-8")
    assert "Piantata" not in index and "javascript:" not in index and "https://esempio" not in index
    assert 'href="2021/2-19-comunita-di-pratiche.html"' in index
