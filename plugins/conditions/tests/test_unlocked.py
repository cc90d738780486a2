"""Section E of the specification's scenarios: ``piov_attach`` into unlocked GTs and detached lists (37-46)."""

from __future__ import annotations

import pytest

from sciplane_conditions.testing import OPEN, attach_new, gt_row, iov_count, members, row, span, trim_split


def no_zero_length(api) -> None:
    for iov in api.ok(api.get("piov")).json:
        if iov["payload_list"] is not None:
            assert (iov["major_iov"], iov["minor_iov"]) != (iov["major_iov_end"], iov["minor_iov_end"]), iov




def test_37_covering_attach_detaches_everything_it_covers(base):
    """Scenario 37: g [10,∞) after scenario 27 keeps a [0,10) and detaches b, c and b's copy."""
    ids = trim_split(base)
    beam = ids["list"]
    gt_counts = [gt_row(base, "GT1")["payload_iov_count"]]
    assert iov_count(base, beam) == 4

    g = base.mk("g.dat", (10, 0))
    attached = base.ok(base.att(beam, g)).json
    assert attached["id"] == g and attached["payload_list"] == beam

    assert members(base, beam) == {ids["a"]: ("a.dat", (0, 0), (10, 0)), g: ("g.dat", (10, 0), OPEN)}
    for name in ("b", "c", "b2"):
        assert base.piov(ids[name])["payload_list"] is None, name
    # Detached rows are kept as they were.
    assert span(base.piov(ids["c"])) == ("c.dat", (20, 0), (30, 0))
    gt_counts.append(gt_row(base, "GT1")["payload_iov_count"])
    assert gt_row(base, "GT1")["payload_lists_count"] == 1
    assert iov_count(base, beam) == 2
    assert len(base.ok(base.get("piov")).json) == 5

    assert base.res("GT1", 25, 0) == [row("Beam", "g.dat", (10, 0))]
    assert base.res("GT1", 35, 0) == [row("Beam", "g.dat", (10, 0))]
    assert base.res("GT1", 9, 0) == [row("Beam", "a.dat", (0, 0), (10, 0))]
    # globalTags counts only attached IOVs: 4 before, 2 after (JSON integers).
    assert gt_counts == [4, 2]


def test_38_successor_shift_keeps_the_id(base):
    """Scenario 38: X [5,15) moves n [10,20) to start at 15; n keeps its id (and its comb_iov follows)."""
    beam = base.new_list("Beam", "GT1")
    n = attach_new(base, beam, "n.dat", (10, 0), (20, 0))
    before = base.piov(n)
    x = attach_new(base, beam, "x.dat", (5, 0), (15, 0))

    assert members(base, beam) == {x: ("x.dat", (5, 0), (15, 0)), n: ("n.dat", (15, 0), (20, 0))}
    after = base.piov(n)
    assert after["comb_iov"] == "15.0000000000000000000"
    assert after["inserted"] == before["inserted"]
    assert (after["payload_url"], after["checksum"]) == ("n.dat", "cn")
    assert iov_count(base, beam) == 2
    assert len(base.ok(base.get("piov")).json) == 2

    assert base.res("GT1", 12, 0) == [row("Beam", "x.dat", (5, 0), (15, 0))]
    assert base.res("GT1", 16, 0) == [row("Beam", "n.dat", (15, 0), (20, 0))]
    assert base.res("GT1", 4, 0) == []


def test_39_gap_insert_changes_nothing_else(base):
    """Scenario 39: X [6,8) between p [0,5) and n [10,20) leaves both untouched."""
    beam = base.new_list("Beam", "GT1")
    p = attach_new(base, beam, "p.dat", (0, 0), (5, 0))
    n = attach_new(base, beam, "n.dat", (10, 0), (20, 0))
    x = attach_new(base, beam, "x.dat", (6, 0), (8, 0))

    page = base.ok(base.get("payload-iovs", f"page=1&payload_list={beam}&sort=major_iov")).json
    assert page["count"] == 3
    assert [(r["id"], r["payload_url"], r["major_iov"], r["minor_iov"], r["major_iov_end"], r["minor_iov_end"])
            for r in page["results"]] == [(p, "p.dat", 0, 0, 5, 0), (x, "x.dat", 6, 0, 8, 0),
                                          (n, "n.dat", 10, 0, 20, 0)]
    assert base.res("GT1", 9, 0) == [row("Beam", "x.dat", (6, 0), (8, 0))]
    assert base.res("GT1", 5, 5) == [row("Beam", "p.dat", (0, 0), (5, 0))]


