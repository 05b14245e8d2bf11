"""Bounded reading of input files: only regular files, within size limits.

Every input (CSV and TOML) goes through `read_input`, which looks at the
path with `os.stat` before opening it: a FIFO would block the build, a
device (a link to `/dev/zero`) would be read until memory runs out, a
socket cannot be read at all; each is a clear problem naming the file. The
file is then opened without blocking and read up to its limit (plus one
byte, to notice a file that grew meanwhile), never beyond.

The limits are part of the data contract (docs/dati.md states them); each
message says the limit it enforces.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import Problem, os_problem

MAX_CSV_BYTES = 100_000_000  # a 1,000,000-meeting incontri.csv is about 52 MB
MAX_TOML_BYTES = 1_000_000  # edizione.toml holds a few pages of prose at most
MAX_WORKBOOK_BYTES = 100_000_000  # dati.xlsx (zipped: a 100,000-meeting workbook is about 3 MB)
MAX_WORKBOOK_UNPACKED = 1_000_000_000  # the same workbook's parts once unzipped
MAX_LINES = 2_000_000  # lines of one CSV file (twice the largest edition measured)
MAX_CELLS = 20_000_000  # cells of one CSV file, counted as delimiters plus lines
MAX_COLUMNS = 200  # cells in one CSV record (the widest file needs 7; Excel pads a few more)
MAX_CELL = 1000  # characters in one CSV cell (a project title is under 300)
MAX_TOML_DEPTH = 20  # nested tables and lists in a TOML file (the settings need 2)


def megabytes(n: int) -> str:
    """A size as the messages say it (Italian decimal comma)."""
    return f"{n / 1_000_000:.1f}".replace(".", ",").replace(",0", "") + " MB"


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "è una cartella, non un file"
    if stat.S_ISFIFO(mode):
        return "è una pipe (FIFO), non un file: serve un file salvato su disco"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "è un dispositivo, non un file: serve un file salvato su disco"
    if stat.S_ISSOCK(mode):
        return "è un socket, non un file: serve un file salvato su disco"
    return "non è un file normale: serve un file salvato su disco"


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY)


def read_input(path: Path, shown: str, limit: int) -> tuple[bytes | None, list[Problem]]:
    """The bytes of the regular file `path` (at most `limit`), or a problem
    saying why they cannot be had. Inputs are only ever opened read-only."""
    try:
        info = os.stat(path)  # follows links: a link to /dev/zero is a device
    except OSError as exc:
        return None, [Problem(shown, 0, "", os_problem(exc))]
    link = ""
    if os.path.islink(path):
        try:
            link = f" (collegamento simbolico a {os.readlink(path)})"
        except OSError:
            link = " (collegamento simbolico)"
    if not stat.S_ISREG(info.st_mode):
        return None, [Problem(shown, 0, "", _not_regular(info.st_mode) + link)]
    too_big = Problem(shown, 0, "", f"il file è troppo grande ({megabytes(max(info.st_size, limit + 1))}): "
                                    f"al massimo {megabytes(limit)}")
    if info.st_size > limit:
        return None, [too_big]
    try:
        # Opened without blocking: had the path been swapped for a FIFO
        # since the stat, the open still returns and fstat says so.
        with open(path, "rb", opener=_nonblocking) as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                return None, [Problem(shown, 0, "", _not_regular(mode) + link)]
            data = handle.read(limit + 1)
    except OSError as exc:
        return None, [Problem(shown, 0, "", os_problem(exc))]
    if len(data) > limit:
        return None, [too_big]
    return data, []
