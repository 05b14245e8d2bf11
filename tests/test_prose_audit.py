"""A prose audit over editions that stress the text.

Each edition of the matrix is generated (tests/shapes.py), rendered, and its
section read back as a reader would (the page's paragraphs; for a few, the
PDF's text). Two kinds of checks:

- form: no sentence glued to the next, no space before punctuation, no
  empty parentheses, quotes or lists, no "0 gruppi", agreement in number;
- truth: every sentence that states a figure is listed in CLAIMS below with
  the records it counts. For each, the number printed must equal the figure
  of that name in cifre.json and the same figure counted here again from the
  CSV files with the csv module (class Records), independently of the
  pipeline's pandas code. A number in the text that no claim accounts for
  fails the audit: a new sentence with a figure needs its claim here.
"""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from pipeline import aggregate, context, formatting, render
from pipeline.build import build, summarise_edition
from pipeline.edition import editions_in, load_edition, load_organisation

from .conftest import DATA
from .shapes import Shape, write_edition, write_previous
from .test_end_to_end import _pdf_text

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")
MODE_WORDS = {"online": "online", "in presenza": "in presenza", "in forma mista": "mista"}
AREA_WORDS = {"del Nord": "Nord", "del Centro": "Centro", "del Sud e delle Isole": "Sud e Isole",
              "multiregionale": "Multiregionale", "multiregionali": "Multiregionale"}
INDICATORS = {"gli incontri": "incontri", "i gruppi": "gruppi", "i progetti coinvolti": "progetti coinvolti",
              "i bandi coinvolti": "bandi coinvolti", "i facilitatori": "facilitatori"}
NUMBER = r"\d{1,3}(?:\.\d{3})*(?:,\d+)?"


def number(text: str) -> int | float:
    """An Italian number as printed (`1.234`, `0,4`, `un`, `uno`, `una`)."""
    if text in ("un", "uno", "una"):
        return 1
    text = text.replace(".", "").replace(",", ".")
    return float(text) if "." in text else int(text)


# ---------------------------------------------------------------- records

