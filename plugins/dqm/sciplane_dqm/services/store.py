"""Storing one chunk of parsed records: dictionaries first, then the histograms.

Records are checked and encoded first, on the parsing thread (:func:`check`,
:func:`prepare`); :func:`store_rows` then runs inside the chunk's
transaction.  Run, lumisection and title ids are cached per job
(:class:`IdCache`); the caller drops the cache when the transaction rolls
back, since ids created in it are gone.
Histograms go in with an explicit conflict target on both engines, so a
re-parse inserts nothing twice while NOT NULL and foreign-key violations
still raise (SQLite's ``INSERT OR IGNORE`` would hide them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sciplane import EntryError, HistogramRecord, database, is_postgres, utcnow

from .. import arrays
from . import bulk
from .rows import ChunkRows

# Rows per statement for the small dictionary tables (SQLite allows 32,766 bound values).
ROWS_PER_STATEMENT = 1000
# The columns' ranges (run and lumisection numbers are 32-bit, entries 64-bit, the ME type 16-bit): a value
# beyond them is the record's error, on both engines, not the chunk's.
INT32_MAX, INT64_MAX, INT16_MAX = 2 ** 31 - 1, 2 ** 63 - 1, 2 ** 15 - 1
# PostgreSQL's B-tree holds keys up to about 2,700 bytes: 1,024 characters of four UTF-8 bytes each would make
# the title's unique index refuse the whole chunk.
TITLE_MAX_BYTES = 2048
AXIS_LIMIT = 1e300  # see _axis_problem


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
    """The store's own validation of a parser's record (spec 3.5); None when it may be stored.

    It runs once per record on the parsing thread, so the checks read the record directly (no per-call
    closures or lists) and a problem is described only once one is found.
    """
    data = record.data
    if not isinstance(data, np.ndarray) or data.ndim != dimensionality:
        return _bad(record, f"data must be a {dimensionality}D array")
    bins = record.x_bin * (record.y_bin or 1)
    if bins > max_bins:
        return _bad(record, f"{bins} bins exceed the limit of {max_bins}", "too_many_bins")
    if data.shape != arrays.shape_of(record.x_bin, record.y_bin if dimensionality == 2 else None):
        return _bad(record, f"data has shape {data.shape}, which does not match the bin counts")
    if not 1 <= record.run <= INT32_MAX:
        return _bad(record, f"run must be from 1 to {INT32_MAX}")
    if (granularity == "lum") != (record.lumi >= 1) or record.lumi < 0:
        return _bad(record, "lumi must be at least 1" if granularity == "lum"
                    else "lumi must be 0 for run-level records")
    if record.lumi > INT32_MAX:
        return _bad(record, f"lumi must be at most {INT32_MAX}")
    if record.type_code is not None and not -INT16_MAX - 1 <= record.type_code <= INT16_MAX:
        return _bad(record, f"type_code must be from {-INT16_MAX - 1} to {INT16_MAX}")
    if not 1 <= len(record.title) <= 1024 or "\x00" in record.title:
        return _bad(record, "title must have 1 to 1024 characters and no NUL")
    if not record.title.isascii():  # ASCII (every DQM title seen so far) takes one byte a character: no encoding
        try:
            size = len(record.title.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate: a ROOT title that was not UTF-8, decoded with surrogateescape
            return _bad(record, "title is not valid UTF-8")
        if size > TITLE_MAX_BYTES:
            return _bad(record, f"title must take at most {TITLE_MAX_BYTES} bytes in UTF-8")
    if not (math.isfinite(record.entries) and 0 <= record.entries <= INT64_MAX):  # NaN fails every comparison
        return _bad(record, f"entries must be a number from 0 to {INT64_MAX}")
    problem = _axis_problem("x", record.x_bin, record.x_min, record.x_max, record.x_edges)
    if problem is None and dimensionality == 2:
        problem = _axis_problem("y", record.y_bin, record.y_min, record.y_max, record.y_edges)
    return None if problem is None else _bad(record, problem)


def _axis_problem(name: str, bins: int, low: float | None, high: float | None, edges) -> str | None:
    # Bounded well inside float64: bin edges and a plot's ticks are computed from the limits, and overflow near
    # its end (1.7e308 - -1.7e308 is infinite; matplotlib fails on limits of 1.5e308).  No axis comes close.
    if low is None or high is None or not (-AXIS_LIMIT <= low < high <= AXIS_LIMIT):
        return f"{name} limits must lie within ±{AXIS_LIMIT:g} with min < max"
    if edges is not None:
        edges = np.asarray(edges, dtype=np.float64)
        if edges.shape != (bins + 1,) or not np.all(np.diff(edges) > 0) or edges[0] != low or edges[-1] != high:
            return f"{name} edges must be {bins + 1} increasing values from min to max"
    return None


def _bad(record: HistogramRecord, message: str, code: str = "bad_value") -> EntryError:
    return EntryError(record.entry, code, message, line=record.line, run=record.run, lumi=record.lumi,
                      title=record.title)


def prepare(records: list[HistogramRecord], *, dim: int, source_file: int | None) -> ChunkRows:
    """The rows of checked records, encoded without the database: this runs on the parsing thread.

    On PostgreSQL the binary COPY block is laid out here too, so that storing it is little more than
    filling in the ids and sending it.
    """
    rows = ChunkRows.of(records, dim=dim, source_file=source_file, created=utcnow())
    if is_postgres(database):
        rows.lay_out(numbered=False)
    return rows


def store_rows(rows: ChunkRows, *, cache: IdCache) -> int:
    """Insert prepared rows (first row per lumisection and title wins) in the open transaction; returns the rows
    inserted."""
    if not rows.count:
        return 0
    keys = list(zip(rows.columns["run_number"], rows.columns["ls_number"], strict=True))
    lumisections = _lumisection_ids(set(keys), cache)
    titles = _title_ids(list(dict.fromkeys(rows.titles)), rows.dim, cache)
    rows.resolve([lumisections[key] for key in keys], [titles[title, rows.dim] for title in rows.titles])
    return bulk.insert(rows)


def _lumisection_ids(keys: set[tuple[int, int]], cache: IdCache) -> dict[tuple[int, int], int]:
    missing = sorted(k for k in keys if k not in cache.lumisections)
    if missing:
        now = utcnow()
        new_runs = sorted({run for run, _ in missing} - cache.runs)
        _insert_new("dqm_run", ("run_number", "created"), [(run, now) for run in new_runs], "run_number")
        cache.runs.update(new_runs)
        rows = [(run, ls, now) for run, ls in missing]
        for run, ls, ident in _insert_new("dqm_lumisection", ("run_number", "ls_number", "created"), rows,
                                          "run_number, ls_number", returning="run_number, ls_number, id"):
            cache.lumisections[run, ls] = ident
        stored_before = [key for key in missing if key not in cache.lumisections]
        for run, ls, ident in _select_in("SELECT run_number, ls_number, id FROM dqm_lumisection WHERE",
                                         "(run_number, ls_number)", stored_before):
            cache.lumisections[run, ls] = ident
    return cache.lumisections


def _title_ids(names: list[str], dim: int, cache: IdCache) -> dict[tuple[str, int], int]:
    # Inserted in order of first appearance: title ids order histograms within a lumisection.
    missing = [name for name in names if (name, dim) not in cache.titles]
    if missing:
        for name, ident in _insert_new("dqm_title", ("title", "dim"), [(name, dim) for name in missing],
                                       "title, dim", returning="title, id"):
            cache.titles[name, dim] = ident
        stored_before = [(name,) for name in missing if (name, dim) not in cache.titles]
        for name, ident in _select_in(f"SELECT title, id FROM dqm_title WHERE dim = {int(dim)} AND", "title",
                                      stored_before):
            cache.titles[name, dim] = ident
    return cache.titles


def _insert_new(table: str, columns: tuple[str, ...], rows: list[tuple], target: str,
                returning: str | None = None) -> list[tuple]:
    """Insert the rows whose ``target`` key is not stored yet; the ``returning`` columns of those inserted.

    The common case, keys never seen before, then costs one statement instead of an insert and a select.
    """
    inserted: list[tuple] = []
    names = ", ".join(columns)
    one = "(" + ", ".join([database.param] * len(columns)) + ")"
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        batch = rows[start:start + ROWS_PER_STATEMENT]
        sql = (f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(batch))} "
               f"ON CONFLICT ({target}) DO NOTHING" + (f" RETURNING {returning}" if returning else ""))
        cursor = database.execute_sql(sql, [value for row in batch for value in row])
        if returning:
            inserted += cursor.fetchall()
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
