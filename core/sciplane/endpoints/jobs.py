"""``/api/jobs/{job_id}``: status of a background job."""

from __future__ import annotations

from ..errors import NotFound


class JobItem:
    def __init__(self, ctx):
        self.ctx = ctx

    def on_get(self, req, resp, job_id: str):
        """A job's status, result or error.  Visible to its owner, staff, and holders of ``core.jobs.read``."""
        identity = req.identity
        if not identity.authenticated:
            # Anonymous callers learn nothing about which jobs exist.
            self.ctx.authorizer.check(identity, "core.jobs.read")
        job = self.ctx.jobs.get(job_id)
        owner = job is not None and job.owner_id is not None and job.owner_id == identity.user_id
        if job is None or not (owner or identity.staff or self.ctx.authorizer.allowed(identity, "core.jobs.read", job)):
            raise NotFound("No such job.")
        resp.media = job.to_dict()
        resp.set_header("Cache-Control", "no-store")
