"""Load stage: read an edition's CSV files the tolerant way the contract asks.

Analysts save these files from Excel, so the same records may arrive as
UTF-8 (with or without BOM) or Windows-1252, with `,` or `;`, with padded
cells and blank lines. This module turns each file into a frame of trimmed
categorical strings plus, for every row, the line a spreadsheet shows for it
(header = 1; a record whose quoted cell spans lines: its first line).

Reading is vectorised (pandas' C parser; numpy on the raw bytes for the line
numbers), so a million-row file costs no per-row Python. Nothing is typed or
checked here beyond what is needed to read the file: that is `validate`'s job.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, display_path
from .reading import MAX_CELL, MAX_CELLS, MAX_COLUMNS, MAX_CSV_BYTES, MAX_LINES, read_input

_STRAY_QUOTE = ("virgolette nel mezzo di un testo: racchiudere il testo tra virgolette "
                "e raddoppiare quelle interne (\"\") oppure toglierle")
_ANY_CELL = re.compile(r"[^ \t\n;,]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same characters as bytes (ASCII: identical in UTF-8 and Windows-1252).
# Every other byte, deleted from a file to see whether any of these is left.
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in {*range(0, 9), 11, 12, *range(14, 32), 127})



@dataclass
class RawTable:
    """One CSV file as read: trimmed text cells, one row per record."""

    name: str
    path: Path
    shown: str  # the path as messages show it
    frame: pd.DataFrame  # columns: header names, lower-cased and trimmed
    lines: np.ndarray  # spreadsheet line of each row of `frame`
    sha256: str
    header_line: int = 1
    problems: list[Problem] = field(default_factory=list)
    # Rows whose cells shifted (more filled cells than the header): already
    # reported once, so their values are not checked one by one.
    shifted: np.ndarray | None = None
    sheet: str = ""  # the workbook sheet it was read from ("" for a CSV file)

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def where(self) -> str:
        """How a message about another table names this one: `in bandi.csv`,
        or `nel foglio bandi` for a workbook's sheet."""
        return f"nel foglio {self.sheet}" if self.sheet else f"in {self.path.name}"


def read_bytes(path: Path, shown: str) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, or a problem saying why they cannot be had (not a
    regular file, larger than MAX_CSV_BYTES, unreadable)."""
    return read_input(path, shown, MAX_CSV_BYTES)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _utf8_with_bad_bytes(data: bytes) -> bool:
    """Whether a file that is not valid UTF-8 is nevertheless meant as
    UTF-8 (a few bytes spoilt by a paste or an editor), not Windows-1252.

    Decided on the whole file: a BOM says UTF-8; else, in Windows-1252
    Italian text nearly every byte from 0xC2 to 0xF4 (À-ô: à è é ì ò) is
    one accented letter that is not valid UTF-8, while in UTF-8 such a byte
    starts a valid character. So the file is UTF-8 when the bytes that
    start valid characters are at least as many as the invalid ones."""
    if data.startswith(b"\xef\xbb\xbf"):
        return True
    arr = np.frombuffer(data, dtype=np.uint8)
    leads = int(np.count_nonzero((arr >= 0xC2) & (arr <= 0xF4)))
    if not leads:
        return False
    invalid = data.decode("utf-8", "replace").count("\ufffd") - data.count("\ufffd".encode())
    return leads - invalid >= invalid


def decode(data: bytes, shown: str) -> tuple[str | None, str, list[Problem]]:
    """Text of a CSV file: UTF-8 (BOM or not), else Windows-1252, decided
    for the whole file.

    Returns (text, encoding, problems). A file that is neither, UTF-8 with
    some invalid bytes, or binary data, is a problem: guessing would put
    mojibake in the report.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None, "", [Problem(shown, 0, "", "il file è in UTF-16: salvarlo da Excel come "
                                  "“CSV UTF-8 (delimitato da virgole)” o “CSV (delimitato dal separatore di elenco)”")]
    if b"\x00" in data:
        return None, "", [Problem(shown, 0, "", "non è un file di testo (contiene byte nulli): "
                                  "serve un CSV salvato da Excel o da un editor di testo")]
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as bad:
        if _utf8_with_bad_bytes(data):
            line = data.count(b"\n", 0, bad.start) + 1
            return None, "", [Problem(shown, line, "", f"il file è in UTF-8 ma questa riga contiene un byte non "
                                      f"valido (0x{data[bad.start]:02X}): forse un testo incollato da un’altra "
                                      "codifica; correggere la riga, oppure salvare di nuovo il file come "
                                      "“CSV UTF-8”")]
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            return None, "", [Problem(shown, line, "", "codifica non riconosciuta: il file non è "
                                      f"né UTF-8 né Windows-1252 (byte 0x{data[exc.start]:02X})")]
    if data.translate(None, _NOT_CONTROL_BYTES):  # one pass in C, four times quicker than a lookup table
        bad = _CONTROL.search(text)
        line = text.count("\n", 0, bad.start()) + 1
        return None, "", [Problem(shown, line, "", "non è un file di testo (contiene caratteri di controllo)")]
    return text, encoding, []


