"""Section O of the specification's scenarios: ``iov_mode = "discrete"``, inclusive ends (95-98)."""

from __future__ import annotations

import pytest

from sciplane_conditions.testing import MAX, OPEN, attach_new, members, row, span

MIN = -MAX - 1


@pytest.fixture
def conditions_settings():
    return {"iov_mode": "discrete"}


def test_95_range_rules(base):
    """Scenario 95: a zero-length IOV is valid in discrete mode; an end before the start is not."""
    assert base.ok(base.get("user_settings/CDB_IOV_MODE/")).json == {"CDB_IOV_MODE": "discrete"}

    created = base.post("piov", {"payload_url": "z.dat", "checksum": "cz", "major_iov": 3, "minor_iov": 0,
                                 "major_iov_end": 3, "minor_iov_end": 0})
    assert created.status_code == 200, created.content
    assert span(created.json) == ("z.dat", (3, 0), (3, 0))
    beam = base.new_list("Beam", "GT1")
    assert base.att(beam, created.json["id"]).status_code == 200
    assert base.res("GT1", 3, 0) == [row("Beam", "z.dat", (3, 0), (3, 0))]

    for start, end in (((5, 0), (4, 0)), ((3, 1), (3, 0)), ((3, 0), (2, MAX))):
        bad = base.post("piov", {"payload_url": "bad.dat", "checksum": "x", "major_iov": start[0],
                                 "minor_iov": start[1], "major_iov_end": end[0], "minor_iov_end": end[1]})
        assert bad.status_code == 400, (start, end)
        assert bad.json == {
            "detail": "bad.dat PayloadIOV ending IOVs should be greater or equal than starting. Provided end IOVs: "
                      f"major_iov: {start[0]} major_iov_end: {end[0]} minor_iov: {start[1]} minor_iov_end: {end[1]}",
            "code": "invalid_iov_range"}
    assert len(base.ok(base.get("piov")).json) == 1


def test_96_split_with_inclusive_ends(base):
    """Scenario 96: X [(0,20),(0,30)] splits A [(0,0),∞] into (0,0)-(0,19) and (0,31)-∞."""
    beam = base.new_list("Beam", "GT1")
    a = attach_new(base, beam, "A.dat", (0, 0), OPEN)
    x = attach_new(base, beam, "X.dat", (0, 20), (0, 30))

    current = members(base, beam)
    (copy,) = set(current) - {a, x}
    assert current == {a: ("A.dat", (0, 0), (0, 19)), x: ("X.dat", (0, 20), (0, 30)),
                       copy: ("A.dat", (0, 31), OPEN)}
    assert base.res("GT1", 0, 19) == [row("Beam", "A.dat", (0, 0), (0, 19))]
    assert base.res("GT1", 0, 20) == [row("Beam", "X.dat", (0, 20), (0, 30))]
    assert base.res("GT1", 0, 30) == [row("Beam", "X.dat", (0, 20), (0, 30))]
    assert base.res("GT1", 0, 31) == [row("Beam", "A.dat", (0, 31), OPEN)]


def test_96_shift_cover_and_same_start_with_inclusive_ends(base):
    """Scenario 96 / §4.4 in discrete mode: the successor starts at succ(e); an IOV ending at e is covered."""
    shifted = base.new_list("Beam", "GT1")
    n = attach_new(base, shifted, "n.dat", (0, 10), (0, 20))
    x = attach_new(base, shifted, "x.dat", (0, 5), (0, 10))
    assert members(base, shifted) == {x: ("x.dat", (0, 5), (0, 10)), n: ("n.dat", (0, 11), (0, 20))}

    covered = base.new_list("CEMC", "GT1")
    c = attach_new(base, covered, "c.dat", (0, 5), (0, 10))
    y = attach_new(base, covered, "y.dat", (0, 0), (0, 10))
    assert base.piov(c)["payload_list"] is None
    assert members(base, covered) == {y: ("y.dat", (0, 0), (0, 10))}

    base.new_list("Beam", "GT2")
    same = base.ok(base.get("gtPayloadLists/GT2")).json["Beam"]
    a = attach_new(base, same, "A.dat", (0, 0), OPEN)
    b = attach_new(base, same, "B.dat", (0, 0), (0, 10))
    current = members(base, same)
    (copy,) = set(current) - {b}
    assert base.piov(a)["payload_list"] is None
    assert current == {b: ("B.dat", (0, 0), (0, 10)), copy: ("A.dat", (0, 11), OPEN)}
    assert base.res("GT2", 0, 10) == [row("Beam", "B.dat", (0, 0), (0, 10))]
    assert base.res("GT2", 0, 11) == [row("Beam", "A.dat", (0, 11), OPEN)]


