"""The reference data: units, instruments, detector types, operation modes, detectors,
parameters, calibrations and reports, declared as :class:`~.records.Kind` objects."""

from __future__ import annotations

from typing import Any

from .. import render
from ..errors import INVALID, MUST_EXIST, TAKEN, Invalid, invalid
from ..models import (
    Calibration,
    CalibrationConstant,
    CalibrationConstantVersion,
    Detector,
    DetectorInstrument,
    DetectorType,
    Instrument,
    OperationMode,
    OperationModeDetectorType,
    Parameter,
    ParameterCondition,
    PduMapping,
    PhysicalDetectorUnit,
    Report,
    Unit,
)
from ..wire import scalars
from ..wire.fields import Field
from .records import Dependent, Kind, Unique, equals

AVAILABLE = Field("flg_available", "bool", default=True)
DESCRIPTION = Field("description")


def _unique(*columns: str, keys: tuple[str, ...] | None = None, normalise=None) -> Unique:
    return Unique(columns, keys or columns, normalise)


# -- link lists in bodies ---------------------------------------------------------------


def entries_of(value: Any) -> list[dict]:
    """A list of link entries, or a Rails-style hash of them (``{"0": {...}}``) in key order."""
    if isinstance(value, dict):
        value = [value[key] for key in sorted(value, key=lambda k: (len(str(k)), str(k)))]
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, dict)]


def _ids_exist(model, ids: set[int]) -> bool:
    wanted = {i for i in ids if scalars.fits_id(i)}
    return len(wanted) == len(ids) and model.select().where(model.id.in_(list(wanted))).count() == len(wanted)


# -- detectors: instrument links --------------------------------------------------------


def _detector_links(body: dict) -> tuple[list[int] | None, list[int], list[int]]:
    """``(replacement set or None, ids to add, ids to remove)`` from a detector body."""
    replace = None
    if "instrument_ids" in body:
        replace = scalars.id_list(body["instrument_ids"])
    add, remove = [], []
    for entry in entries_of(body.get("detectors_instruments_attributes")):
        instrument_id = scalars.optional_int(entry.get("instrument_id"))
        if instrument_id is None:
            continue
        destroy = _destroy(entry, "detectors_instruments")
        (remove if destroy else add).append(instrument_id)
    return replace, add, remove


def _destroy(entry: dict, key: str) -> bool:
    """A nested entry's ``_destroy`` flag; a value that is no boolean, number or word is a 422 on ``key``."""
    try:
        return scalars.to_bool(entry.get("_destroy")) is True
    except ValueError:
        raise invalid(key, INVALID) from None


def _check_detector(values, body, current, errors: Invalid, ctx) -> None:
    replace, add, remove = _detector_links(body)
    wanted = set(add) | set(replace or [])
    if wanted and not _ids_exist(Instrument, wanted):
        errors.add("detectors_instruments.instrument", MUST_EXIST)


def _write_detector_links(row: Detector, body: dict, ctx, plan) -> None:
    replace, add, remove = _detector_links(body)
    links = DetectorInstrument
    if replace is not None:
        links.delete().where((links.detector == row.id) & links.instrument.not_in(replace or [0])).execute()
        add = [*replace, *add]
    if remove:
        links.delete().where((links.detector == row.id) & links.instrument.in_(remove)).execute()
    have = {i for (i,) in links.select(links.instrument).where(links.detector == row.id).tuples()}
    new = [i for i in dict.fromkeys(add) if i not in have and i not in remove]
    if new:
        links.insert_many([{"detector": row.id, "instrument": i} for i in new]).execute()


# -- operation modes: detector type links ----------------------------------------------------


def _mode_links(body: dict) -> list[tuple[int, int | None, bool]]:
    out = []
    for entry in entries_of(body.get("detector_types_operation_modes_attributes")):
        type_id = scalars.optional_int(entry.get("detector_type_id"))
        if type_id is None:
            continue
        position = scalars.optional_int(entry.get("position"))
        out.append((type_id, position, bool(_destroy(entry, "detector_types_operation_modes"))))
    return out


def _check_mode(values, body, current, errors: Invalid, ctx) -> None:
    wanted = {type_id for type_id, _, destroy in _mode_links(body) if not destroy}
    if wanted and not _ids_exist(DetectorType, wanted):
        errors.add("detector_type", MUST_EXIST)


def _write_mode_links(row: OperationMode, body: dict, ctx, plan) -> None:
    links = OperationModeDetectorType
    for type_id, position, destroy in _mode_links(body):
        mine = (links.operation_mode == row.id) & (links.detector_type == type_id)
        if destroy:
            links.delete().where(mine).execute()
        elif not links.update(position=position).where(mine).execute():
            links.insert(operation_mode=row.id, detector_type=type_id, position=position).execute()


# -- parameters -------------------------------------------------------------------------------


def _check_parameter(values, body, current, errors: Invalid, ctx) -> None:
    if "name" in values:
        values["name_ci"] = values["name"].lower()
    for key in ("def_lower_deviation_value", "def_upper_deviation_value"):
        if values.get(key) is not None and values[key] < 0:
            errors.add(key, "must be greater than or equal to 0")
    logarithmic = values.get("flg_logarithmic", current.flg_logarithmic if current else False)
    text = values.get("flg_text", current.flg_text if current else False)
    if logarithmic and text:
        errors.add("flg_logarithmic", "cannot be combined with flg_text")


