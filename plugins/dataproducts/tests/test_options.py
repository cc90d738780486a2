"""OPTIONS (spec §6.5, scenario 16 for the endpoints that exist): DRF's metadata plus filters, orderings and
pagination, without credentials; items describe themselves briefly; ``Allow`` lists the methods."""

from __future__ import annotations

from sciplane.testing import RawClient


def options(app, path):
    return RawClient(app).simulate_request("OPTIONS", path)


def test_collections_describe_fields_filters_ordering_and_paging(app):
    datums = options(app, "/tom/api/reduceddatums/")
    assert datums.status_code == 200 and datums.headers["allow"] == "GET, POST, OPTIONS"
    body = datums.json
    assert body["name"] == "Reduced Datum List" and body["renders"] == ["application/json"]
    post = body["actions"]["POST"]
    assert post["value"] == {"type": "json", "required": True, "read_only": False, "label": "Value"}
    assert [c["value"] for c in post["data_type"]["choices"]] == ["photometry", "fits_file", "spectroscopy",
                                                                  "image_file"]
    assert post["source_name"]["max_length"] == 100 and post["id"]["read_only"] is True
    filters = body["filters"]
    assert {"data_product__id", "data_product_pk", "data_product_name", "data_product_product_id"} <= set(filters)
    assert filters["data_product_pk"]["alias_of"] == "data_product__id"
    assert filters["timestamp__gte"] == {"type": "datetime", "lookup": "gte", "label": "Timestamp from"}
    assert body["ordering"] == ["timestamp", "-timestamp", "id", "-id"]
    assert body["pagination"] == {"modes": ["limit_offset", "page"], "default": "limit_offset", "page_size": 100,
                                  "max_page_size": 1000}
    targets = options(app, "/tom/api/targets").json
    assert targets["actions"]["POST"]["type"]["required"] is True and "cone_search" in targets["filters"]


def test_items_answer_briefly(app):
    item = options(app, "/tom/api/targets/5/")
    assert item.status_code == 200 and item.headers["allow"] == "GET, PUT, PATCH, DELETE, OPTIONS"
    assert set(item.json) == {"name", "description", "renders", "parses"} and item.json["name"] == "Target Instance"
    assert options(app, "/tom/api/reduceddatums/7/").json["name"] == "Reduced Datum Instance"
