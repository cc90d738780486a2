"""Scenarios 100-105 and 109-110 (spec §15): the unmodified calibration-client 11.4.0 against a
served instance, in its three authentication modes."""

from __future__ import annotations

import time

import pytest

calibration_client = pytest.importorskip("calibration_client")
from calibration_client import CalibrationClient  # noqa: E402

T1, T2 = "2024-01-10T10:00:00+01:00", "2024-03-10T10:00:00+01:00"
VALUES = {"Sensor Bias Voltage": 300.0, "Pixels X": 512.0, "Pixels Y": 128.0, "Memory cells": 128.0,
          "Acquisition rate": 1.1, "Gain setting": 0.0}
DARK = ["Offset", "Noise", "ThresholdsDark", "BadPixelsDark"]
PDUS = [f"AGIPD_SIV1_AGIPDV11_M{500 + m}" for m in range(4)]


MODES = {"none": {"auth_mode": "disabled"}, "token": {"auth_mode": "writes"}, "oauth": {"auth_mode": "writes"}}


@pytest.fixture(params=list(MODES))
def mode(request) -> str:
    return request.param


@pytest.fixture
def calcat_settings(mode):
    return MODES[mode]


@pytest.fixture
def client(served, mode, monkeypatch) -> CalibrationClient:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    common = {"base_api_url": f"{served}/calibration/api/", "user_email": "injector@example.org"}
    if mode == "none":
        return CalibrationClient(use_oauth2=False, **common)
    oauth = {"use_oauth2": True, "client_id": "demo-client", "client_secret": "demo-secret",
             "token_url": f"{served}/calibration/oauth/token", "scope": "", **common}
    if mode == "token":
        oauth["session_token"] = {"access_token": "demo-writer-token", "token_type": "Bearer",
                                  "expires_at": time.time() + 3600}
    return CalibrationClient(**oauth)


def condition() -> dict:
    return {"flg_available": 1, "description": "", "parameters": [
        {"parameter_name": name, "value": value, "flg_logarithmic": 0, "lower_deviation_value": 0,
         "upper_deviation_value": 0, "flg_available": 1, "description": ""} for name, value in VALUES.items()]}


def inject(client, calibration: str, pdu: str, begin: str, name: str | None = None) -> dict:
    return client.inject_new_calibration_constant_version({
        "report": {"name": "e2e.pdf", "file_path": "/e2e/reports/e2e.pdf", "description": ""},
        "detector_condition": condition(),
        "calibration_constant": {"detector_type_name": "AGIPD-Type", "calibration_name": calibration,
                                 "flg_available": 1, "flg_auto_approve": 1, "description": ""},
        "calibration_constant_version": {
            "name": name or f"e2e_{calibration}_{pdu[-4:]}_{begin[:10]}", "pdu_physical_name": pdu,
            "detector_identifier": "", "pdu_karabo_da": "", "path_to_file": "xfel/cal/e2e/", "file_name": "e2e.h5",
            "flg_good_quality": 1, "begin_validity_at": begin, "end_validity_at": "", "begin_at": begin,
            "raw_data_location": "proposal:900009 runs:1", "description": "", "start_idx": 0, "end_idx": 0,
            "data_set_name": f"/{pdu}/{calibration}/0"}})


def retrieve(client, strategy: str, **where) -> dict:
    return client.retrieve_calibration_constant_version({
        "detector_condition": condition(), "calibration_name": "Offset", "measured_at": "2024-03-01T00:00:00+01:00",
        "snapshot_at": "", "strategy": strategy, **where})


def test_100_to_105_client_flows(client, mode):
    """100: inject 4 PDUs × 4 darks at T1 and Offset v2 at T2; 101: a re-injection is refused;
    102, 103: retrieve by each strategy and all; 104: update; 105: PDUs of a detector; 109: me."""
    injected = {}
    for calibration in DARK:
        for pdu in PDUS:
            result = inject(client, calibration, pdu, T1)
            assert result["success"] is True, result
            injected[calibration, pdu] = result["data"]
    v2 = inject(client, "Offset", PDUS[0], T2)
    assert v2["success"] is True, v2
    v1 = injected["Offset", PDUS[0]]
    assert (v1["begin_at"], v1["end_validity_at"], v1["flg_deployed"]) == ("2024-01-10T10:00:00.000+01:00", None,
                                                                            True)
    assert v1["report_id"] is not None
    assert len({ccv["calibration_constant"]["condition_id"] for ccv in injected.values()}) == 1
    assert len({ccv["calibration_constant"]["id"] for ccv in injected.values()}) == 4

    again = inject(client, "Offset", PDUS[0], T1, name="e2e_new_name")  # 101
    assert again["success"] is False and again["status_code"] == 422, again

    pdu = {"pdu_physical_name": PDUS[0]}
    assert retrieve(client, "pdu_closest_by_time", **pdu)["data"]["id"] == v2["data"]["id"]  # 102
    assert retrieve(client, "pdu_prior_in_time", **pdu)["data"]["id"] == v1["id"]
    by_detector = retrieve(client, "detector_closest_by_time", detector_identifier="SPB_DET_AGIPD1M-1",
                           pdu_karabo_da="AGIPD00")
    assert by_detector["data"]["id"] == v2["data"]["id"], by_detector
    everything = client.retrieve_all_calibration_constant_versions({  # 103
        "detector_condition": condition(), "calibration_name": "Offset", "measured_at": "2024-03-01T00:00:00+01:00",
        "snapshot_at": "", **pdu})
    assert [ccv["id"] for ccv in everything["data"]] == [v2["data"]["id"], v1["id"]], everything

    updated = client.update_calibration_constant_version({"ccv_id": v1["id"], "description": "updated",
                                                          "flg_good_quality": True})  # 104
    assert updated["success"] is True, updated
    assert updated["data"]["description"] == "updated"

    modules = client.get_all_phy_det_units_from_detector({"detector_identifier": "SPB_DET_AGIPD1M-1",
                                                          "pdu_snapshot_at": ""})  # 105
    assert [p["karabo_da"] for p in modules["data"]] == [f"AGIPD{m:02d}" for m in range(16)]

    me = client.get_current_user()  # 109
    assert me.status_code == 200 and me.json()["email"] in ("injector@example.org", "")