def test_40_insert_before_the_first(base):
    """Scenario 40: f [1,2) before e [5,6) is accepted and changes nothing else."""
    beam = base.new_list("Beam", "GT1")
    e = attach_new(base, beam, "e.dat", (5, 0), (6, 0))
    f = base.mk("f.dat", (1, 0), (2, 0))
    result = base.att(beam, f)
    assert result.status_code == 200, result.content

    assert members(base, beam) == {e: ("e.dat", (5, 0), (6, 0)), f: ("f.dat", (1, 0), (2, 0))}
    assert base.res("GT1", 1, 5) == [row("Beam", "f.dat", (1, 0), (2, 0))]
    assert base.res("GT1", 5, 0) == [row("Beam", "e.dat", (5, 0), (6, 0))]
    assert base.res("GT1", 0, 0) == []


def test_41_same_start_shorter_new_iov_replaces_the_old_one(base):
    """Scenario 41 (Decision): B [(0,0),(0,100)) over A [0,∞) detaches A and copies it to (0,100)-∞."""
    beam = base.new_list("Beam", "GT1")
    a = attach_new(base, beam, "A.dat", (0, 0))
    b = base.mk("B.dat", (0, 0), (0, 100))
    assert base.att(beam, b).status_code == 200

    assert base.res("GT1", 0, 50) == [row("Beam", "B.dat", (0, 0), (0, 100))]
    assert base.res("GT1", 0, 0) == [row("Beam", "B.dat", (0, 0), (0, 100))]
    assert base.res("GT1", 0, 150) == [row("Beam", "A.dat", (0, 100), OPEN)]
    assert base.res("GT1", 0, 100) == [row("Beam", "A.dat", (0, 100), OPEN)]

    assert base.piov(a)["payload_list"] is None
    assert span(base.piov(a)) == ("A.dat", (0, 0), OPEN)
    current = members(base, beam)
    (copy,) = set(current) - {b}
    assert copy not in (a, b) and copy > b
    assert current == {b: ("B.dat", (0, 0), (0, 100)), copy: ("A.dat", (0, 100), OPEN)}
    assert base.piov(copy)["checksum"] == "cA"
    no_zero_length(base)
    assert iov_count(base, beam) == 2


@pytest.mark.parametrize("new_end", [OPEN, (0, 100)], ids=["longer", "equal"])
def test_42_same_start_existing_covered(base, new_end):
    """Scenario 42: A [(0,0),(0,100)) is covered by B [(0,0),∞) (or by an equal range) and detached."""
    beam = base.new_list("Beam", "GT1")
    a = attach_new(base, beam, "A.dat", (0, 0), (0, 100))
    b = attach_new(base, beam, "B.dat", (0, 0), new_end)

    assert base.piov(a)["payload_list"] is None
    assert members(base, beam) == {b: ("B.dat", (0, 0), new_end)}
    assert base.res("GT1", 0, 50) == [row("Beam", "B.dat", (0, 0), new_end)]
    assert iov_count(base, beam) == 1
    assert len(base.ok(base.get("piov")).json) == 2


def test_43_reattach_to_its_own_list_is_a_no_op(base):
    """Scenario 43: attaching X again to its list answers 200 and changes no id or range."""
    beam = base.new_list("Beam", "GT1")
    attach_new(base, beam, "a.dat", (0, 0))
    x = attach_new(base, beam, "x.dat", (10, 0), (20, 0))
    attach_new(base, beam, "y.dat", (20, 0), (25, 0))
    before = members(base, beam)
    assert len(before) == 4  # a [0,10), x, y, a' [25,∞)
    count = iov_count(base, beam)
    everything = base.ok(base.get("piov")).json

    again = base.att(beam, x)
    assert again.status_code == 200
    assert again.json == base.piov(x)
    assert again.json["payload_list"] == beam

    assert members(base, beam) == before
    assert iov_count(base, beam) == count
    assert [span(i) for i in base.ok(base.get("piov")).json] == [span(i) for i in everything]
    assert base.res("GT1", 15, 0) == [row("Beam", "x.dat", (10, 0), (20, 0))]


