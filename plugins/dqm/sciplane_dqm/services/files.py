"""Histogram data files: registration by path, discovery, deletion, purge, and the file resource."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import peewee

from sciplane import APIError, Conflict, NotFound, ValidationFailed, locked, utcnow, write_transaction

from ..models import DqmFile, Histogram, Meta, ParseJob
from .ingest import DONE, FAILED, QUEUED, RUNNING

ALIASES = {"root": "nanodqm"}  # the playground's name for DQMIO files
EXTENSIONS = {".csv": "csv", ".root": "nanodqm"}
STATUS_ORDER = (RUNNING, QUEUED, FAILED, DONE)  # a file shows the first status any of its jobs has
log = logging.getLogger("sciplane.dqm")

DISCOVER_LIMIT = 100_000
PURGE_BATCH = 10_000
_ERA_RE = re.compile(r"_(\d{4}[A-Z])_")

# The path column holds 1,024 characters, and its unique index keys of about 2,700 bytes (PostgreSQL's B-tree);
# a symlink's real path may be longer than the path that was sent.
PATH_MAX_CHARACTERS, PATH_MAX_BYTES = 1024, 2048


def canonical(filetype: str) -> str:
    filetype = filetype.lower()
    return ALIASES.get(filetype, filetype)


def filetypes(ctx) -> list[str]:
    return sorted({key.filetype for key in ctx.parsers.keys()})


def bump_epoch() -> None:
    """Stored data changed attribution or vanished: invalidate every cached read (spec 7.1)."""
    Meta.update(value=Meta.value + 1).where(Meta.key == "data_epoch").execute()


def register(ctx, roots: list[str], filepath: str, filetype: str | None = None, data_era: str = "") -> DqmFile:
    """Register a file by its real path, which must lie under one of ``roots`` (the configured data roots)."""
    path = _allowed_path(roots, filepath)
    if filetype is None:
        filetype = EXTENSIONS.get(path.suffix.lower())
    else:
        filetype = canonical(filetype)
    if filetype is None or filetype not in filetypes(ctx):
        raise APIError(f"no parser reads files of type {filetype or path.suffix!r}", status=422,
                       code="unknown_filetype", filetypes=filetypes(ctx))
    existing = DqmFile.get_or_none(DqmFile.filepath == str(path))
    if existing is not None:
        raise Conflict(f"{path} is already registered", code="file_exists", existing_id=existing.id)
    stat = path.stat()
    now = utcnow()
    try:
        with write_transaction():
            return DqmFile.create(filepath=str(path), filetype=filetype, filesize=stat.st_size,
                                  file_mtime=stat.st_mtime, data_era=data_era, created=now, modified=now)
    except peewee.IntegrityError:  # registered concurrently
        existing = DqmFile.get(DqmFile.filepath == str(path))
        raise Conflict(f"{path} is already registered", code="file_exists", existing_id=existing.id) from None


def _allowed_path(roots: list[str], filepath: str) -> Path:
    if not os.path.isabs(filepath):
        raise ValidationFailed(errors={"json": {"filepath": ["must be an absolute path"]}})
    path = Path(os.path.realpath(filepath))
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 in a name (lone surrogates here): no text column holds it
        raise ValidationFailed(f"the real path of {filepath!a} is not valid UTF-8",
                               errors={"json": {"filepath": ["the real path is not valid UTF-8"]}}) from None
    if len(str(path)) > PATH_MAX_CHARACTERS or len(os.fsencode(path)) > PATH_MAX_BYTES:
        raise APIError(f"the real path of {filepath} is longer than {PATH_MAX_CHARACTERS} characters or "
                       f"{PATH_MAX_BYTES} bytes", status=422, code="path_too_long")
    if not any(path.is_relative_to(root) for root in _real(roots)):
        raise APIError(f"{filepath} is not under a configured data root", status=422, code="path_not_allowed")
    if not path.is_file():
        raise APIError(f"{filepath} does not exist or is not a regular file", status=422, code="file_not_found")
    return path


def _real(roots: list[str]) -> list[Path]:
    return [Path(os.path.realpath(root)) for root in roots]


def era_of(name: str) -> str:
    match = _ERA_RE.search(name)
    return match.group(1) if match else ""


def discover(ctx, roots: list[str]) -> dict[str, Any]:
    """Register every not yet registered ``.csv``/``.root`` file under the data roots."""
    known = {row.filepath for row in DqmFile.select(DqmFile.filepath)}
    ids, seen, truncated = [], 0, False
    supported = set(filetypes(ctx))
    real_roots = _real(roots)
    for root in real_roots:
        for directory, subdirectories, names in os.walk(root):  # os.walk does not follow directory links
            seen += len(subdirectories) + len(names)
            if seen > DISCOVER_LIMIT:
                truncated = True
                break
            for name in sorted(names):
                path = Path(directory, name)
                real = Path(os.path.realpath(path))
                filetype = EXTENSIONS.get(path.suffix.lower())
                if (filetype not in supported or str(real) in known or not real.is_file()
                        or not any(real.is_relative_to(r) for r in real_roots)):
                    continue
                try:
                    ids.append(register(ctx, roots, str(real), filetype, era_of(name)).id)
                except APIError as exc:  # vanished or registered meanwhile, or a name the catalogue cannot hold
                    log.info("discovery skipped %a: %s", str(real), exc.description)
                    continue
                known.add(str(real))
        if truncated:
            break
    return {"registered": len(ids), "ids": ids, "truncated": truncated}


def get(file_id: int, *, lock: bool = False) -> DqmFile:
    """The file ``file_id`` (404 if there is none); ``lock``: its row locked until the transaction ends."""
    query = DqmFile.select().where(DqmFile.id == file_id)
    file = (locked(query) if lock else query).get_or_none()
    if file is None:
        raise NotFound(f"no histogram data file with id {file_id}")
    return file


def delete(file_id: int) -> None:
    """Forget a file and its jobs; its histograms stay, without a source (the reference's SET NULL)."""
    with write_transaction():
        # Locked, as start_parsing locks it: a concurrent DELETE or start waits, then finds no file (404),
        # instead of going on as if the file were still there.
        file = get(file_id, lock=True)
        busy = ParseJob.select().where((ParseJob.file == file.id) & (ParseJob.status.in_([QUEUED, RUNNING])))
        if busy.exists():
            raise Conflict(f"histogram data file {file_id} is being parsed", code="parse_in_progress",
                           job=job_summary(busy.get()))
        Histogram.update(source_file=None).where(Histogram.source_file == file.id).execute()
        ParseJob.delete().where(ParseJob.file == file.id).execute()
        file.delete_instance()
        bump_epoch()


def purge(file_id: int, progress=None) -> int:
    """Delete a file's histograms in batches (an administrator's operation); returns how many."""
    get(file_id)
    deleted = 0
    while True:
        with write_transaction():
            batch = [row.id for row in Histogram.select(Histogram.id).where(Histogram.source_file == file_id)
                     .limit(PURGE_BATCH)]
            if batch:
                Histogram.delete().where(Histogram.id.in_(batch)).execute()
            else:
                ParseJob.update(histograms_created=0).where(ParseJob.file == file_id).execute()
            bump_epoch()
        deleted += len(batch)
        if progress:
            progress(len(batch))
        if not batch:
            return deleted


def job_summary(job: ParseJob) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "entries_total": job.entries_total,
            "entries_processed": job.entries_processed, "error": job.error}


