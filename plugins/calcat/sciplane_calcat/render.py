"""JSON shapes of the models, with the reference's keys in the reference's order.

Renderers take a list of rows and answer a list of objects, so related rows
(instrument links, say) are read once per response, not once per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .models import (
    CalibrationConstant,
    CalibrationConstantVersion,
    Detector,
    DetectorInstrument,
    DetectorType,
    OperationModeDetectorType,
    Parameter,
    ParameterCondition,
    PduMapping,
    PhysicalDetectorUnit,
)
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


def conditions(rows, view: View) -> list[dict]:
    """Conditions with their parameter conditions (by id, with parameter names), read in one statement."""
    by_condition = defaultdict(list)
    if rows:
        query = (ParameterCondition.select(ParameterCondition, Parameter.name)
                 .join(Parameter, on=ParameterCondition.parameter == Parameter.id)
                 .where(ParameterCondition.condition.in_([r.id for r in rows])).order_by(ParameterCondition.id))
        for pc in query:
            by_condition[pc.condition_id].append({
                "id": pc.id, "parameter_id": pc.parameter_id, "parameter_name": pc.parameter.name,
                "condition_id": pc.condition_id, "value": pc.value, "txt_value": pc.txt_value,
                "lower_deviation_value": pc.lower_deviation_value, "upper_deviation_value": pc.upper_deviation_value,
                "flg_available": pc.flg_available, "description": pc.description,
                "created_at": view.time(pc.created_at_us)})
    return [{"id": r.id, "name": r.name, "num_parameters": r.num_parameters, "flg_available": r.flg_available,
             "description": r.description, "created_at": view.time(r.created_at_us),
             "parameters_conditions": by_condition[r.id]} for r in rows]


def calibration_constants(rows, view: View) -> list[dict]:
    return [{"id": r.id, "name": r.name, "detector_type_id": r.detector_type_id, "calibration_id": r.calibration_id,
             "condition_id": r.condition_id, "flg_auto_approve": r.flg_auto_approve, "flg_available": r.flg_available,
             "description": r.description, "created_at": view.time(r.created_at_us),
             "updated_at": view.time(r.updated_at_us)} for r in rows]


def versions(rows, view: View, constant_rows: dict | None = None, pdu_rows: dict | None = None) -> list[dict]:
    """Versions with exactly the reference's keys: their constant, and their PDU with the mapping in force
    now and at the version's ``begin_at``.  Related rows are read in three statements for any number
    (one, when the caller already holds the constants and the PDUs by id)."""
    if constant_rows is None:
        constant_rows = {cc.id: cc for cc in CalibrationConstant.select().where(
            CalibrationConstant.id.in_({r.calibration_constant_id for r in rows}))} if rows else {}
    constants = {r["id"]: r for r in calibration_constants(list(constant_rows.values()), view)}
    pdu_ids = {r.physical_detector_unit_id for r in rows}
    if pdu_rows is None:
        pdu_rows = {p.id: p for p in PhysicalDetectorUnit.select().where(PhysicalDetectorUnit.id.in_(pdu_ids))} \
            if rows else {}
    pdus = pdu_rows
    history = defaultdict(list)
    if rows:
        for mapping in PduMapping.select().where(PduMapping.pdu.in_(pdu_ids)):
            history[mapping.pdu_id].append(mapping)
    return [_version(r, constants[r.calibration_constant_id], pdus[r.physical_detector_unit_id],
                     history[r.physical_detector_unit_id], view) for r in rows]


def _version(r, constant: dict, pdu, mappings: list, view: View) -> dict:
    then = next((m for m in mappings if (m.valid_from_us is None or m.valid_from_us <= r.begin_at_us)
                 and (m.valid_to_us is None or m.valid_to_us > r.begin_at_us)), None)
    return {
        "id": r.id, "name": r.name, "file_name": r.file_name, "path_to_file": r.path_to_file,
        "data_set_name": r.data_set_name, "flg_deployed": r.flg_deployed, "flg_good_quality": r.flg_good_quality,
        "begin_validity_at": view.time(r.begin_validity_at_us), "end_validity_at": view.time(r.end_validity_at_us),
        "begin_at": view.time(r.begin_at_us), "start_idx": r.start_idx, "end_idx": r.end_idx,
        "raw_data_location": r.raw_data_location, "report_id": r.report_id, "description": r.description,
        "created_at": view.time(r.created_at_us),
        "view_url": f"{view.base_url}/calibration_constant_versions/{r.id}",
        "calibration_constant": constant,
        "physical_detector_unit": {
            "id": pdu.id, "physical_name": pdu.physical_name, "detector_type_id": pdu.detector_type_id,
            "flg_available": pdu.flg_available, "description": pdu.description,
            "created_at": view.time(pdu.created_at_us), "updated_at": view.time(pdu.updated_at_us),
            "karabo_da": pdu.karabo_da, "detector_id": pdu.detector_id,
            "virtual_device_name": pdu.virtual_device_name, "uuid": pdu.uuid,
            "float_uuid": scalars.float_of_bits(pdu.uuid), "module_number": pdu.module_number,
            "karabo_da_at_ccv_begin_at": then.karabo_da if then else None,
            "detector_id_at_ccv_begin_at": then.detector_id if then else None,
            "virtual_device_name_at_ccv_begin_at": then.virtual_device_name if then else None,
            "module_number_at_ccv_begin_at": then.module_number if then else None}}


def reports_with_versions(rows, view: View) -> list[dict]:
    """A report with every version it produced, by id (the item view)."""
    out = reports(rows, view)
    for report in out:
        report["calibration_constant_versions"] = versions(
            list(CalibrationConstantVersion.select().where(CalibrationConstantVersion.report == report["id"])
                 .order_by(CalibrationConstantVersion.id)), view)
    return out
