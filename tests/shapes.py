"""Synthetic editions of any size and shape, valid per the data contract.

`write_edition(root, Shape(...))` writes `root/<anno>/` (the five CSV files
and `edizione.toml`) and `root/ente.toml` when it is missing. Tests use it to
build editions the sample does not cover (one call, forty calls, six years,
everything in person); the benchmark uses it for the large shapes.

The generator is deterministic (numpy's generator seeded with `Shape.seed`,
no clock) and linear in the number of rows: the meetings, which may be
millions, are produced by vectorised numpy code and written without a
per-cell CSV writer (their values never need quoting).

How the records hang together:
- calls get realistic names and years, so that their labels `nome anno`
  are distinct;
- groups are spread round-robin over the calls, and over the four
  macro-areas shifted by one each round, so that every call gets groups in
  every area; facilitators are assigned round-robin;
- projects with a group take that group's call and a random region of its
  area (`Multiregionale` for a multiregional group); projects without a
  group get a call round-robin and any region;
- meetings go round-robin over the groups; each group's first meetings walk
  the cycle in order, the rest pick a theme at random. Groups that must not
  complete the cycle (`completi`) never meet on one of its themes (which
  one varies from group to group);
- meetings on or before the reference date (31/12/anno) are spread over the
  `anni` years ending on it; `dopo_riferimento` more fall in the two months
  after it (allowed, reported as warnings);
- `cambi_facilitatore` groups (the first ones) hand over to a new
  facilitator on 1 January of `anno`: gruppi.csv names the new one, and
  their earlier meetings name who led them in incontri.csv's optional
  `facilitatore` column (written only then).

`write_previous(root, shape)` writes the edition before it, `anno - 1`, as
the same records were a year earlier: its meetings up to 31/12/(anno - 1),
every group with the facilitator it had then.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

AREAS = ("Nord", "Centro", "Sud e Isole", "Multiregionale")
AREA_TAGS = ("NORD", "CENTRO", "SUD", "MULTI")

# Regions per macro-area (ISTAT names), with a few towns for project titles.
REGIONS = {
    "Nord": {
        "Piemonte": ("Torino", "Novara", "Asti"), "Valle d'Aosta": ("Aosta",),
        "Liguria": ("Genova", "La Spezia"), "Lombardia": ("Milano", "Brescia", "Mantova"),
        "Trentino-Alto Adige": ("Trento", "Bolzano"), "Veneto": ("Padova", "Treviso", "Verona"),
        "Friuli-Venezia Giulia": ("Udine", "Trieste"), "Emilia-Romagna": ("Bologna", "Parma", "Ferrara"),
    },
    "Centro": {
        "Toscana": ("Firenze", "Prato", "Livorno"), "Umbria": ("Perugia", "Terni"),
        "Marche": ("Ancona", "Fano"), "Lazio": ("Roma", "Latina", "Viterbo"),
    },
    "Sud e Isole": {
        "Abruzzo": ("Pescara", "Teramo"), "Molise": ("Campobasso",), "Campania": ("Napoli", "Avellino", "Salerno"),
        "Puglia": ("Bari", "Lecce", "Foggia"), "Basilicata": ("Potenza", "Matera"),
        "Calabria": ("Reggio Calabria", "Cosenza"), "Sicilia": ("Palermo", "Catania", "Messina"),
        "Sardegna": ("Cagliari", "Sassari"),
    },
    "Multiregionale": {"Multiregionale": ("più regioni",)},
}

CALL_NAMES = (
    "Prima Infanzia", "Adolescenza", "Nuove Generazioni", "Un passo avanti", "Cambio rotta",
    "Ricucire i sogni", "Cofinanziamento", "Comincio da zero", "Educare insieme", "Non uno di meno",
    "A braccia aperte", "Liberi di crescere", "Estate insieme", "Bando per le periferie", "Ci sto? Affare fatto!",
    "Futuro prossimo", "Scuole aperte", "Crescere al Sud", "Tutti a scuola", "Percorsi educativi",
    "Spazi di comunità", "Infanzia al centro", "Ragazzi in rete", "Generazioni connesse", "Territori educanti",
    "Famiglie in cammino", "Orizzonti comuni", "Dopo la scuola", "Diritto al gioco", "Vicini di casa",
    "Comunità educante", "Semi di futuro", "Giovani protagonisti", "Libri per crescere", "Sport e inclusione",
    "Arte per l’infanzia", "Ponti tra generazioni", "Piccoli passi", "Luoghi aperti", "Ricominciare insieme",
)
THEME_TITLES = (
    "Le sfide educative al tempo del COVID-19", "Le reti nella pratica progettuale",
    "La valutazione d’impatto nei progetti", "Il coinvolgimento delle famiglie",
    "Scuola e territorio", "La sostenibilità dei progetti", "Comunicare i risultati",
    "Povertà educativa e territori", "Patti educativi di comunità", "Il protagonismo dei ragazzi",
    "Educazione digitale", "Benessere e salute dei minori",
)
PROJECT_OPENINGS = (
    "Ninna nanna di quartiere", "Genitori in gioco", "Leggere, giocare, crescere", "Braccia aperte",
    "Culle di comunità", "Primi incontri", "Mille giorni", "Storie della buonanotte", "Piccole mani grandi idee",
    "Il tempo delle famiglie", "Tempo di crescere", "Un nido per tutti", "Il cortile dei bambini",
    "Scuola aperta", "Ragazzi in piazza", "Officina dei talenti", "Doposcuola solidale", "Rete educante",
)
FIRST_NAMES = ("Elena", "Davide", "Silvia", "Marco", "Giulia", "Luca", "Chiara", "Paolo", "Francesca",
               "Andrea", "Sara", "Matteo", "Laura", "Stefano", "Valentina", "Giorgio")
LAST_NAMES = ("Marchetti", "Russo", "Lombardi", "Ferri", "Gallo", "Conti", "Esposito", "Romano",
              "Colombo", "Ricci", "Greco", "Bruno", "Moretti", "Barbieri", "Fontana", "Rinaldi")
MODES = ("online", "in presenza", "mista")

ENTE_TOML = """nome = "Con i Bambini"
indirizzo = "Via del Corso, 262"
cap = "00186"
citta = "Roma"
telefono = "+39 06 40410100"
email = "info@conibambini.org"
siti = ["www.conibambini.org", "percorsiconibambini.it"]
"""


@dataclass(frozen=True)
class Shape:
    """The size and shape of a synthetic edition (see the module's doc)."""

    anno: int = 2023
    bandi: int = 3
    gruppi: int = 16
    progetti: int = 249
    senza_gruppo: int = 0  # projects without a group (among `progetti`)
    incontri: int = 35  # meetings on or before the reference date
    dopo_riferimento: int = 0  # meetings after it
    anni: int = 1  # years of meetings, ending at the reference date 31/12/anno
    temi_ciclo: int = 2
    temi_extra: int = 1
    modalita: tuple[str, ...] = ("online",)  # used round-robin
    facilitatori: int = 3
    completi: str = "alcuni"  # "tutti" | "nessuno" | "alcuni": groups completing the cycle
    cambi_facilitatore: int = 0  # groups that change facilitator on 1 January of `anno`
    seed: int = 0

    def __post_init__(self):
        if min(self.bandi, self.gruppi, self.temi_ciclo + self.temi_extra, self.facilitatori, self.anni) < 1:
            raise ValueError(f"{self}: needs at least one call, group, theme, facilitator and year")
        if min(self.progetti, self.senza_gruppo, self.incontri, self.dopo_riferimento,
               self.temi_ciclo, self.temi_extra) < 0 or self.senza_gruppo > self.progetti:
            raise ValueError(f"{self}: counts must be >= 0 and senza_gruppo <= progetti")
        if self.incontri + self.dopo_riferimento < 1:
            raise ValueError(f"{self}: needs at least one meeting")
        if self.completi not in ("tutti", "nessuno", "alcuni"):
            raise ValueError(f"completi must be tutti, nessuno or alcuni, not {self.completi!r}")
        if self.completi != "tutti" and self.temi_ciclo and self.temi_ciclo + self.temi_extra < 2:
            raise ValueError(f"{self}: a group that must not complete the cycle needs another theme")
        if not self.modalita or any(m not in MODES for m in self.modalita):
            raise ValueError(f"modalita must be some of {MODES}")
        if not 0 <= self.cambi_facilitatore <= self.gruppi:
            raise ValueError(f"{self}: cambi_facilitatore must be between 0 and gruppi")


def _roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letter in numerals:
        while n >= value:
            out, n = out + letter, n - value
    return out


def _calls(shape: Shape) -> list[tuple[str, str, int, str]]:
    """(code, name, year, initials) of each call, oldest first; `nome anno` distinct."""
    last = shape.anno - 1 if shape.anno > 2016 else shape.anno
    first = min(last, max(2016, shape.anno - shape.anni - 2))
    calls, codes = [], set()
    for i in range(shape.bandi):
        name = CALL_NAMES[i % len(CALL_NAMES)]
        if i >= len(CALL_NAMES):
            name = f"{name} {_roman(i // len(CALL_NAMES) + 1)}"
        year = first + (i * (last - first + 1)) // shape.bandi
        words = [w for w in name.replace("’", " ").split() if w[0].isalnum()]
        initials = ("".join(w[0] for w in words) if len(words) > 1 else words[0][:2]).upper()[:4]
        code = f"{initials}{year}"
        suffix = 1
        while code in codes:
            suffix += 1
            code = f"{initials}{year}{suffix}"
        codes.add(code)
        calls.append((code, name, year, initials))
    return calls


def _facilitators(n: int) -> list[str]:
    names = [f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i + i // len(FIRST_NAMES)) % len(LAST_NAMES)]}"
             for i in range(n)]
    return [name if i < len(FIRST_NAMES) * len(LAST_NAMES) else f"{name} {i // 256 + 1}"
            for i, name in enumerate(names)]


def _quoted(value: str) -> str:
    """A CSV cell: quoted when it holds a delimiter or a quote."""
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',";\n') else value


