"""OpenAPI operations of every conditions route (legacy paths and aliases share them)."""

from __future__ import annotations

from typing import Any

from .points import MAX, MIN
from .schemas import (
    GlobalTagCreateSchema,
    IOVAttachSchema,
    IOVCreateSchema,
    ListAttachSchema,
    NameSchema,
    PayloadListCreateSchema,
)

INT64 = {"type": "integer", "minimum": MIN, "maximum": MAX}
TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"}
NULLABLE_STRING = {"type": ["string", "null"]}


def obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


STATUS = obj(id=INT64, name={"type": "string"}, created=TIMESTAMP)
PAYLOAD_TYPE = STATUS
GT_ROW = obj(id=INT64, name={"type": "string"}, author=NULLABLE_STRING, status={"type": "string"},
             payload_lists_count={"type": "integer"}, payload_iov_count={"type": "integer"},
             created=TIMESTAMP, updated=TIMESTAMP)
GT_CREATED = obj(id=INT64, name={"type": "string"}, author=NULLABLE_STRING, status={"type": "string"},
                 created=TIMESTAMP, updated=TIMESTAMP)
GT_STATUS_CHANGED = obj(id=INT64, name={"type": "string"}, author=NULLABLE_STRING, status=INT64,
                        created=TIMESTAMP, updated=TIMESTAMP)
PIOV = obj(id=INT64, payload_url={"type": "string"}, checksum={"type": "string"}, major_iov=INT64, minor_iov=INT64,
           comb_iov={"type": "string", "pattern": r"^-?\d+\.\d{19}$"}, major_iov_end=INT64, minor_iov_end=INT64,
           payload_list=NULLABLE_STRING, inserted=TIMESTAMP)
LIST = obj(id=INT64, name={"type": "string"}, global_tag=NULLABLE_STRING, payload_type={"type": "string"},
           created=TIMESTAMP)
LIST_IDS = obj(id=INT64, name={"type": "string"}, global_tag={"type": ["integer", "null"]}, payload_type=INT64,
               created=TIMESTAMP)
LIST_BY_NAME = obj(id=INT64, name={"type": "string"}, global_tag=NULLABLE_STRING, payload_type={"type": "string"},
                   iov_count={"type": "integer"}, created=TIMESTAMP)
LIST_NESTED = obj(id=INT64, name={"type": "string"}, global_tag=NULLABLE_STRING, payload_type={"type": "string"},
                  payload_iov={"type": "array", "items": PIOV}, created=TIMESTAMP)
GT_NESTED = obj(id=INT64, name={"type": "string"}, author=NULLABLE_STRING,
                status=obj(id=INT64, name={"type": "string"}, description=NULLABLE_STRING, created=TIMESTAMP),
                payload_lists={"type": "array", "items": LIST_NESTED}, created=TIMESTAMP, updated=TIMESTAMP)
BROWSE_LIST = LIST_BY_NAME
BROWSE_PIOV = obj(id=INT64, payload_url={"type": "string"}, checksum={"type": "string"}, major_iov=INT64,
                  minor_iov=INT64, major_iov_end=INT64, minor_iov_end=INT64, payload_list=NULLABLE_STRING,
                  global_tag=NULLABLE_STRING, payload_type=NULLABLE_STRING, inserted=TIMESTAMP)
DETAIL = obj(detail={"type": "string"})
RESOLUTION = {"type": "array", "items": {"oneOf": [
    {"type": "array", "minItems": 8, "maxItems": 9, "description": "type, url, checksum, size, major, minor, "
                                                                   "major_end, minor_end[, revision]"},
    {"type": "object", "required": ["payload_type_name", "payload_url", "checksum", "size", "major_iov",
                                    "minor_iov", "major_iov_end", "minor_iov_end"]}]}}


def page_of(row: dict) -> dict:
    return obj(count={"type": "integer"}, page={"type": "integer"}, page_size={"type": "integer"},
               total_pages={"type": "integer"}, results={"type": "array", "items": row})


def ok(schema: dict | type, description: str = "Success") -> dict:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


def body(schema: type) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def query(*params: tuple[str, dict, bool]) -> dict:
    return {"parameters": [{"name": name, "in": "query", "required": required, "schema": schema}
                           for name, schema, required in params]}


BROWSE = query(("page", {"type": "integer", "minimum": 1}, False), ("page_size", {"type": "integer"}, False),
               ("search", {"type": "string"}, False), ("sort", {"type": "string"}, False),
               ("order", {"type": "string", "enum": ["asc", "desc"]}, False))
