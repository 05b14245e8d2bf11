"""Shared fixtures: the sample editions built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.build import build

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "raw"


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (path relative to it -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_edition(made: Path, expected: Path) -> None:
    """The same files, byte for byte, but the manifest (which names the
    inputs, and so differs between a CSV and a workbook edition)."""
    made_files, expected_files = files_of(made), files_of(expected)
    assert sorted(made_files) == sorted(expected_files)
    for name, content in expected_files.items():
        if not name.endswith("manifest.json"):
            assert made_files[name] == content, name


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """`output/` of a full build of the sample data (every edition)."""
    out = tmp_path_factory.mktemp("build") / "output"
    build(DATA, out, log=lambda line: None)
    return out


@pytest.fixture()
def data_copy(tmp_path) -> Path:
    """A writable copy of the sample data folder."""
    target = tmp_path / "raw"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="session")
def stress_built(tmp_path_factory) -> Path:
    """`output/` of the generated stress editions (tests/stress.py): 2023 with
    40 calls over six years, 2024 with one call and one month, printed from
    page 58 of its volume."""
    from .shapes import write_edition
    from .stress import SMALL, STRESS
    root = tmp_path_factory.mktemp("prova")
    data = root / "raw"
    write_edition(data, STRESS)
    small = write_edition(data, SMALL) / "edizione.toml"
    small.write_text(small.read_text("utf-8").replace("tabella = 21\n", "tabella = 21\npagina_iniziale = 58\n"),
                     "utf-8")
    out = root / "output"
    build(data, out, log=lambda line: None)
    return out
