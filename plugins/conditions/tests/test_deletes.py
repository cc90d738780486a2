"""Scenarios 64-67 (spec §11 I): deleting types, lists, IOVs and global tags (§3.2-3.5, §4.9)."""

from __future__ import annotations

from sciplane_conditions.testing import OPEN, Api, gt_counts

NO_MATCH = {"detail": "PayloadIOV with given parameters doesn't exist", "code": "payload_iov_not_found"}


def check(result, status: int, body: dict) -> None:
    assert (result.status_code, result.json) == (status, body), result.content
    assert result.headers["cache-control"] == "no-store"


# -- 64: payload types ----------------------------------------------------------------------


def test_64_type_used_by_attached_and_detached_lists(base):
    """64: lists count whether attached or detached."""
    base.new_list("Beam", "GT1")
    base.new_list("Beam")
    check(base.delete("deletePayloadType/Beam"), 409,
          {"detail": "PayloadType is used by 2 PayloadLists", "code": "in_use"})
    base.new_list("CEMC")  # detached only
    check(base.delete("deletePayloadType/CEMC"), 409,
          {"detail": "PayloadType is used by 1 PayloadLists", "code": "in_use"})
    assert [t["name"] for t in base.ok(base.get("pt")).json] == ["Beam", "CEMC"]


def test_64_unknown_type(base):
    """64: an unknown type is 404 with its name in the message."""
    check(base.delete("deletePayloadType/Nope"), 404,
          {"detail": "PayloadType Nope doesn't exist", "code": "payload_type_not_found"})


def test_64_unused_type(base):
    """64: an unused type is deleted, on the legacy path and on the alias."""
    base.payload_type("TMP")
    base.payload_type("TMP2")
    check(base.delete("deletePayloadType/TMP"), 200, {"detail": "Payload Type TMP deleted."})
    check(base.delete("payload-types/TMP2/delete"), 200, {"detail": "Payload Type TMP2 deleted."})
    assert [t["name"] for t in base.ok(base.get("pt")).json] == ["Beam", "CEMC"]
    check(base.delete("deletePayloadType/TMP"), 404,
          {"detail": "PayloadType TMP doesn't exist", "code": "payload_type_not_found"})
    # The name is free again.
    assert base.payload_type("TMP")["name"] == "TMP"


def test_64_type_deletable_once_its_lists_are_gone(base):
    """64: after its (empty) lists are deleted, the type can go."""
    attached = base.new_list("Beam", "GT1")
    detached = base.new_list("Beam")
    base.ok(base.delete(f"deletePayloadList/{attached}"))
    check(base.delete("deletePayloadType/Beam"), 409,
          {"detail": "PayloadType is used by 1 PayloadLists", "code": "in_use"})
    base.ok(base.delete(f"deletePayloadList/{detached}"))
    check(base.delete("deletePayloadType/Beam"), 200, {"detail": "Payload Type Beam deleted."})


# -- 65: payload lists ----------------------------------------------------------------------


