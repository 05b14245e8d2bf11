"""The edition generator (tests/shapes.py): editions of very different
shapes are valid per the contract, build, and say what their shape says."""

from __future__ import annotations

import csv
import json

import pytest

from pipeline.build import build, check

from .shapes import Shape, write_edition

SHAPES = {
    "minima": Shape(bandi=1, gruppi=1, progetti=1, incontri=1, temi_ciclo=1, temi_extra=0, facilitatori=1,
                    completi="tutti"),
    "quaranta-bandi": Shape(bandi=40, gruppi=120, progetti=900, senza_gruppo=30, incontri=1500,
                            dopo_riferimento=7, temi_ciclo=3, temi_extra=1,
                            modalita=("online", "in presenza", "mista"), facilitatori=9, seed=1),
    "sei-anni": Shape(anni=6, gruppi=24, incontri=3000, temi_ciclo=3, temi_extra=2, completi="nessuno", seed=2),
    "in-presenza": Shape(anno=2022, modalita=("in presenza",), completi="tutti", incontri=200, seed=3),
}


@pytest.mark.parametrize("name", SHAPES)
def test_generated_edition_checks_and_builds(tmp_path, name):
    shape = SHAPES[name]
    data = tmp_path / "raw"
    folder = write_edition(data, shape)
    assert folder == data / str(shape.anno)
    warnings = check(data)
    late = [w for w in warnings if "dopo la data di riferimento" in str(w)]
    assert len(late) == shape.dopo_riferimento
    assert len(warnings) == len(late)  # every group meets, every theme is used

    out = tmp_path / "output"
    build(data, out, log=lambda line: None)
    figures = json.loads((out / str(shape.anno) / "dati/cifre.json").read_text("utf-8"))
    assert figures["gruppi"] == shape.gruppi
    assert figures["incontri"] == shape.incontri
    assert figures["incontri_esclusi"] == shape.dopo_riferimento
    assert figures["progetti_coinvolti"] == shape.progetti - shape.senza_gruppo
    assert figures["progetti_senza_gruppo"] == shape.senza_gruppo
    assert figures["facilitatori"] == min(shape.facilitatori, shape.gruppi)
    assert int(figures["primo_incontro"][:4]) >= shape.anno - shape.anni + 1
    assert figures["ultimo_incontro"] <= f"{shape.anno}-12-31"
    used = {mode for mode, count in figures["incontri_per_modalita"].items() if count}
    assert used == set(shape.modalita)
    complete = figures["gruppi_ciclo_completo"]
    assert complete == {"tutti": shape.gruppi, "nessuno": 0, "alcuni": (shape.gruppi + 1) // 2}[shape.completi]

    rows = list(csv.reader((out / str(shape.anno) / "dati/tab-21.csv").read_text("utf-8-sig").splitlines()))
    labels = [r[0] for r in rows[1:-1]]
    assert len(labels) == len(set(labels)) == shape.bandi  # one row per call, labels distinct
    if shape.gruppi >= 4 * shape.bandi:
        assert all(int(cell) > 0 for cell in rows[-1][1:5])  # groups in every macro-area


def test_generator_is_deterministic(tmp_path):
    shape = Shape(bandi=5, gruppi=30, progetti=300, incontri=2000, dopo_riferimento=3, anni=3, seed=7)
    first = write_edition(tmp_path / "a", shape)
    second = write_edition(tmp_path / "b", shape)
    other = write_edition(tmp_path / "c", Shape(**{**shape.__dict__, "seed": 8}))
    for name in ("bandi.csv", "gruppi.csv", "progetti.csv", "temi.csv", "incontri.csv", "edizione.toml"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "incontri.csv").read_bytes() != (other / "incontri.csv").read_bytes()


def test_generated_rows_are_consistent(tmp_path):
    """Checked here with the csv module, independently of the pipeline:
    counts, chronological meetings, projects in their group's call."""
    shape = Shape(bandi=7, gruppi=50, progetti=500, senza_gruppo=20, incontri=900, dopo_riferimento=10,
                  anni=2, seed=4)
    folder = write_edition(tmp_path, shape)

    def rows(name):
        with open(folder / name, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    bandi, gruppi, progetti, incontri = (rows(f"{n}.csv") for n in ("bandi", "gruppi", "progetti", "incontri"))
    assert (len(bandi), len(gruppi), len(progetti), len(incontri)) == (7, 50, 500, 910)
    call_of = {g["gruppo"]: g["bando"] for g in gruppi}
    assert all(p["bando"] == call_of[p["gruppo"]] for p in progetti if p["gruppo"])
    assert sum(1 for p in progetti if not p["gruppo"]) == 20
    dates = [m["data"] for m in incontri]
    assert dates == sorted(dates)
    assert sum(d > "2023-12-31" for d in dates) == 10
    assert min(dates) >= "2022-01-01"
    assert len({m["incontro"] for m in incontri}) == 910
    # Titles with a comma are quoted: every row has exactly the header's cells.
    assert any("," in p["titolo"] for p in progetti)
    assert all(None not in r and None not in r.values() for r in progetti + incontri)
