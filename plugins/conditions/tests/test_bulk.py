"""Scenarios 68-71 (spec §11 J): ``bulk_piov`` (§3.5, §4.10)."""

from __future__ import annotations

import pytest

from sciplane_conditions.testing import MAX, OPEN, Api, gt_counts


def iov_total(api: Api) -> int:
    """Every IOV in the database, detached ones included."""
    return api.ok(api.get("payload-iovs", "page=1&page_size=1")).json["count"]


def item(payload_list: str, url: str, start: tuple[int, int], **extra) -> dict:
    return {"payload_url": url, "payload_list": payload_list, "major_iov": start[0], "minor_iov": start[1], **extra}


def assert_empty_success(result) -> None:
    assert result.status_code == 200, result.content
    assert result.content == b""
    assert result.headers.get("content-length") == "0"
    assert "content-type" not in result.headers


# -- 68 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["bulk_piov", "payload-iovs/bulk"])
def test_68_success(base, path):
    """68: three items with checksum, end, size and extra; 200 with an empty body; stored as given."""
    beam = base.new_list("Beam", "GT1")
    cemc = base.new_list("CEMC", "GT1")
    existing = base.mk("first.dat", (100, 0))  # an earlier IOV, so ids do not start at 1
    items = [
        item(beam, "k1.dat", (0, 0), checksum="c1", major_iov_end=10, minor_iov_end=0, size=11, extra="r1"),
        item(cemc, "k3.dat", (5, 5), checksum="c3", major_iov_end=7, extra="r3"),
        item(beam, "k2.dat", (10, 0), size=22, description="ignored", comb_iov="1.0", extra=None),
    ]
    assert gt_counts(base, "GT1") == (2, 0)
    assert_empty_success(base.post(path, items))

    rows = [iov for iov in base.ok(base.get("piov")).json if iov["id"] != existing]
    assert [r["payload_url"] for r in rows] == ["k1.dat", "k3.dat", "k2.dat"]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert rows[0]["id"] > existing
    k1, k3, k2 = rows
    assert (k1["checksum"], k1["major_iov"], k1["minor_iov"], k1["major_iov_end"], k1["minor_iov_end"],
            k1["payload_list"]) == ("c1", 0, 0, 10, 0, beam)
    assert (k3["checksum"], k3["major_iov"], k3["minor_iov"], k3["major_iov_end"], k3["minor_iov_end"],
            k3["payload_list"]) == ("c3", 5, 5, 7, MAX, cemc)
    assert (k2["checksum"], k2["major_iov_end"], k2["minor_iov_end"], k2["payload_list"]) == ("", MAX, MAX, beam)
    assert k1["comb_iov"] == "0.0000000000000000000" and k3["comb_iov"] == "5.0000000000000000005"

    assert gt_counts(base, "GT1") == (2, 3)
    assert base.ok(base.get(f"payload-lists/by-name/{beam}")).json["iov_count"] == 2
    # size and extra reach the resolution rows; no overlap handling was done.
    assert base.res("GT1", 5, 0, "revision=1") == [["Beam", "k1.dat", "c1", 11, 0, 0, 10, 0, "r1"]]
    assert base.res("GT1", 10, 5, "revision=1") == [["Beam", "k2.dat", "", 22, 10, 0, MAX, MAX, None],
                                                    ["CEMC", "k3.dat", "c3", None, 5, 5, 7, MAX, "r3"]]


def test_68_detached_list(base):
    """68: items may target a detached list; they resolve once the list is attached."""
    loose = base.new_list("Beam")
    assert_empty_success(base.post("bulk_piov", [item(loose, "d.dat", (0, 0), checksum="cd")]))
    assert base.ok(base.get(f"payload-lists/by-name/{loose}")).json["iov_count"] == 1
    base.ok(base.put("pl_attach", {"global_tag": "GT2", "payload_list": loose}))
    assert base.res("GT2", 3, 0) == [["Beam", "d.dat", "cd", None, 0, 0, *OPEN]]
    assert gt_counts(base, "GT2") == (1, 1)


def test_68_blank_checksum_allowed(base):
    """68 (§4.10): a blank checksum is allowed in bulk items (unlike ``POST piov``); ``size`` may be null."""
    beam = base.new_list("Beam", "GT1")
    assert_empty_success(base.post("bulk_piov", [item(beam, "e.dat", (0, 0), checksum="", size=None),
                                                 item(beam, "f.dat", (1, 0), checksum="  cf  ")]))
    assert base.res("GT1", 0, 5) == [["Beam", "e.dat", "", None, 0, 0, *OPEN]]
    assert base.res("GT1", 1, 0) == [["Beam", "f.dat", "cf", None, 1, 0, *OPEN]]


