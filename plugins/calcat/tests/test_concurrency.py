"""Scenario 121 (spec §15): concurrent get-or-create of one report creates one row."""

from __future__ import annotations

import threading

from sciplane_calcat.models import Report
from sciplane_calcat.testing import expect

THREADS = 8


def test_121_concurrent_report_set(api, app):
    barrier = threading.Barrier(THREADS)
    results: list = []
    body = {"report": {"name": "race.pdf", "file_path": "/reports/race.pdf"}}

    def work() -> None:
        barrier.wait()
        results.append(api.post("reports/set", body))

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(result.status_code for result in results)
    assert statuses == [200] * (THREADS - 1) + [201], [r.content for r in results]
    assert len({expect(result, result.status_code)["id"] for result in results}) == 1
    with app.sciplane.database.connection_context():
        assert Report.select().where(Report.file_path == "/reports/race.pdf").count() == 1
