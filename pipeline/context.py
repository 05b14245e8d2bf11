"""Context stage: one typed object holding everything the templates show.

Templates receive this object and only present it: every number, date and
list of the text is computed here from the figures (or taken from the
edition's editable prose), never typed into a template.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from . import formatting as fmt
from . import prose
from .aggregate import TOTAL, Figures
from .charts import Chart, inline
from .edition import Edition, Organisation, Section, editions_in
from .publish import edition_manifest, published_file

AREA_NAME = {"Nord": "Nord", "Centro": "Centro", "Sud e Isole": "Sud e Isole",
             "Multiregionale": "progetti multiregionali"}


@dataclass(frozen=True)
class TableView:
    numero: int
    titolo: str
    colonne: tuple[str, ...]
    righe: tuple[tuple[str, tuple[int, ...]], ...]
    totale: tuple[int, ...]


@dataclass(frozen=True)
class ChartTable:
    """The numbers a chart plots, as its data table and CSV file show them."""

    intestazione: str  # heading of the first column
    colonne: tuple[str, ...]  # headings of the value columns
    righe: tuple[tuple[str, str, tuple[int, ...]], ...]  # (as the table reads, as the CSV writes, values)
    totale: tuple[int, ...]


@dataclass(frozen=True)
class ChartView:
    file: str  # path relative to the edition's folder
    numero: int
    didascalia: str
    alt: str
    svg: str  # the file's content (the PDF embeds it)
    inline: str  # the same drawing as markup for the web page
    inline_telefono: str  # drawn for a phone's column
    tabella: ChartTable
    file_dati: str  # the CSV file of its data


@dataclass(frozen=True)
class ThemeView:
    """An extra theme (outside the cycle) with its counted meetings."""

    titolo: str
    incontri: int
    gruppi: int  # groups that met on it
    facilitatori: int  # distinct facilitators of those meetings
    primo: date  # its first counted meeting


def _extra_themes(themes: pd.DataFrame) -> tuple[ThemeView, ...]:
    """Extra themes with meetings, in the order they began (ties: temi.csv order)."""
    extra = themes.loc[themes["ciclo"].isna() & (themes["incontri"] > 0)]
    extra = extra.sort_values("primo", kind="stable")
    return tuple(ThemeView(r.titolo, int(r.incontri), int(r.gruppi), int(r.facilitatori), r.primo.date())
                 for r in extra.itertuples())


def _partial_cycles(figures: Figures, cycle_titles: dict[int, str]) -> tuple[prose.PartialCycle, ...]:
    """The groups that have not completed the cycle, gathered by the cycle
    themes they covered (fewest first)."""
    ciclo = figures.ciclo
    partial = ciclo.loc[~ciclo["completo"]]
    per_area = ciclo["area"].value_counts()
    views = []
    for covered, same in partial.groupby("temi_ciclo", sort=True):
        area = str(same["area"].iloc[0]) if same["area"].nunique() == 1 else None
        views.append(prose.PartialCycle(
            gruppi=len(same),
            area=area,
            tutti_area=bool(area) and int(per_area[area]) == len(same),
            temi=tuple(cycle_titles[c] for c in covered),
            primi=covered == tuple(range(1, len(covered) + 1)),
        ))
    return tuple(views)


@dataclass(frozen=True)
class ComparisonRow:
    indicatore: str  # as the table heads it: "Progetti coinvolti"
    precedente: int
    attuale: int
    variazione: int
    percentuale: int | float | None  # the change in per cent, as printed (None: from 0)


@dataclass(frozen=True)
class ComparisonView:
    """The main figures against the previous edition: one sentence on what
    changed most, then the table."""

    anno_precedente: int
    sintesi: str
    righe: tuple[ComparisonRow, ...]


# Indicators of aggregate.COMPARED as running text names them.
WITH_ARTICLE = {"incontri": "gli incontri", "gruppi": "i gruppi", "progetti coinvolti": "i progetti coinvolti",
                "bandi coinvolti": "i bandi coinvolti", "facilitatori": "i facilitatori"}


def _changes(frame: pd.DataFrame) -> tuple[prose.Change, ...]:
    return tuple(prose.Change(WITH_ARTICLE[label], int(r.precedente), int(r.attuale)) for label, r in frame.iterrows())


def _comparison(comparison: tuple[int, pd.DataFrame] | None) -> ComparisonView | None:
    if comparison is None:
        return None
    year, frame = comparison
    changes = _changes(frame)
    rows = tuple(ComparisonRow(label.capitalize(), int(r.precedente), int(r.attuale), int(r.variazione), c.percentuale)
                 for (label, r), c in zip(frame.iterrows(), changes))
    return ComparisonView(year, prose.comparison(year, changes), rows)


@dataclass(frozen=True)
class NavItem:
    testo: str
    href: str | None  # None: shown as plain text, not as a link
    corrente: bool = False


@dataclass(frozen=True)
class EditionLink:
    """The same section in another edition."""

    anno: int
    titolo: str
    href: str


@dataclass(frozen=True)
class Navigation:
    """What an edition's page links to besides its own files."""

    voci: tuple[NavItem, ...]
    precedente: EditionLink | None
    successiva: EditionLink | None
    indice: str = "../index.html"