def test_68_later_duplicate_wins(base):
    """68 (§4.10 step 7): ids ascend in array order, so the later of two equal starts resolves."""
    beam = base.new_list("Beam", "GT1")
    assert_empty_success(base.post("bulk_piov", [item(beam, "b1.dat", (0, 100)), item(beam, "b2.dat", (0, 100)),
                                                 item(beam, "b3.dat", (0, 200))]))
    assert base.res("GT1", 0, 150) == [["Beam", "b2.dat", "", None, 0, 100, *OPEN]]
    assert base.res("GT1", 0, 99) == []
    assert base.res("GT1", 0, 200) == [["Beam", "b3.dat", "", None, 0, 200, *OPEN]]


def test_68_body_without_content_type(base):
    """68 (§0.5 item 13): a JSON array sent without a Content-Type is parsed as JSON."""
    beam = base.new_list("Beam", "GT1")
    result = base.post("bulk_piov",
                       body=f'[{{"payload_url":"r.dat","payload_list":"{beam}","major_iov":0,'
                       f'"minor_iov":0}}]')
    assert_empty_success(result)
    assert base.res("GT1", 0, 0) == [["Beam", "r.dat", "", None, 0, 0, *OPEN]]


# -- 69 ------------------------------------------------------------------------------------------


@pytest.fixture
def loaded(base):
    """GT1 with a Beam list holding one IOV; the database count before each failure."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.post("bulk_piov", [item(beam, "seed.dat", (0, 0))]))
    base.beam = beam
    return base


def assert_failure(api: Api, body, status: int, expected: dict) -> None:
    before = iov_total(api)
    counts = gt_counts(api, "GT1")
    result = api.post("bulk_piov", body)
    assert (result.status_code, result.json) == (status, expected), result.content
    assert result.headers["cache-control"] == "no-store"
    assert iov_total(api) == before
    assert gt_counts(api, "GT1") == counts


def test_69_unknown_list(loaded):
    """69: an unknown list name is 404 with the missing names; nothing is inserted."""
    body = [item(loaded.beam, "ok.dat", (10, 0)), item("Nope_1", "x.dat", (20, 0))]
    assert_failure(loaded, body, 404, {"detail": "PayloadList not found.", "code": "payload_list_not_found",
                                       "missing": ["Nope_1"]})


def test_69_several_unknown_lists(loaded):
    """69 (§4.10 step 4): all missing names are reported (each once)."""
    body = [item("Nope_2", "x.dat", (20, 0)), item(loaded.beam, "ok.dat", (10, 0)), item("Nope_1", "y.dat", (1, 0)),
            item("Nope_2", "z.dat", (30, 0))]
    before = iov_total(loaded)
    result = loaded.post("bulk_piov", body)
    assert result.status_code == 404
    assert (result.json["detail"], result.json["code"]) == ("PayloadList not found.", "payload_list_not_found")
    assert sorted(result.json["missing"]) == ["Nope_1", "Nope_2"]
    assert iov_total(loaded) == before


def test_69_invalid_item(loaded):
    """69: an invalid item at index 2 is reported under "2"; nothing is inserted."""
    body = [item(loaded.beam, "a.dat", (10, 0)), item(loaded.beam, "b.dat", (20, 0)),
            {"payload_list": loaded.beam, "major_iov": "abc", "minor_iov": 0}]
    assert_failure(loaded, body, 400, {"detail": "Invalid bulk_piov item(s).", "code": "validation_error",
                                       "errors": {"2": {"payload_url": ["This field is required."],
                                                        "major_iov": ["A valid integer is required."]}}})


def test_69_several_invalid_items(loaded):
    """69 (§4.10 step 3): every failing item is reported, keyed by its index."""
    body = [{"payload_url": "a.dat", "major_iov": 0, "minor_iov": 0},
            item(loaded.beam, "ok.dat", (1, 0)),
            item(loaded.beam, "b.dat", (2, 0), size=-1),
            item(loaded.beam, " ", (3, 0), major_iov_end=9223372036854775808)]
    assert_failure(loaded, body, 400, {"detail": "Invalid bulk_piov item(s).", "code": "validation_error",
                                       "errors": {
                                           "0": {"payload_list": ["This field is required."]},
                                           "2": {"size": ["Ensure this value is greater than or equal to 0."]},
                                           "3": {"payload_url": ["This field may not be blank."],
                                                 "major_iov_end": ["Ensure this value is less than or equal to "
                                                                   "9223372036854775807."]}}})


@pytest.mark.parametrize(("end", "start"), [((4, 0), (5, 0)), ((5, 0), (5, 0))])
def test_69_range_error(loaded, start, end):
    """69: a range failure appears under "non_field_errors" with the §4.2 message (zero length too)."""
    body = [item(loaded.beam, "fine.dat", (40, 0)),
            item(loaded.beam, "bad.dat", start, major_iov_end=end[0], minor_iov_end=end[1])]
    message = ("bad.dat PayloadIOV ending IOVs should be greater or equal than starting. Provided end IOVs: "
               f"major_iov: {start[0]} major_iov_end: {end[0]} minor_iov: {start[1]} minor_iov_end: {end[1]}")
    assert_failure(loaded, body, 400, {"detail": "Invalid bulk_piov item(s).", "code": "validation_error",
                                       "errors": {"1": {"non_field_errors": [message]}}})


@pytest.mark.parametrize(("body", "type_name"), [({"payload_url": "a.dat"}, "dict"), ("items", "str"),
                                                  (5, "int"), (None, "NoneType")])
def test_69_not_an_array(loaded, body, type_name):
    """69: a body that is not a JSON array is 400 with DRF's wording and the Python type name."""
    before = iov_total(loaded)
    result = loaded.post("bulk_piov", body="null" if body is None else None, json=body,
                         headers={"Content-Type": "application/json"})
    assert result.status_code == 400, result.content
    assert result.json == {"detail": f'Expected a list of items but got type "{type_name}".', "code": "bad_request"}
    assert iov_total(loaded) == before