RESOLVE_QUERY = query(("gtName", {"type": "string", "minLength": 1}, True), ("majorIOV", INT64, True),
                      ("minorIOV", INT64, True), ("payloadType", {"type": "string"}, False),
                      ("shape", {"type": "string", "enum": ["rows", "dict"]}, False),
                      ("revision", {"type": "string", "enum": ["0", "1", "true", "false"]}, False))


def listing(row: dict, summary: str, browse_row: dict | None = None) -> dict:
    """A collection that answers browse pages (with other row shapes) when ``page`` is given."""
    return {"summary": summary, **BROWSE,
            "responses": ok({"oneOf": [{"type": "array", "items": row}, page_of(browse_row or row)]})}


OPERATIONS: dict[str, dict[str, dict]] = {
    "statuses": {"get": {"responses": ok({"type": "array", "items": STATUS})},
                 "post": {**body(NameSchema), "responses": ok(STATUS)}},
    "global-tags": {"get": listing(GT_ROW, "Every global tag with its counts (browse mode with `page`)")},
    "gt": {"get": {"responses": ok({"type": "array", "items": GT_NESTED})},
           "post": {**body(GlobalTagCreateSchema), "responses": ok(GT_CREATED)}},
    "gt-by-id": {"get": {"responses": ok(GT_NESTED)}},
    "global-tag": {"get": {**query(("light", {"type": "string"}, False)),
                           "responses": ok({"oneOf": [GT_NESTED, GT_ROW]})}},
    "global-tag-lists": {"get": {"responses": ok({"type": "object", "additionalProperties": {"type": "string"}})}},
    "clone": {"post": {"responses": ok(GT_ROW)}},
    "change-status": {"put": {"responses": ok(GT_STATUS_CHANGED)}, "patch": {"responses": ok(GT_STATUS_CHANGED)}},
    "delete-gt": {"delete": {"responses": ok(DETAIL)}},
    "payload-types": {"get": listing(PAYLOAD_TYPE, "Payload types (browse mode with `page`)"),
                      "post": {**body(NameSchema), "responses": ok(PAYLOAD_TYPE)}},
    "delete-payload-type": {"delete": {"responses": ok(DETAIL)}},
    "payload-lists": {"get": listing(LIST_NESTED, "Every payload list with its IOVs (browse mode with `page`)",
                                     BROWSE_LIST),
                      "post": {**body(PayloadListCreateSchema), "responses": ok(LIST)}},
    "payload-list": {"get": {"responses": ok(LIST_IDS)}},
    "payload-list-by-name": {"get": {"responses": ok(LIST_BY_NAME)}},
    "attach-list": {"put": {**body(ListAttachSchema), "responses": ok(LIST)},
                    "patch": {**body(ListAttachSchema), "responses": ok(LIST)}},
    "delete-payload-list": {"delete": {"responses": ok(DETAIL)}},
    "payload-iovs": {"get": listing(PIOV, "Every payload IOV (browse mode with `page`)", BROWSE_PIOV),
                     "post": {**body(IOVCreateSchema), "responses": ok(PIOV)}},
    "payload-iov": {"get": {"responses": ok(PIOV)}},
    "bulk": {"post": {"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "array", "items": {"type": "object"}}}}},
        "responses": {"200": {"description": "Inserted; empty body"}}}},
    "attach-iov": {"put": {**body(IOVAttachSchema), "responses": ok(PIOV)},
                   "patch": {**body(IOVAttachSchema), "responses": ok(PIOV)}},
    "delete-iov": {"delete": {"responses": ok(DETAIL)}},
    "delete-iov-range": {"delete": {"responses": ok(DETAIL)}},
    "resolve": {"get": {"summary": "Resolution: per list, the IOV with the greatest start at or before the point",
                        **RESOLVE_QUERY, "responses": ok(RESOLUTION)}},
    "resolve-orm-orderby": {"get": {**RESOLVE_QUERY, "responses": ok({"type": "array", "items": PIOV})}},
    "resolve-orm-max": {"get": {**RESOLVE_QUERY, "responses": ok({"type": "array", "items": PIOV})}},
    "setting": {"get": {"responses": ok(obj(CDB_IOV_MODE={"type": "string", "enum": ["continuous", "discrete"]}))}},
}


def operations(settings) -> dict[str, dict[str, dict]]:
    """Every route's operations; some depend on the deployment's settings."""
    seconds = {"type": "integer", "minimum": 0, "maximum": settings.timeout_max_seconds}
    return {**OPERATIONS, "timeout": {"get": {**query(("seconds", seconds, False)),
                                              "responses": ok(obj(slept={"type": "integer"}))}}}