def test_65_list_with_iovs(base):
    """65: a list with attached IOVs cannot be deleted."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.att(beam, base.mk("a.dat", (0, 0), (10, 0))))
    check(base.delete(f"deletePayloadList/{beam}"), 409,
          {"detail": "PayloadList contains 1 PayloadIOVs", "code": "in_use"})
    base.ok(base.att(beam, base.mk("b.dat", (10, 0))))
    check(base.delete(f"deletePayloadList/{beam}"), 409,
          {"detail": "PayloadList contains 2 PayloadIOVs", "code": "in_use"})
    assert base.ok(base.get("gtPayloadLists/GT1")).json == {"Beam": beam}


def test_65_empty_list(base):
    """65: an empty list is deleted; the message really says "Payload Type"."""
    attached = base.new_list("Beam", "GT1")
    detached = base.new_list("CEMC")
    check(base.delete(f"deletePayloadList/{attached}"), 200, {"detail": f"Payload Type {attached} deleted."})
    check(base.delete(f"payload-lists/{detached}/delete"), 200, {"detail": f"Payload Type {detached} deleted."})
    assert base.ok(base.get("gtPayloadLists/GT1")).json == {}
    assert gt_counts(base, "GT1") == (0, 0)
    assert base.get(f"payload-lists/by-name/{attached}").status_code == 404
    assert base.ok(base.get("pl")).json == []
    # List ids are never reused.
    again = base.new_list("Beam")
    assert again not in (attached, detached)
    assert int(again.split("_")[1]) > int(detached.split("_")[1])


def test_65_unknown_list(base):
    """65: an unknown list is 404 with its name in the message."""
    check(base.delete("deletePayloadList/Nope_1"), 404,
          {"detail": "PayloadList Nope_1 doesn't exist", "code": "payload_list_not_found"})


def test_65_detached_iovs_survive_their_list(base):
    """65 (§4.9): IOVs detached from a deleted list are kept, with ``payload_list`` null."""
    beam = base.new_list("Beam", "GT1")
    old = base.mk("a.dat", (0, 0))
    base.ok(base.att(beam, old))
    base.ok(base.att(beam, base.mk("b.dat", (0, 0))))  # covers a: a is detached
    base.ok(base.delete("deletePayloadIOV/GT1/Beam/0/0"))  # deletes b
    check(base.delete(f"deletePayloadList/{beam}"), 200, {"detail": f"Payload Type {beam} deleted."})
    assert base.piov(old)["payload_list"] is None
    assert base.piov(old)["payload_url"] == "a.dat"


# -- 66: IOV delete matching ---------------------------------------------------------------------


def three_iovs(api: Api) -> dict[str, int]:
    """GT1's Beam list: a [0,10), m [10,20), z [20,∞)."""
    beam = api.new_list("Beam", "GT1")
    ids = {"list": beam}
    for name, start, end in (("a", (0, 0), (10, 0)), ("m", (10, 0), (20, 0)), ("z", (20, 0), None)):
        ids[name] = api.mk(f"{name}.dat", start, end)
        api.ok(api.att(beam, ids[name]))
    return ids