# -- calibrations -----------------------------------------------------------------------------


def _calibration_unit_taken(values, current, errors: Invalid) -> None:
    """The reference also reports ``unit`` when a same-named calibration has the same unit."""
    if current is None and "name" in errors.errors_by_field:
        unit_id = values.get("unit")
        if Calibration.select().where((Calibration.name == values.get("name")) &
                                      (Calibration.unit == unit_id if unit_id is not None
                                       else Calibration.unit.is_null())).exists():
            errors.add("unit", TAKEN)


# -- reports ----------------------------------------------------------------------------------


def _report_author(values, body, current, errors, ctx) -> None:
    if current is None:
        values["user_id"] = ctx.identity.user_id


def name_filter(model) -> dict:
    return {"name": equals(model.name)}


UNITS = Kind(
    "units", "unit", Unit,
    [Field("name", required=True, max_length=255), Field("symbol", max_length=32), AVAILABLE, DESCRIPTION],
    render.units, unique=[_unique("name")], filters=name_filter(Unit),
    dependents=[Dependent(Parameter, "unit", "parameters"), Dependent(Calibration, "unit", "calibrations")])

INSTRUMENTS = Kind(
    "instruments", "instrument", Instrument,
    [Field("name", required=True, max_length=255), Field("identifier", required=True, max_length=255),
     Field("url", blank_null=True), AVAILABLE, DESCRIPTION],
    render.instruments, unique=[_unique("name"), _unique("identifier")],
    filters={**name_filter(Instrument), "identifier": equals(Instrument.identifier)})

DETECTOR_TYPES = Kind(
    "detector_types", "detector_type", DetectorType,
    [Field("name", required=True, max_length=60), AVAILABLE, DESCRIPTION],
    render.detector_types, unique=[_unique("name")], filters=name_filter(DetectorType),
    dependents=[Dependent(PhysicalDetectorUnit, "detector_type", "physical detector units"),
                Dependent(CalibrationConstant, "detector_type", "calibration constants")])

OPERATION_MODES = Kind(
    "operation_modes", "operation_mode", OperationMode,
    [Field("name", required=True, max_length=255), AVAILABLE, DESCRIPTION],
    render.operation_modes, unique=[_unique("name")], filters=name_filter(OperationMode),
    check=_check_mode, after=_write_mode_links)

DETECTORS = Kind(
    "detectors", "detector", Detector,
    [Field("name", required=True, max_length=64), Field("identifier", required=True, max_length=255, immutable=True),
     Field("karabo_name", max_length=255), Field("karabo_id_control", max_length=255),
     Field("source_name_pattern", max_length=255, blank_null=True), Field("number_of_modules", "int"),
     Field("first_module_index", "int"), AVAILABLE, DESCRIPTION],
    render.detectors, unique=[_unique("name"), _unique("identifier"), _unique("karabo_name")],
    filters={**name_filter(Detector), "identifier": equals(Detector.identifier),
             "karabo_name": equals(Detector.karabo_name)},
    dependents=[Dependent(PhysicalDetectorUnit, "detector", "physical detector units"),
                Dependent(PduMapping, "detector", "physical detector unit mappings")],
    check=_check_detector, after=_write_detector_links)

PARAMETERS = Kind(
    "parameters", "parameter", Parameter,
    [Field("name", required=True, max_length=255, immutable=True),
     Field("unit_id", "ref", column="unit", target=Unit, immutable=True),
     AVAILABLE, Field("flg_logarithmic", "bool", default=False), Field("flg_text", "bool", default=False,
                                                                        immutable=True),
     Field("def_lower_deviation_value", "float"), Field("def_upper_deviation_value", "float"), DESCRIPTION],
    render.parameters,
    unique=[Unique(("name_ci",), ("name",))],
    filters={"name": lambda value: Parameter.name_ci == str(value).lower()},
    dependents=[Dependent(ParameterCondition, "parameter", "parameters conditions")],
    check=_check_parameter)

CALIBRATIONS = Kind(
    "calibrations", "calibration", Calibration,
    [Field("name", required=True, max_length=255, immutable=True),
     Field("unit_id", "ref", column="unit", target=Unit),
     Field("max_value", "float"), Field("min_value", "float"), Field("allowed_deviation", "float"), DESCRIPTION],
    render.calibrations, unique=[_unique("name")], filters=name_filter(Calibration),
    dependents=[Dependent(CalibrationConstant, "calibration", "calibration constants")],
    extra_collisions=_calibration_unit_taken)

REPORTS = Kind(
    "reports", "report", Report,
    [Field("name", required=True, max_length=64), Field("file_path", required=True), AVAILABLE, DESCRIPTION],
    render.reports, unique=[_unique("file_path")],
    filters={**name_filter(Report), "file_path": equals(Report.file_path)},
    dependents=[Dependent(CalibrationConstantVersion, "report", "calibration constant versions")],
    check=_report_author, render_item=render.reports_with_versions)

KINDS = [UNITS, INSTRUMENTS, DETECTOR_TYPES, OPERATION_MODES, DETECTORS, PARAMETERS, CALIBRATIONS, REPORTS]

