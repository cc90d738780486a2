"""Scenarios 59-63 (spec §11 H): cloning a global tag (§3.2, §4.8)."""

from __future__ import annotations

import re

from sciplane_conditions.testing import MAX, OPEN, Api

GT_ROW_KEYS = ["id", "name", "author", "status", "payload_lists_count", "payload_iov_count", "created", "updated"]
ETAG = re.compile(r'^"gt-(\d+)-(\d+)-([0-9a-f]{8})"$')
POINTS = [(0, 0), (5, 5), (7, 0), (25, 0), (150, 0)]


def iov_total(api: Api) -> int:
    """Every IOV in the database, detached ones included (browse count)."""
    return api.ok(api.get("payload-iovs", "page=1&page_size=1")).json["count"]


def gt_row(api: Api, name: str) -> dict:
    return api.ok(api.get(f"globalTag/{name}", "light")).json


def resolve_raw(api: Api, gt: str, major: int, minor: int) -> bytes:
    return api.ok(api.get("payloadiovs/", f"gtName={gt}&majorIOV={major}&minorIOV={minor}")).content


def clone(api: Api, src: str, dst: str):
    """The C++ client's request: body ``null`` with a JSON content type."""
    return api.post(f"cloneGlobalTag/{src}/{dst}", body="null", headers={"Content-Type": "application/json"})


def build_gt1(api: Api) -> dict[str, int]:
    """GT1: Beam (a [0,10), g [10,∞)), CEMC (e [5,6), f [1,2)) and an empty NEWTYPE list.

    The Beam history also leaves detached IOVs behind (x and the copy of a),
    and one IOV is created and never attached.
    """
    ids = {}
    beam = api.new_list("Beam", "GT1")
    ids["a"] = api.mk("a.dat", (0, 0))
    api.ok(api.att(beam, ids["a"]))
    ids["x"] = api.mk("x.dat", (20, 0), (30, 0))
    api.ok(api.att(beam, ids["x"]))       # a [0,20), x, a' [30,∞)
    ids["g"] = api.mk("g.dat", (10, 0))
    api.ok(api.att(beam, ids["g"]))       # a [0,10), g; x and a' detached
    cemc = api.new_list("CEMC", "GT1")
    ids["e"] = api.mk("e.dat", (5, 0), (6, 0))
    api.ok(api.att(cemc, ids["e"]))
    ids["f"] = api.mk("f.dat", (1, 0), (2, 0))
    api.ok(api.att(cemc, ids["f"]))
    api.payload_type("NEWTYPE")
    api.new_list("NEWTYPE", "GT1")
    ids["loose"] = api.mk("loose.dat", (0, 0))
    return ids


def test_59_clone_equality(base):
    """59: the clone resolves byte for byte like its source; only attached IOVs are copied."""
    build_gt1(base)
    source_row = gt_row(base, "GT1")
    assert (source_row["payload_lists_count"], source_row["payload_iov_count"]) == (3, 4)
    source_lists = base.ok(base.get("gtPayloadLists/GT1")).json
    source_etag = base.get("payloadiovs/", "gtName=GT1&majorIOV=0&minorIOV=0").headers["etag"]
    before = iov_total(base)

    result = clone(base, "GT1", "GT1c")
    assert result.status_code == 200, result.content
    row = result.json
    assert list(row) == GT_ROW_KEYS
    assert row["name"] == "GT1c"
    assert row["author"] == "me"
    assert row["status"] == "unlocked"
    assert row["payload_lists_count"] == 3
    assert row["payload_iov_count"] == 4
    assert row["id"] not in (1, 2, source_row["id"])
    assert result.headers["cache-control"] == "no-store"
    assert gt_row(base, "GT1c") == row

    # New lists are <type>_<new id>, attached to the clone, with their counts.
    lists = base.ok(base.get("gtPayloadLists/GT1c")).json
    assert list(lists) == ["Beam", "CEMC", "NEWTYPE"]
    for type_name, list_name in lists.items():
        assert list_name != source_lists[type_name]
        info = base.ok(base.get(f"payload-lists/by-name/{list_name}")).json
        assert list_name == f"{type_name}_{info['id']}"
        assert info["global_tag"] == "GT1c"
        assert info["payload_type"] == type_name
        assert info["iov_count"] == {"Beam": 2, "CEMC": 2, "NEWTYPE": 0}[type_name]
    # New list ids follow the source lists' id order.
    new_ids = [base.ok(base.get(f"payload-lists/by-name/{lists[t]}")).json["id"] for t in ("Beam", "CEMC", "NEWTYPE")]
    assert new_ids == sorted(new_ids)

    for major, minor in POINTS:
        assert resolve_raw(base, "GT1c", major, minor) == resolve_raw(base, "GT1", major, minor), (major, minor)
    assert base.res("GT1c", 150, 0) == [["Beam", "g.dat", "cg", None, 10, 0, *OPEN],
                                        ["CEMC", "e.dat", "ce", None, 5, 0, 6, 0]]

    # Exactly the four attached IOVs were copied: new ids, same payloads and ranges.
    assert iov_total(base) == before + 4
    nested = base.ok(base.get("globalTag/GT1c")).json
    copies = {iov["payload_url"]: iov for lst in nested["payload_lists"] for iov in lst["payload_iov"]}
    assert sorted(copies) == ["a.dat", "e.dat", "f.dat", "g.dat"]
    originals = {iov["payload_url"]: iov for lst in base.ok(base.get("globalTag/GT1")).json["payload_lists"]
                 for iov in lst["payload_iov"]}
    for url, copy in copies.items():
        original = originals[url]
        assert copy["id"] > max(i["id"] for i in originals.values())
        for key in ("checksum", "major_iov", "minor_iov", "comb_iov", "major_iov_end", "minor_iov_end"):
            assert copy[key] == original[key], (url, key)
        assert copy["payload_list"] == lists[copy["payload_list"].split("_")[0]]
        assert copy["inserted"] >= original["inserted"]

    # The source is not modified, and the clone starts at change counter 1.
    assert gt_row(base, "GT1") == source_row
    assert base.ok(base.get("gtPayloadLists/GT1")).json == source_lists
    assert base.get("payloadiovs/", "gtName=GT1&majorIOV=0&minorIOV=0").headers["etag"] == source_etag
    etag = base.get("payloadiovs/", "gtName=GT1c&majorIOV=0&minorIOV=0").headers["etag"]
    match = ETAG.match(etag)
    assert match and match.group(1) == str(row["id"]) and match.group(2) == "1", etag


