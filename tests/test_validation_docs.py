"""docs/dati.md, the contract for analysts, stays in step with schema.py."""

from __future__ import annotations

import re

from pipeline.schema import REGION_AREA, TABLES

from .conftest import ROOT


def _sections() -> dict[str, str]:
    text = (ROOT / "docs" / "dati.md").read_text("utf-8")
    parts = re.split(r"^#### `(\w+)\.csv`", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_every_file_and_column_of_the_schema_is_documented():
    sections = _sections()
    assert set(sections) == {t.name for t in TABLES}
    for table in TABLES:
        documented = re.findall(r"^\| `(\w+)` \|", sections[table.name], flags=re.M)
        assert documented == [c.name for c in table.columns], table.name
        for column in table.columns:
            row = next(line for line in sections[table.name].splitlines() if line.startswith(f"| `{column.name}` |"))
            for choice in column.choices:
                assert f"`{choice}`" in row, (table.name, column.name, choice)
            if column.minimum is not None:
                assert f"almeno {column.minimum}" in row, (table.name, column.name)
            assert ("obbligatorio" in row) == column.required, (table.name, column.name)
            assert ("unico" in row) == column.unique, (table.name, column.name)
            assert ("colonna facoltativa" in row) == (not column.in_header), (table.name, column.name)


def test_every_region_is_documented_in_its_macro_area():
    text = (ROOT / "docs" / "dati.md").read_text("utf-8").replace("’", "'")
    for region in REGION_AREA:
        assert region in text, region
