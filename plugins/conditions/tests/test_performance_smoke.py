"""Scenario 107, the performance smoke at small scale: measured as work and memory, not time.

Timings belong to the benchmark (``bench/conditions``).  What makes a resolution's latency independent of the
number of IOVs per list is the work the database does for it, one index descent per list, so that work is
counted here: SQLite virtual-machine steps, PostgreSQL buffer accesses.  The streamed nested view is drained
piece by piece while Python's allocations are traced, so its memory is measured without keeping the body.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest

from sciplane import database, is_postgres
from sciplane_conditions.services import reads, resolution

TYPES = 100
SMALL, LARGE = 10, 2_000  # IOVs per list
BULK = 5_000  # items per bulk_piov request, the benchmark's size
LAST = 2147483647
MB = 1024 * 1024


@pytest.fixture
def conditions_settings():
    return {"response_cache_entries": 0}


@pytest.fixture
def tags(api):
    """GTs ``small`` (100 × 10 IOVs) and ``large`` (100 × 2,000), IOV i of each list starting at (i, 0)."""
    api.status("unlocked")
    for index in range(TYPES):
        api.payload_type(f"T{index:03d}")
    for gt, iovs in (("small", SMALL), ("large", LARGE)):
        api.global_tag(gt)
        lists = [api.new_list(f"T{index:03d}", gt) for index in range(TYPES)]
        items = [{"payload_url": f"{gt}/{name}/{i}.dat", "payload_list": name, "major_iov": i, "minor_iov": 0}
                 for name in lists for i in range(iovs)]
        for start in range(0, len(items), BULK):
            api.ok(api.post("bulk_piov", items[start:start + BULK]))
    return api


def _work(gt: str, major: int) -> int:
    """What the database does to resolve ``gt`` at ``(major, 0)``: VM steps (SQLite) or buffers (PostgreSQL)."""
    gt_id = reads.global_tag(gt).id
    sql, params = resolution.statement(), (major, 0, gt_id)
    if is_postgres():
        plan = database.execute_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params).fetchone()[0]
        top = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
        return top["Shared Hit Blocks"] + top["Shared Read Blocks"]
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0  # 0: carry on

    connection = database.connection()
    connection.set_progress_handler(count, 10)
    try:
        rows = database.execute_sql(sql.replace("%s", "?"), params).fetchall()
    finally:
        connection.set_progress_handler(None, 0)
    assert len(rows) == TYPES
    return steps[0]


def test_107_performance_smoke(tags):
    """107, on one data set (building it is most of the test's time)."""
    _resolution_work_does_not_grow_with_the_lists()
    _streamed_nested_view_memory(tags)


def _resolution_work_does_not_grow_with_the_lists():
    """100 × 2,000 costs at most twice 100 × 10, at the first, middle and last points."""
    for small_major, large_major in ((0, 0), (SMALL // 2, LARGE // 2), (LAST, LAST)):
        with database.connection_context():
            small, large = _work("small", small_major), _work("large", large_major)
        assert 0 < large <= 2 * small, (small_major, small, large)


def _streamed_nested_view_memory(tags):
    """``globalTag/large`` (200,000 IOVs) completes, and memory grows by less than 64 MB meanwhile."""
    marker, tail, found, size = b'"payload_url":', b"", 0, 0

    def drain(piece: bytes) -> None:
        nonlocal tail, found, size
        window = tail + piece
        found += window.count(marker)
        tail = window[-(len(marker) - 1):]  # a marker split between pieces is counted once, in the next window
        size += len(piece)

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = tags.client.simulate_request("GET", f"{tags.mount}/globalTag/large", sink=drain)
        growth = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert result.status_code == 200
    assert found == TYPES * LARGE
    assert size > 200_000 * 100  # a complete body, not an error
    assert growth < 64 * MB, f"{growth / MB:.1f} MB"
