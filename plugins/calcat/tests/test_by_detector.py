"""Scenarios 90-99 (spec §15): ``get_by_detector_conditions`` on the demo catalogue."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from sciplane.testing import count_statements
from sciplane_calcat.testing import expect, version_only

NOT_FOUND = {"info": "Resource not found!"}
A352 = {"Sensor Bias Voltage": 300.0, "Pixels X": 512.0, "Pixels Y": 128.0, "Memory cells": 352.0,
        "Acquisition rate": 1.1, "Gain setting": 0.0}
DARK = ["Offset", "Noise", "ThresholdsDark", "BadPixelsDark"]
R1, R2 = "dark_900001_r0010_r0011_r0012_240110_100000.pdf", "dark_900001_r0020_r0021_r0022_240310_100000.pdf"
MARCH, JANUARY = "2024-03-01T00:00:00+01:00", "2024-01-20T00:00:00+01:00"


@pytest.fixture
def cal(demo) -> dict[str, int]:
    return {row["name"]: row["id"] for row in expect(demo.get("calibrations", "page_size=500"), 200)}


def ask(api, params: dict, values: dict, status: int = 200, method: str = "GET"):
    body = {"parameters_conditions_attributes": [{"parameter_name": k, "value": v} for k, v in values.items()]}
    result = api.request(method, "calibration_constant_versions/get_by_detector_conditions", json=body,
                         query=urlencode(params))
    return expect(result, status)


def agipd(cal, calibrations=DARK, **extra) -> dict:
    return {"detector_identifier": "SPB_DET_AGIPD1M-1",
            "calibration_id": str([cal[name] for name in calibrations]), **extra}


def reports_of(demo, found) -> dict[str, set]:
    names = {r["id"]: r["name"] for r in expect(demo.get("reports", "page_size=500"), 200)}
    out: dict[str, set] = {}
    for version in found:
        out.setdefault(version["physical_detector_unit"]["karabo_da_at_ccv_begin_at"], set()).add(
            names[version["report_id"]])
    return out


def test_90_closest(demo, cal):
    """90: EXtra's query in March → 64 versions, all from R2, by slot then calibration order."""
    found = ask(demo, agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH, begin_at_strategy="closest"), A352)
    assert len(found) == 64
    assert {name for names in reports_of(demo, found).values() for name in names} == {R2}
    order = [(v["physical_detector_unit"]["karabo_da"], v["calibration_constant"]["calibration_id"]) for v in found]
    assert order == [(f"AGIPD{m:02d}", cal[name]) for m in range(16) for name in DARK]
    assert ask(demo, agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH), A352, method="POST") == found


def test_91_92_prior_and_spellings(demo, cal):
    """91: prior → 60 from R1, none for AGIPD07; 92: the client's spelling, precedence, bad value → 400."""
    prior = ask(demo, agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH, begin_at_strategy="prior"), A352)
    assert len(prior) == 60 and "AGIPD07" not in reports_of(demo, prior)
    assert {n for names in reports_of(demo, prior).values() for n in names} == {R1}
    assert ask(demo, agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH, begin_strategy_at="prior"), A352) == prior
    both = ask(demo, agipd(cal, event_at=MARCH, pdu_snapshot_at=MARCH, begin_at_strategy="closest",
                           begin_strategy_at="prior"), A352)
    assert len(both) == 64
    assert ask(demo, agipd(cal, begin_at_strategy="latest"), A352, 400) == {
        "info": {"begin_at_strategy": ["is not included in the list"]}}


