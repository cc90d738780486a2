"""Section D of the specification's scenarios: resolution through ``GET payloadiovs/`` (27-35)."""

from __future__ import annotations

import pytest

from sciplane.testing import last_modified_agrees
from sciplane_conditions.testing import MAX, attach_new, row, trim_split


def test_27_trim_and_split_sequence(base):
    """Scenario 27: trim the predecessor, then split it around a closed IOV."""
    beam = base.new_list("Beam", "GT1")
    assert beam.startswith("Beam_")

    a = attach_new(base, beam, "a.dat", (0, 0))
    assert base.res("GT1", 0, 0) == [["Beam", "a.dat", "ca", None, 0, 0, MAX, MAX]]

    b = attach_new(base, beam, "b.dat", (10, 0))
    assert base.res("GT1", 9, 999) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]
    assert base.res("GT1", 10, 0) == [["Beam", "b.dat", "cb", None, 10, 0, MAX, MAX]]

    c = attach_new(base, beam, "c.dat", (20, 0), (30, 0))
    assert base.res("GT1", 19, 5) == [["Beam", "b.dat", "cb", None, 10, 0, 20, 0]]
    assert base.res("GT1", 25, 0) == [["Beam", "c.dat", "cc", None, 20, 0, 30, 0]]
    assert base.res("GT1", 30, 0) == [["Beam", "b.dat", "cb", None, 30, 0, MAX, MAX]]

    iovs = base.ok(base.get("piov")).json
    by_id = {i["id"]: i for i in iovs}
    assert len(iovs) == 4
    original = by_id[b]
    assert (original["major_iov"], original["minor_iov"], original["major_iov_end"], original["minor_iov_end"]) == (
        10, 0, 20, 0)
    assert original["payload_list"] == beam
    copies = [i for i in iovs if i["id"] not in (a, b, c)]
    assert len(copies) == 1
    copy = copies[0]
    assert copy["id"] > c
    assert (copy["payload_url"], copy["checksum"], copy["payload_list"]) == ("b.dat", "cb", beam)
    assert (copy["major_iov"], copy["minor_iov"], copy["major_iov_end"], copy["minor_iov_end"]) == (30, 0, MAX, MAX)
    assert copy["comb_iov"] == "30.0000000000000000000"
    assert copy["inserted"] >= original["inserted"]


def test_28_ends_ignored_and_lists_without_a_match_omitted(base):
    """Scenario 28: a closed IOV is still returned after its end; a list with no start ≤ the point is omitted."""
    trim_split(base)
    cemc = base.new_list("CEMC", "GT1")
    attach_new(base, cemc, "e.dat", (5, 0), (6, 0))

    assert base.res("GT1", 1, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]
    assert base.res("GT1", 7, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0],
                                     ["CEMC", "e.dat", "ce", None, 5, 0, 6, 0]]
    raw = base.ok(base.get("payloadiovs/", "gtName=GT1&majorIOV=7&minorIOV=0"))
    assert raw.headers["content-type"].startswith("application/json")


DICT_KEYS = ["payload_type_name", "payload_url", "checksum", "size", "major_iov", "minor_iov", "major_iov_end",
             "minor_iov_end"]


def shapes_setup(api) -> None:
    beam = api.new_list("Beam", "GT1")
    attach_new(api, beam, "a.dat", (0, 0), size=123, extra="rev1")
    cemc = api.new_list("CEMC", "GT1")
    attach_new(api, cemc, "e.dat", (0, 0), (6, 0))


