"""A corpus of broken inputs: each case starts from the sample 2021 edition,
breaks one thing (or several), and asserts what the analyst reads.

Every case checks: exit status 1, one message per expected problem with its
file, line and column and the key words, no Python traceback, and that an
output folder built before from good data is left byte for byte as it was.
The cases are written as small edits of `data/raw/2021` so that each one
reads as "what the analyst did wrong".
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main


# --- edits of the sample edition ----------------------------------------

def replace(file: str, old: str, new: str):
    def edit(edition: Path):
        path = edition / file
        text = path.read_text("utf-8")
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1), "utf-8")
    return edit


def append(file: str, text: str):
    def edit(edition: Path):
        with open(edition / file, "a", encoding="utf-8") as handle:
            handle.write(text)
    return edit


def write(file: str, content: bytes | str):
    def edit(edition: Path):
        data = content.encode("utf-8") if isinstance(content, str) else content
        (edition / file).write_bytes(data)
    return edit


def remove(file: str):
    return lambda edition: (edition / file).unlink()


def make_directory(file: str):
    def edit(edition: Path):
        (edition / file).unlink()
        (edition / file).mkdir()
    return edit


def several(*edits):
    def edit(edition: Path):
        for e in edits:
            e(edition)
    return edit


TEMI_HEADER = "tema,titolo,ciclo\n"

# (case, edit of data/raw/2021, expected messages: (file, line, column, words...))
# file is relative to data/raw/2021 ("../ente.toml" for the shared file);
# line 0: the problem concerns the whole file.
CASES = [
    ("file-mancante", remove("temi.csv"),
     [("temi.csv", 0, "", "file mancante")]),
    ("cartella-al-posto-del-file", make_directory("incontri.csv"),
     [("incontri.csv", 0, "", "è una cartella")]),
    ("file-vuoto", write("bandi.csv", b""),
     [("bandi.csv", 0, "", "il file è vuoto")]),
    ("solo-righe-vuote", write("bandi.csv", "\r\n\r\n;;\r\n"),
     [("bandi.csv", 0, "", "il file è vuoto")]),
    ("solo-intestazione", write("temi.csv", TEMI_HEADER),
     [("temi.csv", 1, "", "solo l’intestazione", "nessuna riga di dati")]),
    ("solo-intestazione-con-bom", write("temi.csv", "\ufeff" + TEMI_HEADER.replace(",", ";")),
     [("temi.csv", 1, "", "solo l’intestazione")]),
    ("colonna-obbligatoria-mancante", write("temi.csv", "tema,titolo\nCOVID19,a\nRETI,b\nPATTI,c\n"),
     [("temi.csv", 1, "ciclo", "colonna mancante nell’intestazione")]),
    ("colonna-scritta-male", replace("incontri.csv", "partecipanti", "partecipant"),
     [("incontri.csv", 1, "partecipanti", "colonna mancante", 'la colonna "partecipant" va rinominata in "partecipanti"')]),
    ("colonna-ripetuta", write("temi.csv", "tema,titolo,ciclo,Titolo\nCOVID19,a,1,x\nRETI,b,2,y\nPATTI,c,,z\n"),
     [("temi.csv", 1, "titolo", "colonna ripetuta nell’intestazione")]),
    ("separatore-tabulazione", write("temi.csv", "tema\ttitolo\tciclo\nCOVID19\ta\t1\n"),
     [("temi.csv", 1, "", "intestazione non riconosciuta", "tema, titolo, ciclo")]),
    ("virgola-non-tra-virgolette", replace("progetti.csv", "Genitori in gioco nel Canavese",
                                           "Genitori, figli e gioco nel Canavese"),
     [("progetti.csv", 3, "", "la riga ha 6 celle ma l’intestazione 5", "virgolette")]),
    ("non-e-testo", write("gruppi.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
     [("gruppi.csv", 0, "", "non è un file di testo")]),
    ("codifica-sconosciuta", write("temi.csv", TEMI_HEADER.encode() + b"COVID19,Comunit\x81,1\n"),
     [("temi.csv", 2, "", "codifica non riconosciuta", "né UTF-8 né Windows-1252")]),
    ("utf-16", write("temi.csv", (TEMI_HEADER + "COVID19,a,1\n").encode("utf-16")),
     [("temi.csv", 0, "", "UTF-16")]),
    ("virgolette-non-chiuse", append("temi.csv", 'EXTRA,"Un titolo senza fine,3\n'),
     [("temi.csv", 5, "", "virgolette aperte e mai chiuse")]),
    ("virgolette-nel-testo", replace("temi.csv", "Le reti nella", 'Le "reti, nodi" nella'),
     [("temi.csv", 3, "", "virgolette nel mezzo di un testo")]),
    ("ciclo-non-numero", replace("temi.csv", "COVID-19,1", "COVID-19,abc"),
     [("temi.csv", 2, "ciclo", '"abc" non è un numero intero')]),
    ("partecipanti-negativi", replace("incontri.csv", "online,12\n", "online,-3\n"),
     [("incontri.csv", 2, "partecipanti", '"-3" è troppo piccolo', "minimo 0")]),
    ("partecipanti-con-migliaia", replace("incontri.csv", "online,12\n", "online,1.000\n"),
     [("incontri.csv", 2, "partecipanti", '"1.000" non è un numero intero', "scrivere 1000")]),
    ("partecipanti-enormi", replace("incontri.csv", "online,12\n", "online,99999999999999999999999\n"),
     [("incontri.csv", 2, "partecipanti", "troppo grande")]),
    ("data-impossibile", replace("incontri.csv", "2020-11-16", "31/02/2022"),
     [("incontri.csv", 3, "data", '"31/02/2022" non è una data valida')]),
    ("data-in-altro-formato", replace("incontri.csv", "2020-11-16", "16.11.2020"),
     [("incontri.csv", 3, "data", '"16.11.2020" non è una data valida', "31/12/2021")]),
    ("regione-scritta-male", replace("progetti.csv", "Mantova,Lombardia", "Mantova,Lombadia"),
     [("progetti.csv", 12, "regione", '"Lombadia"', 'forse "Lombardia"?')]),
    ("modalita-scritta-male", replace("incontri.csv", "COVID19,online,32", "COVID19,onlin,32"),
     [("incontri.csv", 3, "modalita", '"onlin" non è un valore ammesso', 'forse "online"?')]),
    ("area-non-ammessa", replace("gruppi.csv", "PI-CENTRO,PI2016,Centro", "PI-CENTRO,PI2016,Centro Italia"),
     [("gruppi.csv", 3, "area", '"Centro Italia" non è un valore ammesso')]),
    ("valore-obbligatorio-vuoto", replace("gruppi.csv", "PI-SUD-2,PI2016,Sud e Isole,Davide Russo",
                                          "PI-SUD-2,PI2016,Sud e Isole,"),
     [("gruppi.csv", 5, "facilitatore", "valore mancante")]),
    ("codice-ripetuto", append("temi.csv", "RETI,Di nuovo le reti,\nRETI,E ancora,\n"),
     [("temi.csv", 5, "tema", 'codice "RETI" ripetuto', "riga 3"),
      ("temi.csv", 6, "tema", 'codice "RETI" ripetuto', "riga 3")]),
    ("bando-inesistente", replace("progetti.csv", "00199,PI2016,", "00199,PI2061,"),
     [("progetti.csv", 3, "bando", '"PI2061" non esiste in bandi.csv', 'forse "PI2016"?')]),
    ("gruppo-inesistente", replace("incontri.csv", "INC-002,AD-NORD", "INC-002,AD-NORTH"),
     [("incontri.csv", 3, "gruppo", '"AD-NORTH" non esiste in gruppi.csv')]),
    ("tema-inesistente", replace("incontri.csv", "2020-11-16,COVID19", "2020-11-16,COVID"),
     [("incontri.csv", 3, "tema", '"COVID" non esiste in temi.csv')]),
    ("bando-del-gruppo-diverso", replace("progetti.csv", "00199,PI2016,Genitori in gioco nel Canavese,Piemonte,PI-NORD",
                                         "00199,PI2016,Genitori in gioco nel Canavese,Piemonte,AD-NORD"),
     [("progetti.csv", 3, "gruppo", 'il gruppo "AD-NORD" è del bando AD2016', "PI2016")]),
    ("regione-fuori-area", replace("progetti.csv", "Canavese,Piemonte,PI-NORD", "Canavese,Puglia,PI-NORD"),
     [("progetti.csv", 3, "regione", '"Puglia" (Sud e Isole) non è nell’area del gruppo "PI-NORD" (Nord)')]),
    ("multiregionale-in-gruppo-di-area", replace("progetti.csv", "Canavese,Piemonte,PI-NORD",
                                                 "Canavese,Multiregionale,PI-NORD"),
     [("progetti.csv", 3, "regione", '"Multiregionale" (Multiregionale) non è nell’area')]),
    ("regione-in-gruppo-multiregionale", replace("progetti.csv", "nidi solidali,Multiregionale,PI-MULTI",
                                                 "nidi solidali,Lazio,PI-MULTI"),
     [("progetti.csv", 17, "regione", '"Lazio" (Centro) non è nell’area del gruppo "PI-MULTI"')]),
    ("riga-su-piu-righe", several(
        replace("progetti.csv", "Genitori in gioco nel Canavese", '"Genitori in gioco\nnel Canavese"'),
        replace("progetti.csv", "Mantova,Lombardia", "Mantova,Lombadia")),
     [("progetti.csv", 13, "regione", '"Lombadia"')]),
    ("errore-in-riga-su-piu-righe", replace("progetti.csv", "Genitori in gioco nel Canavese,Piemonte",
                                            '"Genitori in gioco\nnel Canavese",Piemont'),
     [("progetti.csv", 3, "regione", '"Piemont"', 'forse "Piemonte"?')]),
    ("edizione-toml-malformato", replace("edizione.toml", 'titolo = "Comunità di pratiche"',
                                         'titolo = Comunità di pratiche'),
     [("edizione.toml", 6, "", "sintassi TOML non valida")]),
    ("edizione-anno-diverso", replace("edizione.toml", "anno = 2021", "anno = 2020"),
     [("edizione.toml", 1, "", "“anno” vale 2020 ma la cartella è 2021")]),
    ("data-riferimento-tra-virgolette", replace("edizione.toml", "data_riferimento = 2021-12-31",
                                                'data_riferimento = "2021-12-31"'),
     [("edizione.toml", 2, "", "“data_riferimento” deve essere una data")]),
    ("chiave-mancante", replace("edizione.toml", "tabella = 21\n", ""),
     [("edizione.toml", 0, "", "manca la chiave “sezione.tabella”")]),
    ("testo-non-elenco", replace("edizione.toml", "finalita = [", "finalita = 3\nvecchie_finalita = ["),
     [("edizione.toml", 15, "", "“testo.finalita” deve essere un elenco di testi")]),
    ("tabella-zero", replace("edizione.toml", "tabella = 21", "tabella = 0"),
     [("edizione.toml", 8, "", "“sezione.tabella” deve essere un numero da 1 a 999")]),
    ("edizione-toml-mancante", remove("edizione.toml"),
     [("edizione.toml", 0, "", "file mancante")]),
    ("ente-toml-mancante", lambda edition: (edition.parent / "ente.toml").unlink(),
     [("../ente.toml", 0, "", "file mancante")]),
    ("piu-errori-in-piu-file", several(
        replace("temi.csv", "COVID-19,1", "COVID-19,uno"),
        replace("incontri.csv", "2020-11-16", "2020-13-16"),
        replace("progetti.csv", "Mantova,Lombardia", "Mantova,Lombadia"),
        replace("gruppi.csv", "AD-NORD,AD2016,Nord", "AD-NORD,AD2016,Nordd"),
        replace("edizione.toml", "anno = 2021", "anno = 2022")),
     [("temi.csv", 2, "ciclo", '"uno" non è un numero intero'),
      ("incontri.csv", 3, "data", '"2020-13-16" non è una data valida'),
      ("progetti.csv", 12, "regione", 'forse "Lombardia"?'),
      ("gruppi.csv", 7, "area", '"Nordd"', 'forse "Nord"?'),
      ("edizione.toml", 1, "", "“anno” vale 2022")]),
]


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def previous_output(built, tmp_path) -> Path:
    """A copy of a good build's output/, to build broken data into."""
    out = tmp_path / "output"
    shutil.copytree(built, out)
    return out