@pytest.mark.parametrize("mode", ["oauth"], indirect=True)
def test_110_token_renewal(client, served):
    """110: the client asks the endpoint once, then again only when its token has expired locally."""
    assert client.get_current_user().status_code == 200
    first = client.oauth_client.session.token["access_token"]
    assert client.get_current_user().status_code == 200
    assert client.oauth_client.session.token["access_token"] == first
    session = client.oauth_client.session
    session.token = {**session.token, "expires_in": -10, "expires_at": time.time() - 10}  # expired, locally
    assert client.get_current_user().status_code == 200
    assert client.oauth_client.session.token["access_token"] != first


def test_107_module_crud(client):
    """107: create, find, update, delete and delete again through the client's model classes, with the
    ``success`` flags and ``app_info`` values of the reference."""
    from calibration_client.modules import Calibration, DetectorType, Parameter, PhysicalDetectorUnit, Report

    dtype = DetectorType(client, "E2E-Type", True, "made by the client")
    created = dtype.create()
    assert created["success"] and created["status_code"] == 201, created
    assert DetectorType.get_by_name(client, "E2E-Type")["data"]["id"] == dtype.id
    duplicate = DetectorType(client, "E2E-Type", True).create()
    assert duplicate["success"] is False and duplicate["app_info"] == {"name": ["has already been taken"]}
    dtype.description = "changed"
    assert dtype.update()["data"]["description"] == "changed"

    pdu = PhysicalDetectorUnit(client, "E2E_PDU", "", "", "123456789", str(dtype.id), "", True)
    assert pdu.create()["success"], pdu
    found = PhysicalDetectorUnit.get_by_name(client, "E2E_PDU")["data"]
    assert (found["uuid"], found["detector"], found["karabo_da"]) == (123456789, None, None)
    assert dtype.delete()["success"] is False  # a PDU still uses the type
    assert pdu.delete()["success"] and dtype.delete()["success"]
    gone = dtype.delete()
    assert gone["success"] is False and gone["app_info"] == "Resource not found!"

    parameter = Parameter(client, "E2E parameter", 1, True, False, False, 0.5, 0.5)
    assert parameter.create()["success"]
    assert Parameter.get_by_name(client, "e2e PARAMETER")["data"]["id"] == parameter.id
    assert parameter.delete()["success"]

    calibration = Calibration(client, "E2E calibration", 1, None, None, None)
    assert calibration.create()["success"]
    again = Calibration(client, "E2E calibration", 1, None, None, None).create()
    assert again["app_info"] == {"name": ["has already been taken"], "unit": ["has already been taken"]}
    assert calibration.delete()["success"]

    report = Report(client, "e2e_report.pdf", "/e2e/r.pdf", True)
    first, second = report.set(), Report(client, "e2e_report.pdf", "/e2e/r.pdf", True).set()
    assert first["success"] and second["success"] and first["data"]["id"] == second["data"]["id"]


def test_108_condition_class(client):
    """108: ``Condition.set_expected`` / ``get_expected`` / ``get_possible`` through the client class."""
    from calibration_client.modules import Condition

    entries = [{"parameter_name": name, "value": str(value), "lower_deviation_value": "0.0",
                "upper_deviation_value": "0.0", "flg_available": "true", "description": ""}
               for name, value in VALUES.items()]
    condition = Condition(client, "E2E condition", True, None, entries)
    first = condition.set_expected()
    assert first["success"] and first["status_code"] == 201, first
    second = Condition(client, "other name", True, None, entries).set_expected()
    assert second["success"] and second["data"]["id"] == first["data"]["id"]
    assert Condition(client, "", True, None, entries).get_expected()["data"]["id"] == first["data"]["id"]
    possible = Condition(client, "", True, None, entries).get_possible()
    assert possible["success"] and possible["data"][0]["id"] == first["data"]["id"]


def test_106_closest_by_detector_conditions_class_method(client, served):
    """106: the client class method with ``parameter_id`` strings gives one version per (PDU, calibration)."""
    import requests
    from calibration_client.modules import CalibrationConstantVersion

    base = f"{served}/calibration/api"
    parameters = {p["name"]: p["id"] for p in requests.get(f"{base}/parameters?page_size=500", timeout=30).json()}
    calibrations = {c["name"]: c["id"] for c in requests.get(f"{base}/calibrations?page_size=500", timeout=30).json()}
    values = {**VALUES, "Memory cells": 352.0}  # the demo's SPB darks
    conditions = {"parameters_conditions_attributes": [{"parameter_id": str(parameters[name]), "value": str(value)}
                                                       for name, value in values.items()]}
    found = CalibrationConstantVersion.get_closest_by_time_by_detector_conditions(
        client, "SPB_DET_AGIPD1M-1", [calibrations[name] for name in DARK], conditions,
        event_at="2024-03-01T00:00:00+01:00")
    assert found["success"] is True, found
    pairs = [(ccv["physical_detector_unit"]["id"], ccv["calibration_constant"]["calibration_id"])
             for ccv in found["data"]]
    assert len(pairs) == len(set(pairs)) == 16 * len(DARK)
