"""A chunk the database refuses: after a lost deadlock the job parses again from its last committed chunk and
ends done, without duplicates; any other database failure (peewee's or the driver's, or a deadlock on every
attempt) fails the job with ``store_error`` and keeps nothing of the chunk.  And the store's own check of a
record's ``entries``, which would otherwise reach the database as NaN."""

from __future__ import annotations

import logging
import sqlite3
import threading

import numpy as np
import peewee
import pytest

from sciplane import HistogramRecord
from sciplane_dqm.models import ParseJob
from sciplane_dqm.services import ingest, store
from sciplane_dqm.testing import expect, legacy_row, run_jobs_at_once, write_csv

ROW_BYTES = 100 * 8  # one 1D record below: 100 float64 bins


class _DriverError(Exception):
    """What the driver raises: its SQLSTATE in ``pgcode``."""

    def __init__(self, pgcode: str):
        super().__init__(f"simulated {pgcode}")
        self.pgcode = pgcode


def _refusal(pgcode: str) -> peewee.OperationalError:
    try:
        raise _DriverError(pgcode)
    except _DriverError as exc:
        error = peewee.OperationalError(f"simulated {pgcode} in SELECT secret FROM dqm_title")
        error.__cause__ = exc
        return error


def rows_file(path, rows: int = 10):
    return write_csv(path, [legacy_row(f"t{i}", np.arange(102) % 7, bins=(100,)) for i in range(1, rows + 1)])


@pytest.fixture
def dqm_settings():
    return {"chunk_entries_1d": 4, "chunk_bytes": 8 * ROW_BYTES}  # chunks 1-4, 5-8, 9-10


@pytest.fixture
def refuse_in_chunk(monkeypatch):
    """``refuse_in_chunk(n, pgcode, times)``: the first ``times`` transactions of chunk ``n`` (1-based, counted
    again on every attempt of that chunk) fail in their first part as PostgreSQL fails a statement; ``pgcode``
    may also be a function returning the exception to raise."""
    state = {"chunk": None, "refused": 0}
    real_commit, real_store = ingest.Loader._commit, store.store_rows

    def arm(number: int, pgcode: str, times: int) -> dict:
        state.update(number=number, pgcode=pgcode, times=times)
        return state

    def commit(self, chunk, parts):
        state["chunk"] = chunk.previous // 4 + 1
        return real_commit(self, chunk, parts)

    def store_rows(rows, *, cache):
        if state["chunk"] == state.get("number") and state["refused"] < state["times"]:
            state["refused"] += 1
            pgcode = state["pgcode"]
            raise pgcode() if callable(pgcode) else _refusal(pgcode)
        return real_store(rows, cache=cache)

    monkeypatch.setattr(ingest.Loader, "_commit", commit)
    monkeypatch.setattr(store, "store_rows", store_rows)
    return arm


def chunks_committed(app, job: dict) -> int:
    with app.sciplane.database.connection_context():
        return ParseJob.get_by_id(job["id"]).chunks_committed


def test_a_chunk_that_lost_a_deadlock_is_parsed_again_from_the_last_commit(api, app, data_root, refuse_in_chunk,
                                                                         caplog):
    state = refuse_in_chunk(2, "40P01", times=2)
    file = api.register(rows_file(data_root / "rows.csv"))
    with caplog.at_level(logging.INFO, logger="sciplane.dqm"):
        job = api.parse(file["id"], 1)
    assert state["refused"] == 2
    assert (job["status"], job["error"], job["histograms_created"], job["entries_duplicate"]) == ("done", None, 10, 0)
    assert (job["entries_processed"], chunks_committed(app, job)) == (10, 3)
    assert api.count(f"source_file={file['id']}") == 10
    resumed = [r.getMessage() for r in caplog.records if "lost a deadlock" in r.getMessage()]
    assert len(resumed) == 2 and all("from entry 4" in message for message in resumed), resumed


