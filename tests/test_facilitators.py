"""Who led each meeting: the optional `facilitatore` column of incontri.csv,
facilitator counts taken from the meetings, and a later edition that
changes a group's facilitator without rewriting the meetings before it."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from pipeline.build import build, check

from .test_end_to_end import _html_text

SLUG = "4-3-comunita-di-pratiche"
NEW = "Marco Bianchi"  # PI-NORD's facilitator from 2023 (Elena Marchetti before)


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _edition_2023(data: Path, keep_history: bool) -> Path:
    """2023 = 2022 plus one PI-NORD meeting in 2023, PI-NORD handed over to
    a new facilitator; with `keep_history`, its earlier meetings name who
    led them in the new `facilitatore` column."""
    folder = data / "2023"
    shutil.copytree(data / "2022", folder)
    toml = folder / "edizione.toml"
    toml.write_text(toml.read_text("utf-8").replace("anno = 2022", "anno = 2023")
                    .replace("2022-12-31", "2023-12-31").replace("tabella = 37", "tabella = 41"), "utf-8")
    gruppi = _rows(folder / "gruppi.csv")
    old = next(g for g in gruppi if g["gruppo"] == "PI-NORD")["facilitatore"]
    for g in gruppi:
        if g["gruppo"] == "PI-NORD":
            g["facilitatore"] = NEW
    _write_rows(folder / "gruppi.csv", gruppi)
    incontri = _rows(folder / "incontri.csv")
    incontri.append({"incontro": "INC-200", "gruppo": "PI-NORD", "data": "2023-03-01", "tema": "PATTI",
                     "modalita": "online", "partecipanti": "20"})
    if keep_history:
        for m in incontri:
            m["facilitatore"] = old if m["gruppo"] == "PI-NORD" and m["data"] < "2023-01-01" else ""
    _write_rows(folder / "incontri.csv", incontri)
    return folder


def _led(folder: Path) -> dict[str, str]:
    """Who led each meeting counted in 2023, read with the csv module."""
    of_group = {g["gruppo"]: g["facilitatore"] for g in _rows(folder / "gruppi.csv")}
    return {m["incontro"]: m.get("facilitatore") or of_group[m["gruppo"]]
            for m in _rows(folder / "incontri.csv") if m["data"] <= "2023-12-31"}


def test_a_facilitator_change_keeps_the_history_of_earlier_meetings(data_copy, tmp_path, built):
    folder = _edition_2023(data_copy, keep_history=True)
    out = tmp_path / "out"
    result = build(data_copy, out, years=[2023], log=lambda line: None)
    assert not [w for w in result.warnings if w.column == "facilitatore"]
    led = _led(folder)
    patti = {m["incontro"] for m in _rows(folder / "incontri.csv") if m["tema"] == "PATTI"}
    cifre = json.loads((out / "2023/dati/cifre.json").read_text("utf-8"))
    assert cifre["facilitatori"] == len(set(led.values())) == 5  # the four of 2022 and the new one
    assert cifre["temi"]["PATTI"]["facilitatori"] == len({led[m] for m in patti}) == 4
    text = _html_text(out / "2023" / f"{SLUG}.html")
    assert "La conduzione è stata affidata a 5 facilitatori" in text
    assert "“Patti educativi di comunità”: 11 incontri con 10 gruppi, con il contributo di 4 facilitatori." in text
    # The 2022 edition, built from its own folder, still says what it said.
    before = json.loads((built / "2022/dati/cifre.json").read_text("utf-8"))
    assert (before["facilitatori"], before["temi"]["PATTI"]["facilitatori"]) == (4, 3)


def test_a_facilitator_change_without_history_is_pointed_out(data_copy, tmp_path):
    folder = _edition_2023(data_copy, keep_history=False)
    pi_nord = [i for i, m in enumerate(_rows(folder / "incontri.csv"), start=2)
               if m["gruppo"] == "PI-NORD" and m["data"] < "2023-01-01"]
    for warnings in (check(data_copy, [2023]),
                     build(data_copy, tmp_path / "out", years=[2023], log=lambda line: None).warnings):
        moved = [w for w in warnings if w.column == "facilitatore"]
        assert [w.line for w in moved] == pi_nord
        assert all(w.path.endswith("2023/incontri.csv") for w in moved)
        assert 'nel 2022 era guidato da "Elena Marchetti", ora risulta guidato da "Marco Bianchi"' in moved[0].message
        assert 'scrivere "Elena Marchetti" nella colonna facilitatore' in moved[0].message


@pytest.mark.parametrize("header, cell", [("facilitatore", ""), (" Facilitatore ", "  ")])
def test_an_empty_facilitatore_cell_means_the_groups(data_copy, header, cell):
    """The column may be present with empty cells, under any spelling of
    its header: the result is the same as without it."""
    path = data_copy / "2021" / "incontri.csv"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([lines[0] + "," + header] + [line + "," + cell for line in lines[1:]]) + "\n", "utf-8")
    assert check(data_copy, [2021]) == check(Path(__file__).resolve().parent.parent / "data" / "raw", [2021])