_CHUNK = 1 << 20  # bytes (or positions) per numpy step: bounds the temporaries


def _count(arr: np.ndarray, byte: int) -> int:
    """How many times `byte` occurs in `arr`, a chunk at a time (no
    temporary of the file's size; four times quicker than `bytes.count`)."""
    return sum(int(np.count_nonzero(arr[i: i + _CHUNK] == byte)) for i in range(0, len(arr), _CHUNK))


def _positions(arr: np.ndarray, byte: int, count: int | None = None) -> np.ndarray:
    """Offsets of `byte` in `arr` (`count` of them, when known), as int32
    (files are under 2 GB), found a chunk at a time so that no int64 array
    of the file's size is made."""
    found = np.empty(_count(arr, byte) if count is None else count, dtype=np.int32)
    if not len(found):
        return found
    filled = 0
    for i in range(0, len(arr), _CHUNK):
        part = np.flatnonzero(arr[i: i + _CHUNK] == byte)
        found[filled: filled + len(part)] = part + i
        filled += len(part)
    return found


def _stray_quote(arr: np.ndarray, quotes: np.ndarray, delimiter: str) -> int:
    """Index in `quotes` of the first quote in the middle of a word (neither
    after nor before a delimiter, a line end or another quote), or -1."""
    bounds = np.array([10, 34, ord(delimiter)], dtype=np.uint8)
    last = len(arr) - 1
    for i in range(0, len(quotes), _CHUNK):
        chunk = quotes[i: i + _CHUNK]
        before = np.where(chunk > 0, arr[np.maximum(chunk - 1, 0)], 10)
        after = np.where(chunk < last, arr[np.minimum(chunk + 1, last)], 10)
        stray = ~np.isin(before, bounds) & ~np.isin(after, bounds)
        if stray.any():
            return i + int(np.argmax(stray))
    return -1


