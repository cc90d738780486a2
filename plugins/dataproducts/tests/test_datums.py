"""TOM's reduced datums (spec §7.3, §10; scenarios 8-12, 18-22): de-duplication on the full key, single and
bulk posts, filters with both spellings, inherited visibility and the pagination envelope."""

from __future__ import annotations

import datetime as dt

import pytest

from sciplane.testing import count_statements
from sciplane_dataproducts.models import TARGET, USER, VIEW, Grant

HOST = "http://falconframework.org"
POINT = {"magnitude": 15.582, "filter": "r", "error": 0.005}
CSV = b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n"
CSV_MORE = b"55960.07,V,15.676,0.007\n55960.07,r,15.676,0.007\n"  # with CSV, the 3 rows of spec §12


@pytest.fixture
def target(tom):
    """T, the owner's, with collab (owner, member) holding view and change through the create grants."""
    body = {"name": "T", "type": "SIDEREAL", "ra": 1.0, "dec": 2.0, "aliases": [{"name": "Alias One"},
                                                                                {"name": "Alias Two"}],
            "groups": [{"name": "collab"}]}
    return tom("POST", "targets/", body=body).json["id"]


def datum(target, **fields):
    return {"target": target, "data_type": "photometry", "value": POINT, "timestamp": "2012-02-12T01:40:47Z",
            "source_name": "ZTF", "source_location": "here", **fields}


def test_08_09_single_posts_and_duplicates(tom, target):
    first = tom("POST", "reduceddatums/", body=datum(target))
    assert first.status_code == 201 and first.json["message"] == "Data successfully uploaded."
    assert list(first.json)[:2] == ["id", "data_product"] and first.json["timestamp"] == "2012-02-12T01:40:47Z"
    again = tom("POST", "reduceddatums/", body=datum(target))
    assert again.status_code == 409 and again.json["code"] == "duplicate_datum"
    assert again.json["existing_id"] == first.json["id"] and "already exists" in again.json["detail"]
    # Key order does not matter to the identity; a different filter does.
    reordered = {"filter": "r", "error": 0.005, "magnitude": 15.582}
    assert tom("POST", "reduceddatums/", body=datum(target, value=reordered)).status_code == 409
    assert tom("POST", "reduceddatums/", body=datum(target, value={**POINT, "filter": "B"})).status_code == 201
    bare = tom("POST", "reduceddatums/", body={"target": target, "data_type": "photometry", "value": {"m": 1}})
    assert bare.status_code == 201 and (bare.json["source_name"], bare.json["source_location"]) == ("", "")
    stamped = dt.datetime.fromisoformat(bare.json["timestamp"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - stamped).total_seconds()) < 5  # scenario 20
    assert tom("GET", "reduceddatums/", query=f"target__id={target}").json["count"] == 3


def test_18_19_bad_datums(tom, target, world):
    sidereal = {"type": "SIDEREAL", "ra": 1, "dec": 1}
    hidden = tom("POST", "targets/", user="other", body={"name": "O", **sidereal}).json
    refused = tom("POST", "reduceddatums/", body=datum(hidden["id"]))
    assert refused.status_code == 400 and refused.json["target"] == [f'Invalid pk "{hidden["id"]}" - object does not '
                                                                    "exist."]
    # Scenario 18 proper: other's targets that owner may view (by level, by a grant) but not change.
    public = tom("POST", "targets/", user="other", body={"name": "P", "permissions": "PUBLIC", **sidereal}).json["id"]
    granted = tom("POST", "targets/", user="other", body={"name": "G", **sidereal}).json["id"]
    Grant.create(object_type=TARGET, object_id=granted, grantee_type=USER, grantee_id=world["users"]["owner"].id,
                 perm=VIEW)
    for viewable in (public, granted):
        assert tom("GET", f"targets/{viewable}/").status_code == 200
        refused = tom("POST", "reduceddatums/", body=datum(viewable))
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/json"
        message = [f'Invalid pk "{viewable}" - object does not exist.']
        assert (refused.json["code"], refused.json["errors"], refused.json["target"]) == (
            "validation_failed", {"target": message}, message)
        assert set(refused.json) - {"title", "code", "description", "detail", "errors"} == {"target"}
        assert tom("GET", "reduceddatums/", query=f"target__id={viewable}").json["count"] == 0
    kind = tom("POST", "reduceddatums/", body=datum(target, data_type="bogus"))
    assert kind.status_code == 400 and kind.json["data_type"] == [
        "Not a valid data_type. Valid data_types are photometry, fits_file, spectroscopy, image_file."]
    text = tom("POST", "reduceddatums/", body=datum(target, value="just text"))
    assert text.status_code == 400 and text.json["value"] == ["Value must be a JSON object."]
    when = tom("POST", "reduceddatums/", body=datum(target, timestamp="yesterday"))
    assert when.status_code == 400 and when.json["timestamp"][0].startswith("Datetime has wrong format.")
    assert tom("POST", "reduceddatums/", user="other", body=datum(target)).status_code == 400  # no change right
    assert tom("GET", "reduceddatums/", query=f"target__id={target}").json["count"] == 0


