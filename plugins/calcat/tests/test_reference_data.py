"""Scenarios 1-4, 7, 11-13, 15-17, 20-22, 24, 25, 34, 41-46, 48 (spec §15): routing, CRUD,
Rails errors and coercion on the reference-data models."""

from __future__ import annotations

import pytest

from sciplane_calcat.testing import expect

NOT_FOUND = {"info": "Resource not found!"}


def taken(*keys: str) -> dict:
    return {"info": {key: ["has already been taken"] for key in keys}}


@pytest.fixture
def spb(api) -> dict:
    return api.create("instruments", "instrument", name="SPB/SFX SASE1", identifier="SPB")


@pytest.fixture
def agipd(api, spb) -> dict:
    return api.create("detectors", "detector", name="SPB_DET_AGIPD1M-1", identifier="SPB_DET_AGIPD1M-1",
                      karabo_name="SPB_DET_AGIPD1M-1", karabo_id_control="SPB_IRU_AGIPD1M1",
                      source_name_pattern="SPB_DET_AGIPD1M-1/DET/{modno}CH0:xtdf", number_of_modules="16",
                      first_module_index=0, instrument_ids=[spb["id"]])


def test_01_path_forms(api, agipd):
    """1: with and without trailing slash, ``.json`` and repeated slashes: the same list."""
    expected = expect(api.get("detectors"), 200)
    assert len(expected) == 1
    for path in ("detectors/", "detectors.json"):
        assert expect(api.get(path), 200) == expected
    raw = api.client.simulate_request("GET", "//calibration//api//detectors//")
    assert raw.status_code == 200 and raw.json == expected


def test_03_create_with_trailing_slash(api):
    """3: ``POST detector_types/`` → 201."""
    created = expect(api.post("detector_types/", {"detector_type": {"name": "AGIPD-Type",
                                                                    "description": "AGIPDConditions"}}), 201)
    assert created == {"id": created["id"], "name": "AGIPD-Type", "flg_available": True,
                       "description": "AGIPDConditions"}


def test_04_unknown_paths(api, agipd):
    """4: a non-numeric id and an unknown collection → 404 ``Resource not found!``."""
    expect(api.get("detectors/abc"), 404, NOT_FOUND)
    expect(api.get("nonexistent"), 404, NOT_FOUND)
    expect(api.get("detectors/99999999999999999999"), 404, NOT_FOUND)


def test_07_bad_bodies(api, make_app):
    """7: a body that is not JSON → 400; a body over ``max_body_bytes`` → 413; both JSON."""
    expect(api.post("detectors", body="{nope"), 400, {"info": "Invalid JSON body"})
    expect(api.post("detectors", body="[1]"), 400, {"info": "Invalid JSON body"})
    big = b'{"detector": {"name": "' + b"x" * (10 * 1024 * 1024) + b'"}}'
    expect(api.post("detectors", body=big), 413, {"info": "Request body too large"})


def test_11_crud_cycle(api):
    """11: create 201, get 200, put 200, delete 204 without body or Content-Type, delete again 404."""
    created = api.create("units", "unit", name="V", symbol="V")
    assert created == {"id": created["id"], "name": "V", "symbol": "V", "flg_available": True, "description": None}
    assert expect(api.get(f"units/{created['id']}"), 200) == created
    updated = expect(api.put(f"units/{created['id']}", {"unit": {"description": "volt"}}), 200)
    assert updated == {**created, "description": "volt"}
    expect(api.delete(f"units/{created['id']}"), 204)
    expect(api.delete(f"units/{created['id']}"), 404, NOT_FOUND)
    expect(api.get(f"units/{created['id']}"), 404, NOT_FOUND)


def test_12_13_duplicates(api, agipd):
    """12, 13: duplicates name exactly the colliding attributes."""
    api.create("detector_types", "detector_type", name="AGIPD-Type")
    expect(api.post("detector_types", {"detector_type": {"name": "AGIPD-Type"}}), 422, taken("name"))
    body = {key: agipd[key] for key in ("name", "identifier", "karabo_name")}
    expect(api.post("detectors", {"detector": body}), 422, taken("name", "identifier", "karabo_name"))
    expect(api.post("detectors", {"detector": {**body, "name": "other", "karabo_name": "other"}}), 422,
           taken("identifier"))