def test_59_clone_keeps_size_and_extra(base):
    """59 (§4.8 step 4): copies keep ``size`` and ``extra``, visible in resolution rows."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.att(beam, base.mk("s.dat", (0, 0), size=123, extra="rev1")))
    base.ok(clone(base, "GT1", "GT1c"))
    expected = [["Beam", "s.dat", "cs", 123, 0, 0, MAX, MAX, "rev1"]]
    assert base.res("GT1", 1, 0, "revision=1") == expected
    assert base.res("GT1c", 1, 0, "revision=1") == expected


def test_59_clone_is_independent(base):
    """59: the clone and its source evolve separately afterwards."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.att(beam, base.mk("a.dat", (0, 0))))
    base.ok(clone(base, "GT1", "GT1c"))
    clone_list = base.ok(base.get("gtPayloadLists/GT1c")).json["Beam"]
    base.ok(base.att(clone_list, base.mk("b.dat", (10, 0))))
    assert base.res("GT1", 20, 0) == [["Beam", "a.dat", "ca", None, 0, 0, *OPEN]]
    assert base.res("GT1c", 20, 0) == [["Beam", "b.dat", "cb", None, 10, 0, *OPEN]]
    assert base.res("GT1c", 5, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]


def test_59_clone_of_an_empty_gt(base):
    """59: a GT without lists clones to an empty, unlocked GT."""
    result = clone(base, "GT2", "GT2c")
    assert result.status_code == 200, result.content
    assert (result.json["payload_lists_count"], result.json["payload_iov_count"]) == (0, 0)
    assert base.ok(base.get("gtPayloadLists/GT2c")).json == {}
    assert base.res("GT2c", 0, 0) == []


