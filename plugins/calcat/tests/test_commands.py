"""``sciplane calcat …`` commands against the test database."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def run(sciplane_cli, app):
    return sciplane_cli("calcat")


def test_demo_list_and_inject(run, tmp_path):
    assert "constant versions" in run("calcat", "load-demo").output
    listed = run("calcat", "detectors", "--instrument", "SPB").output
    assert "SPB_DET_AGIPD1M-1\t16 modules\tSPB" in listed and "SPB_IRDA_JF4M" in listed
    assert "FXE_DET_LPD1M-1" not in listed
    constants = run("calcat", "constants", "SPB_IRDA_JF4M").output.splitlines()
    assert len(constants) == 48 and constants[0].startswith("JNGFR01\tJungfrau_M301\t")
    body = {"name": "cli_injected", "file_name": "f.h5", "path_to_file": "p/", "data_set_name": "/d",
            "calibration_constant_id": "1", "physical_detector_unit_id": "1", "begin_at": "2025-01-01T00:00:00Z"}
    (tmp_path / "ccv.json").write_text(json.dumps(body))
    assert "created constant version" in run("calcat", "inject", str(tmp_path / "ccv.json")).output
    again = run("calcat", "inject", str(tmp_path / "ccv.json"), ok=False)
    assert again.exit_code != 0 and "has already been taken" in again.output
    (tmp_path / "bad.json").write_text("{nope")
    assert "not JSON" in run("calcat", "inject", str(tmp_path / "bad.json"), ok=False).output
