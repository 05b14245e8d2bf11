"""Aggregate stage: pure pandas functions from checked records to figures.

Each function takes frames (and the reference date) and returns a frame, a
series or a number; none reads files or formats text. `summarise` gathers
them into one `Figures` object for the context stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .schema import AREAS, MODES
from .validate import Dataset

TOTAL = "Totale"


def counted_meetings(incontri: pd.DataFrame, reference: date) -> pd.DataFrame:
    """Meetings dated on or before the reference date (the ones counted)."""
    return incontri.loc[incontri["data"] <= pd.Timestamp(reference)]


def groups_table(bandi: pd.DataFrame, gruppi: pd.DataFrame) -> pd.DataFrame:
    """Groups by call (rows, in `bandi` order, labelled `nome anno`) and
    macro-area (columns, ISTAT order), with row and column totals."""
    counts = (gruppi.groupby(["bando", "area"], observed=False).size()
              .unstack("area").reindex(index=bandi["bando"], columns=list(AREAS)).fillna(0).astype(int))
    counts.index = pd.Index(bandi["etichetta"].to_list(), name="bando")
    counts.columns.name = None
    counts[TOTAL] = counts.sum(axis=1)
    counts.loc[TOTAL] = counts.sum(axis=0)
    return counts


def projects_by_call(bandi: pd.DataFrame, progetti: pd.DataFrame) -> pd.DataFrame:
    """Per call, in `bandi` order: projects listed and projects involved
    (those in a group)."""
    listed = progetti.groupby("bando").size()
    involved = progetti.loc[progetti["gruppo"].notna()].groupby("bando").size()
    frame = pd.DataFrame({"progetti": listed, "coinvolti": involved}).reindex(bandi["bando"]).fillna(0).astype(int)
    frame.insert(0, "etichetta", bandi["etichetta"].to_list())
    return frame


def meetings_by_theme(meetings: pd.DataFrame, temi: pd.DataFrame) -> pd.DataFrame:
    """Per theme, in `temi` order: meetings, groups that met on it, the
    distinct facilitators who led those meetings, the first meeting's date."""
    grouped = meetings.groupby("tema", observed=True)
    frame = pd.DataFrame({
        "incontri": grouped.size(),
        "gruppi": distinct_pairs(meetings, "tema", "gruppo").groupby("tema").size(),
        "facilitatori": distinct_pairs(meetings, "tema", "facilitatore").groupby("tema").size(),
        "primo": grouped["data"].min(),
    })
    frame.index = frame.index.astype(object)
    frame = frame.reindex(temi["tema"])
    counts = ["incontri", "gruppi", "facilitatori"]
    frame[counts] = frame[counts].fillna(0).astype(int)
    frame["titolo"] = temi["titolo"].to_numpy()
    frame["ciclo"] = temi["ciclo"].to_numpy()
    return frame


