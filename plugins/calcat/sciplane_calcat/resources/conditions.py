"""Condition searches (GET with a JSON body, or POST) and get-or-create."""

from __future__ import annotations

from sciplane.media import dumps

from .. import render
from ..cached import Answer
from ..services import conditions
from .base import Resource


class PossibleConditions(Resource):
    def on_get(self, req, resp):
        """Conditions matching the parameters within their tolerances, closest in time to ``event_at`` first."""
        call = self.call(req)

        def compute(body: dict) -> Answer:
            rows, valid_until_us = conditions.possible(body, call, call.uuid_name)
            return Answer(dumps(render.conditions(rows, self.view(req))), valid_until_us)
        self.send_cached(req, resp, "get_possible_conditions", compute)

    on_post = on_get


class ExpectedCondition(Resource):
    def on_get(self, req, resp):
        """The newest condition with exactly these values and deviations."""
        row = conditions.expected(self.body(req), self.c.settings.uuid_parameter_name)
        self.send(resp, render.conditions([row], self.view(req))[0])

    on_post = on_get


class SetExpectedCondition(Resource):
    def on_post(self, req, resp):
        """The exact match (200), or a new condition (201)."""
        call = self.call(req)
        row, created = conditions.set_expected(self.body(req), call, call.uuid_name)
        if created:
            self.audit(req, "conditions.create", id=row.id)
        self.send(resp, render.conditions([row], self.view(req))[0], 201 if created else 200)
