"""Scenarios 111-114 and 116-119 (spec §15): EXtra's calibration module, unmodified, against a served
instance with the demo catalogue.  Skipped when ``euxfel-extra`` is not installed."""

from __future__ import annotations

import datetime as dt

import pytest

calibration = pytest.importorskip("extra.calibration")
from extra.calibration import calcat as extra_calcat  # noqa: E402

DARK = ["Offset", "Noise", "ThresholdsDark", "BadPixelsDark"]
AGIPD = "SPB_DET_AGIPD1M-1"
MARCH = "2024-03-01T00:00:00+01:00"
R1 = "dark_900001_r0010_r0011_r0012_240110_100000.pdf"
R2 = "dark_900001_r0020_r0021_r0022_240310_100000.pdf"


@pytest.fixture
def calcat_settings(request):
    return getattr(request, "param", {"auth_mode": "disabled"})


@pytest.fixture
def extra_client(served, calcat_settings, monkeypatch):
    """EXtra's global client pointed at the served instance (OAuth when writes need an identity)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    oauth = calcat_settings["auth_mode"] != "disabled"
    calibration.setup_client(f"{served}/calibration", "demo-client" if oauth else None,
                             "demo-secret" if oauth else None, "someone@example.org")
    yield served
    monkeypatch.setattr(extra_calcat, "global_client", None)


def report_ids(demo) -> dict[str, int]:
    return {r["name"]: r["id"] for r in demo.get("reports", "page_size=500").json}


def report_of(data, cal_type: str) -> dict[str, int]:
    return {module: constant.metadata("report_id") for module, constant in data[cal_type].constants.items()}


def test_111_detector_data(extra_client):
    detector = calibration.DetectorData.from_identifier(AGIPD)
    modules = list(detector.values())
    assert [m.aggregator for m in modules] == [f"AGIPD{m:02d}" for m in range(16)]
    assert [m.module_number for m in modules] == list(range(16))
    assert modules[3].source_name == "SPB_DET_AGIPD1M-1/DET/3CH0:xtdf"
    assert modules[7].physical_name == "AGIPD_SIV1_AGIPDV11_M516"


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "disabled"}, {"auth_mode": "writes"}], indirect=True)
def test_112_113_119_from_condition(extra_client, demo, calcat_settings):
    """112: four types × 16 modules from R2, prior → R1 without AGIPD07; 113: tables; 119: over OAuth."""
    condition = calibration.AGIPDConditions(sensor_bias_voltage=300, memory_cells=352, acquisition_rate=1.1,
                                            gain_setting=0, gain_mode=0)
    ids = report_ids(demo)
    closest = calibration.CalibrationData.from_condition(condition, AGIPD, calibrations=DARK, event_at=MARCH)
    assert sorted(closest) == sorted(DARK)
    for cal_type in DARK:
        assert report_of(closest, cal_type) == {f"AGIPD{m:02d}": ids[R2] for m in range(16)}
    prior = calibration.CalibrationData.from_condition(condition, AGIPD, calibrations=DARK, event_at=MARCH,
                                                       begin_at_strategy="prior")
    assert report_of(prior, "Offset") == {f"AGIPD{m:02d}": ids[R1] for m in range(16) if m != 7}
    assert "Offset" in closest.markdown_table()
    assert closest.reports_info() is not None


def test_114_from_report(extra_client, demo):
    ids = report_ids(demo)
    path = f"/calcat-demo/reports/SPB/{AGIPD}/dark/{R1}"
    for key in (ids[R1], path):
        data = calibration.CalibrationData.from_report(key)
        assert sorted(data) == sorted(DARK)
        assert sorted(data["Offset"].constants) == [f"AGIPD{m:02d}" for m in range(16)]
        assert data["Offset"]["AGIPD07"].pdu_name == "AGIPD_SIV1_AGIPDV11_M507"


def test_116_by_instrument(extra_client):
    assert calibration.DetectorData.list_by_instrument("SPB") == [AGIPD, "SPB_IRDA_JF4M"]
    assert calibration.DetectorData.from_instrument("SPB", "SPB_DET_*").identifier == AGIPD


def test_117_jungfrau(extra_client, demo):
    condition = calibration.JUNGFRAUConditions(sensor_bias_voltage=180, memory_cells=1, integration_time=10,
                                               gain_setting=0, gain_mode=0, sensor_temperature=291)
    ids = report_ids(demo)
    cals = ["Offset10Hz", "Noise10Hz", "BadPixelsDark10Hz"]
    for strategy, report in (("closest", "dark_900004_r0070_r0071_r0072_240304_134500.pdf"),
                             ("prior", "dark_900004_r0060_r0061_r0062_221007_090000.pdf")):
        data = calibration.CalibrationData.from_condition(condition, "SPB_IRDA_JF4M", calibrations=cals,
                                                          event_at="2024-03-04T12:33:00Z",
                                                          begin_at_strategy=strategy)
        for cal_type in cals:
            assert report_of(data, cal_type) == {f"JNGFR{i:02d}": ids[report] for i in range(1, 9)}


def test_118_lpd_fallback(extra_client, demo):
    order = "".join(f"{i}," for i in range(100))
    data = calibration.lpd_dark_consts_with_fallback(
        calibration.LPDConditions(memory_cell_order=order), "FXE_DET_LPD1M-1",
        event_at=dt.datetime(2024, 5, 21, tzinfo=dt.UTC))
    ids = report_ids(demo)
    l1, l2 = (ids["dark_900003_r0040_r0041_r0042_240502_140000.pdf"],
              ids["dark_900003_r0050_r0051_r0052_240520_140000.pdf"])
    for cal_type in ("Offset", "Noise", "BadPixelsDark"):
        assert report_of(data, cal_type) == {f"LPD{m:02d}": (l2 if m < 2 else l1) for m in range(16)}


def test_115_from_correction(extra_client, demo, tmp_path):
    """115: a correction's metadata file names R2's versions; module details come from CalCat."""
    import yaml

    ids = report_ids(demo)
    versions = demo.get(f"reports/{ids[R2]}").json["calibration_constant_versions"]
    calibrations = {c["id"]: c["name"] for c in demo.get("calibrations", "page_size=500").json}
    retrieved: dict = {}
    for version in versions:
        pdu = version["physical_detector_unit"]
        module = retrieved.setdefault(pdu["karabo_da_at_ccv_begin_at"], {"physical-name": pdu["physical_name"],
                                                                          "constants": {}})
        module["constants"][calibrations[version["calibration_constant"]["calibration_id"]]] = {
            "path": f"{version['path_to_file']}{version['file_name']}", "dataset": version["data_set_name"],
            "ccv_id": version["id"], "creation-time": version["begin_validity_at"]}
    metadata = tmp_path / "calibration_metadata.yml"
    metadata.write_text(yaml.safe_dump({"calibration-configurations": {"karabo-id": AGIPD},
                                        "retrieved-constants": retrieved}))
    data = calibration.CalibrationData.from_correction(metadata)
    assert sorted(data) == sorted(DARK)
    assert data.qm_names == [f"Q{m // 4 + 1}M{m % 4 + 1}" for m in range(16)]
    assert data["Offset"]["AGIPD07"].pdu_name == "AGIPD_SIV1_AGIPDV11_M516"
    assert report_of(data, "Noise") == {f"AGIPD{m:02d}": ids[R2] for m in range(16)}
