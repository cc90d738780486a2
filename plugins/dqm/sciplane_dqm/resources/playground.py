"""``/api/dqm/playground/…``: the dqm-playground's routes, shapes and page-number pagination.

A playground client works by changing only its base URL.  The handlers
share the native services; what differs is the dialect: lenient filters
(unknown names ignored, as django-filter does), the reference's field names
and ``filesize`` in MB, and ``{next, previous, total, per_page, total_pages}``
pages ordered by id.
"""

from __future__ import annotations

import math
from typing import Any

import falcon
import peewee

from sciplane import APIError, NotFound

from .. import arrays
from ..models import DqmFile, Histogram, Lumisection, ParseJob, Run
from ..query import BOOL, DIM, GRANULARITY, INT, INTS, TEXT, TITLES, parse
from ..services import files, histograms
from .base import Context, Resource, link, no_store, not_modified
from .files import Registration, load
from .views import stamp

MB = 1024 * 1024
FILE_FILTERS = {"id": INT, "entries_total__gt": INT, "entries_total__lt": INT, "processing_complete": BOOL,
                "filepath__contains": TEXT, "data_era": TEXT, "data_dimensionality": DIM, "granularity": GRANULARITY}
# The reference's lumisection-histogram filter names and the native names they stand for.
HISTOGRAM_NAMES = {"title": "title", "lumisection__ls_number": "ls_number",
                   "lumisection__ls_number__gte": "ls_number__gte", "lumisection__ls_number__lte": "ls_number__lte",
                   "lumisection__ls_number__in": "ls_number__in", "lumisection__run__run_number": "run_number",
                   "lumisection__run__run_number__gte": "run_number__gte",
                   "lumisection__run__run_number__lte": "run_number__lte",
                   "lumisection__run__run_number__in": "run_number__in", "entries__gte": "entries__gte",
                   "entries__lte": "entries__lte", "source_data_file": "source_file"}
HISTOGRAM_FILTERS = {**{name: histograms.FILTERS[native] for name, native in HISTOGRAM_NAMES.items()},
                     "title": TITLES, "source_data_file__filepath__contains": TEXT}


def paginate(req: falcon.Request, query: peewee.ModelSelect, render) -> dict[str, Any]:
    """One page of ``query`` (already ordered) in the reference's envelope; a page out of range is a 404."""
    raw = req.params.get("page", "1")
    size = _per_page(req)
    total = query.count()
    pages = math.ceil(total / size)
    try:
        number = int(raw if isinstance(raw, str) else raw[-1])
    except ValueError:
        number = 0
    if number < 1 or (number > 1 and number > pages):
        raise APIError("Invalid page.", status=404, code="invalid_page")
    rows = list(query.paginate(number, size))
    return {"next": link(req, page=number + 1) if number < pages else None,
            "previous": link(req, page=number - 1) if number > 1 else None,
            "total": total, "per_page": size, "total_pages": pages, "results": render(rows)}


def _per_page(req: falcon.Request) -> int:
    raw = req.params.get("page_size", "50")
    try:
        return min(max(int(raw if isinstance(raw, str) else raw[-1]), 1), 500)
    except ValueError:
        return 50


def file_items(rows: list[DqmFile]) -> list[dict[str, Any]]:
    jobs = files.jobs_of(rows)
    out = []
    for file in rows:
        state = files.progress(jobs[file.id])
        created = state["created"]
        out.append({"id": file.id, "filepath": file.filepath, "filesize": file.filesize / MB,
                    "data_era": file.data_era, "entries_total": state["entries_total"],
                    "entries_processed": state["entries_processed"],
                    "percentage_processed": state["percentage_processed"],
                    "contents": [{"granularity": job.granularity, "data_dimensionality": job.dimensionality}
                                 for job in jobs[file.id] if job.histograms_created > 0],
                    "created": stamp(file.created), "modified": stamp(file.modified),
                    "run_histograms": created.get(("run", 1), 0) + created.get(("run", 2), 0),
                    "lumisection_histograms_1d": created.get(("lum", 1), 0),
                    "lumisection_histograms_2d": created.get(("lum", 2), 0)})
    return out


def _files(values: dict[str, Any]) -> peewee.ModelSelect:
    query = DqmFile.select().order_by(DqmFile.id)
    if "id" in values:
        query = query.where(DqmFile.id == values["id"])
    if "data_era" in values:
        query = query.where(DqmFile.data_era == values["data_era"])
    if "filepath__contains" in values:
        query = query.where(DqmFile.filepath.contains(values["filepath__contains"]))
    if "data_dimensionality" in values or "granularity" in values:
        jobs = ParseJob.select(ParseJob.file).where(ParseJob.histograms_created > 0)
        if "data_dimensionality" in values:
            jobs = jobs.where(ParseJob.dimensionality == values["data_dimensionality"])
        if "granularity" in values:
            jobs = jobs.where(ParseJob.granularity == values["granularity"])
        query = query.where(DqmFile.id.in_(jobs))
    total = peewee.fn.COALESCE(ParseJob.select(peewee.fn.SUM(peewee.fn.COALESCE(ParseJob.entries_total, 0)))
                               .where(ParseJob.file == DqmFile.id), 0)
    if "entries_total__gt" in values:
        query = query.where(total > values["entries_total__gt"])
    if "entries_total__lt" in values:
        query = query.where(total < values["entries_total__lt"])
    if "processing_complete" in values:
        # The file's own processing_complete (services.files.progress): every job done, or the entries processed
        # reach the entries counted (a job still queued counts none).
        done = ParseJob.select(ParseJob.file).where(ParseJob.status == "done")
        unfinished = ParseJob.select(ParseJob.file).where(ParseJob.status != "done")
        processed = peewee.fn.COALESCE(ParseJob.select(peewee.fn.SUM(ParseJob.entries_processed))
                                       .where(ParseJob.file == DqmFile.id), 0)
        complete = (DqmFile.id.in_(done) & DqmFile.id.not_in(unfinished)) | ((total > 0) & (processed >= total))
        query = query.where(complete if values["processing_complete"] else ~complete)
    return query


