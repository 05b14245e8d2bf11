"""The input contract, declared once: files, columns, types, allowed values,
keys and the references between files (see docs/dati.md).

`validate` applies these declarations; nothing else in the code repeats them.
"""

from __future__ import annotations

from dataclasses import dataclass

AREAS = ("Nord", "Centro", "Sud e Isole", "Multiregionale")

# The plausible window of an edition's years and dates: Con i Bambini's fund,
# and so any of its calls and meetings, starts in 2016; dates run to the end
# of the year after the reference date (see validate.date_window).
FIRST_YEAR = 2016
LAST_YEAR = 2099
MODES = ("online", "in presenza", "mista")

# ISTAT macro-areas: Nord = Nord-ovest + Nord-est; Sud e Isole = Sud + Isole.
REGION_AREA = {
    "Piemonte": "Nord", "Valle d'Aosta": "Nord", "Liguria": "Nord", "Lombardia": "Nord",
    "Trentino-Alto Adige": "Nord", "Veneto": "Nord", "Friuli-Venezia Giulia": "Nord",
    "Emilia-Romagna": "Nord",
    "Toscana": "Centro", "Umbria": "Centro", "Marche": "Centro", "Lazio": "Centro",
    "Abruzzo": "Sud e Isole", "Molise": "Sud e Isole", "Campania": "Sud e Isole",
    "Puglia": "Sud e Isole", "Basilicata": "Sud e Isole", "Calabria": "Sud e Isole",
    "Sicilia": "Sud e Isole", "Sardegna": "Sud e Isole",
    "Multiregionale": "Multiregionale",
}


@dataclass(frozen=True)
class Column:
    """One column of an input file.

    kind: "code" and "text" (strings), "int", "date", "choice" (one of
    `choices`), "region" (a key of REGION_AREA). `required`: no cell may be
    empty; `in_header`: the header must name the column (when False, a file
    without it reads as if every cell were empty, so older files keep
    working). `note`: what the column means, for the analysts'
    instructions; `suggested`: an open set whose values repeat (names): the
    workbook offers the values already used, without refusing new ones.
    `repeated`: a few distinct values over very many rows (the meetings'
    group, theme, mode): typed as categorical, so that checks and counts
    work on the distinct values and integer codes, not on every row's text.
    """

    name: str
    kind: str
    required: bool = True
    unique: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    in_header: bool = True
    note: str = ""
    suggested: bool = False
    repeated: bool = False


@dataclass(frozen=True)
class Table:
    """One input file of an edition folder."""

    name: str
    columns: tuple[Column, ...]
    description: str = ""  # what its rows are, for the analysts' instructions

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def distinct(self) -> frozenset[str]:
        """Columns whose values are mostly all different (keys, free text)."""
        return frozenset(c.name for c in self.columns if c.unique or (c.kind == "text" and not c.suggested))


@dataclass(frozen=True)
class Reference:
    """`table.column` must hold a code of `target` (empty allowed when the
    column is optional)."""

    table: str
    column: str
    target: str


TABLES = (
    Table("bandi", (
        Column("bando", "code", unique=True, note="per esempio PI2016"),
        Column("nome", "text", note="per esempio Prima Infanzia"),
        Column("anno", "int", minimum=FIRST_YEAR, note="in tabella il bando si chiama “nome anno”: Prima Infanzia 2016"),
    ), "i bandi, nell’ordine in cui compaiono in tabella"),
    Table("temi", (
        Column("tema", "code", unique=True, note="per esempio COVID19"),
        Column("titolo", "text"),
        Column("ciclo", "int", required=False, minimum=1,
               note="posizione del tema nel ciclo che ogni gruppo dovrebbe percorrere (1, 2, …); "
                    "vuoto per i temi di approfondimento fuori dal ciclo"),
    ), "i temi degli incontri"),
    Table("gruppi", (
        Column("gruppo", "code", unique=True, note="per esempio PI-NORD"),
        Column("bando", "code"),
        Column("area", "choice", choices=AREAS),
        Column("facilitatore", "text", suggested=True, note="nome e cognome, scritto sempre allo stesso modo"),
    ), "le comunità di pratiche"),
    Table("progetti", (
        Column("progetto", "code", unique=True),
        Column("bando", "code"),
        Column("titolo", "text"),
        Column("regione", "region", note="maiuscole, apostrofi e trattini non contano"),
        Column("gruppo", "code", required=False,
               note="vuoto se il progetto non è in nessuna comunità; altrimenti un gruppo dello stesso bando, "
                    "nella cui macro-area si trova la regione del progetto"),
    ), "i progetti finanziati"),
    Table("incontri", (
        Column("incontro", "code", unique=True, note="per esempio INC-001"),
        Column("gruppo", "code", repeated=True),
        Column("data", "date", note="gli incontri dopo la data di riferimento non sono conteggiati"),
        Column("tema", "code", repeated=True),
        Column("modalita", "choice", choices=MODES, repeated=True),
        Column("partecipanti", "int", required=False, minimum=0,
               note="scritto senza separatore delle migliaia; vuoto conta zero"),
        Column("facilitatore", "text", required=False, in_header=False, suggested=True, repeated=True,
               note="chi ha condotto l’incontro; vuoto: il facilitatore del gruppo"),
    ), "gli incontri dei gruppi"),
)

REFERENCES = (
    Reference("progetti", "bando", "bandi"),
    Reference("gruppi", "bando", "bandi"),
    Reference("progetti", "gruppo", "gruppi"),
    Reference("incontri", "gruppo", "gruppi"),
    Reference("incontri", "tema", "temi"),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}

# Instead of the CSV files (never beside them), an edition folder may hold
# one workbook with a sheet per table, named as the table.
WORKBOOK = "dati.xlsx"
