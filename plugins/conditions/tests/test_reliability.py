"""Scenario 102: a gunicorn worker killed in the middle of a bulk load leaves no partial batch."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import requests

from sciplane.testing import LiveServer
from sciplane_conditions.services.check import check
from sciplane_conditions.testing import Api

MOUNT = "/api/cdb_rest"
ITEMS = 50_000


def _workers(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def _wait_for_insert(app, database_url: str | None) -> None:
    """On PostgreSQL, until a COPY into the IOV table is running; on SQLite, a moment into the request."""
    if not database_url:
        time.sleep(0.4)
        return
    deadline = time.monotonic() + 60
    with app.sciplane.database.connection_context():
        while time.monotonic() < deadline:
            running = app.sciplane.database.execute_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY \"cond_payload_iov\"%%' "
                "AND pid <> pg_backend_pid()").fetchone()[0]
            if running:
                return
            time.sleep(0.005)
    raise AssertionError("the bulk insert never started")


def test_killed_worker_leaves_no_partial_bulk(make_app, client, tmp_path, sciplane_database_url):
    app = make_app(plugins=["conditions"])  # migrated; the live server shares this database
    api = Api(client)
    api.base_setup()
    payload_list = api.new_list("Beam", "GT1")
    before = api.ok(api.get("payload-iovs", "page=1&page_size=1")).json["count"]
    settings = {"database": {"url": sciplane_database_url or f"sqlite:///{tmp_path}/sciplane.db"},
                "data_dir": str(tmp_path / "var"), "jobs": {"url": f"sqlite:///{tmp_path}/jobs.db"},
                "plugins": {"enabled": ["conditions"]}}
    body = json.dumps([{"payload_url": f"k/{i}", "payload_list": payload_list, "major_iov": i, "minor_iov": 0}
                       for i in range(ITEMS)])
    with LiveServer(settings, workers=1) as server:
        outcome = {}

        def post() -> None:
            try:
                outcome["status"] = requests.post(f"{server.url}{MOUNT}/bulk_piov", data=body, timeout=120,
                                                  headers={"Content-Type": "application/json"}).status_code
            except requests.RequestException as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=post)
        sender.start()
        _wait_for_insert(app, sciplane_database_url)
        for pid in _workers(server.process.pid):
            os.kill(pid, signal.SIGKILL)
        sender.join(timeout=120)
    assert "error" in outcome, outcome  # the worker died with the request in flight

    after = api.ok(api.get("payload-iovs", "page=1&page_size=1")).json["count"]
    assert after - before in (0, ITEMS), (before, after, outcome)
    count = api.ok(api.get(f"payload-lists/by-name/{payload_list}")).json["iov_count"]
    assert count == after - before
    with app.sciplane.database.connection_context():
        assert check().ok
