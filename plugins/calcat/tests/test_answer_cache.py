"""The per-worker answer cache of the heavy lookups: keyed by the catalogue version, bounded by "now"."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from sciplane import database, is_postgres
from sciplane.testing import count_statements
from sciplane_calcat.testing import expect, version_only
from sciplane_calcat.wire import times

from .test_by_detector import A352, MARCH, agipd, ask

HOUR_US = 3_600_000_000


@pytest.fixture
def cal(demo) -> dict[str, int]:
    return {row["name"]: row["id"] for row in expect(demo.get("calibrations", "page_size=500"), 200)}


def sql(app, statement: str, params: tuple = ()) -> list[tuple]:
    """Plain SQL, committed: the path no service watches."""
    with app.sciplane.database.connection_context():
        cursor = database.execute_sql(statement.replace("%s", database.param), params)
        return cursor.fetchall() if cursor.description else []


def version(app) -> int:
    return sql(app, "SELECT version FROM calcat_state WHERE id = 1")[0][0]


def test_every_catalogue_table_bumps_the_version(app):
    """Migration 0002 puts a trigger on every catalogue table, so no writer can leave stale answers."""
    with app.sciplane.database.connection_context():
        tables = sorted(t for t in database.get_tables() if t.startswith("calcat_") and t != "calcat_state")
        if is_postgres():
            triggered = {row[0] for row in database.execute_sql(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE 'calcat_%%_version'").fetchall()}
        else:
            triggered = {row[0] for row in database.execute_sql(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'calcat_%_version_%' "
                "GROUP BY tbl_name HAVING COUNT(*) = 3").fetchall()}
    assert len(tables) == 17 and triggered == set(tables)


def test_a_write_by_any_path_changes_the_answer_at_once(demo, app, cal):
    """An answer is reused while nothing changes; a change made in plain SQL (no service involved) is seen
    by the very next request."""
    params = agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH)
    first = ask(demo, params, A352)
    with count_statements() as statements:
        assert ask(demo, params, A352) == first
    assert version_only(statements)
    before = version(app)
    withdrawn = first[0]["id"]
    sql(app, "UPDATE calcat_calibration_constant_version SET flg_deployed = %s WHERE id = %s", (False, withdrawn))
    assert version(app) > before
    after = ask(demo, params, A352)
    assert withdrawn not in {v["id"] for v in after} and len(after) == len(first)


def test_now_bounds_an_answer(demo, app, cal, monkeypatch):
    """Without a PDU snapshot time the answer holds until the detector's next mapping change; without
    ``event_at`` it is never reused."""
    now = times.now_us()
    monkeypatch.setattr(times, "now_us", lambda: now)
    module = sql(app, "SELECT m.id FROM calcat_pdu_mapping m JOIN calcat_detector d ON d.id = m.detector_id "
                      "WHERE d.identifier = %s AND m.karabo_da = %s AND m.valid_to_us IS NULL",
                 ("SPB_DET_AGIPD1M-1", "AGIPD00"))[0][0]
    sql(app, "UPDATE calcat_pdu_mapping SET valid_to_us = %s WHERE id = %s", (now + HOUR_US, module))
    params = agipd(cal, event_at=MARCH)
    found = ask(demo, params, A352)
    assert "AGIPD00" in {v["physical_detector_unit"]["karabo_da"] for v in found}
    monkeypatch.setattr(times, "now_us", lambda: now + HOUR_US - 1)
    with count_statements() as statements:
        assert ask(demo, params, A352) == found
    assert version_only(statements)
    monkeypatch.setattr(times, "now_us", lambda: now + HOUR_US)
    later = ask(demo, params, A352)
    assert "AGIPD00" not in {v["physical_detector_unit"]["karabo_da"] for v in later}
    assert len(later) == len(found) - 4
    with count_statements() as statements:
        ask(demo, agipd(cal), A352)  # event_at "now"
        ask(demo, agipd(cal), A352)
    assert len(statements) > 12


def test_the_key_is_the_whole_request(demo, cal):
    """Body, query and host (the base of the ``view_url`` links) each make another answer."""
    params = agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH)
    found = ask(demo, params, A352)
    assert len(ask(demo, agipd(cal, ["Offset"], event_at=MARCH, pdu_snapshot_at=MARCH), A352)) == 16
    assert ask(demo, params, {**A352, "Memory cells": 202.0}) != found
    body = {"parameters_conditions_attributes": [{"parameter_name": k, "value": v} for k, v in A352.items()]}
    elsewhere = expect(demo.request("GET", "calibration_constant_versions/get_by_detector_conditions", json=body,
                                    query=urlencode(params), headers={"Host": "calcat.example.org"}), 200)
    assert [v["view_url"].split("/calibration/")[0] for v in elsewhere[:1] + found[:1]] == [
        "http://calcat.example.org", "http://falconframework.org"]
    assert [v["id"] for v in elsewhere] == [v["id"] for v in found]


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "disabled", "lookup_cache_entries": 0},
                                             {"auth_mode": "disabled", "lookup_cache_bytes": 0},
                                             {"auth_mode": "disabled", "lookup_cache_bytes": 4096}],
                         ids=["no entries", "no bytes", "an answer above a quarter of the budget"])
def test_the_cache_can_be_off(demo, cal):
    params = agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH)
    found = ask(demo, params, A352)
    with count_statements() as statements:
        assert ask(demo, params, A352) == found
    assert len(statements) > 5
