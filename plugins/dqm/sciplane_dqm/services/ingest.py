"""Running one parse job: claim it, count, then parse and commit chunk by chunk.

Each chunk's histograms and the job's progress commit in one transaction,
so the database always holds whole chunks and ``entries_processed`` says
exactly where they end: a worker killed at any moment resumes from there
without duplicates (spec 6.3, 6.6).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import peewee

from sciplane import EntryError, HistogramRecord, ParseError, ParserKey, utcnow, write_transaction
from sciplane.db import close_connection

from ..models import DqmFile, ParseJob
from . import store

log = logging.getLogger("sciplane.dqm")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
KEPT_ERRORS = 100


class JobFailed(Exception):
    """Ends the job as failed with ``error``."""

    def __init__(self, code: str, message: str, **where: Any):
        super().__init__(message)
        self.error = {"code": code, "message": message, "entry": None, "line": None, "run": None, "lumi": None,
                      "title": None, **where}


def error_of(item: EntryError) -> dict[str, Any]:
    return {"code": item.code, "message": item.message, "entry": item.entry, "line": item.line, "run": item.run,
            "lumi": item.lumi, "title": item.title}


@dataclass
class Chunk:
    previous: int  # the entry the last chunk ended on
    records: list[HistogramRecord] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    last_entry: int = 0
    nbytes: int = 0


class ChunkWriter:
    """Commits chunks in order on a thread (and database connection) of its own, so the next chunk is
    parsed while the database stores this one; parsing and storing then overlap on two cores.

    At most one chunk is being committed while the caller fills the next: memory stays at two chunks.
    A commit's exception is raised to the caller at its next ``submit`` or at ``finish``.
    """

    def __init__(self, commit: Callable[[Chunk], None]):
        self._commit = commit
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dqm-writer")
        self._pending: Future | None = None

    def submit(self, chunk: Chunk) -> None:
        self.wait()
        self._pending = self._executor.submit(self._commit, chunk)

    def wait(self) -> None:
        """Until the chunk in flight is committed (its exception raised here)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def finish(self) -> None:
        try:
            self.wait()
        finally:
            self._executor.submit(close_connection).result()  # the writer thread's pooled connection
            self._executor.shutdown()


def claim(job_id: int, stale_after_s: float) -> bool:
    """Take the job for this process; False when it is not queued and not stale (a duplicate enqueue)."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=stale_after_s)
    with write_transaction():
        claimed = (ParseJob.update(status=RUNNING, attempts=ParseJob.attempts + 1,
                                   worker=f"{socket.gethostname()}:{os.getpid()}"[:128], heartbeat=now,
                                   started=peewee.fn.COALESCE(ParseJob.started, now))
                   .where((ParseJob.id == job_id)
                          & ((ParseJob.status == QUEUED)
                             | ((ParseJob.status == RUNNING) & (ParseJob.heartbeat < stale))))
                   .execute())
    return bool(claimed)


def run_job(ctx, job_id: int, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The job task: returns a summary for the core's job record.

    ``progress(entries_processed, entries_total)`` is called after each committed chunk (the CLI's bar).
    """
    settings = ctx.plugin_settings("dqm")
    if not claim(job_id, settings.stale_after_s):
        return {"job": job_id, "claimed": False}
    job = ParseJob.get_by_id(job_id)
    try:
        Loader(ctx, job, settings, progress).run()
    except JobFailed as failure:
        _finish_failed(job_id, failure.error)
    except Exception as exc:  # the worker's log has the traceback; the job keeps type and text only
        log.exception("dqm parse job %s failed unexpectedly", job_id)
        code = "store_error" if isinstance(exc, peewee.DatabaseError) else "internal_error"
        message = ("the database refused a chunk" if code == "store_error"
                   else f"{type(exc).__name__}: {exc}"[:1000])
        _finish_failed(job_id, {"code": code, "message": message, "entry": None, "line": None, "run": None,
                                "lumi": None, "title": None})
    return {"job": job_id, "claimed": True}


def _finish_failed(job_id: int, error: dict) -> None:
    with write_transaction():
        (ParseJob.update(status=FAILED, error=error, finished=utcnow(), heartbeat=utcnow())
         .where(ParseJob.id == job_id).execute())


