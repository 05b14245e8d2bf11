"""Validate stage: check every file against `schema`, then the rules that
span files, and hand typed frames to `aggregate`.

Every problem of every file is collected before anything fails (an analyst
fixes them all in one go). Checks run per distinct value (categorical
columns), so they cost the same for ten rows or a million; Python only runs
for the rows that are wrong, to word their messages.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
import calendar
from datetime import date

import numpy as np
import pandas as pd

from .errors import InputError, Problem, quote_value
from .load import RawTable
from .schema import AREAS, FIRST_YEAR, LAST_YEAR, REFERENCES, REGION_AREA, TABLE_BY_NAME, TABLES, Column

MAX_PER_CHECK = 100  # messages for one check of one column; the rest are counted
# Only ASCII digits are numbers (`\d` would take "٣٠٠" or "１２").
_INT = re.compile(r"^[+-]?[0-9]{1,15}$")  # 15 digits: no overflow, far beyond any count
_THOUSANDS = re.compile(r"^[0-9]{1,3}([.’'][0-9]{3})+$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_DMY = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")


def date_window(reference: date | None) -> tuple[date, date]:
    """The dates an edition may hold: from the first year of the fund to the
    end of the year after the reference date (docs/dati.md)."""
    last = reference.year + 1 if reference else LAST_YEAR
    return date(FIRST_YEAR, 1, 1), date(last, 12, 31)


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


@dataclass
class Dataset:
    """An edition's records, checked and typed. Row order is file order."""

    bandi: pd.DataFrame  # bando, nome, anno, etichetta
    temi: pd.DataFrame  # tema, titolo, ciclo (Int64, NA for extra themes)
    gruppi: pd.DataFrame  # gruppo, bando, area, facilitatore
    progetti: pd.DataFrame  # progetto, bando, titolo, regione, gruppo (NA: none), area
    incontri: pd.DataFrame  # incontro, gruppo, data, tema, modalita, partecipanti, facilitatore (who led it)
    warnings: list[Problem]


def _normal(text: str) -> str:
    """Loose spelling key: case, apostrophes, hyphens and spaces ignored."""
    return re.sub(r"[\s\-/]+", " ", text.replace("’", "'").casefold()).strip()


_REGION_KEYS = {_normal(r): r for r in REGION_AREA} | {
    _normal("Trentino-Alto Adige/Südtirol"): "Trentino-Alto Adige",
    _normal("Valle d'Aosta/Vallée d'Aoste"): "Valle d'Aosta",
}


def suggestion(value: str, known) -> str:
    """`: forse "X"?` when `value` is close to one of `known`, else ''."""
    known = list(known)
    lowered = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(value.casefold(), list(lowered), n=1, cutoff=0.75)
    return f': forse "{lowered[close[0]]}"?' if close else ""


