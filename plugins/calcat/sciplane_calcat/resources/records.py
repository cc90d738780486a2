"""Collections and items of every model: list/search, create, get, update, delete."""

from __future__ import annotations

from ..errors import CalcatError
from ..services import records, reports
from ..services.catalog import REPORTS
from ..services.records import Kind
from .base import Resource


class Collection(Resource):
    def __init__(self, c, kind: Kind):
        super().__init__(c)
        self.kind = kind

    def on_get(self, req, resp):
        """Rows matching the filters, by id, one page; the totals in ``X-*`` headers."""
        params = req.params  # repeated keys as lists; never split at commas
        page, size = records.page_params(params, self.c.settings.default_page_size, self.c.settings.max_page_size)
        found = records.search(self.kind, params, page, size)
        resp.set_header("X-Total-Count", str(found.total))
        resp.set_header("X-Count-Per-Page", str(found.page_size))
        resp.set_header("X-Current-Page", str(found.page))
        resp.set_header("X-Total-Pages", str(found.pages))
        self.send(resp, self.kind.render(found.rows, self.view(req)))

    def on_post(self, req, resp):
        """Create; 201 with the object."""
        row = records.create(self.kind, self.body(req), self.call(req))
        self.audit(req, f"{self.kind.name}.create", id=row.id)
        self.send(resp, self.kind.render([row], self.view(req))[0], 201)


class ItemView(Resource):
    """One object, read-only (also the target of ``view_url`` links)."""

    def __init__(self, c, kind: Kind):
        super().__init__(c)
        self.kind = kind

    def on_get(self, req, resp, pk: int):
        renderer = self.kind.render_item or self.kind.render
        self.send(resp, renderer([records.get(self.kind, pk)], self.view(req))[0])


class Item(ItemView):

    def on_put(self, req, resp, pk: int):
        """Partial update: attributes absent from the body keep their values."""
        row = records.update(self.kind, pk, self.body(req), self.call(req))
        self.audit(req, f"{self.kind.name}.update", id=row.id)
        self.send(resp, self.kind.render([row], self.view(req))[0])

    on_patch = on_put

    def on_delete(self, req, resp, pk: int):
        """204 with no body."""
        if not self.kind.deletable:
            raise CalcatError(405, f"Deleting {self.kind.name.replace('_', ' ')} is not allowed", "method_not_allowed",
                              headers={"Allow": "GET, PUT, PATCH"})
        records.delete(self.kind, pk)
        self.audit(req, f"{self.kind.name}.delete", id=pk)
        resp.status = 204
        resp.omit_content_type()


class ReportSet(Resource):
    def on_post(self, req, resp):
        """The report with this ``file_path`` (200), or a new one (201)."""
        row, created = reports.set_report(self.body(req), self.call(req))
        if created:
            self.audit(req, "reports.create", id=row.id)
        self.send(resp, REPORTS.render([row], self.view(req))[0], 201 if created else 200)
