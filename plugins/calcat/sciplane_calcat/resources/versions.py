"""Version lookups of a calibration constant: the clients' retrieve flows."""

from __future__ import annotations

from sciplane.media import dumps

from .. import render, selection
from ..cached import Answer
from ..services import by_detector, versions
from .base import Resource


class VersionLookup(Resource):
    """One of the per-PDU lookups: ``strategy`` decides, ``single`` answers the first as an object."""

    def __init__(self, c, strategy: str, *, single: bool, own_only: bool = False):
        super().__init__(c)
        self.strategy, self.single, self.own_only = strategy, single, own_only

    def on_get(self, req, resp, pk: int):
        found = versions.for_pdu(pk, req.params, self.c.tz, self.strategy, own_only=self.own_only)
        rendered = render.versions(found[:1] if self.single else found, self.view(req))
        self.send(resp, rendered[0] if self.single else rendered)


class ClosestByDetector(Resource):
    def on_get(self, req, resp, pk: int):
        """For each PDU of ``detector_id`` the closest version, nearest first."""
        self.send(resp, render.versions(versions.closest_by_detector(pk, req.params, self.c.tz), self.view(req)))


def lookups(c) -> dict[str, Resource]:
    """The lookup resources by path segment."""
    return {
        "get_version": VersionLookup(c, selection.PRIOR, single=True, own_only=True),
        "get_closest_version": VersionLookup(c, selection.CLOSEST, single=True),
        "get_prior_in_time_version": VersionLookup(c, selection.PRIOR, single=True),
        "get_all_versions": VersionLookup(c, selection.CLOSEST, single=False),
        "get_closest_version_by_detector": ClosestByDetector(c),
    }


class ByDetectorConditions(Resource):
    def on_get(self, req, resp):
        """One version per module and calibration of the detector for the body's condition."""
        def compute(body: dict) -> Answer:
            found = by_detector.find(req.params, body, self.call(req))
            return Answer(dumps(render.versions(found.versions, self.view(req), found.constants, found.pdus)),
                          found.valid_until_us)
        self.send_cached(req, resp, "get_by_detector_conditions", compute)

    on_post = on_get