def test_93_mapping_time(demo, cal):
    """93: client style (ids and strings, no pdu_snapshot_at: today's mapping) in January → R1 for 15 modules,
    R2 for AGIPD07 (M516 has only R2); with pdu_snapshot_at in January → R1 for all 16."""
    parameters = {p["name"]: p["id"] for p in expect(demo.get("parameters", "page_size=500"), 200)}
    body = {"parameters_conditions_attributes": [{"parameter_id": str(parameters[k]), "value": str(v)}
                                                 for k, v in A352.items()]}
    params = {"detector_identifier": "SPB_DET_AGIPD1M-1", "event_at": JANUARY,
              "calibration_id": str([cal[name] for name in DARK]), "begin_strategy_at": ""}
    found = expect(demo.request("GET", "calibration_constant_versions/get_by_detector_conditions", json=body,
                                query=urlencode(params)), 200)
    by_slot = {v["physical_detector_unit"]["karabo_da"]: v for v in found}
    assert len(found) == 64 and by_slot["AGIPD07"]["physical_detector_unit"]["physical_name"].endswith("M516")
    assert reports_of(demo, found)["AGIPD07"] == {R2}
    then = expect(demo.request("GET", "calibration_constant_versions/get_by_detector_conditions", json=body,
                               query=urlencode({**params, "pdu_snapshot_at": JANUARY})), 200)
    assert {n for names in reports_of(demo, then).values() for n in names} == {R1} and len(then) == 64


def test_94_95_96_filters(demo, cal):
    """94: no match → []; unknown detector or slot → 404; 95: one slot; 96: every calibration."""
    assert ask(demo, agipd(cal, event_at=MARCH), {**A352, "Memory cells": 999.0}) == []
    ask(demo, {**agipd(cal), "detector_identifier": "NOPE"}, A352, 404)
    ask(demo, agipd(cal, karabo_da="AGIPD99"), A352, 404)
    one = ask(demo, agipd(cal, event_at=MARCH, karabo_da="AGIPD03"), A352)
    assert [v["physical_detector_unit"]["karabo_da"] for v in one] == ["AGIPD03"] * 4
    every = ask(demo, {"detector_identifier": "SPB_DET_AGIPD1M-1", "event_at": MARCH, "karabo_da": "AGIPD00",
                       "calibration_id": ""}, A352)
    assert [v["calibration_constant"]["calibration_id"] for v in every] == sorted(cal[name] for name in DARK)


def test_97_legacy_per_pdu_conditions(demo, cal):
    """97: constants whose condition carries the module's Detector UUID bind to that module only."""
    query = agipd(cal, ["BadPixelsFF"], event_at=MARCH)
    found = ask(demo, query, {**A352, "Source energy": 9.2})
    assert sorted(v["physical_detector_unit"]["physical_name"][-4:] for v in found) == ["M500", "M501", "M502",
                                                                                      "M503"]
    assert len({v["calibration_constant"]["condition_id"] for v in found}) == 4
    with_uuid = ask(demo, query, {**A352, "Source energy": 9.2, "Detector UUID": 4.99006796365e-313})
    assert with_uuid == found


def test_98_jungfrau(demo, cal):
    """98: EXtra's capitalisation; closest → J2, prior → J1; 8 modules × 3 calibrations."""
    values = {"Sensor Bias Voltage": 180.0, "Memory Cells": 1.0, "Pixels X": 1024.0, "Pixels Y": 512.0,
              "Integration Time": 10.0, "Sensor temperature": 291.0, "Gain Setting": 0.0}
    params = {"detector_identifier": "SPB_IRDA_JF4M", "event_at": "2024-03-04T12:33:00Z",
              "calibration_id": str([cal[n] for n in ("Offset10Hz", "Noise10Hz", "BadPixelsDark10Hz")])}
    for strategy, begin in (("closest", "2024-03-04T13:45:00.000+01:00"), ("prior", "2022-10-07T09:00:00.000+02:00")):
        found = ask(demo, {**params, "begin_at_strategy": strategy}, values)
        assert len(found) == 24 and {v["begin_at"] for v in found} == {begin}


def test_99_statement_budget(demo, cal):
    """99: the same number of statements for one module and one calibration as for 16 modules and four:
    the catalogue version (the answer cache's key), the detector's mapping changes (the PDU snapshot is
    "now"), then eight; an answer already computed at this version costs the version alone."""
    counts = []
    for params in (agipd(cal, ["Offset"], event_at=MARCH, karabo_da="AGIPD00"), agipd(cal, event_at=MARCH)):
        with count_statements() as statements:
            ask(demo, params, A352)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 10, counts
    with count_statements() as statements:
        ask(demo, agipd(cal, event_at=MARCH), A352)
    assert version_only(statements)
