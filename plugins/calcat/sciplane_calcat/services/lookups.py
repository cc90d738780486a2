"""The reference's lookups over reference data: detectors by instrument, operation modes by
detector type.  Not paginated; 404 when the reference answers 404."""

from __future__ import annotations

from typing import Any

from ..errors import not_found
from ..models import Detector, DetectorInstrument, DetectorType, OperationMode, OperationModeDetectorType
from ..wire.scalars import query_id


def detectors_by_instrument(instrument_id: Any) -> list[Detector]:
    """The detectors linked to the instrument, by id; 404 for an unknown instrument or none linked."""
    rows = list(Detector.select().join(DetectorInstrument, on=DetectorInstrument.detector == Detector.id)
                .where(DetectorInstrument.instrument == query_id(instrument_id)).order_by(Detector.id))
    if not rows:
        raise not_found()
    return rows


def modes_by_detector_type(detector_type_id: Any) -> list[OperationMode]:
    """Available modes linked to the type, by link position then id; 404 for an unknown type."""
    type_id = query_id(detector_type_id)
    if type_id is None or not DetectorType.select().where(DetectorType.id == type_id).exists():
        raise not_found()
    link = OperationModeDetectorType
    return list(OperationMode.select().join(link, on=link.operation_mode == OperationMode.id)
                .where((link.detector_type == type_id) & OperationMode.flg_available)
                .order_by(link.position.asc(nulls="LAST"), OperationMode.id))


