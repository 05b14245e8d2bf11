"""A generator of hostile inputs, by class, and a runner with limits.

Each `Case` takes a fresh copy of the sample data and makes one thing
hostile: a shape (a header of a million columns, a fifty-megabyte cell), a
kind of file (a FIFO, a link to /dev/zero), an encoding, a key that
collides once published, a date no meeting can have. Sizes are parameters,
so the same class is tried small and large.

`run_limited` runs the real command in a child process under an address-
space limit (RLIMIT_AS) and a timeout, and reports the child's own CPU time
and peak memory (from wait4), so that a test asserts exit status and
message and the note can quote the largest cost.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 1536 * 2**20  # address space of the child, bytes
TIMEOUT = 90  # seconds of wall clock (the machine is shared and loaded)


@dataclass
class Case:
    name: str
    make: Callable[[Path], None]  # edits the data folder (data/raw copy)
    status: int
    says: tuple[str, ...]  # fragments of one message (file, line, words)
    command: str = "check"
    hostile: tuple[str, ...] = ()  # paths (relative to the data folder) made hostile: not hashed
    extra: dict = field(default_factory=dict)


@dataclass
class Outcome:
    status: int
    out: str
    err: str
    cpu: float  # seconds, user + system, of the child
    peak_mb: float  # maximum resident set size of the child
    wall: float


# A small launcher sets the limit, forks the command and reports the
# command's own CPU time and peak memory (wait4). Measured from here, a
# child forked from this large test process would count its pages too.
_LAUNCH = """
import json, os, resource, signal, sys
limit, report = int(sys.argv[1]), sys.argv[2]
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[3:]])
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as handle:
    json.dump([usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024], handle)
if os.WIFSIGNALED(status):
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_limited(argv: list[str], memory: int = MEMORY_LIMIT, timeout: float = TIMEOUT) -> Outcome:
    """Run `python -m pipeline <argv>` with limits; a hang is a failure
    (the child is killed), never a stuck test run. CPU time and peak
    memory are the command's own."""
    env = {**os.environ, "PIPELINE_CACHE": "", "OPENBLAS_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "uso.json"
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-c", _LAUNCH, str(memory), str(report), "-m", "pipeline",
                                      *argv], cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                raise AssertionError(f"{argv}: no answer within {timeout} s (hang)") from None
            wall = time.perf_counter() - start
            out.seek(0)
            err.seek(0)
            cpu, peak = json.loads(report.read_text()) if report.exists() else (float("nan"), float("nan"))
            return Outcome(child.returncode, out.read().decode("utf-8", "replace"),
                           err.read().decode("utf-8", "replace"), cpu, peak, wall)


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple]:
    """Every entry below `folder`: kind and, for regular files, content and
    mtime (so that 'nothing touched' is checked to the byte)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        info = os.lstat(path)
        if rel in skip or not path.is_file() or path.is_symlink():
            found[rel] = (info.st_mode,)
        else:
            found[rel] = (info.st_mode, info.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return found


# --- edits ------------------------------------------------------------------

def write(rel: str, content: bytes | str) -> Callable[[Path], None]:
    def make(data: Path):
        (data / rel).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return make


def replace(rel: str, old: str, new: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    def make(data: Path):
        text = (data / rel).read_text("utf-8")
        assert old in text, (rel, old)
        (data / rel).write_bytes(text.replace(old, new, 1).encode(encoding))
    return make


def append(rel: str, text: str) -> Callable[[Path], None]:
    def make(data: Path):
        with open(data / rel, "a", encoding="utf-8") as handle:
            handle.write(text)
    return make


def header_columns(rel: str, columns: int) -> Callable[[Path], None]:
    """The file's header followed by `columns` more column names."""
    def make(data: Path):
        text = (data / rel).read_text("utf-8")
        header, rest = text.split("\n", 1)
        extra = ",".join(f"c{i}" for i in range(columns))
        (data / rel).write_text(f"{header},{extra}\n{rest}", "utf-8")
    return make


