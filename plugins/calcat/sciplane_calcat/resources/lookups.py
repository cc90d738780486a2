"""Lookups that answer lists without pagination."""

from __future__ import annotations

from .. import render
from ..services import lookups, pdus
from .base import Resource


class DetectorsByInstrument(Resource):
    def on_get(self, req, resp):
        """The detectors linked to ``instrument_id``."""
        rows = lookups.detectors_by_instrument(req.params.get("instrument_id"))
        self.send(resp, render.detectors(rows, self.view(req)))


class ModesByDetectorType(Resource):
    def on_get(self, req, resp):
        """The available operation modes of ``detector_type_id``, in link position order."""
        rows = lookups.modes_by_detector_type(req.params.get("detector_type_id"))
        self.send(resp, render.operation_modes(rows, self.view(req)))


class PdusByDetector(Resource):
    def on_get(self, req, resp):
        """The PDUs mapped to ``detector_id`` at ``pdu_snapshot_at`` (alias ``snapshot_at``; empty: now)."""
        at = pdus.snapshot_time(req.params, self.c.tz, "pdu_snapshot_at", "snapshot_at")
        self.send(resp, render.pdus(pdus.mapped_at(req.params.get("detector_id"), at), self.view(req)))


class PduMappings(Resource):
    def on_get(self, req, resp, pk: int):
        """The PDU's mapping history, oldest first."""
        self.send(resp, render.mappings(pdus.mappings(pk), self.view(req)))