class _Checker:
    """Collects problems while typing one file's columns."""

    def __init__(self, table: RawTable, problems: list[Problem], window: tuple[date, date] | None = None):
        self.table = table
        self.problems = problems
        self.window = window or date_window(None)

    def report(self, column: str, mask: np.ndarray, word) -> None:
        """A problem for each row in `mask`; `word(value)` says what is wrong."""
        if self.table.shifted is not None:
            mask = mask & ~self.table.shifted
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        values = self.table.frame[column]
        said: dict[str, str] = {}
        for i in rows[:MAX_PER_CHECK]:
            value = str(values.iloc[i])
            if value not in said:
                said[value] = word(value)
            self.problems.append(Problem(self.table.shown, int(self.table.lines[i]), column, said[value]))
        if len(rows) > MAX_PER_CHECK:
            self.problems.append(Problem(
                self.table.shown, int(self.table.lines[rows[MAX_PER_CHECK]]), column,
                f"e altre {len(rows) - MAX_PER_CHECK} righe con lo stesso problema"))

    def column(self, spec: Column) -> pd.Series | None:
        """The column typed as `spec` says, NA where empty or wrong."""
        frame = self.table.frame
        if spec.name not in frame.columns and not spec.in_header:
            if spec.repeated:  # an older file: all empty
                return pd.Series(pd.Categorical.from_codes(np.full(len(frame), -1), categories=pd.Index([], dtype=object)),
                                 name=spec.name)
            return pd.Series([None] * len(frame), name=spec.name, dtype=object)
        if spec.name not in frame.columns:
            self.problems.append(Problem(self.table.shown, self.table.header_line, spec.name,
                                         "colonna mancante nell’intestazione"))
            return None
        raw = frame[spec.name]
        cats = raw.cat.categories
        if not pd.api.types.is_object_dtype(cats.dtype):
            cats = pd.Index(cats.astype(str), dtype=object)
        codes = raw.cat.codes.to_numpy()
        increasing = bool((np.diff(codes) > 0).all())  # then all different
        # A code column read in order has one category per row, in row
        # order: the rows' values are a slice of the categories (no lookup).
        pick = slice(int(codes[0]), int(codes[-1]) + 1) if increasing and len(codes) and \
            codes[-1] - codes[0] == len(codes) - 1 else codes
        empty_cats = np.asarray(cats, dtype=object) == ""
        empty = empty_cats[pick]
        if spec.required:
            self.report(spec.name, empty, lambda v: "valore mancante")
        typed, bad, word = _typer(spec, self.window)(cats)
        self.report(spec.name, bad[pick] & ~empty, word)
        if spec.unique and not increasing:
            dup = raw.duplicated(keep="first").to_numpy() & ~empty
            if dup.any():
                first = pd.Series(self.table.lines, index=raw.to_numpy()).groupby(level=0).first()
                self.report(spec.name, dup, lambda v: f"codice {quote_value(v)} ripetuto "
                            f"(compare già alla riga {int(first[v])})")
        if spec.repeated:
            # Distinct typed values as categories ("online" and "Online"
            # are one); a cell left empty or wrong is a missing value.
            typed_codes, uniques = pd.factorize(typed)
            return pd.Series(pd.Categorical.from_codes(typed_codes[codes], categories=uniques), name=spec.name)
        return pd.Series(typed[pick] if isinstance(pick, slice) else typed.take(codes), name=spec.name)


def _typer(spec: Column, window: tuple[date, date]):
    """For a column spec, a function from the distinct raw values to
    (typed values, bad mask, wording of a bad value); dates must lie in
    `window`."""
    if spec.kind in ("code", "text"):
        def typer(cats):
            values = np.array(cats, dtype=object)
            values[values == ""] = None
            return pd.Index(values, dtype=object, copy=False), np.zeros(len(cats), bool), None
        return typer
    if spec.kind == "int":
        def typer(cats):
            ok = np.array([bool(_INT.match(c)) for c in cats], dtype=bool)
            values = pd.array([int(c) if good else None for c, good in zip(cats, ok)], dtype="Int64")
            bad = ~ok & (cats != "")
            if spec.minimum is not None:
                low = ok & (values.fillna(spec.minimum) < spec.minimum).to_numpy(bool)
                bad |= low
                values[low] = pd.NA
            return pd.Index(values), bad, lambda v: _int_problem(v, spec)
        return typer
    if spec.kind == "date":
        def typer(cats):
            iso = pd.to_datetime(cats.where(cats.str.match(_ISO.pattern), None), format="%Y-%m-%d",
                                 errors="coerce")
            dmy = pd.to_datetime(cats.where(cats.str.match(_DMY.pattern), None), format="%d/%m/%Y",
                                 errors="coerce")
            values = pd.DatetimeIndex(iso.where(~iso.isna(), dmy))
            outside = np.asarray((values < pd.Timestamp(window[0])) | (values > pd.Timestamp(window[1])))
            values = values.where(~outside)
            bad = np.asarray(values.isna()) & np.asarray(cats != "")
            return values, bad, lambda v: _date_problem(v, window)
        return typer
    if spec.kind == "choice":
        canon = {c.casefold(): c for c in spec.choices}

        def typer(cats):
            values = pd.Index([canon.get(c.casefold()) for c in cats], dtype=object)
            bad = values.isna() & (cats != "")
            return values, np.asarray(bad), lambda v: (
                f"{quote_value(v)} non è un valore ammesso ({', '.join(spec.choices)})"
                + suggestion(v, spec.choices))
        return typer
    if spec.kind == "region":
        def typer(cats):
            values = pd.Index([_REGION_KEYS.get(_normal(c)) for c in cats], dtype=object)
            bad = values.isna() & (cats != "")
            return values, np.asarray(bad), lambda v: (
                f"{quote_value(v)} non è una regione italiana (nome ISTAT) né “Multiregionale”"
                + suggestion(v, REGION_AREA))
        return typer
    raise ValueError(f"unknown column kind {spec.kind!r}")  # a bug in schema.py


