"""Storing one chunk of parsed records: dictionaries first, then the histograms.

Everything here runs inside the chunk's transaction.  Run, lumisection and
title ids are cached per job (:class:`IdCache`); the caller drops the cache
when the transaction rolls back, since ids created in it are gone.
Histograms go in with an explicit conflict target on both engines, so a
re-parse inserts nothing twice while NOT NULL and foreign-key violations
still raise (SQLite's ``INSERT OR IGNORE`` would hide them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sciplane import EntryError, HistogramRecord, database, utcnow

from .. import arrays
from . import bulk
from .rows import ChunkRows

# Rows per statement for the small dictionary tables (SQLite allows 32,766 bound values).
ROWS_PER_STATEMENT = 1000


@dataclass
class IdCache:
    """Ids of dictionary rows this job has already resolved."""

    runs: set[int] = field(default_factory=set)
    lumisections: dict[tuple[int, int], int] = field(default_factory=dict)
    titles: dict[tuple[str, int], int] = field(default_factory=dict)

    def clear(self) -> None:
        self.runs.clear()
        self.lumisections.clear()
        self.titles.clear()


def check(record: HistogramRecord, *, dimensionality: int, granularity: str, max_bins: int) -> EntryError | None:
    """The store's own validation of a parser's record (spec 3.5); None when it may be stored."""

    def bad(message: str, code: str = "bad_value") -> EntryError:
        return EntryError(record.entry, code, message, line=record.line, run=record.run, lumi=record.lumi,
                          title=record.title)

    data = record.data
    if not isinstance(data, np.ndarray) or data.ndim != dimensionality:
        return bad(f"data must be a {dimensionality}D array")
    if record.x_bin * (record.y_bin or 1) > max_bins:
        return bad(f"{record.x_bin * (record.y_bin or 1)} bins exceed the limit of {max_bins}", "too_many_bins")
    if data.shape != arrays.shape_of(record.x_bin, record.y_bin if dimensionality == 2 else None):
        return bad(f"data has shape {data.shape}, which does not match the bin counts")
    if record.run < 1:
        return bad("run must be at least 1")
    if (granularity == "lum") != (record.lumi >= 1) or record.lumi < 0:
        return bad("lumi must be at least 1" if granularity == "lum" else "lumi must be 0 for run-level records")
    if not 1 <= len(record.title) <= 1024 or "\x00" in record.title:
        return bad("title must have 1 to 1024 characters and no NUL")
    if record.entries < 0:
        return bad("entries must not be negative")
    axes = [("x", record.x_bin, record.x_min, record.x_max, record.x_edges)]
    if dimensionality == 2:
        axes.append(("y", record.y_bin, record.y_min, record.y_max, record.y_edges))
    for name, bins, low, high, edges in axes:
        if low is None or high is None or not (math.isfinite(low) and math.isfinite(high) and low < high):
            return bad(f"{name} limits must be finite with min < max")
        if edges is not None:
            edges = np.asarray(edges, dtype=np.float64)
            if (edges.shape != (bins + 1,) or not np.all(np.diff(edges) > 0)
                    or edges[0] != low or edges[-1] != high):
                return bad(f"{name} edges must be {bins + 1} increasing values from min to max")
    return None


def store_chunk(records: list[HistogramRecord], *, dim: int, source_file: int, cache: IdCache) -> int:
    """Insert the chunk's histograms (first record per lumisection and title wins); returns rows inserted."""
    if not records:
        return 0
    lumisections = _lumisection_ids({(r.run, r.lumi) for r in records}, cache)
    titles = _title_ids(list(dict.fromkeys(r.title for r in records)), dim, cache)
    rows = ChunkRows.of(records, dim=dim, lumisection_ids=[lumisections[r.run, r.lumi] for r in records],
                        title_ids=[titles[r.title, dim] for r in records], source_file=source_file,
                        created=utcnow())
    return bulk.insert(rows)


def _lumisection_ids(keys: set[tuple[int, int]], cache: IdCache) -> dict[tuple[int, int], int]:
    missing = sorted(k for k in keys if k not in cache.lumisections)
    if missing:
        now = utcnow()
        new_runs = sorted({run for run, _ in missing} - cache.runs)
        _insert_ignoring_duplicates("dqm_run", ("run_number", "created"), [(run, now) for run in new_runs],
                                    "run_number")
        cache.runs.update(new_runs)
        _insert_ignoring_duplicates("dqm_lumisection", ("run_number", "ls_number", "created"),
                                    [(run, ls, now) for run, ls in missing], "run_number, ls_number")
        for run, ls, ident in _select_in("SELECT run_number, ls_number, id FROM dqm_lumisection WHERE",
                                         "(run_number, ls_number)", missing):
            cache.lumisections[run, ls] = ident
    return cache.lumisections


def _title_ids(names: list[str], dim: int, cache: IdCache) -> dict[tuple[str, int], int]:
    # Inserted in order of first appearance: title ids order histograms within a lumisection.
    missing = [name for name in names if (name, dim) not in cache.titles]
    if missing:
        _insert_ignoring_duplicates("dqm_title", ("title", "dim"), [(name, dim) for name in missing], "title, dim")
        for name, ident in _select_in(f"SELECT title, id FROM dqm_title WHERE dim = {int(dim)} AND", "title",
                                      [(name,) for name in missing]):
            cache.titles[name, dim] = ident
    return cache.titles


def _insert_ignoring_duplicates(table: str, columns: tuple[str, ...], rows: list[tuple], target: str) -> int:
    inserted = 0
    names = ", ".join(columns)
    one = "(" + ", ".join([database.param] * len(columns)) + ")"
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        batch = rows[start:start + ROWS_PER_STATEMENT]
        sql = (f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(batch))} "
               f"ON CONFLICT ({target}) DO NOTHING")
        cursor = database.execute_sql(sql, [value for row in batch for value in row])
        inserted += cursor.rowcount
    return inserted


def _select_in(select: str, key: str, values: list[tuple]) -> list[tuple]:
    """Rows of ``select`` (ending in WHERE or AND) whose ``key`` (a column or a tuple of columns) is in ``values``."""
    found: list[tuple] = []
    for start in range(0, len(values), ROWS_PER_STATEMENT):
        batch = values[start:start + ROWS_PER_STATEMENT]
        width = len(batch[0])
        one = database.param if width == 1 else "(" + ", ".join([database.param] * width) + ")"
        sql = f"{select} {key} IN ({', '.join([one] * len(batch))})"
        found.extend(database.execute_sql(sql, [v for row in batch for v in row]).fetchall())
    return found