def test_69_string_item(loaded):
    """69: a non-object item is reported like DRF's "Invalid data" message."""
    body = ["x.dat", item(loaded.beam, "ok.dat", (10, 0)), [1]]
    assert_failure(loaded, body, 400, {"detail": "Invalid bulk_piov item(s).", "code": "validation_error",
                                       "errors": {"0": {"non_field_errors": [
                                           "Invalid data. Expected a dictionary, but got str."]},
                                           "2": {"non_field_errors": [
                                               "Invalid data. Expected a dictionary, but got list."]}}})


def test_69_at_most_100_items_reported(loaded):
    """69 (§4.10 step 3): at most 100 failing items are reported."""
    body = [{"payload_list": loaded.beam} for _ in range(150)]
    before = iov_total(loaded)
    result = loaded.post("bulk_piov", body)
    assert result.status_code == 400
    assert result.json["detail"] == "Invalid bulk_piov item(s)."
    assert len(result.json["errors"]) == 100
    assert set(result.json["errors"]) <= {str(i) for i in range(150)}
    assert iov_total(loaded) == before


def test_69_validation_before_lookup(loaded):
    """69 (§2.6, §4.10): item validation (400) runs before list lookup (404)."""
    body = [item("Nope_1", "x.dat", (0, 0)), {"payload_list": loaded.beam, "minor_iov": 0}]
    result = loaded.post("bulk_piov", body)
    assert result.status_code == 400
    assert result.json["errors"] == {"1": {"payload_url": ["This field is required."],
                                           "major_iov": ["This field is required."]}}


def test_69_empty_array(loaded):
    """69: ``[]`` is a no-op: 200, empty body, nothing bumped."""
    etag = loaded.get("globalTags").headers["etag"]
    gt_etag = loaded.get("payloadiovs/", "gtName=GT1&majorIOV=0&minorIOV=0").headers["etag"]
    assert_empty_success(loaded.post("bulk_piov", []))
    assert loaded.get("globalTags").headers["etag"] == etag
    assert loaded.get("payloadiovs/", "gtName=GT1&majorIOV=0&minorIOV=0").headers["etag"] == gt_etag


# -- 70 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("conditions_settings", [{"bulk_max_items": 10}])
def test_70_item_limit(base, conditions_settings):
    """70: more than ``bulk_max_items`` items is 413; exactly the limit is accepted."""
    beam = base.new_list("Beam", "GT1")
    result = base.post("bulk_piov", [item(beam, f"i{n}.dat", (n, 0)) for n in range(11)])
    assert (result.status_code, result.json) == (413, {
        "detail": "Too many items in bulk_piov request: 11 > 10.", "code": "payload_too_large"})
    assert iov_total(base) == 0
    assert_empty_success(base.post("bulk_piov", [item(beam, f"i{n}.dat", (n, 0)) for n in range(10)]))
    assert iov_total(base) == 10


