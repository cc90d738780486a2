"""Sections F and G of the specification's scenarios: locked (47-56) and frozen (57-58) global tags."""

from __future__ import annotations

from sciplane_conditions.testing import MAX, OPEN, attach_new, gt_row, iov_count, members, row, span

LOCKED_PREFIX = ("GT is LOCKED. You are attempting to insert IOV (major_iov,minor_iov,major_iov_end, minor_iov_end) "
                 "({}). Conflicts with existing IOV {}")
GT_FROZEN = {"detail": "Global Tag is frozen.", "code": "gt_frozen"}
GT_LOCKED = {"detail": "Global Tag is locked.", "code": "gt_locked"}


def locked_message(x: tuple, existing: str) -> str:
    return LOCKED_PREFIX.format(",".join(str(v) for v in x), existing)


def refused(result, body: dict) -> None:
    assert result.status_code == 409, (result.status_code, result.content)
    assert result.json == body
    assert result.headers["cache-control"] == "no-store"


def change_status(api, gt: str, status: str, **kwargs):
    return api.request("PUT", f"gt_change_status/{gt}/{status}", **kwargs)


def locked_gt1(api) -> dict:
    """Scenario 47's state: GT1 with Beam a [0,10), g [10,∞), then locked."""
    beam = api.new_list("Beam", "GT1")
    ids = {"list": beam}
    ids["a"] = attach_new(api, beam, "a.dat", (0, 0), (10, 0))
    ids["g"] = attach_new(api, beam, "g.dat", (10, 0))
    api.ok(change_status(api, "GT1", "locked"))
    return ids


def test_47_status_change(base):
    """Scenario 47: ``gt_change_status`` answers the numeric status id; unknown GT or status → 404."""
    beam = base.new_list("Beam", "GT1")
    attach_new(base, beam, "a.dat", (0, 0), (10, 0))
    attach_new(base, beam, "g.dat", (10, 0))
    before = gt_row(base, "GT1")
    etag = base.ok(base.get("gtPayloadLists/GT1")).headers["etag"]

    result = change_status(base, "GT1", "locked")
    assert result.status_code == 200, result.content
    body = result.json
    assert list(body) == ["id", "name", "author", "status", "created", "updated"]
    assert (body["name"], body["author"], body["status"]) == ("GT1", "me", 2)
    assert body["created"] == before["created"] and body["updated"] > before["updated"]
    assert gt_row(base, "GT1")["status"] == "locked"
    # The GT's change counter moves: its scoped validators change.
    assert base.ok(base.get("gtPayloadLists/GT1")).headers["etag"] != etag

    # The body is ignored: JSON {}, the C++ client's null, nothing at all, even invalid JSON.
    for kwargs in ({"json": {}}, {"body": "null", "headers": {"Content-Type": "application/json"}}, {},
                   {"body": "{nope", "headers": {"Content-Type": "application/json"}}):
        again = change_status(base, "GT1", "locked", **kwargs)
        assert again.status_code == 200, (kwargs, again.content)
        assert again.json["status"] == 2

    nosuch = change_status(base, "GT1", "nosuch")
    assert nosuch.status_code == 404
    assert nosuch.json == {"detail": "GlobalTag Status not found.", "code": "status_not_found"}
    nogt = change_status(base, "NoGT", "locked")
    assert nogt.status_code == 404
    assert nogt.json == {"detail": "GlobalTag not found.", "code": "global_tag_not_found"}
    assert gt_row(base, "GT1")["status"] == "locked"


def test_48_predecessor_overlap_is_refused(base):
    """Scenario 48: h [15,16) inside the open-ended g is refused, naming g."""
    ids = locked_gt1(base)
    before = members(base, ids["list"])
    h = base.mk("h.dat", (15, 0), (16, 0))
    refused(base.att(ids["list"], h),
            {"detail": "GT is LOCKED. You are attempting to insert IOV (major_iov,minor_iov,major_iov_end, "
                       "minor_iov_end) (15,0,16,0). Conflicts with existing IOV g.dat "
                       "(10,0,9223372036854775807,9223372036854775807)",
             "code": "gt_locked"})
    assert base.piov(h)["payload_list"] is None
    assert members(base, ids["list"]) == before
    assert base.res("GT1", 15, 5) == [row("Beam", "g.dat", (10, 0))]


