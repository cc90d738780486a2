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


def recorded_posts(client, monkeypatch) -> list[tuple[str, int]]:
    """``(path under the API root, status)`` of every POST the client sends from now on."""
    posts, send = [], client.api_post

    def api_post(api_url, **kwargs):
        response = send(api_url, **kwargs)
        posts.append((api_url.split("/calibration/api/", 1)[1].strip("/"), response.status_code))
        return response

    monkeypatch.setattr(client, "api_post", api_post)
    return posts


def retrieve(client, strategy: str, **where) -> dict:
    return client.retrieve_calibration_constant_version({
        "detector_condition": condition(), "calibration_name": "Offset", "measured_at": "2024-03-01T00:00:00+01:00",
        "snapshot_at": "", "strategy": strategy, **where})


def test_100_to_105_client_flows(client, mode, monkeypatch):
    """100: inject 4 PDUs × 4 darks at T1 and Offset v2 at T2 (the condition and each calibration's constant
    created once); 101: a re-injection is refused; 102, 103: retrieve by each strategy and all; 104: update;
    105: PDUs of a detector; 109: me."""
    from calibration_client.modules import Report

    posts = recorded_posts(client, monkeypatch)
    injected = {}
    for calibration in DARK:
        for pdu in PDUS:
            result = inject(client, calibration, pdu, T1)
            assert result["success"] is True, result
            injected[calibration, pdu] = result["data"]
    v2 = inject(client, "Offset", PDUS[0], T2)
    assert v2["success"] is True, v2
    v1 = injected["Offset", PDUS[0]]
    report_id = Report.get_by_name_and_file_path(client, "e2e.pdf", "/e2e/reports/e2e.pdf")["data"]["id"]
    assert [(ccv["begin_at"], ccv["end_validity_at"], ccv["flg_deployed"], ccv["report_id"])
            for ccv in [*injected.values(), v2["data"]]] == (
        [("2024-01-10T10:00:00.000+01:00", None, True, report_id)] * 16
        + [("2024-03-10T10:00:00.000+01:00", None, True, report_id)])
    assert len({ccv["calibration_constant"]["condition_id"] for ccv in injected.values()}) == 1
    assert len({ccv["calibration_constant"]["id"] for ccv in injected.values()}) == 4
    assert [status for path, status in posts if path == "conditions/set_expected_condition"] == [201] + [200] * 16
    assert [status for path, status in posts if path == "calibration_constants"] == [201] * 4

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


TAKEN = ["has already been taken"]


def created(model) -> None:
    """``model.create()`` succeeds with 201, and ``get_by_id`` finds what it returned."""
    result = model.create()
    assert (result["success"], result["status_code"]) == (True, 201), result
    assert model.id == result["data"]["id"]
    found = type(model).get_by_id(model.calibration_client, model.id)
    assert found["success"] and found["data"].items() >= result["data"].items(), found


def updated(model) -> None:
    """``model.update()`` with a new description succeeds with 200 and the changed object."""
    model.description = f"changed {model.id}"
    result = model.update()
    assert (result["success"], result["status_code"], result["data"]["description"]) == (
        True, 200, model.description), result


def refused(result: dict, app_info) -> None:
    """The client's report of a 422: failure, with the server's dictionary as ``app_info``."""
    assert (result["success"], result["status_code"], result["app_info"]) == (False, 422, app_info), result


def deleted(model) -> None:
    """Delete succeeds (204); the object is gone; deleting it again fails with the reference's not-found."""
    first = model.delete()
    assert (first["success"], first["status_code"]) == (True, 204), first
    for again in (model.delete(), type(model).get_by_id(model.calibration_client, model.id)):
        assert (again["success"], again["status_code"], again["app_info"]) == (False, 404, "Resource not found!"), again


