"""Publish: put a built edition in place without ever showing half of it.

The files of an edition are written into a fresh folder beside the target
(`output/.nuovo-<anno>-<pid>`), flushed to disk, then swapped with
`output/<anno>` in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`; a
plain rename when there is nothing to replace). A reader, or a build killed
at any moment, finds either the old edition or the whole new one. Leftovers
of killed builds are removed by the next build.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import functools
import os
import shutil
from pathlib import Path

_RENAME_EXCHANGE = 2
_PREFIXES = (".nuovo-", ".vecchio-")


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


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` (relative path -> bytes) under a new `folder`."""
    for relative, content in sorted(files.items()):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    for directory in sorted({(folder / r).parent for r in files} | {folder}):
        _fsync_dir(directory)


def clean_leftovers(out_dir: Path) -> None:
    """Remove the temporary folders of builds that were interrupted."""
    if out_dir.is_dir():
        for entry in out_dir.iterdir():
            if entry.name.startswith(_PREFIXES):
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


def publish(out_dir: Path, name: str, files: dict[str, bytes]) -> Path:
    """Replace `out_dir/name` by a folder holding exactly `files`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    staging = out_dir / f".nuovo-{name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    write_tree(staging, files)
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
            os.rename(staging, target)
    _fsync_dir(out_dir)
    return target


def publish_file(path: Path, content: bytes) -> None:
    """Replace one file atomically (write beside, then rename over)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".nuovo-{path.name}-{os.getpid()}")
    with open(staging, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
