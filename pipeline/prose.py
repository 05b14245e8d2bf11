"""The sentences of the section whose shape depends on the data.

Most sentences live in templates/_sezione.html.j2 and only need agreement in
number (Jinja's `trans`/`pluralize`). The few here choose their structure
from the figures: how the meetings were held, the calls and their projects,
where the groups stand in the cycle, what changed most since the previous
edition. Each is a short function of plain values returning plain text:
record text typeset, numbers in Italian, no markup (the template escapes
it). tests/test_prose.py states the exact wording of each case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import formatting as fmt

# How a mode reads after "si sono svolti tutti" / "17".
MODE = {"online": "online", "in presenza": "in presenza", "mista": "in forma mista"}

# How an area reads after "gruppo" / "gruppi".
AREA_AFTER = {"Nord": ("del Nord", "del Nord"), "Centro": ("del Centro", "del Centro"),
              "Sud e Isole": ("del Sud e delle Isole", "del Sud e delle Isole"),
              "Multiregionale": ("multiregionale", "multiregionali")}


def _plural(n: int, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def meetings_and_modes(meetings: int, first: date, modes: dict[str, int], context: str = "") -> str:
    """When the meetings began and how they were held (`modes`: meetings per
    mode, modes without meetings left out); `context` is the edition's own
    explanation, added at the end."""
    when = fmt.month(first)
    tail = f", {fmt.typeset(context)}" if context else ""
    if meetings == 1:
        (mode,) = modes
        return f"L’unico incontro si è svolto a {when}, {MODE[mode]}{tail}."
    if len(modes) == 1:
        (mode,) = modes
        return f"Gli incontri sono cominciati a {when} e si sono svolti tutti {MODE[mode]}{tail}."
    how_many = {m: "uno" if n == 1 else fmt.number(n) for m, n in modes.items()}
    (mode, n), *rest = modes.items()
    lead = f"uno si è svolto {MODE[mode]}" if n == 1 else f"{how_many[mode]} si sono svolti {MODE[mode]}"
    parts = [lead] + [f"{how_many[m]} {MODE[m]}" for m, _ in rest]
    return f"Gli incontri sono cominciati a {when}; {fmt.join(parts)}{tail}."


LISTED_CALLS = 10  # beyond this many calls, the text gives the range of projects per call, not the list


def projects_per_call(calls: dict[str, int]) -> str:
    """The calls with their projects involved, the noun said once:
    `Prima Infanzia 2016 (80 progetti), Adolescenza 2016 (86) e …`; with
    more than LISTED_CALLS calls, the range instead: `da 12 a 45 per bando`
    (`29 per ciascun bando` when they are all alike)."""
    if len(calls) > LISTED_CALLS:
        low, high = min(calls.values()), max(calls.values())
        if low == high:
            return f"{fmt.number(low)} per ciascun bando"
        return f"da {fmt.number(low)} a {fmt.number(high)} per bando"
    (label, n), *rest = calls.items()
    parts = [f"{fmt.typeset(label)} ({fmt.count(n, 'progetto', 'progetti')})"]
    return fmt.join(parts + [f"{fmt.typeset(other)} ({fmt.number(k)})" for other, k in rest])


@dataclass(frozen=True)
class PartialCycle:
    """Groups that have not covered every cycle theme, alike in the themes
    they did cover (and, when they share it, in area)."""

    gruppi: int
    area: str | None  # their shared macro-area, None when they differ
    tutti_area: bool  # they are all the groups of that area
    temi: tuple[str, ...]  # titles of the cycle themes they covered, in cycle order
    primi: bool  # those are the first themes of the cycle


def _subject(p: PartialCycle, another: bool) -> str:
    """`il gruppo del Nord`, `i 3 gruppi multiregionali`, `un altro gruppo
    del Centro`, `altri 2 gruppi`…"""
    where = f" {AREA_AFTER[p.area][p.gruppi != 1]}" if p.area else ""
    if p.gruppi == 1:
        return f"{'il' if p.tutti_area else 'un altro' if another else 'un'} gruppo{where}"
    article = "i " if p.tutti_area else "altri " if another else ""
    return f"{article}{fmt.count(p.gruppi, 'gruppo', 'gruppi')}{where}"


def _covered(p: PartialCycle, cycle: tuple[str, ...]) -> str:
    """What the groups covered, after "ha"/"hanno"."""
    titles = [f"“{fmt.typeset(t)}”" for t in p.temi]
    if not p.temi:
        return "ancora affrontato alcun tema del ciclo"
    if p.primi:
        return "affrontato solo il primo tema" if len(p.temi) == 1 else \
            f"affrontato i primi {fmt.number(len(p.temi))} temi"
    if len(p.temi) == 1:
        return f"affrontato solo {titles[0]}"
    missing = [f"“{fmt.typeset(t)}”" for t in cycle if t not in p.temi]
    if len(missing) == 1:
        return f"affrontato tutti i temi tranne {missing[0]}"
    return f"affrontato finora {fmt.join(titles)}"


def cycle_status(groups: int, complete: int, partial: tuple[PartialCycle, ...], cycle: tuple[str, ...]) -> str:
    """Where the groups stand in the cycle (`cycle`: its theme titles, in
    order) at the reference date: how many completed it, then each set of
    the others alike in what they covered."""
    if complete == groups:
        return ("Alla data di riferimento l’unico gruppo ha completato il ciclo." if groups == 1
                else "Alla data di riferimento tutti i gruppi hanno completato il ciclo.")
    if complete == 0 and len(partial) == 1:  # every group at the same point
        (p,) = partial
        if not p.temi:
            return ("Alla data di riferimento l’unico gruppo non ha ancora affrontato alcun tema del ciclo."
                    if groups == 1 else "Alla data di riferimento nessun gruppo ha ancora affrontato un tema del ciclo.")
        who = "l’unico gruppo ha" if groups == 1 else "tutti i gruppi hanno"
        return f"Alla data di riferimento {who} {_covered(p, cycle)}."
    if complete == 0:
        head = "nessun gruppo ha ancora completato il ciclo"
    else:
        head = (f"{'un gruppo' if complete == 1 else fmt.count(complete, 'gruppo', 'gruppi')} su "
                f"{fmt.number(groups)} {_plural(complete, 'ha', 'hanno')} completato il ciclo")
    clauses, areas_said = [], set()
    for p in partial:
        another = p.area in areas_said or (p.area is None and bool(areas_said))
        areas_said.add(p.area)
        verb = _plural(p.gruppi, "ha", "hanno")
        if not p.temi:
            verb = "non " + verb
        clauses.append(f"{_subject(p, another)} {verb} {_covered(p, cycle)}")
    return f"Alla data di riferimento {head}; {'; '.join(clauses)}."


@dataclass(frozen=True)
class Change:
    """One main figure against the previous edition."""

    nome: str  # the indicator with its article, as running text names it: "gli incontri"
    precedente: int
    attuale: int

    @property
    def variazione(self) -> int:
        return self.attuale - self.precedente

    @property
    def percentuale(self) -> int | float | None:
        """The change in per cent as printed: a whole number, or one decimal
        where rounding would say "no change" or "all gone" when neither is
        true (+0,4%, −99,7%); None when the previous figure is 0."""
        if not self.precedente:
            return None
        pct = 100 * self.variazione / self.precedente
        whole = round(pct)
        misleading = (whole == 0 and self.variazione) or (whole == -100 and self.attuale)
        return round(pct, 1) if misleading else whole

    @property
    def peso(self) -> float:
        """Size of the change relative to the previous figure."""
        if not self.precedente:
            return float("inf") if self.variazione else 0.0
        return abs(self.variazione) / self.precedente


def comparison(year: int, changes: tuple[Change, ...]) -> str:
    """One sentence on the change from the previous edition: the largest
    relative change first (the table holds every figure), then whether the
    others moved the same way."""
    moved = [c for c in changes if c.variazione]
    if not moved:
        return f"Rispetto al {year} le cifre principali sono rimaste invariate."
    top = max(moved, key=lambda c: c.peso)  # first of the largest, in table order
    verb = "cresciuti" if top.variazione > 0 else "diminuiti"
    pct = f" ({fmt.percent_change(top.percentuale)})" if top.percentuale is not None else ""
    sentence = (f"Rispetto al {year} la variazione più ampia riguarda {top.nome}, {verb} "
                f"da {fmt.number(top.precedente)} a {fmt.number(top.attuale)}{pct}")
    others = [c for c in changes if c is not top]
    if others and all(c.variazione == 0 for c in others):
        return sentence + "; le altre cifre principali sono rimaste invariate."
    if others and all(c.variazione * top.variazione > 0 for c in others):
        return sentence + f"; {'crescono' if top.variazione > 0 else 'diminuiscono'} anche tutte le altre cifre principali."
    return sentence + "."


def lettered(titles: tuple[str, ...]) -> str:
    """The cycle's themes as a lettered run-in list: `(a) Primo; (b) Secondo`
    (a single theme: its title alone, in quotes, as the section names a
    theme inside a sentence: `ha un solo tema: “Le sfide…”`)."""
    if len(titles) == 1:
        return f"“{fmt.typeset(titles[0])}”"
    marks = [chr(ord("a") + i) if len(titles) <= 26 else str(i + 1) for i in range(len(titles))]
    return "; ".join(f"({mark}) {fmt.typeset(title)}" for mark, title in zip(marks, titles))
