"""Calibration constants: a calibration for a detector type under a condition."""

from __future__ import annotations

from typing import Any

from .. import render
from ..errors import not_found
from ..models import Calibration, CalibrationConstant, CalibrationConstantVersion, Condition, DetectorType
from ..wire import scalars
from ..wire.fields import Field
from ..wire.scalars import query_id
from .catalog import AVAILABLE, DESCRIPTION, name_filter
from .records import Dependent, Kind, Unique, equals

CONSTANTS = Kind(
    "calibration_constants", "calibration_constant", CalibrationConstant,
    [Field("name", required=True, max_length=255),
     Field("calibration_id", "ref", column="calibration", target=Calibration, required=True, immutable=True),
     Field("detector_type_id", "ref", column="detector_type", target=DetectorType, required=True, immutable=True),
     Field("condition_id", "ref", column="condition", target=Condition, required=True, immutable=True),
     Field("flg_auto_approve", "bool", default=True), AVAILABLE, DESCRIPTION],
    render.calibration_constants,
    unique=[Unique(("name",), ("name",)),
            Unique(("calibration", "detector_type", "condition"), ("detector_type", "calibration", "condition"))],
    filters={**name_filter(CalibrationConstant), "calibration_id": equals(CalibrationConstant.calibration),
             "detector_type_id": equals(CalibrationConstant.detector_type),
             "condition_id": equals(CalibrationConstant.condition)},
    dependents=[Dependent(CalibrationConstantVersion, "calibration_constant", "calibration constant versions")])


def _available(calibration_id: int, detector_type_id: Any):
    # query_id: a path id too large for the column matches nothing.
    return ((CalibrationConstant.calibration == query_id(calibration_id))
            & (CalibrationConstant.detector_type == query_id(detector_type_id)) & CalibrationConstant.flg_available)


def for_condition(calibration_id: int, params: dict) -> CalibrationConstant:
    """The available CC of the path's calibration for ``detector_type_id`` and ``condition_id`` (404 if none);
    the query's ``calibration_id`` is ignored: the path decides."""
    found = (CalibrationConstant.select()
             .where(_available(calibration_id, params.get("detector_type_id"))
                    & (CalibrationConstant.condition == query_id(params.get("condition_id")))).first())
    if found is None:
        raise not_found()
    return found


def for_conditions(calibration_id: int, params: dict) -> list[CalibrationConstant]:
    """Available CCs of the calibration and type for any of ``condition_ids``, newest first; 404 when none
    (the clients' wrappers index ``[0]`` into the answer)."""
    ids = scalars.query_ids(params.get("condition_ids"))
    rows = list(CalibrationConstant.select()
                .where(_available(calibration_id, params.get("detector_type_id"))
                       & CalibrationConstant.condition.in_(ids or [0]))
                .order_by(CalibrationConstant.created_at_us.desc(), CalibrationConstant.id.desc()))
    if not rows:
        raise not_found()
    return rows
