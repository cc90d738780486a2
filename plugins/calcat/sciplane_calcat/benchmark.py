"""The benchmark catalogue: 20 detectors × 16 modules, 30 calibrations, 20,000 conditions of 6-8
parameters and 200,000 constant versions, with mapping and deployment history.

Reference data goes through the services (as the demo does); the bulk rows
are written in batches with exactly the columns the services would write
(``match_key`` and ``value_bits`` computed by the same functions), because
200,000 requests would measure the loader, not the catalogue.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from sciplane import database, is_postgres, write_transaction

from . import matching
from .matching import Entry
from .models import (
    Calibration,
    CalibrationConstant,
    CalibrationConstantVersion,
    Condition,
    Detector,
    DetectorType,
    Parameter,
    ParameterCondition,
    PduMapping,
    PhysicalDetectorUnit,
)
from .services import records
from .services.catalog import CALIBRATIONS, DETECTORS
from .wire import times

DETECTORS_N, MODULES, CALIBRATIONS_N, CONDITIONS_N, VERSIONS_N = 20, 16, 30, 20_000, 200_000
HOT_VERSIONS = 10  # versions per module and dark calibration of the hot condition, per detector
DARK = ["Offset", "Noise", "ThresholdsDark", "BadPixelsDark"]
BASE = ["Sensor Bias Voltage", "Pixels X", "Pixels Y", "Memory cells", "Acquisition rate", "Gain setting"]
EXTRA = ["Integration time", "Gain mode"]
HOT = {"Sensor Bias Voltage": 300.0, "Pixels X": 512.0, "Pixels Y": 128.0, "Memory cells": 352.0,
       "Acquisition rate": 1.1, "Gain setting": 0.0}
BATCH = 2000
YEAR_US = 365 * 86_400 * 1_000_000
START_US = times.parse("2019-01-01T00:00:00+01:00", "UTC")
SWAP_US = times.parse("2023-06-01T00:00:00+02:00", "UTC")


def detector_name(index: int) -> str:
    return f"BENCH_DET_AGIPD-{index:02d}"


def load(call, echo: Callable[[str], None] = print, scale: float = 1.0) -> None:
    """Create the benchmark catalogue on top of the demo's reference data (load the demo first)."""
    rng = random.Random(2024)
    agipd = DetectorType.get(DetectorType.name == "AGIPD-Type")
    calibrations = _calibrations(call)
    detectors, pdus = _detectors(call, agipd)
    conditions = _conditions(rng, int(CONDITIONS_N * scale))
    echo(f"calcat benchmark: {len(detectors)} detectors, {len(pdus)} modules, {len(conditions)} conditions")
    _versions(rng, agipd, calibrations, pdus, conditions, int(VERSIONS_N * scale))
    echo(f"calcat benchmark: {CalibrationConstantVersion.select().count()} constant versions in all")
    if is_postgres():  # fresh statistics and visibility maps, as autovacuum would leave them
        database.execute_sql("VACUUM ANALYZE")


def _calibrations(call) -> list[Calibration]:
    for index in range(CALIBRATIONS_N - Calibration.select().count()):
        records.create(CALIBRATIONS, {"calibration": {"name": f"BenchCalibration{index:02d}", "unit_id": 1}}, call)
    return list(Calibration.select().order_by(Calibration.id))


def _detectors(call, agipd) -> tuple[list[Detector], list[PhysicalDetectorUnit]]:
    """20 detectors of 16 modules mapped from the beginning; module 7 of each swapped for a spare in 2023."""
    detectors, pdu_rows, mapping_rows = [], [], []
    for d in range(DETECTORS_N):
        name = detector_name(d)
        detectors.append(records.create(DETECTORS, {"detector": {
            "name": name, "identifier": name, "karabo_name": name, "karabo_id_control": name,
            "source_name_pattern": f"{name}/DET/{{modno}}CH0:xtdf", "number_of_modules": MODULES,
            "first_module_index": 0}}, call))
    now = times.now_us()
    for d, detector in enumerate(detectors):
        for m in range(MODULES + 1):  # the 17th replaces module 7 at SWAP_US
            mapped = m != 7
            pdu_rows.append({"physical_name": f"BENCH_{d:02d}_M{m:02d}", "uuid": 900_000_000_000 + d * 100 + m,
                             "detector_type": agipd.id, "detector": detector.id if mapped else None,
                             "karabo_da": (f"AGIPD{7 if m == MODULES else m:02d}") if mapped else None,
                             "virtual_device_name": None, "module_number": None, "flg_available": True,
                             "created_at_us": now, "updated_at_us": now})
    with write_transaction():
        _insert(PhysicalDetectorUnit, pdu_rows)
    pdus = list(PhysicalDetectorUnit.select().where(PhysicalDetectorUnit.physical_name.startswith("BENCH_"))
                .order_by(PhysicalDetectorUnit.id))
    for pdu in pdus:
        d, m = int(pdu.physical_name[6:8]), int(pdu.physical_name[-2:])
        slot = f"AGIPD{7 if m == MODULES else m:02d}"
        start, end = (SWAP_US, None) if m == MODULES else (None, SWAP_US if m == 7 else None)
        mapping_rows.append({"pdu": pdu.id, "detector": detectors[d].id, "karabo_da": slot,
                             "virtual_device_name": None, "module_number": None, "valid_from_us": start,
                             "valid_to_us": end, "created_at_us": now})
    with write_transaction():
        _insert(PduMapping, mapping_rows)
    return detectors, pdus


