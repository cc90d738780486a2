"""Scenarios 61-77 (spec §15): exact and tolerant condition matching, get-or-create, immutability."""

from __future__ import annotations

import time

import pytest

from sciplane.testing import count_statements
from sciplane_calcat.testing import expect, version_only

NOT_FOUND = {"info": "Resource not found!"}
PARAMETERS = [("Sensor Bias Voltage", 5.0, {}), ("Memory cells", 0.0, {}), ("Pixels X", 0.0, {}),
              ("Pixels Y", 0.0, {}), ("Acquisition rate", 0.1, {}), ("Gain setting", 0.0, {}),
              ("Gain mode", 0.0, {}), ("Detector UUID", 0.0, {}), ("Source energy", 0.1, {}),
              ("Memory cell order", None, {"flg_text": True}), ("Photon flux", 0.5, {"flg_logarithmic": True})]
A352 = {"Sensor Bias Voltage": 300, "Pixels X": 512, "Pixels Y": 128, "Memory cells": 352, "Acquisition rate": 1.1,
        "Gain setting": 0}
FULL_ORDER = "".join(f"{i}," for i in range(510))
PART_ORDER = "".join(f"{i}," for i in range(100))


def entries(values: dict, **deviations) -> list[dict]:
    return [{"parameter_name": name, "value": value, **deviations} for name, value in values.items()]


def body(values: dict, name: str | None = None, **deviations) -> dict:
    condition = {"parameters_conditions_attributes": entries(values, **deviations)}
    if name is not None:
        condition["name"] = name
    return {"condition": condition}


@pytest.fixture
def params(api) -> dict[str, dict]:
    out = {}
    for name, deviation, flags in PARAMETERS:
        extra = {} if deviation is None else {"def_lower_deviation_value": deviation,
                                              "def_upper_deviation_value": deviation}
        out[name] = api.create("parameters", "parameter", name=name, **flags, **extra)
    return out


@pytest.fixture
def a352(api, params) -> dict:
    return expect(api.post("conditions/set_expected_condition", body(A352, "AGIPD dark 352c")), 201)


def possible(api, values: dict, method: str = "GET", **deviations):
    return api.request(method, "conditions/get_possible_conditions", json=body(values, **deviations))


def test_06_61_62_exact(api, a352):
    """61, 62: exact match with string values and deviations; one value changed → 404; set finds it."""
    strings = body({k: str(float(v)) for k, v in A352.items()}, lower_deviation_value="0.0",
                   upper_deviation_value="0.0")
    found = expect(api.request("GET", "conditions/get_expected_condition", json=strings), 200)
    assert (found["id"], found["num_parameters"]) == (a352["id"], 6)
    assert expect(api.post("conditions/get_expected_condition", strings), 200) == found
    expect(api.request("GET", "conditions/get_expected_condition", json=body({**A352, "Memory cells": 200})), 404,
           NOT_FOUND)
    assert expect(api.post("conditions/set_expected_condition", body(A352, "another name")), 200)["id"] == a352["id"]


def test_63_64_set_expected(api, a352):
    """63: new values under a taken name → 422; 64: new values → 201, again → 200 with the same id."""
    other = {**A352, "Memory cells": 202, "Acquisition rate": 2.2}
    expect(api.post("conditions/set_expected_condition", body(other, a352["name"])), 422,
           {"info": {"name": ["has already been taken"]}})
    created = expect(api.post("conditions/set_expected_conditions", body(other, "AGIPD dark 202c")), 201)
    assert expect(api.post("conditions/set_possible_conditions", body(other, "x")), 200)["id"] == created["id"]
    unnamed = expect(api.post("conditions/set_expected_condition", body({**A352, "Memory cells": 64})), 201)
    assert abs(int(unnamed["name"]) - time.time()) < 60  # a blank name becomes the Unix time


