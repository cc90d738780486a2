"""Scenarios 5, 9, 19, 33, 35, 49-51, 60 (spec §15): calibration constant versions, their exact
shape, coercions, datetimes, lists by report, and the PDU mapping at ``begin_at``."""

from __future__ import annotations

import pytest

from sciplane_calcat.testing import expect

CCV_KEYS = ["id", "name", "file_name", "path_to_file", "data_set_name", "flg_deployed", "flg_good_quality",
            "begin_validity_at", "end_validity_at", "begin_at", "start_idx", "end_idx", "raw_data_location",
            "report_id", "description", "created_at", "view_url", "calibration_constant", "physical_detector_unit"]
PDU_KEYS = ["id", "physical_name", "detector_type_id", "flg_available", "description", "created_at", "updated_at",
            "karabo_da", "detector_id", "virtual_device_name", "uuid", "float_uuid", "module_number",
            "karabo_da_at_ccv_begin_at", "detector_id_at_ccv_begin_at", "virtual_device_name_at_ccv_begin_at",
            "module_number_at_ccv_begin_at"]


@pytest.fixture
def world(api) -> dict:
    """A detector with M507 at AGIPD07 until 2024-02-15 12:00, then unmapped; a constant; a report."""
    out = {"type": api.create("detector_types", "detector_type", name="AGIPD-Type"),
           "detector": api.create("detectors", "detector", name="SPB", identifier="SPB")}
    out["pdu"] = api.create("physical_detector_units", "physical_detector_unit", physical_name="M507",
                            uuid=101000800000, detector_type_id=out["type"]["id"], detector_id=out["detector"]["id"],
                            karabo_da="AGIPD07", virtual_device_name="Q2M4")
    expect(api.put(f"physical_detector_units/{out['pdu']['id']}", {"physical_detector_unit": {
        "detector_id": "", "mapping_valid_from": "2024-02-15T12:00:00+01:00"}}), 200)
    api.create("parameters", "parameter", name="Memory cells")
    condition = expect(api.post("conditions/set_expected_condition", {"condition": {
        "name": "dark", "parameters_conditions_attributes": [{"parameter_name": "Memory cells", "value": 352}]}}),
        201)
    api.create("calibrations", "calibration", name="Offset")
    out["cc"] = api.create("calibration_constants", "calibration_constant", name="AGIPD-Type_Offset_dark",
                           calibration_id=1, detector_type_id=out["type"]["id"], condition_id=condition["id"])
    out["report"] = api.create("reports", "report", name="dark.pdf", file_path="/reports/dark.pdf")
    return out


def ccv_body(world, name: str, begin_at: str = "2024-01-10T10:00:00+01:00", **extra) -> dict:
    """What the client's inject flow sends: ids, booleans and blanks as strings."""
    return {"calibration_constant_version": {
        "name": name, "file_name": "cal.1704877200.0001.h5", "path_to_file": "xfel/cal/agipd-type/m507/",
        "data_set_name": "/M507/Offset/0", "calibration_constant_id": str(world["cc"]["id"]),
        "physical_detector_unit_id": str(world["pdu"]["id"]), "flg_deployed": "true", "flg_good_quality": "true",
        "begin_validity_at": "", "end_validity_at": "", "begin_at": begin_at, "start_idx": 0, "end_idx": 0,
        "raw_data_location": "proposal:900001 runs:10 11 12", "report_id": str(world["report"]["id"]),
        "description": "", **extra}}


def test_33_51_60_inject_and_shape(api, world):
    """33: string coercions; 51: exactly the reference's keys; 60: the mapping at begin_at."""
    ccv = expect(api.post("calibration_constant_versions/", ccv_body(world, "v1", report_id="")), 201)
    assert list(ccv) == CCV_KEYS and list(ccv["physical_detector_unit"]) == PDU_KEYS
    assert len(ccv["calibration_constant"]) == 10
    assert (ccv["calibration_constant"]["id"], ccv["flg_deployed"], ccv["end_validity_at"], ccv["report_id"]) == (
        world["cc"]["id"], True, None, None)
    assert ccv["begin_at"] == ccv["begin_validity_at"] == "2024-01-10T10:00:00.000+01:00"
    pdu = ccv["physical_detector_unit"]
    assert (pdu["karabo_da"], pdu["detector_id"]) == (None, None)  # unmapped today
    assert (pdu["karabo_da_at_ccv_begin_at"], pdu["detector_id_at_ccv_begin_at"],
            pdu["virtual_device_name_at_ccv_begin_at"]) == ("AGIPD07", world["detector"]["id"], "Q2M4")
    assert ccv["view_url"].endswith(f"/calibration/calibration_constant_versions/{ccv['id']}")
    for path in (f"/calibration/api/calibration_constant_versions/{ccv['id']}",
                 f"/calibration/calibration_constant_versions/{ccv['id']}"):  # 9: the view URL
        assert expect(api.client.simulate_get(path), 200) == ccv


