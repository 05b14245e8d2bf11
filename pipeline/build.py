"""The build, top to bottom: load -> validate -> aggregate -> charts ->
context -> render -> publish, for each edition, then the editions index.

Every edition is built in memory first; only when all of them succeeded is
anything written under `output/` (atomically, see `publish`). `build()` keeps
no state in memory between calls, so a preview server may call it on every
save; the only state on disk is the content-addressed chart cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

from . import aggregate, charts, context, formatting, load, render, validate
from .edition import Edition, Organisation, editions_in, load_edition, load_organisation
from .errors import InputError, Problem, UsageError, display_path
from .publish import check_target, edition_manifest, claim, clean_leftovers, locked, publish, publish_file
from .schema import TABLES

ASSET_DIRS = ("fonts",)  # asset folders the web page needs beside it


@dataclass
class Built:
    """One edition rendered in memory, ready to publish."""

    edition: Edition
    files: dict[str, bytes]
    warnings: list[Problem]


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class _Clock:
    """Prints one line per stage with its duration."""

    def __init__(self, log: Callable[[str], None], anno: int):
        self.log, self.anno = log, anno

    def stage(self, name: str, fn, *args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        elapsed = time.perf_counter() - start
        self.log(f"  {self.anno}  {name:<10} {formatting.number(round(elapsed, 2))} s")
        return result


def publication_date(edition: Edition) -> date:
    """SOURCE_DATE_EPOCH when set, else the edition's reference date: the
    clock never enters an output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    return edition.data_riferimento


def _load_tables(folder: Path) -> dict[str, load.RawTable]:
    """Every CSV file of an edition folder, read."""
    return {t.name: load.read_table(t.name, folder / t.file, t.distinct) for t in TABLES}


def _csv_problems(folder: Path) -> list[Problem]:
    """The problems of an edition's CSV files when its edizione.toml could
    not be read (no reference date: no warnings), so that one run shows
    every problem of every file."""
    try:
        validate.validate(_load_tables(folder), None)
    except InputError as exc:
        return exc.problems
    return []


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{formatting.number(round(n / 1_000_000, 1))}\u00a0MB"
    return f"{formatting.number(max(1, round(n / 1000)))}\u00a0kB"


def _navigation(ctx: context.Context, files: dict[str, bytes], neighbours: dict) -> dict:
    parts = ("Parte prima", "Parte seconda", "Parte terza", "Parte quarta")
    current = ctx.sezione.parte.casefold()
    voci = [{"testo": "Home", "href": f"https://{ctx.ente.siti[0]}" if ctx.ente.siti else None, "corrente": False},
            {"testo": f"Bilancio sociale {ctx.anno}", "href": None, "corrente": False}]
    voci += [{"testo": p, "href": ctx.sezione.pagina if p.casefold() == current else None,
              "corrente": p.casefold() == current} for p in parts]
    voci.append({"testo": "Precedenti edizioni", "href": "../index.html", "corrente": False})
    return {"voci": voci, "dimensioni": {k: _size(len(v)) for k, v in files.items()}, **neighbours}


def _versions() -> dict[str, str]:
    names = ("pandas", "numpy", "matplotlib", "weasyprint", "jinja2", "babel")
    return {"python": platform.python_version(), **{n: metadata.version(n) for n in names}}


