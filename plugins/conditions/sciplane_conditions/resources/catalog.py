"""Statuses, global tags, payload types and payload lists."""

from __future__ import annotations

import math
from collections.abc import Iterator

from marshmallow import ValidationError

from sciplane import Snapshot
from sciplane.media import dumps

from .. import render
from ..errors import FieldErrors, not_found
from ..models import PayloadList
from ..schemas import (
    GlobalTagCreateSchema,
    ListAttachSchema,
    NameSchema,
    PayloadListCreateSchema,
    clean_string,
    load,
    parse_object_body,
)
from ..services import iov_json, reads, state
from .base import Resource, json_array

NOT_FOUND = ("not_found", "Not found.")


class Browsable(Resource):
    """Collections that switch to browse mode when ``page`` is present (spec §3.7).

    Subclasses give ``kind`` (the browse spec) and ``full_listing``;
    ``streamed`` collections read their full listing inside one snapshot.
    """

    kind = ""
    streamed = False

    def on_get(self, req, resp):
        """The whole collection, or a browse page with ``page``."""
        snapshot = Snapshot(req) if self.streamed else None
        validator = state.database_validator()
        if self.not_modified(req, resp, validator):
            return
        if "page" in req.params:
            return self.browse(req, resp)
        self.full_listing(resp, validator, snapshot)

    def full_listing(self, resp, validator, snapshot) -> None:
        raise TypeError(f"{type(self).__name__} must define full_listing")

    def browse(self, req, resp) -> None:
        def number(name: str, default: int) -> int:
            raw = self.param(req, name)
            try:
                value = int(raw) if raw is not None else default
            except ValueError:
                return default
            return value if self.in_int64(value) else default

        page = max(1, number("page", 1))
        size_raw = self.param(req, "page_size")
        page_size = number("page_size", 25) if size_raw is not None else 25
        page_size = min(max(page_size, 1), self.settings.browse_max_page_size)
        spec = reads.browse_specs()[self.kind]
        filters = {name: self.param(req, name) for name in spec.filters if self.param(req, name) is not None}
        search = self.param(req, "search") or None
        if any("\x00" in text for text in (search or "", *filters.values())):
            # No stored name contains NUL (PostgreSQL cannot even compare it): nothing matches.
            result = reads.Page(0, page, page_size, [])
        else:
            result = reads.browse(spec, page=page, page_size=page_size, search=search, filters=filters,
                                  sort=self.param(req, "sort"),
                                  descending=(self.param(req, "order") or "").lower() == "desc")
        rows = [{("inserted" if key == "created" and self.kind == "payload_iovs" else key):
                 render.timestamp(value) if key in ("created", "updated", "inserted") else value
                 for key, value in row.items()} for row in result.rows]
        self.send_bytes(resp, dumps({"count": result.count, "page": result.page, "page_size": result.page_size,
                                     "total_pages": max(1, math.ceil(result.count / result.page_size)),
                                     "results": rows}))



class Statuses(Resource):
    def on_get(self, req, resp):
        """Global tag statuses, by id."""
        validator = state.database_validator()
        if self.not_modified(req, resp, validator):
            return
        self.cached(resp, ("statuses",), validator, lambda: [render.status(s) for s in reads.statuses()])

    def on_post(self, req, resp):
        """Create a status."""
        data = load(NameSchema(), parse_object_body(req))
        self.send(resp, render.status(self.c.catalog.create_status(req.identity, data["name"])))


class GlobalTags(Browsable):
    kind = "global_tags"

    def full_listing(self, resp, validator, snapshot) -> None:
        # Hit by every client resolution: one validator lookup, then the cached body.
        self.cached(resp, ("globalTags",), validator, lambda: [render.gt_row(row) for row in reads.gt_rows()])


