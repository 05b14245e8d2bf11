"""Versions of installed distributions (the manifest records them; caches
are keyed on them)."""

from __future__ import annotations

import functools
from importlib import metadata


@functools.cache
def version(name: str) -> str:
    """What `importlib.metadata.version(name)` says, read from the metadata
    file's headers alone: parsing the whole file as `version` does costs
    milliseconds for a distribution whose metadata carries its README
    (matplotlib's: 80 kB)."""
    distribution = metadata.distribution(name)
    text = distribution.read_text("METADATA") or distribution.read_text("PKG-INFO") or ""
    for line in text.splitlines():
        if not line:  # the end of the headers
            break
        if line.startswith("Version:"):
            return line.partition(":")[2].strip()
    return distribution.version
