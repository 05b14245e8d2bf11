"""Hostile inputs, class by class (see `hostile.cases`): each runs the real
command in a child process with a memory limit and a timeout, and must
answer with the expected exit status and one Italian message holding the
expected fragments, no traceback, and touch nothing outside the outputs
(the data folder is compared to the byte, the output folder too when the
build fails)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from .conftest import DATA
from .hostile import Case, cases, run_limited, snapshot
from .test_publish import tree_hash

CASES = cases()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """An output folder built from the sample data, copied for each case."""
    out = tmp_path_factory.mktemp("pubblicato") / "output"
    outcome = run_limited(["build", "--anno", "2021", "--data", str(DATA), "--out", str(out)])
    assert outcome.status == 0, outcome.err
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, tmp_path, published):
    data = tmp_path / "raw"
    shutil.copytree(DATA, data)
    case.make(data)
    before = snapshot(data, case.hostile)
    argv = [case.command, "--anno", "2021", "--data", str(data)]
    out = tmp_path / "output"
    if case.command == "build":
        shutil.copytree(published, out)
        argv += ["--out", str(out)]
        old_output = tree_hash(out)
    outcome = run_limited(argv)
    if os.environ.get("HOSTILE_COSTS"):  # the closing note quotes the largest cost
        with open(os.environ["HOSTILE_COSTS"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"case": case.name, "cpu": round(outcome.cpu, 2), "peak_mb": round(outcome.peak_mb),
                                  "wall": round(outcome.wall, 2), "status": outcome.status}) + "\n")
    text = outcome.err + outcome.out
    assert "Traceback" not in text, text
    assert outcome.status == case.status, text
    if case.says:
        lines = [line for line in text.splitlines() if all(s in line for s in case.says)]
        assert lines, f"{case.says} not in one line of:\n{text}"
    if "also" in case.extra:  # a second message the first must not hide
        assert [line for line in text.splitlines() if all(s in line for s in case.extra["also"])], text
    assert snapshot(data, case.hostile) == before  # inputs only read
    if case.command == "build" and case.status != 0:
        assert tree_hash(out) == old_output  # a failed build changes nothing
    if case.extra.get("same_figures"):  # the hostile spelling changes no figure
        figures = [json.loads((folder / "2021" / "dati" / "cifre.json").read_text("utf-8")) for folder in (out, published)]
        assert figures[0] == figures[1]


# --- limits as properties: refused exactly when over, with the limit said ---

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipeline.load import parse  # noqa: E402
from pipeline.reading import MAX_CELL, MAX_COLUMNS  # noqa: E402

HEADER = "tema,titolo,ciclo\n"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(width=st.integers(1, MAX_COLUMNS + 40), row=st.integers(1, 5), quoted=st.booleans())
def test_columns_per_record_refused_exactly_past_the_limit(width, row, quoted):
    rows = ["T1,Titolo,1"] * 5
    cell = '"a"' if quoted else "a"
    rows[row - 1] = ",".join([cell] * width)
    table = parse("temi", None, (HEADER + "\n".join(rows) + "\n").encode(), "temi.csv")
    over = [p for p in table.problems if "al massimo 200" in p.message]
    assert bool(over) == (width > MAX_COLUMNS)
    if over:
        assert over[0].line == row + 1 and f"ha {width} celle" in over[0].message


@settings(max_examples=40, deadline=None, derandomize=True)
@given(length=st.integers(MAX_CELL - 30, MAX_CELL + 30), letter=st.sampled_from(["a", "à", "€", "😀"]),
       quoted=st.booleans(), newline_inside=st.booleans(), row=st.integers(1, 3))
def test_cell_length_is_counted_in_characters(length, letter, quoted, newline_inside, row):
    text = letter * length
    if newline_inside:
        text = text[: length // 2] + "\n" + text[length // 2 + 1:]  # same length, across two lines
    cell = f'"{text}"' if quoted or newline_inside else text
    rows = ["T1,Titolo,1", "T2,Altro,2", "T3,Terzo,3"]
    rows[row - 1] = f"T{row},{cell},{row}"
    table = parse("temi", None, (HEADER + "\n".join(rows) + "\n").encode(), "temi.csv")
    over = [p for p in table.problems if "al massimo 1.000" in p.message]
    assert bool(over) == (length > MAX_CELL), (length, letter, table.problems)
    if over:
        assert over[0].line == row + 1


def test_workbook_cells_have_the_csv_limit_and_a_fifo_workbook_does_not_hang(data_copy):
    """dati.xlsx is read through the same bounded reader and cell limit."""
    from openpyxl import load_workbook

    from .test_workbook_input import edition_as_workbook, problems_of
    book = edition_as_workbook(data_copy)
    workbook = load_workbook(book)
    workbook["bandi"]["B2"] = "x" * (MAX_CELL + 1)
    workbook.save(book)
    assert any('foglio bandi, riga 2: la cella B2 ha 1.001 caratteri: al massimo 1.000' in p
               for p in problems_of(data_copy)), problems_of(data_copy)
    book.unlink()
    os.mkfifo(book)
    outcome = run_limited(["check", "--anno", "2021", "--data", str(data_copy)], timeout=60)
    assert outcome.status == 1 and "dati.xlsx" in outcome.err and "pipe (FIFO)" in outcome.err, outcome.err