def _date_problem(value: str, window: tuple[date, date]) -> str:
    """Why a cell is not an acceptable date, in words that show the fix:
    the day the month does not have, a day and month swapped, a date
    outside the window."""
    generic = f"{quote_value(value)} non è una data valida (scrivere 31/12/2021 oppure 2021-12-31)"
    if found := _DMY.match(value):
        day, month, year = (int(g) for g in found.groups())
        swap = f"{month:02d}/{day:02d}/{year}"
    elif found := _ISO.match(value):
        year, month, day = (int(g) for g in found.groups())
        swap = f"{year}-{day:02d}-{month:02d}"
    else:
        return generic
    if not 1 <= year <= 9999:
        return generic
    if month > 12 and 1 <= day <= 12 and 1 <= month <= calendar.monthrange(year, day)[1]:
        return f"{quote_value(value)} non è una data valida: non c’è un mese {month}; forse {swap}?"
    if not 1 <= month <= 12:
        return f"{quote_value(value)} non è una data valida: i mesi vanno da 1 a 12"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        why = (f"il {year} non è bisestile: febbraio ha 28 giorni" if month == 2 and day == 29 else
               f"{MONTHS[month - 1]} ha {days} giorni")
        return f"{quote_value(value)} non è una data valida: {why}"
    if not window[0] <= date(year, month, day) <= window[1]:
        return (f"{quote_value(value)} è fuori dal periodo ammesso, dal {_dmy(window[0])} al {_dmy(window[1])}: "
                "controllare l’anno")
    return generic


def _int_problem(value: str, spec: Column) -> str:
    if _INT.match(value):
        return f"{quote_value(value)} è troppo piccolo (minimo {spec.minimum})"
    if _THOUSANDS.match(value):
        return (f"{quote_value(value)} non è un numero intero: scrivere "
                f"{re.sub(r'[^0-9]', '', value)}, senza separatore delle migliaia")
    if re.fullmatch(r"[+-]?\d+", value) and not re.fullmatch(r"[+-]?[0-9]+", value):
        return f"{quote_value(value)} non è un numero intero: scrivere le cifre 0-9"
    if re.fullmatch(r"[+-]?[0-9]{16,}", value):
        return f"{quote_value(value)} è un numero troppo grande"
    return f"{quote_value(value)} non è un numero intero"


def _header_problems(table: RawTable, spec, problems: list[Problem]) -> set[str] | None:
    """Columns missing from the header: one message per column, naming the
    header that looks like it renamed, or a single message when none of the
    columns was recognised (then None). Returns the missing names."""
    found = [c for c in table.frame.columns]
    needed = [c.name for c in spec.columns if c.in_header]
    missing = [name for name in needed if name not in found]
    if not missing:
        return set()
    expected = ", ".join(needed)
    if len(missing) == len(needed):
        shown = ", ".join(f'"{c}"' for c in found[:8]) or "nessuna"
        problems.append(Problem(table.shown, table.header_line, "",
                                f"intestazione non riconosciuta: servono le colonne {expected} "
                                + ("nella riga 1 del foglio" if table.sheet else "separate da “,” o “;”")
                                + f" (trovate: {shown})"))
        return None
    others = [c for c in found if c not in {col.name for col in spec.columns}]
    for name in missing:
        renamed = _renamed(name, others)
        hint = (f": la colonna \"{renamed}\" va rinominata in \"{name}\"" if renamed else
                f" (si chiama \"{name}\")")
        problems.append(Problem(table.shown, table.header_line, name, "colonna mancante nell’intestazione" + hint))
    return set(missing)


def _renamed(name: str, others: list[str]) -> str | None:
    """The header among `others` that is most likely `name` renamed by hand
    ("data incontro", "n. partecipanti", "partecipnti"), or None."""
    for other in others:
        if name in re.split(r"[^a-z0-9]+", other):
            return other
    close = difflib.get_close_matches(name, others, n=1, cutoff=0.75)
    return close[0] if close else None


