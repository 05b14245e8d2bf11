"""No-op builds: is the output folder already what a build would write?

Before `python -m pipeline build` imports pandas, matplotlib or WeasyPrint
(most of a build's time), the command line asks `plan()` which of the
requested editions are out of date. An edition's key is a hash of
everything its files depend on:
  - its folder under the data folder, and the folder of the edition it is
    compared with (every file, by content), and `ente.toml`;
  - the section number and title of the editions before and after it, and
    whether they are published (the page links to them);
  - the code (`pipeline/`), the templates (`templates/`, fonts included),
    the Python and library versions (the names of the installed
    distributions, which carry their versions), the system libraries that
    set the PDF's text (Pango, HarfBuzz, fontconfig, FreeType: their file
    names carry their versions), and the options (PDF variant,
    SOURCE_DATE_EPOCH, the data folder).
After a successful build the keys, and the hash of every file written, are
recorded in `.cache/impronte/`, one file per output folder (not in the
output folder itself, which holds only what is published). An edition is up to date when its key is
the recorded one and its folder holds exactly the recorded files, unchanged:
after `make clean`, or with an output file deleted or edited by hand, it is
built again. The editions index is checked the same way.

Only the standard library, and nothing slow: the whole check must take a
few hundredths of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
from pathlib import Path

_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent
_TEMPLATES = _PACKAGE.parent / "templates"
RECORDS = _PACKAGE.parent / ".cache" / "impronte"  # removed by `make clean`
_SCRATCH = re.compile(r"^[.~]|~$|\.(swp|swx|tmp|bak|pyc)$|^__pycache__$")  # never read by a build
_LARGEST = 200_000_000  # bytes; past what a build reads (reading.MAX_CSV_BYTES), the build says why
_SYSTEM_LIBS = ("libpango", "libharfbuzz", "libfontconfig", "libfreetype")
_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
             "/usr/local/lib", "/opt/homebrew/lib")


class Plan:
    """The answer of `plan()` (a plain class: dataclasses costs an import)."""

    def __init__(self):
        self.keys: dict[int, str] = {}  # requested edition -> its key now
        self.stale: list[int] = []  # editions to build
        self.warnings = 0  # warnings printed by the last build of the up-to-date ones


def _files(folder: Path) -> list[Path]:
    """Every file under `folder` a build could read, in a fixed order."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _SCRATCH.search(d))
        found += [Path(root) / n for n in sorted(names) if not _SCRATCH.search(n)]
    return found


class _Unusual(OSError):
    """Not a regular file of a readable size (a pipe, a device, a huge
    file): the check never opens it, the build reports it."""


def _sha(path: Path) -> str:
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_size > _LARGEST:
        raise _Unusual(path)
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _add_tree(digest, folder: Path) -> None:
    digest.update(f"\n[{folder.name}]".encode())
    for path in _files(folder):
        digest.update(f"\n{path.relative_to(folder).as_posix()} {_sha(path)}".encode())


def _libraries() -> str:
    """Python's version, the installed distributions' names (with their
    versions) and the system text libraries' file names."""
    names = [sys.version]
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as scan:
                names += sorted(e.name for e in scan if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    for folder in _LIB_DIRS:
        try:
            with os.scandir(folder) as scan:
                names += sorted(f"{folder}/{e.name}" for e in scan if e.name.startswith(_SYSTEM_LIBS))
        except OSError:
            continue
    return "\n".join(names)


def _editions(data_dir: Path) -> list[int]:
    try:
        return sorted(int(e.name) for e in os.scandir(data_dir) if e.is_dir() and re.fullmatch(r"\d{4}", e.name))
    except OSError:
        return []


def _identity(data_dir: Path, year: int) -> str:
    """What a neighbouring edition's link is made of: the lines of the
    [sezione] table of its edizione.toml (section number and title among
    them), without parsing TOML (tomllib costs an import)."""
    try:
        text = (data_dir / str(year) / "edizione.toml").read_bytes()
    except OSError:
        return "mancante"
    found = re.search(rb"^\s*\[\s*sezione\s*\][^\n]*\n(.*?)(?=^\s*\[|\Z)", text, re.M | re.S)
    return hashlib.sha256(found.group(1) if found else text).hexdigest()


def _outputs(folder: Path) -> dict[str, str]:
    """Every file under an edition's output folder, with its hash."""
    if not folder.is_dir():
        return {}
    result = {}
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            result[path.relative_to(folder).as_posix()] = _sha(path)
    return result


def record_path(out_dir: Path) -> Path:
    """Where the record of the builds into `out_dir` is kept."""
    name = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:24]
    return RECORDS / f"{name}.json"