def test_66_four_segments_match_open_ended_only(base):
    """66: the 4-segment form means end (MAX, MAX), so it misses a closed IOV."""
    ids = three_iovs(base)
    check(base.delete("deletePayloadIOV/GT1/Beam/0/0"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT1/Beam/10/0"), 404, NO_MATCH)
    assert base.piov(ids["a"])["payload_list"] == ids["list"]
    check(base.delete("deletePayloadIOV/GT1/Beam/20/0"), 200, {"detail": "PayloadIOV z.dat deleted."})
    assert base.get(f"piov/{ids['z']}").status_code == 404


def test_66_six_segments_exact_match(base):
    """66: the exact start and end delete the row (not a detach); a wrong end does not match."""
    ids = three_iovs(base)
    assert gt_counts(base, "GT1") == (1, 3)
    check(base.delete("deletePayloadIOV/GT1/Beam/10/0/20/1"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT1/Beam/10/0/21/0"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT1/Beam/10/1/20/0"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT1/Beam/10/0/20/0"), 200, {"detail": "PayloadIOV m.dat deleted."})
    result = base.get(f"piov/{ids['m']}")
    assert (result.status_code, result.json) == (404, {"detail": "Not found.", "code": "not_found"})
    assert gt_counts(base, "GT1") == (1, 2)
    assert base.ok(base.get(f"payload-lists/by-name/{ids['list']}")).json["iov_count"] == 2
    # Deleted, so a second attempt no longer matches.
    check(base.delete("deletePayloadIOV/GT1/Beam/10/0/20/0"), 404, NO_MATCH)


def test_66_gap_resolves_to_predecessor(base):
    """66: neighbours are not re-extended; points in the gap resolve to the predecessor with its end."""
    three_iovs(base)
    base.ok(base.delete("deletePayloadIOV/GT1/Beam/10/0/20/0"))
    assert base.res("GT1", 15, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]
    assert base.res("GT1", 10, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]
    assert base.res("GT1", 20, 0) == [["Beam", "z.dat", "cz", None, 20, 0, *OPEN]]
    assert base.res("GT1", 5, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]


def test_66_alias(base):
    """66: ``payload-iovs/<gt>/<type>/<maj>/<min>/<maj_end>/<min_end>/delete``."""
    ids = three_iovs(base)
    check(base.delete("payload-iovs/GT1/Beam/0/0/10/0/delete"), 200, {"detail": "PayloadIOV a.dat deleted."})
    assert base.get(f"piov/{ids['a']}").status_code == 404
    check(base.delete("payload-iovs/GT1/Beam/20/0/delete"), 200, {"detail": "PayloadIOV z.dat deleted."})
    check(base.delete("payload-iovs/GT1/Beam/20/0/delete"), 404, NO_MATCH)
    assert base.res("GT1", 30, 0) == [["Beam", "m.dat", "cm", None, 10, 0, 20, 0]]


def test_66_detached_iov_does_not_match(base):
    """66: only IOVs attached to the GT's list of that type match; detached ones never do."""
    beam = base.new_list("Beam", "GT1")
    covered = base.mk("old.dat", (20, 0))
    base.ok(base.att(beam, covered))
    base.ok(base.att(beam, base.mk("new.dat", (20, 0))))  # same range: old.dat is detached
    base.mk("loose.dat", (50, 0), (60, 0))                 # never attached
    check(base.delete("deletePayloadIOV/GT1/Beam/50/0/60/0"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT1/Beam/20/0"), 200, {"detail": "PayloadIOV new.dat deleted."})
    check(base.delete("deletePayloadIOV/GT1/Beam/20/0"), 404, NO_MATCH)
    assert base.piov(covered)["payload_list"] is None  # still there, still detached


def test_66_unknown_gt_or_type_counts_as_no_match(base):
    """66 (§3.5): an unknown GT or type, or a GT without that type, is "no match"."""
    three_iovs(base)
    check(base.delete("deletePayloadIOV/NoGT/Beam/20/0"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT1/Nope/20/0"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT1/CEMC/20/0"), 404, NO_MATCH)
    check(base.delete("deletePayloadIOV/GT2/Beam/20/0"), 404, NO_MATCH)
    assert gt_counts(base, "GT1") == (1, 3)


def test_66_negative_start(base):
    """66: the delete routes accept a minus sign, so an IOV starting at (-1, 0) can be deleted."""
    cemc = base.new_list("CEMC", "GT1")
    base.ok(base.att(cemc, base.mk("n.dat", (-1, 0))))
    base.ok(base.att(cemc, base.mk("q.dat", (-5, -3), (-2, 0))))
    check(base.delete("deletePayloadIOV/GT1/CEMC/-5/-3/-2/0"), 200, {"detail": "PayloadIOV q.dat deleted."})
    check(base.delete("deletePayloadIOV/GT1/CEMC/-1/0"), 200, {"detail": "PayloadIOV n.dat deleted."})
    assert base.res("GT1", 0, 0) == []


def test_66_out_of_range_segment(base):
    """66 (§2.1): IOV segments outside the 64-bit range match nothing (404 with the route's message)."""
    three_iovs(base)
    check(base.delete("deletePayloadIOV/GT1/Beam/9223372036854775808/0"), 404, NO_MATCH)


def test_66_bulk_duplicates(base):
    """66 (§4.9): every exact match is deleted; ``detail`` names the highest id's URL."""
    beam = base.new_list("Beam", "GT2")
    items = [{"payload_url": url, "payload_list": beam, "major_iov": 0, "minor_iov": 100}
             for url in ("dup1.dat", "dup2.dat")]
    items.append({"payload_url": "keep.dat", "payload_list": beam, "major_iov": 0, "minor_iov": 50})
    base.ok(base.post("bulk_piov", items))
    assert gt_counts(base, "GT2") == (1, 3)
    check(base.delete("deletePayloadIOV/GT2/Beam/0/100"), 200, {"detail": "PayloadIOV dup2.dat deleted."})
    urls = [iov["payload_url"] for iov in base.ok(base.get("piov")).json]
    assert urls == ["keep.dat"]
    assert gt_counts(base, "GT2") == (1, 1)
    assert base.res("GT2", 0, 150) == [["Beam", "keep.dat", "", None, 0, 50, *OPEN]]


# -- 67: global tag cascade ---------------------------------------------------------------


def test_67_gt_cascade(base):
    """67: deleting a GT removes its lists and their attached IOVs, and nothing detached."""
    # An earlier Beam list, replaced on GT1 and so detached, keeps its IOV.
    replaced = base.new_list("Beam", "GT1")
    kept = base.mk("kept.dat", (0, 0))
    base.ok(base.att(replaced, kept))
    beam = base.new_list("Beam", "GT1")
    assert base.ok(base.get(f"payload-lists/by-name/{replaced}")).json["global_tag"] is None
    # The current lists: one IOV detached by a covering attach, three attached.
    covered = base.mk("covered.dat", (5, 0), (6, 0))
    base.ok(base.att(beam, covered))
    attached = [base.mk("b0.dat", (0, 0))]
    base.ok(base.att(beam, attached[0]))  # covers covered.dat
    cemc = base.new_list("CEMC", "GT1")
    for url, start in (("c0.dat", (0, 0)), ("c1.dat", (10, 0))):
        attached.append(base.mk(url, start))
        base.ok(base.att(cemc, attached[-1]))
    loose = base.mk("loose.dat", (0, 0))
    # GT2 has its own list, untouched by the delete.
    other = base.new_list("Beam", "GT2")
    other_iov = base.mk("o.dat", (0, 0))
    base.ok(base.att(other, other_iov))
    list_ids = {name: base.ok(base.get(f"payload-lists/by-name/{name}")).json["id"]
                for name in (replaced, beam, cemc)}
    assert gt_counts(base, "GT1") == (2, 3)

    check(base.delete("deleteGlobalTag/GT1"), 200, {"detail": "Global tag GT1 deleted."})

    for name in (beam, cemc):
        result = base.get(f"payload-lists/by-name/{name}")
        assert (result.status_code, result.json) == (404, {"detail": "Not found.", "code": "not_found"})
        assert base.get(f"pl/{list_ids[name]}").status_code == 404
    for iov_id in attached:
        result = base.get(f"piov/{iov_id}")
        assert (result.status_code, result.json) == (404, {"detail": "Not found.", "code": "not_found"})
    # The earlier-detached list and the detached IOVs are still there.
    survivor = base.ok(base.get(f"payload-lists/by-name/{replaced}")).json
    assert (survivor["global_tag"], survivor["iov_count"]) == (None, 1)
    assert base.ok(base.get(f"pl/{list_ids[replaced]}")).json["global_tag"] is None
    assert base.piov(kept)["payload_list"] == replaced
    assert base.piov(covered)["payload_list"] is None
    assert base.piov(loose)["payload_list"] is None
    assert sorted(i["id"] for i in base.ok(base.get("piov")).json) == sorted([kept, covered, loose, other_iov])
    assert [p["name"] for p in base.ok(base.get("pl")).json] == [replaced, other]
    # GT1 is gone everywhere; GT2 is untouched.
    assert [g["name"] for g in base.ok(base.get("globalTags")).json] == ["GT2"]
    assert base.ok(base.get("gtPayloadLists/GT1")).json == {}
    assert base.res("GT1", 0, 0) == []
    assert base.get("globalTag/GT1").status_code == 404
    assert base.res("GT2", 0, 0) == [["Beam", "o.dat", "co", None, 0, 0, *OPEN]]
    # The name can be used again; the replaced list can be attached to the new GT.
    base.global_tag("GT1")
    base.ok(base.put("pl_attach", {"global_tag": "GT1", "payload_list": replaced}))
    assert base.res("GT1", 1, 0) == [["Beam", "kept.dat", "ckept", None, 0, 0, *OPEN]]


def test_67_unknown_gt(base):
    """67: deleting an unknown GT is 404 with its name in the message."""
    check(base.delete("deleteGlobalTag/NoGT"), 404,
          {"detail": "GlobalTag NoGT doesn't exist", "code": "global_tag_not_found"})


def test_67_alias_and_custom_status(base):
    """67 (§4.9): the alias deletes too, and custom statuses behave as unlocked."""
    base.status("review")
    base.global_tag("GTR", status="review")
    beam = base.new_list("Beam", "GTR")
    iov = base.mk("a.dat", (0, 0))
    base.ok(base.att(beam, iov))
    check(base.delete("global-tags/GTR/delete"), 200, {"detail": "Global tag GTR deleted."})
    assert base.get(f"piov/{iov}").status_code == 404
    check(base.delete("global-tags/GTR/delete"), 404,
          {"detail": "GlobalTag GTR doesn't exist", "code": "global_tag_not_found"})
