"""`make modello`: the workbook analysts fill in. Its lists and checks come
from the schema; filled in as an analyst would (openpyxl), it builds, or
fails with the right foglio/riga/colonna; it never overwrites a file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.build import build, check
from pipeline.errors import InputError
from pipeline.schema import AREAS, MODES, REFERENCES, REGION_AREA, TABLES

from .conftest import DATA, ROOT, assert_same_edition


def modello(data: Path, anno: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "modello", "--anno", str(anno), "--data", str(data)],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def from_2022(tmp_path_factory) -> Path:
    """A data folder with a 2023 edition whose workbook `make modello`
    prefilled from 2022 (edizione.toml copied from 2022 and updated)."""
    data = tmp_path_factory.mktemp("modello") / "raw"
    shutil.copytree(DATA, data)
    (data / "2023").mkdir()
    toml = (data / "2022" / "edizione.toml").read_text("utf-8")
    (data / "2023" / "edizione.toml").write_text(
        toml.replace("anno = 2022", "anno = 2023").replace("data_riferimento = 2022-12-31",
                                                            "data_riferimento = 2023-12-31"), "utf-8")
    result = modello(data, 2023)
    assert result.returncode == 0, result.stderr
    assert "con i dati presi dall’edizione 2022" in result.stdout
    return data


def _validations(sheet) -> dict[str, object]:
    """Column letter -> its data validation."""
    return {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv for dv in sheet.data_validations.dataValidation}


def _list_values(book, name: str) -> list[str]:
    sheet_name, ref = book.defined_names[name].attr_text.split("!")
    first, last = ref.replace("$", "").split(":")
    return [c.value for row in book[sheet_name][f"{first}:{last}"] for c in row]


def test_one_sheet_per_table_with_the_contract_columns_and_the_previous_records(from_2022):
    book = load_workbook(from_2022 / "2023" / "dati.xlsx")
    assert book.sheetnames == ["Istruzioni", *(t.name for t in TABLES), "elenchi"]
    assert book.active.title == "Istruzioni"
    assert book["elenchi"].sheet_state == "hidden"
    for spec in TABLES:
        sheet = book[spec.name]
        assert [c.value for c in sheet[1]] == [c.name for c in spec.columns]
        assert sheet.freeze_panes == "A2"  # the header row stays in view
        with open(from_2022 / "2022" / spec.file, encoding="utf-8") as handle:
            assert sheet.max_row == sum(1 for line in handle if line.strip())  # every record of 2022
    meetings = book["incontri"]
    assert isinstance(meetings["C2"].value, datetime) and meetings["C2"].number_format == "dd/mm/yyyy"
    assert isinstance(book["bandi"]["C2"].value, int)


def test_every_closed_set_is_a_list_and_dates_and_numbers_are_checked(from_2022):
    book = load_workbook(from_2022 / "2023" / "dati.xlsx")
    assert _list_values(book, "elenco_regione") == list(REGION_AREA)
    assert _list_values(book, "elenco_area") == list(AREAS)
    assert _list_values(book, "elenco_modalita") == list(MODES)
    with open(DATA / "2022" / "gruppi.csv", encoding="utf-8") as handle:
        names = {line.rstrip("\n").split(",")[-1] for line in list(handle)[1:]}
    assert sorted(_list_values(book, "elenco_facilitatore")) == sorted(names)
    references = {(r.table, r.column): r.target for r in REFERENCES}
    for spec in TABLES:
        rules = _validations(book[spec.name])
        for i, column in enumerate(spec.columns):
            rule = rules[chr(65 + i)]
            assert str(rule.sqref).startswith(f"{chr(65 + i)}2:")
            assert rule.prompt and column.name == rule.promptTitle  # the column's rule, shown on the cell
            target = references.get((spec.name, column.name))
            if target:
                assert (rule.type, rule.formula1) == ("list", f"elenco_{target}")
                assert book.defined_names[f"elenco_{target}"].attr_text.startswith(f"{target}!$A$2:")
            elif column.kind in ("choice", "region") or column.suggested:
                assert (rule.type, rule.formula1) == ("list", f"elenco_{column.name}")
                assert rule.errorStyle == ("warning" if column.suggested else None)  # new names allowed
            elif column.kind == "date":
                assert rule.type == "date" and rule.operator in (None, "between")
            elif column.kind == "int":
                assert (rule.type, rule.operator, rule.formula1) == ("whole", "greaterThanOrEqual",
                                                                     str(column.minimum))
            elif column.unique:
                assert rule.type == "custom" and rule.formula1.startswith("COUNTIF(")


def test_widths_fit_the_values(from_2022):
    book = load_workbook(from_2022 / "2023" / "dati.xlsx")
    sheet = book["progetti"]
    titles = [c.value for c in sheet["C"][1:]]
    assert sheet.column_dimensions["C"].width >= min(max(len(t) for t in titles), 60)
    assert sheet.column_dimensions["D"].width >= max(len(r) for r in REGION_AREA)


def test_the_instructions_come_from_the_schema(from_2022):
    book = load_workbook(from_2022 / "2023" / "dati.xlsx")
    rows = [[c for c in row] for row in book["Istruzioni"].iter_rows(values_only=True)]
    text = "\n".join(" | ".join(str(c) for c in row if c) for row in rows)
    assert "Dati della sezione “Comunità di pratiche” – Bilancio sociale 2023" in text
    assert "I dati iniziali vengono dall’edizione 2022" in text
    starts = {spec.name: next(i for i, r in enumerate(rows) if r[0] == f"Foglio {spec.name}: {spec.description}")
              for spec in TABLES}
    for spec in TABLES:
        section = rows[starts[spec.name] + 2:starts[spec.name] + 2 + len(spec.columns)]
        assert [r[0] for r in section] == [c.name for c in spec.columns]
        for column, row in zip(spec.columns, section):
            assert row[2] == ("sì" if column.required else "no, può restare vuota")
            for choice in column.choices:
                assert choice in row[1]
            if column.minimum is not None:
                assert f"almeno {column.minimum}" in row[1]
            if column.note:
                assert column.note.casefold() in row[3].casefold()
            if column.unique:
                assert "una volta sola" in row[3]


def _fill(path: Path, sheet: str, values: list) -> int:
    """Append a row as an analyst types it; returns its row number."""
    book = load_workbook(path)
    book[sheet].append(values)
    row = book[sheet].max_row
    for cell in book[sheet][row]:
        if isinstance(cell.value, datetime):
            cell.number_format = "dd/mm/yyyy"
    book.save(path)
    return row


def test_filled_in_by_an_analyst_it_builds_or_fails_at_the_right_cell(from_2022, tmp_path):
    data = tmp_path / "raw"
    shutil.copytree(from_2022, data)
    book = data / "2023" / "dati.xlsx"
    excel_date = _fill(book, "incontri", ["INC-2023-1", "PI-NORD", datetime(2023, 2, 14), "RETI", "online", 18])
    text_date = _fill(book, "incontri", ["INC-2023-2", "PI-NORD", "15/03/2023", "RETI", "in presenza", 20])
    outside = _fill(book, "incontri", ["INC-2023-3", "AD-NORD", datetime(2023, 4, 4), "RETI", "webinar", 9])
    with pytest.raises(InputError) as caught:
        check(data, [2023])
    shown = str(book)
    assert [str(p) for p in caught.value.problems] == [
        f'{shown}, foglio incontri, riga {outside}, colonna "modalita": "webinar" non è un valore ammesso '
        f'({", ".join(MODES)})']
    assert (excel_date, text_date) == (outside - 2, outside - 1)

    fixed = load_workbook(book)
    fixed["incontri"][f"E{outside}"] = "mista"
    fixed.save(book)
    out = tmp_path / "out"
    build(data, out, [2023], log=lambda line: None)
    cifre = json.loads((out / "2023" / "dati" / "cifre.json").read_text("utf-8"))
    reference = tmp_path / "ref"
    build(from_2022, reference, [2022], log=lambda line: None)
    previous = json.loads((reference / "2022" / "dati" / "cifre.json").read_text("utf-8"))
    counted_2022 = previous["incontri"] + previous["incontri_esclusi"]  # 2023 counts 2022's later meetings too
    assert cifre["incontri"] == counted_2022 + 3
    with open(DATA / "2022" / "incontri.csv", encoding="utf-8") as handle:
        typed_before = [line.split(",")[2][:7] for line in list(handle)[1:]]
    for month in ("2023-02", "2023-03", "2023-04"):  # one new meeting in each
        assert cifre["incontri_per_mese"][month] == typed_before.count(month) + 1, month


def test_it_never_overwrites_a_file(from_2022):
    book = from_2022 / "2023" / "dati.xlsx"
    before = book.read_bytes()
    result = modello(from_2022, 2023)
    assert result.returncode == 2
    assert "esiste già e non viene sovrascritto" in result.stderr
    assert book.read_bytes() == before


def test_headers_only_when_there_is_no_previous_edition(tmp_path):
    data = tmp_path / "raw"
    shutil.copytree(DATA, data)
    result = modello(data, 2019)
    assert result.returncode == 0, result.stderr
    assert "con le sole intestazioni" in result.stdout and "Serve anche" in result.stdout
    book = load_workbook(data / "2019" / "dati.xlsx")
    for spec in TABLES:
        assert book[spec.name].max_row == 1
    assert _list_values(book, "elenco_facilitatore") == [None]  # nobody named yet: an empty list
    assert any("solo le intestazioni" in str(c.value) for c in book["Istruzioni"]["A"])


def test_an_edition_moved_from_csv_to_the_workbook_builds_the_same_section(tmp_path):
    """The 2021 sample converted to dati.xlsx by `make modello` builds the
    same page, PDF and data (the manifest lists its inputs otherwise)."""
    data = tmp_path / "raw"
    shutil.copytree(DATA, data)
    shutil.rmtree(data / "2022")
    result = modello(data, 2021)
    assert result.returncode == 0, result.stderr
    assert "dai file CSV" in result.stdout and "spostare altrove i file CSV" in result.stdout
    with pytest.raises(InputError):  # both at once: refused until the CSV files are moved
        check(data, [2021])
    reference = tmp_path / "ref"
    csv_data = tmp_path / "csv"
    shutil.copytree(data, csv_data)
    (csv_data / "2021" / "dati.xlsx").unlink()
    for spec in TABLES:
        (data / "2021" / spec.file).unlink()
    build(csv_data, reference, [2021], log=lambda line: None)
    out = tmp_path / "out"
    build(data, out, [2021], log=lambda line: None)
    assert_same_edition(out / "2021", reference / "2021")


def test_problems_of_the_previous_edition_stop_it(tmp_path):
    data = tmp_path / "raw"
    shutil.copytree(DATA, data)
    meetings = data / "2022" / "incontri.csv"
    meetings.write_text(meetings.read_text("utf-8").replace(",online,", ",onlin,", 1), "utf-8")
    result = modello(data, 2023)
    assert result.returncode == 1
    assert 'incontri.csv:' in result.stderr and '"onlin" non è un valore ammesso' in result.stderr
    assert not (data / "2023" / "dati.xlsx").exists()


def test_make_modello_needs_an_edition():
    result = subprocess.run(["make", "-s", "modello"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert "make modello ANNO=2024" in result.stdout + result.stderr
