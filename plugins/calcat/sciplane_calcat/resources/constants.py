"""Calibration constants by calibration: the lookups of the client's inject and retrieve flows."""

from __future__ import annotations

from .. import render
from ..services import constants
from .base import Resource


class ConstantOfCalibration(Resource):
    def on_get(self, req, resp, pk: int):
        """The calibration's constant for ``detector_type_id`` and ``condition_id``."""
        self.send(resp, render.calibration_constants([constants.for_condition(pk, req.params)], self.view(req))[0])


class ConstantsOfCalibration(Resource):
    def on_get(self, req, resp, pk: int):
        """The calibration's constants for ``detector_type_id`` and any of ``condition_ids``, newest first."""
        self.send(resp, render.calibration_constants(constants.for_conditions(pk, req.params), self.view(req)))
