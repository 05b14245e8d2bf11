"""Images of built editions for docs/: every page of the PDF (pdftoppm) and
the whole web page at 390 and 1280 px (Chromium through Playwright).

    python scripts/screenshots.py [--out output] [--docs docs] [--stress]

For every edition published in `--out` it writes
`docs/<anno>/pdf-pagina-<n>.png`, `docs/<anno>/pagina-390.png` and
`docs/<anno>/pagina-1280.png`. With `--stress` it also builds a generated
edition with 40 calls over six years (`tests/shapes.py`) in a temporary
folder and writes its images to `docs/prova-40-bandi/`. Serves the output
folders on 127.0.0.1 on a free port while taking the screenshots.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WIDTHS = {390: 844, 1280: 900}
PDF_DPI = 72
STRESS_FOLDER = "prova-40-bandi"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _small_png(png: bytes, target: Path) -> None:
    """256-colour PNG: a page screenshot shrinks to a fraction of its size.
    The chart colours get palette entries of their own (a strip of each is
    added while the palette is chosen), so that calls keep their colour."""
    from PIL import Image

    from pipeline.charts import OTHERS, PALETTE
    image = Image.open(io.BytesIO(png)).convert("RGB")
    swatch = 64
    sample = Image.new("RGB", (image.width, image.height + swatch * 2), "white")
    sample.paste(image, (0, 0))
    colours = [*PALETTE, OTHERS]
    for i, colour in enumerate(colours):
        sample.paste(colour, (i * image.width // len(colours), image.height,
                              (i + 1) * image.width // len(colours), image.height + swatch * 2))
    palette = sample.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.quantize(palette=palette, dither=Image.Dither.NONE).save(target, optimize=True)


def _editions(out: Path) -> dict[int, dict]:
    found = {}
    for p in sorted(out.iterdir()):
        if p.name.isdigit() and (p / "manifest.json").is_file():
            found[int(p.name)] = json.loads((p / "manifest.json").read_text("utf-8"))["edizione"]
    return found


def pdf_pages(pdf: Path, folder: Path) -> list[Path]:
    """Every page of `pdf` as `folder/pdf-pagina-<n>.png`."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-png", "-r", str(PDF_DPI), str(pdf), f"{tmp}/p"], check=True)
        for n, page in enumerate(sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1])), 1):
            target = folder / f"pdf-pagina-{n}.png"
            _small_png(page.read_bytes(), target)
            written.append(target)
    return written


def shoot(out: Path, targets: dict[int, Path]) -> list[Path]:
    """Page screenshots (whole page, 390 and 1280 px) and PDF pages of the
    editions `targets` (year -> docs folder) published in `out`."""
    from playwright.sync_api import sync_playwright
    editions = _editions(out)
    written = []
    server, base = serve(out)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for year, folder in targets.items():
                folder.mkdir(parents=True, exist_ok=True)
                for old in folder.glob("*.png"):
                    old.unlink()
                for width, height in WIDTHS.items():
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(f"{base}/{year}/{editions[year]['pagina']}", wait_until="networkidle")
                    page.evaluate("document.fonts.ready")
                    target = folder / f"pagina-{width}.png"
                    _small_png(page.screenshot(full_page=True), target)
                    written.append(target)
                    page.close()
            browser.close()
    finally:
        server.shutdown()
    for year, folder in targets.items():
        written += pdf_pages(out / str(year) / editions[year]["pdf"], folder)
    return written


def build_stress(tmp: Path) -> Path:
    """A generated edition with 40 calls and six years of meetings, built
    into `tmp/output`."""
    from pipeline.build import build
    from tests.shapes import write_edition
    from tests.stress import STRESS
    data = tmp / "raw"
    write_edition(data, STRESS)
    out = tmp / "output"
    build(data, out, log=lambda line: None)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("output"))
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    parser.add_argument("--stress", action="store_true", help="also a generated 40-call, six-year edition")
    args = parser.parse_args(argv)
    editions = _editions(args.out) if args.out.is_dir() else {}
    if not editions:
        print(f"nessuna edizione generata in {args.out}: eseguire prima `make report`", file=sys.stderr)
        return 1
    written = shoot(args.out, {year: args.docs / str(year) for year in editions})
    if args.stress:
        with tempfile.TemporaryDirectory() as tmp:
            out = build_stress(Path(tmp))
            (year,) = _editions(out)
            target = args.docs / STRESS_FOLDER
            written += shoot(out, {year: target})
            shutil.rmtree(Path(tmp) / "raw")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
