"""Screenshot of the live preview (`make serve`) showing a mistake in the
data, for the README: docs/anteprima-errore.png.

    python scripts/anteprima.py [--docs docs]

Runs `python -m pipeline serve` on a copy of the sample data, opens the 2021
page in Chromium (Playwright), then saves two mistakes into the copy (a date
that does not exist, a misspelt region) and waits for the page to replace
itself with the list of problems, as a writer would see it.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PAGE = "2021/2-19-comunita-di-pratiche.html"


def _replace_first(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text("utf-8")
    changed, n = re.subn(pattern, replacement, text, count=1, flags=re.M)
    if not n:
        raise SystemExit(f"{path}: {pattern!r} not found")
    path.write_text(changed, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "data" / "raw", work / "data" / "raw")
        server = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--out", "anteprima", "--port", "0"],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
        try:
            url = None
            for line in server.stdout:
                if found := re.search(r"Anteprima pronta: (\S+)", line):
                    url = found.group(1)
                    break
            if url is None:
                raise SystemExit("serve did not start")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1100, "height": 360})
                page.goto(url + PAGE)
                page.wait_for_selector("h1")
                raw = work / "data" / "raw" / "2021"
                _replace_first(raw / "incontri.csv", r"^(INC-0\d\d,[^,]+,)2021-03-\d\d", r"\g<1>31/02/2021")
                _replace_first(raw / "progetti.csv", r",Lombardia,", ",Lombardi,")
                page.wait_for_selector("text=L’anteprima non si è potuta aggiornare", timeout=60_000)
                page.wait_for_function("document.querySelectorAll('li').length >= 2")
                png = page.screenshot()
                browser.close()
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    target = args.docs / "anteprima-errore.png"
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(target, optimize=True)
    print(f"Scritto {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")


if __name__ == "__main__":
    main()