def _typed_tables(tables: dict[str, RawTable], problems: list[Problem],
                  window: tuple[date, date]) -> dict[str, pd.DataFrame]:
    """Each file's columns typed per schema; files that could not be read
    (their problems are already in `tables`) give None. A file with some
    columns missing still has the others checked (a renamed header does
    not hide the other problems): its frame lacks the missing columns."""
    typed: dict[str, pd.DataFrame] = {}
    for spec in TABLES:
        table = tables[spec.name]
        problems.extend(table.problems)
        if table.frame.columns.empty:
            if not table.problems:
                problems.append(Problem(table.shown, table.header_line, "", "intestazione vuota"))
            typed[spec.name] = None
            continue
        missing = _header_problems(table, spec, problems)
        if missing is None:
            typed[spec.name] = None
            continue
        if not len(table.frame):
            problems.append(Problem(table.shown, table.header_line, "",
                                    f"{'il foglio' if table.sheet else 'il file'} contiene solo l’intestazione: "
                                    "nessuna riga di dati"))
            typed[spec.name] = None
            continue
        checker = _Checker(table, problems, window)
        columns = {c.name: checker.column(c) for c in spec.columns if c.name not in missing}
        frame = pd.DataFrame(columns, copy=False)
        frame["_riga"] = table.lines
        typed[spec.name] = frame
    return typed


def _check_references(typed, tables, problems: list[Problem]) -> None:
    """Codes that must exist in another file."""
    for ref in REFERENCES:
        frame, target = typed[ref.table], typed[ref.target]
        if not _has(frame, ref.column) or not _has(target, _key(ref.target)):
            continue
        if not len(target):
            continue  # an empty file is reported as such; every code would be "missing"
        known = target[_key(ref.target)].dropna()
        values = frame[ref.column]
        missing = (~values.isin(set(known)) & values.notna()).to_numpy()
        _Checker(tables[ref.table], problems).report(
            ref.column, missing,
            lambda v, t=tables[ref.target].where, k=tuple(known): f"{quote_value(v)} non esiste {t}"
            + suggestion(v, k))


def _has(frame: pd.DataFrame | None, *columns: str) -> bool:
    """Whether a typed frame exists with all these columns (a column missing
    from the header is reported already; checks that need it are skipped)."""
    return frame is not None and all(c in frame.columns for c in columns)


def _key(name: str) -> str:
    """The code column of a table: its first, unique column."""
    return TABLE_BY_NAME[name].columns[0].name


def _check_projects(typed, tables, problems: list[Problem]) -> None:
    """A project's group has the project's call, and its region lies in the
    group's macro-area."""
    progetti, gruppi = typed["progetti"], typed["gruppi"]
    if not _has(progetti, "gruppo", "bando", "regione") or not _has(gruppi, "gruppo", "bando", "area"):
        return
    gruppi = gruppi.dropna(subset=["gruppo"]).drop_duplicates("gruppo")  # repeats are reported already
    joined = progetti.merge(gruppi[["gruppo", "bando", "area"]], on="gruppo", how="left",
                            suffixes=("", "_gruppo"))
    checker = _Checker(tables["progetti"], problems)
    sound = np.ones(len(joined), bool) if checker.table.shifted is None else ~checker.table.shifted
    if _has(typed["bandi"], "bando"):  # an unknown call is reported once, as such
        sound &= joined["bando"].isin(set(typed["bandi"]["bando"].dropna())).to_numpy()
    wrong_call = sound & (joined["bando_gruppo"].notna() & joined["bando"].notna()
                  & (joined["bando"] != joined["bando_gruppo"])).to_numpy()
    group_call = dict(zip(gruppi["gruppo"], gruppi["bando"]))
    group_area = dict(zip(gruppi["gruppo"], gruppi["area"]))
    rows = np.flatnonzero(wrong_call)
    for i in rows[:MAX_PER_CHECK]:
        g = joined["gruppo"].iloc[i]
        problems.append(Problem(checker.table.shown, int(joined["_riga"].iloc[i]), "gruppo",
                                f"il gruppo {quote_value(g)} è del bando {group_call[g]}, "
                                f"il progetto del bando {joined['bando'].iloc[i]}"))
    region_area = joined["regione"].map(REGION_AREA)
    wrong_area = sound & (joined["area"].notna() & region_area.notna()
                  & (region_area != joined["area"])).to_numpy()
    for i in np.flatnonzero(wrong_area)[:MAX_PER_CHECK]:
        g = joined["gruppo"].iloc[i]
        r = joined["regione"].iloc[i]
        problems.append(Problem(checker.table.shown, int(joined["_riga"].iloc[i]), "regione",
                                f"{quote_value(r)} ({REGION_AREA[r]}) non è nell’area del gruppo "
                                f"{quote_value(g)} ({group_area[g]})"))


