"""Benchmark of the build: CPU seconds of whole processes, cold, medians.

Every measure runs in fresh subprocesses, so that imports are paid as a user
pays them, and cold: an output folder that does not exist yet and an empty
chart cache. For each child the bench reads its own resource usage
(os.wait4): CPU time (user + system), peak memory (max RSS), and, for
builds, the CPU time of each stage (carica, controlla, aggrega, grafici,
contesto, pdf, html), the rest being interpreter start, imports outside the
stages and publishing.

Measures:
  import      python -c "import pandas, matplotlib.pyplot, weasyprint, jinja2"
              (the floor: what any build of this stack pays)
  --help      python -m pipeline --help
  check 2021  python -m pipeline check --anno 2021
  2021        python -m pipeline build --anno 2021
  tutte       python -m pipeline build (every sample edition)
  2021 x 1M   the 2021 sample with 1,000,000 meetings (16 groups, 3 calls)
  grande      the large shape: 40 calls, 5,000 groups, 100,000 projects,
              1,000,000 meetings over six years, 4 themes (tests/shapes.py)
  scala       the large shape with 10,000, 100,000 and 1,000,000 meetings
and writes the tables to bench/risultati.md. The import floor, the 2021
build and the large shape take turns run by run (their ratios are the
targets of issue 12, with the scaling series), and the package's bytecode and the compiled templates
(.cache/modelli) are written first, as by any earlier run.

Usage: python bench/benchmark.py [--runs 5] [--large-runs 3] [--skip-large]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "raw"
sys.path.insert(0, str(ROOT))
from tests.shapes import Shape, write_edition  # noqa: E402

STAGES = ("carica", "controlla", "aggrega", "grafici", "contesto", "pdf", "html")

# The large shape of issue 12: a cumulative edition after several years.
LARGE = Shape(anno=2023, bandi=40, gruppi=5000, progetti=100_000, senza_gruppo=5000, incontri=1_000_000,
              anni=6, temi_ciclo=3, temi_extra=1, modalita=("online", "in presenza", "mista"),
              facilitatori=50, completi="alcuni", seed=12)
SCALE = (10_000, 100_000, 1_000_000)

# `python -m pipeline ...` (the same entry point, `cli.run`) with the CPU
# time of each build stage written to $BENCH_STAGES after every stage (the
# build's own clock reports wall time only).
STAGE_RUNNER = r"""
import json, os, sys, time
import pipeline.build as build
spent = {}
timed = build._Clock.stage
def stage(self, name, fn, *args, **kwargs):
    start = time.process_time()
    try:
        return timed(self, name, fn, *args, **kwargs)
    finally:
        spent[name] = spent.get(name, 0.0) + time.process_time() - start
        with open(os.environ["BENCH_STAGES"], "w") as handle:
            json.dump(spent, handle)
build._Clock.stage = stage
from pipeline.cli import run
run()
"""


@dataclass
class Run:
    cpu: float  # user + system seconds of the child
    wall: float
    rss: int  # MiB, the child's peak
    stages: dict[str, float]


# Starts one child and prints its resource usage. Peak memory (ru_maxrss)
# counts the image a child was forked from until it execs, so children are
# forked from this small process, never from the bench (numpy, pandas).
LAUNCHER = r"""
import json, os, subprocess, sys, time
args, err = json.loads(sys.argv[1]), sys.argv[2]
with open(err, "wb") as handle:
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=handle)
    _, status, usage = os.wait4(proc.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
                  time.perf_counter() - start, usage.ru_maxrss]))