def test_107_module_crud(client):
    """107: create, find, update, delete and delete again through each of the client's model classes, with the
    ``success`` flags and ``app_info`` values of the reference (422 dictionaries, ``"Resource not found!"``)."""
    from calibration_client.modules import (
        Calibration,
        CalibrationConstant,
        Detector,
        DetectorType,
        Parameter,
        PhysicalDetectorUnit,
        Report,
    )

    dtype = DetectorType(client, "E2E-Type", True, "made by the client")
    created(dtype)
    assert DetectorType.get_by_name(client, "E2E-Type")["data"]["id"] == dtype.id
    refused(DetectorType(client, "E2E-Type", True).create(), {"name": TAKEN})
    updated(dtype)

    detector = Detector(client, "E2E_DET", "E2E_DET", "E2E_DET", "E2E_CONTROL", True)
    created(detector)
    assert Detector.get_by_name(client, "E2E_DET")["data"]["id"] == detector.id
    assert Detector.get_by_identifier(client, "E2E_DET")["data"]["id"] == detector.id
    refused(Detector(client, "E2E_DET", "E2E_DET", "E2E_DET", "", True).create(),
            {"name": TAKEN, "identifier": TAKEN, "karabo_name": TAKEN})
    updated(detector)

    pdu = PhysicalDetectorUnit(client, "E2E_PDU", "", "", "123456789", str(dtype.id), "", True)
    created(pdu)
    found = PhysicalDetectorUnit.get_by_name(client, "E2E_PDU")["data"]
    assert (found["id"], found["uuid"], found["detector"], found["karabo_da"]) == (pdu.id, 123456789, None, None)
    refused(PhysicalDetectorUnit(client, "E2E_PDU", "", "", "123456789", str(dtype.id), "", True).create(),
            {"physical_name": TAKEN, "uuid": TAKEN})
    updated(pdu)
    refused(dtype.delete(), {"base": ["Cannot delete record because dependent physical detector units exist"]})

    parameter = Parameter(client, "E2E parameter", 1, True, False, False, 0.5, 0.5)
    created(parameter)
    assert Parameter.get_by_name(client, "e2e PARAMETER")["data"]["id"] == parameter.id
    refused(Parameter(client, "E2E PARAMETER", 1, True, False, False, 0.5, 0.5).create(), {"name": TAKEN})
    updated(parameter)
    deleted(parameter)

    calibration = Calibration(client, "E2E calibration", 1, None, None, None)
    created(calibration)
    assert Calibration.get_by_name(client, "E2E calibration")["data"]["id"] == calibration.id
    refused(Calibration(client, "E2E calibration", 1, None, None, None).create(), {"name": TAKEN, "unit": TAKEN})
    updated(calibration)

    condition_id = client.set_condition_from_dict(condition())["data"]["id"]
    constant = CalibrationConstant(client, "E2E constant", str(calibration.id), str(dtype.id), str(condition_id),
                                   True, True)
    created(constant)
    assert CalibrationConstant.get_by_name(client, "E2E constant")["data"]["id"] == constant.id
    refused(CalibrationConstant(client, "E2E constant", str(calibration.id), str(dtype.id), str(condition_id),
                                True, True).create(),
            {"name": TAKEN, "detector_type": TAKEN, "calibration": TAKEN, "condition": TAKEN})
    updated(constant)
    refused(calibration.delete(), {"base": ["Cannot delete record because dependent calibration constants exist"]})

    report = Report(client, "e2e_report.pdf", "/e2e/r.pdf", True)
    created(report)
    assert Report.get_by_name_and_file_path(client, "e2e_report.pdf", "/e2e/r.pdf")["data"]["id"] == report.id
    refused(Report(client, "e2e_report.pdf", "/e2e/r.pdf", True).create(), {"file_path": TAKEN})
    updated(report)
    again = Report(client, "e2e_report.pdf", "/e2e/r.pdf", True).set()
    assert (again["success"], again["status_code"], again["data"]["id"]) == (True, 200, report.id), again

    for model in (constant, calibration, pdu, dtype, detector, report):
        deleted(model)


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