def _outside_quotes(quotes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Mask of `positions` preceded by an even number of quotes (outside
    any quoted cell), a chunk at a time."""
    mask = np.empty(len(positions), dtype=bool)
    for i in range(0, len(positions), _CHUNK):
        mask[i: i + _CHUNK] = (np.searchsorted(quotes, positions[i: i + _CHUNK]) & 1) == 0
    return mask


def _record_layout(raw: bytes, delimiter: str, newline_count: int | None = None):
    """Where each CSV record starts and how many fields it has.

    Works on the bytes with numpy: a newline ends a record when an even
    number of quote characters precedes it (a doubled quote inside a quoted
    cell counts twice, so parity still holds). Returns (start lines, field
    counts (for a file without quotes, a `_LineFields` that counts them
    when asked), open_quote_line, oversize, padded) where open_quote_line is the
    line of a quote that is never closed, minus the line of a quote in the
    middle of a word, or 0; oversize is (line, characters) of the first cell
    longer than MAX_CELL characters, or None; padded says whether any cell
    may have spaces around it. Positions are int32 and found in
    chunks: memory stays a few bytes per delimiter, whatever the shape.
    """
    arr = np.frombuffer(raw, dtype=np.uint8)
    newlines = _positions(arr, 10, newline_count)
    quotes = _positions(arr, 34)
    # A quote in the middle of a word (`Le "reti" nella`) neither opens nor
    # closes a cell: the parity rule below would misread the file, so it
    # is reported instead (Excel always writes `"Le ""reti"" nella"`).
    stray = _stray_quote(arr, quotes, delimiter) if len(quotes) else -1
    if stray >= 0:
        return None, None, -int(np.searchsorted(newlines, quotes[stray]) + 1), None, False
    if not len(quotes):
        return _unquoted_layout(raw, arr, newlines, delimiter) + (_has_padding(raw, arr, delimiter),)
    ends = newlines[_outside_quotes(quotes, newlines)]
    end_index = np.searchsorted(newlines, ends)  # which physical line each record ends on
    starts = np.concatenate(([1], end_index + 2))
    if len(quotes) % 2:
        last_start = int(starts[np.searchsorted(ends, quotes[-1])])
        return None, None, last_start, None, False
    # A trailing newline ends the last record; it does not start a new one.
    if len(arr) and arr[-1] == 10:
        starts = starts[:-1]
    delims = _positions(arr, ord(delimiter))
    delims = delims[_outside_quotes(quotes, delims)]
    padded = _has_padding(raw, arr, delimiter, (delims, ends))
    # Delimiters before each record's end, differenced: the cells of each
    # record (a lookup per record, not per delimiter).
    bounds = ends[: len(starts)] if len(ends) >= len(starts) else np.append(ends, len(arr))
    fields = np.diff(np.searchsorted(delims, bounds), prepend=0) + 1
    return starts, fields, 0, _oversize_cell(raw, newlines, delims, bounds), padded


class _LineFields:
    """The cells of each line of a file without quotes, counted only when
    asked: the parser checks every line against the header's width as it
    reads, so the count of all lines is needed only when some line is
    wider (its delimiters plus one, summed line by line in blocks)."""

    def __init__(self, raw: bytes, arr: np.ndarray, line_starts: np.ndarray, line_ends: np.ndarray,
                 delimiter: str):
        self.raw, self.arr, self.starts, self.ends, self.delimiter = raw, arr, line_starts, line_ends, delimiter

    def all(self) -> np.ndarray:
        fields = np.empty(len(self.starts), dtype=np.int64)
        byte = ord(self.delimiter)
        block = 1 << 14  # lines summed at once (a segment is never empty: it holds at least its newline)
        for i in range(0, len(self.starts), block):
            low, high = int(self.starts[i]), int(self.ends[min(i + block, len(self.starts)) - 1])
            fields[i: i + block] = np.add.reduceat(self.arr[low:high] == byte, self.starts[i: i + block] - low,
                                                   dtype=np.int64)
        return fields + 1

    def of(self, line: int) -> int:
        """Cells of one line (0-based)."""
        return self.raw.count(self.delimiter.encode(), int(self.starts[line]), int(self.ends[line])) + 1


def _unquoted_layout(raw: bytes, arr: np.ndarray, newlines: np.ndarray, delimiter: str):
    """`_record_layout` of a file without quotes (the usual case): every
    line is a record and every delimiter separates cells. The cells per
    line are counted later, if at all (`_LineFields`); a cell longer than
    MAX_CELL characters can only be on a line longer than that, and only
    such lines are split. Returns (start lines, line fields, 0, oversize)."""
    line_starts = np.concatenate(([0], newlines.astype(np.int64) + 1))
    if len(arr) and arr[-1] == 10:  # a trailing newline ends the last line; it does not start one
        line_starts = line_starts[:-1]
    line_ends = np.append(line_starts[1:], len(arr))
    oversize = None
    for i in np.flatnonzero(line_ends - line_starts > MAX_CELL):
        line = raw[line_starts[i]: line_ends[i]].decode("utf-8", "replace")
        longest = max(len(cell.strip()) for cell in line.split(delimiter))
        if longest > MAX_CELL:
            oversize = (int(i) + 1, longest)
            break
    fields = _LineFields(raw, arr, line_starts, line_ends, delimiter)
    return np.arange(1, len(line_starts) + 1, dtype=np.int64), fields, 0, oversize


def _oversize_cell(raw: bytes, newlines: np.ndarray, delims: np.ndarray, ends: np.ndarray):
    """(line, characters) of the first cell longer than MAX_CELL characters,
    or None.

    A cell lies between two boundaries (delimiters, record ends). Gaps
    between consecutive delimiters bound the cells from above, so only a
    gap wider than MAX_CELL bytes (at most one per MAX_CELL bytes of file)
    is split at the record ends inside it; only a span still wider is
    decoded, to count its characters (an accented letter is two bytes)."""
    size = len(raw)
    lows = np.concatenate([np.flatnonzero(np.diff(delims[i: i + _CHUNK + 1]) - 1 > MAX_CELL) + i
                           for i in range(0, max(len(delims) - 1, 0), _CHUNK)] or [np.zeros(0, dtype=np.int64)])
    intervals = [(-1, int(delims[0]) if len(delims) else size)]
    intervals += [(int(delims[i]), int(delims[i + 1])) for i in lows]
    if len(delims):
        intervals.append((int(delims[-1]), size))
    for low, high in intervals:
        if high - low - 1 <= MAX_CELL:
            continue
        inner = ends[np.searchsorted(ends, low, side="right"): np.searchsorted(ends, high)]
        cuts = np.concatenate(([low], inner, [high]))
        for i in np.flatnonzero(np.diff(cuts) - 1 > MAX_CELL):
            start, stop = int(cuts[i]) + 1, int(cuts[i + 1])
            cell = raw[start:stop]
            if len(cell) > 4 * MAX_CELL + 2:  # more characters than the limit whatever they are
                chars = len(cell.decode("utf-8", "replace"))
            else:
                chars = len(cell.decode("utf-8", "replace").strip().strip('"').replace('""', '"'))
            if chars > MAX_CELL:
                return int(np.searchsorted(newlines, start)) + 1, chars
    return None


def _stray_quote_line(text: str, delimiter: str) -> int:
    """First line with a quote that does not open or close a cell (only run
    on a file that could not be read, so plain Python is fine)."""
    cell = re.compile(rf'(?:^|{re.escape(delimiter)})\s*"|"\s*(?:{re.escape(delimiter)}|$)')
    for number, line in enumerate(text.split("\n"), start=1):
        if line.count('"') != len(cell.findall(line)) and '""' not in line:
            return number
    return 0


def _clean_categories(column: pd.Series, trim: bool, nfc: bool) -> pd.Series:
    """Trim the spaces around every value of a categorical column and bring
    it to Unicode NFC (a code typed as "e" + combining accent is the same
    code as "è"), working on its (few) categories rather than on every row."""
    cats = column.cat.categories
    if not pd.api.types.is_string_dtype(cats.dtype):
        # The parser infers numbers when a whole column (header included)
        # is numeric; such a column is never one of the schema's, and its
        # cells are compared with "" below, so text is what is needed.
        cats = cats.astype(str)
        column = column.cat.rename_categories(cats)
    cleaned = cats.str.strip() if trim else cats
    if nfc:
        cleaned = cleaned.str.normalize("NFC")
    if cleaned.equals(cats):
        return column
    inverse, uniques = pd.factorize(cleaned)
    codes = column.cat.codes.to_numpy()
    new_codes = np.where(codes >= 0, inverse[np.maximum(codes, 0)], -1)
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=uniques),
                     index=column.index, name=column.name)


def _as_trimmed_categories(column: pd.Series, trim: bool = True, nfc: bool = False) -> pd.Series:
    """A parsed column as categorical strings, trimmed when `trim`, in NFC
    when `nfc` (only needed when the file has non-ASCII bytes)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return _clean_categories(column, trim, nfc)
    values = column.astype(object)
    if trim:
        values = values.str.strip()
    if nfc:
        values = values.str.normalize("NFC")
    array = values.to_numpy()
    if _distinct_sorted(array):
        # Each value is its own category, without hashing a million strings.
        codes, uniques = np.arange(len(array)), pd.Index(array, dtype=object)
    else:
        codes, uniques = pd.factorize(values)
    return pd.Series(_categorical(codes, uniques), index=column.index, name=column.name)


def _distinct_sorted(array: np.ndarray) -> bool:
    """Whether the values after the first (the header's cell) increase
    strictly, as codes do in a sorted export, and the first is none of
    them: then all are distinct. Comparing neighbours costs a tenth of
    hashing the values; any other order returns False (and is hashed)."""
    if len(array) < 3:
        return False
    body = array[1:]
    try:
        if not (body[1:] > body[:-1]).all():
            return False
        at = int(np.searchsorted(body, array[0]))
    except TypeError:  # not all text
        return False
    return at == len(body) or body[at] != array[0]


def _categorical(codes: np.ndarray, uniques: pd.Index) -> pd.Categorical:
    """The categorical `pd.factorize` describes. Its values are distinct by
    construction, so the dtype is made without checking that again: the
    check hashes every category, which for a column of a million distinct
    codes costs as much as the factorisation itself (pandas is pinned)."""
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype._from_fastpath(uniques, ordered=False))


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Mask of the rows whose every cell is empty (categorical columns).

    Compared by codes: the empty text is at most one category of each
    column. Columns with fewer categories go first, and once no row is
    left blank the rest are skipped (a code column has a category per row:
    comparing those with "" is the costly part)."""
    blank = np.ones(len(frame), dtype=bool)
    for col in sorted(frame.columns, key=lambda c: len(frame[c].cat.categories)):
        column = frame[col]
        empty = np.flatnonzero(np.asarray(column.cat.categories, dtype=object) == "")
        if not len(empty):
            return np.zeros(len(frame), dtype=bool)
        blank &= column.cat.codes.to_numpy() == empty[0]
        if not blank.any():
            break
    return blank


def _has_padding(raw: bytes, arr: np.ndarray, delimiter: str,
                 bounds: tuple[np.ndarray, ...] | None = None) -> bool:
    """Whether any cell may have spaces around it (else trimming is
    skipped): a space or tab next to a delimiter, a line end or the file's
    ends. Without `bounds`, neighbouring bytes are compared a block at a
    time; with `bounds` (a file with quoted cells: the positions of its
    delimiters and record ends outside quotes), only the bytes beside them
    are looked at, so the spaces of a quoted title after its commas are
    text, not padding."""
    if not raw.isascii() and "\u00a0".encode() in raw:  # a no-break space: trim everything, to be safe
        return True
    if b" " not in raw and b"\t" not in raw:
        return False
    if raw[:1] in (b" ", b"\t") or raw[-1:] in (b" ", b"\t"):
        return True
    if bounds is not None:
        last = len(arr) - 1
        for marks in bounds:
            for i in range(0, len(marks), _CHUNK):
                chunk = marks[i: i + _CHUNK]
                beside = np.concatenate((arr[chunk[chunk > 0] - 1], arr[chunk[chunk < last] + 1]))
                if ((beside == 32) | (beside == 9)).any():
                    return True
        return False
    tab, byte = b"\t" in raw, ord(delimiter)
    for i in range(0, len(arr), _CHUNK):
        part = arr[i: i + _CHUNK + 1]  # one byte of overlap: a pair across two blocks
        edge = (part == byte) | (part == 10)
        blank = (part == 32) | (part == 9) if tab else part == 32
        if (edge[:-1] & blank[1:]).any() or (blank[:-1] & edge[1:]).any():
            return True
    return False


def _first_line(text: str) -> str:
    """The first non-blank line (the header), found without copying the
    rest of the text."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].strip(" \t;,"):
            return text[start:end]
        start = end + 1
    return ""