def test_29_shapes_default_configuration(base):
    """Scenario 29: 8 columns by default; ``revision=1`` adds ``extra``; ``shape=dict`` gives objects."""
    shapes_setup(base)
    assert base.res("GT1", 1, 0) == [["Beam", "a.dat", "ca", 123, 0, 0, MAX, MAX],
                                     ["CEMC", "e.dat", "ce", None, 0, 0, 6, 0]]
    for on in ("1", "true", "yes", "on", "TRUE"):
        assert base.res("GT1", 1, 0, f"revision={on}") == [["Beam", "a.dat", "ca", 123, 0, 0, MAX, MAX, "rev1"],
                                                           ["CEMC", "e.dat", "ce", None, 0, 0, 6, 0, None]]
    assert base.res("GT1", 1, 0, "revision=0") == base.res("GT1", 1, 0)

    objects = base.res("GT1", 1, 0, "shape=dict")
    assert [list(o) for o in objects] == [DICT_KEYS, DICT_KEYS]
    assert objects[0] == {"payload_type_name": "Beam", "payload_url": "a.dat", "checksum": "ca", "size": 123,
                          "major_iov": 0, "minor_iov": 0, "major_iov_end": MAX, "minor_iov_end": MAX}

    with_revision = base.res("GT1", 1, 0, "shape=dict&revision=1")
    assert [list(o) for o in with_revision] == [DICT_KEYS + ["revision"]] * 2
    assert [o["revision"] for o in with_revision] == ["rev1", None]

    # Any other shape value gives rows.
    assert base.res("GT1", 1, 0, "shape=list") == base.res("GT1", 1, 0)

    bad = base.get("payloadiovs/", "gtName=GT1&majorIOV=1&minorIOV=0&revision=maybe")
    assert bad.status_code == 400
    assert bad.json == {"revision": ["Must be a valid boolean."], "code": "validation_error"}


@pytest.mark.parametrize("conditions_settings", [{"payloadiovs_revision": True}])
def test_29_shapes_revision_by_configuration(base):
    """Scenario 29: with ``payloadiovs_revision = true`` the 9th column is the default; ``revision=0`` drops it."""
    shapes_setup(base)
    assert base.res("GT1", 1, 0) == [["Beam", "a.dat", "ca", 123, 0, 0, MAX, MAX, "rev1"],
                                     ["CEMC", "e.dat", "ce", None, 0, 0, 6, 0, None]]
    for off in ("0", "false", "no", "off"):
        assert base.res("GT1", 1, 0, f"revision={off}") == [["Beam", "a.dat", "ca", 123, 0, 0, MAX, MAX],
                                                            ["CEMC", "e.dat", "ce", None, 0, 0, 6, 0]]
    assert [list(o) for o in base.res("GT1", 1, 0, "shape=dict")] == [DICT_KEYS + ["revision"]] * 2
    assert [list(o) for o in base.res("GT1", 1, 0, "shape=dict&revision=0")] == [DICT_KEYS] * 2


def test_30_empty_and_filtered(base):
    """Scenario 30: unknown GT, GT without lists, point before every start; the ``payloadType`` filter."""
    beam = base.new_list("Beam", "GT1")
    attach_new(base, beam, "a.dat", (0, 0))
    cemc = base.new_list("CEMC", "GT1")
    attach_new(base, cemc, "e.dat", (5, 0), (6, 0))

    assert base.res("NoGT", 1, 0) == []
    assert base.res("GT2", 1, 0) == []
    assert base.res("GT1", -1, 0) == []
    assert base.res("GT1", 0, -1) == []
    # A GT whose only list is empty: the list is omitted.
    base.new_list("Beam", "GT2")
    assert base.res("GT2", 1, 0) == []

    assert base.res("GT1", 7, 0, "payloadType=CEMC") == [["CEMC", "e.dat", "ce", None, 5, 0, 6, 0]]
    assert base.res("GT1", 7, 0, "payloadType=Beam") == [["Beam", "a.dat", "ca", None, 0, 0, MAX, MAX]]
    assert base.res("GT1", 7, 0, "payloadType=Nope") == []
    assert base.res("GT1", 1, 0, "payloadType=CEMC") == []


def bad_query(api, query: str):
    result = api.get("payloadiovs/", query)
    assert result.status_code == 400, (query, result.status_code, result.content)
    assert result.headers["content-type"].startswith("application/json")
    assert result.headers["cache-control"] == "no-store"
    return result.json


