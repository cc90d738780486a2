"""Scenarios 18, 22 (CC), 24, 78, 79 (spec §15): calibration constants and their lookups."""

from __future__ import annotations

import pytest

from sciplane_calcat.testing import expect

NOT_FOUND = {"info": "Resource not found!"}


@pytest.fixture
def setup(api) -> dict:
    out = {"type": api.create("detector_types", "detector_type", name="AGIPD-Type"),
           "offset": api.create("calibrations", "calibration", name="Offset"),
           "parameter": api.create("parameters", "parameter", name="Memory cells")}
    for cells in (352, 202):
        out[cells] = expect(api.post("conditions/set_expected_condition", {"condition": {
            "name": f"dark {cells}", "parameters_conditions_attributes": [
                {"parameter_name": "Memory cells", "value": cells}]}}), 201)
    return out


def cc_body(setup, cells: int, name: str) -> dict:
    return {"calibration_constant": {"name": name, "calibration_id": str(setup["offset"]["id"]),
                                     "detector_type_id": str(setup["type"]["id"]),
                                     "condition_id": str(setup[cells]["id"]), "flg_auto_approve": "true",
                                     "flg_available": "true", "description": ""}}


def test_18_22_duplicates_and_lengths(api, setup):
    """18: a full duplicate names name and the triple; a new name on the same triple the triple only."""
    created = expect(api.post("calibration_constants/", cc_body(setup, 352, "AGIPD-Type_Offset_dark 352")), 201)
    assert list(created) == ["id", "name", "detector_type_id", "calibration_id", "condition_id", "flg_auto_approve",
                             "flg_available", "description", "created_at", "updated_at"]
    assert (created["calibration_id"], created["flg_auto_approve"]) == (setup["offset"]["id"], True)
    triple = {"detector_type": ["has already been taken"], "calibration": ["has already been taken"],
              "condition": ["has already been taken"]}
    expect(api.post("calibration_constants", cc_body(setup, 352, created["name"])), 422,
           {"info": {"name": ["has already been taken"], **triple}})
    expect(api.post("calibration_constants", cc_body(setup, 352, "other")), 422, {"info": triple})
    expect(api.post("calibration_constants", cc_body(setup, 202, "x" * 256)), 422,
           {"info": {"name": ["is too long (maximum is 255 characters)"]}})
    expect(api.delete(f"calibrations/{setup['offset']['id']}"), 422, {"info": {"base": [
        "Cannot delete record because dependent calibration constants exist"]}})


def test_78_get_calibration_constant(api, setup):
    """78: the CC of the path's calibration for the type and condition; else 404."""
    created = expect(api.post("calibration_constants", cc_body(setup, 352, "cc352")), 201)
    query = (f"calibration_id=999&detector_type_id={setup['type']['id']}"
             f"&condition_id={setup[352]['id']}")
    path = f"calibrations/{setup['offset']['id']}/get_calibration_constant"
    assert expect(api.get(path, query), 200) == created
    expect(api.get(path, query.replace(str(setup[352]["id"]), "999")), 404, NOT_FOUND)


def test_79_get_all_calibration_constants(api, setup):
    """79: CCs for a list of conditions, newest first; none → 404."""
    first = expect(api.post("calibration_constants", cc_body(setup, 352, "cc352")), 201)
    second = expect(api.post("calibration_constants", cc_body(setup, 202, "cc202")), 201)
    path = f"calibrations/{setup['offset']['id']}/get_all_calibration_constants"
    for ids in (f"%5B{setup[352]['id']}%2C+{setup[202]['id']}%5D", f"{setup[352]['id']},{setup[202]['id']}",
                f"{setup[352]['id']}&condition_ids={setup[202]['id']}"):
        found = expect(api.get(path, f"detector_type_id={setup['type']['id']}&condition_ids={ids}"), 200)
        assert [cc["id"] for cc in found] == [second["id"], first["id"]]
    expect(api.get(path, f"detector_type_id={setup['type']['id']}&condition_ids=%5B%5D"), 404, NOT_FOUND)
