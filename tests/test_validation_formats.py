"""The same records saved the ways Excel saves them build to byte-identical
data outputs (dati/tab-21.csv, dati/cifre.json)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.load import parse

from .conftest import DATA

FILES = ("bandi", "progetti", "gruppi", "incontri", "temi")


def resave(target: Path, *, encoding: str, delimiter: str, dates: str, upper: bool = False,
           padded: bool = False, newline: str = "\n") -> Path:
    """A copy of data/raw with the 2021 CSV files written another way."""
    shutil.copytree(DATA, target)
    for name in FILES:
        with open(DATA / "2021" / f"{name}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        header, body = rows[0], rows[1:]
        if upper:
            header = [f" {h.upper()} " for h in header]
        if dates == "dmy" and "data" in header:
            i = header.index("data")
            for row in body:
                row[i] = date.fromisoformat(row[i]).strftime("%d/%m/%Y")
        if padded:
            body = [[f"  {v} " if v else v for v in row] for row in body]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
        writer.writerow(header)
        for n, row in enumerate(body):
            writer.writerow(row)
            if padded and n % 7 == 0:
                buffer.write(newline)  # blank lines, as a hand-edited file has
        (target / "2021" / f"{name}.csv").write_bytes(buffer.getvalue().encode(encoding))
    return target


VARIANTS = {
    "utf8-virgola-iso": dict(encoding="utf-8", delimiter=",", dates="iso"),
    "cp1252-puntoevirgola-gg-mm-aaaa": dict(encoding="cp1252", delimiter=";", dates="dmy", newline="\r\n"),
    "utf8-bom-puntoevirgola-maiuscole": dict(encoding="utf-8-sig", delimiter=";", dates="iso", upper=True,
                                             padded=True, newline="\r\n"),
}


@pytest.fixture(scope="module")
def reference(built) -> dict[str, bytes]:
    return {n: (built / "2021" / "dati" / n).read_bytes() for n in ("tab-21.csv", "cifre.json")}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_excel_flavour_builds_identical_data(variant, reference, tmp_path):
    data = resave(tmp_path / "raw", **VARIANTS[variant])
    raw = (data / "2021" / "temi.csv").read_bytes()
    if VARIANTS[variant]["encoding"] == "cp1252":
        assert "comunità".encode("cp1252") in raw  # really saved as Windows-1252
    out = tmp_path / "output"
    build(data, out, years=[2021], log=lambda line: None)
    for name, content in reference.items():
        assert (out / "2021" / "dati" / name).read_bytes() == content, name


@pytest.mark.parametrize("raw", [
    "\ufeff Tema ;TITOLO; Ciclo \r\n\r\nA ; Comunità ;1\r\n".encode("utf-8"),
    " tema , titolo,ciclo\n\nA,Comunità,1\n\n\n".encode("cp1252"),
    "Tema;Titolo;Ciclo;;\nA;Comunità;1;;\n;;;;\n".encode("utf-8"),
])
def test_headers_cells_and_blank_lines_are_tolerated(raw):
    table = parse("temi", None, raw, "temi.csv")
    assert table.problems == []
    assert table.frame.astype(str).values.tolist() == [["A", "Comunità", "1"]]


def test_a_file_neither_utf8_nor_windows_1252_is_an_error_not_mojibake():
    table = parse("temi", None, b"tema,titolo\nA,Comunit\x9d\n", "temi.csv")
    assert [str(p) for p in table.problems] == [
        "temi.csv:2: codifica non riconosciuta: il file non è né UTF-8 né Windows-1252 (byte 0x9D)"]
