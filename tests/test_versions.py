"""`versions.version` reads only the metadata headers: it must say what
`importlib.metadata` says (the manifest records these versions)."""

from __future__ import annotations

from importlib import metadata

import pytest

from pipeline import versions


@pytest.mark.parametrize("name", ["pandas", "numpy", "matplotlib", "weasyprint", "jinja2", "babel"])
def test_versions_are_the_installed_ones(name):
    assert versions.version(name) == metadata.version(name)
