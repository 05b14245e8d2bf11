"""Editions and organisation settings: the TOML files of `data/raw/`.

An edition is a folder `data/raw/<anno>/`; everything year-specific (section
number, part, table number, reference date, the prose of the year) is read
from its `edizione.toml`. Organisation details shared by every edition come
from `data/raw/ente.toml`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import Problem, display_path
from .reading import MAX_TOML_BYTES, MAX_TOML_DEPTH, read_input
from .schema import FIRST_YEAR, LAST_YEAR


@dataclass(frozen=True)
class Section:
    numero: str
    titolo: str
    parte: str
    tabella: int
    pagina_iniziale: int = 1  # the section's first page in the printed volume

    @property
    def slug(self) -> str:
        """`2.19` + `Comunità di pratiche` -> `2-19-comunita-di-pratiche`."""
        return slugify(f"{self.numero} {self.titolo}")

    # The edition's output files, relative to output/<anno>/ (data contract).
    @property
    def pagina(self) -> str:
        return f"{self.slug}.html"

    @property
    def pdf(self) -> str:
        return f"{self.slug}.pdf"

    @property
    def tabella_csv(self) -> str:
        return f"dati/tab-{self.tabella}.csv"

    @property
    def xlsx(self) -> str:
        """Every table of the section, as an Excel workbook."""
        return f"dati/{self.slug}.xlsx"

    @property
    def ods(self) -> str:
        """The same workbook as an OpenDocument spreadsheet."""
        return f"dati/{self.slug}.ods"


@dataclass(frozen=True)
class Edition:
    anno: int
    data_riferimento: date
    sezione: Section
    folder: Path
    testo: dict = field(default_factory=dict)  # the year's editable prose


@dataclass(frozen=True)
class Organisation:
    nome: str
    indirizzo: str
    cap: str
    citta: str
    telefono: str
    email: str
    siti: tuple[str, ...]


MAX_SLUG = 120  # characters of the file names made from the section's number and title


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")




def edition_folders(data_dir: Path) -> tuple[list[int], list[Problem]]:
    """Years that have an edition folder under `data_dir`, oldest first, and
    a warning for each other folder (ignored): an edition folder is named
    by its year, four ASCII digits from FIRST_YEAR to LAST_YEAR."""
    if not data_dir.is_dir():
        return [], []
    years, warnings = [], []
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        name = path.name
        if re.fullmatch(r"[0-9]{4}", name) and FIRST_YEAR <= int(name) <= LAST_YEAR:
            years.append(int(name))
            continue
        if re.fullmatch(r"[0-9]{4}", name):
            why = f"{name} non è un anno plausibile per un’edizione (dal {FIRST_YEAR} al {LAST_YEAR})"
        elif re.fullmatch(r"\d+", name):
            why = "il nome usa cifre che non sono 0-9; un’edizione si chiama con il suo anno, come 2021"
        else:
            why = "non è un’edizione: il nome di un’edizione è il suo anno in quattro cifre, come 2021"
        warnings.append(Problem(display_path(path), 0, "", f"cartella ignorata: {why}"))
    return years, warnings


def editions_in(data_dir: Path) -> list[int]:
    """Years that have an edition folder under `data_dir`, oldest first."""
    return edition_folders(data_dir)[0]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _nesting_line(text: str) -> int:
    """The line where lists and tables nest deeper than MAX_TOML_DEPTH, or
    0. Brackets inside strings and comments do not count. Runs before the
    parser, which recurses once per level (100,000 levels: RecursionError);
    strings and comments are skipped with `str.find`, so the scan is linear."""
    depth, line, i, n = 0, 1, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c in "\"'":
            triple = text.startswith(c * 3, i)
            if triple:
                end = text.find(c * 3, i + 3)
                end = n if end < 0 else end + 3
            else:
                end = i + 1
                while end < n and text[end] not in (c, "\n"):
                    end += 2 if c == '"' and text[end] == "\\" else 1
                end += 1
            line += text.count("\n", i, min(end, n))
            i = end
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_TOML_DEPTH:
                return line
        elif c in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return 0


def _control_characters(value, path: str = "") -> str | None:
    """The key of the first string (or key) holding a control character."""
    if isinstance(value, str):
        return path if _CONTROL.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        name = f"{path}.{key}" if path and isinstance(key, str) else path or str(key)
        if isinstance(key, str) and _CONTROL.search(key):
            return name
        found = _control_characters(item, name)
        if found is not None:
            return found
    return None


def _read_toml(path: Path) -> tuple[dict | None, str, list[Problem]]:
    shown = display_path(path)
    data, problems = read_input(path, shown, MAX_TOML_BYTES)
    if data is None:
        return None, "", problems
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        return None, "", [Problem(shown, line, "", "il file non è in UTF-8: salvarlo con codifica UTF-8")]
    deep = _nesting_line(text)
    if deep:
        return None, text, [Problem(shown, deep, "", "elenchi o tabelle annidati troppo in profondità: "
                                    f"al massimo {MAX_TOML_DEPTH} livelli")]
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", str(exc))
        for english, italian in _TOML_MESSAGES:
            if detail.startswith(english):
                detail = italian
                break
        return None, text, [Problem(shown, _line_from_message(str(exc)), "",
                                    f"sintassi TOML non valida ({detail})")]
    except RecursionError:  # MAX_TOML_DEPTH stops this first; kept as a last guard
        return None, text, [Problem(shown, 0, "", "elenchi o tabelle annidati troppo in profondità: "
                                    f"al massimo {MAX_TOML_DEPTH} livelli")]
    key = _control_characters(parsed)
    if key is not None:
        last = key.rsplit(".", 1)[-1]
        shown_key = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", key)
        return None, text, [Problem(shown, _key_line(text, last), "",
                                    f"la chiave “{shown_key}” contiene caratteri di controllo (come \\u0000): "
                                    "toglierli")]
    return parsed, text, []


_TOML_MESSAGES = (  # tomllib's messages, as an analyst should read them
    ("Invalid value", "valore non valido: i testi vanno tra virgolette, le date come 2021-12-31"),
    ("Invalid date or datetime", "data non valida"),
    ("Expected '=' after a key", "manca “=” dopo il nome della chiave"),
    ("Cannot overwrite a value", "chiave ripetuta"),
    ("Cannot declare", "tabella ripetuta"),
    ("Unterminated string", "testo non chiuso: manca la virgoletta finale"),
    ("Illegal character", "carattere non ammesso"),
    ("Invalid statement", "riga non valida: ogni riga è “chiave = valore” o “[tabella]”"),
    ("Invalid initial character for a key part", "nome di chiave non valido"),
    ("Unclosed array", "elenco non chiuso: manca “]”"),
)


def _line_from_message(message: str) -> int:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 0


def _key_line(text: str, key: str) -> int:
    """Line where `key =` is written in a TOML text (0 if absent)."""
    found = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else 0


def _require(data: dict, text: str, shown: str, key: str, kind, problems: list[Problem], table: str = ""):
    """`data[key]` if it has type `kind`, else a problem (and None)."""
    where = data.get(table, {}) if table else data
    name = f"{table}.{key}" if table else key
    if not isinstance(where, dict) or key not in where:
        problems.append(Problem(shown, 0, "", f"manca la chiave “{name}”"))
        return None
    value = where[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = {int: "un numero intero", str: "un testo tra virgolette",
                    date: "una data (2021-12-31, senza virgolette)"}[kind]
        problems.append(Problem(shown, _key_line(text, key), "",
                                f"la chiave “{name}” deve essere {expected} (trovato {value!r})"))
        return None
    if kind is date and hasattr(value, "hour"):  # a datetime is a date too
        value = value.date()
    return value


# The year's editable prose in [testo]: key -> str (a paragraph) or list (of
# strings, one per item). Every key is optional; others are ignored.
TESTO = {"contesto_modalita": str, "nota_dati": str, "approfondimento": str, "riflessioni": str,
         "finalita": list, "richieste": list}


def load_edition(data_dir: Path, anno: int) -> tuple[Edition | None, list[Problem]]:
    folder = data_dir / str(anno)
    path = folder / "edizione.toml"
    shown = display_path(path)
    data, text, problems = _read_toml(path)
    if data is None:
        return None, problems
    got = {key: _require(data, text, shown, key, kind, problems)
           for key, kind in (("anno", int), ("data_riferimento", date))}
    section = {key: _require(data, text, shown, key, kind, problems, "sezione")
               for key, kind in (("numero", str), ("titolo", str), ("parte", str), ("tabella", int))}
    reference = got["data_riferimento"]
    if reference is not None and not anno - 1 <= reference.year <= anno + 1:
        problems.append(Problem(shown, _key_line(text, "data_riferimento"), "",
                                f"la data di riferimento {reference.day:02d}/{reference.month:02d}/{reference.year:04d} non è plausibile "
                                f"per l’edizione {anno}: deve cadere dal 01/01/{anno - 1} al 31/12/{anno + 1}"))
    if got["anno"] is not None and got["anno"] != anno:
        problems.append(Problem(shown, _key_line(text, "anno"), "",
                                f"“anno” vale {got['anno']} ma la cartella è {anno}"))
    testo = data.get("testo", {})
    if not isinstance(testo, dict):
        problems.append(Problem(shown, _key_line(text, "testo"), "", "“testo” deve essere una tabella [testo]"))
        testo = {}
    for key, kind in TESTO.items():
        value = testo.get(key)
        if value is None:
            continue
        if kind is list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(Problem(shown, _key_line(text, key), "", f"la chiave “testo.{key}” deve essere un "
                                    f"elenco di testi tra virgolette, come [\"primo\", \"secondo\"]"))
        elif kind is str and not isinstance(value, str):
            problems.append(Problem(shown, _key_line(text, key), "",
                                    f"la chiave “testo.{key}” deve essere un testo tra virgolette"))
    for key in ("numero", "titolo", "parte"):
        if isinstance(section.get(key), str) and not section[key].strip():
            problems.append(Problem(shown, _key_line(text, key), "", f"la chiave “sezione.{key}” è vuota"))
    if all(isinstance(section.get(k), str) and section[k].strip() for k in ("numero", "titolo")):
        slug = slugify(f"{section['numero']} {section['titolo']}")
        if not slug:
            problems.append(Problem(shown, _key_line(text, "titolo"), "",
                                    "numero e titolo della sezione non contengono lettere o cifre: "
                                    "non danno un nome ai file della pagina e del PDF"))
        elif len(slug) > MAX_SLUG:
            problems.append(Problem(shown, _key_line(text, "titolo"), "",
                                    f"numero e titolo della sezione sono troppo lunghi per dare un nome ai file "
                                    f"({len(slug)} caratteri nel nome; al massimo {MAX_SLUG})"))
    if isinstance(section.get("tabella"), int) and not 1 <= section["tabella"] <= 999:
        problems.append(Problem(shown, _key_line(text, "tabella"), "",
                                "la chiave “sezione.tabella” deve essere un numero da 1 a 999 "
                                f"(trovato {str(section['tabella'])[:20]})"))
    first_page = data.get("sezione", {}).get("pagina_iniziale", 1) if isinstance(data.get("sezione"), dict) else 1
    if not isinstance(first_page, int) or isinstance(first_page, bool) or not 1 <= first_page <= 9999:
        problems.append(Problem(shown, _key_line(text, "pagina_iniziale"), "",
                                "la chiave “sezione.pagina_iniziale” deve essere un numero intero da 1 a 9999, "
                                f"la pagina del volume da cui comincia la sezione (trovato {str(first_page)[:20]})"))
    else:
        section["pagina_iniziale"] = first_page
    if problems:
        return None, problems
    return Edition(anno=anno, data_riferimento=got["data_riferimento"], sezione=Section(**section),
                   folder=folder, testo=testo), []


def load_organisation(data_dir: Path) -> tuple[Organisation | None, list[Problem]]:
    path = data_dir / "ente.toml"
    shown = display_path(path)
    data, text, problems = _read_toml(path)
    if data is None:
        return None, problems
    values = {key: _require(data, text, shown, key, str, problems)
              for key in ("nome", "indirizzo", "cap", "citta", "telefono", "email")}
    siti = data.get("siti", [])
    if not isinstance(siti, list) or not all(isinstance(s, str) for s in siti):
        problems.append(Problem(shown, _key_line(text, "siti"), "", "“siti” deve essere un elenco di testi"))
    if problems:
        return None, problems
    return Organisation(**values, siti=tuple(siti)), []
