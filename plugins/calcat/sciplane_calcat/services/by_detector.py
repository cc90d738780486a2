"""``get_by_detector_conditions``: the versions for every module of a detector under one condition.

The whole answer takes a fixed number of statements, whatever the number of
modules and calibrations: detector, mapped PDUs, parameters, matching
conditions (generic and PDU-bound together), constants, the ranking of
versions (one window function) and, for rendering, the PDUs' current rows and
mapping history.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from .. import cached, matching, selection
from ..errors import bad_request, not_found
from ..models import CalibrationConstant, CalibrationConstantVersion, Detector, PhysicalDetectorUnit
from ..wire import scalars, times
from . import conditions, pdus

STRATEGIES = (selection.CLOSEST, selection.PRIOR)


def strategy(params: dict) -> str:
    """``begin_at_strategy``, else the client's misspelt ``begin_strategy_at``; closest by default."""
    def value(key):
        return (scalars.last(params.get(key)) or "").strip()
    chosen = value("begin_at_strategy") or value("begin_strategy_at") or selection.CLOSEST
    if chosen not in STRATEGIES:
        raise bad_request({"begin_at_strategy": ["is not included in the list"]})
    return chosen


class Found(NamedTuple):
    versions: list[CalibrationConstantVersion]  # in output order: slot, then calibration
    constants: dict  # by id
    pdus: dict  # the versions' PDUs as they are now, by id
    valid_until_us: int | None  # see ``cached``


def find(params: dict, body: dict, call) -> Found:
    """The versions, and up to when "now" leaves them as they are: a request without ``event_at`` depends
    on the instant itself; one without a PDU snapshot time, on the detector's next mapping change."""
    chosen = strategy(params)
    identifier = scalars.last(params.get("detector_identifier"))
    detector = Detector.get_or_none(Detector.identifier == identifier) if identifier else None
    if detector is None:
        raise not_found()
    now = times.now_us()
    event = pdus.query_time(params, call.tz, "event_at")
    at = pdus.query_time(params, call.tz, "pdu_snapshot_at", "snapshot_at")
    if event is None:
        valid_until = cached.NEVER
    elif at is None:
        valid_until = cached.earliest_after(now, pdus.mapping_boundaries(detector.id))
    else:
        valid_until = cached.FOREVER
    event = now if event is None else event
    at = now if at is None else at
    slot = scalars.karabo_da_filter(params.get("karabo_da"))
    mapped = [pdu for pdu in pdus.mapped_at(detector.id, at) if slot is None or pdu.karabo_da == slot]
    if not mapped:
        raise not_found()
    slots = {pdu.id: pdu.karabo_da for pdu in mapped}
    # A Detector UUID entry in the query is dropped: the server binds PDUs itself.
    entries, uuid_parameter = conditions.resolve_with_uuid_parameter(conditions.query_entries(body), call.uuid_name)
    by_uuid = {pdu.uuid: pdu for pdu in mapped if pdu.uuid is not None}
    matched = matching.for_pdus(entries, uuid_parameter, list(by_uuid)) if entries else []
    generic = {cid for cid, bound in matched if bound is None}
    bound = defaultdict(set)
    for cid, uuid in matched:
        if uuid is not None:
            bound[cid].add(by_uuid[uuid].id)
    calibrations = scalars.query_ids(params.get("calibration_id"))
    query = CalibrationConstant.select().where(CalibrationConstant.flg_available
                                               & CalibrationConstant.condition.in_(list(generic | set(bound))))
    if calibrations:
        query = query.where(CalibrationConstant.calibration.in_(calibrations))
    constants = {cc.id: cc for cc in query} if generic or bound else {}
    pairs = [(cc.id, pdu.id, cc.calibration_id) for cc in constants.values() for pdu in mapped
             if cc.detector_type_id == pdu.detector_type_id
             and (cc.condition_id in generic or pdu.id in bound.get(cc.condition_id, ()))]
    found = selection.versions(constants, slots, event, strategy=chosen, first_per="pdu_calibration", pairs=pairs)
    order = {cid: index for index, cid in enumerate(calibrations)}
    found.sort(key=lambda v: (slots[v.physical_detector_unit_id], order.get(
        constants[v.calibration_constant_id].calibration_id, constants[v.calibration_constant_id].calibration_id)))
    current = {pdu.id: pdu for pdu in PhysicalDetectorUnit.select().where(
        PhysicalDetectorUnit.id.in_({v.physical_detector_unit_id for v in found}))} if found else {}
    return Found(found, constants, current, valid_until)