def _spaced(text: pd.Series) -> pd.Series:
    """Text as a page shows it: runs of spaces read as one."""
    return text.astype(object).str.split().str.join(" ")


def published_label(nome: pd.Series, anno: pd.Series) -> pd.Series:
    """A call as the Tab, the charts and cifre.json name it: `nome anno`."""
    return _spaced(nome) + " " + anno.astype(str)


def _check_published_names(typed, tables, problems: list[Problem], window: tuple[date, date]) -> None:
    """Names that key the published figures must be told apart in the form
    they are published (NFC, spaces collapsed): two calls that read the same
    in the Tab, or two themes with the same title, would be summed into one
    entry of cifre.json. A call's year must lie in the date window."""
    bandi, temi = typed["bandi"], typed["temi"]
    if _has(bandi, "nome", "anno"):
        known = bandi["nome"].notna() & bandi["anno"].notna()
        label = published_label(bandi["nome"], bandi["anno"]).where(known)
        _report_repeats(tables["bandi"], problems, "nome", label,
                        lambda v, line: f"il bando si legge {quote_value(v)} come quello della riga {line}: "
                                        "nome e anno devono distinguere i bandi nella tabella")
        late = (bandi["anno"].fillna(0) > window[1].year).to_numpy(bool)
        _Checker(tables["bandi"], problems).report(
            "anno", late, lambda v: f"{quote_value(v)} è fuori dal periodo ammesso, dal {window[0].year} "
                                    f"al {window[1].year}")
    if _has(temi, "titolo"):
        _report_repeats(tables["temi"], problems, "titolo", _spaced(temi["titolo"]).where(temi["titolo"].notna()),
                        lambda v, line: f"titolo {quote_value(v)} ripetuto (compare già alla riga {line}): "
                                        "i temi devono avere titoli diversi")


def _report_repeats(table: RawTable, problems: list[Problem], column: str, keys: pd.Series, word) -> None:
    """Each repeat of a key after its first row, naming that row's line."""
    keys = keys.reset_index(drop=True)
    repeated = (keys.duplicated(keep="first") & keys.notna()).to_numpy()
    if table.shifted is not None:
        repeated &= ~table.shifted
    lines = pd.Series(table.lines)
    first = lines.groupby(keys.to_numpy()).first()
    for i in np.flatnonzero(repeated)[:MAX_PER_CHECK]:
        problems.append(Problem(table.shown, int(table.lines[i]), column, word(keys[i], int(first[keys[i]]))))


def _warnings(typed, tables, reference: date) -> list[Problem]:
    """What is allowed but worth saying: meetings after the reference date
    (not counted), groups with no meeting, themes never used."""
    found: list[Problem] = []
    incontri, gruppi, temi = typed["incontri"], typed["gruppi"], typed["temi"]
    late = incontri["data"] > pd.Timestamp(reference)
    shown_ref = reference.strftime("%d/%m/%Y")
    for i in np.flatnonzero(late.to_numpy())[:MAX_PER_CHECK]:
        found.append(Problem(tables["incontri"].shown, int(incontri["_riga"].iloc[i]), "data",
                             f"incontro del {incontri['data'].iloc[i]:%d/%m/%Y}, dopo la data di "
                             f"riferimento ({shown_ref}): non conteggiato"))
    counted = incontri.loc[~late]
    for _, row in gruppi.loc[~gruppi["gruppo"].isin(counted["gruppo"].unique())].iterrows():
        found.append(Problem(tables["gruppi"].shown, int(row["_riga"]), "gruppo",
                             f"il gruppo {quote_value(row['gruppo'])} non ha incontri "
                             f"entro il {shown_ref}"))
    for _, row in temi.loc[~temi["tema"].isin(counted["tema"].unique())].iterrows():
        found.append(Problem(tables["temi"].shown, int(row["_riga"]), "tema",
                             f"il tema {quote_value(row['tema'])} non è trattato in nessun incontro "
                             f"entro il {shown_ref}"))
    return sorted(found)