def test_65_66_tolerances(api, a352):
    """65: query deviations; 66: the parameter's defaults when none are sent."""
    def ids(values, **deviations):
        result = possible(api, values, **deviations)
        return [c["id"] for c in result.json] if result.status_code == 200 else result.status_code

    assert a352["id"] in ids({**A352, "Sensor Bias Voltage": 303}, lower_deviation_value=5,
                             upper_deviation_value=5)
    assert ids({**A352, "Sensor Bias Voltage": 306}, lower_deviation_value=5, upper_deviation_value=5) == 404
    assert ids({**A352, "Sensor Bias Voltage": 303}, lower_deviation_value=0, upper_deviation_value=0) == 404
    assert ids({**A352, "Acquisition rate": 1.15}) == [a352["id"]]
    assert ids({**A352, "Acquisition rate": 1.25}) == 404
    assert expect(possible(api, A352, "POST"), 200) == expect(possible(api, A352), 200)  # 6: GET body = POST


def test_67_subset_and_superset(api, a352):
    """67: fewer or more parameters than the condition never match."""
    expect(possible(api, {k: v for k, v in A352.items() if k != "Gain setting"}), 404, NOT_FOUND)
    expect(possible(api, {**A352, "Gain mode": 0}), 404, NOT_FOUND)


def test_68_inclusive_bounds(api, params):
    """68: bounds are inclusive and exact: 2.0±0.5 takes 2.5; 1.999±0.5 takes 1.5; 2.000001±0.5 does not."""
    for value in (2.5, 1.5):
        expect(api.post("conditions/set_expected_condition", body({"Pixels X": value}, f"px{value}")), 201)

    def names(value):
        result = possible(api, {"Pixels X": value}, lower_deviation_value=0.5, upper_deviation_value=0.5)
        return sorted(c["name"] for c in result.json) if result.status_code == 200 else []

    assert names(2.0) == ["px1.5", "px2.5"]
    assert names(1.999) == ["px1.5"]
    assert names(2.000001) == ["px2.5"]


def test_69_70_text_prefix(api, params):
    """69: a text value matches as a prefix; 70: exact matching tells the two apart and stores the text."""
    base = {"Memory cells": 512}
    full = expect(api.post("conditions/set_expected_condition",
                           body({**base, "Memory cell order": FULL_ORDER}, "LFULL")), 201)
    part = expect(api.post("conditions/set_expected_condition",
                           body({**base, "Memory cell order": PART_ORDER}, "LPART")), 201)

    def ids(text):
        result = possible(api, {**base, "Memory cell order": text})
        return sorted(c["id"] for c in result.json) if result.status_code == 200 else result.status_code

    assert ids(PART_ORDER) == sorted([full["id"], part["id"]])
    assert ids(FULL_ORDER) == [full["id"]]
    assert ids(FULL_ORDER[:1000] + ",unmatched") == 404
    assert ids("") == sorted([full["id"], part["id"]])
    exact = expect(api.post("conditions/get_expected_condition", body({**base, "Memory cell order": PART_ORDER})), 200)
    assert exact["id"] == part["id"]
    stored = expect(api.get(f"conditions/{full['id']}"), 200)
    text_pc = next(pc for pc in stored["parameters_conditions"] if pc["parameter_name"] == "Memory cell order")
    assert (text_pc["txt_value"], text_pc["value"]) == (FULL_ORDER, 0.0)


def test_71_75_resolution_errors(api, a352, params):
    """71: names resolve case-insensitively, unknown → 404; 75: a parameter twice, or none → 422."""
    query = entries(A352)
    query[0]["parameter_name"] = "sensor BIAS voltage"
    assert expect(api.post("conditions/get_possible_conditions",
                           {"condition": {"parameters_conditions_attributes": query}}), 200)[0]["id"] == a352["id"]
    by_id = [{"parameter_id": str(params[name]["id"]), "value": str(value)} for name, value in A352.items()]
    assert expect(api.post("conditions/get_possible_conditions", {"parameters_conditions_attributes": by_id}),
                  200)[0]["id"] == a352["id"]
    expect(possible(api, {"No such parameter": 1}), 404, NOT_FOUND)
    twice = entries(A352) + [{"parameter_name": "Memory cells", "value": 1}]
    expect(api.post("conditions/get_possible_conditions", {"condition": {"parameters_conditions_attributes": twice}}),
           422, {"info": {"parameters_conditions": ["contain a parameter more than once"]}})
    expect(api.post("conditions/get_possible_conditions", {"condition": {"parameters_conditions_attributes": []}}),
           422, {"info": {"parameters_conditions": ["can't be blank"]}})