def separators(rel: str, count: int, line: int = 3) -> Callable[[Path], None]:
    """`count` delimiters appended to one line."""
    def make(data: Path):
        lines = (data / rel).read_text("utf-8").split("\n")
        lines[line - 1] += "," * count
        (data / rel).write_text("\n".join(lines), "utf-8")
    return make


def big_cell(rel: str, old: str, size: int) -> Callable[[Path], None]:
    """The cell holding `old` replaced by `size` characters."""
    return replace(rel, old, "x" * size)


def sparse(rel: str, size: int) -> Callable[[Path], None]:
    """The file made `size` bytes long without writing them (sparse)."""
    def make(data: Path):
        with open(data / rel, "r+b") as handle:
            handle.truncate(size)
    return make


def repeated_lines(rel: str, line: str, count: int) -> Callable[[Path], None]:
    """The file's header, then `count` copies of `line`."""
    def make(data: Path):
        header = (data / rel).read_text("utf-8").split("\n", 1)[0]
        (data / rel).write_bytes((header + "\n" + line * count).encode("utf-8"))
    return make


def fifo(rel: str) -> Callable[[Path], None]:
    def make(data: Path):
        (data / rel).unlink()
        os.mkfifo(data / rel)
    return make


def link_to(rel: str, target: str) -> Callable[[Path], None]:
    def make(data: Path):
        (data / rel).unlink()
        (data / rel).symlink_to(target)
    return make


def unix_socket(rel: str) -> Callable[[Path], None]:
    def make(data: Path):
        (data / rel).unlink()
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(data / rel))  # the file stays after the socket is closed
        sock.close()
    return make


def toml_nesting(rel: str, depth: int) -> Callable[[Path], None]:
    return append(rel, "\nprofondo = " + "[" * depth + "]" * depth + "\n")


def mkdir(rel: str) -> Callable[[Path], None]:
    def make(data: Path):
        (data / rel).mkdir()
    return make


