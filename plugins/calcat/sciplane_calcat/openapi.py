"""OpenAPI operations of the mount: the dialect's bodies and errors, per route."""

from __future__ import annotations

from typing import Any

ERROR = {"description": "Error: a text or a field dictionary under ``info`` (machine-readable code in the "
                        "``X-Error-Code`` header; the token endpoint answers RFC 6749 errors)",
         "content": {"application/json": {"schema": {
             "type": "object", "required": ["info"],
             "properties": {"info": {"oneOf": [{"type": "string"}, {"type": "object"}]}}}}}}
OBJECT = {"type": "object", "required": ["id"], "properties": {"id": {"type": ["integer", "null"]}}}
PAGE_HEADERS = {name: {"schema": {"type": "string", "pattern": "^[0-9]+$"}}
                for name in ("X-Total-Count", "X-Count-Per-Page", "X-Current-Page", "X-Total-Pages")}


def _json(schema: dict, description: str, **extra: Any) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def _body(body_key: str) -> dict:
    return {"required": False, "content": {"application/json": {"schema": {
        "type": "object", "properties": {body_key: {"type": "object"}}}}}}


def collection(body_key: str) -> dict[str, dict]:
    return {
        "get": {"responses": {"200": _json({"type": "array", "items": OBJECT}, "One page, by id",
                                           headers=PAGE_HEADERS), "default": ERROR}},
        "post": {"requestBody": _body(body_key),
                 "responses": {"201": _json(OBJECT, "Created"), "default": ERROR}},
    }


def item(body_key: str, writable: bool = True) -> dict[str, dict]:
    operations = {"get": {"responses": {"200": _json(OBJECT, "The object"), "default": ERROR}}}
    if writable:
        update = {"requestBody": _body(body_key), "responses": {"200": _json(OBJECT, "Updated"), "default": ERROR}}
        operations.update(put=update, patch=update,
                          delete={"responses": {"204": {"description": "Deleted"}, "default": ERROR}})
    return operations


def get_or_create(body_key: str) -> dict[str, dict]:
    return {"post": {"requestBody": _body(body_key),
                     "responses": {"200": _json(OBJECT, "Found"), "201": _json(OBJECT, "Created"),
                                   "default": ERROR}}}


ME = {"get": {"responses": {"200": _json(OBJECT, "The caller's user"), "default": ERROR}}}
LIST = {"get": {"responses": {"200": _json({"type": "array", "items": OBJECT}, "The matching objects"),
                              "default": ERROR}}}
_QUERY = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}
SEARCH = {method: {"requestBody": _QUERY, "responses": {
    "200": _json({"type": "array", "items": OBJECT}, "Matching conditions"), "default": ERROR}}
    for method in ("get", "post")}
FIND = {method: {"requestBody": _QUERY, "responses": {"200": _json(OBJECT, "The match"), "default": ERROR}}
        for method in ("get", "post")}
ONE = {"get": {"responses": {"200": _json(OBJECT, "The object"), "default": ERROR}}}
