"""Shared fixtures: the sample editions built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.build import build

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "raw"


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
