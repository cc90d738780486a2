"""Values the catalogue's columns cannot hold, and entries of the wrong shape, are Rails-style 422s (or an
empty page), never a 500, on both engines."""

from __future__ import annotations

import pytest

from sciplane_calcat.testing import expect

OUT_OF_RANGE = {"info": {"uuid": ["is out of range"]}}


@pytest.mark.parametrize("uuid", [2**64, "1e20", 0x7FF0000000000000])
def test_a_uuid_beyond_the_column(api, uuid):
    kind = api.create("detector_types", "detector_type", name="T")
    expect(api.post("physical_detector_units", {"physical_detector_unit": {
        "physical_name": "X", "detector_type_id": kind["id"], "uuid": uuid}}), 422, OUT_OF_RANGE)


@pytest.mark.parametrize("number", [10**20, 2**40, -(2**31) - 1])
def test_an_integer_beyond_its_column(api, number):
    expect(api.post("detectors", {"detector": {"name": "D", "identifier": "D", "number_of_modules": number}}), 422,
           {"info": {"number_of_modules": ["is out of range"]}})
    assert api.post("detectors", {"detector": {"name": "D", "identifier": "D",
                                               "number_of_modules": 2**31 - 1}}).status_code == 201


def test_a_page_past_any_offset(api):
    api.create("detector_types", "detector_type", name="T")
    page = api.get("detector_types", "page=100000000000000000000")
    assert (page.status_code, page.json) == (200, [])


def test_entries_of_the_wrong_shape(api):
    text = api.create("parameters", "parameter", name="Memory cell order", flg_text=True)
    instrument = api.create("instruments", "instrument", name="SPB", identifier="SPB")
    for path, body in (("conditions/get_possible_conditions", {"condition": {
                            "parameters_conditions_attributes": [{"parameter_id": text["id"], "value": {"x": 1}}]}}),
                       ("conditions/set_expected_condition", {"condition": {
                           "name": "n", "parameters_conditions_attributes": [{"parameter_id": text["id"],
                                                                               "value": [1]}]}})):
        expect(api.post(path, body), 422, {"info": {"value": ["is invalid"]}})
    detector = {"name": "D", "identifier": "D",
                "detectors_instruments_attributes": [{"instrument_id": instrument["id"], "_destroy": {}}]}
    expect(api.post("detectors", {"detector": detector}), 422, {"info": {"detectors_instruments": ["is invalid"]}})