def several(*makes: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(data: Path):
        for m in makes:
            m(data)
    return make


def cases() -> list[Case]:
    """Every hostile case, by class."""
    inc, temi, bandi, toml = "2021/incontri.csv", "2021/temi.csv", "2021/bandi.csv", "2021/edizione.toml"
    found: list[Case] = []
    # Kinds of file: only regular files are read, without blocking.
    for rel in (inc, toml, "ente.toml"):
        found += [
            Case(f"fifo:{rel}", fifo(rel), 1, (rel, "pipe (FIFO)"), hostile=(rel,)),
            Case(f"dev-zero:{rel}", link_to(rel, "/dev/zero"), 1, (rel, "dispositivo", "/dev/zero"), hostile=(rel,)),
            Case(f"socket:{rel}", unix_socket(rel), 1, (rel, "socket"), hostile=(rel,)),
        ]
    found.append(Case("fifo:build", fifo(inc), 1, (inc, "pipe (FIFO)"), command="build", hostile=(inc,)))
    # Shapes: limits checked before parsing, each message says the limit.
    for columns in (201, 10_000, 1_000_000):
        found.append(Case(f"header-columns:{columns}", header_columns(inc, columns), 1,
                          (f"{inc}:1:", "al massimo 200")))
    for count in (300, 100_000):
        found.append(Case(f"separators:{count}", separators(inc, count), 1, (f"{inc}:3:", "al massimo 200")))
    for size in (1001, 1_000_000, 50_000_000):
        found.append(Case(f"cell:{size}", big_cell(bandi, "Prima Infanzia", size), 1,
                          (f"{bandi}:2:", "caratteri: al massimo 1.000")))
    found.append(Case("cell:50MB:build", big_cell(bandi, "Prima Infanzia", 50_000_000), 1,
                      (f"{bandi}:2:", "al massimo 1.000"), command="build"))
    found.append(Case("file-size:csv", sparse(inc, 150_000_000), 1, (inc, "troppo grande", "al massimo 100 MB")))
    found.append(Case("file-size:toml", append(toml, "# " + "x" * 1_100_000 + "\n"), 1,
                      (toml, "troppo grande", "al massimo 1 MB")))
    for depth in (21, 1000, 100_000):
        found.append(Case(f"toml-depth:{depth}", toml_nesting(toml, depth), 1, (toml, "al massimo 20 livelli")))
    found += [
        Case("lines-of-separators", repeated_lines(inc, "," * 150 + "\n", 200_000), 1,
             (inc, "celle: al massimo 20.000.000")),
        Case("lines-of-separators:under-limits", repeated_lines(inc, "," * 9 + "\n", 1_990_000), 1,
             (inc, "solo l’intestazione")),
        Case("blank-lines", repeated_lines(inc, "\n", 5_000_000), 1, (inc, "righe: al massimo 2.000.000")),
        Case("empty-records:under-limits", repeated_lines(inc, "x,,,,,\n", 1_990_000), 1,
             (inc, 'colonna "gruppo"', "valore mancante")),
        Case("quotes-only", repeated_lines(inc, '""' * 20 + "\n", 1_000_000), 1, (inc,)),
        Case("one-huge-quoted-cell", repeated_lines(inc, '"' + "a,\n" * 1_000_000 + '"\n', 1), 1,
             (inc, "al massimo 1.000")),
    ]
    # Encodings: decided per file, never half-guessed.
    found += [
        Case("utf8-bad-byte", replace_bytes(temi, "Le reti nella".encode(), b"Le reti\xe0 nella"), 1,
             (f"{temi}:3:", "UTF-8", "0xE0")),
        Case("utf8-bad-bytes-late", several(replace_bytes(inc, b"online", "onlìne".encode(), count=1),
                                            replace_bytes(temi, b"Le reti", b"Le r\xe8ti")), 1,
             (f"{temi}:3:", "UTF-8", "0xE8")),
        Case("windows-1252-whole", recode(temi, "cp1252"), 0, ()),
        Case("windows-1252-whole:build", recode(bandi, "cp1252"), 0, (), command="build"),
    ]
    # Keys that must not collide once published; numbers and dates.
    found += [
        Case("nfd-group-code", nfd_code(), 0, (), command="build", extra={"same_figures": True}),
        Case("duplicate-call-label", append(bandi, "PI2016B,Prima  Infanzia,2016\n"), 1,
             (f"{bandi}:", 'colonna "nome"', "Prima Infanzia 2016", "come quello della riga 2")),
        Case("duplicate-theme-title", duplicate_theme_title(), 1,
             (f"{temi}:", 'colonna "titolo"', "ripetuto (compare già alla riga")),
        Case("arabic-indic-digits", replace_first_cell(inc, "partecipanti", "\u0663\u0660"), 1,
             (inc, 'colonna "partecipanti"', "cifre 0-9")),
        Case("fullwidth-digits", replace_first_cell(bandi, "anno", "\uff12\uff10\uff11\uff16"), 1,
             (bandi, 'colonna "anno"', "cifre 0-9")),
        Case("date-year-1", replace_first_cell(inc, "data", "0001-01-01"), 1,
             (inc, 'colonna "data"', "fuori dal periodo ammesso, dal 01/01/2016 al 31/12/2022")),
        Case("date-year-9999", replace_first_cell(inc, "data", "31/12/9999"), 1,
             (inc, 'colonna "data"', "fuori dal periodo ammesso")),
        Case("date-30-september", replace_first_cell(inc, "data", "31/09/2021"), 1,
             (inc, "settembre ha 30 giorni")),
        Case("date-29-february", replace_first_cell(inc, "data", "2021-02-29"), 1,
             (inc, "il 2021 non è bisestile")),
        Case("date-swapped", replace_first_cell(inc, "data", "12/31/2021"), 1,
             (inc, "forse 31/12/2021?")),
        Case("call-year-far", replace_first_cell(bandi, "anno", "2999"), 1,
             (bandi, 'colonna "anno"', "dal 2016 al 2022")),
    ]
    # Honest mistakes: a renamed header does not hide the file's other problems.
    found += [
        Case("renamed-header-and-bad-value", several(replace(inc, "incontro,gruppo,data,", "incontro,gruppo,Data incontro,"),
                                                     replace(inc, ",online,", ",onlin,")), 1,
             (f"{inc}:1:", 'colonna "data"', 'la colonna "data incontro" va rinominata in "data"'),
             extra={"also": ('colonna "modalita"', '"onlin" non è un valore ammesso', 'forse "online"?')}),
        Case("renamed-header-participants", replace(inc, ",partecipanti", ",N. partecipanti"), 1,
             (f"{inc}:1:", 'la colonna "n. partecipanti" va rinominata in "partecipanti"')),
    ]
    # Settings: control characters, implausible dates, names.
    found += [
        Case("toml-nul", replace(toml, 'titolo = "Comunità di pratiche"', 'titolo = "Comunità\\u0000 di pratiche"'),
             1, (toml, "sezione.titolo", "caratteri di controllo")),
        Case("toml-escape-in-prose", toml_prose_escape(), 1, (toml, "caratteri di controllo")),
        Case("reference-date-year-1", replace(toml, "data_riferimento = 2021-12-31", "data_riferimento = 0001-01-01"),
             1, (toml, "non è plausibile", "dal 01/01/2020 al 31/12/2022")),
        Case("title-without-letters", several(replace(toml, 'numero = "2.19"', 'numero = "…"'),
                                              replace(toml, 'titolo = "Comunità di pratiche"', 'titolo = "★ ☆"')),
             1, (toml, "non contengono lettere o cifre")),
        Case("title-300-characters", replace(toml, 'titolo = "Comunità di pratiche"', f'titolo = "{"Comunità " * 34}"'),
             1, (toml, "troppo lunghi", "al massimo 120")),
    ]
    # Edition folders: four ASCII digits in the window, others ignored with a warning.
    for name in ("0000", "0999", "\u0662\u0660\u0662\u0661", "2021 copia"):
        found.append(Case(f"edition-folder:{name}", mkdir(name), 0, (name, "cartella ignorata")))
    return found


def replace_bytes(rel: str, old: bytes, new: bytes, count: int = 1) -> Callable[[Path], None]:
    def make(data: Path):
        raw = (data / rel).read_bytes()
        assert old in raw, (rel, old)
        (data / rel).write_bytes(raw.replace(old, new, count))
    return make


def recode(rel: str, encoding: str) -> Callable[[Path], None]:
    def make(data: Path):
        (data / rel).write_bytes((data / rel).read_text("utf-8").encode(encoding))
    return make


def replace_first_cell(rel: str, column: str, value: str) -> Callable[[Path], None]:
    """The cell of `column` in the first data row set to `value`."""
    def make(data: Path):
        lines = (data / rel).read_text("utf-8").split("\n")
        header = lines[0].split(",")
        cells = lines[1].split(",")
        cells[header.index(column)] = value
        lines[1] = ",".join(cells)
        (data / rel).write_text("\n".join(lines), "utf-8")
    return make


def nfd_code() -> Callable[[Path], None]:
    """A group code with an accent, written in NFC in gruppi.csv and in NFD
    in some meetings and projects: still one group."""
    def make(data: Path):
        import unicodedata
        code = "PI-NORD"
        nfc, nfd = unicodedata.normalize("NFC", "PI-NÒRD"), unicodedata.normalize("NFD", "PI-NÒRD")
        for rel, form in (("2021/gruppi.csv", nfc), ("2021/progetti.csv", nfd), ("2021/incontri.csv", nfd)):
            text = (data / rel).read_text("utf-8")
            assert code + "," in text or code + "\n" in text, rel
            (data / rel).write_text(text.replace(code + ",", form + ",").replace(code + "\n", form + "\n"), "utf-8")
    return make


def duplicate_theme_title() -> Callable[[Path], None]:
    def make(data: Path):
        rel = "2021/temi.csv"
        lines = (data / rel).read_text("utf-8").split("\n")
        title = lines[1].split(",")[1]
        lines.append(f"DOPPIO,{title} ,")
        (data / rel).write_text("\n".join(lines) + "\n", "utf-8")
    return make


def toml_prose_escape() -> Callable[[Path], None]:
    return append("2021/edizione.toml", '\n[altro]\nnota = "testo con \\u0007 campanello"\n')