def test_72_ordering_by_creation_time(api, params, app):
    """72: newest first without event_at; oldest first for an event before all of them."""
    created = []
    for index in range(3):
        created.append(expect(api.post("conditions/set_expected_condition", {"condition": {
            "name": f"c{index}", "parameters_conditions_attributes": [
                {"parameter_name": "Pixels Y", "value": 100 + index}]}}), 201)["id"])
        time.sleep(0.002)
    query = {"condition": {"parameters_conditions_attributes": [
        {"parameter_name": "Pixels Y", "value": 101, "lower_deviation_value": 5, "upper_deviation_value": 5}]}}
    assert [c["id"] for c in expect(api.post("conditions/get_possible_conditions", query), 200)] == created[::-1]
    query["condition"]["event_at"] = "2000-01-01T00:00:00+00:00"
    assert [c["id"] for c in expect(api.post("conditions/get_possible_conditions", query), 200)] == created


def test_73_logarithmic(api, params):
    """73: deviations of a logarithmic parameter are decades; a non-positive query value → 422."""
    expect(api.post("conditions/set_expected_condition", body({"Photon flux": 1e10}, "flux")), 201)

    def status(value):
        return possible(api, {"Photon flux": value}).status_code

    assert (status(3.5e9), status(3e9), status(3e10)) == (200, 404, 200)
    expect(possible(api, {"Photon flux": 0}), 422,
           {"info": {"value": ["must be greater than 0 for a logarithmic parameter"]}})


def test_74_uuid_is_exact(api, params):
    """74: Detector UUID values compare on their bits, whatever deviations are sent."""
    m500, m501 = 4.99006796365e-313, 4.9900729043e-313
    for name, uuid in (("m500", m500), ("m501", m501)):
        expect(api.post("conditions/set_expected_condition", body({**A352, "Detector UUID": uuid}, name)), 201)
    result = possible(api, {**A352, "Detector UUID": "4.9900729043e-313"}, lower_deviation_value=1e-9,
                      upper_deviation_value=1e-9)
    assert [c["name"] for c in expect(result, 200)] == ["m501"]


def test_76_immutable_parameter_set(api, a352):
    """76: a PUT with parameters → 422; its description → 200; 7.8: a create of an existing set → 422."""
    expect(api.put(f"conditions/{a352['id']}", {"condition": {"parameters_conditions_attributes": entries(A352)}}),
           422, {"info": {"parameters_conditions": ["cannot be updated"]}})
    assert expect(api.put(f"conditions/{a352['id']}", {"condition": {"description": "d"}}), 200)["description"] == "d"
    expect(api.post("conditions", body(A352, "twin")), 422,
           {"info": {"parameters_conditions": ["has already been taken"]}})


def test_77_rails_hash_entries(api, a352):
    """77: entries as a Rails-style hash ``{"0": {...}, "1": {...}}``."""
    as_hash = {str(i): entry for i, entry in enumerate(entries(A352))}
    found = expect(api.post("conditions/get_possible_conditions",
                            {"condition": {"parameters_conditions_attributes": as_hash}}), 200)
    assert found[0]["id"] == a352["id"]


def test_condition_shape(api, a352):
    """7.8: the condition JSON and its parameter conditions in insertion order."""
    assert list(a352) == ["id", "name", "num_parameters", "flg_available", "description", "created_at",
                          "parameters_conditions"]
    assert [pc["parameter_name"] for pc in a352["parameters_conditions"]] == list(A352)
    assert list(a352["parameters_conditions"][0]) == [
        "id", "parameter_id", "parameter_name", "condition_id", "value", "txt_value", "lower_deviation_value",
        "upper_deviation_value", "flg_available", "description", "created_at"]


def test_123_statement_count(api, a352):
    """123: a tolerant search is a fixed number of statements, whatever the number of parameters (the
    catalogue version, parameters, the match); the same search again at this version, the version alone."""
    expect(api.post("conditions/set_expected_condition", body({"Memory cells": 352}, "one")), 201)
    counts = []
    for values in ({"Memory cells": 352}, A352):
        with count_statements() as statements:
            possible(api, values)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 4, counts
    with count_statements() as statements:
        possible(api, A352)
    assert version_only(statements)