"""


def run(args: list[str], env: dict | None = None) -> Run:
    """One child process and its own resource usage (not its siblings')."""
    with tempfile.TemporaryDirectory() as tmp:
        stages_file = Path(tmp) / "stadi.json"
        err_path = Path(tmp) / "stderr"
        launched = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, json.dumps(args), str(err_path)],
                                  cwd=ROOT, capture_output=True, text=True, check=True,
                                  env={**os.environ, "BENCH_STAGES": str(stages_file), **(env or {})})
        status, cpu, wall, rss = json.loads(launched.stdout)
        if status != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{err_path.read_text()}")
        stages = json.loads(stages_file.read_text()) if stages_file.exists() else {}
    return Run(cpu, wall, rss // 1024, stages)


def run_cold(args: list[str], cold: bool = True) -> Run:
    """One child; a build gets a fresh output folder and an empty chart cache."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = ["--out", str(Path(tmp) / "output")] if "build" in args and cold else []
        return run(args + extra, {"PIPELINE_CACHE": str(Path(tmp) / "cache")})


def median_of(args: list[str], runs: int, cold: bool = True) -> Run:
    """Medians over `runs` children (peak memory: the highest)."""
    return summary([run_cold(args, cold) for _ in range(runs)])


def interleaved(measures: list[tuple[list[str], int]]) -> tuple[list[Run], list[list[float]]]:
    """Medians of several measures whose runs take turns (first run of
    each, then the second of each, ...): a machine whose speed drifts
    during the bench slows them alike, so their ratios hold. Also returns
    each measure's CPU time run by run (for ratios turn by turn)."""
    results: list[list[Run]] = [[] for _ in measures]
    for i in range(max(runs for _, runs in measures)):
        for (args, runs), found in zip(measures, results):
            if i < runs:
                found.append(run_cold(args))
    return [summary(found) for found in results], [[r.cpu for r in found] for found in results]


def turn_ratios(base: list[float], value: list[float]) -> str:
    """The ratio value/base within each turn (same moment, same machine
    speed): median and quartiles."""
    ratios = sorted(v / b for b, v in zip(base, value))
    if len(ratios) < 4:
        return f"per turno: mediana {statistics.median(ratios):.2f}×"
    low, _, high = statistics.quantiles(ratios, n=4)
    return f"per turno: mediana {statistics.median(ratios):.2f}×, quartili {low:.2f}–{high:.2f}×"


def summary(results: list[Run]) -> Run:
    names = [s for s in STAGES if any(s in r.stages for r in results)]
    return Run(statistics.median(r.cpu for r in results), statistics.median(r.wall for r in results),
               max(r.rss for r in results),
               {s: statistics.median(r.stages.get(s, 0.0) for r in results) for s in names})


def sample_with_meetings(target: Path, meetings: int) -> Path:
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


def _row(name: str, r: Run) -> str:
    stages = [f"{r.stages[s]:.2f}" if s in r.stages else "–" for s in STAGES]
    rest = r.cpu - sum(r.stages.values()) if r.stages else None
    return (f"| {name} | {r.cpu:.2f} | {r.wall:.2f} | {r.rss} | " + " | ".join(stages)
            + f" | {'–' if rest is None else f'{rest:.2f}'} |")


def _ratio(value: float, base: float, target: float) -> str:
    ratio = value / base
    return f"**{ratio:.2f}×** (obiettivo {target:.2f}×: {'raggiunto' if ratio <= target else 'non raggiunto'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each small measure (median)")
    parser.add_argument("--large-runs", type=int, default=3, help="runs of each 1M-meeting measure")
    parser.add_argument("--skip-large", action="store_true", help="only the sample editions")
    args = parser.parse_args()
    py = sys.executable
    build = [py, "-c", STAGE_RUNNER, "build"]
    rows: list[tuple[str, Run]] = []

    def measure(name: str, argv: list[str], runs: int) -> Run:
        result = median_of(argv, runs)
        rows.append((name, result))
        print(_row(name, result), flush=True)
        return result

    # The package's own bytecode written first, as any earlier run would
    # have done (this environment may set PYTHONDONTWRITEBYTECODE; the
    # libraries' bytecode was written when they were installed).
    subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "pipeline")], check=True)
    run_cold(build + ["--anno", "2021"])  # not measured: writes the compiled templates (.cache/modelli)
    floor_args = [py, "-c", "import pandas, matplotlib.pyplot, weasyprint, jinja2"]
    floor_name = "import di pandas, matplotlib.pyplot, WeasyPrint, Jinja2"
    large_name = ("build forma grande (40 bandi, 5.000 gruppi, 100.000 progetti, "
                  "1.000.000 di incontri in 6 anni, 4 temi)")
    sample_1m = large = None
    scale: list[tuple[int, Run]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        if not args.skip_large:
            for meetings in SCALE:
                folders[meetings] = Path(tmp) / f"grande-{meetings}"
                write_edition(folders[meetings], Shape(**{**LARGE.__dict__, "incontri": meetings}))
        # The measures the targets compare, and the scaling series, taking turns.
        trio = [(floor_args, args.runs), (build + ["--anno", "2021"], args.runs)]
        trio += [(build + ["--data", str(folders[m])], args.large_runs) for m in folders]
        found, cpus = interleaved(trio)
        imports, one = found[0], found[1]
        by_size = dict(zip(folders, found[2:]))
        cpu_by_size = dict(zip(folders, cpus[2:]))
        for name, result in ((floor_name, imports), ("build 2021", one)):
            rows.append((name, result))
            print(_row(name, result), flush=True)
        measure("`--help`", [py, "-m", "pipeline", "--help"], args.runs)
        measure("`check --anno 2021`", [py, "-m", "pipeline", "check", "--anno", "2021"], args.runs)
        measure("build di tutte le edizioni di esempio", build, args.runs)
        if folders:
            large = by_size[LARGE.incontri]
            data = sample_with_meetings(Path(tmp) / "campione", 1_000_000)
            sample_1m = measure("build 2021 con 1.000.000 di incontri (16 gruppi, 3 bandi)",
                                build + ["--data", str(data)], args.large_runs)
            for meetings in SCALE:
                result = by_size[meetings]
                scale.append((meetings, result))
                print(_row(f"forma grande, {meetings} incontri", result), flush=True)
            rows.append((large_name, large))
    header = ("| misura | CPU (s) | reale (s) | memoria (MiB) | " + " | ".join(STAGES)
              + " | resto (avvio, import, scrittura) |")
    align = "|---|" + "---:|" * (4 + len(STAGES))
    lines = [
        "# Benchmark",
        "",
        f"Generato da `python bench/benchmark.py --runs {args.runs} --large-runs {args.large_runs}` "
        f"(Python {platform.python_version()}, {os.cpu_count()} core, macchina condivisa). "
        "Processi nuovi, a freddo (cartella di uscita nuova, cache dei grafici vuota; il bytecode del "
        "pacchetto `pipeline/` e i modelli Jinja compilati in `.cache/modelli/` già scritti, come dopo "
        "la prima esecuzione); tempo CPU (utente + "
        "sistema) di tutto il processo, mediana delle esecuzioni; memoria: picco (max RSS) del processo. "
        "Import, build 2021 e forma grande (con la serie di scala) si alternano esecuzione per esecuzione, così che una macchina "
        "che rallenta o accelera durante la misura pesi allo stesso modo sui tre e i rapporti restino validi. "
        "Le colonne delle fasi sono il tempo CPU di ciascuna fase (le importazioni pigre di matplotlib e "
        "WeasyPrint cadono in `grafici` e `pdf`).",
        "",
        header, align,
        *[_row(name, r) for name, r in rows],
        "",
        f"- build 2021 / import: {_ratio(one.cpu, imports.cpu, 1.15)}; {turn_ratios(cpus[0], cpus[1])}",
    ]
    if large:
        lines.append(f"- forma grande / build 2021: {_ratio(large.cpu, one.cpu, 2.0)}; "
                     f"{turn_ratios(cpus[1], cpu_by_size[LARGE.incontri])}; memoria massima "
                     f"{large.rss} MiB (obiettivo: 512 MiB, "
                     f"{'raggiunto' if large.rss <= 512 else 'non raggiunto'})")
    if sample_1m:
        lines.append(f"- 2021 con 1.000.000 di incontri / build 2021: **{sample_1m.cpu / one.cpu:.2f}×**, "
                     f"memoria massima {sample_1m.rss} MiB")
    if scale:
        render = ("grafici", "contesto", "pdf", "html")
        lines += [
            "",
            "## Scala: la forma grande con 10.000, 100.000 e 1.000.000 di incontri",
            "",
            "Stessi bandi, gruppi, progetti e temi; cambia solo il numero di incontri. Il costo di lettura e "
            "controllo cresce con le righe; quello di resa (grafici, contesto, PDF, pagina) non dipende dagli "
            "incontri.",
            "",
            "| incontri | CPU (s) | memoria (MiB) | carica + controlla + aggrega | grafici + contesto + pdf + html |",
            "|---:|---:|---:|---:|---:|",
            *[f"| {m:_} | {r.cpu:.2f} | {r.rss} | ".replace("_", ".")
              + f"{sum(r.stages.get(s, 0.0) for s in ('carica', 'controlla', 'aggrega')):.2f} | "
              f"{sum(r.stages.get(s, 0.0) for s in render):.2f} |"
              for m, r in scale],
        ]
    out = ROOT / "bench" / "risultati.md"
    out.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