@dataclass(frozen=True)
class InputFile:
    """One file an edition was made from, as the manifest lists it."""

    path: str  # relative to the data folder's parent, with forward slashes
    sha256: str
    rows: int | None  # records read (None for a settings file)
    foglio: str = ""  # the sheet, when the file is a workbook


@dataclass(frozen=True)
class Context:
    anno: int
    data_riferimento: date
    sezione: Section
    ente: Organisation
    titolo: str  # "2.19 Comunità di pratiche"
    testo: dict  # the edition's editable prose
    # Each sentence's figures, named for what they count (see cifre.json).
    anno_avvio: int | None  # year of the first counted meeting
    primo_anno: bool  # the edition reports the experiment's first year (see first_year)
    incontri: int  # meetings counted (dated on or before the reference date)
    incontri_esclusi: int  # meetings dated after it
    frase_incontri: str | None  # when the meetings began and how they were held (None: no meeting)
    facilitatori: int  # distinct facilitators of the meetings counted
    gruppi: int  # rows of gruppi.csv
    gruppi_senza_incontri: int
    aree: tuple[str, ...]  # macro-areas that have groups, as the text names them
    progetti_coinvolti: int  # projects with a group
    progetti_senza_gruppo: int
    bandi_coinvolti: int  # calls with projects involved
    bando_unico: str | None  # the label of the only call with projects involved
    progetti_per_bando: str  # those calls with their projects, as running text (or their range)
    elenco_bandi: bool  # progetti_per_bando lists the calls (else it gives the range)
    bandi_senza_gruppi: tuple[str, ...]  # calls with no group in the table
    temi_ciclo: tuple[str, ...]  # titles of the cycle themes, in cycle order
    elenco_ciclo: str  # the same, as a lettered list: "(a) …; (b) …"
    frase_ciclo: str | None  # where the groups stand in the cycle
    temi_extra: tuple[ThemeView, ...]
    tabella: TableView
    grafici: tuple[ChartView, ...]
    cifre: dict
    file_pdf: str
    file_dati: tuple[tuple[str, str], ...]  # (label, path)
    pubblicazione: date
    confronto: ComparisonView | None = None
    navigazione: Navigation | None = None
    ingressi: tuple[InputFile, ...] = ()


def _table(sezione: Section, tab: pd.DataFrame) -> TableView:
    body = tab.drop(index=TOTAL)
    return TableView(
        numero=sezione.tabella,
        titolo=f"{sezione.titolo}: gruppi attivati e distribuzione territoriale",
        colonne=tuple(tab.columns),
        righe=tuple((label, tuple(int(v) for v in row)) for label, row in body.iterrows()),
        totale=tuple(int(v) for v in tab.loc[TOTAL]),
    )


def _alt_groups(tab: pd.DataFrame, per_area: pd.Series) -> str:
    parts = [fmt.count(int(v), "gruppo", "gruppi") + " " + prose.AREA_AFTER[a][int(v) != 1] for a, v in per_area.items()]
    largest = per_area.idxmax()
    return (f"Grafico a barre orizzontali dei gruppi attivati per macro-area, suddivisi per bando: "
            f"{fmt.join(parts)}, {fmt.count(int(tab.loc[TOTAL, TOTAL]), 'gruppo', 'gruppi')} in tutto. "
            f"L’area con più gruppi è {AREA_NAME[largest]}.")