def test_15_parameter_names_are_case_insensitive(api):
    """15, 42: a parameter name differing only in capitalisation is taken; the filter ignores case."""
    created = api.create("parameters", "parameter", name="Memory cells", unit_id=1)
    expect(api.post("parameters", {"parameter": {"name": "memory CELLS"}}), 422, taken("name"))
    assert expect(api.get("parameters", "name=memory%20CELLS"), 200) == [created]


def test_16_calibration_duplicate_with_unit(api):
    """16: a full duplicate calibration reports ``name`` and ``unit``; another unit only ``name``."""
    api.create("calibrations", "calibration", name="Offset", unit_id="1")
    expect(api.post("calibrations", {"calibration": {"name": "Offset", "unit_id": 1}}), 422, taken("name", "unit"))
    volt = api.create("units", "unit", name="V")
    expect(api.post("calibrations", {"calibration": {"name": "Offset", "unit_id": volt["id"]}}), 422, taken("name"))


def test_17_48_reports(api):
    """17: a duplicate ``file_path`` is taken; 48: ``reports/set`` finds it (200) or creates (201)."""
    body = {"name": "dark.pdf", "file_path": "/reports/dark.pdf"}
    created = api.create("reports", "report", **body)
    assert created["view_url"] == f"http://falconframework.org/calibration/reports/{created['id']}"
    expect(api.post("reports", {"report": body}), 422, taken("file_path"))
    assert expect(api.post("reports/set", {"report": body}), 200) == created
    other = expect(api.post("reports/set", {"report": {"name": "b.pdf", "file_path": "/b.pdf"}}), 201)
    assert other["id"] != created["id"]
    item = expect(api.get(f"reports/{created['id']}"), 200)
    assert item == {**created, "calibration_constant_versions": []}  # the item view embeds the versions
    assert expect(api.client.simulate_get(f"/calibration/reports/{created['id']}"), 200) == item


def test_20_immutable_identifier(api, agipd):
    """20: a changed identifier cannot be updated; the same identifier with other changes is fine."""
    expect(api.put(f"detectors/{agipd['id']}", {"detector": {"identifier": "NEW"}}), 422,
           {"info": {"identifier": ["cannot be updated"]}})
    updated = expect(api.put(f"detectors/{agipd['id']}", {"detector": {**agipd, "description": "new"}}), 200)
    assert updated == {**agipd, "description": "new"}


def test_21_immutable_names(api):
    """21: parameter and calibration names cannot change."""
    parameter = api.create("parameters", "parameter", name="Pixels X")
    expect(api.put(f"parameters/{parameter['id']}", {"parameter": {"name": "Pixels Z"}}), 422,
           {"info": {"name": ["cannot be updated"]}})
    calibration = api.create("calibrations", "calibration", name="Noise")
    expect(api.put(f"calibrations/{calibration['id']}", {"calibration": {"name": "Noise2"}}), 422,
           {"info": {"name": ["cannot be updated"]}})


@pytest.mark.parametrize(("collection", "key", "limit"), [("detector_types", "detector_type", 60),
                                                          ("detectors", "detector", 64), ("reports", "report", 64)])
def test_22_lengths(api, collection, key, limit):
    """22: over-long names → 422 with the exact maximum."""
    body = {"name": "x" * (limit + 1), "identifier": "i", "file_path": "/p"}
    expect(api.post(collection, {key: body}), 422,
           {"info": {"name": [f"is too long (maximum is {limit} characters)"]}})
    assert expect(api.post(collection, {key: {**body, "name": "x" * limit}}), 201)["name"] == "x" * limit


def test_24_delete_with_dependents(api):
    """24, 46: a unit used by a parameter cannot be deleted; the unit stays."""
    assert expect(api.get("units/1"), 200)["name"] == "No unit"
    volt = api.create("units", "unit", name="V")
    api.create("parameters", "parameter", name="Sensor Bias Voltage", unit_id=volt["id"])
    expect(api.delete(f"units/{volt['id']}"), 422,
           {"info": {"base": ["Cannot delete record because dependent parameters exist"]}})
    expect(api.get(f"units/{volt['id']}"), 200)