class GlobalTagCollection(Resource):
    """``gt``: every GT nested (streamed), and GT creation."""

    def on_get(self, req, resp):
        """Every global tag with its lists and IOVs, streamed."""
        snapshot = Snapshot(req)
        if self.not_modified(req, resp, state.database_validator()):
            return
        resp.content_type = "application/json"
        resp.stream = snapshot.stream(json_array(
            nested_global_tag(gt_id, snapshot) for gt_id in reads.all_global_tag_ids()))

    def on_post(self, req, resp):
        """Create a global tag."""
        data = load(GlobalTagCreateSchema(), parse_object_body(req))
        gt = self.c.catalog.create_global_tag(req.identity, data["name"], data["status"], data["author"])
        self.send(resp, render.global_tag_created(gt, data["status"]))


def nested_global_tag(gt_id: int, snapshot: Snapshot) -> Iterator[bytes]:
    """One ``<gt-nested>`` object, produced in chunks so a large GT never sits in memory."""
    gt = reads.global_tag(gt_id=gt_id)
    status = gt.status
    head = dumps({"id": gt.id, "name": gt.name, "author": gt.author,
                  "status": {"id": status.id, "name": status.name, "description": status.description,
                             "created": render.timestamp(status.created)}})
    yield head[:-1] + b',"payload_lists":['
    lists = reads.lists_of(gt.id)
    iov_chunks = iov_json.lists_chunks([row[:2] for row in lists], snapshot, sum(row[4] for row in lists))
    for index, ((list_id, list_name, type_name, created, _), chunks) in enumerate(zip(lists, iov_chunks, strict=True)):
        yield (b"," if index else b"") + dumps({"id": list_id, "name": list_name, "global_tag": gt.name,
                                                 "payload_type": type_name})[:-1] + b',"payload_iov":['
        yield from comma_joined(chunks)
        yield b'],"created":' + dumps(render.timestamp(created)) + b"}"
    yield b'],"created":' + dumps(render.timestamp(gt.created)) + b',"updated":' + \
        dumps(render.timestamp(gt.updated)) + b"}"


class GlobalTagItem(Resource):
    """``gt/<pk>`` and ``globalTag/<name>``: one GT nested (streamed), or ``light``."""

    def on_get(self, req, resp, pk: int | None = None, name: str | None = None):
        """One global tag with its lists and IOVs (``?light``: the flat row)."""
        if pk is not None and not self.in_int64(pk):
            raise not_found(*NOT_FOUND)
        snapshot = Snapshot(req)
        validator = state.global_tag_validator(name=name, gt_id=pk)
        if validator is None:
            raise not_found(*NOT_FOUND)
        if self.not_modified(req, resp, validator):
            return
        if name is not None and "light" in req.params:
            self.send_bytes(resp, dumps(render.gt_row(reads.gt_row(validator.gt_id))))
            return
        resp.content_type = "application/json"
        resp.stream = snapshot.stream(nested_global_tag(validator.gt_id, snapshot))


class GlobalTagPayloadLists(Resource):
    def on_get(self, req, resp, name: str):
        """The GT's lists by type name (``{}`` for an unknown GT)."""
        validator = state.global_tag_validator(name=name) or state.database_validator()
        if self.not_modified(req, resp, validator):
            return
        body = reads.gt_payload_lists(validator.gt_id) if validator.gt_id is not None else {}
        self.send_bytes(resp, dumps(body))


class Clone(Resource):
    def on_post(self, req, resp, name: str, dst: str):
        """Copy a GT with its attached lists and IOVs; the copy is unlocked."""
        try:
            target = clean_string(dst, max_length=80, no_slash=True)
        except ValidationError as exc:
            raise FieldErrors({"name": exc.messages}) from None
        gt = self.c.catalog.clone(req.identity, name, target)
        self.send(resp, render.gt_row(reads.gt_row(gt.id)))


class ChangeStatus(Resource):
    def on_put(self, req, resp, name: str, status: str):
        """Set a GT's status (no transition rules; the body is ignored)."""
        gt = self.c.catalog.change_status(req.identity, name, status)
        self.send(resp, render.global_tag_status_changed(gt))

    on_patch = on_put


