"""Scenarios 2, 14, 23, 40, 52-59 (spec §15): physical detector units and their mapping history."""

from __future__ import annotations

import struct

import pytest

from sciplane_calcat.testing import expect

NOT_FOUND = {"info": "Resource not found!"}
SWAP = "2024-02-15T12:00:00+01:00"


def uuid_of(m: int) -> int:
    return 101000000000 + (m + 1) * 100000


@pytest.fixture
def spb(api) -> dict:
    """SPB AGIPD with M500…M515 at AGIPD00…15 (open start), then M507 swapped for M516 at SWAP; a MID AGIPD."""
    agipd_type = api.create("detector_types", "detector_type", name="AGIPD-Type")
    out = {"type": agipd_type, "pdus": {}}
    for key, name in (("spb", "SPB_DET_AGIPD1M-1"), ("mid", "MID_DET_AGIPD1M-1")):
        out[key] = api.create("detectors", "detector", name=name, identifier=name, karabo_name=name)
    for m in range(16):
        out["pdus"][m] = api.create(
            "physical_detector_units", "physical_detector_unit", physical_name=f"AGIPD_SIV1_AGIPDV11_M{500 + m}",
            karabo_da=f"AGIPD{m:02d}", virtual_device_name=f"Q{m // 4 + 1}M{m % 4 + 1}", uuid=str(uuid_of(m)),
            detector_type_id=str(agipd_type["id"]), detector_id=str(out["spb"]["id"]))
    out["pdus"][16] = api.create("physical_detector_units", "physical_detector_unit",
                                 physical_name="AGIPD_SIV1_AGIPDV11_M516", uuid=uuid_of(16),
                                 detector_type_id=agipd_type["id"])
    expect(api.put(f"physical_detector_units/{out['pdus'][7]['id']}", {"physical_detector_unit": {
        "detector_id": None, "mapping_valid_from": SWAP}}), 200)
    expect(api.put(f"physical_detector_units/{out['pdus'][16]['id']}", {"physical_detector_unit": {
        "detector_id": out["spb"]["id"], "karabo_da": "AGIPD07", "virtual_device_name": "Q2M4",
        "mapping_valid_from": SWAP}}), 200)
    return out


def by_detector(api, detector_id, query: str = "") -> list[dict]:
    return expect(api.get("physical_detector_units//get_all_by_detector", f"detector_id={detector_id}{query}"), 200)


def test_02_53_mapping_now_and_then(api, spb):
    """2, 53: 16 PDUs by karabo_da now (AGIPD07 = M516); at 2024-01-20 AGIPD07 = M507 with that slot."""
    now = by_detector(api, spb["spb"]["id"], "&pdu_snapshot_at=")
    assert [p["karabo_da"] for p in now] == [f"AGIPD{m:02d}" for m in range(16)]
    assert now[7]["physical_name"] == "AGIPD_SIV1_AGIPDV11_M516"
    for query in ("&pdu_snapshot_at=2024-01-20T00:00:00%2B01:00", "&snapshot_at=2024-01-20"):
        then = by_detector(api, spb["spb"]["id"], query)
        assert then[7]["physical_name"] == "AGIPD_SIV1_AGIPDV11_M507"
        assert (then[7]["karabo_da"], then[7]["detector_id"]) == ("AGIPD07", spb["spb"]["id"])
        assert then[7]["detector"]["identifier"] == "SPB_DET_AGIPD1M-1"
    expect(api.get("physical_detector_units/get_all_by_detector",
                   f"detector_id={spb['spb']['id']}&pdu_snapshot_at=nope"), 400,
           {"info": {"pdu_snapshot_at": ["is not a valid datetime"]}})