def test_70_default_limit(base):
    """70: the default limit is 100 000 items (checked before the items are validated)."""
    result = base.post("bulk_piov", [{}] * 100_001)
    assert (result.status_code, result.json) == (413, {
        "detail": "Too many items in bulk_piov request: 100001 > 100000.", "code": "payload_too_large"})


def test_70_five_thousand_items(base):
    """70: 5,000 items go in one request."""
    beam = base.new_list("Beam", "GT1")
    cemc = base.new_list("CEMC", "GT1")
    items = [item(beam if n % 2 else cemc, f"p{n}.dat", (n, 0), checksum=f"c{n}") for n in range(5000)]
    assert_empty_success(base.post("bulk_piov", items))
    assert iov_total(base) == 5000
    assert gt_counts(base, "GT1") == (2, 5000)
    assert base.ok(base.get(f"payload-lists/by-name/{beam}")).json["iov_count"] == 2500
    assert base.res("GT1", 4999, 0) == [["Beam", "p4999.dat", "c4999", None, 4999, 0, *OPEN],
                                        ["CEMC", "p4998.dat", "c4998", None, 4998, 0, *OPEN]]
    last = base.ok(base.get("payload-iovs", "page=1&page_size=2&sort=id&order=desc")).json["results"]
    assert [r["payload_url"] for r in last] == ["p4999.dat", "p4998.dat"]
    assert last[0]["id"] == last[1]["id"] + 1


# -- 71 ------------------------------------------------------------------------------------------


@pytest.fixture
def guarded(base):
    """GT1 locked and GT2 frozen, each with a Beam and a CEMC list; GT3 unlocked with a Beam list."""
    lists = {}
    for gt in ("GT1", "GT2"):
        for type_name in ("Beam", "CEMC"):
            lists[gt, type_name] = base.new_list(type_name, gt)
    base.global_tag("GT3")
    lists["GT3", "Beam"] = base.new_list("Beam", "GT3")
    base.ok(base.put("gt_change_status/GT1/locked"))
    base.ok(base.put("gt_change_status/GT2/frozen"))
    base.lists = lists
    return base


def post_guarded(api: Api, *targets) -> dict:
    before = iov_total(api)
    etags = {gt: api.get("payloadiovs/", f"gtName={gt}&majorIOV=0&minorIOV=0").headers["etag"]
             for gt in ("GT1", "GT2", "GT3")}
    body = [item(api.lists[target], f"x{n}.dat", (n, 0)) for n, target in enumerate(targets)]
    result = api.post("bulk_piov", body)
    assert result.status_code == 409, result.content
    assert iov_total(api) == before
    for gt, etag in etags.items():
        assert api.get("payloadiovs/", f"gtName={gt}&majorIOV=0&minorIOV=0").headers["etag"] == etag
    return result.json


LOCKED = {"detail": "Global Tag is locked.", "code": "gt_locked"}
FROZEN = {"detail": "Global Tag is frozen.", "code": "gt_frozen"}


def test_71_locked(guarded):
    """71: an item targeting a locked GT's list is refused; nothing is inserted."""
    assert post_guarded(guarded, ("GT1", "Beam")) == LOCKED
    assert post_guarded(guarded, ("GT3", "Beam"), ("GT1", "CEMC")) == LOCKED


def test_71_frozen(guarded):
    """71: an item targeting a frozen GT's list is refused; nothing is inserted."""
    assert post_guarded(guarded, ("GT2", "CEMC")) == FROZEN
    assert post_guarded(guarded, ("GT3", "Beam"), ("GT2", "Beam")) == FROZEN


def test_71_first_list_in_name_order_is_reported(guarded):
    """71 (§4.10 step 6): with several affected lists, the first in list-name order decides."""
    assert post_guarded(guarded, ("GT2", "CEMC"), ("GT1", "Beam")) == LOCKED   # Beam_… < CEMC_…
    assert post_guarded(guarded, ("GT1", "CEMC"), ("GT2", "Beam")) == FROZEN


def test_71_unlocked_still_accepted(guarded):
    """71: the unlocked GT next to them accepts bulk items."""
    assert_empty_success(guarded.post("bulk_piov", [item(guarded.lists["GT3", "Beam"], "ok.dat", (0, 0))]))
    assert guarded.res("GT3", 1, 0) == [["Beam", "ok.dat", "", None, 0, 0, *OPEN]]