def test_49_online_special_case(base):
    """Scenario 49: an open-ended IOV after the open-ended last one is appended; the last one keeps its end."""
    ids = locked_gt1(base)
    i = base.mk("i.dat", (100, 0))
    result = base.att(ids["list"], i)
    assert result.status_code == 200, result.content
    assert result.json["payload_list"] == ids["list"]

    assert span(base.piov(ids["g"])) == ("g.dat", (10, 0), OPEN)
    assert members(base, ids["list"]) == {ids["a"]: ("a.dat", (0, 0), (10, 0)), ids["g"]: ("g.dat", (10, 0), OPEN),
                                          i: ("i.dat", (100, 0), OPEN)}
    assert base.res("GT1", 150, 0) == [row("Beam", "i.dat", (100, 0))]
    assert base.res("GT1", 50, 0) == [row("Beam", "g.dat", (10, 0))]
    assert iov_count(base, ids["list"]) == 3


def test_50_same_start_is_refused(base):
    """Scenario 50: j [100,∞) after i [100,∞) is refused, naming i."""
    ids = locked_gt1(base)
    attach_new(base, ids["list"], "i.dat", (100, 0))
    before = members(base, ids["list"])
    j = base.mk("j.dat", (100, 0))
    refused(base.att(ids["list"], j),
            {"detail": locked_message((100, 0, MAX, MAX), f"i.dat (100,0,{MAX},{MAX})"), "code": "gt_locked"})
    assert base.piov(j)["payload_list"] is None
    assert members(base, ids["list"]) == before


def test_50_reattach_in_a_locked_gt_is_a_same_start_conflict(base):
    """Scenario 50 / §4.5: re-attaching an IOV to its own locked list is refused, naming itself."""
    ids = locked_gt1(base)
    before = members(base, ids["list"])
    refused(base.att(ids["list"], ids["g"]),
            {"detail": locked_message((10, 0, MAX, MAX), f"g.dat (10,0,{MAX},{MAX})"), "code": "gt_locked"})
    assert members(base, ids["list"]) == before


def test_50_same_start_names_the_highest_id(base):
    """Scenario 50 / §4.5 rule 1: with several IOVs at the start, the message names the highest id."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.post("bulk_piov", [{"payload_url": url, "payload_list": beam, "major_iov": 5, "minor_iov": 0,
                                     "major_iov_end": 6, "minor_iov_end": 0} for url in ("d1.dat", "d2.dat")]))
    base.ok(change_status(base, "GT1", "locked"))
    x = base.mk("x.dat", (5, 0), (5, 5))
    refused(base.att(beam, x), {"detail": locked_message((5, 0, 5, 5), "d2.dat (5,0,6,0)"), "code": "gt_locked"})


def locked_p_n(api) -> str:
    beam = api.new_list("Beam", "GT1")
    attach_new(api, beam, "p.dat", (0, 0), (5, 0))
    attach_new(api, beam, "n.dat", (10, 0), (20, 0))
    api.ok(change_status(api, "GT1", "locked"))
    return beam


def test_51_successor_overlap(base):
    """Scenario 51: X [6,12) runs into n [10,20) and is refused; X [6,10) fits the gap."""
    beam = locked_p_n(base)
    before = members(base, beam)
    x = base.mk("x.dat", (6, 0), (12, 0))
    refused(base.att(beam, x), {"detail": locked_message((6, 0, 12, 0), "n.dat (10,0,20,0)"), "code": "gt_locked"})
    assert members(base, beam) == before

    y = base.mk("y.dat", (6, 0), (10, 0))
    assert base.att(beam, y).status_code == 200
    assert members(base, beam) == {**before, y: ("y.dat", (6, 0), (10, 0))}
    assert base.res("GT1", 8, 0) == [row("Beam", "y.dat", (6, 0), (10, 0))]
    assert base.res("GT1", 10, 0) == [row("Beam", "n.dat", (10, 0), (20, 0))]


def test_51_predecessor_and_successor_touching_are_accepted(base):
    """Scenario 51 (continuous ends are exclusive): X [5,10) between p [0,5) and n [10,20) is accepted."""
    beam = locked_p_n(base)
    x = base.mk("x.dat", (5, 0), (10, 0))
    assert base.att(beam, x).status_code == 200
    assert len(members(base, beam)) == 3


def test_51_neighbour_ties_name_the_specified_iov(base):
    """Scenario 51 / §4.5 step 3: P is the greatest by (start, id); N the smallest start, lowest id on ties."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.post("bulk_piov", [
        {"payload_url": "p1.dat", "payload_list": beam, "major_iov": 0, "minor_iov": 0,
         "major_iov_end": 5, "minor_iov_end": 0},
        {"payload_url": "p2.dat", "payload_list": beam, "major_iov": 0, "minor_iov": 0,
         "major_iov_end": 12, "minor_iov_end": 0},
        {"payload_url": "n1.dat", "payload_list": beam, "major_iov": 20, "minor_iov": 0,
         "major_iov_end": 30, "minor_iov_end": 0},
        {"payload_url": "n2.dat", "payload_list": beam, "major_iov": 20, "minor_iov": 0,
         "major_iov_end": 25, "minor_iov_end": 0}]))
    base.ok(change_status(base, "GT1", "locked"))

    x = base.mk("x.dat", (10, 0), (15, 0))
    refused(base.att(beam, x), {"detail": locked_message((10, 0, 15, 0), "p2.dat (0,0,12,0)"), "code": "gt_locked"})
    y = base.mk("y.dat", (15, 0), (22, 0))
    refused(base.att(beam, y), {"detail": locked_message((15, 0, 22, 0), "n1.dat (20,0,30,0)"), "code": "gt_locked"})
    z = base.mk("z.dat", (12, 0), (20, 0))
    assert base.att(beam, z).status_code == 200