@pytest.mark.parametrize("dp_settings", [{"max_bulk_datums": 10}])
def test_21_bulk(tom, target, dp_settings):
    a, b, c = (datum(target, timestamp=f"2012-02-1{i}T00:00:00Z") for i in (1, 2, 3))
    b_id = tom("POST", "reduceddatums/", body=b).json["id"]
    bulk = tom("POST", "reduceddatums/", body=[a, b, c, a])
    assert bulk.status_code == 201, bulk.json
    assert (bulk.json["created"], bulk.json["duplicates"]) == (2, 2)
    results = bulk.json["results"]
    assert results[1] == {"id": b_id, "duplicate": True} and results[3] == {"id": results[0]["id"], "duplicate": True}
    bad = tom("POST", "reduceddatums/", body=[datum(target, timestamp="2013-01-01T00:00:00Z"),
                                              datum(target, value=[1])])
    assert bad.status_code == 400 and bad.json["errors"] == [{}, {"value": ["Value must be a JSON object."]}]
    assert tom("GET", "reduceddatums/", query=f"target__id={target}").json["count"] == 3  # nothing of the bad one
    too_many = tom("POST", "reduceddatums/", body=[datum(target)] * 11)
    assert too_many.status_code == 413 and too_many.json["max_items"] == 10


def test_10_11_12_filters_and_visibility(tom, upload, target):
    for i in range(3):
        tom("POST", "reduceddatums/", body=datum(target, timestamp=f"2012-03-0{i + 1}T00:00:00Z"))
    for query in ("target_name=T", "target_name=alias", "target_name=ALIAS ONE"):
        assert tom("GET", "reduceddatums/", query=query).json["count"] == 3, query  # distinct, not 6
    # Scenario 11: a product of 3 rows beside the 3 broker datums; both spellings of each product filter.
    made = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "photometry",
                                             "product_id": "pid1"}, ("lc.csv", CSV + CSV_MORE)).json
    rows = sorted(d["id"] for d in made["reduceddatum_set"])
    by_id = tom("GET", "reduceddatums/", query=f"data_product__id={made['id']}").json
    by_pk = tom("GET", "reduceddatums/", query=f"data_product_pk={made['id']}").json
    assert by_pk == by_id and by_pk["count"] == 3 and sorted(d["id"] for d in by_pk["results"]) == rows
    for query in ("data_product_pk=999999", "data_product_product_id=nomatch", "data_product_name=nomatch"):
        assert tom("GET", "reduceddatums/", query=query).json["count"] == 0, query
    assert tom("GET", "reduceddatums/", query="data_product_product_id=PID").json["count"] == 3  # it does match
    assert tom("GET", "reduceddatums/", query="timestamp__gte=2012-03-02T00:00:00Z").json["count"] == 2
    unknown = tom("GET", "reduceddatums/", query="data_product_pkk=1")
    assert unknown.status_code == 400 and unknown.headers["content-type"] == "application/json"
    assert unknown.json["code"] == "unknown_filter"
    assert unknown.json["detail"].startswith("Unknown query parameter(s): data_product_pkk. Valid parameters: ")
    assert {"data_product__id", "data_product_pk", "data_product_name", "data_product_product_id"} <= set(
        unknown.json["valid_parameters"])
    assert tom("GET", "reduceddatums/", query="target__id=abc").json["target__id"] == ["Enter a number."]
    one = tom("GET", "reduceddatums/", query="ordering=-timestamp").json["results"][0]
    assert one["timestamp"] == "2012-03-03T00:00:00Z"
    assert tom("GET", "reduceddatums/", user="member").json["count"] == 6
    assert tom("GET", "reduceddatums/", user="other").json["count"] == 0
    assert tom("GET", f"reduceddatums/{one['id']}/", user="other").json["detail"] == (
        "No ReducedDatum matches the given query.")
    assert tom("DELETE", f"reduceddatums/{one['id']}/", user="other").status_code == 404
    # collab got view, change and delete on T when it was created with `groups`: members may delete its datums.
    assert tom("DELETE", f"reduceddatums/{one['id']}/", user="member").status_code == 204
    assert tom("GET", f"reduceddatums/{one['id']}/").status_code == 404