def jobs_of(files: list[DqmFile]) -> dict[int, list[ParseJob]]:
    """Each file's jobs, sorted by (dimensionality, granularity), in one query."""
    by_file: dict[int, list[ParseJob]] = {file.id: [] for file in files}
    if files:
        query = (ParseJob.select().where(ParseJob.file.in_(list(by_file)))
                 .order_by(ParseJob.file, ParseJob.dimensionality, ParseJob.granularity))
        for job in query:
            by_file[job.file_id].append(job)
    return by_file


def progress(jobs: list[ParseJob]) -> dict[str, Any]:
    """File-level totals, percentage, status and contents from its jobs (spec 6.4)."""
    total = sum(job.entries_total or 0 for job in jobs)
    processed = sum(job.entries_processed for job in jobs)
    if jobs and all(job.status == DONE for job in jobs):
        percentage = 100.0
    else:
        percentage = min(100.0, processed / total * 100) if total else 0.0
    statuses = {job.status for job in jobs}
    status = next((s for s in STATUS_ORDER if s in statuses), "new")
    created = {(job.granularity, job.dimensionality): job.histograms_created for job in jobs}
    return {"entries_total": total, "entries_processed": processed, "percentage_processed": percentage,
            "processing_complete": percentage >= 100, "status": status, "created": created}
