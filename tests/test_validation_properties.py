"""Property-based: whatever bytes or cell values an input holds, the command
answers with exit 0 or 1 and Italian `file:line:` messages, never a Python
traceback, and a failed build leaves the output as it was."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import main

from .conftest import DATA

FILES = ("bandi.csv", "progetti.csv", "gruppi.csv", "incontri.csv", "temi.csv")
MESSAGE = re.compile(r"^  \S+\.(csv|toml):(\d+:)? \S")
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

CELLS = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab Zà€ñ,;"\'\n\r\t0123456789/-.+<>&')), max_size=12),
    st.sampled_from(["", " ", "31/02/2022", "2021-02-29", "29/02/2020", "-3", "1.000", "1e3", "0",
                     "99999999999999999999", "Lombadia", "Multiregionale", "nord", "ONLINE", "PI2016",
                     "PI-NORD", "COVID19", '"', '""', "\ufeff", "\x00", "NaN", "None", "null", "#N/D"]),
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("proprieta")
    shutil.copytree(DATA, base / "raw")
    return base / "raw"


def _restore(data: Path) -> None:
    for name in FILES + ("edizione.toml",):
        shutil.copyfile(DATA / "2021" / name, data / "2021" / name)
    shutil.copyfile(DATA / "ente.toml", data / "ente.toml")


def _answer(capsys, argv) -> tuple[int, str]:
    status = main(argv)
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert "Traceback" not in text
    assert status in (0, 1), text
    if status == 1:
        problems = [line for line in captured.err.splitlines() if line.startswith("  ")]
        assert problems and all(MESSAGE.match(p) for p in problems), captured.err
    return status, captured.err


@SETTINGS
@given(target=st.sampled_from(FILES + ("edizione.toml", "../ente.toml")), content=st.binary(max_size=300))
def test_random_bytes_in_any_input_never_crash(workspace, capsys, target, content):
    _restore(workspace)
    (workspace / "2021" / target).write_bytes(content)
    _answer(capsys, ["check", "--anno", "2021", "--data", str(workspace)])


@SETTINGS
@given(target=st.sampled_from(FILES), prefix=st.binary(max_size=40), cut=st.floats(0, 1))
def test_truncated_or_prefixed_files_never_crash(workspace, capsys, target, prefix, cut):
    _restore(workspace)
    raw = (DATA / "2021" / target).read_bytes()
    (workspace / "2021" / target).write_bytes(prefix + raw[: int(len(raw) * cut)])
    _answer(capsys, ["check", "--anno", "2021", "--data", str(workspace)])


def _with_cell(data: Path, target: str, row: int, column: int, value: str, quoted: bool) -> None:
    """Put `value` in one cell: written as Excel would (quoted when needed)
    or pasted raw into the line, as a hand edit might."""
    with open(DATA / "2021" / target, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    row = row % len(rows)
    column = column % len(rows[row])
    rows[row][column] = value
    buffer = io.StringIO()
    if quoted:
        csv.writer(buffer, lineterminator="\n").writerows(rows)
    else:
        buffer.write("".join(",".join(r) + "\n" for r in rows))
    (data / "2021" / target).write_text(buffer.getvalue(), "utf-8")


@SETTINGS
@given(target=st.sampled_from(FILES), row=st.integers(0, 300), column=st.integers(0, 5), value=CELLS,
       quoted=st.booleans())
def test_random_cell_values_never_crash(workspace, capsys, target, row, column, value, quoted):
    _restore(workspace)
    _with_cell(workspace, target, row, column, value, quoted)
    _answer(capsys, ["check", "--anno", "2021", "--data", str(workspace)])


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(FILES), row=st.integers(1, 300), column=st.integers(0, 5), value=CELLS)
def test_failed_build_never_changes_output(workspace, built, tmp_path_factory, capsys, target, row, column, value):
    _restore(workspace)
    _with_cell(workspace, target, row, column, value, quoted=False)
    out = tmp_path_factory.mktemp("uscita") / "output"
    shutil.copytree(built, out)
    before = _tree(out)
    status, _ = _answer(capsys, ["build", "--anno", "2021", "--data", str(workspace), "--out", str(out)])
    if status == 1:
        assert _tree(out) == before


TOML_VALUES = st.one_of(
    st.integers(-10, 3000), st.booleans(), st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=8).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
    st.lists(st.integers(0, 9), max_size=3).map(str), st.just('["a", 1]'), st.just("[]"), st.just("{}"),
    st.just("2021-12-31T25:00:00"), st.just("1979-05-27T07:32:00Z"), st.just("inf"))
TOML_KEYS = ("anno", "data_riferimento", "numero", "titolo", "parte", "tabella", "finalita", "richieste",
             "approfondimento", "riflessioni", "nota_dati", "contesto_modalita")


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(key=st.sampled_from(TOML_KEYS), value=TOML_VALUES)
def test_any_value_in_edizione_toml_never_crashes_the_build(workspace, tmp_path_factory, capsys, key, value):
    _restore(workspace)
    path = workspace / "2021" / "edizione.toml"
    text = path.read_text("utf-8")
    text = re.sub(rf"^{key} = .*?(?=^\w|^\[|\Z)", f"{key} = {value}\n", text, count=1, flags=re.M | re.S)
    path.write_text(text, "utf-8")
    out = tmp_path_factory.mktemp("uscita") / "output"
    _answer(capsys, ["build", "--anno", "2021", "--data", str(workspace), "--out", str(out)])
