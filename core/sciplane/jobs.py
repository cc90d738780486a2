"""Background jobs on huey, with their status kept in the database.

Plugins return :class:`JobSpec` objects from ``register_jobs``; the core
wraps each in a huey task that records ``queued → running → done | failed``
in ``core_job``, so a job's status is readable through ``/api/jobs/{id}``
whatever the queue backend.  The queue is ``SqliteHuey`` in the data
directory by default, ``RedisHuey`` for ``redis://`` URLs, and runs tasks
in-process in immediate mode (tests).
"""

from __future__ import annotations

import contextlib
import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import huey
import huey.signals
import peewee

from .db import BaseModel, JSONField, database, utcnow, write_transaction
from .errors import StartupError

log = logging.getLogger("sciplane.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class JobSpec:
    """A named job: ``func(ctx=..., **params)`` returns a JSON-able result."""

    name: str
    func: Callable[..., Any]
    description: str = ""
    plugin: str = ""


class Job(BaseModel):
    id = peewee.CharField(max_length=32, primary_key=True)
    name = peewee.CharField(max_length=150)
    plugin = peewee.CharField(max_length=64, default="")
    status = peewee.CharField(max_length=16, default=QUEUED, index=True)
    params = JSONField(default=dict)
    result = JSONField(null=True)
    error = JSONField(null=True)
    owner_id = peewee.IntegerField(null=True)
    created = peewee.DateTimeField(default=utcnow)
    started = peewee.DateTimeField(null=True)
    finished = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "core_job"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "plugin": self.plugin, "status": self.status,
                "params": self.params, "result": self.result, "error": self.error,
                "created": self.created, "started": self.started, "finished": self.finished}


def make_huey(url: str, *, immediate: bool = False, name: str = "sciplane") -> huey.Huey:
    """The huey instance for a queue URL."""
    if immediate:
        return huey.MemoryHuey(name, immediate=True)
    if url.startswith("sqlite:"):
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite:"):]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return huey.SqliteHuey(name, filename=path)
    if url.startswith(("redis://", "rediss://")):
        try:
            return huey.RedisHuey(name, url=url)
        except ImportError:
            raise StartupError("jobs.url is a redis:// URL but the 'redis' package is not installed") from None
    if url.startswith("memory:"):
        return huey.MemoryHuey(name)
    raise StartupError(f"jobs.url: unsupported queue URL {url!r}")


class JobQueue:
    """The app's job registry and queue."""

    def __init__(self, queue: huey.Huey, ctx):
        self.huey = queue
        self.ctx = ctx
        self.specs: dict[str, JobSpec] = {}
        self._tasks: dict[str, Any] = {}
        queue.signal(huey.signals.SIGNAL_INTERRUPTED)(self._on_interrupted)

    def _on_interrupted(self, signal_name: str, task, *args) -> None:
        # A consumer stopped hard while the job ran: record it instead of
        # leaving the job "running" forever.
        job_id = task.args[0] if task.args else None
        if job_id:
            with self._connection():
                (Job.update(status=FAILED, finished=utcnow(),
                            error={"type": "Interrupted", "message": "The worker stopped while the job ran."})
                 .where((Job.id == job_id) & (Job.status == RUNNING)).execute())

    @staticmethod
    def _connection():
        return database.connection_context() if database.is_closed() else contextlib.nullcontext()

    def register(self, spec: JobSpec) -> None:
        if spec.name in self.specs:
            raise StartupError(f"two jobs named {spec.name!r}: plugins {self.specs[spec.name].plugin!r} "
                               f"and {spec.plugin!r}")
        self.specs[spec.name] = spec

        def run(job_id: str, params: dict) -> None:
            self._run(spec, job_id, params)

        # Recovery is explicit (a job is re-enqueued by its owner), so huey
        # never retries: a job cannot run twice behind the owner's back.
        self._tasks[spec.name] = self.huey.task(name=f"sciplane.{spec.name}", retries=0)(run)

    def enqueue(self, name: str, *, owner_id: int | None = None, **params: Any) -> Job:
        """Create the job row and enqueue it once the surrounding transaction commits."""
        spec = self.specs.get(name)
        if spec is None:
            raise KeyError(f"no job named {name!r}")
        job_id = uuid.uuid4().hex
        with write_transaction():
            job = Job.create(id=job_id, name=name, plugin=spec.plugin, params=params, owner_id=owner_id)
        # Outside a transaction after_commit runs at once; inside one, the
        # worker never sees a job whose row might still be rolled back.
        database.after_commit(lambda: self._tasks[name](job_id, params))
        return job

    def _run(self, spec: JobSpec, job_id: str, params: dict) -> None:
        # In immediate mode the job runs inside the request that enqueued it:
        # reuse that connection instead of closing it under the request.
        with self._connection():
            claimed = (Job.update(status=RUNNING, started=utcnow())
                       .where((Job.id == job_id) & (Job.status == QUEUED)).execute())
            if not claimed:
                log.warning("job %s (%s) is not queued; skipped", job_id, spec.name)
                return
            try:
                result = spec.func(ctx=self.ctx, **params)
            except Exception as exc:
                log.error("job %s (%s) failed", job_id, spec.name, exc_info=exc)
                error = {"type": type(exc).__name__, "message": str(exc)[:1000],
                         "where": traceback.extract_tb(exc.__traceback__)[-1].name if exc.__traceback__ else ""}
                Job.update(status=FAILED, finished=utcnow(), error=error).where(Job.id == job_id).execute()
                return
            Job.update(status=DONE, finished=utcnow(), result=result).where(Job.id == job_id).execute()

    def get(self, job_id: str) -> Job | None:
        return Job.get_or_none(Job.id == job_id)

    def healthy(self) -> bool:
        """True when the queue's storage answers."""
        try:
            self.huey.pending_count()
            return True
        except Exception:
            log.warning("job queue unreachable", exc_info=True)
            return False

    def consumer(self, workers: int = 1, worker_type: str = "thread"):
        return self.huey.create_consumer(workers=workers, worker_type=worker_type)