def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [{k.strip().lower(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


@dataclass
class Records:
    """An edition's records read with the csv module, and what the text
    should say about them, counted here again."""

    folder: Path
    reference: str  # ISO date
    testo: dict = field(default_factory=dict)

    def __post_init__(self):
        read = {n: _rows(self.folder / f"{n}.csv") for n in ("bandi", "gruppi", "progetti", "incontri", "temi")}
        self.bandi, self.gruppi, self.progetti, self.temi = read["bandi"], read["gruppi"], read["progetti"], read["temi"]
        self.labels = [f"{b['nome']} {b['anno']}" for b in self.bandi]
        self.call_of = {b["bando"]: f"{b['nome']} {b['anno']}" for b in self.bandi}
        self.area = {g["gruppo"]: g["area"] for g in self.gruppi}
        of_group = {g["gruppo"]: g["facilitatore"] for g in self.gruppi}
        self.meetings = [m for m in read["incontri"] if m["data"] <= self.reference]
        self.after = len(read["incontri"]) - len(self.meetings)
        for m in self.meetings:
            m["guida"] = m.get("facilitatore") or of_group[m["gruppo"]]  # who led it
        self.title = {t["tema"]: t["titolo"] for t in self.temi}
        self.cycle = sorted((int(t["ciclo"]), t["tema"]) for t in self.temi if t["ciclo"])

    # What each sentence counts.
    def first(self) -> date:
        return date.fromisoformat(min(m["data"] for m in self.meetings))

    def mode(self, mode: str) -> int:
        return sum(m["modalita"].lower() == mode for m in self.meetings)

    def facilitators(self, tema: str | None = None) -> int:
        return len({m["guida"] for m in self.meetings if tema in (None, m["tema"])})

    def involved(self, label: str | None = None) -> int:
        return sum(1 for p in self.progetti if p["gruppo"] and label in (None, self.call_of[p["bando"]]))

    def calls_involved(self) -> int:
        return len({self.call_of[p["bando"]] for p in self.progetti if p["gruppo"]})

    def without_group(self) -> int:
        return sum(1 for p in self.progetti if not p["gruppo"])

    def calls_without_groups(self) -> set[str]:
        return {self.call_of[b["bando"]] for b in self.bandi} - {self.call_of[g["bando"]] for g in self.gruppi}

    def groups_without_meetings(self) -> int:
        return len(set(self.area) - {m["gruppo"] for m in self.meetings})

    def theme(self, tema: str) -> tuple[int, int, int, date]:
        on = [m for m in self.meetings if m["tema"] == tema]
        return (len(on), len({m["gruppo"] for m in on}), self.facilitators(tema),
                date.fromisoformat(min(m["data"] for m in on)))

    def coverage(self) -> dict[str, tuple[int, ...]]:
        """Per group, the cycle positions it met on."""
        position = {code: pos for pos, code in self.cycle}
        covered = {g: set() for g in self.area}
        for m in self.meetings:
            if m["tema"] in position:
                covered[m["gruppo"]].add(position[m["tema"]])
        return {g: tuple(sorted(c)) for g, c in covered.items()}

    def complete(self) -> int:
        return sum(len(c) == len(self.cycle) for c in self.coverage().values())

    def figures(self) -> dict[str, int]:
        """The figures compared between editions."""
        return {"incontri": len(self.meetings), "gruppi": len(self.gruppi), "progetti coinvolti": self.involved(),
                "bandi coinvolti": self.calls_involved(), "facilitatori": self.facilitators()}


# ---------------------------------------------------------------- claims

@dataclass
class Page:
    """What the audit reads: the section's paragraphs (record text masked
    as ⟦B1⟧ for calls, ⟦T1⟧ for themes, ⟦X⟧ for the edition's own prose),
    the figures published with it, its records and its predecessor's."""

    paragraphs: list[str]
    cifre: dict
    records: Records
    previous: Records | None
    calls: list[str]  # masked ⟦Bi⟧ -> label
    themes: list[str]  # masked ⟦Ti⟧ -> theme code


CLAIMS = []


def claim(pattern: str):
    """Register a sentence pattern and what its figures count. The function
    returns (what, printed, in cifre.json, counted from the records)."""
    def register(fn):
        CLAIMS.append((re.compile(pattern), fn))
        return fn
    return register


def _month_year(text_month: str, year: str) -> tuple[int, int]:
    return MONTHS.index(text_month) + 1, int(year)


@claim(r"Nel (?P<anno>\d{4}) Con i Bambini ha avviato l’iniziativa")
def _start(m, p: Page):
    return [("anno del primo incontro", int(m["anno"]), int(p.cifre["primo_incontro"][:4]), p.records.first().year)]


@claim(r"Nel primo anno di sperimentazione")
def _first_year(m, p: Page):
    """The first year: that of the first meeting, the next one when the
    meetings began between October and December."""
    if not p.records.meetings:  # nothing has begun yet
        return [("primo anno di sperimentazione", True, p.cifre["primo_incontro"] is None, True)]
    year = int(p.records.reference[:4])
    published, counted = date.fromisoformat(p.cifre["primo_incontro"]), p.records.first()
    return [("primo anno di sperimentazione", True, year <= published.year + (published.month >= 10),
             year <= counted.year + (counted.month >= 10))]


@claim(r"(?:L’unico incontro si è svolto|Gli incontri sono cominciati) a (?P<mese>[a-z]+) (?P<anno>\d{4})")
def _first_meeting(m, p: Page):
    first = date.fromisoformat(p.cifre["primo_incontro"])
    return [("mese del primo incontro", _month_year(m["mese"], m["anno"]), (first.month, first.year),
             (p.records.first().month, p.records.first().year))]


@claim(r"L’unico incontro si è svolto a [a-z]+ \d{4}, (?P<modo>online|in presenza|in forma mista)")
def _only_meeting(m, p: Page):
    mode = MODE_WORDS[m["modo"]]
    return [("incontri", 1, p.cifre["incontri"], len(p.records.meetings)),
            (f"incontri {mode}", 1, p.cifre["incontri_per_modalita"][mode], p.records.mode(mode))]


@claim(r"si sono svolti tutti (?P<modo>online|in presenza|in forma mista)")
def _all_one_mode(m, p: Page):
    mode = MODE_WORDS[m["modo"]]
    return [(f"incontri {mode} = tutti", p.cifre["incontri"], p.cifre["incontri_per_modalita"][mode],
             p.records.mode(mode))]


@claim(rf"(?:; |, | e )(?P<n>{NUMBER}|uno) (?:si (?:sono svolti|è svolto) )?(?P<modo>online|in presenza|in forma mista)")
def _per_mode(m, p: Page):
    mode = MODE_WORDS[m["modo"]]
    return [(f"incontri {mode}", number(m["n"]), p.cifre["incontri_per_modalita"][mode], p.records.mode(mode))]


@claim(rf"La conduzione è stata affidata a (?P<n>{NUMBER}|un) facilitator[ei]")
def _facilitators(m, p: Page):
    return [("facilitatori degli incontri", number(m["n"]), p.cifre["facilitatori"], p.records.facilitators())]


@claim(rf"coinvolti i progetti di (?P<n>{NUMBER}) bandi")
def _calls(m, p: Page):
    return [("bandi coinvolti", number(m["n"]), p.cifre["bandi_coinvolti"], p.records.calls_involved())]


@claim(rf"⟦B(?P<b>\d+)⟧ \((?P<n>{NUMBER})(?: progett[oi])?\)")
def _projects_of_call(m, p: Page):
    label = p.calls[int(m["b"])]
    return [(f"progetti coinvolti del bando {label}", number(m["n"]), p.cifre["progetti_per_bando"][label],
             p.records.involved(label))]


@claim(rf"sono stati coinvolti (?P<n>{NUMBER}) progetti di (?P<k>{NUMBER}) bandi, "
       rf"(?:(?P<ogni>{NUMBER}) per ciascun bando|da (?P<min>{NUMBER}) a (?P<max>{NUMBER}) per bando)")
def _projects_per_call_range(m, p: Page):
    per_call = [p.records.involved(label) for label in p.records.labels]
    per_call = [n for n in per_call if n]
    low, high = (number(m["ogni"]),) * 2 if m["ogni"] else (number(m["min"]), number(m["max"]))
    return [("progetti coinvolti", number(m["n"]), p.cifre["progetti_coinvolti"], p.records.involved()),
            ("bandi coinvolti", number(m["k"]), p.cifre["bandi_coinvolti"], p.records.calls_involved()),
            ("progetti coinvolti nel bando che ne ha meno", low, p.cifre["progetti_per_bando_minimo"], min(per_call)),
            ("progetti coinvolti nel bando che ne ha più", high, p.cifre["progetti_per_bando_massimo"], max(per_call))]


@claim(rf"per un totale di (?P<n>{NUMBER}) progetti")
def _projects(m, p: Page):
    return [("progetti coinvolti", number(m["n"]), p.cifre["progetti_coinvolti"], p.records.involved())]


@claim(rf"(?:sono stati coinvolti (?P<n>{NUMBER}) progetti|è stato coinvolto (?P<uno>un) progetto,) del bando ⟦B(?P<b>\d+)⟧")
def _projects_of_only_call(m, p: Page):
    label, n = p.calls[int(m["b"])], number(m["n"] or m["uno"])
    return [("progetti coinvolti", n, p.cifre["progetti_coinvolti"], p.records.involved()),
            (f"progetti coinvolti del bando {label}", n, p.cifre["progetti_per_bando"][label], p.records.involved(label)),
            ("bandi coinvolti", 1, p.cifre["bandi_coinvolti"], p.records.calls_involved())]


@claim(rf"(?:Altri (?P<n>{NUMBER}) progetti non fanno|(?P<uno>Un) altro progetto non fa) ancora parte")
def _without_group(m, p: Page):
    return [("progetti senza gruppo", number(m["n"] or "un"), p.cifre["progetti_senza_gruppo"],
             p.records.without_group())]


@claim(rf"(?:Nessuno dei (?P<n>{NUMBER}) progetti elencati fa|L’unico progetto elencato non fa) ancora parte")
def _none_in_a_group(m, p: Page):
    return [("progetti senza gruppo", number(m["n"] or "un"), p.cifre["progetti_senza_gruppo"],
             p.records.without_group()),
            ("progetti coinvolti", 0, p.cifre["progetti_coinvolti"], p.records.involved())]


@claim(r"(?:Il bando|I bandi) (?P<bandi>.+?) non (?:ha|hanno) ancora gruppi attivati")
def _calls_without_groups(m, p: Page):
    named = {p.calls[int(i)] for i in re.findall(r"⟦B(\d+)⟧", m["bandi"])}
    return [("bandi senza gruppi", named, set(p.cifre["bandi_senza_gruppi"]), p.records.calls_without_groups())]


@claim(rf"(?:Al|al) (?P<giorno>\d{{1,2}}) (?P<mese>[a-z]+) (?P<anno>\d{{4}})")
def _reference_date(m, p: Page):
    said = date(int(m["anno"]), MONTHS.index(m["mese"]) + 1, int(m["giorno"]))
    return [("data di riferimento", said, date.fromisoformat(p.cifre["data_riferimento"]),
             date.fromisoformat(p.records.reference))]


@claim(rf"si contano (?P<n>{NUMBER}|un) incontr[oi] e (?P<g>{NUMBER}|una) comunità di pratiche")
def _meetings_and_groups(m, p: Page):
    return [("incontri", number(m["n"]), p.cifre["incontri"], len(p.records.meetings)),
            ("gruppi", number(m["g"]), p.cifre["gruppi"], len(p.records.gruppi))]


@claim(rf"(?:sono state attivate (?P<g>{NUMBER})|è stata attivata (?P<una>una)) comunità di pratiche")
def _groups_no_meetings(m, p: Page):
    return [("gruppi", number(m["g"] or "una"), p.cifre["gruppi"], len(p.records.gruppi)),
            ("incontri", 0, p.cifre["incontri"], len(p.records.meetings))]


@claim(r"come mostra la Tab (?P<n>\d+)")
def _table_number(m, p: Page):
    return [("numero della tabella", int(m["n"]), p.cifre["tabella"], p.cifre["tabella"])]


@claim(rf"Di questi gruppi, (?P<n>{NUMBER}|uno) non (?:ha|hanno) ancora tenuto incontri")
def _groups_without_meetings(m, p: Page):
    return [("gruppi senza incontri", number(m["n"]), p.cifre["gruppi_senza_incontri"],
             p.records.groups_without_meetings())]


@claim(rf"(?:Non sono conteggiati (?P<n>{NUMBER}) incontri|Non è conteggiato (?P<un>un) incontro) già fissat")
def _after_reference(m, p: Page):
    return [("incontri dopo la data di riferimento", number(m["n"] or "un"), p.cifre["incontri_esclusi"],
             p.records.after)]


@claim(rf"Rispetto al (?P<anno>\d{{4}}) la variazione più ampia riguarda (?P<ind>{'|'.join(INDICATORS)}), "
       rf"(?P<verso>cresciuti|diminuiti) da (?P<prima>{NUMBER}) a (?P<ora>{NUMBER})"
       rf"(?: \((?P<pct>[+\u2212]{NUMBER})%\))?(?P<resto>[^.]*)")
def _comparison(m, p: Page):
    name = INDICATORS[m["ind"]]
    confronto = p.cifre["confronto"][name]
    before, now = p.previous.figures(), p.records.figures()
    said = [(f"{name}: edizione precedente", number(m["prima"]), confronto["precedente"], before[name]),
            (f"{name}: questa edizione", number(m["ora"]), confronto["attuale"], now[name]),
            ("anno precedente", int(m["anno"]), p.cifre["confronto"]["anno_precedente"],
             int(p.previous.reference[:4]))]
    if m["pct"]:
        pct = number(m["pct"].lstrip("+\u2212")) * (-1 if m["pct"][0] == "\u2212" else 1)
        exact = 100 * (now[name] - before[name]) / before[name]
        said.append((f"{name}: variazione in per cento", pct, confronto["variazione_percentuale"],
                     pct if abs(pct - exact) < (0.05 if isinstance(pct, float) else 0.5) else exact))
    # "the largest relative change": none of the others moved more.
    weight = {k: abs(now[k] - before[k]) / before[k] if before[k] else (float("inf") if now[k] else 0) for k in now}
    said.append(("variazione più ampia", name, name,
                 name if weight[name] == max(weight.values()) else max(weight, key=weight.get)))
    others = [now[k] - before[k] for k in now if k != name]
    if "crescono anche tutte" in m["resto"]:
        said.append(("le altre crescono", True, True, all(d > 0 for d in others)))
    if "diminuiscono anche tutte" in m["resto"]:
        said.append(("le altre diminuiscono", True, True, all(d < 0 for d in others)))
    if "rimaste invariate" in m["resto"]:
        said.append(("le altre invariate", True, True, all(d == 0 for d in others)))
    return said


@claim(r"Rispetto al (?P<anno>\d{4}) le cifre principali sono rimaste invariate")
def _no_change(m, p: Page):
    return [("nessuna variazione", p.previous.figures(), p.previous.figures(), p.records.figures())]


@claim(rf"(?:un ciclo di (?P<n>{NUMBER}) temi|ha (?P<uno>un) solo tema)")
def _cycle_size(m, p: Page):
    return [("temi del ciclo", number(m["n"] or "un"), p.cifre["temi_ciclo"], len(p.records.cycle))]


@claim(r"Alla data di riferimento (?:tutti i gruppi hanno|l’unico gruppo ha) completato il ciclo")
def _all_complete(m, p: Page):
    return [("gruppi con il ciclo completo", p.cifre["gruppi"], p.cifre["gruppi_ciclo_completo"],
             p.records.complete())]


@claim(rf"(?:(?P<n>{NUMBER}) gruppi|(?P<un>un) gruppo) su (?P<di>{NUMBER}) (?:ha|hanno) completato il ciclo")
def _some_complete(m, p: Page):
    return [("gruppi con il ciclo completo", number(m["n"] or "un"), p.cifre["gruppi_ciclo_completo"],
            p.records.complete()), ("gruppi", number(m["di"]), p.cifre["gruppi"], len(p.records.gruppi))]


@claim(r"nessun gruppo ha ancora (?:completato il ciclo|affrontato un tema del ciclo)")
def _none_complete(m, p: Page):
    return [("gruppi con il ciclo completo", 0, p.cifre["gruppi_ciclo_completo"], p.records.complete())]


@claim(rf"(?P<chi>(?:i |altri )?(?P<n>{NUMBER}) gruppi|(?:il|un|un altro) gruppo|tutti i gruppi|l’unico gruppo)"
       rf"(?P<area> (?:del Nord|del Centro|del Sud e delle Isole|multiregional[ei]))? (?:non )?(?:ha|hanno) "
       rf"(?:ancora affrontato alcun tema|affrontato solo il primo tema|affrontato i primi (?P<k>{NUMBER}) temi|"
       rf"affrontato solo “⟦T\d+⟧”|affrontato tutti i temi tranne|affrontato finora)")
def _partial(m, p: Page):
    """A set of groups at the same point of the cycle: as many groups (of
    that area) with that coverage in the records, and in cifre.json."""
    n = number(m["n"]) if m["n"] else (len(p.records.gruppi) if m["chi"] in ("tutti i gruppi", "l’unico gruppo")
                                       else 1)
    area = AREA_WORDS[m["area"].strip()] if m["area"] else None
    k = number(m["k"]) if m["k"] else None
    sets = [s for s in p.cifre["gruppi_ciclo_parziale"] if s["gruppi"] == n and s["area"] == area
            and (k is None or s["temi_affrontati"] == k)]
    said = [("gruppi a questo punto del ciclo", n, sets[0]["gruppi"] if sets else None, n)]
    if sets:
        titles = sets[0]["titoli"]
        cycle_titles = [p.records.title[code] for _, code in p.records.cycle]
        covered = tuple(sorted(cycle_titles.index(t) + 1 for t in titles))
        alike = [g for g, c in p.records.coverage().items() if c == covered]
        said.append((f"gruppi che hanno affrontato {covered}", n, sets[0]["gruppi"], len(alike)))
        if area:
            said.append(("area di quei gruppi", area, sets[0]["area"], {p.records.area[g] for g in alike}.pop()))
        if k is not None:
            said.append(("temi affrontati", k, sets[0]["temi_affrontati"], len(covered)))
    return said


@claim(rf"Da (?P<mese>[a-z]+) (?P<anno>\d{{4}}) (?:il lavoro si è esteso al|si è aggiunto il) tema “⟦T(?P<t>\d+)⟧”: "
       rf"(?P<i>{NUMBER}|un) incontr[oi] con (?P<g>{NUMBER}|un) grupp[oi], "
       rf"con il contributo di (?P<f>{NUMBER}|un) facilitator[ei]")
def _extra_theme(m, p: Page):
    code = p.themes[int(m["t"])]
    figures = p.cifre["temi"][code]
    meetings, groups, facilitators, first = p.records.theme(code)
    start = date.fromisoformat(figures["primo_incontro"])
    return [(f"incontri sul tema {code}", number(m["i"]), figures["incontri"], meetings),
            (f"gruppi sul tema {code}", number(m["g"]), figures["gruppi"], groups),
            (f"facilitatori degli incontri sul tema {code}", number(m["f"]), figures["facilitatori"], facilitators),
            (f"primo incontro sul tema {code}", _month_year(m["mese"], m["anno"]), (start.month, start.year),
             (first.month, first.year))]


# ---------------------------------------------------------------- reading a page

def _masked(text: str, records: Records) -> tuple[str, list[str], list[str]]:
    """The text with record strings replaced by placeholders (they may hold
    digits that are not figures), longest first."""
    calls = list(records.labels)
    themes = [t["tema"] for t in records.temi]
    strings = [(formatting.typeset(label), f"⟦B{i}⟧") for i, label in enumerate(calls)]
    strings += [(formatting.typeset(records.title[code]), f"⟦T{i}⟧") for i, code in enumerate(themes)]
    prose = [v for v in records.testo.values()]
    strings += [(formatting.typeset(s), "⟦X⟧") for v in prose for s in (v if isinstance(v, list) else [v])]
    for original, mark in sorted(strings, key=lambda pair: -len(pair[0])):
        text = text.replace(original, mark)
    return text, calls, themes


def paragraphs(page_html: str) -> list[str]:
    """The section's running text as a reader gets it: paragraphs and list
    items of the article, without its heading, tables, figures and the
    charts' data."""
    article = re.search(r"<article\b.*?</article>", page_html, re.S).group(0)
    article = re.sub(r"<header\b.*?</header>|<figure\b.*?</figure>|<details\b.*?</details>", " ", article,
                     flags=re.S)
    blocks = re.findall(r"<(p|li|h2)\b[^>]*>(.*?)</\1>", article, re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\u00a0", " ")).strip()
            for _, body in blocks]


def figures_box(page_html: str) -> list[tuple[str, str]]:
    """The "In cifre" box of the page: (label, figure) pairs."""
    return [(html.unescape(dt).strip(), html.unescape(dd).strip())
            for dt, dd in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page_html, re.S)]


BOX = {"incontri": "incontri", "incontro": "incontri", "comunità di pratiche": "gruppi",
       "progetti coinvolti": "progetti_coinvolti", "progetto coinvolto": "progetti_coinvolti",
       "facilitatori": "facilitatori", "facilitatore": "facilitatori"}

INVARIABLE = ("comunità di pratiche",)
SINGULAR = ("incontro", "gruppo", "progetto", "facilitatore", "tema", "bando", "richiesta")
PLURAL = ("incontri", "gruppi", "progetti", "facilitatori", "temi", "bandi", "richieste")


PUNCTUATION = {
    "frasi incollate": r"[^\W\d_][.;:!?](?=[^\W\d_“(])|\d[.;:!?](?=[^\W\d_“(])",
    "spazio prima della punteggiatura": r" [,.;:!?)”]|[(“] ",
    "parentesi, virgolette o elenchi vuoti": r"\(\s*\)|“\s*”|:\s*[.;]|,\s*[,.;]|\s(?:e|di|del|al)\s*[.,;]",
}


def form_defects(text: str, only_punctuation: bool = False) -> list[str]:
    """What a proofreader would mark, whatever the figures. The checks on
    numbers and nouns need running text (a chart's axis reads "0 1 gruppi
    attivati"); `only_punctuation` leaves them out."""
    text = re.sub(r"\S+@\S+|(?:https?://|www\.)\S+|\b[\w-]+\.(?:it|org)\b", " ", text)  # addresses are not prose
    checks = dict(PUNCTUATION) if only_punctuation else {
        **PUNCTUATION,
        "cifra zero davanti a un nome": r"(?<![\d.,])0\s+(?:[a-zà-ù]|comunità)",
        "1 con il plurale": rf"(?<![\d.,])1\s+(?:{'|'.join(PLURAL)})\b|\bun[oa]?\s+(?:{'|'.join(PLURAL)})\b",
        "plurale con il singolare": rf"(?<![\d.,])(?:[02-9]|\d{{2,}}|\d{{1,3}}\.\d{{3}})\s+(?:{'|'.join(SINGULAR)})\b",
        "soggetto singolare, verbo plurale": r"\b(?:1|un|uno|una|l’unico)\s+(?:gruppo|incontro|progetto|facilitatore)"
                                             r"(?:\s+[a-zà-ù]+){0,5}?\s+hanno\b",
        "soggetto plurale, verbo singolare": r"(?<![\d.,])(?:[2-9]|\d{2,})\s+(?:gruppi|incontri|progetti)\s+(?:ha|è)\b",
    }
    return [f"{name}: …{text[max(0, hit.start() - 40):hit.end() + 40]}…"
            for name, pattern in checks.items() for hit in re.finditer(pattern, text)]


def audit(page_html: str, cifre: dict, records: Records, previous: Records | None) -> list[str]:
    """Every defect of a page: form, then figures not bound to what they count."""
    found = []
    texts = paragraphs(page_html)
    assert texts, "no running text found"
    for text in texts:
        found += form_defects(text)
    for label, value in figures_box(page_html):
        name = BOX.get(label)
        if name is None:
            found.append(f"riquadro: “{label}” non dice che cosa conta")
        elif number(value) != cifre[name] or (label in INVARIABLE) is False and (
                number(value) == 1) != (label in SINGULAR or "coinvolto" in label):
            found.append(f"riquadro: “{label} {value}”, in cifre.json {name} = {cifre[name]}")
    for text in texts:
        masked, calls, themes = _masked(text, records)
        page = Page(texts, cifre, records, previous, calls, themes)
        covered = []
        for pattern, explain in CLAIMS:
            for hit in pattern.finditer(masked):
                covered += [hit.span(g) for g in pattern.groupindex if hit[g] is not None]
                for what, printed, published, counted in explain(hit, page):
                    if not printed == published == counted:
                        found.append(f"«{what}»: nel testo {printed!r}, in cifre.json {published!r}, "
                                     f"nei dati {counted!r} — …{masked[hit.start():hit.end()]}…")
        for token in re.finditer(rf"(?<![⟦BTX\d]){NUMBER}", masked):
            if not any(a <= token.start() and token.end() <= b for a, b in covered):
                found.append(f"numero {token.group(0)} senza un’affermazione che dica che cosa conta: "
                             f"…{masked[max(0, token.start() - 60):token.end() + 40]}…")
    return found


# ---------------------------------------------------------------- the matrix

def _render(data: Path, year: int) -> tuple[str, dict]:
    """The edition's page and figures, made by the same stages as a build
    (charts and PDF left out: this audit reads the text)."""
    ente, _ = load_organisation(data)
    edition, problems = load_edition(data, year)
    assert edition, problems
    summary = summarise_edition(edition, lambda line: None)
    earlier = [y for y in editions_in(data) if y < year]
    comparison = None
    if earlier:
        before, _ = load_edition(data, earlier[-1])
        comparison = (before.anno, aggregate.compare(summarise_edition(before, lambda line: None).figures,
                                                     summary.figures))
    ctx = context.make(edition, ente, summary.figures, [], edition.data_riferimento, comparison)
    return render.html_page(ctx, {}).decode("utf-8"), json.loads(render.figures_json(ctx))


def _records(data: Path, year: int) -> Records:
    edition, _ = load_edition(data, year)
    return Records(edition.folder, edition.data_riferimento.isoformat(), edition.testo)


def _previous_records(data: Path, year: int) -> Records | None:
    earlier = [y for y in editions_in(data) if y < year]
    return _records(data, earlier[-1]) if earlier else None


MATRIX = {
    "una-chiamata-un-gruppo-un-incontro": [Shape(bandi=1, gruppi=1, progetti=1, incontri=1, temi_ciclo=1,
                                                 temi_extra=0, facilitatori=1, completi="tutti")],
    "quaranta-bandi": [Shape(bandi=40, gruppi=120, progetti=900, senza_gruppo=30, incontri=1500, dopo_riferimento=7,
                             temi_ciclo=3, temi_extra=1, modalita=("online", "in presenza", "mista"),
                             facilitatori=9, seed=1)],
    "tutti-in-presenza": [Shape(modalita=("in presenza",), completi="tutti", incontri=200, seed=3)],
    "nessun-tema-extra": [Shape(temi_ciclo=3, temi_extra=0, gruppi=12, incontri=80, seed=5)],
    "tre-temi-extra": [Shape(temi_extra=3, gruppi=20, incontri=150, facilitatori=5, seed=6)],
    "sei-anni": [Shape(anni=6, gruppi=24, incontri=3000, temi_ciclo=3, temi_extra=2, completi="nessuno", seed=2)],
    "tutti-completi": [Shape(completi="tutti", gruppi=12, incontri=60, temi_ciclo=3, dopo_riferimento=1, seed=7)],
    "nessuno-completo": [Shape(completi="nessuno", gruppi=12, incontri=60, temi_ciclo=3, seed=8)],
    "gruppi-senza-incontri": [Shape(gruppi=10, progetti=40, senza_gruppo=1, incontri=6, temi_ciclo=2, seed=12)],
    "nessun-incontro-entro-la-data": [Shape(gruppi=4, progetti=12, incontri=0, dopo_riferimento=3, seed=14)],
    # Two editions: the audited one is the last.
    "cambio-di-facilitatore": "cambio",
    "precedente-con-piu-di-tutto": [
        Shape(anno=2022, bandi=6, gruppi=40, progetti=400, incontri=600, temi_extra=2, facilitatori=8, seed=10),
        Shape(anno=2023, bandi=2, gruppi=5, progetti=30, incontri=12, facilitatori=2, seed=11)],
}
CHANGE = Shape(anno=2023, anni=2, gruppi=10, progetti=60, incontri=120, temi_ciclo=2, temi_extra=2,
               facilitatori=3, cambi_facilitatore=3, seed=9)


def _write(root: Path, name: str) -> int:
    """Write the matrix entry `name` under `root`; returns the year audited."""
    if MATRIX[name] == "cambio":
        write_previous(root, CHANGE)
        return CHANGE.anno
    for shape in MATRIX[name]:
        write_edition(root, shape)
    return MATRIX[name][-1].anno


@pytest.mark.parametrize("name", MATRIX)
def test_generated_edition_reads_true(tmp_path, name):
    data = tmp_path / "raw"
    year = _write(data, name)
    page, cifre = _render(data, year)
    assert audit(page, cifre, _records(data, year), _previous_records(data, year)) == []


@pytest.mark.parametrize("year", [2021, 2022])
def test_sample_edition_reads_true(year):
    page, cifre = _render(DATA, year)
    assert audit(page, cifre, _records(DATA, year), _previous_records(DATA, year)) == []


def test_the_audit_catches_what_it_is_for():
    """Each kind of defect, planted in a real page, is reported."""
    page, cifre = _render(DATA, 2022)
    records, previous = _records(DATA, 2022), _previous_records(DATA, 2022)
    planted = {
        r"Tab 37\.\s+Non sono": "Tab 37.Non sono",  # glued
        r"78&nbsp;incontri": "78&nbsp;incontri ,",  # space before a comma
        r"contributo di\s+3&nbsp;facilitatori": "contributo di 4&nbsp;facilitatori",  # the wrong figure
        r"Altri 10&nbsp;progetti": "Altri 10&nbsp;progetti ()",  # empty parentheses
        r"per un totale di 382&nbsp;progetti": "per un totale di 382&nbsp;progetti e 7 partner",  # uncounted
        "18\u00a0gruppi su 24": "18 gruppi su 24 gruppo",  # agreement
        r"si contano\s+<strong>78": "si contano <strong>0&nbsp;gruppi e 78",  # "0 gruppi"
    }
    assert audit(page, cifre, records, previous) == []
    for pattern, planted_text in planted.items():
        spoiled, done = re.subn(pattern, planted_text, page, count=1)
        assert done, pattern
        assert audit(spoiled, cifre, records, previous), f"not caught: {planted_text!r}"


# ---------------------------------------------------------------- PDFs

def _pdf_reads_like_page(page: str, pdf_path: Path) -> None:
    pdf = _pdf_text(pdf_path)
    assert form_defects(pdf, only_punctuation=True) == []
    squeezed = _squeezed(pdf)
    for text in paragraphs(page):
        for sentence in re.split(r"(?<=[.;:])\s+", text):
            assert _squeezed(sentence) in squeezed, f"not in the PDF as on the page: {sentence!r}"


@pytest.mark.parametrize("year", [2021, 2022])
def test_sample_pdf_reads_like_the_page(built, year):
    folder = built / str(year)
    page = next(folder.glob("*.html")).read_text("utf-8")
    cifre = json.loads((folder / "dati/cifre.json").read_text("utf-8"))
    assert audit(page, cifre, _records(DATA, year), _previous_records(DATA, year)) == []
    _pdf_reads_like_page(page, next(folder.glob("*.pdf")))

PDF_CASES = ["una-chiamata-un-gruppo-un-incontro", "quaranta-bandi", "cambio-di-facilitatore"]


def _squeezed(text: str) -> str:
    return re.sub(r"[\s\u00ad\u2010-]", "", text)


@pytest.mark.parametrize("name", PDF_CASES)
def test_pdf_text_reads_like_the_page(tmp_path, name):
    """A real build: the PDF holds the page's paragraphs, sentence for
    sentence (so they read as audited on the page), and its whole text,
    tables and charts included, has no glued sentence, no space before
    punctuation, nothing empty."""
    data = tmp_path / "raw"
    year = _write(data, name)
    out = tmp_path / "out"
    result = build(data, out, years=[year], log=lambda line: None)
    assert not [w for w in result.warnings if w.column == "facilitatore"]
    folder = out / str(year)
    page = next(folder.glob("*.html")).read_text("utf-8")
    cifre = json.loads((folder / "dati/cifre.json").read_text("utf-8"))
    assert audit(page, cifre, _records(data, year), _previous_records(data, year)) == []
    _pdf_reads_like_page(page, next(folder.glob("*.pdf")))
