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
import queue
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import peewee

from sciplane import (
    EntryError,
    HistogramRecord,
    ParseError,
    ParserKey,
    database,
    is_postgres,
    is_transient,
    utcnow,
    write_transaction,
)
from sciplane.db import close_connection

from ..models import DqmFile, ParseJob
from . import store
from .rows import ChunkRows

log = logging.getLogger("sciplane.dqm")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
KEPT_ERRORS = 100
PARSE_ATTEMPTS = 4  # a job parses again from its last committed chunk at most this many times in all


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
    size: int = 0  # records, in all its parts
    nbytes: int = 0  # their arrays' bytes
    failed: int = 0  # entries that failed (``on_error=skip``)
    errors: list[dict] = field(default_factory=list)  # the first KEPT_ERRORS of them: no job keeps more
    last_entry: int = 0


PARTS_PER_CHUNK = 8  # a part holds up to this share of a chunk's limits; the writer's queue holds as many
_CLOSE, _DISCARD, _STOP = object(), object(), object()


class _Discarded(Exception):
    """The caller gave up the open chunk: its transaction rolls back."""


class JobTakenOver(Exception):
    """Another worker claimed the job since this one did (this one's heartbeat looked stale)."""


class ChunkWriter:
    """Stores chunks in order on a thread (and database connection) of its own, while the caller parses.

    A chunk reaches the writer in parts (``add``), then ``close`` ends it.  On PostgreSQL (``streaming``)
    each part is stored as it arrives, inside the chunk's transaction, and the commit follows the close:
    the database works on a chunk while the rest of it is being parsed, instead of waiting for the whole
    chunk (64 MiB of 2D histograms) and then storing the last one after parsing has ended.  On SQLite the
    parts are gathered and stored at the close: a transaction there holds the database's only write lock,
    which should not wait for the parser.

    At most ``depth`` parts or markers wait in the queue, which bounds memory.  A failure on the writer is
    raised to the caller at its next call or at ``finish``; ``finish`` discards a chunk left open (its
    transaction rolls back, so no partial chunk is ever stored).
    """

    def __init__(self, commit: Callable[[Chunk, Iterator[ChunkRows]], None], *, streaming: bool,
                 depth: int):
        self._commit = commit
        self._streaming = streaming
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._failure: BaseException | None = None
        self._reported = False  # whether the caller has had the failure raised already
        self._open: Chunk | None = None
        self._waiting = False
        self._thread = threading.Thread(target=self._serve, name="dqm-writer")
        self._thread.start()

    def add(self, chunk: Chunk, rows: ChunkRows) -> None:
        """Hand over the next rows of ``chunk`` (opening it on the writer at its first part)."""
        self._begin(chunk)
        self._put(rows)

    def close(self, chunk: Chunk) -> None:
        """End ``chunk``: its counts and errors are final, and it commits once its parts are stored."""
        self._begin(chunk)
        self._put(_CLOSE)
        self._open = None

    @property
    def idle(self) -> bool:
        """Whether a part handed over now would be stored at once: the writer streams and waits for work with
        none queued.  A hint, read without a lock."""
        return self._streaming and self._waiting and self._queue.empty()

    def finish(self) -> None:
        """Wait until every closed chunk is committed; raises the writer's failure, if any."""
        if self._open is not None and self._failure is None:
            self._queue.put(_DISCARD)
        self._queue.put(_STOP)  # never blocks for long: the writer drains the queue, even after a failure
        self._thread.join()
        if self._failure is not None and not self._reported:
            self._reported = True
            raise self._failure

    def _begin(self, chunk: Chunk) -> None:
        if self._open is not chunk:
            self._put(chunk)
            self._open = chunk

    def _put(self, item: object) -> None:
        if self._failure is not None:
            self._reported = True
            raise self._failure
        self._queue.put(item)

    def _serve(self) -> None:
        """The writer thread: commits chunk after chunk; after a failure it only drains the queue."""
        try:
            while (item := self._get()) is not _STOP:
                if isinstance(item, Chunk) and self._failure is None:
                    try:
                        parts = self._parts()
                        if not self._streaming:
                            parts = iter(list(parts))  # SQLite: the whole chunk before its transaction
                        self._commit(item, parts)
                    except _Discarded:
                        pass
                    except BaseException as exc:  # raised to the caller, on its thread
                        self._failure = exc
        finally:
            close_connection()  # the writer thread's pooled connection

    def _get(self) -> object:
        self._waiting = True
        try:
            return self._queue.get()
        finally:
            self._waiting = False

    def _parts(self) -> Iterator[ChunkRows]:
        while (item := self._get()) is not _CLOSE:
            if item is _DISCARD:
                raise _Discarded
            yield item


def claim(job_id: int, stale_after_s: float) -> ParseJob | None:
    """Take the job for this process, as it reads once taken (its ``attempts`` is this claim's token); None when
    it is not queued and not stale (a duplicate enqueue)."""
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
        return ParseJob.get_by_id(job_id) if claimed else None  # in the claim's transaction: no other claim between