def test_44_move_an_iov_between_unlocked_gts(base):
    """Scenario 44: X leaves L1 (GT1) for L2 (GT2); counts and resolutions follow."""
    l1 = base.new_list("Beam", "GT1")
    l2 = base.new_list("Beam", "GT2")
    attach_new(base, l1, "a.dat", (0, 0), (10, 0))
    x = attach_new(base, l1, "x.dat", (10, 0))
    assert iov_count(base, l1) == 2 and iov_count(base, l2) == 0
    assert base.res("GT1", 12, 0) == [row("Beam", "x.dat", (10, 0))]

    moved = base.att(l2, x)
    assert moved.status_code == 200
    assert moved.json["payload_list"] == l2

    assert iov_count(base, l1) == 1
    assert iov_count(base, l2) == 1
    # No gap filling in the list it left: the predecessor keeps its end.
    assert base.res("GT1", 12, 0) == [row("Beam", "a.dat", (0, 0), (10, 0))]
    assert base.res("GT2", 12, 0) == [row("Beam", "x.dat", (10, 0))]
    assert span(base.piov(x)) == ("x.dat", (10, 0), OPEN)
    assert gt_row(base, "GT1")["payload_iov_count"] == 1
    assert gt_row(base, "GT2")["payload_iov_count"] == 1


def test_45_detached_list_applies_the_algorithm(base):
    """Scenario 45: attaches to a list without a GT trim and split; after ``pl_attach`` the results resolve."""
    detached = base.new_list("Beam")
    a = attach_new(base, detached, "a.dat", (0, 0))
    b = attach_new(base, detached, "b.dat", (10, 0))
    c = attach_new(base, detached, "c.dat", (20, 0), (30, 0))
    current = members(base, detached)
    (b2,) = set(current) - {a, b, c}
    assert current == {a: ("a.dat", (0, 0), (10, 0)), b: ("b.dat", (10, 0), (20, 0)),
                       c: ("c.dat", (20, 0), (30, 0)), b2: ("b.dat", (30, 0), OPEN)}
    assert iov_count(base, detached) == 4
    assert base.res("GT1", 5, 0) == []

    base.ok(base.put("pl_attach", {"global_tag": "GT1", "payload_list": detached}))
    assert base.res("GT1", 5, 0) == [row("Beam", "a.dat", (0, 0), (10, 0))]
    assert base.res("GT1", 15, 0) == [row("Beam", "b.dat", (10, 0), (20, 0))]
    assert base.res("GT1", 25, 0) == [row("Beam", "c.dat", (20, 0), (30, 0))]
    assert base.res("GT1", 31, 0) == [row("Beam", "b.dat", (30, 0), OPEN)]
    assert gt_row(base, "GT1")["payload_iov_count"] == 4


def test_45_custom_status_behaves_as_unlocked(base):
    """Scenario 45 / §1, §4.3 step 6: a GT with any other status name gets the unlocked algorithm."""
    base.status("online")
    base.global_tag("GT3", status="online")
    beam = base.new_list("Beam", "GT3")
    a = attach_new(base, beam, "a.dat", (0, 0))
    x = attach_new(base, beam, "x.dat", (0, 0), (5, 0))
    current = members(base, beam)
    (copy,) = set(current) - {x}
    assert base.piov(a)["payload_list"] is None
    assert current == {x: ("x.dat", (0, 0), (5, 0)), copy: ("a.dat", (5, 0), OPEN)}


def test_46_overlapping_list_from_bulk(base):
    """Scenario 46: X [15,35) into a bulk-loaded [10,∞), [20,∞), [30,∞) trims, detaches and shifts."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.post("bulk_piov", [{"payload_url": f"u{major}.dat", "checksum": f"cu{major}",
                                     "payload_list": beam, "major_iov": major, "minor_iov": 0}
                                    for major in (10, 20, 30)]))
    ids = {span(i)[0]: i["id"] for i in base.ok(base.get("piov")).json}
    assert iov_count(base, beam) == 3

    x = attach_new(base, beam, "x.dat", (15, 0), (35, 0))

    assert base.res("GT1", 12, 0) == [row("Beam", "u10.dat", (10, 0), (15, 0))]
    assert base.res("GT1", 16, 0) == [row("Beam", "x.dat", (15, 0), (35, 0))]
    assert base.res("GT1", 32, 0) == [row("Beam", "x.dat", (15, 0), (35, 0))]
    assert base.res("GT1", 35, 0) == [row("Beam", "u30.dat", (35, 0), OPEN)]
    assert base.piov(ids["u20.dat"])["payload_list"] is None
    assert members(base, beam) == {ids["u10.dat"]: ("u10.dat", (10, 0), (15, 0)), x: ("x.dat", (15, 0), (35, 0)),
                                   ids["u30.dat"]: ("u30.dat", (35, 0), OPEN)}
    assert iov_count(base, beam) == 3
    assert len(base.ok(base.get("piov")).json) == 4
