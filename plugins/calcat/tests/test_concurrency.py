"""Scenarios 120-122 (spec §15): concurrent get-or-create creates one row, concurrent creates of one version
leave one, and concurrent updates of one record both take effect."""

from __future__ import annotations

import threading
import time

import peewee
import pytest

from sciplane.db import WRITE_ATTEMPTS
from sciplane_calcat.models import CalibrationConstantVersion, CcvDeployment, Condition, Report
from sciplane_calcat.services import records
from sciplane_calcat.testing import expect

THREADS = 8


def race(threads: int, call) -> list:
    """Run ``call(index)`` in ``threads`` threads released at once; their results."""
    barrier = threading.Barrier(threads)
    results: list = []

    def work(index: int) -> None:
        barrier.wait()
        results.append(call(index))

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    statuses = sorted(result.status_code for result in results)
    assert statuses == [200] * (threads - 1) + [201], [r.content for r in results]
    assert len({expect(result, result.status_code)["id"] for result in results}) == 1
    return results


def test_120_concurrent_set_expected_condition(api, app):
    """120: 16 identical new condition sets (same and different names) → one 201, one row."""
    api.create("parameters", "parameter", name="Memory cells")
    api.create("parameters", "parameter", name="Sensor Bias Voltage")
    entries = [{"parameter_name": "Memory cells", "value": "352"}, {"parameter_name": "Sensor Bias Voltage",
                                                                  "value": "300.0"}]
    race(16, lambda index: api.post("conditions/set_expected_condition", {"condition": {
        "name": f"race {index % 2}", "parameters_conditions_attributes": entries}}))
    with app.sciplane.database.connection_context():
        assert Condition.select().count() == 1


def test_121_concurrent_report_set(api, app):
    body = {"report": {"name": "race.pdf", "file_path": "/reports/race.pdf"}}
    race(THREADS, lambda index: api.post("reports/set", body))
    with app.sciplane.database.connection_context():
        assert Report.select().where(Report.file_path == "/reports/race.pdf").count() == 1


def constant_and_pdu(api, **pdu_fields) -> tuple[dict, dict]:
    """A calibration constant of a one-parameter condition, and a PDU of its detector type."""
    kind = api.create("detector_types", "detector_type", name="T")
    pdu = api.create("physical_detector_units", "physical_detector_unit", physical_name="P",
                     detector_type_id=kind["id"], **pdu_fields)
    api.create("parameters", "parameter", name="Memory cells")
    calibration = api.create("calibrations", "calibration", name="Offset")
    condition = expect(api.post("conditions/set_expected_condition", {"condition": {
        "name": "c", "parameters_conditions_attributes": [{"parameter_name": "Memory cells", "value": 1}]}}), 201)
    constant = api.create("calibration_constants", "calibration_constant", name="K", calibration_id=calibration["id"],
                          detector_type_id=kind["id"], condition_id=condition["id"])
    return constant, pdu


def test_two_updates_of_one_version_both_take_effect(api, app, monkeypatch):
    """One update withdraws a version, another edits its description, at once: each reads the row inside its
    own transaction with the row locked, so neither writes over the other and the deployment history agrees."""
    detector = api.create("detectors", "detector", name="D", identifier="D")
    constant, pdu = constant_and_pdu(api, detector_id=detector["id"], karabo_da="DA0")
    version = api.create("calibration_constant_versions", "calibration_constant_version", name="v", file_name="f",
                         path_to_file="p", data_set_name="d", calibration_constant_id=constant["id"],
                         physical_detector_unit_id=pdu["id"], begin_at="2024-01-01T00:00:00+01:00")
    read = records.get

    def slow_read(*args, **kwargs):  # widen the window between reading a row and writing it
        row = read(*args, **kwargs)
        time.sleep(0.2)
        return row

    monkeypatch.setattr(records, "get", slow_read)
    path = f"calibration_constant_versions/{version['id']}"
    bodies = [{"flg_deployed": False}, {"description": "touched"}]
    answers: list = []

    def put(body: dict, delay: float) -> None:
        time.sleep(delay)
        answers.append(api.put(path, {"calibration_constant_version": body}))

    threads = [threading.Thread(target=put, args=(body, 0.1 * i)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.setattr(records, "get", read)
    assert sorted(answer.status_code for answer in answers) == [200, 200]
    final = expect(api.get(path), 200)
    assert (final["flg_deployed"], final["description"]) == (False, "touched")
    with app.sciplane.database.connection_context():
        open_intervals = CcvDeployment.select().where((CcvDeployment.ccv == version["id"])
                                                      & CcvDeployment.deployed_to_us.is_null()).count()
    assert open_intervals == 0  # withdrawn: no deployment interval is left open


def test_122_concurrent_versions_of_one_triple(api, app):
    """122: two threads create versions of one (constant, PDU, begin_at): one 201, one 422; and the database
    itself refuses a duplicate inserted past the service."""
    constant, pdu = constant_and_pdu(api)
    barrier = threading.Barrier(2)
    answers: list = []

    def create(index: int) -> None:
        barrier.wait()
        answers.append(api.post("calibration_constant_versions", {"calibration_constant_version": {
            "name": f"v{index}", "file_name": "f", "path_to_file": "p", "data_set_name": "d",
            "calibration_constant_id": constant["id"], "physical_detector_unit_id": pdu["id"],
            "begin_at": "2024-01-01T00:00:00+01:00"}}))

    threads = [threading.Thread(target=create, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [201, 422], [a.content for a in answers]
    with app.sciplane.database.connection_context():
        stored = CalibrationConstantVersion.get()
        copied = {name: getattr(stored, name) for name in (
            "file_name", "path_to_file", "data_set_name", "flg_deployed", "flg_good_quality", "begin_validity_at_us",
            "begin_at_us", "created_at_us", "updated_at_us")}
        with pytest.raises(peewee.IntegrityError), app.sciplane.database.atomic():
            CalibrationConstantVersion.insert(**copied, name="other",
                                              calibration_constant=stored.calibration_constant_id,
                                              physical_detector_unit=stored.physical_detector_unit_id).execute()


class _Deadlocked(Exception):
    pgcode = "40P01"  # what the driver reports for a deadlock victim


def test_a_deadlock_that_outlasts_the_retries_is_a_temporary_failure(api, app, monkeypatch):
    """Every attempt of the write is chosen as a deadlock's victim: the client is told to retry (503 with
    ``Retry-After``), not that a value is taken, and nothing is stored."""
    attempts = []

    def deadlocked(*args, **kwargs):
        attempts.append(1)
        try:
            raise _Deadlocked()
        except _Deadlocked as exc:
            raise peewee.OperationalError("deadlock detected") from exc

    monkeypatch.setattr(records, "_write", deadlocked)
    answer = api.post("reports", {"report": {"name": "r", "file_path": "/r.pdf"}})
    expect(answer, 503, {"info": "Service temporarily unavailable"})
    assert answer.headers["retry-after"] == "1" and answer.headers["x-error-code"] == "conflict"
    assert len(attempts) == WRITE_ATTEMPTS
    with app.sciplane.database.connection_context():
        assert Report.select().count() == 0