def test_14_duplicate_mapped_pdu(api, spb):
    """14: a full duplicate of a mapped PDU names physical_name, karabo_da and uuid."""
    pdu = spb["pdus"][3]
    body = {key: pdu[key] for key in ("physical_name", "karabo_da", "uuid", "detector_type_id", "detector_id")}
    expect(api.post("physical_detector_units", {"physical_detector_unit": body}), 422, {"info": {
        "physical_name": ["has already been taken"], "karabo_da": ["has already been taken"],
        "uuid": ["has already been taken"]}})


def test_23_unknown_detector_type(api):
    """23: an unknown detector type must exist; a missing one too."""
    for body in ({"physical_name": "X", "detector_type_id": 999}, {"physical_name": "X"}):
        expect(api.post("physical_detector_units", {"physical_detector_unit": body}), 422,
               {"info": {"detector_type": ["must exist"]}})


def test_40_float_uuid(api, spb):
    """40: float_uuid is the bit reinterpretation of the uuid, as JSON text too; out of range → 422."""
    result = api.get(f"physical_detector_units/{spb['pdus'][0]['id']}")
    assert b'"float_uuid":4.99006796365e-313' in result.content
    for pdu in expect(api.get("physical_detector_units", "page_size=500"), 200):
        assert struct.unpack("<q", struct.pack("<d", pdu["float_uuid"]))[0] == pdu["uuid"]
    expect(api.post("physical_detector_units", {"physical_detector_unit": {
        "physical_name": "Y", "detector_type_id": spb["type"]["id"], "uuid": 0x7FF0000000000000}}), 422,
        {"info": {"uuid": ["is out of range"]}})


def test_52_pdu_shape(api, spb):
    """52: PDUs carry their detector (no instrument links) and type; an unmapped PDU has detector null."""
    pdu = expect(api.get(f"physical_detector_units/{spb['pdus'][0]['id']}"), 200)
    assert list(pdu) == ["id", "physical_name", "karabo_da", "virtual_device_name", "uuid", "float_uuid",
                         "detector_type_id", "detector_id", "module_number", "flg_available", "description",
                         "detector", "detector_type"]
    assert "detectors_instruments" not in pdu["detector"]
    assert pdu["detector_type"] == spb["type"]
    m507 = api.one("physical_detector_units", physical_name="AGIPD_SIV1_AGIPDV11_M507")
    assert (m507["detector"], m507["detector_id"], m507["karabo_da"]) == (None, None, None)


def test_54_nothing_mapped(api, spb):
    """54: a detector without PDUs, and an unknown detector → 404."""
    empty = api.create("detectors", "detector", name="EMPTY", identifier="EMPTY")
    expect(api.get("physical_detector_units/get_all_by_detector", f"detector_id={empty['id']}"), 404, NOT_FOUND)
    expect(api.get("physical_detector_units/get_all_by_detector", "detector_id=999"), 404, NOT_FOUND)


def test_55_history(api, spb):
    """55: M507's one mapping, open start, closed at the swap."""
    assert expect(api.get(f"physical_detector_units/{spb['pdus'][7]['id']}/mappings"), 200) == [{
        "detector_id": spb["spb"]["id"], "karabo_da": "AGIPD07", "virtual_device_name": "Q2M4",
        "module_number": None, "valid_from": None, "valid_to": "2024-02-15T12:00:00.000+01:00"}]
    expect(api.get("physical_detector_units/999/mappings"), 404, NOT_FOUND)


def test_56_58_slots(api, spb):
    """56: an occupied slot is taken; 58: the same karabo_da under another detector is free."""
    body = {"physical_name": "NEW", "detector_type_id": spb["type"]["id"], "karabo_da": "AGIPD03"}
    expect(api.post("physical_detector_units", {"physical_detector_unit": {**body, "detector_id": spb["spb"]["id"]}}),
           422, {"info": {"karabo_da": ["has already been taken"]}})
    expect(api.post("physical_detector_units", {"physical_detector_unit": {
        **body, "karabo_da": "AGIPD00", "detector_id": spb["mid"]["id"]}}), 201)
    # M507's old slot was held until the swap: mapping another PDU there before it is taken too.
    expect(api.post("physical_detector_units", {"physical_detector_unit": {
        **body, "physical_name": "OLD", "karabo_da": "AGIPD07", "detector_id": spb["spb"]["id"],
        "mapping_valid_from": "2024-01-01T00:00:00+01:00"}}), 422, {"info": {"karabo_da": ["has already been taken"]}})