class DataFiles(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        no_store(resp)
        resp.media = paginate(req, _files(parse(req.params, FILE_FILTERS, strict=False)), file_items)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        no_store(resp)
        body = req.get_media(default_when_empty={})  # no body: its fields are missing (422)
        if not isinstance(body, dict):
            body = {}
        values = load(Registration(), {k: v for k, v in body.items() if k in ("filepath", "data_era")}, "json")
        file = files.register(self.c.app, self.c.settings.data_roots, values["filepath"], None, values["data_era"])
        resp.status = falcon.HTTP_201
        resp.location = f"{req.path.rstrip('/')}/{file.id}/"
        resp.media = file_items([file])[0]


class Discover(Resource):
    """The playground discovers on GET and answers 202, as the reference does."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        no_store(resp)
        resp.status = falcon.HTTP_202
        resp.media = files.discover(self.c.app, self.c.settings.data_roots)


class DataFile:
    def on_get(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        no_store(resp)
        resp.media = file_items([files.get(file_id)])[0]

    def on_delete(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        no_store(resp)
        files.delete(file_id)
        resp.status = falcon.HTTP_204


def _histogram_values(req: falcon.Request, dim: int) -> tuple[dict[str, Any], list[peewee.Expression]]:
    given = parse(req.params, HISTOGRAM_FILTERS, strict=False)
    values = {HISTOGRAM_NAMES[name]: value for name, value in given.items() if name in HISTOGRAM_NAMES}
    values.update(dim=dim, granularity="lum")
    extra = []
    if "source_data_file__filepath__contains" in given:
        matching = DqmFile.select(DqmFile.id).where(DqmFile.filepath.contains(
            given["source_data_file__filepath__contains"]))
        extra.append(Histogram.source_file.in_(matching))
    return values, extra


def histogram_items(rows: list[Histogram], dim: int) -> list[dict[str, Any]]:
    titles = histograms.title_names({row.title_id for row in rows})
    out = []
    for row in rows:
        data = arrays.decode(row.dtype, bytes(row.data), arrays.shape_of(row.x_bin, row.y_bin))
        entry = {"id": row.id, "run": row.run_number, "lumisection": row.ls_number, "title": titles[row.title_id],
                 "entries": row.entries, "data": data, "x_min": row.x_min, "x_max": row.x_max,
                 "x_bin": row.x_bin, "source_data_file": row.source_file_id}
        if dim == 2:
            entry.update(y_min=row.y_min, y_max=row.y_max, y_bin=row.y_bin)
        out.append(entry)
    return out


class OneDimension(Resource):
    def __init__(self, context: Context, dim: int):
        super().__init__(context)
        self.dim = dim


class LumisectionHistograms(OneDimension):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        values, extra = _histogram_values(req, self.dim)
        query = Histogram.select().where(histograms.where(values), *extra).order_by(Histogram.id)
        resp.media = paginate(req, query, lambda rows: histogram_items(rows, self.dim))


class LumisectionHistogram(OneDimension):
    def on_get(self, req: falcon.Request, resp: falcon.Response, histogram_id: int) -> None:
        if not_modified(req, resp, self.c):
            return
        row = Histogram.get_or_none((Histogram.id == histogram_id) & (Histogram.dim == self.dim)
                                    & (Histogram.ls_number >= 1))
        if row is None:
            raise NotFound(f"no {self.dim}D lumisection histogram with id {histogram_id}")
        resp.media = histogram_items([row], self.dim)[0]


class Runs(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        resp.media = paginate(req, Run.select().order_by(Run.run_number),
                              lambda rows: [{"run_number": r.run_number, "date": stamp(r.created)} for r in rows])


class RunItem(Runs):
    def on_get(self, req: falcon.Request, resp: falcon.Response, run_number: int) -> None:
        if not_modified(req, resp, self.c):
            return
        run = Run.get_or_none(Run.run_number == run_number)
        if run is None:
            raise NotFound(f"no run {run_number}")
        resp.media = {"run_number": run.run_number, "date": stamp(run.created)}


class Lumisections(Resource):
    FILTERS = {"run": INT, "run__in": INTS}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        values = parse(req.params, self.FILTERS, strict=False)
        query = Lumisection.select().where(Lumisection.ls_number >= 1)
        if "run" in values:
            query = query.where(Lumisection.run_number == values["run"])
        if "run__in" in values:
            query = query.where(Lumisection.run_number.in_(values["run__in"]))
        query = query.order_by(Lumisection.run_number, Lumisection.ls_number)
        resp.media = paginate(req, query, lambda rows: [
            {"run": ls.run_number_id, "ls_number": ls.ls_number, "date": stamp(ls.created)} for ls in rows])