def _message_lines(stderr: str, file: str, line: int) -> list[str]:
    where = f"2021/{file}:{line}:" if line else f"2021/{file}: "
    if file.startswith("../"):
        where = f"raw/{file[3:]}" + (f":{line}:" if line else ": ")
    return [m for m in stderr.splitlines() if where in m]


@pytest.mark.parametrize("edit, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_input_is_reported_and_output_is_kept(edit, expected, data_copy, previous_output, capsys,
                                                       monkeypatch):
    monkeypatch.chdir(data_copy.parent)
    edit(data_copy / "2021")
    before = tree_hashes(previous_output)
    status = main(["build", "--anno", "2021", "--data", str(data_copy), "--out", str(previous_output)])
    captured = capsys.readouterr()
    assert status == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    for file, line, column, *words in expected:
        found = _message_lines(captured.err, file, line)
        assert found, f"no message for {file}:{line} in\n{captured.err}"
        if column:
            found = [m for m in found if f'colonna "{column}":' in m]
        else:
            found = [m for m in found if "colonna " not in m.split(": ", 1)[1][:8]]
        assert found, f"no message for column {column!r} at {file}:{line} in\n{captured.err}"
        assert any(all(w in m for w in words) for m in found), f"{words} not in {found}"
    assert len([m for m in captured.err.splitlines() if m.startswith("  ")]) == sum(
        1 for _ in expected), f"one message per problem expected:\n{captured.err}"
    assert tree_hashes(previous_output) == before


