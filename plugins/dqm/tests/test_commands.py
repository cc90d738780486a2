"""``sciplane dqm …`` commands and the demo data, against the test's database."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sciplane_dqm.testing import CSV_1D, ROOT_SMALL, expect


@pytest.fixture
def cli(sciplane_cli, app, data_root, monkeypatch):
    invoke = sciplane_cli("dqm,histograms_csv,nanodqm")
    monkeypatch.setenv("SCIPLANE__PLUGINS__DQM__DATA_ROOTS", json.dumps([str(data_root)]))
    return invoke


def test_register_parse_status_export_purge(cli, api, data_root, tmp_path):
    registered = cli("dqm", "register", str(data_root / CSV_1D), str(data_root / ROOT_SMALL), "--era", "2018A")
    assert registered.output.count("\t") == 4
    parsed = cli("dqm", "parse", "1", "--dim", "1", "--inline")
    job = json.loads(parsed.output.strip().splitlines()[-1])
    assert (job["status"], job["histograms_created"]) == ("done", 9)
    root = json.loads(cli("dqm", "parse", "2", "--dim", "1", "--inline").output.strip().splitlines()[-1])
    assert (root["filetype"], root["histograms_created"]) == ("nanodqm", 12)
    refused = cli("dqm", "parse", "1", "--dim", "1", ok=False)
    assert refused.exit_code != 0 and "already_parsed" in refused.output
    status = cli("dqm", "status").output
    assert "done\t100.0%" in status and "job 1 (1D lum): done 9/9" in status
    out = tmp_path / "sel.npy"
    assert "9 histogram(s)" in cli("dqm", "export", str(out), "--where", "run_number=315488").output
    assert np.load(out).shape == (9, 100)
    npz = tmp_path / "sel.npz"
    cli("dqm", "export", str(npz), "--where", "run_number=357538&dim=1")
    assert np.load(npz)["data"].shape == (12, 100)
    assert "validation_failed" in cli("dqm", "export", str(out), "--where", "bogus=1", ok=False).output
    assert "re-queued 0 job(s)" in cli("dqm", "reconcile").output
    assert "9 histogram(s) deleted" in cli("dqm", "purge-file", "1").output
    assert api.count("run_number=315488") == 0
    assert expect(api.get("files/1/"), 200)["histograms"]["lum_1d"] == 0


def test_demo_loads_and_parses_the_samples(sciplane_cli, app, api):
    run = sciplane_cli("dqm,histograms_csv,nanodqm")
    output = run("demo").output
    assert output.count("registered and parsed") == 3
    assert api.count() == 9 + 9 + 25
    files = expect(api.get("files/"), 200)["results"]
    assert [f["status"] for f in files] == ["done"] * 3
    assert "registered and parsed" not in run("demo").output  # loading again changes nothing
    assert api.count() == 43