def test_22_pagination_of_many(tom, target):
    rows = [datum(target, timestamp=(dt.datetime(2020, 1, 1) + dt.timedelta(minutes=i)).isoformat() + "Z")
            for i in range(250)]
    assert tom("POST", "reduceddatums/", body=rows).json["created"] == 250
    first = tom("GET", "reduceddatums/").json
    assert (first["count"], len(first["results"]), first["previous"]) == (250, 100, None)
    assert first["next"] == f"{HOST}/tom/api/reduceddatums/?limit=100&offset=100"
    last = tom("GET", "reduceddatums/", query="limit=100&offset=200").json
    assert len(last["results"]) == 50 and last["previous"] == f"{HOST}/tom/api/reduceddatums/?limit=100&offset=100"
    assert tom("GET", "reduceddatums/", query="offset=1000").json["results"] == []
    paged = tom("GET", "reduceddatums/", query="page=2&page_size=50").json
    assert len(paged["results"]) == 50 and paged["next"] == f"{HOST}/tom/api/reduceddatums/?page=3&page_size=50"



def test_22_links_through_a_proxy_to_a_moved_mount(make_app, world, tom, target):
    """Mounted at /t2 behind a trusted proxy, every link the dialect writes is the one the client used."""
    from sciplane.testing import RawClient
    tom("POST", "reduceddatums/", body=[datum(target, value={"m": i}) for i in range(3)])
    moved = RawClient(make_app(plugins=["dataproducts"], settings={
        "plugins": {"dataproducts": {"tom": {"mount": "/t2"}}}, "http": {"trust_proxy_headers": True}}))
    headers = {"Authorization": f"Token {world['tokens']['owner']}", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "example.org"}
    page = moved.simulate_get("/t2/api/reduceddatums/", query_string="limit=1", headers=headers).json
    assert page["next"] == "https://example.org/t2/api/reduceddatums/?limit=1&offset=1"
    root = moved.simulate_get("/t2/api/", headers=headers).json
    assert root["targets"] == "https://example.org/t2/api/targets/"


@pytest.mark.parametrize("dp_settings", [{"target_permissions_only": False}])
def test_a_duplicate_of_a_datum_the_caller_cannot_see_has_no_id(tom, upload, target):
    """member may post to T but not see owner's unshared product: an equal datum is still a duplicate (the
    unique key spans the target), but its id is not told."""
    made = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "photometry"}, ("lc.csv", CSV))
    hidden = made.json["reduceddatum_set"][0]
    assert tom("GET", f"reduceddatums/{hidden['id']}/", user="member").status_code == 404
    same = {"target": target, "data_type": "photometry", "timestamp": hidden["timestamp"], "value": hidden["value"]}
    single = tom("POST", "reduceddatums/", user="member", body=same)
    assert (single.status_code, single.json["code"], single.json["existing_id"]) == (409, "duplicate_datum", None)
    bulk = tom("POST", "reduceddatums/", user="member", body=[same, datum(target)])
    assert bulk.status_code == 201 and bulk.json["results"][0] == {"id": None, "duplicate": True}
    assert bulk.json["results"][1]["id"] is not None
    # The owner sees the datum, and is told its id.
    assert tom("POST", "reduceddatums/", body=same).json["existing_id"] == hidden["id"]


def test_a_datum_list_reads_the_callers_memberships_once(tom, target):
    """The products' rule and the datums' own share one read of the caller's groups."""
    tom("POST", "reduceddatums/", body=datum(target))
    with count_statements() as statements:
        listed = tom("GET", "reduceddatums/", user="member")
    assert listed.status_code == 200 and listed.json["count"] == 1
    assert sum("dp_membership" in statement for statement in statements) == 1, statements