def _alt_months(per_month: pd.Series) -> str:
    peak = per_month.idxmax()
    first, last = per_month.index[0], per_month.index[-1]
    return (f"Grafico a barre degli incontri per mese, da {fmt.month(first.to_timestamp().date())} "
            f"a {fmt.month(last.to_timestamp().date())}: {fmt.count(int(per_month.sum()), 'incontro', 'incontri')} "
            f"in tutto; il mese con più incontri è {fmt.month(peak.to_timestamp().date())} "
            f"({fmt.number(int(per_month.max()))}).")


def _chart_table(chart: Chart) -> ChartTable:
    data = chart.data
    if isinstance(data.index, pd.PeriodIndex):  # months: "novembre 2020" in the table, "2020-11" in the CSV
        keys = [(fmt.month(p.to_timestamp().date()), str(p)) for p in data.index]
    else:
        keys = [(str(label), str(label)) for label in data.index]
    return ChartTable(
        intestazione=str(data.index.name),
        colonne=tuple(str(c) for c in data.columns),
        righe=tuple((shown, key, tuple(int(v) for v in row)) for (shown, key), row in zip(keys, data.to_numpy())),
        totale=tuple(int(v) for v in data.sum(axis=0)),
    )


def _charts(charts: list[Chart], figures: Figures, edition: Edition) -> tuple[ChartView, ...]:
    captions = {
        "gruppi-per-area": ("Gruppi attivati per macro-area e bando", lambda: _alt_groups(figures.tab, figures.per_area)),
        "incontri-per-mese": (f"Incontri per mese fino al {fmt.long_date(edition.data_riferimento)}",
                              lambda: _alt_months(figures.per_mese)),
    }
    views = []
    for number, chart in enumerate(charts, start=1):
        caption, alt = captions[chart.name]
        views.append(ChartView(file=f"grafici/{chart.name}.svg", numero=number, didascalia=caption,
                               alt=alt(), svg=chart.svg, inline=inline(chart.svg, f"graf{number}-"),
                               inline_telefono=inline(chart.svg_telefono, f"graf{number}t-"),
                               tabella=_chart_table(chart), file_dati=f"dati/grafico-{number}.csv"))
    return tuple(views)


def _theme_figures(figures: Figures) -> dict:
    """Per theme code: title, cycle position and what its counted meetings count."""
    return {code: {"titolo": r.titolo, "ciclo": None if pd.isna(r.ciclo) else int(r.ciclo),
                   "incontri": int(r.incontri), "gruppi": int(r.gruppi), "facilitatori": int(r.facilitatori),
                   "primo_incontro": r.primo.date().isoformat() if pd.notna(r.primo) else None}
            for code, r in figures.per_tema.iterrows()}


def _per_call_range(figures: Figures) -> dict:
    """The fewest and the most projects involved in a call (among the calls
    with some)."""
    involved = figures.per_bando.loc[figures.per_bando["coinvolti"] > 0, "coinvolti"]
    return {"progetti_per_bando_minimo": int(involved.min()) if len(involved) else 0,
            "progetti_per_bando_massimo": int(involved.max()) if len(involved) else 0}


def figures_json(edition: Edition, figures: Figures, comparison: tuple[int, pd.DataFrame] | None = None,
                 partial: tuple[prose.PartialCycle, ...] = ()) -> dict:
    """Every figure the text and tables use, by name (JSON-ready)."""
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    tab = figures.tab.drop(index=TOTAL)
    return {
        "anno": edition.anno,
        "data_riferimento": edition.data_riferimento.isoformat(),
        "sezione": edition.sezione.numero,
        "tabella": edition.sezione.tabella,
        "gruppi": figures.gruppi,
        "gruppi_senza_incontri": figures.gruppi_senza_incontri,
        "facilitatori": figures.facilitatori,
        "progetti_coinvolti": figures.progetti_coinvolti,
        "progetti_senza_gruppo": figures.progetti_senza_gruppo,
        "bandi_coinvolti": figures.bandi_coinvolti,
        "progetti_per_bando": {r.etichetta: int(r.coinvolti) for r in figures.per_bando.itertuples()},
        **_per_call_range(figures),
        "bandi_senza_gruppi": [label for label, total in tab[TOTAL].items() if not total],
        "incontri": figures.incontri,
        "incontri_esclusi": figures.incontri_esclusi,
        "partecipanti": figures.partecipanti,
        "primo_incontro": iso(figures.primo_incontro),
        "ultimo_incontro": iso(figures.ultimo_incontro),
        "incontri_per_modalita": {k: int(v) for k, v in figures.per_modalita.items()},
        "incontri_per_tema": {r.titolo: int(r.incontri) for r in figures.per_tema.itertuples()},
        "temi": _theme_figures(figures),
        "incontri_per_mese": {str(k): int(v) for k, v in figures.per_mese.items()},
        "gruppi_per_area": {k: int(v) for k, v in figures.per_area.items()},
        "temi_ciclo": int(figures.per_tema["ciclo"].notna().sum()),
        "gruppi_ciclo_completo": int(figures.ciclo["completo"].sum()),
        "gruppi_ciclo_parziale": [{"gruppi": p.gruppi, "area": p.area, "tutti_gruppi_area": p.tutti_area,
                                   "temi_affrontati": len(p.temi), "titoli": list(p.temi)} for p in partial],
        "tabella_gruppi": {label: {c: int(v) for c, v in row.items()} for label, row in figures.tab.iterrows()},
        "confronto": None if comparison is None else {
            "anno_precedente": comparison[0],
            **{label: {"precedente": int(r.precedente), "attuale": int(r.attuale), "variazione": int(r.variazione),
                       "variazione_percentuale": change.percentuale}
               for (label, r), change in zip(comparison[1].iterrows(), _changes(comparison[1]))},
        },
    }


