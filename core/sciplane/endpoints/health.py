"""``/health`` (database and job queue) and ``/health/live`` (no I/O)."""

from __future__ import annotations

import falcon

from ..db import close_connection

_LIVE = b'{"status":"ok"}'


class Liveness:
    def on_get(self, req, resp):
        """The process answers; touches nothing else."""
        resp.data = _LIVE
        resp.content_type = falcon.MEDIA_JSON
        resp.set_header("Cache-Control", "no-store")


class Health:
    def __init__(self, ctx):
        self.ctx = ctx

    def _database_ok(self) -> bool:
        try:
            self.ctx.database.execute_sql("SELECT 1").fetchone()
            return True
        except Exception:
            close_connection(self.ctx.database)
            return False

    def on_get(self, req, resp):
        """Database and job-queue reachability; 503 when either fails."""
        checks = {"database": "ok" if self._database_ok() else "unavailable",
                  "jobs": "ok" if self.ctx.jobs.healthy() else "unavailable"}
        healthy = all(v == "ok" for v in checks.values())
        resp.status = falcon.HTTP_200 if healthy else falcon.HTTP_503
        resp.media = {"status": "ok" if healthy else "degraded", "checks": checks}
        resp.set_header("Cache-Control", "no-store")