def distinct_pairs(frame: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """The distinct (first, second) value pairs of `frame`'s rows, missing
    values left out, as plain (object) columns. Categorical columns (the
    meetings') are paired by their integer codes, counted in one pass,
    instead of hashing a million pairs."""
    a, b = frame[first], frame[second]
    if not (isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype)):
        pairs = frame[[first, second]].dropna().drop_duplicates()
        return pairs.astype(object).reset_index(drop=True)
    a_codes, b_codes = a.cat.codes.to_numpy(np.int64), b.cat.codes.to_numpy(np.int64)
    known = (a_codes >= 0) & (b_codes >= 0)
    width = len(b.cat.categories)
    seen = np.flatnonzero(np.bincount(a_codes[known] * width + b_codes[known],
                                      minlength=len(a.cat.categories) * width))
    return pd.DataFrame({first: np.asarray(a.cat.categories, dtype=object)[seen // width],
                         second: np.asarray(b.cat.categories, dtype=object)[seen % width]})


def meetings_by_mode(meetings: pd.DataFrame) -> pd.Series:
    """Meetings per mode, in the contract's order (zeros kept)."""
    return meetings["modalita"].value_counts().reindex(list(MODES), fill_value=0).astype(int)


def meetings_by_month(meetings: pd.DataFrame, until: date | None = None) -> pd.Series:
    """Meetings per calendar month, from the first month with a meeting to
    the month of `until` (the reference date; default: the last month with a
    meeting), months without meetings included as zero."""
    if meetings.empty:
        return pd.Series(dtype=int)
    # Months as numbers (datetime64[M]) counted in one pass, not a million Periods.
    months = meetings["data"].to_numpy().astype("datetime64[M]").astype(np.int64)
    first, last = int(months.min()), int(months.max())
    if until:
        last = max(last, (until.year - 1970) * 12 + until.month - 1)
    counts = np.bincount(months - first, minlength=last - first + 1)
    full = pd.period_range(pd.Period(year=1970 + first // 12, month=first % 12 + 1, freq="M"), periods=len(counts),
                           freq="M")
    return pd.Series(counts, index=full, name="count").astype(int)


def cycle_coverage(meetings: pd.DataFrame, gruppi: pd.DataFrame, temi: pd.DataFrame) -> pd.DataFrame:
    """Per group (in `gruppi` order): its area, the cycle positions of the
    themes it has met on (a sorted tuple), and whether it covered them all."""
    cycle = temi.loc[temi["ciclo"].notna(), ["tema", "ciclo"]]
    # Distinct (group, theme) pairs first (grouped by the categorical codes):
    # a few thousand to join, not a million meetings.
    on_cycle = distinct_pairs(meetings, "gruppo", "tema").merge(cycle, on="tema")
    positions = on_cycle[["gruppo", "ciclo"]].drop_duplicates().sort_values(["gruppo", "ciclo"])
    covered: dict[str, tuple[int, ...]] = {}
    for group, position in zip(positions["gruppo"], positions["ciclo"]):
        covered[group] = covered.get(group, ()) + (int(position),)
    frame = gruppi[["gruppo", "area"]].reset_index(drop=True)
    frame["temi_ciclo"] = [covered.get(g, ()) for g in frame["gruppo"]]
    frame["completo"] = frame["temi_ciclo"].map(len) == cycle["ciclo"].nunique()
    return frame


@dataclass
class Figures:
    """Every figure of one edition, as numbers and frames (not text)."""

    tab: pd.DataFrame
    per_bando: pd.DataFrame
    per_tema: pd.DataFrame
    per_modalita: pd.Series
    per_mese: pd.Series
    ciclo: pd.DataFrame
    gruppi: int
    gruppi_senza_incontri: int
    facilitatori: int  # distinct facilitators of the meetings counted
    progetti_coinvolti: int
    progetti_senza_gruppo: int
    bandi_coinvolti: int
    incontri: int
    incontri_esclusi: int
    partecipanti: int
    primo_incontro: date | None
    ultimo_incontro: date | None

    @property
    def per_area(self) -> pd.Series:
        """Groups per macro-area (the Tab's total row, without its total)."""
        return self.tab.loc[TOTAL].drop(TOTAL)


def summarise(data: Dataset, reference: date) -> Figures:
    """All the figures of an edition, from its checked records."""
    meetings = counted_meetings(data.incontri, reference)
    per_bando = projects_by_call(data.bandi, data.progetti)
    return Figures(
        tab=groups_table(data.bandi, data.gruppi),
        per_bando=per_bando,
        per_tema=meetings_by_theme(meetings, data.temi),
        per_modalita=meetings_by_mode(meetings),
        per_mese=meetings_by_month(meetings, reference),
        ciclo=cycle_coverage(meetings, data.gruppi, data.temi),
        gruppi=len(data.gruppi),
        gruppi_senza_incontri=int((~data.gruppi["gruppo"].isin(meetings["gruppo"].unique())).sum()),
        facilitatori=int(meetings["facilitatore"].nunique()),
        progetti_coinvolti=int(per_bando["coinvolti"].sum()),
        progetti_senza_gruppo=int(data.progetti["gruppo"].isna().sum()),
        bandi_coinvolti=int((per_bando["coinvolti"] > 0).sum()),
        incontri=len(meetings),
        incontri_esclusi=len(data.incontri) - len(meetings),
        partecipanti=int(meetings["partecipanti"].sum()),
        primo_incontro=meetings["data"].min().date() if len(meetings) else None,
        ultimo_incontro=meetings["data"].max().date() if len(meetings) else None,
    )


# The main figures compared with the previous edition: (label, Figures attribute).
COMPARED = (
    ("incontri", "incontri"),
    ("gruppi", "gruppi"),
    ("progetti coinvolti", "progetti_coinvolti"),
    ("bandi coinvolti", "bandi_coinvolti"),
    ("facilitatori", "facilitatori"),
)


def compare(previous: Figures, current: Figures) -> pd.DataFrame:
    """The main figures of two editions side by side, with the change."""
    frame = pd.DataFrame(
        [(label, getattr(previous, name), getattr(current, name)) for label, name in COMPARED],
        columns=["indicatore", "precedente", "attuale"]).set_index("indicatore")
    frame["variazione"] = frame["attuale"] - frame["precedente"]
    return frame
