"""``/files/``: registration, listing, deletion, discovery and ``start_parsing``; never cached."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import falcon
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from sciplane import NotFound, ValidationFailed

from ..models import DqmFile, ParseJob
from ..query import (
    BOOL,
    DIM,
    FALSE,
    GRANULARITY,
    INT,
    TEXT,
    TRUE,
    choice,
    decode_cursor,
    page_size,
    parse,
    wanted_fields,
)
from ..services import files, parsing
from .base import Context, Resource, body_or_query, listing, no_store, only_fields
from .views import FILE_FIELDS, JOB_FIELDS, file_view, job_view

FILE_FILTERS = {"id": INT, "filetype": TEXT, "data_era": TEXT, "filepath__contains": TEXT,
                "status": choice("new", "queued", "running", "done", "failed"), "processing_complete": BOOL}


def _no_nul(value: str) -> None:
    if "\x00" in value:  # neither a path nor PostgreSQL's text can hold one
        raise ValidationError("must not contain NUL")


def _string(*, shortest: int = 0, longest: int, **kwargs) -> fields.String:
    """A string field of ``shortest`` to ``longest`` characters, without NUL."""
    return fields.String(validate=[validate.Length(min=shortest, max=longest), _no_nul], **kwargs)


class Registration(Schema):
    class Meta:
        unknown = RAISE

    filepath = _string(shortest=1, longest=1024, required=True)
    filetype = _string(shortest=1, longest=32)
    data_era = _string(longest=16, load_default="")


class _Flag(fields.Boolean):
    """A boolean parameter as the API reads every one: true / false in any case, 1 / 0, or a JSON boolean."""

    truthy, falsy = {*TRUE, 1}, {*FALSE, 0}

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value.strip().lower() if isinstance(value, str) else value, attr, data, **kwargs)


class ParseParameters(Schema):
    """``start_parsing``'s parameters with the playground's names as aliases; other names are ignored."""

    class Meta:
        unknown = EXCLUDE

    dimensionality = fields.Integer(validate=validate.OneOf([1, 2]))
    data_dimensionality = fields.Integer(validate=validate.OneOf([1, 2]))
    granularity = fields.String(validate=validate.OneOf(["lum", "run"]))
    filetype = _string(shortest=1, longest=32)
    file_format = _string(shortest=1, longest=32)
    force = _Flag(load_default=False)
    on_error = fields.String(load_default="fail", validate=validate.OneOf(["fail", "skip"]))


def load(schema: Schema, data: Any, location: str) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("invalid parameters", errors={location: exc.messages}) from None


def parse_request(params: Any, location: str) -> parsing.ParseRequest:
    values = load(ParseParameters(), dict(params), location)
    merged, problems = {}, {}
    for name, alias in (("dimensionality", "data_dimensionality"), ("filetype", "file_format")):
        # Compared as they are meant: "CSV" and "csv" (or "root" and "nanodqm") name one filetype.
        given = {files.canonical(values[n]) if name == "filetype" else values[n] for n in (name, alias) if n in values}
        if len(given) > 1:
            problems[name] = [f"{name} and {alias} disagree"]
        merged[name] = next(iter(given), None)
    for name in ("dimensionality", "granularity"):
        if values.get(name, merged.get(name)) is None:
            problems[name] = ["Missing data for required field."]
    if problems:
        raise ValidationFailed("invalid parameters", errors={location: problems})
    return parsing.ParseRequest(merged["dimensionality"], values["granularity"], merged["filetype"],
                                values["force"], values["on_error"], location)


def _views(query, status: str | None, complete: bool | None, batch: int = 200) -> Iterator[dict[str, Any]]:
    """File resources of ``query`` in id order; status and completeness come from the jobs, so they are
    filtered here, a batch of files at a time."""
    last = 0
    while True:
        files_batch = list(query.where(DqmFile.id > last).limit(batch))
        jobs = files.jobs_of(files_batch)
        for file in files_batch:
            view = file_view(file, jobs[file.id])
            if (status is None or view["status"] == status) and (
                    complete is None or view["processing_complete"] == complete):
                yield view
        if len(files_batch) < batch:
            return
        last = files_batch[-1].id


class Files(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        no_store(resp)
        values = parse(req.params, FILE_FILTERS)
        wanted = wanted_fields(req.params, FILE_FIELDS)
        size = page_size(req.params)
        after = decode_cursor(req.params, (int,))
        query = DqmFile.select().order_by(DqmFile.id)
        if after:
            query = query.where(DqmFile.id > after[0])
        if "id" in values:
            query = query.where(DqmFile.id == values["id"])
        if "filetype" in values:
            query = query.where(DqmFile.filetype == files.canonical(values["filetype"]))
        if "data_era" in values:
            query = query.where(DqmFile.data_era == values["data_era"])
        if "filepath__contains" in values:
            query = query.where(DqmFile.filepath.contains(values["filepath__contains"]))  # ILIKE: as the reference
        matching = itertools.islice(_views(query, values.get("status"), values.get("processing_complete")), size + 1)
        resp.media = listing(req, list(matching), size, lambda view: (view["id"],), list, wanted)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        no_store(resp)
        values = load(Registration(), req.get_media(default_when_empty={}), "json")  # no body: fields missing
        file = files.register(self.c.app, self.c.settings.data_roots, values["filepath"], values.get("filetype"),
                              values["data_era"])
        resp.status = falcon.HTTP_201
        resp.location = f"{req.path.rstrip('/')}/{file.id}/"
        resp.media = file_view(file, [])


class FileItem:
    def on_get(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        no_store(resp)
        parse(req.params, {})  # no filters: an unknown parameter is a 422, as on every native route
        wanted = wanted_fields(req.params, FILE_FIELDS)
        file = files.get(file_id)
        resp.media = only_fields(file_view(file, files.jobs_of([file])[file.id]), wanted)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        no_store(resp)
        files.delete(file_id)
        resp.status = falcon.HTTP_204


class Discover(Resource):

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        no_store(resp)
        parse(req.params, {})  # no filters: an unknown parameter is a 422, as on every native route
        resp.media = files.discover(self.c.app, self.c.settings.data_roots)


class StartParsing(Resource):
    def __init__(self, context: Context, jobs_path: str):
        super().__init__(context)
        self.jobs_path = jobs_path

    def on_post(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        no_store(resp)
        files.get(file_id)  # 404 comes before parameter errors
        location = "query" if req.method == "GET" else ("form" if "form" in (req.content_type or "") else "json")
        request = parse_request(body_or_query(req), location)
        job = parsing.start(self.c.app, file_id, request)
        resp.status = falcon.HTTP_202
        resp.location = f"{self.jobs_path}/{job.id}/"
        resp.media = job_view(job)

    on_get = on_post


class Jobs:
    FILTERS = {"file": INT, "status": choice("queued", "running", "done", "failed"), "filetype": TEXT,
               "dimensionality": DIM, "granularity": GRANULARITY}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        no_store(resp)
        values = parse(req.params, self.FILTERS)
        wanted = wanted_fields(req.params, JOB_FIELDS)
        size = page_size(req.params)
        after = decode_cursor(req.params, (int,))
        query = ParseJob.select().order_by(ParseJob.id.desc())
        if after:
            query = query.where(ParseJob.id < after[0])
        for name in ("status", "dimensionality", "granularity"):
            if name in values:
                query = query.where(getattr(ParseJob, name) == values[name])
        if "file" in values:
            query = query.where(ParseJob.file == values["file"])
        if "filetype" in values:
            query = query.where(ParseJob.filetype == files.canonical(values["filetype"]))
        resp.media = listing(req, list(query.limit(size + 1)), size, lambda job: (job.id,),
                             lambda jobs: [job_view(job) for job in jobs], wanted)


class JobItem:
    def on_get(self, req: falcon.Request, resp: falcon.Response, job_id: int) -> None:
        no_store(resp)
        parse(req.params, {})
        wanted = wanted_fields(req.params, JOB_FIELDS)
        job = ParseJob.get_or_none(ParseJob.id == job_id)
        if job is None:
            raise NotFound(f"no parse job with id {job_id}")
        resp.media = only_fields(job_view(job), wanted)