def test_05_no_delete(api, world):
    """5: DELETE → 405 with Allow; the version stays."""
    ccv = expect(api.post("calibration_constant_versions", ccv_body(world, "v1")), 201)
    result = api.delete(f"calibration_constant_versions/{ccv['id']}")
    expect(result, 405, {"info": "Deleting calibration constant versions is not allowed"})
    assert "GET" in result.headers["allow"]
    expect(api.get(f"calibration_constant_versions/{ccv['id']}"), 200)


def test_19_duplicates(api, world):
    """19: a full duplicate names the name and the triple; a new name on the same triple the triple only."""
    expect(api.post("calibration_constant_versions", ccv_body(world, "v1")), 201)
    triple = {key: ["has already been taken"] for key in ("calibration_constant_id", "physical_detector_unit_id",
                                                          "begin_at")}
    expect(api.post("calibration_constant_versions", ccv_body(world, "v1")), 422,
           {"info": {"name": ["has already been taken"], **triple}})
    expect(api.post("calibration_constant_versions", ccv_body(world, "v2")), 422, {"info": triple})
    expect(api.post("calibration_constant_versions", ccv_body(world, "x" * 61, "2024-05-01")), 422,
           {"info": {"name": ["is too long (maximum is 60 characters)"]}})


@pytest.mark.parametrize(("given", "rendered"), [
    ("2013-10-17T00:52:41+03:00", "2013-10-16T23:52:41.000+02:00"),
    ("2022-09-01 13:26:48.00", "2022-09-01T13:26:48.000+02:00"),
    ("20220901T132648UTC", "2022-09-01T15:26:48.000+02:00"),
    ("20210526T123000+0200", "2021-05-26T12:30:00.000+02:00"),
    ("2016-10-11T17:57:19.757000", "2016-10-11T17:57:19.757+02:00")])
def test_35_datetimes(api, world, given, rendered):
    """35: every input form, rendered in Europe/Berlin with milliseconds."""
    assert expect(api.post("calibration_constant_versions", ccv_body(world, "v", given)), 201)["begin_at"] == rendered


def test_bad_datetime(api, world):
    expect(api.post("calibration_constant_versions", ccv_body(world, "v", "not-a-date")), 422,
           {"info": {"begin_at": ["is not a valid datetime"]}})


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "disabled", "timezone": "UTC"}])
def test_39_other_zone(api, world):
    """39: with timezone UTC, renderings are +00:00 and naive input is UTC."""
    ccv = expect(api.post("calibration_constant_versions", ccv_body(world, "v", "2022-09-01 13:26:48")), 201)
    assert ccv["begin_at"] == "2022-09-01T13:26:48.000+00:00"


def test_47_49_50_lists_by_report(api, world):
    """49: pagination over a report's versions; 50: by report file path; 47: embedded in the report."""
    ids = [expect(api.post("calibration_constant_versions", ccv_body(world, f"v{day}",
                                                                     f"2024-01-{day:02d}T10:00:00+01:00")), 201)["id"]
           for day in range(1, 13)]
    result = api.get("calibration_constant_versions", f"report_id={world['report']['id']}&page=2&page_size=5")
    assert [c["id"] for c in expect(result, 200)] == ids[5:10]
    assert (result.headers["x-total-count"], result.headers["x-total-pages"]) == ("12", "3")
    by_path = expect(api.get("calibration_constant_versions", "report.file_path=/reports/dark.pdf&page_size=500"),
                     200)
    assert [c["id"] for c in by_path] == ids
    report = expect(api.get(f"reports/{world['report']['id']}"), 200)
    assert [c["id"] for c in report["calibration_constant_versions"]] == ids
    assert list(report["calibration_constant_versions"][0]) == CCV_KEYS
    assert "calibration_constant_versions" not in expect(api.get("reports"), 200)[0]


def test_update_round_trip(api, world):
    """11.3: a PUT of every scalar the GET returned (rendered datetimes, unchanged immutables) → 200."""
    ccv = expect(api.post("calibration_constant_versions", ccv_body(world, "v1")), 201)
    scalars = {k: v for k, v in ccv.items() if not isinstance(v, dict) and k not in ("id", "created_at", "view_url")}
    scalars.update(calibration_constant_id=world["cc"]["id"], physical_detector_unit_id=world["pdu"]["id"],
                   description="updated", flg_good_quality=False)
    updated = expect(api.put(f"calibration_constant_versions/{ccv['id']}",
                             {"calibration_constant_version": scalars}), 200)
    assert (updated["description"], updated["flg_good_quality"]) == ("updated", False)
    assert updated["begin_at"] == ccv["begin_at"]
    expect(api.put(f"calibration_constant_versions/{ccv['id']}", {"calibration_constant_version": {
        "physical_detector_unit_id": 999}}), 422, {"info": {"physical_detector_unit_id": ["cannot be updated"]}})