def _entries(out_dir: Path) -> list[str]:
    try:
        return sorted(os.listdir(out_dir))
    except OSError:
        return []


def _read_stamp(out_dir: Path) -> dict:
    try:
        stamp = json.loads(record_path(out_dir).read_text("utf-8"))
        if stamp.get("formato") == _FORMAT and isinstance(stamp.get("edizioni"), dict):
            return stamp
    except (OSError, ValueError, AttributeError):
        pass
    return {"formato": _FORMAT, "edizioni": {}, "indice": None}


def plan(data_dir: Path, out_dir: Path, years: list[int] | None, options: dict) -> Plan:
    """Which of the requested editions (None: all) must be built."""
    try:
        return _plan(data_dir, out_dir, years, options)
    except OSError:  # an unreadable file: the build says what is wrong
        result = Plan()
        result.stale = sorted(set(years)) if years else _editions(data_dir)
        return result


def _plan(data_dir: Path, out_dir: Path, years: list[int] | None, options: dict) -> Plan:
    available = _editions(data_dir)
    wanted = sorted(set(years)) if years else available
    result = Plan()
    if not wanted or any(y not in available for y in wanted):
        result.stale = wanted  # let the build say what is wrong
        return result
    common = hashlib.sha256(json.dumps({"formato": _FORMAT, "opzioni": options,
                                        "dati": str(data_dir.resolve()),
                                        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH")},
                                       sort_keys=True).encode())
    common.update(_libraries().encode())
    _add_tree(common, _PACKAGE)
    _add_tree(common, _TEMPLATES)
    ente = data_dir / "ente.toml"
    common.update(_sha(ente).encode() if os.path.lexists(ente) else b"ente mancante")
    stamp = _read_stamp(out_dir)
    # The index, or anything beside the editions (a file put there by hand,
    # a killed build's leftovers): a build would check and redo it all.
    index_changed = (stamp["indice"] != (_sha(out_dir / "index.html") if os.path.lexists(out_dir / "index.html") else None)
                     or stamp.get("voci") != _entries(out_dir))
    for year in wanted:
        before = [y for y in available if y < year]
        after = [y for y in available if y > year]
        digest = common.copy()
        digest.update(f"\nedizione {year}".encode())
        _add_tree(digest, data_dir / str(year))
        if before:
            _add_tree(digest, data_dir / str(before[-1]))
        for neighbour in (before[-1:] + after[:1]):
            linked = neighbour in wanted or (out_dir / str(neighbour) / "manifest.json").is_file()
            digest.update(f"\n{neighbour} {linked} {_identity(data_dir, neighbour)}".encode())
        key = result.keys[year] = digest.hexdigest()
        recorded = stamp["edizioni"].get(str(year), {})
        if (index_changed or recorded.get("chiave") != key
                or recorded.get("file") != _outputs(out_dir / str(year))):
            result.stale.append(year)
        else:
            result.warnings += int(recorded.get("avvisi", 0))
    return result


def record(out_dir: Path, done: Plan, warnings: dict[int, int]) -> None:
    """After a successful build of `done.stale`: their keys, the files now
    in their folders and the index, for the next `plan()`."""
    stamp = _read_stamp(out_dir)
    for year in done.stale:
        stamp["edizioni"][str(year)] = {"chiave": done.keys[year], "avvisi": warnings.get(year, 0),
                                        "file": _outputs(out_dir / str(year))}
    index = out_dir / "index.html"
    stamp["indice"] = _sha(index) if index.is_file() else None
    stamp["voci"] = _entries(out_dir)
    target = record_path(out_dir)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.{os.getpid()}")
        staging.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n", "utf-8")
        os.replace(staging, target)
    except OSError:
        pass  # without a record the next build only does all the work again

