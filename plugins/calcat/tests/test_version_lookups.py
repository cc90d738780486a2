"""Scenarios 37, 38, 80-89 (spec §15): choosing constant versions by event time and state time."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlencode

import pytest

from sciplane_calcat.testing import expect

NOT_FOUND = {"info": "Resource not found!"}
R1, R2 = "dark_900001_r0010_r0011_r0012_240110_100000.pdf", "dark_900001_r0020_r0021_r0022_240310_100000.pdf"
K1_BEGINS = ["2014-05-20T12:00:00+02:00", "2014-05-26T12:00:00+02:00"]
K2_BEGINS = ["2014-11-01T12:00:00+01:00", "2015-05-26T12:00:00+02:00"]


@pytest.fixture
def lab(api) -> dict:
    """PDUs P1, P2 of one detector; constants K1 and K2 (two conditions); versions as the scenarios say."""
    dtype = api.create("detector_types", "detector_type", name="T")
    detector = api.create("detectors", "detector", name="D", identifier="D")
    out = {"detector": detector, "versions": {}}
    for index, name in enumerate(("P1", "P2")):
        out[name] = api.create("physical_detector_units", "physical_detector_unit", physical_name=name,
                               detector_type_id=dtype["id"], detector_id=detector["id"], karabo_da=f"DA{index}")
    api.create("parameters", "parameter", name="Memory cells")
    api.create("calibrations", "calibration", name="Offset")
    for key, cells in (("K1", 1), ("K2", 2)):
        condition = expect(api.post("conditions/set_expected_condition", {"condition": {
            "name": key, "parameters_conditions_attributes": [{"parameter_name": "Memory cells", "value": cells}]}}),
            201)
        out[key] = api.create("calibration_constants", "calibration_constant", name=key, calibration_id=1,
                              detector_type_id=dtype["id"], condition_id=condition["id"])
    for key, begins in (("K1", K1_BEGINS), ("K2", K2_BEGINS)):
        for begin in begins:
            out["versions"][begin] = version(api, out, key, "P1", begin, end="2029-06-24T00:00:00+02:00")
    now = dt.datetime.now(dt.UTC)
    out["short"] = version(api, out, "K1", "P2", now.isoformat(), end=(now + dt.timedelta(seconds=1)).isoformat())
    return out


def version(api, lab, constant: str, pdu: str, begin: str, end: str = "", **extra) -> dict:
    return api.create("calibration_constant_versions", "calibration_constant_version",
                      name=f"{constant}-{pdu}-{begin}"[:60], file_name="f.h5", path_to_file="p/", data_set_name="/d",
                      calibration_constant_id=lab[constant]["id"], physical_detector_unit_id=lab[pdu]["id"],
                      begin_at=begin, end_validity_at=end, **extra)


def lookup(api, lab, segment: str, event: str | None = None, pdu: str = "P1", status: int = 200, **extra):
    query = {"calibration_constant_ids": f"[{lab['K1']['id']}, {lab['K2']['id']}]",
             "physical_detector_unit_id": lab[pdu]["id"], **extra}
    if event is not None:
        query["event_at"] = event
    return ask(api, lab["K1"]["id"], segment, status, **query)


def ask(api, constant: int, segment: str, status: int = 200, **query):
    """``GET calibration_constants/{constant}/{segment}`` with the query encoded as calibration-client does."""
    text = "&".join(f"{k}={str(v).replace('+', '%2B').replace('[', '%5B').replace(']', '%5D')}"
                    for k, v in query.items())
    return expect(api.get(f"calibration_constants/{constant}/{segment}", text), status)


@pytest.fixture
def spb(demo) -> dict:
    """The demo's SPB AGIPD, its A352 Offset constant with the version created undeployed (M500,
    2024-04-01), and the ids of R1 and R2."""
    undeployed = demo.one("calibration_constant_versions", name="20240401_100000_M500_Offset")
    return {"detector": demo.one("detectors", identifier="SPB_DET_AGIPD1M-1"), "undeployed": undeployed,
            "K": undeployed["calibration_constant"]["id"], "R1": demo.one("reports", name=R1)["id"],
            "R2": demo.one("reports", name=R2)["id"]}


def begins(found) -> list[str]:
    items = found if isinstance(found, list) else [found]
    return [v["begin_at"][:10] for v in items]


def test_80_closest(api, lab):
    """80: event 2014-05-24 → the 05-26 version (after the event, but nearer); no event → the newest."""
    assert begins(lookup(api, lab, "get_closest_version", "2014-05-24T00:00:00+02:00")) == ["2014-05-26"]
    assert begins(lookup(api, lab, "get_closest_version")) == ["2015-05-26"]


def test_81_prior(api, lab):
    """81: event 2014-05-26T09:00 → the 05-20 version; an event before every version → 404."""
    assert begins(lookup(api, lab, "get_prior_in_time_version", "2014-05-26T09:00:00+02:00")) == ["2014-05-20"]
    assert lookup(api, lab, "get_prior_in_time_version", "2000-01-01", status=404) == NOT_FOUND


def test_82_all(api, lab):
    """82: every candidate by distance from the event."""
    assert begins(lookup(api, lab, "get_all_versions", "2014-05-26T12:00:00+02:00")) == [
        "2014-05-26", "2014-05-20", "2014-11-01", "2015-05-26"]
    assert begins(lookup(api, lab, "get_all_versions")) == ["2015-05-26", "2014-11-01", "2014-05-26", "2014-05-20"]


def test_83_get_version(api, lab):
    """83: an event equal to a version's begin_at selects it (only the path's constant is searched)."""
    assert begins(lookup(api, lab, "get_version", "2014-05-26T12:00:00+02:00")) == ["2014-05-26"]
    assert begins(lookup(api, lab, "get_version", "2016-01-01")) == ["2014-05-26"]  # K2's are not K1's


def test_84_85_validity(api, lab):
    """84: a version valid for one second has expired for "now"; 85: an open end is valid in the future."""
    time.sleep(1.1)
    assert lookup(api, lab, "get_closest_version", pdu="P2", status=404) == NOT_FOUND
    open_ended = version(api, lab, "K2", "P1", "2016-01-01T00:00:00+01:00")
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).isoformat()
    for segment in ("get_closest_version", "get_prior_in_time_version"):
        assert lookup(api, lab, segment, future)["id"] == open_ended["id"]


def test_86_89_deployment_and_quality(api, lab):
    """86: a withdrawn version is gone now, found at a state time between its creation and the withdrawal, and
    not at a state time before its creation, when the versions created earlier are; 89: quality does not
    filter."""
    before = dt.datetime.now(dt.UTC).isoformat()
    target = version(api, lab, "K2", "P1", "2016-01-01T00:00:00+01:00")
    between = dt.datetime.now(dt.UTC).isoformat()
    expect(api.put(f"calibration_constant_versions/{target['id']}", {"calibration_constant_version": {
        "flg_deployed": False, "flg_good_quality": False}}), 200)
    assert begins(lookup(api, lab, "get_closest_version")) == ["2015-05-26"]
    assert lookup(api, lab, "get_closest_version", snapshot_at=between)["id"] == target["id"]
    assert begins(lookup(api, lab, "get_closest_version", snapshot_at=before)) == ["2015-05-26"]
    expect(api.put(f"calibration_constant_versions/{target['id']}", {"calibration_constant_version": {
        "flg_deployed": True}}), 200)
    assert lookup(api, lab, "get_closest_version")["id"] == target["id"]  # bad quality, still chosen


def test_87_by_detector(api, lab):
    """87: the closest version per mapped PDU; ``karabo_da`` narrows it; an unknown detector → 404."""
    path = f"calibration_constants/{lab['K1']['id']}/get_closest_version_by_detector"
    ids = f"calibration_constant_ids=%5B{lab['K1']['id']}%5D&detector_id={lab['detector']['id']}"
    found = expect(api.get(path, f"{ids}&karabo_da=DA0&event_at=2014-05-24"), 200)
    assert [v["physical_detector_unit"]["physical_name"] for v in found] == ["P1"] and begins(found) == ["2014-05-26"]
    both = expect(api.get(path, f"{ids}&karabo_da=&event_at=2014-05-24"), 200)
    assert [v["physical_detector_unit"]["physical_name"] for v in both] == ["P1", "P2"]
    expect(api.get(path, f"calibration_constant_ids=%5B{lab['K1']['id']}%5D&detector_id=999"), 404, NOT_FOUND)


def test_86_demo_undeployed_never_returned(demo, spb):
    """86: the demo's version created undeployed is returned by no lookup (nor ``get_by_detector_conditions``),
    even at its own ``begin_at`` and with a state time (it never had a deployment interval): R2 (then R1)."""
    hidden = spb["undeployed"]
    assert hidden["flg_deployed"] is False
    pdu = {"calibration_constant_ids": f"[{spb['K']}]", "event_at": hidden["begin_at"],
           "physical_detector_unit_id": hidden["physical_detector_unit"]["id"]}
    detector = {"calibration_constant_ids": f"[{spb['K']}]", "event_at": hidden["begin_at"],
                "detector_id": spb["detector"]["id"], "karabo_da": "AGIPD00"}
    for state in ({}, {"snapshot_at": dt.datetime.now(dt.UTC).isoformat()}):
        for segment in ("get_version", "get_closest_version", "get_prior_in_time_version"):
            assert ask(demo, spb["K"], segment, **pdu, **state)["report_id"] == spb["R2"], (segment, state)
        everything = ask(demo, spb["K"], "get_all_versions", **pdu, **state)
        assert [v["report_id"] for v in everything] == [spb["R2"], spb["R1"]], state
        by_detector = ask(demo, spb["K"], "get_closest_version_by_detector", **detector, **state)
        assert [v["report_id"] for v in by_detector] == [spb["R2"]], state
    condition = expect(demo.get(f"conditions/{hidden['calibration_constant']['condition_id']}"), 200)
    body = {"parameters_conditions_attributes": [{"parameter_name": c["parameter_name"], "value": c["value"]}
                                                 for c in condition["parameters_conditions"]]}
    for strategy in ("closest", "prior"):
        query = {"detector_identifier": "SPB_DET_AGIPD1M-1", "karabo_da": "AGIPD00", "begin_at_strategy": strategy,
                 "calibration_id": hidden["calibration_constant"]["calibration_id"], "event_at": hidden["begin_at"]}
        found = expect(demo.request("GET", "calibration_constant_versions/get_by_detector_conditions", json=body,
                                    query=urlencode(query)), 200)
        assert [v["report_id"] for v in found] == [spb["R2"]], strategy


def test_87_by_detector_demo(demo, spb):
    """87: SPB AGIPD with ``K`` = [the A352 Offset constant] (event now): ``karabo_da=AGIPD00`` → one version,
    R2's; empty ``karabo_da`` → 16, one per PDU mapped now (AGIPD07 = M516), all R2, by ``karabo_da``."""
    query = {"calibration_constant_ids": f"[{spb['K']}]", "detector_id": spb["detector"]["id"]}
    one = ask(demo, spb["K"], "get_closest_version_by_detector", karabo_da="AGIPD00", **query)
    assert [(v["physical_detector_unit"]["karabo_da"], v["report_id"]) for v in one] == [("AGIPD00", spb["R2"])]
    every = ask(demo, spb["K"], "get_closest_version_by_detector", karabo_da="", **query)
    assert [(v["physical_detector_unit"]["karabo_da"], v["report_id"]) for v in every] == [
        (f"AGIPD{m:02d}", spb["R2"]) for m in range(16)]
    assert every[7]["physical_detector_unit"]["physical_name"] == "AGIPD_SIV1_AGIPDV11_M516"


