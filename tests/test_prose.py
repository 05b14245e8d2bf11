"""The exact wording of the sentences built in pipeline/prose.py, case by
case, and the layout rules of the section template that keep its sentences
apart."""

from __future__ import annotations

import re
from datetime import date

import pytest

from pipeline import formatting, prose
from pipeline.prose import Change, PartialCycle

from .conftest import ROOT

NB = "\u00a0"


@pytest.mark.parametrize("meetings, modes, context, expected", [
    (1, {"in presenza": 1}, "",
     "L’unico incontro si è svolto a marzo 2024, in presenza."),
    (35, {"online": 35}, "a causa dell'emergenza sanitaria",
     "Gli incontri sono cominciati a marzo 2024 e si sono svolti tutti online, a causa dell’emergenza sanitaria."),
    (4, {"mista": 4}, "",
     "Gli incontri sono cominciati a marzo 2024 e si sono svolti tutti in forma mista."),
    (78, {"online": 52, "in presenza": 17, "mista": 9}, "",
     "Gli incontri sono cominciati a marzo 2024; 52 si sono svolti online, 17 in presenza e 9 in forma mista."),
    (2, {"online": 1, "mista": 1}, "",
     "Gli incontri sono cominciati a marzo 2024; uno si è svolto online e uno in forma mista."),
    (1240, {"online": 1234, "in presenza": 1, "mista": 5}, "",
     "Gli incontri sono cominciati a marzo 2024; 1.234 si sono svolti online, uno in presenza e 5 in forma mista."),
])
def test_meetings_and_modes(meetings, modes, context, expected):
    assert prose.meetings_and_modes(meetings, date(2024, 3, 5), modes, context) == expected


@pytest.mark.parametrize("calls, expected", [
    ({"Prima Infanzia 2016": 80, "Adolescenza 2016": 86, "Nuove Generazioni 2017": 83},
     f"Prima Infanzia 2016 (80{NB}progetti), Adolescenza 2016 (86) e Nuove Generazioni 2017 (83)"),
    ({"Un passo avanti 2018": 1, "Cambio rotta 2019": 3}, f"Un passo avanti 2018 (1{NB}progetto) e Cambio rotta 2019 (3)"),
    ({"L'altro bando 2020": 1200}, f"L’altro bando 2020 (1.200{NB}progetti)"),
    ({f"Bando {i}": 10 + i for i in range(11)}, "da 10 a 20 per bando"),
    ({f"Bando {i}": 29 for i in range(40)}, "29 per ciascun bando"),
])
def test_projects_per_call(calls, expected):
    assert prose.projects_per_call(calls) == expected


CYCLE = ("Primo", "Secondo", "Terzo")


@pytest.mark.parametrize("groups, complete, partial, expected", [
    (16, 16, (), "Alla data di riferimento tutti i gruppi hanno completato il ciclo."),
    (1, 1, (), "Alla data di riferimento l’unico gruppo ha completato il ciclo."),
    (16, 13, (PartialCycle(3, "Multiregionale", True, ("Primo",), True),),
     f"Alla data di riferimento 13{NB}gruppi su 16 hanno completato il ciclo; "
     f"i 3{NB}gruppi multiregionali hanno affrontato solo il primo tema."),
    # Two groups of one area at different points: the second is "un altro".
    (5, 3, (PartialCycle(1, "Nord", False, ("Primo", "Secondo"), True),
            PartialCycle(1, "Nord", False, ("Secondo",), False)),
     f"Alla data di riferimento 3{NB}gruppi su 5 hanno completato il ciclo; "
     "un gruppo del Nord ha affrontato i primi 2 temi; un altro gruppo del Nord ha affrontato solo “Secondo”."),
    # The 2022 sample: areas differ in the second set, one theme missing in the third.
    (24, 18, (PartialCycle(2, "Multiregionale", False, ("Primo", "Secondo"), True),
              PartialCycle(2, None, False, ("Secondo",), False),
              PartialCycle(2, "Sud e Isole", False, ("Secondo", "Terzo"), False)),
     f"Alla data di riferimento 18{NB}gruppi su 24 hanno completato il ciclo; "
     f"2{NB}gruppi multiregionali hanno affrontato i primi 2 temi; "
     f"altri 2{NB}gruppi hanno affrontato solo “Secondo”; "
     f"2{NB}gruppi del Sud e delle Isole hanno affrontato tutti i temi tranne “Primo”."),
    (5, 1, (PartialCycle(2, "Centro", True, ("Primo",), True), PartialCycle(2, None, False, (), False)),
     "Alla data di riferimento un gruppo su 5 ha completato il ciclo; "
     f"i 2{NB}gruppi del Centro hanno affrontato solo il primo tema; "
     f"altri 2{NB}gruppi non hanno ancora affrontato alcun tema del ciclo."),
    (4, 0, (PartialCycle(3, None, False, ("Primo",), True), PartialCycle(1, "Multiregionale", True, (), False)),
     "Alla data di riferimento nessun gruppo ha ancora completato il ciclo; "
     f"3{NB}gruppi hanno affrontato solo il primo tema; il gruppo multiregionale non ha ancora affrontato "
     "alcun tema del ciclo."),
    (1, 0, (PartialCycle(1, "Nord", True, ("Primo",), True),),
     "Alla data di riferimento l’unico gruppo ha affrontato solo il primo tema."),
    (40, 0, (PartialCycle(40, None, False, ("Primo", "Secondo"), True),),
     "Alla data di riferimento tutti i gruppi hanno affrontato i primi 2 temi."),
    (7, 0, (PartialCycle(7, None, False, (), False),),
     "Alla data di riferimento nessun gruppo ha ancora affrontato un tema del ciclo."),
    (1, 0, (PartialCycle(1, "Sud e Isole", True, (), False),),
     "Alla data di riferimento l’unico gruppo non ha ancora affrontato alcun tema del ciclo."),
])
def test_cycle_status(groups, complete, partial, expected):
    assert prose.cycle_status(groups, complete, partial, CYCLE) == expected


