"""Small PNGs of a built edition for docs/: the web page at 390 and 1280 px
(Chromium through Playwright) and page 1 of the PDF (pdftoppm).

    python scripts/screenshots.py [--out output] [--anno 2022] [--docs docs] [--full]

Serves `--out` on 127.0.0.1 on a free port while taking the screenshots.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WIDTHS = {390: 844, 1280: 900}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _small_png(png: bytes, target: Path) -> None:
    """256-colour PNG: a page screenshot shrinks to a fraction of its size."""
    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(target, optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("output"))
    parser.add_argument("--anno", type=int)
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    parser.add_argument("--full", action="store_true", help="whole page, not only the first screen")
    args = parser.parse_args(argv)
    years = sorted(int(p.name) for p in args.out.iterdir() if p.name.isdigit() and (p / "manifest.json").is_file())
    if not years:
        print(f"nessuna edizione generata in {args.out}: eseguire prima `make report`", file=sys.stderr)
        return 1
    anno = args.anno or years[-1]
    edizione = json.loads((args.out / str(anno) / "manifest.json").read_text("utf-8"))["edizione"]
    args.docs.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright
    server, base = serve(args.out)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for width, height in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{base}/{anno}/{edizione['pagina']}", wait_until="networkidle")
                page.evaluate("document.fonts.ready")
                target = args.docs / f"pagina-{width}.png"
                _small_png(page.screenshot(full_page=args.full), target)
                print(target)
                page.close()
            browser.close()
    finally:
        server.shutdown()
    pdf = args.out / str(anno) / edizione["pdf"]
    target = args.docs / "pdf-pagina-1.png"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        f"{tmp}/pagina"], check=True)
        _small_png(Path(tmp, "pagina.png").read_bytes(), target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