def _conditions(rng: random.Random, count: int) -> list[int]:
    """The hot (queried) condition — the demo's 352-cell dark — then ``count`` new distinct conditions of
    6-8 parameters."""
    parameters = {p.name: p for p in Parameter.select()}
    hot = matching.match_key([Entry(parameters[n].id, n, "numeric", v, None, 0.0, 0.0) for n, v in HOT.items()])
    hot_id = Condition.get(Condition.match_key == hot).id
    seen = {key for (key,) in Condition.select(Condition.match_key).tuples()}
    condition_rows, sets = [], []
    now = times.now_us()
    while len(sets) < count:
        values = {
            "Sensor Bias Voltage": float(rng.randrange(100, 501, 10)), "Pixels X": 512.0, "Pixels Y": 128.0,
            "Memory cells": float(rng.randrange(16, 353, 16)), "Acquisition rate": round(rng.uniform(0.5, 4.5), 1),
            "Gain setting": float(rng.randrange(0, 2))}
        for name in EXTRA[:rng.randrange(0, 3)]:
            values[name] = float(rng.randrange(0, 30))
        entries = [Entry(parameters[name].id, name, "numeric", value, None, 0.0, 0.0) for name, value in values.items()]
        key = matching.match_key(entries)
        if key in seen:
            continue
        seen.add(key)
        sets.append(entries)
        condition_rows.append({"name": f"bench condition {len(sets):05d}", "num_parameters": len(entries),
                               "match_key": key, "flg_available": True, "created_at_us": now - len(sets) * 1000,
                               "updated_at_us": now})
    with write_transaction():
        _insert(Condition, condition_rows)
    ids = [c for (c,) in Condition.select(Condition.id).where(Condition.name.startswith("bench condition "))
           .order_by(Condition.name).tuples()]
    rows = [{"condition": cid, "parameter": e.parameter_id, "value": e.value, "value_bits": e.bits, "txt_value": None,
             "lower_deviation_value": 0.0, "upper_deviation_value": 0.0, "flg_available": True, "created_at_us": now}
            for cid, entries in zip(ids, sets, strict=True) for e in entries]
    with write_transaction():
        _insert(ParameterCondition, rows)
    return [hot_id, *ids]


def _versions(rng, agipd, calibrations, pdus, conditions, count: int) -> None:
    """The hot condition's four dark constants with 10 versions per module of every detector, and
    background constants (one per condition) whose versions fill the rest."""
    now = times.now_us()
    by_name = {c.name: c for c in calibrations}
    constant_rows = [{"name": f"bench constant {index:05d}", "calibration": calibrations[index % len(calibrations)].id,
                      "detector_type": agipd.id, "condition": cid, "flg_auto_approve": True, "flg_available": True,
                      "created_at_us": now, "updated_at_us": now} for index, cid in enumerate(conditions[1:])]
    with write_transaction():
        _insert(CalibrationConstant, constant_rows)
    background = [c for (c,) in CalibrationConstant.select(CalibrationConstant.id)
                  .where(CalibrationConstant.name.startswith("bench constant ")).tuples()]
    # The hot condition's dark constants are the demo's.
    hot = [CalibrationConstant.get((CalibrationConstant.calibration == by_name[name].id)
                                   & (CalibrationConstant.detector_type == agipd.id)
                                   & (CalibrationConstant.condition == conditions[0])).id for name in DARK]
    rows = []
    for constant in hot:
        for pdu in pdus:
            for v in range(HOT_VERSIONS):
                rows.append(_version_row(len(rows), constant, pdu.id, START_US + v * YEAR_US // 2 + rng.randrange(3600)
                                         * 1_000_000, now))
    while len(rows) < count:
        rows.append(_version_row(len(rows), rng.choice(background), rng.choice(pdus).id,
                                 START_US + rng.randrange(6 * YEAR_US), now))
    for start in range(0, len(rows), 20_000):
        with write_transaction():
            _insert(CalibrationConstantVersion, rows[start:start + 20_000])
    with write_transaction():  # deployed since creation, as the service records it
        database.execute_sql(
            "INSERT INTO calcat_ccv_deployment (ccv_id, deployed_from_us, deployed_to_us) "
            f"SELECT id, created_at_us, NULL FROM calcat_calibration_constant_version WHERE name LIKE {database.param}",
            ("bench-%",))


def _version_row(index: int, constant: int, pdu: int, begin: int, now: int) -> dict:
    return {"name": f"bench-{index:07d}", "file_name": f"cal.{begin // 1_000_000}.h5", "path_to_file": "bench/",
            "data_set_name": "/bench/0", "calibration_constant": constant, "physical_detector_unit": pdu,
            "flg_deployed": True, "flg_good_quality": True, "begin_validity_at_us": begin, "end_validity_at_us": None,
            "begin_at_us": begin, "start_idx": 0, "end_idx": 0, "raw_data_location": None, "report": None,
            "description": None, "created_at_us": now, "updated_at_us": now}


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start:start + BATCH]).execute()
