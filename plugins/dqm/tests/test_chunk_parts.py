"""Chunks handed to the writer in parts: a chunk still commits as a whole (or not at all), the writer's
failures reach the caller, and on PostgreSQL the arrays are stored lz4-compressed."""

from __future__ import annotations

import numpy as np
import pytest

from sciplane_dqm.models import ParseJob
from sciplane_dqm.services.ingest import Chunk, ChunkWriter
from sciplane_dqm.testing import expect, legacy_row, write_csv

ROW_BYTES = 100 * 8  # one 1D record of the synthetic file: 100 float64 bins


def synthetic(path, rows: int = 10, *, bad: int | None = None):
    """A 1D CSV of ``rows`` rows; row ``bad`` (1-based) has an unterminated ``histo`` list."""
    lines = [legacy_row(f"t{i}", np.arange(102) % 7, bins=(100,)) if i != bad
             else legacy_row(f"t{i}", [0] * 102, histo="[0, 1, 2") for i in range(1, rows + 1)]
    return write_csv(path, lines)


def chunks_committed(app, job: dict) -> int:
    with app.sciplane.database.connection_context():
        return ParseJob.get_by_id(job["id"]).chunks_committed


@pytest.fixture
def dqm_settings():
    # Chunks of 4 records whose byte limit makes every record a part of its own.
    return {"chunk_entries_1d": 4, "chunk_bytes": 8 * ROW_BYTES}


def test_a_failing_entry_discards_the_parts_of_its_chunk(api, app, data_root):
    file = api.register(synthetic(data_root / "bad.csv", bad=7))
    job = api.parse(file["id"], 1)
    assert (job["status"], job["error"]["code"], job["error"]["entry"]) == ("failed", "bad_json", 7)
    # Entries 5 and 6 reached the writer before entry 7 failed; their chunk rolled back with it.
    assert (job["entries_processed"], chunks_committed(app, job)) == (4, 1)
    assert api.count(f"source_file={file['id']}") == 4
    resumed = api.parse(file["id"], 1, on_error="skip")
    assert (resumed["status"], resumed["histograms_created"], resumed["entries_duplicate"]) == ("done", 9, 0)


def test_parts_commit_once_per_chunk(api, app, data_root):
    file = api.register(synthetic(data_root / "bad.csv", bad=7))
    job = api.parse(file["id"], 1, on_error="skip")
    # Chunks close at 4 records: 1-4, 5-9 (entry 7 failed and is not a record) and 10.
    assert (job["status"], job["histograms_created"], job["entries_failed"], chunks_committed(app, job)) == (
        "done", 9, 1, 3)
    stored = expect(api.get("histograms/", "title=t9"), 200)["results"]
    assert stored[0]["data"] == (np.arange(1, 101) % 7).tolist()