def test_57_invalid_mapping_times(api, spb):
    """57: a change dated in the future, or before the open row's start, is invalid."""
    pdu16 = spb["pdus"][16]["id"]
    for when in ("2999-01-01T00:00:00+00:00", "2024-01-01T00:00:00+01:00"):
        expect(api.put(f"physical_detector_units/{pdu16}", {"physical_detector_unit": {
            "virtual_device_name": "X", "mapping_valid_from": when}}), 422,
            {"info": {"mapping_valid_from": ["is invalid"]}})
    # A first mapping too: created mapped, or mapped later, never from a future instant.
    body = {"physical_name": "LATER", "detector_type_id": spb["type"]["id"], "karabo_da": "AGIPD09",
            "detector_id": spb["mid"]["id"], "mapping_valid_from": "2999-01-01T00:00:00+00:00"}
    expect(api.post("physical_detector_units", {"physical_detector_unit": body}), 422,
           {"info": {"mapping_valid_from": ["is invalid"]}})
    unmapped = api.create("physical_detector_units", "physical_detector_unit", physical_name="UNMAPPED",
                          detector_type_id=spb["type"]["id"])
    expect(api.put(f"physical_detector_units/{unmapped['id']}", {"physical_detector_unit": {
        "detector_id": spb["mid"]["id"], "karabo_da": "AGIPD09", "mapping_valid_from": "2999-01-01T00:00:00+00:00"}}),
        422, {"info": {"mapping_valid_from": ["is invalid"]}})


def test_59_open_start_then_remap(api, spb):
    """59: a PDU registered now counts in 2024; re-mapped today, a 2024 query still shows the old slot."""
    created = api.create("physical_detector_units", "physical_detector_unit", physical_name="JUST_NOW",
                         detector_type_id=spb["type"]["id"], detector_id=spb["mid"]["id"], karabo_da="AGIPD05")
    at_2024 = "&pdu_snapshot_at=2024-03-01T00:00:00%2B01:00"
    assert "JUST_NOW" in [p["physical_name"] for p in by_detector(api, spb["mid"]["id"], at_2024)]
    expect(api.put(f"physical_detector_units/{created['id']}", {"physical_detector_unit": {"karabo_da": "AGIPD06"}}),
           200)
    then = {p["physical_name"]: p["karabo_da"] for p in by_detector(api, spb["mid"]["id"], at_2024)}
    now = {p["physical_name"]: p["karabo_da"] for p in by_detector(api, spb["mid"]["id"])}
    assert (then["JUST_NOW"], now["JUST_NOW"]) == ("AGIPD05", "AGIPD06")


def test_pdu_filters_and_immutables(api, spb):
    """7.6: the client's filters on the current mapping; physical_name cannot change (21)."""
    found = api.one("physical_detector_units", detector_id=spb["spb"]["id"], karabo_da="AGIPD07")
    assert found["physical_name"] == "AGIPD_SIV1_AGIPDV11_M516"
    assert api.one("physical_detector_units", uuid=uuid_of(3))["karabo_da"] == "AGIPD03"
    expect(api.put(f"physical_detector_units/{found['id']}", {"physical_detector_unit": {"physical_name": "Z"}}),
           422, {"info": {"physical_name": ["cannot be updated"]}})
    expect(api.post("physical_detector_units", {"physical_detector_unit": {
        "physical_name": "NOSLOT", "detector_type_id": spb["type"]["id"], "detector_id": spb["spb"]["id"]}}), 422,
        {"info": {"karabo_da": ["can't be blank"]}})
