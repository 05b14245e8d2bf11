"""Benchmark of the live preview and of the no-op build, in wall seconds
(what a writer waits), median of N.

Save to page: a `serve` process runs on a copy of the sample data; the
script saves an edit to a file of the 2021 edition and waits, as the page's
script does, for the server-sent reload event, then fetches the page over
HTTP and checks that it shows the edit. The time runs from just before the
file is written to the last byte of the new page. Three cases:
  testo          a sentence of edizione.toml's [testo] changed
  record         one cell of incontri.csv changed (a meeting's mode)
  durante il PDF a text edit saved while the previous edit's PDF is still
                 being redone in the background
Between edits of the first two cases the script waits for the background
PDF, as a writer reading the page would.

No-op build: `make report` run again with nothing changed, timed as a whole
process (make included) and as `python -m pipeline build` alone.

Writes bench/risultati-anteprima.md. Usage: python bench/anteprima.py [--volte 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "raw"
PAGE = "2021/2-19-comunita-di-pratiche.html"
RESULTS = ROOT / "bench" / "risultati-anteprima.md"
TIMEOUT = 30


class Serve:
    """A `python -m pipeline serve` process on a free port."""

    def __init__(self, data: Path, out: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--data", str(data), "--out", str(out), "--port", str(port)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_line(r"Anteprima pronta: (\S+)").group(1)
        self.wait_line(r"PDF aggiornato")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, pattern: str) -> re.Match:
        deadline = time.monotonic() + TIMEOUT * 4
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise SystemExit("serve ended early")
                continue
            if found := re.search(pattern, line):
                return found
        raise SystemExit(f"serve never printed {pattern!r}")

    def drain(self) -> None:
        while not self.lines.empty():
            self.lines.get()

    def page(self) -> str:
        with urllib.request.urlopen(self.url + PAGE, timeout=TIMEOUT) as response:
            return response.read().decode("utf-8")

    def save_to_page(self, path: Path, text: str, expect: str) -> float:
        """Seconds from saving `text` to `path` to the new page received."""
        tag = re.search(r"impronta=([0-9a-f]+)", self.page()).group(1)
        stream = urllib.request.urlopen(f"{self.url}__anteprima/eventi?pagina=/{PAGE}&impronta={tag}",
                                        timeout=TIMEOUT)
        stream.readline()  # connected: "retry: ..."
        start = time.perf_counter()
        path.write_text(text, "utf-8")
        for raw in stream:
            if raw.startswith(b"event: ricarica"):
                break
        stream.close()
        page = self.page()
        elapsed = time.perf_counter() - start
        if expect not in page:
            raise SystemExit(f"the page after the reload does not show {expect!r}")
        return elapsed

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=TIMEOUT)


def preview_times(runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "raw"
        shutil.copytree(DATA, data)
        toml = data / "2021" / "edizione.toml"
        meetings = data / "2021" / "incontri.csv"
        text0, csv0 = toml.read_text("utf-8"), meetings.read_text("utf-8")
        old = "a causa dell’emergenza sanitaria"
        first = csv0.splitlines()[1]
        assert ",online," in first
        serve = Serve(data, Path(tmp) / "anteprima")
        times: dict[str, list[float]] = {"testo": [], "record": [], "durante il PDF": []}
        try:
            for i in range(runs):
                new = f"per la prova numero {i + 1}"
                serve.drain()
                times["testo"].append(serve.save_to_page(toml, text0.replace(old, new), new))
                serve.wait_line(r"PDF aggiornato")
                mode = ("mista", "in presenza")[i % 2]
                serve.drain()
                changed = csv0.replace(first, first.replace(",online,", f",{mode},"), 1)
                times["record"].append(serve.save_to_page(meetings, changed, "in presenza" if i % 2 else "mist"))
                serve.wait_line(r"PDF aggiornato")
            meetings.write_text(csv0, "utf-8")
            serve.wait_line(r"PDF aggiornato")
            for i in range(runs):  # one after the other: each save lands while the last PDF is being made
                new = f"per la prova rapida {i + 1}"
                times["durante il PDF"].append(serve.save_to_page(toml, text0.replace(old, new), new))
        finally:
            serve.stop()
    return times


def noop_times(runs: int) -> dict[str, list[float]]:
    """Wall seconds of a no-op `make report` and of the bare CLI."""
    env = {**os.environ, "MAKEFLAGS": ""}
    first = subprocess.run(["make", "report"], cwd=ROOT, capture_output=True, text=True, env=env)
    if first.returncode != 0:
        raise SystemExit(first.stdout + first.stderr)
    result: dict[str, list[float]] = {"make report": [], "python -m pipeline build": []}
    commands = {"make report": ["make", "report"],
                "python -m pipeline build": [str(ROOT / ".venv" / "bin" / "python"), "-m", "pipeline", "build"]}
    for name, args in commands.items():
        for _ in range(runs):
            start = time.perf_counter()
            run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)
            result[name].append(time.perf_counter() - start)
            if run.returncode != 0 or "Nessuna modifica" not in run.stdout:
                raise SystemExit(f"{name} was not a no-op:\n{run.stdout}{run.stderr}")
    return result


def _row(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"| {name} | {statistics.median(ms):.0f} ms | {ms[0]:.0f}–{ms[-1]:.0f} ms | {len(ms)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volte", type=int, default=7, help="misure per caso (7)")
    parser.add_argument("--senza-noop", action="store_true", help="non misurare make report a vuoto")
    args = parser.parse_args()
    preview = preview_times(args.volte)
    noop = {} if args.senza_noop else noop_times(args.volte)
    load = os.getloadavg()
    lines = [
        "# Anteprima e generazione a vuoto: tempi misurati",
        "",
        "Written by `bench/anteprima.py` (`make bench`): wall-clock time, what a writer waits; "
        "median, range and number of runs.",
        "",
        "## Save to page (`make serve`, 2021 sample)",
        "",
        "From just before the file is written to the last byte of the new page, fetched over HTTP after the "
        "server-sent reload event (as the page's script does; the browser's own drawing is not included). "
        "Target: under 300 ms.",
        "",
        "| edit | median | range | runs |",
        "|---|---|---|---|",
        *(_row(name, values) for name, values in preview.items()),
        "",
    ]
    if noop:
        lines += [
            "## No-op build (nothing changed since the last `make report`)",
            "",
            "Whole process, from its start to its end. Target: under 100 ms for `make report`.",
            "",
            "| command | median | range | runs |",
            "|---|---|---|---|",
            *(_row(name, values) for name, values in noop.items()),
            "",
        ]
    lines += [f"Machine: {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
              f"load average {load[0]:.1f} at the end of the run.", ""]
    RESULTS.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
