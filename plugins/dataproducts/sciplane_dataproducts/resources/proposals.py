"""Goodman ``/api/proposals/``: the proposal list and records, staff management, and the collaborator
endpoint with its legacy GET-with-a-form-body call."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import falcon
import orjson

from sciplane import PayloadTooLarge

from ..models import Group
from ..services import proposals
from ..wire.listing import Filter, filter_conditions, last, paginate

FILTERS = {"soar_id": Filter(lambda v: Group.name == v), "semester": Filter(lambda v: Group.semester == v)}
LEGACY_BODY_BYTES = 64 * 1024


class Proposals:
    def __init__(self, settings, dialect, accounts):
        self.settings, self.dialect, self.accounts = settings, dialect, accounts

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        conditions = filter_conditions(req.params, FILTERS)
        query = Group.select().where(proposals.visible(req.identity), *conditions).order_by(Group.id.desc())
        resp.media = paginate(req, query, page_size=self.dialect.page_size, max_page_size=self.settings.max_page_size,
                              default_mode=self.dialect.default_pagination, render=proposals.render)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.get_media()
        proposal = proposals.create(self.accounts, req.identity, body if isinstance(body, dict) else {})
        resp.status = falcon.HTTP_201
        resp.media = proposals.render([proposal])[0]


class ProposalItem:
    def __init__(self, accounts):
        self.accounts = accounts

    def on_get(self, req: falcon.Request, resp: falcon.Response, proposal_id: int) -> None:
        resp.media = proposals.render([proposals.get_visible(req.identity, proposal_id)])[0]

    def on_patch(self, req: falcon.Request, resp: falcon.Response, proposal_id: int) -> None:
        body = req.get_media()
        proposal = proposals.update(self.accounts, req.identity, proposal_id, body if isinstance(body, dict) else {})
        resp.media = proposals.render([proposal])[0]


def legacy_parameters(req: falcon.Request) -> dict[str, Any]:
    """The documented client sends a GET whose body is form-encoded though it is labelled JSON: read the body on
    every method, as JSON when it is a JSON object, as a form otherwise, whatever the declared type; body fields
    win over the query string."""
    raw = req.bounded_stream.read(LEGACY_BODY_BYTES + 1)
    if len(raw) > LEGACY_BODY_BYTES:
        raise PayloadTooLarge(f"The body exceeds {LEGACY_BODY_BYTES} bytes.", max_bytes=LEGACY_BODY_BYTES)
    params = {name: last(value) for name, value in req.params.items()}
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        return params
    if text.startswith("{"):
        try:
            parsed = orjson.loads(text)
            if isinstance(parsed, dict):
                return {**params, **parsed}
        except orjson.JSONDecodeError:
            pass
    return {**params, **dict(parse_qsl(text, keep_blank_values=True))}


class Collaborators:
    def __init__(self, accounts):
        self.accounts = accounts

    def on_post(self, req: falcon.Request, resp: falcon.Response, proposal_id: int) -> None:
        proposal = proposals.collaborators(self.accounts, req.identity, proposal_id, legacy_parameters(req))
        resp.media = proposals.render([proposal])[0]

    on_get = on_post  # the legacy form, kept because the documented client uses it