def header_name(text: str) -> str:
    """A header cell as matched against the schema: case, accents and
    spacing ignored (`" Modalità "` -> `modalita`)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", plain).strip().lower() if plain.strip() else text.strip().lower()


def _sniff_delimiter(header: str) -> str:
    """`;` or `,`: whichever the header line uses more."""
    return ";" if header.count(";") > header.count(",") else ","


def _dtypes(header_cells: list[str], width: int, distinct: frozenset[str]) -> dict:
    """Parser dtypes: plain strings for the `distinct` columns, categorical
    for the others (see `parse`)."""
    return {i: (object if header_name(cell) in distinct else "category")
            for i, cell in enumerate(header_cells[:width])}


def _read_frame(raw: bytes, delimiter: str, dtypes: dict, width: int, wider_ok: bool = True) -> pd.DataFrame | None:
    """pandas' C parser on the bytes, `width` columns of text. A line with
    more cells (or anything else the parser refuses) raises ParserError,
    or, when not `wider_ok`, gives None: the caller then counts the cells
    of every line and reports what is wrong."""
    try:
        return pd.read_csv(io.BytesIO(raw), sep=delimiter, header=None, names=range(width),
                           dtype=dtypes or "category", skip_blank_lines=False, na_filter=False,
                           keep_default_na=False, quotechar='"', doublequote=True, engine="c",
                           encoding="utf-8")
    except (pd.errors.ParserError, ValueError):
        if wider_ok:
            raise
        return None


def _checked_frame(raw: bytes, shown: str, delimiter: str, starts: np.ndarray, fields: np.ndarray, oversize,
                   header_cells: list[str], distinct: frozenset[str]) -> tuple[pd.DataFrame | None, Problem | None]:
    """The frame of a file whose cells per record are known, or the
    problem that stops it being read. Shapes are bounded before the parser
    runs: a record of a million cells or a cell of fifty million
    characters would cost minutes and gigabytes there, and later in the
    charts."""
    width = int(fields.max())
    if width > MAX_COLUMNS:
        first = int(np.argmax(fields > MAX_COLUMNS))
        return None, Problem(shown, int(starts[first]), "", f"la riga ha {_number(int(fields[first]))} celle: "
                             f"al massimo {_number(MAX_COLUMNS)} (controllare i separatori)")
    if oversize:
        return None, Problem(shown, oversize[0], "", f"una cella ha {_number(oversize[1])} caratteri: "
                             f"al massimo {_number(MAX_CELL)}")
    try:
        return _read_frame(raw, delimiter, _dtypes(header_cells, width, distinct), width), None
    except (pd.errors.ParserError, ValueError) as exc:  # layout and parser disagree: should not happen
        found = re.search(r"line (\d+)", str(exc))
        return None, Problem(shown, int(found.group(1)) if found else 0, "",
                             "struttura del file non riconosciuta: controllare virgolette e separatori")


def parse(name: str, path: Path, data: bytes, shown: str, distinct: frozenset[str] = frozenset()) -> RawTable:
    """Parse one CSV file's bytes into a RawTable (problems attached).

    `distinct` names the columns whose values are mostly all different
    (codes, titles): a hint for speed, not a check."""
    digest = hashlib.sha256(data).hexdigest()
    empty = RawTable(name, path, shown, pd.DataFrame(), np.zeros(0, dtype=np.int64), digest)
    text, encoding, problems = decode(data, shown)
    if text is None:
        empty.problems = problems
        return empty
    # The parser reads UTF-8 bytes with "\n" line ends: the file's own bytes
    # when they already are (no copy), else re-encoded.
    same_bytes = encoding == "utf-8" and b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _ANY_CELL.search(text):  # (not `strip`: that would copy the whole text)
        empty.problems = [Problem(shown, 0, "", "il file è vuoto: manca anche la riga di intestazione")]
        return empty
    header_line = _first_line(text)
    delimiter = _sniff_delimiter(header_line)
    raw = data if same_bytes else text.encode("utf-8")
    # Lines and cells are counted before anything is indexed: memory and
    # time below are a few bytes and a few nanoseconds per cell.
    arr = np.frombuffer(raw, dtype=np.uint8)
    newline_count = _count(arr, 10)
    lines = newline_count + (len(raw) > 0 and raw[-1:] != b"\n")
    if lines > MAX_LINES:
        empty.problems = [Problem(shown, 0, "", f"il file ha {_number(lines)} righe: al massimo {_number(MAX_LINES)}")]
        return empty
    cells = lines + _count(arr, ord(delimiter))
    if cells > MAX_CELLS:
        empty.problems = [Problem(shown, 0, "", f"il file ha {_number(cells)} celle: al massimo {_number(MAX_CELLS)}")]
        return empty
    starts, fields, open_quote, oversize, padded = _record_layout(raw, delimiter, newline_count)
    if open_quote < 0:
        empty.problems = [Problem(shown, -open_quote, "", _STRAY_QUOTE)]
        return empty
    if open_quote:
        stray = _stray_quote_line(text, delimiter)
        empty.problems = [Problem(shown, stray, "", _STRAY_QUOTE) if stray else
                          Problem(shown, open_quote, "", "virgolette aperte e mai chiuse: "
                                  "da questa riga in poi il file non si può leggere")]
        return empty
    # Columns of (nearly) distinct values are read as plain strings and made
    # categorical by hashing: the parser's own categories would be sorted and
    # merged chunk by chunk, the slowest step on a million-row file.
    header_cells = next(csv.reader([header_line], delimiter=delimiter), [])
    frame = None
    if isinstance(fields, _LineFields):
        # No quotes: read at the header's width, the parser stopping at a
        # wider line; only then are the cells of every line counted.
        width = header_line.count(delimiter) + 1
        if width <= MAX_COLUMNS and not oversize:
            frame = _read_frame(raw, delimiter, _dtypes(header_cells, width, distinct), width, wider_ok=False)
        if frame is None:
            fields = fields.all()
    if frame is None:
        frame, problem = _checked_frame(raw, shown, delimiter, starts, fields, oversize, header_cells, distinct)
        if problem:
            empty.problems = [problem]
            return empty
    if len(frame) != len(starts):  # a quote inside an unquoted cell: records split differently
        empty.problems = [Problem(shown, _stray_quote_line(text, delimiter), "", _STRAY_QUOTE)]
        return empty
    width = len(frame.columns)
    # Values need bringing to NFC only if the text is not NFC already
    # Values need bringing to NFC only if the text is not NFC already
    # (checked once on the whole text, in C): a cut at an ASCII delimiter,
    # newline or space never splits what NFC would compose.
    nfc = not raw.isascii() and not unicodedata.is_normalized("NFC", text)
    frame = pd.DataFrame({col: _as_trimmed_categories(frame[col], trim=padded, nfc=nfc) for col in frame.columns},
                         copy=False)
    keep = np.flatnonzero(~_blank_rows(frame))
    if not len(keep):
        empty.problems = [Problem(shown, 0, "", "il file è vuoto: manca anche la riga di intestazione")]
        return empty
    header_row, body = keep[0], keep[1:]
    header = [header_name(str(frame[col].iloc[header_row])) for col in frame.columns]  # not a row: no dtype merge
    table = RawTable(name, path, shown, pd.DataFrame(), starts[body].astype(np.int64), digest,
                     header_line=int(starts[header_row]))
    n_header = max(i + 1 for i, h in enumerate(header) if h) if any(header) else 0
    seen: dict[str, int] = {}
    for i, h in enumerate(header[:n_header]):
        if h in seen and h:
            table.problems.append(Problem(shown, table.header_line, h, "colonna ripetuta nell’intestazione"))
        elif h:
            seen[h] = i
    # Cells beyond the header: empty ones (Excel pads rows with ";;;") are
    # ignored; a filled one means the row's cells have shifted.
    # (Lines counted lazily are at most as wide as the frame.)
    if (width > n_header if isinstance(fields, _LineFields) else (fields[body] > n_header).any()):
        extra = np.zeros(len(body), dtype=bool)
        for col in range(n_header, width):
            extra |= (frame[col].iloc[body] != "").to_numpy()
        table.shifted = extra
        for i in np.flatnonzero(extra)[:50]:
            cells = fields.of(int(body[i])) if isinstance(fields, _LineFields) else int(fields[body][i])
            table.problems.append(Problem(
                shown, int(table.lines[i]), "",
                f"la riga ha {cells} celle ma l’intestazione {n_header}: "
                f"forse un testo contiene “{delimiter}” senza essere racchiuso tra virgolette"))
    # The rows after the header, as a slice when nothing else was skipped
    # (no copy), else picked out.
    rows = slice(int(body[0]), int(body[-1]) + 1) if len(body) and body[-1] - body[0] == len(body) - 1 else body
    table.frame = pd.DataFrame({h: frame[i].iloc[rows].reset_index(drop=True)
                                for h, i in seen.items()}, copy=False)
    return table


def read_table(name: str, path: Path, distinct: frozenset[str] = frozenset()) -> RawTable:
    """Read `path` (never written) into a RawTable; problems are attached."""
    shown = display_path(path)
    data, problems = read_bytes(path, shown)
    if data is None:
        table = RawTable(name, path, shown, pd.DataFrame(), np.zeros(0, dtype=np.int64), "")
        table.problems = problems
        return table
    return parse(name, path, data, shown, distinct)