def test_check_reports_the_same_problems_and_nothing_else(data_copy, capsys, monkeypatch):
    monkeypatch.chdir(data_copy.parent)
    replace("incontri.csv", "2020-11-16", "31/02/2022")(data_copy / "2021")
    assert main(["check", "--anno", "2021", "--data", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert 'raw/2021/incontri.csv:3: colonna "data": "31/02/2022" non è una data valida' in err


def test_check_of_good_data_says_no_problem(capsys):
    assert main(["check", "--anno", "2021"]) == 0
    assert "nessun problema" in capsys.readouterr().out


def test_messages_are_sorted_by_file_and_line(data_copy, capsys, monkeypatch):
    monkeypatch.chdir(data_copy.parent)
    several(replace("temi.csv", "COVID-19,1", "COVID-19,x"),
            replace("incontri.csv", "online,12\n", "online,-1\n"),
            replace("incontri.csv", "2020-11-16", "2020-02-30"),
            replace("bandi.csv", "2016\n", "duemila\n"))(data_copy / "2021")
    assert main(["check", "--anno", "2021", "--data", str(data_copy)]) == 1
    lines = [m.strip() for m in capsys.readouterr().err.splitlines() if m.startswith("  ")]
    keys = [(m.split(":")[0], int(m.split(":")[1])) for m in lines]
    assert keys == sorted(keys) and len(keys) == 4


def test_permission_denied_is_a_clear_message(data_copy, previous_output, capsys, monkeypatch):
    """Run as root, chmod cannot deny reading: simulate the OS refusing."""
    monkeypatch.chdir(data_copy.parent)
    real_open = builtins.open
    denied = str(data_copy / "2021" / "gruppi.csv")

    def fake_open(file, *args, **kwargs):
        if str(file) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    before = tree_hashes(previous_output)
    assert main(["build", "--anno", "2021", "--data", str(data_copy), "--out", str(previous_output)]) == 1
    err = capsys.readouterr().err
    assert "raw/2021/gruppi.csv: permesso negato" in err and "Traceback" not in err
    assert tree_hashes(previous_output) == before


@pytest.mark.parametrize("argv, words", [
    (["build", "--colori"], "opzione sconosciuta: --colori"),
    (["check", "--anno", "1999"], "nessuna cartella di edizione"),
    (["build", "--anno", "1999", "--out", "{out}"], "nessuna cartella di edizione per 1999"),
    (["build", "--anno", "duemila"], "--anno vuole un anno"),
    (["pubblica"], "comando sconosciuto"),
])
def test_usage_errors_exit_2(argv, words, tmp_path, capsys):
    argv = [a.replace("{out}", str(tmp_path / "out")) for a in argv]
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and words in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_warnings_name_late_meetings_idle_groups_and_unused_themes(data_copy, capsys, monkeypatch):
    monkeypatch.chdir(data_copy.parent)
    several(append("incontri.csv", "INC-900,PI-NORD,15/01/2022,COVID19,online,5\n"),
            append("gruppi.csv", "PI-NUOVO,PI2016,Nord,Elena Marchetti\n"),
            append("temi.csv", "EXTRA,Un tema mai trattato,\n"))(data_copy / "2021")
    assert main(["check", "--anno", "2021", "--data", str(data_copy)]) == 0
    err = capsys.readouterr().err
    assert ('raw/2021/incontri.csv:37: colonna "data": incontro del 15/01/2022, dopo la data di '
            "riferimento (31/12/2021): non conteggiato") in err
    assert 'raw/2021/gruppi.csv:18: colonna "gruppo": il gruppo "PI-NUOVO" non ha incontri' in err
    assert 'raw/2021/temi.csv:5: colonna "tema": il tema "EXTRA" non è trattato in nessun incontro' in err


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


def test_output_folder_that_cannot_be_written_is_a_message_not_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "output"
    blocker.write_text("un file, non una cartella")
    assert main(["build", "--anno", "2021", "--out", str(blocker)]) == 2  # refused before reading anything
    err = capsys.readouterr().err
    assert "è un file, non una cartella" in err and "Traceback" not in err
    assert blocker.read_text() == "un file, non una cartella"
    inside = tmp_path / "sotto" / "output"
    (tmp_path / "sotto").write_text("un file dove serve una cartella")
    assert main(["build", "--anno", "2021", "--out", str(inside)]) == 1
    err = capsys.readouterr().err
    assert "c’è un file dove serve una cartella" in err and "Traceback" not in err


def test_unknown_pdf_variant_is_a_usage_error(capsys):
    from pipeline.cli import main
    with pytest.raises(SystemExit) as stop:
        main(["build", "--pdf", "pdf/x-9", "--out", "/nonexistent/never-written"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--pdf vuole pdf/ua-1 oppure pdf/a-3b" in err
    assert "Traceback" not in err
