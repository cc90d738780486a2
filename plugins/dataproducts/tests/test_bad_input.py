"""Bad input in every shape a client can send it is a 400 in DRF's words, on both engines, and writes nothing:
NUL characters (PostgreSQL's text cannot hold one), over-long texts, ids and offsets beyond the integer columns,
instants that leave the calendar once converted to UTC, values nested without end, infinite coordinates."""

from __future__ import annotations

import pytest

from sciplane_dataproducts.models import Product, Target
from sciplane_dataproducts.wire.text import NUL_MESSAGE

CSV = b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n"


@pytest.fixture
def target(tom):
    return tom("POST", "targets/", body={"name": "T", "type": "SIDEREAL", "ra": 1.0, "dec": 2.0,
                                         "groups": [{"name": "collab"}]}).json["id"]


def refused(resp, field: str, message: str | None = None) -> None:
    assert resp.status_code == 400, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"].startswith("application/json")
    errors = resp.json.get("errors", resp.json)
    assert field in errors, resp.json
    if message is not None:
        assert message in str(errors[field]), resp.json


@pytest.mark.parametrize("query", ["facility=a%00b", "target_name=a%00b", "product_id=a%00", "data_product_type=%00"])
def test_a_nul_in_a_tom_filter(tom, query):
    refused(tom("GET", "dataproducts/", user="member", query=query), query.split("=")[0], NUL_MESSAGE)


@pytest.mark.parametrize("query", ["search=a%00b", "file_name=a%00b", "object=%00"])
def test_a_nul_in_a_goodman_filter(gsp, query):
    refused(gsp("GET", "files/", user="pi", query=query), query.split("=")[0], NUL_MESSAGE)


def test_a_nul_in_a_text_field(tom, gsp, upload, target, world):
    datum = {"target": target, "data_type": "photometry", "value": {"m": 1}, "source_name": "x\x00"}
    refused(tom("POST", "reduceddatums/", body=datum), "source_name", NUL_MESSAGE)
    refused(tom("POST", "targets/", body={"name": "N\x00", "type": "SIDEREAL", "ra": 1, "dec": 2}), "name",
            NUL_MESSAGE)
    refused(tom("POST", "groups/", user="staff", body={"name": "n\x00x"}), "name", NUL_MESSAGE)
    refused(gsp("POST", "proposals/", user="staff", body={"semester": "2020B", "title": "t\x00",
                                                          "pi": world["users"]["pi"].id}), "title", NUL_MESSAGE)
    before = Product.select().count()
    refused(upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "photometry",
                                              "product_id": "p\x00q"}, ("lc.csv", CSV)), "product_id", NUL_MESSAGE)
    assert Product.select().count() == before


def test_texts_longer_than_their_columns(tom, gsp, world):
    refused(tom("POST", "targets/", body={"name": "X2", "type": "SIDEREAL", "ra": 1, "dec": 2,
                                          "aliases": [{"name": "a" * 101}]}), "aliases", "no more than 100")
    refused(tom("POST", "targets/", body={"name": "X3", "type": "SIDEREAL", "ra": 1, "dec": 2,
                                          "targetextra_set": [{"key": "k" * 201, "value": "v"}]}),
            "targetextra_set", "no more than 200")
    pi = world["users"]["pi"].id
    refused(gsp("POST", "proposals/", user="staff", body={"semester": "2020B", "title": "t" * 301, "pi": pi}),
            "title", "no more than 300")
    refused(gsp("POST", "proposals/", user="staff", body={"soar_id": "s" * 151, "semester": "2020B", "title": "x",
                                                          "pi": pi}), "soar_id", "no more than 150")
    assert Target.select().where(Target.name.in_(["X2", "X3"])).count() == 0


@pytest.mark.parametrize("ident", ["abc", 2**63, -1, True, "²"])
def test_an_alias_or_extra_id_that_is_not_a_row_id(tom, target, ident):
    refused(tom("PATCH", f"targets/{target}/", body={"aliases": [{"id": ident, "name": "Other"}]}), "aliases")
    refused(tom("PATCH", f"targets/{target}/", body={"targetextra_set": [{"id": ident, "key": "k", "value": "v"}]}),
            "targetextra_set")


def test_numbers_beyond_the_columns(tom, target):
    big = tom("GET", "dataproducts/", user="member", query="offset=9223372036854775807")
    assert big.status_code == 200 and big.json["results"] == []
    refused(tom("GET", "targets/", query="cone_search=1e400,2,1"), "cone_search")


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_instant_outside_the_calendar_in_utc(tom, target, instant):
    datum = {"target": target, "data_type": "photometry", "value": {"m": 1}, "timestamp": instant}
    refused(tom("POST", "reduceddatums/", body=datum), "timestamp")
    refused(tom("GET", "reduceddatums/", query=f"timestamp__gte={instant.replace('+', '%2B')}"), "timestamp__gte")


def test_an_early_year_goes_out_and_back_in(tom, target):
    datum = {"target": target, "data_type": "photometry", "value": {"m": 1}, "timestamp": "0999-05-01T00:00:00Z"}
    made = tom("POST", "reduceddatums/", body=datum)
    assert made.status_code == 201 and made.json["timestamp"] == "0999-05-01T00:00:00Z"
    again = tom("POST", "reduceddatums/", body={**datum, "timestamp": made.json["timestamp"]})
    assert (again.status_code, again.json["existing_id"]) == (409, made.json["id"])


def test_a_value_nested_without_end(tom, target):
    value: dict = {"m": 1}
    for _ in range(300):
        value = {"v": value}
    refused(tom("POST", "reduceddatums/", body={"target": target, "data_type": "photometry", "value": value}),
            "value", "nested at most 32")
    shallow = {"a": {"b": {"c": [1, [2, {"d": 3}]]}}}
    assert tom("POST", "reduceddatums/", body={"target": target, "data_type": "photometry",
                                               "value": shallow}).status_code == 201
