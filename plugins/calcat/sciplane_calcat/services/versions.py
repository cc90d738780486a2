"""Calibration constant versions: one constant file for one PDU and one constant, from ``begin_at``.

Versions are never deleted (withdrawal is ``flg_deployed = false``); every
change of ``flg_deployed`` is kept as a deployment interval, so lookups can
ask what was deployed at an earlier instant (``snapshot_at``).
"""

from __future__ import annotations

from .. import render, selection
from ..errors import not_found
from ..models import CalibrationConstant, CalibrationConstantVersion, CcvDeployment, PhysicalDetectorUnit, Report
from ..wire import scalars, times
from ..wire.fields import Field
from ..wire.scalars import query_id
from . import pdus
from .catalog import DESCRIPTION, name_filter
from .records import Kind, Unique, equals

CCV = CalibrationConstantVersion


def _check(values: dict, body: dict, current, errors, ctx) -> bool | None:
    """Blank ``begin_validity_at`` follows ``begin_at``; the plan is the deployment flag before the write."""
    if values.get("begin_validity_at_us") is None and "begin_at_us" in values and current is None:
        values["begin_validity_at_us"] = values["begin_at_us"]
    if current is not None and "begin_validity_at_us" in values and values["begin_validity_at_us"] is None:
        values["begin_validity_at_us"] = values.get("begin_at_us", current.begin_at_us)
    return None if current is None else current.flg_deployed


def _record_deployment(row: CCV, body: dict, ctx, was_deployed: bool | None) -> None:
    """Open an interval when a version becomes deployed, close it when it is withdrawn."""
    if row.flg_deployed == bool(was_deployed):
        return
    now = row.created_at_us if was_deployed is None else times.now_us()
    if row.flg_deployed:
        CcvDeployment.create(ccv=row.id, deployed_from_us=now, deployed_to_us=None)
    else:
        (CcvDeployment.update(deployed_to_us=now)
         .where((CcvDeployment.ccv == row.id) & CcvDeployment.deployed_to_us.is_null()).execute())


def _by_report_path(value: str):
    return CCV.report.in_(Report.select(Report.id).where(Report.file_path == value))


VERSIONS = Kind(
    "calibration_constant_versions", "calibration_constant_version", CCV,
    [Field("name", required=True, max_length=60), Field("file_name", required=True, max_length=255),
     Field("path_to_file", required=True, max_length=255), Field("data_set_name", required=True, max_length=255),
     Field("calibration_constant_id", "ref", column="calibration_constant", target=CalibrationConstant,
           required=True, immutable=True),
     Field("physical_detector_unit_id", "ref", column="physical_detector_unit", target=PhysicalDetectorUnit,
           required=True, immutable=True),
     Field("flg_deployed", "bool", default=True), Field("flg_good_quality", "bool", default=True),
     Field("begin_at", "time", column="begin_at_us", required=True),
     Field("begin_validity_at", "time", column="begin_validity_at_us"),
     Field("end_validity_at", "time", column="end_validity_at_us"),
     Field("start_idx", "int"), Field("end_idx", "int"), Field("raw_data_location"),
     Field("report_id", "ref", column="report", target=Report), DESCRIPTION],
    render.versions,
    unique=[Unique(("name",), ("name",)),
            Unique(("calibration_constant", "physical_detector_unit", "begin_at_us"),
                   ("calibration_constant_id", "physical_detector_unit_id", "begin_at"))],
    filters={**name_filter(CCV), "report_id": equals(CCV.report), "report.file_path": _by_report_path,
             "calibration_constant_id": equals(CCV.calibration_constant),
             "physical_detector_unit_id": equals(CCV.physical_detector_unit)},
    deletable=False, check=_check, after=_record_deployment)


# -- lookups under calibration_constants/{id}/ -----------------------------------------------


def _instants(params: dict, tz: str) -> tuple[int, int | None]:
    """``(event time, state time or None)`` from ``event_at`` (empty: now) and ``snapshot_at``."""
    return pdus.snapshot_time(params, tz, "event_at"), pdus.query_time(params, tz, "snapshot_at")


def _constants(pk: int, params: dict, *, own_only: bool = False) -> list[int]:
    """The path's constant must exist; ``calibration_constant_ids`` (empty: the path's id) are searched."""
    if query_id(pk) is None or not CalibrationConstant.select().where(CalibrationConstant.id == pk).exists():
        raise not_found()
    ids = [] if own_only else scalars.query_ids(params.get("calibration_constant_ids"))
    return ids or [pk]


def for_pdu(pk: int, params: dict, tz: str, strategy: str, *, own_only: bool = False) -> list[CCV]:
    """Candidates of one PDU in strategy order; 404 when there are none."""
    event, snapshot = _instants(params, tz)
    pdu = query_id(params.get("physical_detector_unit_id"))
    found = selection.versions(_constants(pk, params, own_only=own_only), [pdu] if pdu is not None else [], event,
                               strategy=strategy, snapshot_us=snapshot)
    if not found:
        raise not_found()
    return found


def closest_by_detector(pk: int, params: dict, tz: str) -> list[CCV]:
    """For each PDU mapped to ``detector_id`` at ``snapshot_at`` (or now), optionally only ``karabo_da``'s,
    the closest candidate; by distance to the event, then slot.  404 when there is none."""
    event, snapshot = _instants(params, tz)
    constants = _constants(pk, params)
    mapped = pdus.mapped_at(params.get("detector_id"), snapshot if snapshot is not None else times.now_us())
    slot = scalars.karabo_da_filter(params.get("karabo_da"))
    slots = {pdu.id: pdu.karabo_da for pdu in mapped if slot is None or pdu.karabo_da == slot}
    found = selection.versions(constants, slots, event, snapshot_us=snapshot, first_per="pdu")
    if not found:
        raise not_found()
    return sorted(found, key=lambda v: (abs(v.begin_at_us - event), slots[v.physical_detector_unit_id]))
