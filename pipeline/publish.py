"""Publish: put a built edition in place without ever showing half of it,
and never touch what the pipeline did not write.

The files of an edition are written into a fresh folder beside the target
(`output/.nuovo-<anno>-<pid>`), flushed to disk, then swapped with
`output/<anno>` in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`; a
plain rename when there is nothing to replace). A reader, or a build killed
at any moment, finds either the old edition or the whole new one. A failure
while writing (disk full included) removes the staging folder; leftovers of
killed builds are removed by the next build.

Ownership is read from the manifests, so that nothing but the outputs
(no marker, no lock file) lands in a folder that is uploaded as a site. An
edition folder is the pipeline's when its `manifest.json` lists every file
in it; the output folder is the pipeline's when it is new or empty, or when
everything in it is the pipeline's: such editions, `index.html` beside
them, temporary entries of killed builds. The pipeline refuses (UsageError,
exit 2) an output folder that is, contains or lies inside the data folder,
the filesystem root, the home folder or one of its ancestors, and a
non-empty folder that is not its own unless adopted (`--adotta`, at every
build); even then it only ever replaces edition folders it owns,
`index.html` when it is the pipeline's, and its own temporary entries.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import functools
import json
import os
import re
import shutil
from pathlib import Path

from .errors import UsageError, display_path

_RENAME_EXCHANGE = 2
# Temporary entries a build makes beside its targets: `.nuovo-2021-1234`
# (an edition being written, or the old one after the swap),
# `.vecchio-2021-1234`, `.nuovo-index.html-1234`.
_TEMPORARY = re.compile(r"\.(nuovo|vecchio)-([0-9]{4}|index\.html)-[0-9]+")
LOCK = ".lock"  # the lock file of earlier versions (the lock is now on the folder itself)
INDEX = "index.html"
EDITION_NAME = re.compile(r"[0-9]{4}")
_SHOWN_ENTRIES = 6  # foreign entries named in a refusal


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    libc = _libc()
    fn = getattr(libc, "renameat2", None) if libc else None
    if fn is None:
        return False
    AT_FDCWD = -100
    result = fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_tree(folder: Path, files: dict[str, bytes], durable: bool = True) -> None:
    """Write `files` (relative path -> bytes) under a new `folder`; flushed
    to disk unless `durable` is False (the live preview)."""
    for relative, content in sorted(files.items()):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
    if durable:
        for directory in sorted({(folder / r).parent for r in files} | {folder}):
            _fsync_dir(directory)


# --- ownership -----------------------------------------------------------

def edition_manifest(folder: Path) -> dict | None:
    """The manifest of `folder` when the folder is an edition this pipeline
    published: a real folder (not a link) whose `manifest.json` lists every
    file in it (and whose sub-folders only hold listed files); else None."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    try:
        with open(folder / "manifest.json", "rb") as handle:
            manifest = json.loads(handle.read(10_000_000))
        listed = {o["path"] for o in manifest["output"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(p, str) for p in listed):
        return None
    parents = {parent.as_posix() for p in listed for parent in Path(p).parents} - {"."}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).as_posix()
        if relative == "manifest.json":
            continue
        if path.is_dir() and not path.is_symlink():
            if relative not in parents:
                return None
        elif relative not in listed:
            return None
    return manifest


_RELATIVE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")


def published_file(folder: Path, manifest: dict, value) -> str | None:
    """`value` when it is a plain relative path (no scheme, no way out of
    `folder`) to a file that `manifest` lists and that exists; else None.
    What the index links to is checked this way: a manifest is only data."""
    if not isinstance(value, str) or not _RELATIVE.fullmatch(value) or ".." in value.split("/"):
        return None
    listed = {o.get("path") for o in manifest.get("output", ()) if isinstance(o, dict)}
    return value if value in listed and (folder / value).is_file() else None


def _is_temporary(entry: Path) -> bool:
    return bool(_TEMPORARY.fullmatch(entry.name))


def _foreign_entries(out_dir: Path) -> list[str]:
    """Entries of `out_dir` that this pipeline would not have written."""
    entries = sorted(out_dir.iterdir())
    editions = [e for e in entries if EDITION_NAME.fullmatch(e.name) and edition_manifest(e) is not None]
    ours = {LOCK} | {e.name for e in editions}
    if editions:  # an index beside published editions is the one that lists them
        ours.add(INDEX)
    return [e.name for e in entries if e.name not in ours and not _is_temporary(e)]


def _names(entries: list[str]) -> str:
    shown = ", ".join(entries[:_SHOWN_ENTRIES])
    return shown + (f" e altri {len(entries) - _SHOWN_ENTRIES}" if len(entries) > _SHOWN_ENTRIES else "")