def _led_by(incontri: pd.DataFrame, gruppi: pd.DataFrame) -> pd.Series:
    """Who led each meeting: its own `facilitatore`, else its group's (so a
    group that changes facilitator does not rewrite the meetings that name
    who led them)."""
    # Both columns are categorical (schema: repeated): the group's
    # facilitator is looked up once per group, not once per meeting.
    groups, own = incontri["gruppo"].cat, incontri["facilitatore"].cat
    leader = pd.Index(groups.categories).map(dict(zip(gruppi["gruppo"], gruppi["facilitatore"])))
    names = own.categories.append(pd.Index(leader.dropna(), dtype=object)).unique()
    leader_codes = names.get_indexer(leader)  # -1 where the group is unknown
    group_codes = groups.codes.to_numpy()
    of_group = np.where(group_codes >= 0, leader_codes[group_codes], -1)
    own_codes = own.codes.to_numpy()  # own categories come first in `names`: same codes
    return pd.Series(pd.Categorical.from_codes(np.where(own_codes >= 0, own_codes, of_group), categories=names),
                     index=incontri.index, name="facilitatore")


def reattributed(previous: Dataset, previous_year: int, previous_reference: date,
                 current: Dataset, shown: str) -> list[Problem]:
    """Warnings for meetings counted in the previous edition that this one
    attributes to another facilitator (usually: the group's facilitator
    changed and the meeting does not name who led it)."""
    before = previous.incontri.loc[previous.incontri["data"] <= pd.Timestamp(previous_reference),
                                   ["incontro", "facilitatore"]]
    joined = current.incontri[["incontro", "facilitatore", "_riga"]].merge(
        before, on="incontro", suffixes=("", "_prima"))
    changed = joined.loc[joined["facilitatore"].astype(object) != joined["facilitatore_prima"].astype(object)]
    shown_rows = changed.head(MAX_PER_CHECK)
    found = [Problem(shown, int(line), "facilitatore",
                     f"l’incontro {quote_value(code)} nel {previous_year} era guidato da {quote_value(before)}, "
                     f"ora risulta guidato da {quote_value(now)}: se il gruppo ha cambiato facilitatore, "
                     f"scrivere {quote_value(before)} nella colonna facilitatore di questo incontro")
             for line, code, now, before in zip(shown_rows["_riga"], shown_rows["incontro"],
                                                shown_rows["facilitatore"], shown_rows["facilitatore_prima"])]
    if len(changed) > MAX_PER_CHECK:
        found.append(Problem(shown, int(changed["_riga"].iloc[MAX_PER_CHECK]), "facilitatore",
                             f"e altri {len(changed) - MAX_PER_CHECK} incontri attribuiti ora a un altro facilitatore"))
    return found


def validate(tables: dict[str, RawTable], reference: date | None) -> Dataset:
    """Check an edition's tables; raise InputError listing every problem,
    or return the typed Dataset (with warnings; none when `reference` is
    None, which is when edizione.toml could not be read)."""
    problems: list[Problem] = []
    window = date_window(reference)
    typed = _typed_tables(tables, problems, window)
    _check_references(typed, tables, problems)
    _check_projects(typed, tables, problems)
    _check_published_names(typed, tables, problems, window)
    if problems:
        raise InputError(problems)
    bandi = typed["bandi"]
    bandi["etichetta"] = published_label(bandi["nome"], bandi["anno"])
    progetti = typed["progetti"]
    progetti["area"] = progetti["gruppo"].map(dict(zip(typed["gruppi"]["gruppo"], typed["gruppi"]["area"])))
    gruppi = typed["gruppi"]
    gruppi["area"] = pd.Categorical(gruppi["area"], categories=AREAS, ordered=True)
    typed["incontri"]["facilitatore"] = _led_by(typed["incontri"], gruppi)
    return Dataset(bandi=bandi, temi=typed["temi"], gruppi=gruppi, progetti=progetti,
                   incontri=typed["incontri"],
                   warnings=_warnings(typed, tables, reference) if reference else [])