def test_52_appends(base):
    """Scenario 52: X [5,∞) after a closed last p [0,5) is accepted; a closed IOV after the open-ended one is not."""
    beam = base.new_list("Beam", "GT1")
    p = attach_new(base, beam, "p.dat", (0, 0), (5, 0))
    base.ok(change_status(base, "GT1", "locked"))

    z = base.mk("z.dat", (5, 0))
    assert base.att(beam, z).status_code == 200
    assert members(base, beam) == {p: ("p.dat", (0, 0), (5, 0)), z: ("z.dat", (5, 0), OPEN)}

    y = base.mk("y.dat", (20, 0), (30, 0))
    refused(base.att(beam, y),
            {"detail": locked_message((20, 0, 30, 0), f"z.dat (5,0,{MAX},{MAX})"), "code": "gt_locked"})
    assert base.piov(y)["payload_list"] is None
    assert base.res("GT1", 25, 0) == [row("Beam", "z.dat", (5, 0))]


def test_53_sphenix_run_form(base):
    """Scenario 53: last IOV (0,100)-(0,MAX); (0,200)-(0,MAX) and then (0,300)-∞ are both online appends."""
    beam = base.new_list("Beam", "GT1")
    first = attach_new(base, beam, "r100.dat", (0, 100), (0, MAX))
    base.ok(change_status(base, "GT1", "locked"))

    second = base.mk("r200.dat", (0, 200), (0, MAX))
    assert base.att(beam, second).status_code == 200
    third = base.mk("r300.dat", (0, 300), OPEN)
    assert base.att(beam, third).status_code == 200

    assert members(base, beam) == {first: ("r100.dat", (0, 100), (0, MAX)),
                                   second: ("r200.dat", (0, 200), (0, MAX)),
                                   third: ("r300.dat", (0, 300), OPEN)}
    assert base.res("GT1", 0, 150) == [row("Beam", "r100.dat", (0, 100), (0, MAX))]
    assert base.res("GT1", 0, 250) == [row("Beam", "r200.dat", (0, 200), (0, MAX))]
    assert base.res("GT1", 0, 350) == [row("Beam", "r300.dat", (0, 300))]


def test_54_locked_pl_attach(base):
    """Scenario 54: a second list of an attached type is refused (the attached list too); a new type is accepted."""
    ids = locked_gt1(base)
    message = {"detail": "Payload List of type Beam already attached and Global Tag is locked.", "code": "gt_locked"}
    other = base.new_list("Beam")
    refused(base.put("pl_attach", {"global_tag": "GT1", "payload_list": other}), message)
    refused(base.put("pl_attach", {"global_tag": "GT1", "payload_list": ids["list"]}), message)
    assert base.ok(base.get("gtPayloadLists/GT1")).json == {"Beam": ids["list"]}
    assert base.ok(base.get(f"payload-lists/by-name/{other}")).json["global_tag"] is None

    cemc = base.new_list("CEMC")
    result = base.put("pl_attach", {"global_tag": "GT1", "payload_list": cemc})
    assert result.status_code == 200, result.content
    assert result.json["global_tag"] == "GT1" and result.json["payload_type"] == "CEMC"
    assert base.ok(base.get("gtPayloadLists/GT1")).json == {"Beam": ids["list"], "CEMC": cemc}