class _Digits:
    """A column of non-negative integers written zero-padded to `width`."""

    def __init__(self, values: np.ndarray, width: int):
        self.values, self.width = values, width


def _write_csv(path: Path, header: tuple[str, ...], n: int, columns: list) -> None:
    """Write `n` rows of `columns` to `path` as UTF-8 CSV, in linear time
    with no per-row Python. A column is one part or a list of parts, written
    one after the other; a part is a constant string, a (vocabulary,
    indices) pair (row i gets vocabulary[indices[i]], quoted as CSV needs)
    or `_Digits`.

    Rows are laid out in a byte matrix, every cell padded to the longest
    value of its column with NUL bytes, which are then dropped."""
    pieces = []
    for i, column in enumerate(columns):
        if i:
            pieces.append(b",")
        for part in column if isinstance(column, list) else [column]:
            pieces.append(part.encode() if isinstance(part, str) else part)
    pieces.append(b"\n")
    widths = []
    for piece in pieces:
        if isinstance(piece, bytes):
            widths.append(len(piece))
        elif isinstance(piece, _Digits):
            widths.append(piece.width)
        else:
            widths.append(max((len(_quoted(v).encode()) for v in piece[0]), default=0))
    matrix = np.zeros((n, sum(widths)), dtype=np.uint8)
    at = 0
    for piece, width in zip(pieces, widths):
        if isinstance(piece, bytes):
            matrix[:, at:at + width] = np.frombuffer(piece, dtype=np.uint8)
        elif isinstance(piece, _Digits):
            values = np.asarray(piece.values, dtype=np.int64)
            for k in range(width):
                matrix[:, at + width - 1 - k] = 48 + (values // 10 ** k) % 10
        else:
            vocabulary, indices = piece
            table = np.zeros((max(len(vocabulary), 1), width), dtype=np.uint8)
            for j, value in enumerate(vocabulary):
                encoded = _quoted(value).encode()
                table[j, :len(encoded)] = np.frombuffer(encoded, dtype=np.uint8)
            matrix[:, at:at + width] = table[indices]
        at += width
    body = matrix[matrix != 0].tobytes()
    path.write_bytes((",".join(header) + "\n").encode() + body)


def _csv(path: Path, header: tuple[str, ...], rows) -> None:
    """A small table (calls, groups, themes) through the csv module."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), "utf-8", newline="")


def write_edition(root: Path, shape: Shape) -> Path:
    """Write the edition `shape` describes under `root` (see module doc);
    returns the edition folder `root/<anno>`."""
    root = Path(root)
    folder = root / str(shape.anno)
    folder.mkdir(parents=True, exist_ok=True)
    if not (root / "ente.toml").exists():
        (root / "ente.toml").write_text(ENTE_TOML, "utf-8")
    rng = np.random.default_rng(shape.seed)

    # Calls.
    calls = _calls(shape)
    _csv(folder / "bandi.csv", ("bando", "nome", "anno"), [(code, name, year) for code, name, year, _ in calls])
    call_codes = [c[0] for c in calls]

    # Groups: call round-robin; area round-robin, shifted by one each round over the calls.
    g = np.arange(shape.gruppi)
    group_call = g % shape.bandi
    group_area = (group_call + g // shape.bandi) % len(AREAS)
    facilitators = _facilitators(shape.facilitatori + shape.cambi_facilitatore)
    led_before = [facilitators[i % shape.facilitatori] for i in range(shape.gruppi)]
    led_now = [facilitators[shape.facilitatori + i] if i < shape.cambi_facilitatore else led_before[i]
               for i in range(shape.gruppi)]
    group_codes = [f"{call_codes[c]}-{AREA_TAGS[a]}-{i + 1}"
                   for i, c, a in zip((g // shape.bandi).tolist(), group_call.tolist(), group_area.tolist())]
    _csv(folder / "gruppi.csv", ("gruppo", "bando", "area", "facilitatore"),
         [(code, call_codes[c], AREAS[a], led_now[i])
          for i, (code, c, a) in enumerate(zip(group_codes, group_call.tolist(), group_area.tolist()))])

    # Projects: the grouped ones first, round-robin over the groups; the
    # region (and the town in the title) from the group's area.
    p = np.arange(shape.progetti)
    grouped = p < shape.progetti - shape.senza_gruppo
    project_group = np.where(grouped, p % shape.gruppi, shape.gruppi)  # shape.gruppi: no group
    project_call = np.where(grouped, group_call[np.minimum(project_group, shape.gruppi - 1)], p % shape.bandi)
    project_area = np.where(grouped, group_area[np.minimum(project_group, shape.gruppi - 1)],
                            rng.integers(0, len(AREAS), len(p)))
    places = [(a, region, town) for a, area in enumerate(AREAS) for region, towns in REGIONS[area].items()
              for town in towns]
    place_area = np.array([a for a, _, _ in places])
    first_place = np.searchsorted(place_area, np.arange(len(AREAS)))
    places_in_area = np.bincount(place_area, minlength=len(AREAS))
    place = first_place[project_area] + rng.integers(0, 1 << 30, len(p)) % places_in_area[project_area]
    regions = sorted({region for _, region, _ in places})
    region_of_place = np.array([regions.index(region) for _, region, _ in places])
    towns = [("in " if region == "Multiregionale" else "a ") + town for _, region, town in places]
    titles = [f"{opening} {where}" for opening in PROJECT_OPENINGS for where in towns]
    title = rng.integers(0, len(PROJECT_OPENINGS), len(p)) * len(places) + place
    prefixes = [f"{year}-{initials}-" for _, _, year, initials in calls]
    _write_csv(folder / "progetti.csv", ("progetto", "bando", "titolo", "regione", "gruppo"), len(p), [
        [(prefixes, project_call), _Digits(p + 1, max(6, len(str(len(p)))))], (call_codes, project_call),
        (titles, title), (regions, region_of_place[place]), (group_codes + [""], project_group)])

    # Themes: the cycle first (ciclo 1..n), then the extra ones; titles distinct.
    n_themes = shape.temi_ciclo + shape.temi_extra
    theme_titles = [THEME_TITLES[i % len(THEME_TITLES)]
                    + (f" ({i // len(THEME_TITLES) + 1})" if i >= len(THEME_TITLES) else "") for i in range(n_themes)]
    theme_codes = [f"T{i + 1:02d}" for i in range(n_themes)]
    _csv(folder / "temi.csv", ("tema", "titolo", "ciclo"),
         [(theme_codes[i], theme_titles[i], i + 1 if i < shape.temi_ciclo else "") for i in range(n_themes)])

    # Meetings, counted ones first, then those after the reference date.
    n = shape.incontri + shape.dopo_riferimento
    m = np.arange(n)
    meeting_group = m % shape.gruppi
    rounds = m // shape.gruppi  # how many meetings the group had before this one
    completes = {"tutti": np.ones(shape.gruppi, bool), "nessuno": np.zeros(shape.gruppi, bool),
                 "alcuni": g % 2 == 0}[shape.completi][meeting_group]
    if shape.temi_ciclo == 0:
        completes[:] = True  # no cycle: nothing to withhold
    # A group that must not complete the cycle skips one of its themes (a
    # different one from group to group, so that every theme is still used).
    skip = np.where(completes, -1, (meeting_group // (2 if shape.completi == "alcuni" else 1)) % max(shape.temi_ciclo, 1))
    u = rng.random(n)
    anywhere = (u * n_themes).astype(np.int64)
    elsewhere = (u * (n_themes - 1)).astype(np.int64)
    elsewhere += elsewhere >= skip
    theme = np.where(completes, anywhere, elsewhere)
    walk = (rounds < shape.temi_ciclo) & (rounds != skip)
    theme = np.where(walk, rounds, theme)
    reference = np.datetime64(date(shape.anno, 12, 31), "D")
    span = (date(shape.anno, 12, 31) - date(shape.anno - shape.anni + 1, 1, 1)).days + 1
    days = np.where(m < shape.incontri, reference - rng.integers(0, span, n),
                    reference + rng.integers(1, 61, n))
    # A group's cycle walk is in date order: each group's dates, sorted, go to
    # its rounds in order (its late meetings have its last rounds and dates).
    sorted_days = np.empty_like(days)
    sorted_days[np.lexsort((rounds, meeting_group))] = days[np.lexsort((days, meeting_group))]
    chrono = np.argsort(sorted_days, kind="stable")
    day_values, day_index = np.unique(sorted_days[chrono], return_inverse=True)
    people = rng.integers(4, 41, n)
    people[rng.random(n) < 0.02] = 0  # about one meeting in fifty without a head count
    header = ("incontro", "gruppo", "data", "tema", "modalita", "partecipanti")
    columns = [
        ["INC-", _Digits(m + 1, max(7, len(str(n))))], (group_codes, meeting_group[chrono]),
        (np.datetime_as_string(day_values, unit="D").tolist(), day_index),
        (theme_codes, theme[chrono]), (list(shape.modalita), (m % len(shape.modalita))[chrono]),
        ([""] + [str(v) for v in range(1, 41)], people[chrono])]
    if shape.cambi_facilitatore:  # who led the changed groups' meetings before the handover
        handed_over = (meeting_group[chrono] < shape.cambi_facilitatore) & (
            sorted_days[chrono] < np.datetime64(date(shape.anno, 1, 1), "D"))
        header += ("facilitatore",)
        columns.append(([""] + led_before, np.where(handed_over, 1 + meeting_group[chrono], 0)))
    _write_csv(folder / "incontri.csv", header, n, columns)

    (folder / "edizione.toml").write_text(
        f"""anno = {shape.anno}
data_riferimento = {shape.anno}-12-31

[sezione]
numero = "2.19"
titolo = "Comunità di pratiche"
parte = "Parte seconda"
tabella = 21

[testo]
nota_dati = "Dati sintetici generati per le prove: bandi, gruppi, progetti e incontri sono inventati."
""", "utf-8")
    return folder


def write_previous(root: Path, shape: Shape) -> Path:
    """Write `root/<anno - 1>/` from the edition `shape` (written first if
    missing): the same calls, projects, themes and groups, each group with
    the facilitator it had before `cambi_facilitatore`, and the meetings
    dated up to 31/12/(anno - 1). Returns the folder."""
    root = Path(root)
    current = root / str(shape.anno)
    if not current.is_dir():
        write_edition(root, shape)
    year = shape.anno - 1
    folder = root / str(year)
    folder.mkdir(parents=True, exist_ok=True)

    def rows(name):
        with open(current / name, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    for name in ("bandi.csv", "progetti.csv", "temi.csv"):
        (folder / name).write_bytes((current / name).read_bytes())
    meetings = rows("incontri.csv")
    before = {m["gruppo"]: m["facilitatore"] for m in meetings if m.get("facilitatore")}
    groups = rows("gruppi.csv")
    _csv(folder / "gruppi.csv", ("gruppo", "bando", "area", "facilitatore"),
         [(g["gruppo"], g["bando"], g["area"], before.get(g["gruppo"], g["facilitatore"])) for g in groups])
    header = ("incontro", "gruppo", "data", "tema", "modalita", "partecipanti")
    _csv(folder / "incontri.csv", header,
         [[m[k] for k in header] for m in meetings if m["data"] <= f"{year}-12-31"])
    toml = (current / "edizione.toml").read_text("utf-8")
    (folder / "edizione.toml").write_text(
        toml.replace(f"anno = {shape.anno}", f"anno = {year}").replace(f"{shape.anno}-12-31", f"{year}-12-31"),
        "utf-8")
    return folder
