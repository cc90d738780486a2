"""Payload IOVs: listing, creation, attachment, deletion, bulk loading."""

from __future__ import annotations

from marshmallow import ValidationError

from sciplane.media import dumps

from .. import render
from ..errors import CondError, not_found
from ..models import PayloadList
from ..points import MAX
from ..schemas import (
    BulkItemSchema,
    IOVAttachSchema,
    IOVCreateSchema,
    decode_json,
    load,
    load_fast,
    parse_object_body,
    python_type_name,
)
from ..services import reads, state
from ..services.iovs import range_message
from .base import Resource, encode_many, json_array
from .catalog import NOT_FOUND, Browsable

MAX_REPORTED_ITEMS = 100


class PayloadIOVs(Browsable):
    kind = "payload_iovs"
    streamed = True

    def full_listing(self, resp, validator, snapshot) -> None:
        resp.content_type = "application/json"
        resp.stream = snapshot.stream(json_array(
            [encode_many([render.piov_tuple(row) for row in chunk])] for chunk in reads.all_iovs()))

    def on_post(self, req, resp):
        """Create a detached IOV."""
        data = load(IOVCreateSchema(), parse_object_body(req))
        iov = self.c.iovs.create(req.identity, data)
        self.send(resp, render.piov(iov, None))


class PayloadIOVItem(Resource):
    def on_get(self, req, resp, pk: int | None = None, gt: str | None = None):
        """One IOV, attached or not."""
        pk = self.primary_key(pk, gt)
        if pk is None:
            raise not_found(*NOT_FOUND)
        if self.not_modified(req, resp, state.database_validator()):
            return
        row = reads.iov_with_list(pk)
        if row is None:
            raise not_found(*NOT_FOUND)
        self.send_bytes(resp, dumps(render.piov_tuple(row)))


class AttachIOV(Resource):
    def on_put(self, req, resp):
        """Attach an IOV to a list, applying the GT's write rules."""
        data = load(IOVAttachSchema(), parse_object_body(req))
        iov = self.c.iovs.attach(req.identity, data["payload_list"], data["piov_id"])
        self.send(resp, render.piov(iov, PayloadList.get_by_id(iov.payload_list_id).name))

    on_patch = on_put


class DeleteIOV(Resource):
    def on_delete(self, req, resp, gt: str, payload_type: str, major: int, minor: int,
                  major_end: int = MAX, minor_end: int = MAX):
        """Delete the attached IOVs of the GT's list of this type with exactly this start and end."""
        if not self.in_int64(major, minor, major_end, minor_end):
            raise not_found("payload_iov_not_found", "PayloadIOV with given parameters doesn't exist")
        url = self.c.iovs.delete(req.identity, gt, payload_type, (major, minor), (major_end, minor_end))
        self.send(resp, {"detail": f"PayloadIOV {url} deleted."})


class BulkIOVs(Resource):
    def on_post(self, req, resp):
        """Create and attach many IOVs in one transaction; 200 with an empty body."""
        items = decode_json(req.bounded_stream.read())
        if not isinstance(items, list):
            raise CondError(400, "bad_request", f'Expected a list of items but got type "{python_type_name(items)}".')
        limit = self.settings.bulk_max_items
        if len(items) > limit:
            raise CondError(413, "payload_too_large", f"Too many items in bulk_piov request: {len(items)} > {limit}.")
        self.c.iovs.bulk(req.identity, validate_items(items, self.c.iovs.mode))
        resp.status = 200
        resp.set_header("Cache-Control", "no-store")
        resp.omit_content_type()


def validate_items(items: list, mode) -> list[dict]:
    """Every item's fields and range; all failures (up to 100 items) reported together."""
    schema = BulkItemSchema()
    valid, errors = [], {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[str(index)] = {"non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {python_type_name(item)}."]}
            continue
        try:
            data = load_fast(schema, item)
        except ValidationError as exc:
            errors[str(index)] = exc.messages
            continue
        start, end = (data["major_iov"], data["minor_iov"]), (data["major_iov_end"], data["minor_iov_end"])
        if not mode.valid_range(start, end):
            errors[str(index)] = {"non_field_errors": [range_message(data["payload_url"], start, end)]}
            continue
        valid.append(data)
    if errors:
        reported = dict(list(errors.items())[:MAX_REPORTED_ITEMS])
        raise CondError(400, "validation_error", "Invalid bulk_piov item(s).", errors=reported)
    return valid