def test_a_serialization_failure_is_parsed_again_too(api, data_root, refuse_in_chunk):
    refuse_in_chunk(1, "40001", times=1)
    file = api.register(rows_file(data_root / "rows.csv"))
    job = api.parse(file["id"], 1)
    assert (job["status"], job["histograms_created"], job["entries_duplicate"]) == ("done", 10, 0)


def test_a_deadlock_on_every_attempt_fails_the_job(api, app, data_root, refuse_in_chunk):
    state = refuse_in_chunk(2, "40P01", times=99)
    file = api.register(rows_file(data_root / "rows.csv"))
    job = api.parse(file["id"], 1)
    assert state["refused"] == ingest.PARSE_ATTEMPTS
    assert (job["status"], job["error"]["code"]) == ("failed", "store_error")
    assert (job["entries_processed"], chunks_committed(app, job)) == (4, 1)  # the first chunk stays
    assert api.count(f"source_file={file['id']}") == 4


def test_any_other_database_failure_fails_the_job_at_once(api, app, data_root, refuse_in_chunk):
    state = refuse_in_chunk(2, "53100", times=99)  # disk full
    file = api.register(rows_file(data_root / "rows.csv"))
    job = api.parse(file["id"], 1)
    assert state["refused"] == 1
    assert (job["status"], job["error"]["code"], job["error"]["message"]) == (
        "failed", "store_error", "the database refused a chunk")  # no SQL, no driver text
    assert (job["entries_processed"], chunks_committed(app, job)) == (4, 1)
    assert api.count(f"source_file={file['id']}") == 4


def test_a_worker_whose_job_was_taken_over_stops_without_counting_twice(api, app, data_root, monkeypatch, caplog):
    """Another worker claimed the job (this one's heartbeat looked stale) and committed chunk 2 first: this
    worker's chunk 2 rolls back, and it stops without touching the job (no chunk, no `done`, no failure), which
    the other worker finishes."""
    file = api.register(rows_file(data_root / "rows.csv"))
    real_commit = ingest.Loader._commit

    def other_worker_commits_chunk_2(job_id: int) -> None:
        with app.sciplane.database.connection_context():
            (ParseJob.update(attempts=ParseJob.attempts + 1, entries_processed=8,  # its claim, then its chunk
                             chunks_committed=ParseJob.chunks_committed + 1)
             .where(ParseJob.id == job_id).execute())

    def commit(self, chunk, parts):
        if chunk.previous == 4:  # on a thread and connection of its own, before this chunk's transaction
            other = threading.Thread(target=other_worker_commits_chunk_2, args=(self.job.id,))
            other.start()
            other.join()
        return real_commit(self, chunk, parts)

    monkeypatch.setattr(ingest.Loader, "_commit", commit)
    with caplog.at_level(logging.WARNING, logger="sciplane.dqm"):
        job = api.parse(file["id"], 1)
    assert (job["status"], job["error"], job["entries_processed"], job["histograms_created"]) == (
        "running", None, 8, 4)
    assert chunks_committed(app, job) == 2
    assert api.count(f"source_file={file['id']}") == 4  # chunk 1's rows; this worker's chunk 2 rolled back
    assert [r for r in caplog.records if "taken over" in r.getMessage()]


def test_a_worker_taken_over_after_its_last_chunk_does_not_finish_the_job(api, app, data_root, monkeypatch):
    """The other worker claimed the job after this one's last commit: this one's `done` (with its count of
    trailing skipped entries) is not written; the job is the other worker's to finish."""
    file = api.register(rows_file(data_root / "rows.csv"))
    real_finish = ingest.Loader._finish_done

    def finish_done(self):
        with app.sciplane.database.connection_context():  # the other worker's claim
            ParseJob.update(attempts=ParseJob.attempts + 1).where(ParseJob.id == self.job.id).execute()
        return real_finish(self)

    monkeypatch.setattr(ingest.Loader, "_finish_done", finish_done)
    job = api.parse(file["id"], 1)
    assert (job["status"], job["error"], job["entries_processed"], job["attempts"]) == ("running", None, 10, 2)