def test_97_no_overflow(base):
    """Scenario 97: appending after an open-ended IOV trims it to pred(start) without overflowing."""
    beam = base.new_list("Beam", "GT1")
    a = attach_new(base, beam, "A.dat", (0, 0), OPEN)
    b = base.mk("B.dat", (10, 0), OPEN)
    result = base.att(beam, b)
    assert result.status_code == 200, result.content
    assert members(base, beam) == {a: ("A.dat", (0, 0), (10, -1)), b: ("B.dat", (10, 0), OPEN)}

    c = attach_new(base, beam, "C.dat", (20, 0), (30, 0))
    current = members(base, beam)
    (copy,) = set(current) - {a, b, c}
    assert current == {a: ("A.dat", (0, 0), (10, -1)), b: ("B.dat", (10, 0), (20, -1)),
                       c: ("C.dat", (20, 0), (30, 0)), copy: ("B.dat", (30, 1), OPEN)}
    assert base.res("GT1", 10, -1) == [row("Beam", "A.dat", (0, 0), (10, -1))]
    assert base.res("GT1", 20, -1) == [row("Beam", "B.dat", (10, 0), (20, -1))]
    assert base.res("GT1", 30, 0) == [row("Beam", "C.dat", (20, 0), (30, 0))]
    assert base.res("GT1", 30, 1) == [row("Beam", "B.dat", (30, 1), OPEN)]


def test_97_neighbours_wrap_across_majors(base):
    """Scenario 97 / §4.1: pred and succ carry into the major at the ends of the minor range."""
    beam = base.new_list("Beam", "GT1")
    a = attach_new(base, beam, "A.dat", (0, 0), OPEN)
    x = attach_new(base, beam, "X.dat", (5, MIN), (6, MAX))
    current = members(base, beam)
    (copy,) = set(current) - {a, x}
    assert current == {a: ("A.dat", (0, 0), (4, MAX)), x: ("X.dat", (5, MIN), (6, MAX)),
                       copy: ("A.dat", (7, MIN), OPEN)}
    assert base.res("GT1", 4, MAX) == [row("Beam", "A.dat", (0, 0), (4, MAX))]
    assert base.res("GT1", 7, MIN) == [row("Beam", "A.dat", (7, MIN), OPEN)]


def test_97_attach_at_the_very_end(base):
    """Scenario 97 / §4.1: an IOV ending at (MAX,MAX) has no successor point; nothing overflows."""
    beam = base.new_list("Beam", "GT1")
    a = attach_new(base, beam, "A.dat", (0, 0), OPEN)
    x = attach_new(base, beam, "X.dat", (MAX, MAX), OPEN)
    assert members(base, beam) == {a: ("A.dat", (0, 0), (MAX, MAX - 1)), x: ("X.dat", OPEN, OPEN)}
    y = attach_new(base, beam, "Y.dat", (MAX, 0), OPEN)
    assert base.piov(x)["payload_list"] is None
    assert members(base, beam) == {a: ("A.dat", (0, 0), (MAX, -1)), y: ("Y.dat", (MAX, 0), OPEN)}
    assert base.res("GT1", MAX, MAX) == [row("Beam", "Y.dat", (MAX, 0), OPEN)]


def test_98_locked_rules_use_inclusive_ends(base):
    """Scenario 98: in a locked list [(0,0),(0,10)], X starting at (0,10) overlaps; (0,11) does not."""
    beam = base.new_list("Beam", "GT1")
    first = attach_new(base, beam, "f.dat", (0, 0), (0, 10))
    base.ok(base.put("gt_change_status/GT1/locked"))

    x = base.mk("x.dat", (0, 10), (0, 20))
    refused = base.att(beam, x)
    assert refused.status_code == 409
    assert refused.json == {
        "detail": "GT is LOCKED. You are attempting to insert IOV (major_iov,minor_iov,major_iov_end, minor_iov_end) "
                  "(0,10,0,20). Conflicts with existing IOV f.dat (0,0,0,10)",
        "code": "gt_locked"}
    assert base.piov(x)["payload_list"] is None

    y = base.mk("y.dat", (0, 11), (0, 20))
    assert base.att(beam, y).status_code == 200
    assert members(base, beam) == {first: ("f.dat", (0, 0), (0, 10)), y: ("y.dat", (0, 11), (0, 20))}


def test_98_locked_successor_with_inclusive_ends(base):
    """Scenario 98 / §4.5 step 3: X ending at the successor's start runs into it in discrete mode."""
    beam = base.new_list("Beam", "GT1")
    n = attach_new(base, beam, "n.dat", (0, 10), (0, 20))
    base.ok(base.put("gt_change_status/GT1/locked"))

    x = base.mk("x.dat", (0, 0), (0, 10))
    refused = base.att(beam, x)
    assert refused.status_code == 409
    assert refused.json == {
        "detail": "GT is LOCKED. You are attempting to insert IOV (major_iov,minor_iov,major_iov_end, minor_iov_end) "
                  "(0,0,0,10). Conflicts with existing IOV n.dat (0,10,0,20)",
        "code": "gt_locked"}
    y = base.mk("y.dat", (0, 0), (0, 9))
    assert base.att(beam, y).status_code == 200
    assert members(base, beam) == {n: ("n.dat", (0, 10), (0, 20)), y: ("y.dat", (0, 0), (0, 9))}

    # After a closed last IOV, an open-ended append that does not touch it is accepted.
    after = base.mk("o.dat", (0, 21), OPEN)
    assert base.att(beam, after).status_code == 200
    assert base.res("GT1", 0, 21) == [row("Beam", "o.dat", (0, 21), OPEN)]
