"""JSON shapes of files and jobs (native API), and their field names for ``fields=``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models import DqmFile, ParseJob
from ..services import files
from ..services.ingest import DONE


def stamp(value: dt.datetime | None) -> str | None:
    """RFC 3339 in UTC with ``Z`` (stored timestamps are naive UTC)."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def percentage(job: ParseJob) -> float:
    if job.status == DONE:
        return 100.0
    if job.entries_total:
        return min(100.0, job.entries_processed / job.entries_total * 100)
    return 0.0


JOB_FIELDS = ("id", "file", "filetype", "dimensionality", "granularity", "parser", "status", "on_error",
              "entries_total", "entries_processed", "percentage_processed", "histograms_created", "entries_duplicate",
              "entries_skipped", "entries_failed", "attempts", "error", "errors", "created", "started", "finished",
              "heartbeat")
FILE_FIELDS = ("id", "filepath", "filetype", "filesize", "data_era", "status", "entries_total", "entries_processed",
               "percentage_processed", "processing_complete", "histograms", "jobs", "created", "modified")


def job_view(job: ParseJob) -> dict[str, Any]:
    return {"id": job.id, "file": job.file_id, "filetype": job.filetype, "dimensionality": job.dimensionality,
            "granularity": job.granularity, "parser": job.parser, "status": job.status, "on_error": job.on_error,
            "entries_total": job.entries_total, "entries_processed": job.entries_processed,
            "percentage_processed": percentage(job), "histograms_created": job.histograms_created,
            "entries_duplicate": job.entries_duplicate, "entries_skipped": job.entries_skipped,
            "entries_failed": job.entries_failed, "attempts": job.attempts, "error": job.error,
            "errors": job.errors, "created": stamp(job.created), "started": stamp(job.started),
            "finished": stamp(job.finished), "heartbeat": stamp(job.heartbeat)}


def file_view(file: DqmFile, jobs: list[ParseJob]) -> dict[str, Any]:
    state = files.progress(jobs)
    created = state["created"]
    return {"id": file.id, "filepath": file.filepath, "filetype": file.filetype, "filesize": file.filesize,
            "data_era": file.data_era, "status": state["status"], "entries_total": state["entries_total"],
            "entries_processed": state["entries_processed"], "percentage_processed": state["percentage_processed"],
            "processing_complete": state["processing_complete"],
            "histograms": {f"{g}_{d}d": created.get((g, d), 0) for g in ("lum", "run") for d in (1, 2)},
            "jobs": [{"id": job.id, "dimensionality": job.dimensionality, "granularity": job.granularity,
                      "status": job.status, "entries_total": job.entries_total,
                      "entries_processed": job.entries_processed, "histograms_created": job.histograms_created,
                      "error": job.error} for job in jobs],
            "created": stamp(file.created), "modified": stamp(file.modified)}