def _foreign_files(folder: Path) -> list[str]:
    """Files in an edition folder that its manifest does not list."""
    try:
        with open(folder / "manifest.json", "rb") as handle:
            listed = {o["path"] for o in json.loads(handle.read(10_000_000))["output"]}
    except (OSError, ValueError, KeyError, TypeError):
        listed = set()
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if not (p.is_dir() and not p.is_symlink())
                  and p.relative_to(folder).as_posix() not in listed | {"manifest.json"})


def check_target(out_dir: Path, data_dir: Path, names: list[str], adopt: bool = False) -> None:
    """Refuse (UsageError) an output folder the build must not write into;
    `names`: the edition folders the build will replace.

    Nothing is written here."""
    shown = display_path(out_dir)
    out, data = out_dir.resolve(), data_dir.resolve()
    if out == out.parent:
        raise UsageError(f"--out {shown}: è la radice del filesystem; scegliere una cartella apposta, "
                         "per esempio output")
    home = Path.home().resolve()
    if out == home or home.is_relative_to(out):
        what = "è la cartella personale" if out == home else "contiene la cartella personale"
        raise UsageError(f"--out {shown}: {what}; scegliere una cartella apposta, per esempio output")
    if out == data or data.is_relative_to(out) or out.is_relative_to(data):
        what = ("è la cartella dei dati" if out == data else
                "contiene la cartella dei dati" if data.is_relative_to(out) else
                "si trova dentro la cartella dei dati")
        raise UsageError(f"--out {shown}: {what} ({display_path(data_dir)}); i risultati vanno in una "
                         "cartella separata, per esempio output")
    if not out_dir.exists():
        if out_dir.is_symlink():
            raise UsageError(f"--out {shown}: è un collegamento simbolico che non porta a nessuna cartella")
        return
    if not out_dir.is_dir():
        raise UsageError(f"--out {shown}: è un file, non una cartella")
    foreign = _foreign_entries(out_dir)
    if [name for name in foreign if name not in names] and not adopt:
        raise UsageError(
            f"--out {shown}: la cartella esiste, non è vuota e non è stata creata da questa procedura "
            f"(contiene {_names(foreign)}); scegliere una cartella nuova o vuota, oppure aggiungere "
            "--adotta per usarla lasciando intatti i file che contiene")
    for name in names:
        target = out_dir / name
        if (target.exists() or target.is_symlink()) and edition_manifest(target) is None:
            files = _foreign_files(target) if target.is_dir() and not target.is_symlink() else []
            what = (f"contiene file che questa procedura non ha scritto ({_names(files)})" if files else
                    "non è un’edizione pubblicata da questa procedura")
            raise UsageError(f"--out {shown}: {display_path(target)} {what} e verrebbe sostituita; "
                             "spostarla oppure scegliere un’altra cartella")
    if INDEX in foreign:
        raise UsageError(f"--out {shown}: contiene un {INDEX} che non è stato scritto da questa procedura "
                         "e che verrebbe sostituito dall’indice delle edizioni; spostarlo oppure scegliere "
                         "un’altra cartella")


def clean_leftovers(out_dir: Path) -> None:
    """Remove the temporary entries of builds that were interrupted."""
    if not out_dir.is_dir():
        return
    for entry in out_dir.iterdir():
        if _is_temporary(entry):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


@contextlib.contextmanager
def locked(out_dir: Path):
    """Hold a lock on `out_dir` so that two builds publish one after the
    other. The lock is taken on the folder itself (flock on its descriptor):
    no lock file is left inside the output, where it would be uploaded with
    the site, nor beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def publish(out_dir: Path, name: str, files: dict[str, bytes], durable: bool = True) -> Path:
    """Replace `out_dir/name` by a folder holding exactly `files`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    staging = out_dir / f".nuovo-{name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        write_tree(staging, files, durable)
    except BaseException:  # disk full, Ctrl-C, a name too long: nothing left behind
        _remove(staging)
        raise
    if target.exists() and _exchange(staging, target):
        # `staging` now holds the old edition. The new one is already in
        # place: failing to delete the old one must not fail the build (the
        # next build removes what is left).
        shutil.rmtree(staging, ignore_errors=True)
    else:
        if target.exists():  # no atomic exchange here: keep the gap as short as can be
            old = out_dir / f".vecchio-{name}-{os.getpid()}"
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.rename(staging, target)
            except BaseException:
                _remove(staging)
                raise
    if durable:
        _fsync_dir(out_dir)
    return target


def publish_file(path: Path, content: bytes, durable: bool = True) -> None:
    """Replace one file atomically (write beside, then rename over)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".nuovo-{path.name}-{os.getpid()}")
    try:
        with open(staging, "wb") as handle:
            handle.write(content)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(staging, path)
    except BaseException:
        _remove(staging)
        raise
