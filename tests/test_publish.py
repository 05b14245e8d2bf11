"""Nothing lost: a build that fails, is killed at any moment, or runs next to
another build leaves `output/<anno>` as either the old edition or the whole
new one; inputs are only ever read.

The kill sweep starts real `python -m pipeline build` processes and SIGKILLs
them after delays spread over a build's whole duration (loading, rendering,
writing the temporary folder, swapping it in).
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.publish import publish

from .conftest import DATA, ROOT


def tree_hash(folder: Path) -> str:
    """One digest for a folder: every file's path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def whole_edition_from(folder: Path, data: Path) -> bool:
    """True when `folder` is one complete build of `data`: exactly the files
    its manifest lists, each with the listed sha256, built from `data`'s
    temi.csv. (Checked against the manifest rather than a reference build,
    so that template edits made meanwhile do not matter.)"""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False
    content = json.loads(manifest.read_text("utf-8"))
    listed = {o["path"]: o["sha256"] for o in content["output"]}
    present = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"}
    temi = hashlib.sha256((data / "2021" / "temi.csv").read_bytes()).hexdigest()
    return present == listed and any(i["path"].endswith("2021/temi.csv") and i["sha256"] == temi
                                     for i in content["input"])


def _manifest_of(folder: Path) -> bytes | None:
    try:
        return (folder / "manifest.json").read_bytes()
    except OSError:
        return None


def _other_data(tmp_path: Path) -> Path:
    """The sample data with one visible change, so that its build differs."""
    data = tmp_path / "vecchi-dati"
    shutil.copytree(DATA, data)
    temi = data / "2021" / "temi.csv"
    temi.write_text(temi.read_text("utf-8").replace("Le reti nella", "Le reti (vecchio titolo) nella"), "utf-8")
    return data


def _command(data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "build", "--anno", "2021", "--data", str(data), "--out", str(out),
            *extra]


def _run(data: Path, out: Path) -> None:
    subprocess.run(_command(data, out), cwd=ROOT, check=True, capture_output=True)


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """(old output/, new output/): builds of different data, as folders."""
    base = tmp_path_factory.mktemp("alberi")
    old, new = base / "old", base / "new"
    _run(_other_data(base), old)
    start = time.perf_counter()
    _run(DATA, new)
    duration = time.perf_counter() - start
    assert tree_hash(old / "2021") != tree_hash(new / "2021")
    return old, new, duration


def _foreign_files(out: Path) -> dict[str, bytes]:
    """Files a user keeps in an output folder the build adopts (a website
    checkout): the build must never touch them."""
    files = {"foto.jpg": b"\xff\xd8 foto", "css/sito.css": b"body{}", "2019/vecchio.pdf": b"%PDF vecchio",
             ".nuovo-bozza-7": b"sembra temporaneo"}
    for name, content in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)
    return files


