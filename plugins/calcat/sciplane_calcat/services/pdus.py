"""Physical detector units and where they were mapped over time.

A PDU's current slot (detector, ``karabo_da``, …) lives in its own columns;
every mapping it had is a row of ``calcat_pdu_mapping`` valid over
``[valid_from, valid_to)``, null bounds open.  A first mapping starts at the
beginning of time unless ``mapping_valid_from`` says otherwise, so a PDU
registered today counts for lookups of existing data; later changes take
effect at ``mapping_valid_from`` or now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee

from .. import render
from ..errors import BLANK, INVALID, OUT_OF_RANGE, TAKEN, Invalid, bad_request, not_found
from ..models import CalibrationConstantVersion, Detector, DetectorType, PduMapping, PhysicalDetectorUnit
from ..wire import scalars, times
from ..wire.fields import Field
from ..wire.scalars import query_id
from .catalog import AVAILABLE, DESCRIPTION
from .records import Dependent, Kind, Unique, equals

UUID_LIMIT = 0x7FF0000000000000  # uuids at or above it have no finite float_uuid
MAPPING = ("detector", "karabo_da", "virtual_device_name", "module_number")


@dataclass(frozen=True)
class MappingChange:
    """What an accepted write does to the history: close the open row at ``at``, open one from ``start``."""

    at: int | None
    start: int | None
    open_new: bool


def _check(values: dict, body: dict, current, errors: Invalid, ctx) -> MappingChange | None:
    uuid = values.get("uuid")
    if uuid is not None and not 0 <= uuid < UUID_LIMIT:
        errors.add("uuid", OUT_OF_RANGE)
    if values.get("detector") is None and current is None or "detector" in values and values["detector"] is None:
        # Unmapped: the slot attributes go with the detector.
        for column in MAPPING[1:]:
            if current is not None or values.get(column) is not None:
                values[column] = None
    try:
        valid_from = times.parse(body.get("mapping_valid_from"), ctx.tz)
    except ValueError:
        errors.add("mapping_valid_from", "is not a valid datetime")
        return None
    valid_from = None if valid_from is times.NOT_GIVEN else valid_from
    old = {column: getattr(current, _attr(column)) for column in MAPPING} if current else dict.fromkeys(MAPPING)
    new = {column: values.get(column, old[column]) for column in MAPPING}
    if new["detector"] is not None and new["karabo_da"] is None:
        errors.add("karabo_da", BLANK)
    if new == old and current is not None:
        return None
    history = _history(current.id) if current is not None else []
    if not history:  # a first mapping: open start unless dated, and a date is never in the future (§10.1)
        if valid_from is not None and valid_from > times.now_us():
            errors.add("mapping_valid_from", INVALID)
            return None
        change = MappingChange(None, valid_from, new["detector"] is not None)
    else:
        at = valid_from if valid_from is not None else times.now_us()
        open_row = next((row for row in history if row.valid_to_us is None), None)
        last_end = max((row.valid_to_us for row in history if row.valid_to_us is not None), default=None)
        if at > times.now_us() or (open_row is not None and open_row.valid_from_us is not None
                                   and at <= open_row.valid_from_us) or (last_end is not None and at < last_end):
            errors.add("mapping_valid_from", INVALID)
            return None
        change = MappingChange(at, at, new["detector"] is not None)
    if change.open_new and _slot_taken(new["detector"], new["karabo_da"], change.start, current):
        errors.add("karabo_da", TAKEN)
    return change


def _slot_taken(detector_id: int, karabo_da: str, start: int | None, current) -> bool:
    """Whether another PDU holds the slot at some instant from ``start`` on."""
    query = PduMapping.select().where((PduMapping.detector == detector_id) & (PduMapping.karabo_da == karabo_da))
    if current is not None:
        query = query.where(PduMapping.pdu != current.id)
    if start is not None:
        query = query.where(PduMapping.valid_to_us.is_null() | (PduMapping.valid_to_us > start))
    return query.exists()


def _write_history(row: PhysicalDetectorUnit, body: dict, ctx, change: MappingChange | None) -> None:
    if change is None:
        return
    if change.at is not None:
        (PduMapping.update(valid_to_us=change.at)
         .where((PduMapping.pdu == row.id) & PduMapping.valid_to_us.is_null()).execute())
    if change.open_new:
        PduMapping.create(pdu=row.id, detector=row.detector_id, karabo_da=row.karabo_da,
                          virtual_device_name=row.virtual_device_name, module_number=row.module_number,
                          valid_from_us=change.start, valid_to_us=None, created_at_us=times.now_us())


def _history(pdu_id: int) -> list[PduMapping]:
    return list(PduMapping.select().where(PduMapping.pdu == pdu_id).order_by(PduMapping.id))


def _attr(column: str) -> str:
    return "detector_id" if column == "detector" else column


PDUS = Kind(
    "physical_detector_units", "physical_detector_unit", PhysicalDetectorUnit,
    [Field("physical_name", required=True, max_length=255, immutable=True),
     Field("uuid", "int", immutable=True, bits=64),
     Field("detector_type_id", "ref", column="detector_type", target=DetectorType, required=True, immutable=True),
     Field("detector_id", "ref", column="detector", target=Detector),
     Field("karabo_da", max_length=255, blank_null=True), Field("virtual_device_name", max_length=255,
                                                                blank_null=True),
     Field("module_number", "int"), AVAILABLE, DESCRIPTION],
    render.pdus,
    unique=[Unique(("physical_name",), ("physical_name",)), Unique(("detector", "karabo_da"), ("karabo_da",)),
            Unique(("uuid",), ("uuid",))],
    filters={"physical_name": equals(PhysicalDetectorUnit.physical_name),
             "detector_id": equals(PhysicalDetectorUnit.detector),
             "karabo_da": equals(PhysicalDetectorUnit.karabo_da), "uuid": equals(PhysicalDetectorUnit.uuid),
             "detector_type_id": equals(PhysicalDetectorUnit.detector_type)},
    dependents=[Dependent(CalibrationConstantVersion, "physical_detector_unit", "calibration constant versions")],
    check=_check, after=_write_history)


# -- reads at an instant --------------------------------------------------------------------


def query_time(params: dict, tz: str, *keys: str) -> int | None:
    """The first non-empty of ``keys`` in the query, parsed; None when none is given; 400 when invalid."""
    for key in keys:
        try:
            value = times.parse(scalars.last(params.get(key)), tz)
        except ValueError:
            raise bad_request({key: ["is not a valid datetime"]}) from None
        if value is not times.NOT_GIVEN:
            return value
    return None


def snapshot_time(params: dict, tz: str, *keys: str) -> int:
    """:func:`query_time`, now when none is given."""
    value = query_time(params, tz, *keys)
    return times.now_us() if value is None else value


def in_force(at: int) -> peewee.Expression:
    """Mapping rows valid at ``at``."""
    return ((PduMapping.valid_from_us.is_null() | (PduMapping.valid_from_us <= at))
            & (PduMapping.valid_to_us.is_null() | (PduMapping.valid_to_us > at)))


def mapped_at(detector_id: Any, at: int) -> list[PhysicalDetectorUnit]:
    """The PDUs mapped to the detector at ``at``, by ``karabo_da`` then id, carrying that mapping."""
    rows = (PhysicalDetectorUnit.select(PhysicalDetectorUnit, PduMapping)
            .join(PduMapping, on=PduMapping.pdu == PhysicalDetectorUnit.id)
            .where((PduMapping.detector == query_id(detector_id)) & in_force(at))
            .order_by(PduMapping.karabo_da, PhysicalDetectorUnit.id))
    out = []
    for pdu in rows:
        mapping = pdu.pdumapping
        pdu.detector_id, pdu.karabo_da = mapping.detector_id, mapping.karabo_da
        pdu.virtual_device_name, pdu.module_number = mapping.virtual_device_name, mapping.module_number
        out.append(pdu)
    if not out:
        raise not_found()
    return out


def mapping_boundaries(detector_id: int) -> list[int | None]:
    """Every instant at which the detector's mapping changes (each mapping's start and end)."""
    rows = (PduMapping.select(PduMapping.valid_from_us, PduMapping.valid_to_us)
            .where(PduMapping.detector == detector_id).tuples())
    return [instant for row in rows for instant in row]


def mappings(pdu_id: int) -> list[PduMapping]:
    """The PDU's mapping history, oldest first (404 for an unknown PDU)."""
    if query_id(pdu_id) is None or not PhysicalDetectorUnit.select().where(PhysicalDetectorUnit.id == pdu_id).exists():
        raise not_found()
    return sorted(_history(pdu_id), key=lambda row: (row.valid_from_us is not None, row.valid_from_us or 0, row.id))
