"""The build, top to bottom: load -> validate -> aggregate -> charts ->
context -> render -> publish, for each edition, then the editions index.

Every edition is built in memory first; only when all of them succeeded is
anything written under `output/` (atomically, see `publish`). `build()` keeps
no state in memory between calls, so a preview server may call it on every
save; the only state on disk is the content-addressed chart cache.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from . import aggregate, charts, context, formatting, load, render, validate
from .edition import Edition, Organisation, edition_folders, load_edition, load_organisation
from .errors import InputError, Problem, UsageError, display_path
from .publish import check_target, clean_leftovers, locked, publish, publish_file
from .schema import TABLES, WORKBOOK


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
    """Every table of an edition folder, read: its CSV files, or the sheets
    of its workbook (whose reader is imported only then)."""
    if os.path.lexists(folder / WORKBOOK):
        from . import input_workbook
        return input_workbook.read_tables(folder)
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


def _records_key(edition: Edition) -> str:
    """A hash of what an edition's summary depends on: its reference date
    and every file of its folder but edizione.toml."""
    digest = hashlib.sha256(edition.data_riferimento.isoformat().encode())
    for path in sorted(edition.folder.iterdir()):
        if path.name != "edizione.toml" and path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _summarised(edition: Edition, log, memo: dict | None) -> Summary:
    """`summarise_edition`, or the summary that `memo` (the live preview's)
    kept from a build on the same records: a text edit skips reading."""
    if memo is None:
        return summarise_edition(edition, log)
    key = _records_key(edition)
    kept = memo.get(edition.anno)
    if kept and kept[0] == key:
        return kept[1]
    summary = summarise_edition(edition, log)
    if _records_key(edition) == key:  # not saved again meanwhile
        memo[edition.anno] = (key, summary)
    return summary


def _published_pdf(out_dir: Path, edition: Edition) -> bytes | bool:
    """The PDF already published for this edition, or False."""
    try:
        return (out_dir / str(edition.anno) / edition.sezione.pdf).read_bytes()
    except OSError:
        return False


def build_edition(edition: Edition, ente: Organisation, data_dir: Path, log, site: context.Site,
                  pdf_variant: str | None, summary: Summary,
                  previous: tuple[Edition, Summary] | None = None, with_pdf: bool | bytes = True) -> Built:
    """One edition, from its summary to the bytes of every output
    (`with_pdf`: see `render.edition_files`)."""
    clock = _Clock(log, edition.anno)
    drawn = clock.stage("grafici", charts.draw, summary.figures, charts.cache_dir())
    comparison = None
    warnings = list(summary.data.warnings)
    if previous:
        comparison = (previous[0].anno, aggregate.compare(previous[1].figures, summary.figures))
        warnings += validate.reattributed(previous[1].data, previous[0].anno, previous[0].data_riferimento,
                                          summary.data, summary.tables["incontri"].shown)
    ctx = clock.stage("contesto", context.make, edition, ente, summary.figures, drawn, publication_date(edition),
                      comparison, site, context.inputs(edition, data_dir, summary.tables))
    return Built(edition, render.edition_files(ctx, pdf_variant, clock.stage, with_pdf), sorted(warnings))


def _previous_year(available: list[int], year: int) -> int | None:
    """The latest edition before `year`, the one its figures are compared with."""
    earlier = [y for y in available if y < year]
    return earlier[-1] if earlier else None


def _with_previous(available: list[int], years: list[int]) -> set[int]:
    """`years` and the editions they are compared with."""
    return set(years) | {p for y in years if (p := _previous_year(available, y))}


def build(data_dir: Path = Path("data/raw"), out_dir: Path = Path("output"), years: list[int] | None = None,
          log: Callable[[str], None] = print, pdf_variant: str | None = "pdf/ua-1",
          adopt: bool = False, *, pdf: bool = True, durable: bool = True,
          still_current: Callable[[], bool] | None = None, memo: dict | None = None) -> BuildResult | None:
    """Build the given editions (default: every edition folder) and the
    index. Raises InputError (nothing written) or UsageError (an output
    folder the build must not write into, see `publish.check_target`;
    `adopt` accepts an existing folder it did not create).

    For the live preview: `pdf=False` keeps each edition's published PDF
    instead of rendering a new one; `durable=False` skips flushing to disk;
    `still_current` is asked, with the output folder locked, whether to
    publish at all (None is returned when it says no); `memo` keeps the
    editions' summaries from one call to the next."""
    available, ignored = edition_folders(data_dir)
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
            summaries[year] = _summarised(editions[year], log, memo)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, ignored)
    built = []
    site = context.site(editions, set(years), out_dir)
    for year in years:
        prev = _previous_year(available, year)
        built.append(build_edition(
            editions[year], ente, data_dir, log, site, pdf_variant,
            summaries[year], (editions[prev], summaries[prev]) if prev else None,
            True if pdf else _published_pdf(out_dir, editions[year])))
    result = BuildResult(warnings=list(ignored))
    with locked(out_dir):
        if still_current and not still_current():
            return None
        check_target(out_dir, data_dir, [str(y) for y in years], adopt)  # again: another build may have run
        clean_leftovers(out_dir)
        for b in built:
            target = publish(out_dir, str(b.edition.anno), b.files, durable)
            result.written += [target / name for name in sorted(b.files) if not name.startswith("assets/")]
            result.warnings += b.warnings
        publish_file(out_dir / "index.html", render.index_page(context.index_entries(out_dir), ente), durable)
        result.written.append(out_dir / "index.html")
    return result


def check(data_dir: Path = Path("data/raw"), years: list[int] | None = None) -> list[Problem]:
    """Validate only (no charts, no rendering). Raises InputError or
    UsageError; returns the warnings."""
    available, ignored = edition_folders(data_dir)
    years = years or available
    if not years or any(y not in available for y in years):
        raise UsageError(f"nessuna cartella di edizione da controllare in {display_path(data_dir)}")
    ente, problems = load_organisation(data_dir)
    warnings: list[Problem] = list(ignored)
    checked: dict[int, tuple[Edition, validate.Dataset, str]] = {}
    for year in sorted(_with_previous(available, years)):
        edition, found = load_edition(data_dir, year)
        problems += found
        if edition is None:
            problems += _csv_problems(data_dir / str(year))
            continue
        try:
            tables = _load_tables(edition.folder)
            data = validate.validate(tables, edition.data_riferimento)
            warnings += data.warnings
            checked[year] = (edition, data, tables["incontri"].shown)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, warnings)
    for year in years:  # meetings an edition now attributes to another facilitator than its predecessor did
        prev = _previous_year(available, year)
        if prev in checked:
            before, (edition, data, shown) = checked[prev], checked[year]
            warnings += validate.reattributed(before[1], prev, before[0].data_riferimento, data, shown)
    return warnings