def test_55_locked_deletes(base):
    """Scenario 55: GT delete refused; an IOV delete and an empty-list delete are allowed."""
    ids = locked_gt1(base)
    attach_new(base, ids["list"], "i.dat", (100, 0))
    cemc = base.new_list("CEMC", "GT1")

    refused(base.delete("deleteGlobalTag/GT1"), GT_LOCKED)
    iovs_before = gt_row(base, "GT1")["payload_iov_count"]

    deleted = base.delete("deletePayloadIOV/GT1/Beam/100/0")
    assert deleted.status_code == 200
    assert deleted.json == {"detail": "PayloadIOV i.dat deleted."}
    assert base.res("GT1", 150, 0) == [row("Beam", "g.dat", (10, 0))]
    assert iov_count(base, ids["list"]) == 2

    emptied = base.delete(f"deletePayloadList/{cemc}")
    assert emptied.status_code == 200
    assert emptied.json == {"detail": f"Payload Type {cemc} deleted."}
    assert base.ok(base.get("gtPayloadLists/GT1")).json == {"Beam": ids["list"]}
    assert gt_row(base, "GT1")["status"] == "locked"
    assert (iovs_before, gt_row(base, "GT1")["payload_iov_count"]) == (3, 2)


def test_56_nothing_moves_out_of_a_locked_gt(base):
    """Scenario 56 (Decision): neither a list nor an IOV of a locked GT can be moved to another GT."""
    beam = base.new_list("Beam", "GT1")
    a = attach_new(base, beam, "a.dat", (0, 0))
    cemc = base.new_list("CEMC", "GT1")
    attach_new(base, cemc, "e.dat", (0, 0))
    gt2_beam = base.new_list("Beam", "GT2")
    base.ok(change_status(base, "GT1", "locked"))
    lists = {gt: base.ok(base.get(f"gtPayloadLists/{gt}")).json for gt in ("GT1", "GT2")}
    rows = {gt: base.res(gt, 1, 0) for gt in ("GT1", "GT2")}

    refused(base.put("pl_attach", {"global_tag": "GT2", "payload_list": cemc}),
            {"detail": f"Payload List {cemc} is attached to Global Tag GT1, which is locked.", "code": "gt_locked"})
    refused(base.att(gt2_beam, a),
            {"detail": f"PayloadIOV {a} is attached to Payload List {beam} of Global Tag GT1, which is locked.",
             "code": "gt_locked"})

    assert {gt: base.ok(base.get(f"gtPayloadLists/{gt}")).json for gt in ("GT1", "GT2")} == lists
    assert {gt: base.res(gt, 1, 0) for gt in ("GT1", "GT2")} == rows
    assert base.piov(a)["payload_list"] == beam
    assert (iov_count(base, beam), iov_count(base, cemc), iov_count(base, gt2_beam)) == (1, 1, 0)
    assert gt_row(base, "GT2")["payload_lists_count"] == 1


# -- G. frozen ----------------------------------------------------------------------------------


def frozen_clone(api) -> dict:
    """Scenario 57's state: GT1 with Beam a [0,10), g [10,∞) and an empty CEMC list, cloned to GT1clone, frozen."""
    beam = api.new_list("Beam", "GT1")
    attach_new(api, beam, "a.dat", (0, 0), (10, 0))
    attach_new(api, beam, "g.dat", (10, 0))
    api.new_list("CEMC", "GT1")
    clone = api.ok(api.post("cloneGlobalTag/GT1/GT1clone", body="null", headers={"Content-Type": "application/json"}))
    assert clone.json["payload_lists_count"] == 2
    frozen = api.ok(change_status(api, "GT1clone", "frozen")).json
    assert frozen["status"] == 3
    lists = api.ok(api.get("gtPayloadLists/GT1clone")).json
    iovs = [i["id"] for i in api.ok(api.get("piov")).json if i["payload_list"] == lists["Beam"]]
    return {"beam": lists["Beam"], "cemc": lists["CEMC"], "iovs": iovs}


def snapshot(api) -> dict:
    """Everything a refused write must leave alone: bodies and validators of the frozen GT and of the database."""
    res = api.ok(api.get("payloadiovs/", "gtName=GT1clone&majorIOV=12&minorIOV=0"))
    nested = api.ok(api.get("globalTag/GT1clone"))
    tags = api.ok(api.get("globalTags"))
    return {"res": (res.content, res.headers["etag"]), "nested": (nested.content, nested.headers["etag"]),
            "lists": api.ok(api.get("gtPayloadLists/GT1clone")).content,
            "globalTags": (tags.content, tags.headers["etag"]), "pl": api.ok(api.get("pl")).content,
            "piov": api.ok(api.get("piov")).content}


