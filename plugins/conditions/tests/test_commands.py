"""``sciplane conditions …`` commands and the demo data, against the test database."""

from __future__ import annotations

import pytest

from sciplane_conditions.testing import Api


@pytest.fixture
def run(sciplane_cli, app):
    """``sciplane`` on this test's (migrated) database with the conditions plugin."""
    return sciplane_cli("conditions")


def test_tag_lifecycle(run, api, tmp_path):
    assert "created global tag GT1" in run("conditions", "create-tag", "GT1", "--author", "shift").output
    (tmp_path / "iovs.csv").write_text("# url,checksum,major,minor[,major_end,minor_end]\n"
                                       "calib_a.root,aa,0,1000\ncalib_b.root,bb,0,1100\n"
                                       "calib_c.root,cc,0,1050,0,1060\n")
    out = run("conditions", "insert", "GT1", "CEMC", str(tmp_path / "iovs.csv")).output
    assert "inserted 3 IOV(s) into GT1/CEMC" in out
    assert [row[1] for row in api.res("GT1", 0, 1055)] == ["calib_c.root"]
    assert [row[1] for row in api.res("GT1", 0, 1070)] == ["calib_a.root"]  # the split remainder
    assert "CEMC\tcalib_b.root\tbb" in run("conditions", "resolve", "GT1", "1200").output
    assert "GT1 is locked" in run("conditions", "lock", "GT1").output
    assert api.ok(api.get("globalTag/GT1", "light")).json["status"] == "locked"
    assert "cloned GT1 to GT2" in run("conditions", "clone", "GT1", "GT2").output
    assert api.ok(api.get("globalTag/GT2", "light")).json["status"] == "unlocked"
    run("conditions", "unlock", "GT1")
    assert "all invariants hold" in run("conditions", "check").output
    failed = run("conditions", "lock", "NOPE", ok=False)
    assert failed.exit_code != 0 and "GlobalTag not found. (global_tag_not_found)" in failed.output


def test_bad_input_file(run, tmp_path):
    run("conditions", "create-tag", "GT1")
    (tmp_path / "bad.csv").write_text("a,b,0\n")
    result = run("conditions", "insert", "GT1", "Beam", str(tmp_path / "bad.csv"), ok=False)
    assert result.exit_code != 0 and "expected 4 or 6 fields" in result.output


def test_load_benchmark_and_check(run, api):
    assert "loaded bench: 3 lists x 40 IOVs" in run("conditions", "load-benchmark", "--types", "3", "--iovs", "40",
                                                     "--gt", "bench").output
    row = api.ok(api.get("globalTag/bench", "light")).json
    assert row["payload_lists_count"] == 3 and row["payload_iov_count"] == 120
    assert [r[4] for r in api.res("bench", 25, 0)] == [25, 25, 25]
    out = run("conditions", "check").output  # bulk-loaded open-ended IOVs overlap: noted, not failed
    assert "has 39 overlapping IOV pair(s)" in out and "all invariants hold" in out


def test_check_reports_and_repairs_counts(run, api, app):
    run("conditions", "create-tag", "GT1")
    api.payload_type("Beam")
    api.ins("GT1", "Beam", "a.dat", (0, 0))
    from sciplane_conditions.models import PayloadList
    with app.sciplane.database.connection_context():
        PayloadList.update(iov_count=7).execute()
    broken = run("conditions", "check", ok=False)
    assert broken.exit_code == 1 and "iov_count 7, actually 1" in broken.output
    assert "(fixed)" in run("conditions", "check", "--fix").output
    assert "all invariants hold" in run("conditions", "check").output


def test_prune_detached(run, api):
    run("conditions", "create-tag", "GT1")
    api.payload_type("Beam")
    api.mk("loose.dat", (0, 0))
    assert "deleted 0 detached" in run("conditions", "prune-detached", "--older-than", "1", input="y\n").output
    assert "deleted 1 detached" in run("conditions", "prune-detached", "--older-than", "0", input="y\n").output


def test_demo_data(run, client):
    assert "conditions: tags sPHENIX_demo_2026 (locked)" in run("demo", "--if-empty").output
    api = Api(client)
    rows = api.res("sPHENIX_demo_2026", 0, 1055)
    assert [(r[0], r[1]) for r in rows] == [("Beam", "beam/run1000_beamspot.root"),
                                            ("CEMC", "cemc/calib_2026a.root"), ("ZDC", "zdc/mapping_v1_fix.root")]
    assert api.res("sPHENIX_demo_2026_next", 0, 1055) == rows
    assert "already holds data" in run("demo", "--if-empty").output