def test_60_locked_source(base):
    """60: cloning a locked GT gives an unlocked clone; the source stays locked."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.att(beam, base.mk("a.dat", (0, 0))))
    base.ok(base.put("gt_change_status/GT1/locked"))
    result = clone(base, "GT1", "GT1c")
    assert result.status_code == 200, result.content
    assert result.json["status"] == "unlocked"
    assert result.json["payload_iov_count"] == 1
    assert gt_row(base, "GT1")["status"] == "locked"
    assert gt_row(base, "GT1c")["status"] == "unlocked"
    # The clone accepts an unlocked-mode overwrite that the locked source refuses.
    clone_list = base.ok(base.get("gtPayloadLists/GT1c")).json["Beam"]
    replacement = base.mk("b.dat", (0, 0))
    assert base.att(beam, replacement).status_code == 409
    assert base.ok(base.att(clone_list, replacement)).json["payload_list"] == clone_list
    assert base.res("GT1c", 5, 0) == [["Beam", "b.dat", "cb", None, 0, 0, *OPEN]]
    assert base.res("GT1", 5, 0) == [["Beam", "a.dat", "ca", None, 0, 0, *OPEN]]


def test_61_tie_preservation(base):
    """61: bulk duplicates keep their relative order in the clone, so the later item still wins."""
    beam = base.new_list("Beam", "GT1")
    items = [{"payload_url": url, "payload_list": beam, "major_iov": 0, "minor_iov": start}
             for url, start in (("b1.dat", 100), ("b2.dat", 100), ("b3.dat", 200), ("b4.dat", 200))]
    base.ok(base.post("bulk_piov", items))
    assert base.res("GT1", 0, 150)[0][1] == "b2.dat"
    assert base.res("GT1", 0, 250)[0][1] == "b4.dat"
    base.ok(clone(base, "GT1", "GT1c"))
    assert base.res("GT1c", 0, 150) == [["Beam", "b2.dat", "", None, 0, 100, *OPEN]]
    assert base.res("GT1c", 0, 250) == [["Beam", "b4.dat", "", None, 0, 200, *OPEN]]
    assert base.res("GT1c", 0, 99) == []
    # The copies' ids ascend in the source's id order.
    nested = base.ok(base.get("globalTag/GT1c")).json["payload_lists"][0]["payload_iov"]
    assert [i["payload_url"] for i in nested] == ["b1.dat", "b2.dat", "b3.dat", "b4.dat"]
    assert [i["id"] for i in nested] == sorted(i["id"] for i in nested)


def test_62_errors(base):
    """62: existing destination, unknown source, too long a name, GET."""
    assert clone(base, "GT1", "GT2").json == {"name": ["global tag with this name already exists."],
                                              "code": "already_exists"}
    assert clone(base, "GT1", "GT2").status_code == 400
    result = clone(base, "NoGT", "X")
    assert result.status_code == 404
    assert result.json == {"detail": "GlobalTag NoGT doesn't exist", "code": "global_tag_not_found"}
    assert result.headers["cache-control"] == "no-store"
    result = clone(base, "GT1", "x" * 81)
    assert result.status_code == 400
    assert result.json == {"name": ["Ensure this field has no more than 80 characters."],
                           "code": "validation_error"}
    result = base.get("cloneGlobalTag/GT1/X")
    assert result.status_code == 405
    assert result.json == {"detail": 'Method "GET" not allowed.', "code": "method_not_allowed"}
    assert {m.strip() for m in result.headers["allow"].split(",")} == {"POST", "OPTIONS"}
    # Nothing was created by the failures.
    names = [g["name"] for g in base.ok(base.get("globalTags")).json]
    assert names == ["GT1", "GT2"]


def test_62_destination_checked_before_source(base):
    """62 (§4.8 step 1): the destination is validated (400) before the source is looked up (404)."""
    result = clone(base, "NoGT", "GT2")
    assert result.status_code == 400
    assert result.json == {"name": ["global tag with this name already exists."], "code": "already_exists"}


def test_62_eighty_characters_are_allowed(base):
    """62: a destination of exactly 80 characters is valid."""
    result = clone(base, "GT1", "y" * 80)
    assert result.status_code == 200, result.content
    assert result.json["name"] == "y" * 80


def test_62_alias(base):
    """62: ``global-tags/<src>/clone/<dst>`` works like the legacy path."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.att(beam, base.mk("a.dat", (0, 0))))
    result = base.post("global-tags/GT1/clone/X")
    assert result.status_code == 200, result.content
    assert list(result.json) == GT_ROW_KEYS
    assert (result.json["name"], result.json["status"], result.json["payload_iov_count"]) == ("X", "unlocked", 1)
    assert base.res("X", 1, 0) == base.res("GT1", 1, 0)
    assert base.post("global-tags/GT1/clone/X").json["code"] == "already_exists"
    assert base.post("global-tags/NoGT/clone/Y").json == {"detail": "GlobalTag NoGT doesn't exist",
                                                           "code": "global_tag_not_found"}
    assert base.get("global-tags/GT1/clone/Z").status_code == 405


def test_63_missing_unlocked_status(api):
    """63: without an ``unlocked`` status, clone creates it (the reference fails with HTML 500)."""
    api.status("locked")
    api.payload_type("Beam")
    api.global_tag("GTL", status="locked")
    beam = api.new_list("Beam", "GTL")
    api.ok(api.att(beam, api.mk("a.dat", (0, 0))))
    result = clone(api, "GTL", "GTLc")
    assert result.status_code == 200, result.content
    assert result.json["status"] == "unlocked"
    assert result.json["payload_iov_count"] == 1
    statuses = api.ok(api.get("gtstatus")).json
    assert [s["name"] for s in statuses] == ["locked", "unlocked"]
    assert statuses[1]["id"] > statuses[0]["id"]
    assert gt_row(api, "GTL")["status"] == "locked"
    # A second clone reuses the status it created.
    api.ok(clone(api, "GTL", "GTLd"))
    assert [s["name"] for s in api.ok(api.get("gtstatus")).json] == ["locked", "unlocked"]