def test_build_killed_at_any_moment_leaves_old_or_whole_new_edition(trees, tmp_path):
    """The SIGKILL sweep on a folder adopted with --adotta (the pipeline's
    old editions beside files it did not write):
    after every kill, the edition is old or wholly new and the foreign files
    are as they were; the next build cleans up after the killed ones."""
    old, new, duration = trees
    old_hash = tree_hash(old / "2021")
    old_index = (old / "index.html").read_bytes()
    seen = []
    # Kills at fractions of a build's duration, plus two tied to what the
    # build does on disk (so that a loaded machine, where every timed kill may
    # fall before publishing, still covers both sides of the swap): as soon
    # as the staging folder appears, and as soon as the new edition is in place.
    staging = lambda out: any(p.name.startswith(".nuovo-2021-") for p in out.iterdir())  # noqa: E731
    swapped = lambda out: _manifest_of(out / "2021") != _manifest_of(old / "2021")  # noqa: E731
    moments = [duration * f for f in (0.05, 0.2, 0.35, 0.5, 0.65, 0.75, 0.85, 0.92, 0.98)] + [staging, swapped]
    for i, moment in enumerate(moments):
        out = tmp_path / f"out-{i}"
        shutil.copytree(old, out)
        foreign = _foreign_files(out)
        process = subprocess.Popen(_command(DATA, out, "--adotta"), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        if callable(moment):
            while process.poll() is None and not moment(out):
                time.sleep(0.0005)
        else:
            time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait()
        is_old = tree_hash(out / "2021") == old_hash
        assert is_old or whole_edition_from(out / "2021", DATA), f"mixed edition after kill {i}"
        index = (out / "index.html").read_bytes()
        assert index == old_index or b"<html" in index and index.rstrip().endswith(b"</html>")
        assert {name: (out / name).read_bytes() for name in foreign} == foreign, f"foreign files touched by kill {i}"
        seen.append("old" if is_old else "new")
    # The next build cleans what a killed one left and publishes; what it
    # did not write stays.
    subprocess.run(_command(DATA, out, "--adotta"), cwd=ROOT, check=True, capture_output=True)
    assert whole_edition_from(out / "2021", DATA)
    assert {name: (out / name).read_bytes() for name in foreign} == foreign
    assert [p.name for p in out.iterdir() if p.name.startswith((".nuovo-", ".vecchio-"))] == [".nuovo-bozza-7"]
    assert "old" in seen and "new" in seen, seen  # kills fell both before and after publishing


def test_interrupted_publish_keeps_the_old_edition(tmp_path, monkeypatch):
    """A failure while writing the temporary folder (disk full, Ctrl-C)
    leaves the published edition untouched."""
    out = tmp_path / "output"
    publish(out, "2021", {"a.txt": b"vecchio", "dati/b.csv": b"1"})
    before = tree_hash(out / "2021")
    real_open = builtins.open

    def failing_open(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).endswith("b.csv"):
            raise KeyboardInterrupt
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", failing_open)
    with pytest.raises(KeyboardInterrupt):
        publish(out, "2021", {"a.txt": b"nuovo", "dati/b.csv": b"2"})
    monkeypatch.undo()
    assert tree_hash(out / "2021") == before
    assert sorted(p.name for p in out.iterdir()) == ["2021"]  # the staging folder is gone
    publish(out, "2021", {"a.txt": b"nuovo"})
    assert (out / "2021" / "a.txt").read_bytes() == b"nuovo"
    assert not (out / "2021" / "dati").exists()  # exactly the new files, nothing left over


def test_two_builds_at_once_do_not_corrupt_each_other(trees, tmp_path):
    old, new, _ = trees
    out = tmp_path / "output"
    other = _other_data(tmp_path)
    processes = [subprocess.Popen(_command(data, out), cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for data in (DATA, other, DATA)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    assert whole_edition_from(out / "2021", DATA) or whole_edition_from(out / "2021", other)
    assert not [p.name for p in out.iterdir() if p.name.startswith((".nuovo-", ".vecchio-"))]


def test_failed_build_keeps_previous_output(built, data_copy, tmp_path):
    from pipeline.errors import InputError
    out = tmp_path / "output"
    shutil.copytree(built, out)
    before = {p: tree_hash(p) for p in out.iterdir() if p.is_dir()}
    index = (out / "index.html").read_bytes()
    (data_copy / "2022" / "temi.csv").write_text("tema,titolo,ciclo\n", "utf-8")
    with pytest.raises(InputError):
        build(data_copy, out, log=lambda line: None)
    assert {p: tree_hash(p) for p in out.iterdir() if p.is_dir()} == before
    assert (out / "index.html").read_bytes() == index


def test_inputs_are_only_read(data_copy, tmp_path, monkeypatch):
    """Every input is opened read-only and left byte for byte, time for time."""
    def snapshot():
        return {p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
                for p in sorted(data_copy.rglob("*")) if p.is_file()}
    before = snapshot()
    opened = []
    real_open = builtins.open

    def watching_open(file, mode="r", *args, **kwargs):
        if str(file).startswith(str(data_copy)):
            opened.append((str(file), mode))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching_open)
    os.chmod(data_copy / "2021" / "temi.csv", 0o444)
    build(data_copy, tmp_path / "output", log=lambda line: None)
    monkeypatch.undo()
    assert opened and all(mode in ("r", "rb") for _, mode in opened), opened
    assert snapshot() == before
    assert sorted(p.name for p in data_copy.iterdir()) == ["2021", "2022", "README.md", "ente.toml"]


def test_publish_swaps_atomically_and_a_kill_after_the_swap_only_leaves_a_hidden_folder(tmp_path, monkeypatch):
    """Stop `publish` right after the exchange (as a kill there would): the
    new edition is whole in place, the old one only in a hidden folder that
    the next publication removes."""
    out = tmp_path / "output"
    publish(out, "2021", {"a.txt": b"vecchio"})
    monkeypatch.setattr(shutil, "rmtree", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        publish(out, "2021", {"a.txt": b"nuovo"})
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert (out / "2021" / "a.txt").read_bytes() == b"nuovo"
    hidden = [p for p in out.iterdir() if p.name.startswith(".nuovo-")]
    assert [(p / "a.txt").read_bytes() for p in hidden] == [b"vecchio"]
    from pipeline.publish import clean_leftovers
    clean_leftovers(out)
    assert sorted(p.name for p in out.iterdir()) == ["2021"]