def test_31_parameter_validation(base):
    """Scenario 31: missing, blank, non-integer and out-of-range parameters give 400 field errors."""
    attach_new(base, base.new_list("Beam", "GT1"), "a.dat", (-5, 0))

    assert bad_query(base, "majorIOV=1&minorIOV=0") == {"gtName": ["This field is required."],
                                                        "code": "validation_error"}
    assert bad_query(base, "gtName=&majorIOV=1&minorIOV=0") == {"gtName": ["This field may not be blank."],
                                                                "code": "validation_error"}
    assert bad_query(base, "gtName=GT1&minorIOV=0") == {"majorIOV": ["This field is required."],
                                                        "code": "validation_error"}
    assert bad_query(base, "gtName=GT1&majorIOV=1") == {"minorIOV": ["This field is required."],
                                                        "code": "validation_error"}
    for value in ("abc", "1.5", "1e3", "0x10"):
        assert bad_query(base, f"gtName=GT1&majorIOV={value}&minorIOV=0") == {
            "majorIOV": ["A valid integer is required."], "code": "validation_error"}, value
    assert bad_query(base, "gtName=GT1&majorIOV=1&minorIOV=abc") == {
        "minorIOV": ["A valid integer is required."], "code": "validation_error"}
    assert bad_query(base, "gtName=GT1&majorIOV=1000000000000000000000000000000&minorIOV=0") == {
        "majorIOV": ["Ensure this value is less than or equal to 9223372036854775807."], "code": "validation_error"}
    assert bad_query(base, "gtName=GT1&majorIOV=0&minorIOV=-9223372036854775809") == {
        "minorIOV": ["Ensure this value is greater than or equal to -9223372036854775808."],
        "code": "validation_error"}

    # All failing fields are reported together.
    both = bad_query(base, "majorIOV=x")
    assert both == {"gtName": ["This field is required."], "majorIOV": ["A valid integer is required."],
                    "minorIOV": ["This field is required."], "code": "validation_error"}

    assert base.res("GT1", -1, MAX) == [["Beam", "a.dat", "ca", None, -5, 0, MAX, MAX]]
    assert base.res("GT1", -9223372036854775808, 0) == []


def test_32_ties_go_to_the_highest_id(base):
    """Scenario 32: duplicate starts loaded in bulk resolve to the last inserted item."""
    base.global_tag("GTBULK")
    bulk_list = base.new_list("Beam", "GTBULK")
    items = [{"payload_url": url, "payload_list": bulk_list, "major_iov": 0, "minor_iov": minor}
             for url, minor in (("b1", 100), ("b2", 100), ("b3", 200))]
    result = base.ok(base.post("bulk_piov", items))
    assert result.content == b""

    ids = {i["payload_url"]: i["id"] for i in base.ok(base.get("piov")).json}
    assert ids["b1"] < ids["b2"] < ids["b3"]

    assert base.res("GTBULK", 0, 150) == [["Beam", "b2", "", None, 0, 100, MAX, MAX]]
    assert base.res("GTBULK", 0, 100) == [["Beam", "b2", "", None, 0, 100, MAX, MAX]]
    assert base.res("GTBULK", 0, 99) == []
    assert base.res("GTBULK", 0, 200) == [["Beam", "b3", "", None, 0, 200, MAX, MAX]]


def test_32_selection_is_exact_and_lexicographic(base):
    """Scenarios 27-32 / §4.1: starts compare as pairs of integers, exactly (negative minors, large values)."""
    beam = base.new_list("Beam", "GT1")
    big = 9 * 10**18
    attach_new(base, beam, "p.dat", (0, big))
    attach_new(base, beam, "q.dat", (1, -big))
    attach_new(base, beam, "r.dat", (2 * 10**9, big))
    attach_new(base, beam, "s.dat", (2 * 10**9, big + 1))

    assert base.res("GT1", 0, big - 1) == []
    assert base.res("GT1", 0, MAX) == [row("Beam", "p.dat", (0, big), (1, -big))]
    assert base.res("GT1", 1, -big - 1) == [row("Beam", "p.dat", (0, big), (1, -big))]
    assert base.res("GT1", 1, -big) == [row("Beam", "q.dat", (1, -big), (2 * 10**9, big))]
    assert base.res("GT1", 2 * 10**9, big) == [row("Beam", "r.dat", (2 * 10**9, big), (2 * 10**9, big + 1))]
    assert base.res("GT1", 2 * 10**9, big + 1) == [row("Beam", "s.dat", (2 * 10**9, big + 1))]
    assert base.res("GT1", MAX, MAX) == [row("Beam", "s.dat", (2 * 10**9, big + 1))]


def test_33_rows_ordered_by_type_name_code_point(base):
    """Scenario 33: types b, B, a, Z come back as B, Z, a, b (code-point order, on every database)."""
    for name in ("b", "B", "a", "Z"):
        base.payload_type(name)
        base.ins("GT1", name, f"{name}.dat", (0, 0))
    assert base.res("GT1", 0, 0) == [row(name, f"{name}.dat", (0, 0)) for name in ("B", "Z", "a", "b")]
    assert list(base.ok(base.get("gtPayloadLists/GT1")).json) == ["B", "Z", "a", "b"]