class DeleteGlobalTag(Resource):
    def on_delete(self, req, resp, name: str):
        """Delete an unlocked GT with its lists and their IOVs."""
        self.c.catalog.delete_global_tag(req.identity, name)
        self.send(resp, {"detail": f"Global tag {name} deleted."})


class PayloadTypes(Browsable):
    kind = "payload_types"

    def full_listing(self, resp, validator, snapshot) -> None:
        self.cached(resp, ("pt",), validator, lambda: [render.payload_type(t) for t in reads.payload_types()])

    def on_post(self, req, resp):
        """Create a payload type."""
        data = load(NameSchema(), parse_object_body(req))
        self.send(resp, render.payload_type(self.c.catalog.create_type(req.identity, data["name"])))


class DeletePayloadType(Resource):
    def on_delete(self, req, resp, name: str):
        """Delete a payload type no list uses."""
        self.c.catalog.delete_type(req.identity, name)
        self.send(resp, {"detail": f"Payload Type {name} deleted."})


class PayloadLists(Browsable):
    kind = "payload_lists"
    streamed = True

    def full_listing(self, resp, validator, snapshot) -> None:
        resp.content_type = "application/json"
        resp.stream = snapshot.stream(json_array(list_with_iovs(row) for chunk in reads.all_lists()
                                                 for row in chunk))

    def on_post(self, req, resp):
        """Create a detached list ``<type>_<id>``."""
        data = load(PayloadListCreateSchema(), parse_object_body(req))
        created = self.c.catalog.create_list(req.identity, data["payload_type"])
        self.send(resp, render.payload_list(created, None, data["payload_type"]))


def list_with_iovs(row: tuple) -> Iterator[bytes]:
    """One list with its IOVs, in chunks."""
    list_id, name, gt_name, type_name, created = row
    yield dumps({"id": list_id, "name": name, "global_tag": gt_name, "payload_type": type_name})[:-1]
    yield b',"payload_iov":['
    yield from comma_joined(iov_json.list_chunks(list_id, name))
    yield b'],"created":' + dumps(render.timestamp(created)) + b"}"


def comma_joined(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Chunks of comma-separated objects, with the commas between chunks (sent apart: no copy of a chunk)."""
    first = True
    for chunk in chunks:
        if not first:
            yield b","
        yield chunk
        first = False


class PayloadListItem(Resource):
    def on_get(self, req, resp, pk: int | None = None, name: str | None = None):
        """One list, with GT and type as ids."""
        pk = self.primary_key(pk, name)
        if pk is None:
            raise not_found(*NOT_FOUND)
        if self.not_modified(req, resp, state.database_validator()):
            return
        row = PayloadList.get_or_none(PayloadList.id == pk)
        if row is None:
            raise not_found(*NOT_FOUND)
        self.send_bytes(resp, dumps(render.payload_list_ids(row)))


class PayloadListByName(Resource):
    def on_get(self, req, resp, name: str):
        """One list by name, with names and its IOV count."""
        if self.not_modified(req, resp, state.database_validator()):
            return
        row = reads.list_by_name(name)
        if row is None:
            raise not_found(*NOT_FOUND)
        list_id, list_name, gt_name, type_name, iov_count, created = row
        self.send_bytes(resp, dumps({"id": list_id, "name": list_name, "global_tag": gt_name,
                                     "payload_type": type_name, "iov_count": iov_count,
                                     "created": render.timestamp(created)}))


class AttachList(Resource):
    def on_put(self, req, resp):
        """Attach a list to a GT, replacing the GT's list of the same type."""
        data = load(ListAttachSchema(), parse_object_body(req))
        attached = self.c.catalog.attach_list(req.identity, data["global_tag"], data["payload_list"])
        self.send(resp, render.payload_list(attached, data["global_tag"], attached.payload_type.name))

    on_patch = on_put


class DeletePayloadList(Resource):
    def on_delete(self, req, resp, name: str):
        """Delete a list without attached IOVs."""
        self.c.catalog.delete_list(req.identity, name)
        # The reference's string really says "Payload Type" here.
        self.send(resp, {"detail": f"Payload Type {name} deleted."})