def test_57_frozen_refusals(base):
    """Scenario 57: every change to a frozen GT is refused with 409 gt_frozen and leaves everything unchanged."""
    ids = frozen_clone(base)
    new_iov = base.mk("n.dat", (20, 0), (30, 0))
    new_list = base.new_list("Beam")
    base.new_list("Beam", "GT2")
    before = snapshot(base)

    refused(base.att(ids["beam"], new_iov), GT_FROZEN)
    assert snapshot(base) == before
    refused(base.put("pl_attach", {"global_tag": "GT1clone", "payload_list": new_list}), GT_FROZEN)
    assert snapshot(base) == before
    refused(base.delete("deletePayloadIOV/GT1clone/Beam/10/0"), GT_FROZEN)
    assert snapshot(base) == before
    refused(base.delete("deleteGlobalTag/GT1clone"), GT_FROZEN)
    assert snapshot(base) == before
    refused(base.delete(f"deletePayloadList/{ids['cemc']}"), GT_FROZEN)
    assert snapshot(base) == before
    refused(base.post("bulk_piov", [{"payload_url": "bulk.dat", "payload_list": ids["beam"], "major_iov": 50,
                                      "minor_iov": 0}]), GT_FROZEN)
    assert snapshot(base) == before
    refused(base.put("pl_attach", {"global_tag": "GT2", "payload_list": ids["cemc"]}),
            {"detail": f"Payload List {ids['cemc']} is attached to Global Tag GT1clone, which is frozen.",
             "code": "gt_frozen"})
    assert snapshot(base) == before

    missing = base.delete("deletePayloadIOV/GT1clone/Beam/12345/0")
    assert missing.status_code == 404
    assert missing.json == {"detail": "PayloadIOV with given parameters doesn't exist",
                            "code": "payload_iov_not_found"}
    assert snapshot(base) == before
    assert base.piov(new_iov)["payload_list"] is None
    assert base.ok(base.get(f"payload-lists/by-name/{new_list}")).json["global_tag"] is None


def test_57_frozen_iovs_cannot_move_out(base):
    """Scenario 57 / §4.6: an IOV of a frozen GT cannot be attached elsewhere."""
    ids = frozen_clone(base)
    gt2_beam = base.new_list("Beam", "GT2")
    before = snapshot(base)
    moved = ids["iovs"][0]
    refused(base.att(gt2_beam, moved),
            {"detail": f"PayloadIOV {moved} is attached to Payload List {ids['beam']} of Global Tag GT1clone, "
                       "which is frozen.",
             "code": "gt_frozen"})
    assert snapshot(base) == before
    assert iov_count(base, gt2_beam) == 0


def test_58_allowed_on_frozen(base):
    """Scenario 58: reads, cloning and status changes work on a frozen GT; once unlocked, attaches work again."""
    ids = frozen_clone(base)
    for path, query in (("globalTag/GT1clone", ""), ("globalTag/GT1clone", "light"), ("gtPayloadLists/GT1clone", ""),
                        ("payloadiovs/", "gtName=GT1clone&majorIOV=12&minorIOV=0"), ("globalTags", ""),
                        ("global-tags/GT1clone", ""), ("payload-iovs/query/", "gtName=GT1clone&majorIOV=1&minorIOV=0"),
                        (f"payload-lists/by-name/{ids['beam']}", ""), ("pl", ""), ("piov", "")):
        assert base.get(path, query).status_code == 200, path
    assert base.res("GT1clone", 12, 0) == [row("Beam", "g.dat", (10, 0))]

    second = base.post("cloneGlobalTag/GT1clone/GT1clone2")
    assert second.status_code == 200, second.content
    assert second.json["status"] == "unlocked"
    assert second.json["payload_lists_count"] == 2
    assert gt_row(base, "GT1clone")["status"] == "frozen"

    unfrozen = change_status(base, "GT1clone", "unlocked")
    assert unfrozen.status_code == 200
    assert unfrozen.json["status"] == 1
    x = base.mk("x.dat", (20, 0), (30, 0))
    assert base.att(ids["beam"], x).status_code == 200
    assert base.res("GT1clone", 25, 0) == [row("Beam", "x.dat", (20, 0), (30, 0))]
    assert base.res("GT1clone", 35, 0) == [row("Beam", "g.dat", (30, 0))]
    # The clone of the frozen state is untouched.
    assert base.res("GT1clone2", 25, 0) == [row("Beam", "g.dat", (10, 0))]
    assert gt_row(base, "GT1clone")["payload_iov_count"] == 4  # a, g [10,20), x, g' [30,∞)
    assert second.json["payload_iov_count"] == 2
