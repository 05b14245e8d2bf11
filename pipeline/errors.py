"""Problems found in the inputs, and the exception that carries them.

Every stage that looks at input data reports what is wrong as `Problem`
records instead of raising at the first one, so that an analyst sees every
problem of every file in one run. Messages are Italian, because analysts read
them; this module only formats them.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in one input file.

    `line` follows a spreadsheet's numbering (header = 1); 0 means the
    problem concerns the whole file. Ordering sorts by file, then line.
    """

    path: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if isinstance(self.path, SheetPlace):  # a spreadsheet user's words: riga, colonna
            where = f"{self.path}, riga {self.line}" if self.line else self.path
            column = f', colonna "{self.column}"' if self.column else ""
            return f"{where}{column}: {self.message}"
        where = f"{self.path}:{self.line}:" if self.line else f"{self.path}:"
        column = f' colonna "{self.column}":' if self.column else ""
        return f"{where}{column} {self.message}"


class SheetPlace(str):
    """The `path` of problems found in one sheet of a workbook, as
    `data/raw/2023/dati.xlsx, foglio incontri` (see `sheet_place`). A
    string like any path, so problems sort by sheet, then row; its type
    tells `Problem` to word the position as a spreadsheet user reads it:
    `..., foglio incontri, riga 12, colonna "data": ...`."""


def sheet_place(path: str, sheet: str) -> SheetPlace:
    return SheetPlace(f"{path}, foglio {sheet}")


class InputError(Exception):
    """The inputs cannot be built into a report; `problems` says why."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] = ()):
        self.problems = sorted(set(problems))
        self.warnings = sorted(set(warnings))  # found before the failure: shown with the problems
        super().__init__("\n".join(str(p) for p in self.problems))


class TemplateError(InputError):
    """A template under templates/ cannot be rendered (same exit status and
    `file:line:` form as bad input)."""


class UsageError(Exception):
    """The command was called wrongly (exit status 2)."""


def display_path(path: Path) -> str:
    """The path as the user should read it: relative to the working
    directory when the file lies below it, as given otherwise."""
    path = Path(path)
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def quote_value(value: object, limit: int = 60) -> str:
    """A cell value as it goes into a message: quoted, shortened."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


_OS_ERRORS = {
    errno.ENOENT: "file mancante",
    errno.EISDIR: "è una cartella, non un file",
    errno.EACCES: "permesso negato: il file non si può leggere",
    errno.EPERM: "permesso negato: il file non si può leggere",
    errno.ENOTDIR: "il percorso passa per un file che non è una cartella",
    errno.ELOOP: "collegamento simbolico circolare",
    errno.ENAMETOOLONG: "nome del file troppo lungo",
}


def os_problem(exc: OSError) -> str:
    """What an operating-system error on reading an input means, in Italian
    (Python's `strerror` is English)."""
    if isinstance(exc, IsADirectoryError):
        return _OS_ERRORS[errno.EISDIR]
    return _OS_ERRORS.get(exc.errno, f"impossibile leggere il file (errore di sistema {exc.errno})")


def os_output_problem(exc: OSError) -> str:
    """What an operating-system error on writing the outputs means."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        return "c’è un file dove serve una cartella"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permesso negato: non si può scrivere qui"
    if exc.errno == errno.ENOSPC:
        return "disco pieno"
    return f"impossibile scrivere (errore di sistema {exc.errno})"