def _sqlite_refusal() -> Exception:
    return sqlite3.IntegrityError("NOT NULL constraint failed: dqm_histogram.entries")


def _copy_refusal() -> Exception:
    psycopg2_errors = pytest.importorskip("psycopg2.errors")
    return psycopg2_errors.BadCopyFileFormat("row field count is 5, expected 19\nCONTEXT:  COPY dqm_histogram, line 1")


@pytest.mark.parametrize("refusal", [_sqlite_refusal, _copy_refusal], ids=["executemany", "copy"])
def test_the_drivers_own_refusal_is_a_store_error_without_its_text(api, app, data_root, refuse_in_chunk, refusal):
    """The bulk paths call the driver directly (``executemany``, COPY): its errors are the database's too."""
    refuse_in_chunk(2, refusal, times=1)
    file = api.register(rows_file(data_root / "rows.csv"))
    job = api.parse(file["id"], 1)
    assert (job["status"], job["error"]["code"], job["error"]["message"]) == (
        "failed", "store_error", "the database refused a chunk")
    assert (job["entries_processed"], chunks_committed(app, job)) == (4, 1)


@pytest.mark.parametrize("entries", [float("nan"), float("inf"), -1])
def test_entries_that_are_not_a_count_are_a_bad_value(entries):
    record = HistogramRecord(entry=7, run=1, lumi=2, title="t", entries=entries, x_bin=3, x_min=0.0, x_max=1.0,
                             data=np.zeros(3, np.float32), line=8)
    problem = store.check(record, dimensionality=1, granularity="lum", max_bins=100)
    assert (problem.code, problem.entry, problem.line, problem.title) == ("bad_value", 7, 8, "t")
    assert "entries" in problem.message


@pytest.mark.pg
def test_two_jobs_deadlocked_on_new_titles_both_finish(api, app, data_root, monkeypatch, caplog):
    """Two files of one run name two new MEs in opposite orders.  Each job's chunk inserts its first title,
    then needs the other's: PostgreSQL aborts one chunk, and that job parses again once the other committed."""
    values = np.arange(102) % 7
    seed = api.register(write_csv(data_root / "seed.csv", [legacy_row("c", values, bins=(100,), lumi=lumi)
                                                           for lumi in (1, 2)]))
    api.parse(seed["id"], 1)  # the run and both lumisections exist: only the titles are new
    files = [api.register(write_csv(data_root / f"lumi{lumi}.csv",
                                    [legacy_row(title, values, bins=(100,), lumi=lumi) for title in titles]))
             for lumi, titles in ((1, ("a", "b")), (2, ("b", "a")))]
    # Every record is a part of its own, and each job's first part waits until both jobs hold their first title.
    monkeypatch.setattr(ingest.ChunkWriter, "idle", property(lambda self: True))
    both_hold_one = threading.Barrier(2, timeout=20)
    waited: set[int] = set()
    real_store = store.store_rows

    def store_rows(rows, *, cache):
        inserted = real_store(rows, cache=cache)
        lumi = rows.columns["ls_number"][0]
        if lumi not in waited:
            waited.add(lumi)
            both_hold_one.wait()
        return inserted

    monkeypatch.setattr(store, "store_rows", store_rows)
    with caplog.at_level(logging.INFO, logger="sciplane.dqm"):
        jobs, failures = run_jobs_at_once(app.sciplane, [f["id"] for f in files], timeout_s=60)
    assert not failures
    finished = [expect(api.get(f"jobs/{job_id}/"), 200) for job_id in jobs]
    assert [(job["status"], job["histograms_created"]) for job in finished] == [("done", 2), ("done", 2)], finished
    assert [r for r in caplog.records if "lost a deadlock" in r.getMessage()], "no deadlock happened"
    assert api.count() == 6
    titles = [item["title"] for item in expect(api.get("titles/", "dim=1"), 200)["results"]]
    assert sorted(titles) == ["a", "b", "c"]
