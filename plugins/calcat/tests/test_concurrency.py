"""Scenarios 120 and 121 (spec §15): concurrent get-or-create creates one row."""

from __future__ import annotations

import threading

from sciplane_calcat.models import Condition, Report
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
