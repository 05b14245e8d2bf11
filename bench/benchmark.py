"""Benchmark of the build, in CPU seconds of whole processes (median of N).

Measures, each in fresh subprocesses so that imports are paid as a user pays
them:
  imports   python -c "import pandas, matplotlib, weasyprint, jinja2"
  2021      python -m pipeline build --anno 2021, charts drawn (no cache)
            and charts from the cache (PIPELINE_CACHE)
  tutte     python -m pipeline build            (every sample edition)
  1M        python -m pipeline build on a synthetic edition with 1,000,000
            meetings (the 2021 sample with its meetings file grown), also
            reporting peak memory (max RSS)
and writes the medians and ratios to bench/risultati.md.

Usage: python bench/benchmark.py [--runs 5] [--skip-large]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "raw"


def run(args: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, float, int]:
    """(cpu seconds, wall seconds, max RSS in MiB) of one child process."""
    import time
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, after.ru_maxrss // 1024


def median_of(args, runs, cwd=ROOT, env=None):
    results = [run(args, cwd, env) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            max(r[2] for r in results))


def large_edition(target: Path, meetings: int) -> Path:
    """The 2021 sample with `meetings` meetings spread over its groups,
    themes and dates (vectorised, fixed seed)."""
    data = target / "raw"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("2022"))
    base = pd.read_csv(data / "2021" / "incontri.csv", dtype=str)
    rng = np.random.default_rng(2021)
    pick = rng.integers(0, len(base), meetings)
    days = pd.to_datetime("2020-11-01") + pd.to_timedelta(rng.integers(0, 425, meetings), unit="D")
    frame = pd.DataFrame({
        "incontro": [f"INC-{i:07d}" for i in range(meetings)],
        "gruppo": base["gruppo"].to_numpy()[pick],
        "data": days.strftime("%Y-%m-%d"),
        "tema": base["tema"].to_numpy()[pick],
        "modalita": "online",
        "partecipanti": rng.integers(5, 40, meetings).astype(str),
    })
    frame.to_csv(data / "2021" / "incontri.csv", index=False)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    py = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        imports = median_of([py, "-c", "import pandas, matplotlib, weasyprint, jinja2"], args.runs)
        rows.append(("import di pandas, matplotlib, WeasyPrint, Jinja2", imports))
        no_cache = {"PIPELINE_CACHE": ""}
        warm = {"PIPELINE_CACHE": str(tmp / "cache")}
        build_2021 = [py, "-m", "pipeline", "build", "--anno", "2021", "--out", str(tmp / "o1")]
        one = median_of(build_2021, args.runs, env=no_cache)
        rows.append(("build 2021, grafici disegnati", one))
        run(build_2021, env=warm)  # fills the chart cache
        cached = median_of(build_2021, args.runs, env=warm)
        rows.append(("build 2021, grafici già in cache (dati dei grafici invariati)", cached))
        every = median_of([py, "-m", "pipeline", "build", "--out", str(tmp / "o2")], args.runs, env=no_cache)
        rows.append(("build di tutte le edizioni, grafici disegnati", every))
        large = None
        if not args.skip_large:
            data = large_edition(tmp, 1_000_000)
            large = median_of([py, "-m", "pipeline", "build", "--data", str(data), "--out", str(tmp / "o3")],
                              max(1, args.runs // 2), env=no_cache)
            rows.append(("build 2021 con 1.000.000 di incontri", large))
    lines = [
        "# Benchmark",
        "",
        f"Generato da `python bench/benchmark.py --runs {args.runs}` "
        f"(Python {platform.python_version()}, {os.cpu_count()} core). "
        "Tempo CPU (utente + sistema) di processi nuovi, mediana delle esecuzioni; memoria: massimo RSS.",
        "",
        "| misura | CPU (s) | tempo reale (s) | memoria (MiB) |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {cpu:.2f} | {wall:.2f} | {rss} |" for name, (cpu, wall, rss) in rows],
        "",
        f"- build 2021 / import: **{one[0] / imports[0]:.2f}×** con i grafici disegnati, "
        f"**{cached[0] / imports[0]:.2f}×** con i grafici in cache (obiettivo: 1,15×)",
    ]
    if large:
        lines.append(f"- build con 1.000.000 di incontri / build 2021: **{large[0] / one[0]:.2f}×** "
                     f"(obiettivo: 2×), memoria massima {large[2]} MiB (obiettivo: 512 MiB)")
    lines.append("- per confronto (misurati fuori da qui, su questa macchina): Quarto circa 10 s, "
                 "uno script Python semplice 1,7 s")
    out = ROOT / "bench" / "risultati.md"
    out.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