def first_year(start: date) -> int:
    """The experiment's first year, from its first meeting: that meeting's
    year, or the next one when the meetings began in the last quarter (the
    initiative began in November 2020: 2021 was its first year)."""
    return start.year + (start.month >= 10)


def make(edition: Edition, ente: Organisation, figures: Figures, charts: list[Chart],
         publication: date, comparison: tuple[int, pd.DataFrame] | None = None,
         site: Site | None = None, inputs: tuple[InputFile, ...] = ()) -> Context:
    """The context of one edition's section; `site`: the editions its page
    may link to (default: this one alone); `inputs`: the files it was made
    from."""
    sezione = edition.sezione
    themes = figures.per_tema
    cycle = themes.loc[themes["ciclo"].notna()].sort_values("ciclo", kind="stable")
    cycle_titles = {int(r.ciclo): r.titolo for r in cycle.itertuples()}
    partial = _partial_cycles(figures, cycle_titles)
    start = figures.primo_incontro
    calls = {r.etichetta: int(r.coinvolti) for r in figures.per_bando.itertuples() if r.coinvolti}
    groups_per_call = figures.tab.drop(index=TOTAL)[TOTAL]
    modes = {m: int(n) for m, n in figures.per_modalita.items() if n}
    titles = tuple(cycle_titles.values())
    grafici = _charts(charts, figures, edition)
    return Context(
        anno=edition.anno,
        data_riferimento=edition.data_riferimento,
        sezione=sezione,
        ente=ente,
        titolo=f"{sezione.numero} {sezione.titolo}",
        testo=edition.testo,
        anno_avvio=start.year if start else None,
        primo_anno=start is None or edition.anno <= first_year(start),
        incontri=figures.incontri,
        incontri_esclusi=figures.incontri_esclusi,
        frase_incontri=prose.meetings_and_modes(figures.incontri, start, modes,
                                                edition.testo.get("contesto_modalita", "")) if start else None,
        facilitatori=figures.facilitatori,
        gruppi=figures.gruppi,
        gruppi_senza_incontri=figures.gruppi_senza_incontri,
        aree=tuple(AREA_NAME[a] for a, v in figures.per_area.items() if v),
        progetti_coinvolti=figures.progetti_coinvolti,
        progetti_senza_gruppo=figures.progetti_senza_gruppo,
        bandi_coinvolti=len(calls),
        bando_unico=next(iter(calls)) if len(calls) == 1 else None,
        progetti_per_bando=prose.projects_per_call(calls) if calls else "",
        elenco_bandi=len(calls) <= prose.LISTED_CALLS,
        bandi_senza_gruppi=tuple(label for label, n in groups_per_call.items() if not n),
        temi_ciclo=titles,
        elenco_ciclo=prose.lettered(titles),
        frase_ciclo=prose.cycle_status(figures.gruppi, int(figures.ciclo["completo"].sum()), partial, titles)
        if titles and figures.gruppi else None,
        temi_extra=_extra_themes(themes),
        tabella=_table(sezione, figures.tab),
        grafici=grafici,
        cifre=figures_json(edition, figures, comparison, partial),
        file_pdf=sezione.pdf,
        file_dati=((f"Tab {sezione.tabella} (CSV)", sezione.tabella_csv),
                   ("Tutte le tabelle (Excel)", sezione.xlsx),
                   ("Tutte le tabelle (ODS, formato aperto)", sezione.ods),
                   ("Tutte le cifre (JSON)", "dati/cifre.json"))
                  + tuple((f"Dati del Graf. {g.numero} (CSV)", g.file_dati) for g in grafici),
        pubblicazione=publication,
        confronto=_comparison(comparison),
        navigazione=navigation(site or Site({edition.anno: edition}, frozenset({edition.anno})), edition, ente),
        ingressi=inputs,
    )


