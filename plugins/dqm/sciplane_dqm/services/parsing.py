"""``start_parsing``: one job per (file, dimensionality, granularity), created, resumed or reset here.

The job row changes in one transaction and the task is enqueued only after
it commits, so a worker never sees a job that might still roll back; the
worker's conditional claim makes a duplicate enqueue harmless.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from sciplane import APIError, Conflict, ParserKey, utcnow, write_transaction

from ..models import DqmFile, ParseJob
from . import files
from .ingest import DONE, FAILED, QUEUED, RUNNING

TASK = "dqm.parse"


@dataclass(frozen=True)
class ParseRequest:
    dimensionality: int
    granularity: str
    filetype: str | None = None
    force: bool = False
    on_error: str = "fail"
    location: str = "json"  # where the parameters came from ("json", "form" or "query"), for error bodies


def supported(ctx) -> list[dict[str, Any]]:
    return [{"filetype": k.filetype, "dimensionality": k.dimensionality, "granularity": k.granularity}
            for k in ctx.parsers.keys()]


def start(ctx, file_id: int, request: ParseRequest, *, enqueue: bool = True) -> ParseJob:
    """Checks in the specification's order (7.4), then create, resume or reset the job and enqueue it
    (``enqueue=False``: the caller runs it in its own process)."""
    file = files.get(file_id)
    if request.filetype is not None and files.canonical(request.filetype) != file.filetype:
        raise APIError(f"the file is of type {file.filetype}, not {files.canonical(request.filetype)}",
                       status=422, code="filetype_mismatch")
    key = ParserKey(file.filetype, request.dimensionality, request.granularity)
    spec = ctx.parsers.get(key)
    if spec is None:
        problem = (f"no parser for filetype {key.filetype}, dimensionality {key.dimensionality}, "
                   f"granularity {key.granularity}")
        raise APIError(f"No parser is registered for {key}", status=422, code="parser_not_found",
                       errors={request.location: {"granularity": [problem]}}, supported=supported(ctx))
    if not os.path.isfile(file.filepath):
        raise APIError(f"{file.filepath} is no longer on disk", status=422, code="file_not_found")
    parser_name = f"{spec.plugin} {spec.version or ''}".strip()[:128]
    job = _create_or_requeue(file, key, request, parser_name)
    if enqueue:
        ctx.jobs.enqueue(TASK, job_id=job.id)
    return ParseJob.get_by_id(job.id)


def _create_or_requeue(file: DqmFile, key: ParserKey, request: ParseRequest, parser_name: str) -> ParseJob:
    with write_transaction():
        # The file's row, as a DELETE of the file takes it: starts and deletes of one file take turns (so its
        # jobs need no lock of their own), and a start after a committed DELETE finds no file (404).
        files.get(file.id, lock=True)
        job = (ParseJob.select().where((ParseJob.file == file.id) & (ParseJob.dimensionality == key.dimensionality)
                                       & (ParseJob.granularity == key.granularity)).get_or_none())
        if job is None:
            job = ParseJob.create(file=file.id, filetype=file.filetype, dimensionality=key.dimensionality,
                                  granularity=key.granularity, parser=parser_name, status=QUEUED,
                                  on_error=request.on_error, heartbeat=utcnow())
        else:
            _requeue(file, job, request, parser_name)
        DqmFile.update(modified=utcnow()).where(DqmFile.id == file.id).execute()
    return job


def _requeue(file: DqmFile, job: ParseJob, request: ParseRequest, parser_name: str) -> None:
    if job.status in (QUEUED, RUNNING):
        raise Conflict(f"HistogramDataFile with pk {file.id} is being parsed (dimensionality {job.dimensionality}, "
                       f"granularity {job.granularity})", code="parse_in_progress", job=files.job_summary(job))
    if job.status == DONE and not request.force:
        raise Conflict(f"HistogramDataFile with pk {file.id} is already parsed (dimensionality "
                       f"{job.dimensionality}, granularity {job.granularity}); use force=true to re-parse",
                       code="already_parsed", job=files.job_summary(job))
    changes: dict[Any, Any] = {ParseJob.status: QUEUED, ParseJob.on_error: request.on_error,
                               ParseJob.parser: parser_name, ParseJob.error: None, ParseJob.finished: None,
                               ParseJob.heartbeat: utcnow()}
    if request.force:  # histograms_created is a lifetime count of this job's rows: never reset here
        changes.update({ParseJob.entries_total: None, ParseJob.entries_processed: 0, ParseJob.entries_duplicate: 0,
                        ParseJob.entries_skipped: 0, ParseJob.entries_failed: 0, ParseJob.errors: []})
    elif job.status == FAILED:
        changes[ParseJob.errors] = job.errors
    ParseJob.update(changes).where(ParseJob.id == job.id).execute()


def reconcile(ctx, stale_after_s: float) -> list[int]:
    """Queue again the jobs a dead worker held or a lost enqueue left waiting; returns their ids."""
    now = utcnow()
    stale = (ParseJob.status.in_([QUEUED, RUNNING])
             & (ParseJob.heartbeat < now - dt.timedelta(seconds=stale_after_s)))
    with write_transaction():
        ids = [row.id for row in ParseJob.select(ParseJob.id).where(stale).order_by(ParseJob.id)]
        if ids:  # the same condition again: a worker may have claimed one meanwhile
            ParseJob.update(status=QUEUED, heartbeat=now).where(ParseJob.id.in_(ids) & stale).execute()
    for job_id in ids:
        ctx.jobs.enqueue(TASK, job_id=job_id)
    return ids