def test_cycle_status_names_themes_covered_when_several_are_missing():
    cycle = ("A", "B", "C", "D", "E")
    partial = (PartialCycle(2, "Nord", True, ("B", "D"), False),)
    assert prose.cycle_status(3, 1, partial, cycle) == (
        "Alla data di riferimento un gruppo su 3 ha completato il ciclo; "
        f"i 2{NB}gruppi del Nord hanno affrontato finora “B” e “D”.")


def _changes(*pairs):
    names = ("gli incontri", "i gruppi", "i progetti coinvolti", "i bandi coinvolti", "i facilitatori")
    return tuple(Change(name, before, after) for name, (before, after) in zip(names, pairs))


@pytest.mark.parametrize("changes, expected", [
    # The 2022 sample against 2021: the calls grew most, everything grew.
    (_changes((35, 78), (16, 24), (249, 382), (3, 7), (3, 4)),
     "Rispetto al 2021 la variazione più ampia riguarda i bandi coinvolti, cresciuti da 3 a 7 (+133%); "
     "crescono anche tutte le altre cifre principali."),
    (_changes((78, 81), (24, 24), (382, 382), (7, 7), (4, 4)),
     "Rispetto al 2021 la variazione più ampia riguarda gli incontri, cresciuti da 78 a 81 (+4%); "
     "le altre cifre principali sono rimaste invariate."),
    (_changes((400, 1), (40, 1), (300, 1), (9, 1), (12, 1)),
     "Rispetto al 2021 la variazione più ampia riguarda gli incontri, diminuiti da 400 a 1 (\u221299,8%); "
     "diminuiscono anche tutte le altre cifre principali."),
    (_changes((35, 78), (16, 10), (249, 249), (3, 3), (3, 3)),
     "Rispetto al 2021 la variazione più ampia riguarda gli incontri, cresciuti da 35 a 78 (+123%)."),
    (_changes((10, 12), (5, 5), (20, 20), (2, 2), (0, 3)),
     "Rispetto al 2021 la variazione più ampia riguarda i facilitatori, cresciuti da 0 a 3."),
    (_changes((1000, 1004), (5, 5), (20, 20), (2, 2), (3, 3)),
     "Rispetto al 2021 la variazione più ampia riguarda gli incontri, cresciuti da 1.000 a 1.004 (+0,4%); "
     "le altre cifre principali sono rimaste invariate."),
    # A tie: the first in the table's order.
    (_changes((10, 20), (5, 10), (20, 20), (2, 2), (3, 3)),
     "Rispetto al 2021 la variazione più ampia riguarda gli incontri, cresciuti da 10 a 20 (+100%)."),
    (_changes((10, 10), (5, 5), (20, 20), (2, 2), (3, 3)),
     "Rispetto al 2021 le cifre principali sono rimaste invariate."),
])
def test_comparison(changes, expected):
    assert prose.comparison(2021, changes) == expected


def test_comparison_percentages_as_printed():
    assert Change("x", 3, 7).percentuale == 133
    assert Change("x", 1000, 1004).percentuale == 0.4
    assert Change("x", 0, 5).percentuale is None
    assert Change("x", 5, 5).percentuale == 0
    assert Change("x", 382, 1).percentuale == -99.7
    assert Change("x", 382, 0).percentuale == -100


@pytest.mark.parametrize("titles, expected", [
    (("Uno",), "“Uno”"),
    (("Uno", "L'altro"), "(a) Uno; (b) L’altro"),
])
def test_lettered(titles, expected):
    assert prose.lettered(titles) == expected


def test_percent_change_as_the_table_prints_it():
    assert [formatting.percent_change(v) for v in (133, -99.7, 0.4, 0, None)] == ["+133%", "\u221299,7%", "+0,4%",
                                                                                   "0%", "–"]


def test_lists_come_from_babel():
    assert formatting.join(["A", "B", "C"]) == "A, B e C"
    assert formatting.join(["A", "B"]) == "A e B"
    assert formatting.join(["A"]) == "A"
    assert formatting.join([]) == ""


TEMPLATE = ROOT / "templates" / "_sezione.html.j2"


def test_template_lines_keep_sentences_apart():
    """With trim_blocks, the newline after a tag that ends a line is
    dropped: such a line must hold nothing but that tag, and a sentence
    that a `trans` block holds ends with its full stop after
    `{% endtrans %}`, never with the tag. (A tag closed with `-%}` strips
    the whitespace after it on purpose.)"""
    lone_tag = re.compile(r"^\s*\{%((?!%\}).)*%\}$")
    for number, line in enumerate(TEMPLATE.read_text("utf-8").splitlines(), start=1):
        end = line.rstrip()
        if end.endswith("%}") and not end.endswith("-%}"):
            assert lone_tag.match(line), f"line {number} ends with a tag after other text: {line.strip()}"
            assert "endtrans" not in line, f"line {number}: a sentence ends at {{% endtrans %}}, without its stop"


def test_template_is_simple_to_edit():
    text = TEMPLATE.read_text("utf-8")
    long_lines = [n for n, line in enumerate(text.splitlines(), start=1) if len(line) > 120]
    assert not long_lines, f"lines over 120 characters: {long_lines}"
    assert "== 1" not in text, "agreement in number goes through {% trans %}…{% pluralize %}"
    assert not re.search(r"\]\[|\[\d+\]", text), "no indexing into tuples"
    assert "loop.revindex" not in text, "lists go through the `elenco` filter"