ORM_ROUTES = ("payloadiovs_orm_orderby/", "payloadiovs_orm_max/")


def test_34_orm_routes(base):
    """Scenario 34: both ORM routes return the ``<piov>`` objects of the IOVs ``payloadiovs/`` selects."""
    ids = trim_split(base)
    cemc = base.new_list("CEMC", "GT1")
    e = attach_new(base, cemc, "e.dat", (5, 0), (6, 0))
    expected = [base.piov(ids["a"]), base.piov(e)]
    assert expected[0]["payload_list"] == ids["list"] and expected[1]["payload_list"] == cemc
    assert expected[0]["comb_iov"] == "0.0000000000000000000"

    for route in ORM_ROUTES:
        assert base.ok(base.get(route, "gtName=GT1&majorIOV=7&minorIOV=0")).json == expected, route
        assert base.ok(base.get(route, "gtName=GT1&majorIOV=25&minorIOV=0")).json == [base.piov(ids["c"]),
                                                                                       base.piov(e)], route
        assert base.ok(base.get(route, "gtName=GT1&majorIOV=-1&minorIOV=0")).json == [], route
        assert base.ok(base.get(route, "gtName=NoGT&majorIOV=7&minorIOV=0")).json == [], route

        missing = base.get(route, "gtName=GT1&minorIOV=0")
        assert missing.status_code == 400, route
        assert missing.json == {"majorIOV": ["This field is required."], "code": "validation_error"}
        no_gt = base.get(route, "majorIOV=1&minorIOV=0")
        assert no_gt.status_code == 400, route
        assert no_gt.json == {"gtName": ["This field is required."], "code": "validation_error"}


def test_34_orm_routes_ties_select_one_iov(base):
    """Scenario 34 with ties: ``payloadiovs_orm_max/`` returns the single IOV ``payloadiovs/`` selects (§9)."""
    tied = base.new_list("Beam", "GT1")
    base.ok(base.post("bulk_piov", [{"payload_url": url, "payload_list": tied, "major_iov": 0, "minor_iov": 0}
                                    for url in ("t1", "t2")]))
    for route in ORM_ROUTES:
        objects = base.ok(base.get(route, "gtName=GT1&majorIOV=1&minorIOV=0")).json
        assert [o["payload_url"] for o in objects] == ["t2"], route


@pytest.mark.parametrize("conditions_settings", [{"serve_orm_routes": False}])
def test_34_orm_routes_can_be_switched_off(base):
    """Scenario 34: with ``serve_orm_routes = false`` both routes are JSON 404s."""
    trim_split(base)
    for route in ORM_ROUTES:
        result = base.get(route, "gtName=GT1&majorIOV=7&minorIOV=0")
        assert result.status_code == 404, route
        assert result.json == {"detail": "Not found.", "code": "not_found"}
    assert base.res("GT1", 7, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]


def test_35_alias_is_byte_identical(base):
    """Scenario 35: ``payload-iovs/query/`` answers the same bytes and validators as ``payloadiovs/``."""
    trim_split(base)
    cemc = base.new_list("CEMC", "GT1")
    attach_new(base, cemc, "e.dat", (5, 0), (6, 0), size=7, extra="x")
    queries = ["gtName=GT1&majorIOV=7&minorIOV=0", "gtName=GT1&majorIOV=30&minorIOV=0&shape=dict&revision=1",
               "gtName=GT1&majorIOV=7&minorIOV=0&payloadType=CEMC", "gtName=NoGT&majorIOV=7&minorIOV=0"]
    for query in queries:
        legacy = base.ok(base.get("payloadiovs/", query))
        alias = base.ok(base.get("payload-iovs/query/", query))
        assert alias.content == legacy.content, query
        assert alias.headers["etag"] == legacy.headers["etag"], query
        for header in ("content-type", "cache-control"):
            assert alias.headers.get(header) == legacy.headers.get(header), (query, header)
        assert last_modified_agrees(legacy.headers.get("last-modified"), alias.headers.get("last-modified")), query

    bad = base.get("payload-iovs/query/", "gtName=GT1&majorIOV=abc&minorIOV=0")
    assert bad.status_code == 400
    assert bad.json == {"majorIOV": ["A valid integer is required."], "code": "validation_error"}