class Loader:
    """The loop of one claimed job."""

    def __init__(self, ctx, job: ParseJob, settings, progress: Callable[[int, int], None] | None = None):
        self.ctx = ctx
        self.progress = progress
        self.job = job
        self.settings = settings
        self.key = ParserKey(job.filetype, job.dimensionality, job.granularity)
        self.cache = store.IdCache()
        self.chunk_records = settings.chunk_entries_1d if job.dimensionality == 1 else settings.chunk_entries_2d

    def run(self) -> None:
        spec = self.ctx.parsers.get(self.key)
        if spec is None:
            raise JobFailed("parser_not_found", f"no parser is registered for {self.key}")
        file = DqmFile.get_by_id(self.job.file_id)
        try:
            stream = open(file.filepath, "rb")  # noqa: SIM115 - closed below, after the generator is done
        except OSError:
            raise JobFailed("file_missing", f"the registered file {file.filepath} cannot be opened") from None
        with stream:
            self._check_unchanged(os.fstat(stream.fileno()))
            try:
                if self.job.entries_total is None:
                    self._record_total(spec.parser.count(stream, key=self.key))
                    stream.seek(0)
                self._parse(spec.parser, stream)
            except ParseError as exc:
                raise JobFailed(exc.code, exc.message, entry=exc.entry, line=exc.line) from None
        self._finish_done()

    def _check_unchanged(self, stat: os.stat_result) -> None:
        job = self.job
        if job.entries_processed == 0:
            with write_transaction():
                (ParseJob.update(file_size=stat.st_size, file_mtime=stat.st_mtime)
                 .where(ParseJob.id == job.id).execute())
        elif (job.file_size, job.file_mtime) != (stat.st_size, stat.st_mtime):
            raise JobFailed("file_changed", "the file changed since parsing started; use force=true to re-parse it")

    def _record_total(self, total: int) -> None:
        with write_transaction():
            ParseJob.update(entries_total=total, heartbeat=utcnow()).where(ParseJob.id == self.job.id).execute()
        self.job.entries_total = total

    def _parse(self, parser, stream) -> None:
        writer = ChunkWriter(self._commit)
        try:
            self._chunks(parser, stream, writer)
        finally:
            writer.finish()  # chunks completed before a failure are committed, as they would be in line

    def _chunks(self, parser, stream, writer: ChunkWriter) -> None:
        chunk = Chunk(self.job.entries_processed)
        skip_errors = self.job.on_error == "skip"
        for item in parser.parse(stream, key=self.key, start=self.job.entries_processed):
            if isinstance(item, HistogramRecord):
                problem = store.check(item, dimensionality=self.key.dimensionality,
                                      granularity=self.key.granularity, max_bins=self.settings.max_bins)
                if problem is None:
                    chunk.records.append(item)
                    chunk.nbytes += item.data.nbytes
                    chunk.last_entry = item.entry
                else:
                    item = problem
            if isinstance(item, EntryError):
                if not skip_errors:  # the open chunk is discarded: no partial chunk is ever stored
                    raise JobFailed(**error_of(item))
                chunk.errors.append(error_of(item))
                chunk.last_entry = item.entry
            if len(chunk.records) >= self.chunk_records or chunk.nbytes >= self.settings.chunk_bytes:
                writer.submit(chunk)
                chunk = Chunk(chunk.last_entry)
        if chunk.records or chunk.errors:
            writer.submit(chunk)

    def _commit(self, chunk: Chunk) -> None:
        """One chunk's transaction (on the writer's thread): histograms and the job's progress together."""
        job = self.job
        covered = chunk.last_entry - chunk.previous
        try:
            with write_transaction():
                inserted = store.store_chunk(chunk.records, dim=self.key.dimensionality, source_file=job.file_id,
                                             cache=self.cache)
                kept = (job.errors + chunk.errors)[:KEPT_ERRORS]
                (ParseJob.update(
                    entries_processed=chunk.last_entry,
                    histograms_created=ParseJob.histograms_created + inserted,
                    entries_duplicate=ParseJob.entries_duplicate + len(chunk.records) - inserted,
                    entries_skipped=ParseJob.entries_skipped + covered - len(chunk.records) - len(chunk.errors),
                    entries_failed=ParseJob.entries_failed + len(chunk.errors),
                    errors=kept, chunks_committed=ParseJob.chunks_committed + 1, heartbeat=utcnow())
                 .where(ParseJob.id == job.id).execute())
        except peewee.DatabaseError:
            self.cache.clear()  # ids created by the rolled-back transaction are gone
            raise
        job.entries_processed = chunk.last_entry
        job.errors = kept
        if self.progress:
            self.progress(job.entries_processed, job.entries_total or 0)
        if self.settings.chunk_delay_s:
            time.sleep(self.settings.chunk_delay_s)

    def _finish_done(self) -> None:
        job = self.job
        total = job.entries_total or 0
        with write_transaction():
            (ParseJob.update(entries_processed=total,
                             entries_skipped=ParseJob.entries_skipped + max(total - job.entries_processed, 0),
                             status=DONE, error=None, finished=utcnow(), heartbeat=utcnow())
             .where(ParseJob.id == job.id).execute())