def _manifest(edition: Edition, data_dir: Path, tables, extra_inputs: list[Path], files: dict[str, bytes]) -> bytes:
    def rel(p: Path) -> str:
        return Path(os.path.relpath(p, data_dir.parent)).as_posix()
    inputs = [{"path": rel(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "rows": None}
              for p in extra_inputs]
    inputs += [{"path": rel(t.path), "sha256": t.sha256, "rows": t.rows} for t in tables.values()]
    outputs = [{"path": k, "sha256": hashlib.sha256(v).hexdigest()} for k, v in sorted(files.items())]
    manifest = {
        "edizione": {"anno": edition.anno, "sezione": edition.sezione.numero, "titolo": edition.sezione.titolo,
                     "parte": edition.sezione.parte, "tabella": edition.sezione.tabella,
                     "data_riferimento": edition.data_riferimento.isoformat(),
                     "pagina": edition.sezione.pagina, "pdf": edition.sezione.pdf,
                     "csv": edition.sezione.tabella_csv},
        "input": inputs,
        "output": outputs,
        "versioni": _versions(),
    }
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass
class Summary:
    """An edition's records read, checked and aggregated."""

    tables: dict[str, load.RawTable]
    data: validate.Dataset
    figures: aggregate.Figures


def summarise_edition(edition: Edition, log) -> Summary:
    """Load, validate and aggregate one edition (raises InputError)."""
    clock = _Clock(log, edition.anno)
    tables = clock.stage("carica", _load_tables, edition.folder)
    data = clock.stage("controlla", validate.validate, tables, edition.data_riferimento)
    figures = clock.stage("aggrega", aggregate.summarise, data, edition.data_riferimento)
    return Summary(tables, data, figures)


def build_edition(edition: Edition, ente: Organisation, data_dir: Path, log, neighbours: dict,
                  pdf_variant: str | None, summary: Summary,
                  previous: tuple[Edition, Summary] | None = None) -> Built:
    """One edition, from its summary to the bytes of every output."""
    clock = _Clock(log, edition.anno)
    tables, data, figures = summary.tables, summary.data, summary.figures
    drawn = clock.stage("grafici", charts.draw, figures, charts.cache_dir())
    comparison = None
    if previous:
        comparison = (previous[0].anno, aggregate.compare(previous[1].figures, figures))
    ctx = clock.stage("contesto", context.make, edition, ente, figures, drawn, publication_date(edition),
                      comparison)
    files: dict[str, bytes] = {}
    files[ctx.file_pdf] = clock.stage("pdf", render.pdf, ctx, pdf_variant)
    files[edition.sezione.tabella_csv] = render.table_csv(ctx)
    files["dati/cifre.json"] = render.figures_json(ctx)
    for g in ctx.grafici:
        files[g.file] = g.svg.encode("utf-8")
    for folder in ASSET_DIRS:
        source = render.ASSETS / folder
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    files[f"assets/{path.relative_to(render.ASSETS).as_posix()}"] = path.read_bytes()
    files[ctx.sezione.pagina] = clock.stage("html", render.html_page, ctx, _navigation(ctx, files, neighbours))
    files["manifest.json"] = _manifest(edition, data_dir, tables, [edition.folder / "edizione.toml",
                                                                   data_dir / "ente.toml"], files)
    return Built(edition, files, data.warnings)


def _previous_year(available: list[int], year: int) -> int | None:
    """The latest edition before `year`, the one its figures are compared with."""
    earlier = [y for y in available if y < year]
    return earlier[-1] if earlier else None


def _with_previous(available: list[int], years: list[int]) -> set[int]:
    """`years` and the editions they are compared with."""
    return set(years) | {p for y in years if (p := _previous_year(available, y))}


def _neighbours(editions: dict[int, Edition], anno: int, building: set[int], out_dir: Path) -> dict:
    """Links to the same section in the previous and next edition, when that
    edition is built now or already published."""
    def link(year):
        e = editions.get(year)
        if year is None or e is None or not (year in building or edition_manifest(out_dir / str(year))):
            return None
        return {"anno": year, "titolo": f"{e.sezione.numero} {e.sezione.titolo}",
                "href": f"../{year}/{e.sezione.pagina}"}
    years = sorted(editions)
    before = [y for y in years if y < anno]
    after = [y for y in years if y > anno]
    return {"precedente": link(before[-1] if before else None), "successiva": link(after[0] if after else None)}


def _published_file(folder: Path, manifest: dict, value) -> str | None:
    """`value` when it is a plain relative path (no scheme, no way out of
    the folder) to a file the manifest lists and that exists; else None."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*",
                                                        value):
        return None
    listed = {o.get("path") for o in manifest["output"] if isinstance(o, dict)}
    return value if value in listed and (folder / value).is_file() else None


def _index(out_dir: Path, ente: Organisation) -> bytes:
    """The editions index, from the manifests of the editions this pipeline
    published in `out_dir`: links are relative paths to files that exist
    there (a folder or a manifest it did not write is not listed)."""
    entries = []
    for year in sorted(editions_in(out_dir), reverse=True):
        folder = out_dir / str(year)
        manifest = edition_manifest(folder)
        if manifest is None:
            continue
        try:
            e = manifest["edizione"]
            links = {key: _published_file(folder, manifest, e[key]) for key in ("pagina", "pdf", "csv")}
            if e["anno"] != year or None in links.values() or not _published_file(folder, manifest,
                                                                                    "dati/cifre.json"):
                continue
            entries.append({"anno": year, "titolo": f"{e['sezione']} {e['titolo']}", "parte": str(e["parte"]),
                            "data_riferimento": date.fromisoformat(e["data_riferimento"]),
                            "pagina": links["pagina"], "pdf": links["pdf"], "tabella": links["csv"]})
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not an edition this pipeline published (or edited by hand): not listed
    return render.index_page(entries, ente)


def build(data_dir: Path = Path("data/raw"), out_dir: Path = Path("output"), years: list[int] | None = None,
          log: Callable[[str], None] = print, pdf_variant: str | None = "pdf/ua-1",
          adopt: bool = False) -> BuildResult:
    """Build the given editions (default: every edition folder) and the
    index. Raises InputError (nothing written) or UsageError (an output
    folder the build must not write into, see `publish.check_target`;
    `adopt` accepts an existing folder it did not create)."""
    available = editions_in(data_dir)
    if years:
        missing = [y for y in years if y not in available]
        if missing:
            raise UsageError(f"nessuna cartella di edizione per {', '.join(map(str, missing))} in "
                             f"{display_path(data_dir)} (presenti: {', '.join(map(str, available)) or 'nessuna'})")
    else:
        years = available
        if not years:
            raise UsageError(f"nessuna edizione in {display_path(data_dir)}: serve una cartella come "
                             f"{display_path(data_dir / '2021')}")
    check_target(out_dir, data_dir, [str(y) for y in years], adopt)
    ente, problems = load_organisation(data_dir)
    editions: dict[int, Edition] = {}
    needed = _with_previous(available, years)
    for year in available:
        edition, found = load_edition(data_dir, year)
        if year in needed:
            problems += found
        if edition:
            editions[year] = edition
    summaries: dict[int, Summary] = {}
    for year in sorted(needed):
        if year not in editions:  # edizione.toml unreadable: still check its CSV files
            problems += _csv_problems(data_dir / str(year))
            continue
        try:
            summaries[year] = summarise_edition(editions[year], log)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    built = []
    for year in years:
        prev = _previous_year(available, year)
        built.append(build_edition(
            editions[year], ente, data_dir, log, _neighbours(editions, year, set(years), out_dir), pdf_variant,
            summaries[year], (editions[prev], summaries[prev]) if prev else None))
    result = BuildResult()
    with locked(out_dir):
        check_target(out_dir, data_dir, [str(y) for y in years], adopt)  # again: another build may have run
        claim(out_dir, adopt)
        clean_leftovers(out_dir)
        for b in built:
            target = publish(out_dir, str(b.edition.anno), b.files)
            result.written += [target / name for name in sorted(b.files) if not name.startswith("assets/")]
            result.warnings += b.warnings
        publish_file(out_dir / "index.html", _index(out_dir, ente))
        result.written.append(out_dir / "index.html")
    return result


def check(data_dir: Path = Path("data/raw"), years: list[int] | None = None) -> list[Problem]:
    """Validate only (no charts, no rendering). Raises InputError or
    UsageError; returns the warnings."""
    available = editions_in(data_dir)
    years = years or available
    if not years or any(y not in available for y in years):
        raise UsageError(f"nessuna cartella di edizione da controllare in {display_path(data_dir)}")
    ente, problems = load_organisation(data_dir)
    warnings: list[Problem] = []
    for year in sorted(_with_previous(available, years)):
        edition, found = load_edition(data_dir, year)
        problems += found
        if edition is None:
            problems += _csv_problems(data_dir / str(year))
            continue
        try:
            warnings += validate.validate(_load_tables(edition.folder), edition.data_riferimento).warnings
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return warnings