# Navigation and index. As in MkDocs, where get_navigation() works out the
# site once and get_context() gives each page its share: `site` is computed
# once per build, `navigation` per edition, `index_entries` for the index.

@dataclass(frozen=True)
class Site:
    """Every edition with readable settings, and those a page may link to:
    the ones built now and the ones already published."""

    edizioni: dict[int, Edition]
    collegabili: frozenset[int]


def _published(out_dir: Path, year: int) -> bool:
    return edition_manifest(out_dir / str(year)) is not None


def site(editions: dict[int, Edition], building: set[int], out_dir: Path) -> Site:
    linkable = {y for y in editions if y in building or _published(out_dir, y)}
    return Site(dict(editions), frozenset(linkable))


def _link(site: Site, year: int | None) -> EditionLink | None:
    e = site.edizioni.get(year) if year is not None else None
    if e is None or year not in site.collegabili:
        return None
    return EditionLink(year, f"{e.sezione.numero} {e.sezione.titolo}", f"../{year}/{e.sezione.pagina}")


INDEX_TITLE = "Tutte le edizioni"


def navigation(site: Site, edition: Edition, ente: Organisation) -> Navigation:
    """The page's menu (only items with a destination: the organisation's
    site, the index of the editions) and its links to the same section in
    the previous and next edition (when that edition is built now or already
    published)."""
    voci = [NavItem("Home", f"https://{ente.siti[0]}")] if ente.siti else []
    voci.append(NavItem(INDEX_TITLE, "../index.html"))
    years = sorted(site.edizioni)
    before = [y for y in years if y < edition.anno]
    after = [y for y in years if y > edition.anno]
    return Navigation(tuple(voci), _link(site, before[-1] if before else None),
                      _link(site, after[0] if after else None))


def inputs(edition: Edition, data_dir: Path, tables: dict) -> tuple[InputFile, ...]:
    """The settings files and the tables an edition was read from; paths
    relative to the data folder's parent (never absolute)."""
    def rel(p: Path) -> str:
        return Path(os.path.relpath(p, data_dir.parent)).as_posix()
    settings = [InputFile(rel(p), hashlib.sha256(p.read_bytes()).hexdigest(), None)
                for p in (edition.folder / "edizione.toml", data_dir / "ente.toml")]
    return tuple(settings + [InputFile(rel(t.path), t.sha256, t.rows, t.sheet) for t in tables.values()])


@dataclass(frozen=True)
class IndexEntry:
    anno: int
    titolo: str
    parte: str
    data_riferimento: date
    pagina: str
    pdf: str
    tabella: str


def index_entries(out_dir: Path) -> tuple[IndexEntry, ...]:
    """The editions published in `out_dir`, newest first, from their
    manifests; a folder without a readable manifest is not listed."""
    entries = []
    for year in sorted(editions_in(out_dir), reverse=True):
        folder = out_dir / str(year)
        manifest = edition_manifest(folder)  # a folder the pipeline did not write is not listed
        if manifest is None:
            continue
        try:
            e = manifest["edizione"]
            # Links only to files that exist there, as relative paths (a
            # manifest is data: never a scheme or a way out of the folder).
            links = [published_file(folder, manifest, e[key]) for key in ("pagina", "pdf", "csv")]
            if e["anno"] != year or None in links or not published_file(folder, manifest, "dati/cifre.json"):
                continue
            entries.append(IndexEntry(year, f"{e['sezione']} {e['titolo']}", str(e["parte"]),
                                      date.fromisoformat(e["data_riferimento"]), *links))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # edited by hand: not listed
    return tuple(entries)