@pytest.mark.pg
def test_arrays_are_lz4_compressed_on_postgresql(api, app, data_root):
    database = app.sciplane.database
    with database.connection_context():
        lz4 = database.execute_sql("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                                   "WHERE name = 'default_toast_compression'").fetchone()[0]
        if not lz4:
            pytest.skip("this PostgreSQL server is built without lz4")
        method = database.execute_sql("SELECT attcompression FROM pg_attribute WHERE attname = 'data' "
                                      "AND attrelid = 'dqm_histogram'::regclass").fetchone()[0]
    assert method == "l"
    sparse = np.zeros((102, 102))
    sparse[50, 50] = 3
    rows = [legacy_row("zphi", sparse, metype=6, x=(0, 100), y=(0, 100), bins=(100, 100))]
    job = api.parse(api.register(write_csv(data_root / "sparse.csv", rows))["id"], 2)
    assert job["histograms_created"] == 1
    # A second file repeating that key and adding one goes through the staging table: its new array is lz4 too.
    rows.append(legacy_row("zeta", sparse, metype=6, x=(0, 100), y=(0, 100), bins=(100, 100)))
    job = api.parse(api.register(write_csv(data_root / "overlap.csv", rows))["id"], 2)
    assert (job["histograms_created"], job["entries_duplicate"]) == (1, 1)
    with database.connection_context():
        stored = database.execute_sql("SELECT pg_column_compression(data) FROM dqm_histogram").fetchall()
    # PostgreSQL moves a compressed value as it is: a stage left at pglz would have stored the second as pglz.
    assert stored == [("lz4",), ("lz4",)]


@pytest.mark.pg
def test_the_staging_table_compresses_as_the_table_does(app):
    """Rows that meet a stored key go through a temporary table; pglz there would triple the cost of a re-parse."""
    from sciplane import HistogramRecord
    from sciplane_dqm.services import store

    database = app.sciplane.database
    record = HistogramRecord(entry=1, run=1, lumi=1, title="z", entries=1, x_bin=100, x_min=0.0, x_max=1.0,
                             y_bin=100, y_min=0.0, y_max=1.0, type_code=6, data=np.zeros((100, 100), "f4"))
    with database.connection_context():
        wanted = database.execute_sql("SELECT attcompression FROM pg_attribute WHERE attname = 'data' "
                                      "AND attrelid = 'dqm_histogram'::regclass").fetchone()[0]
        with database.atomic() as transaction:
            cache = store.IdCache()
            assert store.store_rows(store.prepare([record], dim=2, source_file=None), cache=cache) == 1
            assert store.store_rows(store.prepare([record], dim=2, source_file=None), cache=cache) == 0
            staged = database.execute_sql("SELECT attcompression FROM pg_attribute WHERE attname = 'data' "
                                          "AND attrelid = to_regclass('pg_temp.dqm_histogram_stage')").fetchone()
            transaction.rollback()
    assert staged == (wanted,)


class TestWriter:
    """The writer alone, with a stand-in for the database transaction."""

    @staticmethod
    def run(chunks, *, streaming: bool = True, fail_at: int | None = None):
        """Hand ``chunks`` (lists of parts) to a writer; returns what each commit saw, and the caller's error."""
        seen = []

        def commit(chunk, parts):
            try:
                received = list(parts)
            except BaseException as exc:
                seen.append((chunk.previous, type(exc).__name__))
                raise
            if chunk.previous == fail_at:
                raise ValueError("refused")
            seen.append((chunk.previous, received, chunk.size))

        writer, error = ChunkWriter(commit, streaming=streaming, depth=2), None
        try:
            for previous, parts in enumerate(chunks):
                chunk = Chunk(previous)
                for part in parts:
                    writer.add(chunk, part)
                chunk.size = len(parts)
                if parts != ["open"]:
                    writer.close(chunk)
        except ValueError as exc:
            error = exc
        try:
            writer.finish()
        except ValueError as exc:
            error = exc
        return seen, error

    @pytest.mark.parametrize("streaming", [True, False])
    def test_chunks_commit_in_order_with_their_final_counts(self, streaming):
        seen, error = self.run([["a", "b", "c"], [], ["d"]], streaming=streaming)
        assert error is None
        assert seen == [(0, ["a", "b", "c"], 3), (1, [], 0), (2, ["d"], 1)]

    def test_a_failure_reaches_the_caller_and_stops_the_writer(self):
        seen, error = self.run([["a"], ["b"], ["c"], ["d"], ["e"]], fail_at=1)
        assert str(error) == "refused"
        assert seen == [(0, ["a"], 1)]

    def test_finish_discards_an_open_chunk(self):
        seen, error = self.run([["a"], ["open"]])
        assert error is None
        assert seen == [(0, ["a"], 1), (1, "_Discarded")]

    def test_an_open_chunk_never_reaches_a_gathering_writer(self):
        seen, error = self.run([["a"], ["open"]], streaming=False)
        assert error is None
        assert seen == [(0, ["a"], 1)]
