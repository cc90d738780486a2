"""Goodman ``/api/proposals/``: the proposal list and records, staff management, and the collaborator
endpoint with its legacy GET-with-a-form-body call."""

from __future__ import annotations

import falcon

from ..models import Group
from ..services import proposals
from ..wire.bodies import tolerant_parameters
from ..wire.listing import Filter, filter_conditions, paginate

FILTERS = {"soar_id": Filter(lambda v: Group.name == v), "semester": Filter(lambda v: Group.semester == v)}


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


class Collaborators:
    def __init__(self, accounts):
        self.accounts = accounts

    def on_post(self, req: falcon.Request, resp: falcon.Response, proposal_id: int) -> None:
        proposal = proposals.collaborators(self.accounts, req.identity, proposal_id, tolerant_parameters(req))
        resp.media = proposals.render([proposal])[0]

    on_get = on_post  # the legacy form, kept because the documented client uses it