def test_88_unknown_path_constant(api, lab):
    """88: the path's constant must exist even when the id list names existing ones."""
    expect(api.get("calibration_constants/999/get_closest_version",
                   f"calibration_constant_ids=%5B{lab['K1']['id']}%5D&physical_detector_unit_id={lab['P1']['id']}"),
           404, NOT_FOUND)


def test_37_38_query_forms(api, lab):
    """37: an unparseable event → 400; 38: every id-list form selects the same constants."""
    expect(api.get(f"calibration_constants/{lab['K1']['id']}/get_closest_version",
                   f"event_at=not-a-date&physical_detector_unit_id={lab['P1']['id']}"), 400,
           {"info": {"event_at": ["is not a valid datetime"]}})
    k1, k2 = lab["K1"]["id"], lab["K2"]["id"]
    answers = []
    for ids in (f"%5B{k1}%2C+{k2}%5D", f"{k1},{k2}", f"{k1}&calibration_constant_ids={k2}"):
        answers.append(expect(api.get(f"calibration_constants/{k1}/get_all_versions",
                                      f"calibration_constant_ids={ids}&physical_detector_unit_id={lab['P1']['id']}"),
                              200))
    assert answers[0] == answers[1] == answers[2] and len(answers[0]) == 4
    assert len(expect(api.get(f"calibration_constants/{k1}/get_all_versions",
                              f"calibration_constant_ids={k1}&physical_detector_unit_id={lab['P1']['id']}"),
                      200)) == 2


def test_36_spaced_offset(api, lab):
    """36: an offset whose ``+`` arrived as a space."""
    found = expect(api.get(f"calibration_constants/{lab['K1']['id']}/get_prior_in_time_version",
                           f"event_at=20140526T120000%200200&physical_detector_unit_id={lab['P1']['id']}"), 200)
    assert begins(found) == ["2014-05-26"]
