"""JSON shapes of the models, with the reference's keys in the reference's order.

Renderers take a list of rows and answer a list of objects, so related rows
(instrument links, say) are read once per response, not once per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .models import Detector, DetectorInstrument, DetectorType, OperationModeDetectorType
from .wire import scalars, times


@dataclass(frozen=True)
class View:
    """What rendering needs from the request: the time zone and the base of ``view_url``."""

    tz: str
    base_url: str

    def time(self, us: int | None) -> str | None:
        return times.render(us, self.tz)


def units(rows, view: View) -> list[dict]:
    return [{"id": r.id, "name": r.name, "symbol": r.symbol, "flg_available": r.flg_available,
             "description": r.description} for r in rows]


def instruments(rows, view: View) -> list[dict]:
    return [{"id": r.id, "name": r.name, "identifier": r.identifier, "url": r.url, "flg_available": r.flg_available,
             "description": r.description} for r in rows]


def detector_types(rows, view: View) -> list[dict]:
    return [{"id": r.id, "name": r.name, "flg_available": r.flg_available, "description": r.description}
            for r in rows]


def operation_modes(rows, view: View) -> list[dict]:
    links = defaultdict(list)
    if rows:
        query = (OperationModeDetectorType.select()
                 .where(OperationModeDetectorType.operation_mode.in_([r.id for r in rows]))
                 .order_by(OperationModeDetectorType.position, OperationModeDetectorType.id))
        for link in query:
            links[link.operation_mode_id].append({"detector_type_id": link.detector_type_id,
                                                  "operation_mode_id": link.operation_mode_id,
                                                  "position": link.position})
    return [{"id": r.id, "name": r.name, "flg_available": r.flg_available, "description": r.description,
             "detector_types_operation_modes": links[r.id]} for r in rows]


def detector(r) -> dict:
    """A detector without its instrument links (the copy nested in a PDU)."""
    return {"id": r.id, "name": r.name, "identifier": r.identifier, "karabo_name": r.karabo_name,
            "karabo_id_control": r.karabo_id_control, "source_name_pattern": r.source_name_pattern,
            "number_of_modules": r.number_of_modules, "first_module_index": r.first_module_index,
            "flg_available": r.flg_available, "description": r.description}


def detectors(rows, view: View) -> list[dict]:
    links = defaultdict(list)
    if rows:
        query = (DetectorInstrument.select(DetectorInstrument.detector, DetectorInstrument.instrument)
                 .where(DetectorInstrument.detector.in_([r.id for r in rows]))
                 .order_by(DetectorInstrument.instrument).tuples())
        for detector_id, instrument_id in query:
            links[detector_id].append({"instrument_id": instrument_id, "detector_id": detector_id})
    return [{**detector(r), "detectors_instruments": links[r.id]} for r in rows]


def parameters(rows, view: View) -> list[dict]:
    return [{"id": r.id, "name": r.name, "unit_id": r.unit_id, "flg_available": r.flg_available,
             "flg_logarithmic": r.flg_logarithmic, "flg_text": r.flg_text,
             "def_lower_deviation_value": r.def_lower_deviation_value,
             "def_upper_deviation_value": r.def_upper_deviation_value, "description": r.description} for r in rows]


def calibrations(rows, view: View) -> list[dict]:
    return [{"id": r.id, "name": r.name, "unit_id": r.unit_id, "max_value": r.max_value, "min_value": r.min_value,
             "allowed_deviation": r.allowed_deviation, "description": r.description} for r in rows]


def reports(rows, view: View) -> list[dict]:
    return [{"id": r.id, "name": r.name, "file_path": r.file_path, "flg_available": r.flg_available,
             "description": r.description, "user_id": r.user_id,
             "view_url": f"{view.base_url}/reports/{r.id}"} for r in rows]


def pdus(rows, view: View) -> list[dict]:
    """PDUs with their detector (without instrument links; null when unmapped) and detector type."""
    detector_ids = {r.detector_id for r in rows if r.detector_id is not None}
    type_ids = {r.detector_type_id for r in rows}
    found = {d.id: detector(d) for d in Detector.select().where(Detector.id.in_(list(detector_ids)))} \
        if detector_ids else {}
    types = {t["id"]: t for t in detector_types(DetectorType.select().where(DetectorType.id.in_(list(type_ids))),
                                                 view)} if type_ids else {}
    return [{"id": r.id, "physical_name": r.physical_name, "karabo_da": r.karabo_da,
             "virtual_device_name": r.virtual_device_name, "uuid": r.uuid, "float_uuid": scalars.float_of_bits(r.uuid),
             "detector_type_id": r.detector_type_id, "detector_id": r.detector_id, "module_number": r.module_number,
             "flg_available": r.flg_available, "description": r.description,
             "detector": found.get(r.detector_id), "detector_type": types.get(r.detector_type_id)} for r in rows]


def mappings(rows, view: View) -> list[dict]:
    return [{"detector_id": r.detector_id, "karabo_da": r.karabo_da, "virtual_device_name": r.virtual_device_name,
             "module_number": r.module_number, "valid_from": view.time(r.valid_from_us),
             "valid_to": view.time(r.valid_to_us)} for r in rows]