def run_job(ctx, job_id: int, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The job task: returns a summary for the core's job record.

    ``progress(entries_processed, entries_total)`` is called after each committed chunk (the CLI's bar).
    """
    settings = ctx.plugin_settings("dqm")
    job = claim(job_id, settings.stale_after_s)
    if job is None:
        return {"job": job_id, "claimed": False}
    try:
        Loader(ctx, job, settings, progress).run()
    except JobTakenOver:  # its new owner finishes it; this worker's last write rolled back
        log.warning("dqm parse job %s was taken over by another worker; this one stops", job_id)
    except JobFailed as failure:
        _finish_failed(job, failure.error)
    except Exception as exc:  # the worker's log has the traceback; the job keeps type and text only
        log.exception("dqm parse job %s failed unexpectedly", job_id)
        code = "store_error" if _from_database(exc) else "internal_error"
        message = ("the database refused a chunk" if code == "store_error"
                   else f"{type(exc).__name__}: {exc}"[:1000])
        _finish_failed(job, {"code": code, "message": message, "entry": None, "line": None, "run": None,
                             "lumi": None, "title": None})
    return {"job": job_id, "claimed": True}


def _from_database(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a statement: peewee's error, or the driver's own, which the bulk
    paths meet directly (``executemany`` on SQLite, COPY on PostgreSQL bypass peewee's translation).  Its text
    may quote SQL and values, so the job records a generic message instead."""
    import sqlite3
    refusals: tuple[type[BaseException], ...] = (peewee.DatabaseError, sqlite3.Error)
    try:
        import psycopg2
    except ImportError:  # a SQLite-only installation
        return isinstance(exc, refusals)
    return isinstance(exc, (*refusals, psycopg2.Error))


def owned(job: ParseJob) -> peewee.Expression:
    """The job's row while this worker's claim holds: every write of a claimed job is conditional on it, so a
    worker that was merely paused past ``stale_after_s`` (its job handed to another) changes nothing."""
    return (ParseJob.id == job.id) & (ParseJob.attempts == job.attempts)


def _finish_failed(job: ParseJob, error: dict) -> None:
    with write_transaction():
        if not (ParseJob.update(status=FAILED, error=error, finished=utcnow(), heartbeat=utcnow())
                .where(owned(job)).execute()):
            log.warning("dqm parse job %s was taken over by another worker; its failure here is not recorded", job.id)


def _taken_over_unless(updated: int) -> None:
    if not updated:  # the transaction rolls back: nothing of this worker's lands after the takeover
        raise JobTakenOver


def _open_regular(path: str) -> BinaryIO:
    """The registered file, opened for reading; a job fails if it is gone or is no longer a regular file.  Opened
    without blocking: a FIFO put in its place would otherwise hold the worker until something writes to it."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        raise JobFailed("file_missing", f"the registered file {path} cannot be opened") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise JobFailed("file_missing", f"the registered file {path} is no longer a regular file")
    os.set_blocking(descriptor, True)  # reads as usual from here (a network file system may heed the flag)
    return os.fdopen(descriptor, "rb")


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
        stream = _open_regular(file.filepath)
        with stream:
            self._check_unchanged(os.fstat(stream.fileno()))
            try:
                # Counted when new, and again while nothing is stored: the file may have changed since its count.
                if self.job.entries_total is None or self.job.entries_processed == 0:
                    self._record_total(spec.parser.count(stream, key=self.key))
                    stream.seek(0)
                self._parse_resuming(spec.parser, stream)
            except ParseError as exc:
                raise JobFailed(exc.code, exc.message, entry=exc.entry, line=exc.line) from None
        self._finish_done()

    def _check_unchanged(self, on_disk: os.stat_result) -> None:
        job = self.job
        if job.entries_processed == 0:
            with write_transaction():
                _taken_over_unless(ParseJob.update(file_size=on_disk.st_size, file_mtime=on_disk.st_mtime)
                                   .where(owned(job)).execute())
        elif (job.file_size, job.file_mtime) != (on_disk.st_size, on_disk.st_mtime):
            raise JobFailed("file_changed", "the file changed since parsing started; use force=true to re-parse it")

    def _record_total(self, total: int) -> None:
        with write_transaction():
            _taken_over_unless(ParseJob.update(entries_total=total, heartbeat=utcnow())
                               .where(owned(self.job)).execute())
        self.job.entries_total = total

    def _parse_resuming(self, parser, stream) -> None:
        """Parse from the last committed chunk; after a chunk lost a deadlock, parse again from there.

        Two jobs of one run (two files, two workers) insert the same new runs, lumisections and titles in
        their chunk transactions, not always in the same order; PostgreSQL then aborts one of them.  That
        chunk's parts are gone (they are streamed, not kept), but the job resumes as after a crash: the chunks
        before it are committed and ``entries_processed`` says where they end.
        """
        for attempt in range(1, PARSE_ATTEMPTS + 1):
            try:
                return self._parse(parser, stream)
            except Exception as exc:
                if attempt == PARSE_ATTEMPTS or not is_transient(exc):
                    raise
            log.info("dqm parse job %s lost a deadlock; parsing again from entry %s (attempt %d of %d)",
                     self.job.id, self.job.entries_processed, attempt + 1, PARSE_ATTEMPTS)
            stream.seek(0)

    def _parse(self, parser, stream) -> None:
        writer = ChunkWriter(self._commit, streaming=is_postgres(database), depth=PARTS_PER_CHUNK + 2)
        try:
            self._chunks(parser, stream, writer)
        finally:
            writer.finish()  # chunks completed before a failure are committed, as they would be in line

    def _chunks(self, parser, stream, writer: ChunkWriter) -> None:
        chunk, part, part_nbytes = Chunk(self.job.entries_processed), [], 0
        skip_errors = self.job.on_error == "skip"
        # Settings read once: the loop runs once per entry, and a settings attribute is a method call.
        dimensionality, granularity = self.key.dimensionality, self.key.granularity
        max_bins, chunk_records, chunk_bytes = self.settings.max_bins, self.chunk_records, self.settings.chunk_bytes
        # A part goes to the writer at an eighth of the chunk's byte limit (2D histograms), or at an eighth of
        # its record limit when the writer has nothing else to do.  Each part costs the writer a few round
        # trips, so a writer kept busy anyway (1D CSV, chunk after chunk) gets whole chunks, while an idle one
        # starts on the first records at once instead of waiting for the whole chunk.
        part_bytes = max(chunk_bytes // PARTS_PER_CHUNK, 1)
        part_records = max(chunk_records // PARTS_PER_CHUNK, 1)
        for item in parser.parse(stream, key=self.key, start=self.job.entries_processed):
            if isinstance(item, HistogramRecord):
                problem = store.check(item, dimensionality=dimensionality, granularity=granularity,
                                      max_bins=max_bins)
                if problem is None:
                    part.append(item)
                    part_nbytes += item.data.nbytes
                    chunk.size += 1
                    chunk.nbytes += item.data.nbytes
                    chunk.last_entry = item.entry
                else:
                    item = problem
            if isinstance(item, EntryError):
                if not skip_errors:  # the open chunk is discarded: no partial chunk is ever stored
                    raise JobFailed(**error_of(item))
                chunk.failed += 1
                if len(chunk.errors) < KEPT_ERRORS:
                    chunk.errors.append(error_of(item))
                chunk.last_entry = item.entry
            # Failed entries count toward the chunk too: a long run of them still commits progress (and the
            # heartbeat) chunk by chunk.
            closing = chunk.size + chunk.failed >= chunk_records or chunk.nbytes >= chunk_bytes
            if part and (closing or part_nbytes >= part_bytes or (len(part) >= part_records and writer.idle)):
                writer.add(chunk, self._prepare(part))
                part, part_nbytes = [], 0
            if closing:
                writer.close(chunk)
                chunk = Chunk(chunk.last_entry)
        if part:
            writer.add(chunk, self._prepare(part))
        if chunk.size or chunk.failed:
            writer.close(chunk)

    def _prepare(self, records: list[HistogramRecord]) -> ChunkRows:
        return store.prepare(records, dim=self.key.dimensionality, source_file=self.job.file_id)

    def _commit(self, chunk: Chunk, parts: Iterator[ChunkRows]) -> None:
        """One chunk's transaction (on the writer's thread): its histograms, part by part as they arrive,
        and the job's progress together."""
        job = self.job
        try:
            with write_transaction():
                inserted = sum(store.store_rows(part, cache=self.cache) for part in parts)
                # The parts are exhausted: the chunk is closed and its counts are final.
                covered = chunk.last_entry - chunk.previous
                kept = (job.errors + chunk.errors)[:KEPT_ERRORS]
                _taken_over_unless(ParseJob.update(
                    entries_processed=chunk.last_entry,
                    histograms_created=ParseJob.histograms_created + inserted,
                    entries_duplicate=ParseJob.entries_duplicate + chunk.size - inserted,
                    entries_skipped=ParseJob.entries_skipped + covered - chunk.size - chunk.failed,
                    entries_failed=ParseJob.entries_failed + chunk.failed,
                    errors=kept, chunks_committed=ParseJob.chunks_committed + 1, heartbeat=utcnow())
                 .where(owned(job)).execute())
        except BaseException:
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
            trailing = max(total - job.entries_processed, 0)  # skipped entries after the last chunk
            _taken_over_unless(ParseJob.update(
                entries_processed=total, entries_skipped=ParseJob.entries_skipped + trailing, status=DONE,
                error=None, finished=utcnow(), heartbeat=utcnow()).where(owned(job)).execute())
