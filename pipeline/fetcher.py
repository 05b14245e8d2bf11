"""The only way WeasyPrint may fetch a resource while rendering a PDF.

Inputs are data, never markup, and rendering stays home: `data:` URLs and
files under the project's asset folder are served; every other URL (network,
any other local file) is refused and remembered in `refused`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher

from .render import ASSETS


class RefusedFetch(ValueError):
    """A URL outside what the report may use."""


class LocalFetcher(URLFetcher):
    def __init__(self, roots: tuple[Path, ...] = (ASSETS,), **kwargs):
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, **kwargs)
        self.roots = tuple(r.resolve() for r in roots)
        self.refused: list[str] = []

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return True
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        path = Path(unquote(parts.path)).resolve()
        return any(path.is_relative_to(root) for root in self.roots)

    def fetch(self, url, headers=None):
        if not self.allows(url):
            self.refused.append(url)
            raise RefusedFetch(f"risorsa non consentita: {url}")
        return super().fetch(url, headers)