def test_25_missing_wrapper(api):
    """25: no wrapper → 400 naming it."""
    expect(api.post("detectors", {"name": "x"}), 400,
           {"info": "param is missing or the value is empty: detector"})
    expect(api.post("detectors", body=""), 400, {"info": "param is missing or the value is empty: detector"})


@pytest.mark.parametrize(("value", "expected"), [
    (1, True), ("1", True), ("t", True), ("Error: Value True is of type <class 'str'>", True),
    (0, False), ("0", False), ("false", False), ("False", False), ("off", False)])
def test_34_booleans(api, value, expected):
    """34: the clients' boolean spellings."""
    created = api.create("detector_types", "detector_type", name=f"T{value}", flg_available=value)
    assert created["flg_available"] is expected


def test_blank_numbers_and_bad_numbers(api):
    """4.3: ``""`` is not given; text that is not a number → 422 ``is not a number``."""
    created = api.create("calibrations", "calibration", name="Gain", max_value="", min_value="1e3",
                         allowed_deviation="0.5")
    assert (created["max_value"], created["min_value"], created["allowed_deviation"]) == (None, 1000.0, 0.5)
    expect(api.post("calibrations", {"calibration": {"name": "G2", "max_value": "big"}}), 422,
           {"info": {"max_value": ["is not a number"]}})


def test_41_detector_by_identifier(api, agipd, spb):
    """41: exactly one detector with its instrument links; an unknown identifier → [] with headers."""
    assert api.one("detectors", identifier="SPB_DET_AGIPD1M-1")["detectors_instruments"] == [
        {"instrument_id": spb["id"], "detector_id": agipd["id"]}]
    result = api.get("detectors", "identifier=nope")
    assert expect(result, 200) == [] and result.headers["x-total-count"] == "0"
    assert result.headers["x-total-pages"] == "1"


def test_44_instrument_links(api, agipd, spb):
    """44: links added and removed by attributes; ``instrument_ids`` replaces the set."""
    hed = api.create("instruments", "instrument", name="HED SASE2", identifier="HED")
    path = f"detectors/{agipd['id']}"
    links = expect(api.put(path, {"detector": {"detectors_instruments_attributes": [
        {"instrument_id": hed["id"]}]}}), 200)["detectors_instruments"]
    assert [link["instrument_id"] for link in links] == sorted([spb["id"], hed["id"]])
    links = expect(api.put(path, {"detector": {"detectors_instruments_attributes": [
        {"instrument_id": str(hed["id"]), "_destroy": "true"}]}}), 200)["detectors_instruments"]
    assert [link["instrument_id"] for link in links] == [spb["id"]]
    links = expect(api.put(path, {"detector": {"instrument_ids": [hed["id"]]}}), 200)["detectors_instruments"]
    assert [link["instrument_id"] for link in links] == [hed["id"]]
    expect(api.put(path, {"detector": {"instrument_ids": [999]}}), 422,
           {"info": {"detectors_instruments.instrument": ["must exist"]}})


def test_45_operation_mode_links(api):
    """45 (links part): detector type links with positions; an unknown type must exist."""
    agipd_type = api.create("detector_types", "detector_type", name="AGIPD-Type")
    mode = api.create("operation_modes", "operation_mode", name="fixed gain",
                      detector_types_operation_modes_attributes=[{"detector_type_id": agipd_type["id"],
                                                                  "position": 2}])
    assert mode["detector_types_operation_modes"] == [
        {"detector_type_id": agipd_type["id"], "operation_mode_id": mode["id"], "position": 2}]
    expect(api.post("operation_modes", {"operation_mode": {
        "name": "x", "detector_types_operation_modes_attributes": [{"detector_type_id": 999}]}}), 422,
        {"info": {"detector_type": ["must exist"]}})


