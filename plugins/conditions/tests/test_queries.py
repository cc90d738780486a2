"""What reaches the database: statement counts per request, and the resolution plan."""

from __future__ import annotations

import pytest

from sciplane import database, is_postgres
from sciplane.testing import count_statements as counting
from sciplane_conditions.services import resolution


@pytest.fixture
def conditions_settings():
    return {"response_cache_entries": 0}


@pytest.mark.parametrize("lists", [1, 6])
def test_resolution_is_one_statement_after_one_validator_lookup(base, lists):
    """Scenario 36: the cost does not depend on the number of lists."""
    for index in range(lists):
        type_name = f"T{index}"
        base.payload_type(type_name)
        for major in range(3):
            base.ins("GT1", type_name, f"u{index}_{major}.dat", (major, 0))
    with counting() as statements:
        rows = base.res("GT1", 1, 5)
    assert len(rows) == lists
    assert len(statements) == 2, statements  # the GT's validator, then the resolution


def test_revalidation_is_one_statement(base):
    base.ins("GT1", "Beam", "a.dat", (0, 0))
    etag = base.get("payloadiovs/", "gtName=GT1&majorIOV=1&minorIOV=0").headers["etag"]
    with counting() as statements:
        resp = base.get("payloadiovs/", "gtName=GT1&majorIOV=1&minorIOV=0", headers={"If-None-Match": etag})
    assert resp.status_code == 304 and len(statements) == 1


def test_bulk_statements_do_not_grow_with_items(base):
    """Scenario 72: 10 items and 12,000 items differ only by the number of insert chunks (``COPY`` batches on
    PostgreSQL; SQLite's one prepared ``INSERT`` takes every row)."""
    payload_list = base.new_list("Beam", "GT1")

    def bulk(count: int, offset: int) -> int:
        items = [{"payload_url": f"b{offset + i}", "payload_list": payload_list, "major_iov": offset + i,
                  "minor_iov": 0} for i in range(count)]
        with counting() as statements:
            base.ok(base.post("bulk_piov", items))
        return len(statements)

    small, large = bulk(10, 0), bulk(12000, 10)
    from sciplane_conditions.services.iovs import INSERT_CHUNK
    assert large - small == (-(-12000 // INSERT_CHUNK) - 1 if is_postgres() else 0)


def explain(sql: str, params: tuple) -> str:
    prefix = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
    sql = sql if is_postgres() else sql.replace("%s", "?")
    return "\n".join(" ".join(map(str, row)) for row in database.execute_sql(prefix + sql, params).fetchall())


def test_resolution_plan_uses_the_composite_index(base):
    """Scenario 36: one index descent per list, bounded by the list id and the row comparison."""
    for major in range(50):
        base.ins("GT1", "Beam", f"u{major}.dat", (major, 0))
    gt_id = base.ok(base.get("globalTag/GT1", "light")).json["id"]
    sql = resolution.statement()
    with database.connection_context():
        if is_postgres():
            # Tiny test tables make sequential scans cheaper; the plan shape is what matters.
            with database.atomic():
                database.execute_sql("SET LOCAL enable_seqscan = off")
                plan = explain(sql, (10, 0, gt_id))
            assert "Index Scan using cond_piov_resolve" in plan
            scan = plan[plan.index("cond_piov_resolve"):]
            condition = next(line for line in scan.splitlines() if "Index Cond" in line)
            assert "payload_list_id" in condition and "major_iov" in condition and "minor_iov" in condition
            lateral = plan[plan.index("Limit"):]
            assert "Sort" not in lateral
        else:
            plan = explain(sql, (10, 0, gt_id))
            search = next(line for line in plan.splitlines() if "SEARCH i " in line)  # the per-list subquery
            assert "INDEX cond_piov_resolve" in search
            assert "(payload_list_id=?AND(major_iov,minor_iov)<(?,?))" in search.replace(" ", "").replace("<=", "<")