def test_pagination_headers(api):
    """5.5: page and page_size, clamped; a page beyond the end → []."""
    for index in range(7):
        api.create("instruments", "instrument", name=f"I{index}", identifier=f"I{index}")
    result = api.get("instruments", "page=2&page_size=5")
    assert [row["name"] for row in expect(result, 200)] == ["I5", "I6"]
    assert {k: result.headers[k] for k in ("x-total-count", "x-count-per-page", "x-current-page",
                                           "x-total-pages")} == {"x-total-count": "7", "x-count-per-page": "5",
                                                                 "x-current-page": "2", "x-total-pages": "2"}
    assert api.get("instruments", "page_size=10000").headers["x-count-per-page"] == "500"
    assert expect(api.get("instruments", "page=99"), 200) == []
    assert api.get("instruments", "page=abc&page_size=-1").headers["x-count-per-page"] == "100"


def test_43_detectors_by_instrument(api, agipd, spb):
    """43: the linked detectors; an unknown instrument or one without detectors → 404."""
    jf = api.create("detectors", "detector", name="SPB_IRDA_JF4M", identifier="SPB_IRDA_JF4M",
                    detectors_instruments_attributes=[{"instrument_id": spb["id"]}])
    hed = api.create("instruments", "instrument", name="HED SASE2", identifier="HED")
    found = expect(api.get("detectors/get_all_by_instrument", f"instrument_id={spb['id']}"), 200)
    assert [d["identifier"] for d in found] == [agipd["identifier"], jf["identifier"]]
    assert "x-total-count" not in api.get("detectors/get_all_by_instrument", f"instrument_id={spb['id']}").headers
    expect(api.get("detectors/get_all_by_instrument", "instrument_id=999"), 404, NOT_FOUND)
    expect(api.get("detectors/get_all_by_instrument", "instrument_id=abc"), 404, NOT_FOUND)
    expect(api.get("detectors/get_all_by_instrument", f"instrument_id={hed['id']}"), 404, NOT_FOUND)


def test_45_modes_by_detector_type(api):
    """45: two available modes in position order; an unknown type → 404; a type without modes → []."""
    agipd_type = api.create("detector_types", "detector_type", name="AGIPD-Type")
    lpd_type = api.create("detector_types", "detector_type", name="LPD-Type")
    for name, position, available in (("second", 2, True), ("first", 1, True), ("off", 0, False)):
        api.create("operation_modes", "operation_mode", name=name, flg_available=available,
                   detector_types_operation_modes_attributes=[{"detector_type_id": agipd_type["id"],
                                                               "position": position}])
    for path in ("operation_modes/get_all_by_detector_type_id", "operation_modes/get_all_by_detector_type"):
        found = expect(api.get(path, f"detector_type_id={agipd_type['id']}"), 200)
        assert [mode["name"] for mode in found] == ["first", "second"]
    expect(api.get("operation_modes/get_all_by_detector_type_id", "detector_type_id=999"), 404, NOT_FOUND)
    assert expect(api.get("operation_modes/get_all_by_detector_type_id", f"detector_type_id={lpd_type['id']}"),
                  200) == []


@pytest.mark.parametrize("path", ["units/99999999999999999999", "physical_detector_units/99999999999999999999/mappings",
                                  "calibrations/99999999999999999999/get_calibration_constant",
                                  "calibrations/99999999999999999999/get_all_calibration_constants"])
def test_ids_beyond_any_row(api, path):
    """Ids too large for the columns are unknown, not server errors."""
    expect(api.get(path), 404, NOT_FOUND)


def test_124_unhandled_failure(api, monkeypatch):
    """124: an unexpected exception in a responder → 500 JSON in the dialect, no traceback."""
    from sciplane_calcat.services import lookups

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(lookups, "detectors_by_instrument", broken)
    result = api.get("detectors/get_all_by_instrument", "instrument_id=1")
    expect(result, 500, {"info": "Internal server error"})
    assert b"secret" not in result.content


def test_nul_characters(api):
    """NUL in a query value or a body text → 400 JSON (PostgreSQL could not even compare it)."""
    expect(api.get("detectors", "identifier=a%00b"), 400, {"info": "Query values cannot contain NUL characters"})
    expect(api.post("detectors", {"detector": {"name": "a\x00b", "identifier": "x"}}), 400,
           {"info": "Text values cannot contain NUL characters"})
    token = api.client.simulate_post("/calibration/oauth/token", headers={
        "Content-Type": "application/x-www-form-urlencoded"},
        body="grant_type=client_credentials&client_id=%00&client_secret=s")
    assert token.status_code == 401 and token.json["error"] == "invalid_client"
