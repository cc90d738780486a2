"""Scenarios 105-106 (spec §11 Q): browse mode (§3.7), light and nested GT views (§3.2)."""

from __future__ import annotations

import re

import pytest

from sciplane_conditions.testing import MAX, Api

GT_ROW = ["id", "name", "author", "status", "payload_lists_count", "payload_iov_count", "created", "updated"]
PAGE = ["count", "page", "page_size", "total_pages", "results"]
LIST_ROW = ["id", "name", "global_tag", "payload_type", "iov_count", "created"]
IOV_ROW = ["id", "payload_url", "checksum", "major_iov", "minor_iov", "major_iov_end", "minor_iov_end",
           "payload_list", "global_tag", "payload_type", "inserted"]
PIOV = ["id", "payload_url", "checksum", "major_iov", "minor_iov", "comb_iov", "major_iov_end", "minor_iov_end",
        "payload_list", "inserted"]
NESTED = ["id", "name", "author", "status", "payload_lists", "created", "updated"]
NESTED_STATUS = ["id", "name", "description", "created"]
NESTED_LIST = ["id", "name", "global_tag", "payload_type", "payload_iov", "created"]


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


def browse(api: Api, path: str, query: str) -> dict:
    result = api.ok(api.get(path, query))
    assert list(result.json) == PAGE, result.json
    for row in result.json["results"]:
        for key in ("created", "updated", "inserted"):
            if key in row:
                assert TIMESTAMP.match(row[key]), (key, row[key])
    return result.json


def names(page: dict) -> list[str]:
    return [row["name"] for row in page["results"]]


@pytest.fixture
def catalog(base):
    """Base setup plus GT3 (author "me") and GT4 (author "zed", locked); lists and IOVs on GT1 and GT2.

    GT1: Beam list with a [0,10) and b [10,∞); GT2: CEMC list with c [0,∞), Beam list with d [5,∞);
    one replaced (detached) Beam list, and one never-attached IOV.
    """
    base.global_tag("GT3")
    base.global_tag("GT4", status="locked", author="zed")
    base.lists = {}
    base.lists["GT1", "Beam"] = beam = base.new_list("Beam", "GT1")
    for url, start, end in (("a.dat", (0, 0), (10, 0)), ("b.dat", (10, 0), None)):
        base.ok(base.att(beam, base.mk(url, start, end)))
    base.lists["GT2", "CEMC"] = cemc = base.new_list("CEMC", "GT2")
    base.ok(base.att(cemc, base.mk("c.dat", (0, 0))))
    base.lists["old"] = old = base.new_list("Beam", "GT2")
    base.ok(base.att(old, base.mk("old.dat", (1, 0))))
    base.lists["GT2", "Beam"] = beam2 = base.new_list("Beam", "GT2")  # replaces `old` on GT2
    base.ok(base.att(beam2, base.mk("d.dat", (5, 0))))
    base.loose = base.mk("loose.dat", (0, 0))
    return base


# -- 105 ------------------------------------------------------------------------------------------


def test_105_global_tags_page(catalog):
    """105: 4 GTs, page 1 of size 2 sorted by name descending."""
    page = browse(catalog, "global-tags", "page=1&page_size=2&sort=name&order=desc")
    assert {k: page[k] for k in PAGE[:4]} == {"count": 4, "page": 1, "page_size": 2, "total_pages": 2}
    assert names(page) == ["GT4", "GT3"]
    assert all(list(row) == GT_ROW for row in page["results"])
    flat = {row["name"]: row for row in catalog.ok(catalog.get("globalTags")).json}
    assert page["results"] == [flat["GT4"], flat["GT3"]]
    second = browse(catalog, "global-tags", "page=2&page_size=2&sort=name&order=desc")
    assert names(second) == ["GT2", "GT1"]
    assert (second["page"], second["total_pages"]) == (2, 2)
    assert flat["GT2"]["payload_lists_count"] == 2 and flat["GT2"]["payload_iov_count"] == 2


def test_105_page_and_page_size_rules(catalog):
    """105: past the end → empty; invalid page → 1; page_size clamped (5000 → 1000, 0 → 1), invalid → 25."""
    page = browse(catalog, "global-tags", "page=99")
    assert (page["count"], page["page"], page["page_size"], page["total_pages"], page["results"]) == (4, 99, 25, 1, [])
    for bad in ("abc", "0", "-3", "", "1.5"):
        page = browse(catalog, "global-tags", f"page={bad}")
        assert page["page"] == 1, bad
        assert names(page) == ["GT1", "GT2", "GT3", "GT4"], bad
    assert browse(catalog, "global-tags", "page=1&page_size=5000")["page_size"] == 1000
    page = browse(catalog, "global-tags", "page=1&page_size=0")
    assert (page["page_size"], page["total_pages"], names(page)) == (1, 4, ["GT1"])
    assert browse(catalog, "global-tags", "page=1&page_size=abc")["page_size"] == 25
    assert browse(catalog, "global-tags", "page=1&page_size=-5")["page_size"] == 1
    # ``page`` switches browse mode on whatever its value.
    assert list(catalog.ok(catalog.get("global-tags", "page")).json) == PAGE


def test_105_sort_rules(catalog):
    """105: unknown sort → the default (name); ``order`` other than desc → ascending; id breaks ties."""
    assert names(browse(catalog, "global-tags", "page=1&sort=nosuch")) == ["GT1", "GT2", "GT3", "GT4"]
    assert names(browse(catalog, "global-tags", "page=1&sort=name&order=up")) == ["GT1", "GT2", "GT3", "GT4"]
    assert names(browse(catalog, "global-tags", "page=1&sort=author&order=desc")) == ["GT4", "GT1", "GT2", "GT3"]
    assert names(browse(catalog, "global-tags", "page=1&sort=payload_iov_count&order=desc")) == \
        ["GT1", "GT2", "GT3", "GT4"]
    assert names(browse(catalog, "global-tags", "page=1&sort=id&order=desc")) == ["GT4", "GT3", "GT2", "GT1"]
    # "locked" < "unlocked"; ties by ascending id in both directions.
    assert names(browse(catalog, "global-tags", "page=1&sort=status")) == ["GT4", "GT1", "GT2", "GT3"]
    assert names(browse(catalog, "global-tags", "page=1&sort=status&order=desc")) == ["GT1", "GT2", "GT3", "GT4"]


def test_105_search_and_filters(catalog):
    """105: search is a case-insensitive substring; filters select exact names."""
    page = browse(catalog, "payload-types", "page=1&search=cem")
    assert page["count"] == 1
    assert [list(row) for row in page["results"]] == [["id", "name", "created"]]
    assert names(page) == ["CEMC"]
    assert names(browse(catalog, "global-tags", "page=1&search=ZED")) == ["GT4"]
    assert names(browse(catalog, "global-tags", "page=1&search=gt")) == ["GT1", "GT2", "GT3", "GT4"]
    assert names(browse(catalog, "global-tags", "page=1&status=locked")) == ["GT4"]
    assert browse(catalog, "global-tags", "page=1&search=nothing") == {
        "count": 0, "page": 1, "page_size": 25, "total_pages": 1, "results": []}


def test_105_payload_lists(catalog):
    """105: list rows carry names and ``iov_count``; filter by GT or type; search list, GT and type names."""
    lists = catalog.lists
    page = browse(catalog, "payload-lists", "page=1&global_tag=GT2")
    assert all(list(row) == LIST_ROW for row in page["results"])
    rows = {row["name"]: row for row in page["results"]}
    assert set(rows) == {lists["GT2", "CEMC"], lists["GT2", "Beam"]}
    assert rows[lists["GT2", "CEMC"]]["iov_count"] == 1
    assert (rows[lists["GT2", "Beam"]]["global_tag"], rows[lists["GT2", "Beam"]]["payload_type"]) == ("GT2", "Beam")
    # Default sort is by name.
    assert names(page) == sorted(rows)
    every = browse(catalog, "payload-lists", "page=1&sort=id")
    assert every["count"] == 4
    detached = next(row for row in every["results"] if row["name"] == lists["old"])
    assert (detached["global_tag"], detached["payload_type"], detached["iov_count"]) == (None, "Beam", 1)
    assert {row["name"] for row in browse(catalog, "payload-lists", "page=1&payload_type=Beam")["results"]} == \
        {lists["GT1", "Beam"], lists["old"], lists["GT2", "Beam"]}
    assert names(browse(catalog, "payload-lists", "page=1&search=gt1")) == [lists["GT1", "Beam"]]
    assert names(browse(catalog, "payload-lists", "page=1&search=cem")) == [lists["GT2", "CEMC"]]
    assert names(browse(catalog, "payload-lists", "page=1&search=" + lists["old"].lower())) == [lists["old"]]


def test_105_payload_iovs(catalog):
    """105: IOV rows carry list, GT and type names; detached IOVs appear with null names."""
    beam = catalog.lists["GT1", "Beam"]
    page = browse(catalog, "payload-iovs", f"page=1&payload_list={beam}&sort=major_iov")
    assert page["count"] == 2
    assert all(list(row) == IOV_ROW for row in page["results"])
    first, second = page["results"]
    assert {k: first[k] for k in IOV_ROW[1:10]} == {
        "payload_url": "a.dat", "checksum": "ca", "major_iov": 0, "minor_iov": 0, "major_iov_end": 10,
        "minor_iov_end": 0, "payload_list": beam, "global_tag": "GT1", "payload_type": "Beam"}
    assert (second["payload_url"], second["major_iov_end"], second["minor_iov_end"]) == ("b.dat", MAX, MAX)
    every = browse(catalog, "payload-iovs", "page=1")
    assert every["count"] == 6
    assert [row["id"] for row in every["results"]] == sorted(row["id"] for row in every["results"])
    loose = next(row for row in every["results"] if row["payload_url"] == "loose.dat")
    assert (loose["payload_list"], loose["global_tag"], loose["payload_type"]) == (None, None, None)
    old = next(row for row in every["results"] if row["payload_url"] == "old.dat")
    assert (old["payload_list"], old["global_tag"], old["payload_type"]) == (catalog.lists["old"], None, "Beam")
    assert [r["payload_url"] for r in browse(catalog, "payload-iovs", "page=1&global_tag=GT2")["results"]] == \
        ["c.dat", "d.dat"]
    assert [r["payload_url"] for r in browse(catalog, "payload-iovs", "page=1&payload_type=CEMC")["results"]] == \
        ["c.dat"]
    assert [r["payload_url"] for r in browse(catalog, "payload-iovs", "page=1&search=LOOSE")["results"]] == \
        ["loose.dat"]
    by_list = browse(catalog, "payload-iovs", "page=1&search=" + beam)["results"]
    assert [r["payload_url"] for r in by_list] == ["a.dat", "b.dat"]
    piov = {row["id"]: row for row in catalog.ok(catalog.get("piov")).json}
    for row in every["results"]:
        assert row["inserted"] == piov[row["id"]]["inserted"]


@pytest.mark.parametrize(("legacy", "alias", "query"), [
    ("globalTags", "global-tags", "page=1&page_size=2&sort=name&order=desc"),
    ("pt", "payload-types", "page=1&search=cem"),
    ("pl", "payload-lists", "page=1&global_tag=GT2"),
    ("piov", "payload-iovs", "page=1&sort=major_iov&order=desc"),
])
def test_105_legacy_paths_are_identical(catalog, legacy, alias, query):
    """105: ``globalTags?page=1`` and the other legacy paths give the same bytes as the aliases."""
    a, b = catalog.ok(catalog.get(legacy, query)), catalog.ok(catalog.get(alias, query))
    assert a.content == b.content
    assert a.headers["etag"] == b.headers["etag"]


@pytest.mark.parametrize("conditions_settings", [{"browse_max_page_size": 3}])
def test_105_configured_page_size_limit(catalog, conditions_settings):
    """105 (§8): ``browse_max_page_size`` bounds ``page_size``."""
    page = browse(catalog, "global-tags", "page=1&page_size=5000")
    assert (page["page_size"], page["total_pages"], len(page["results"])) == (3, 2, 3)


# -- 106 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["light", "light=", "light=0", "light=1", "x=1&light"])
def test_106_light(catalog, query):
    """106: any ``light`` parameter gives the flat ``<gt-row>``."""
    result = catalog.ok(catalog.get("globalTag/GT2", query))
    assert list(result.json) == GT_ROW
    flat = next(row for row in catalog.ok(catalog.get("globalTags")).json if row["name"] == "GT2")
    assert result.json == flat
    assert (flat["status"], flat["payload_lists_count"], flat["payload_iov_count"]) == ("unlocked", 2, 2)
    assert catalog.ok(catalog.get("global-tags/GT2", query)).content == result.content


def test_106_nested_order_and_shape(base):
    """106: the full view orders lists by type name and IOVs by (major, minor, id), keys in the reference's order."""
    base.payload_type("Alpha")
    cemc = base.new_list("CEMC", "GT1")  # the lowest list id, yet the last by type name
    beam = base.new_list("Beam", "GT1")
    alpha = base.new_list("Alpha", "GT1")
    ids = {}
    for url, start, end in (("z.dat", (20, 0), None), ("a.dat", (0, 0), (10, 0)), ("m.dat", (10, 0), (20, 0))):
        ids[url] = base.mk(url, start, end)
        base.ok(base.att(beam, ids[url]))
    base.ok(base.post("bulk_piov", [
        {"payload_url": url, "payload_list": cemc, "major_iov": major, "minor_iov": minor}
        for url, major, minor in (("d1.dat", 5, 0), ("d2.dat", 5, 0), ("d0.dat", 1, 0), ("n.dat", -1, 7))]))
    result = base.ok(base.get("globalTag/GT1"))
    gt = result.json
    assert list(gt) == NESTED
    assert (gt["id"], gt["name"], gt["author"]) == (1, "GT1", "me")
    assert list(gt["status"]) == NESTED_STATUS
    assert (gt["status"]["id"], gt["status"]["name"], gt["status"]["description"]) == (1, "unlocked", None)
    assert [lst["payload_type"] for lst in gt["payload_lists"]] == ["Alpha", "Beam", "CEMC"]
    assert [lst["name"] for lst in gt["payload_lists"]] == [alpha, beam, cemc]
    for lst in gt["payload_lists"]:
        assert list(lst) == NESTED_LIST
        assert lst["global_tag"] == "GT1"
        for iov in lst["payload_iov"]:
            assert list(iov) == PIOV
            assert iov["payload_list"] == lst["name"]
    alpha_list, beam_list, cemc_list = gt["payload_lists"]
    assert alpha_list["payload_iov"] == []
    assert [i["payload_url"] for i in beam_list["payload_iov"]] == ["a.dat", "m.dat", "z.dat"]
    assert [i["id"] for i in beam_list["payload_iov"]] == [ids["a.dat"], ids["m.dat"], ids["z.dat"]]
    assert [i["payload_url"] for i in cemc_list["payload_iov"]] == ["n.dat", "d0.dat", "d1.dat", "d2.dat"]
    assert cemc_list["payload_iov"][0]["comb_iov"] == "-0.9999999999999999993"
    assert base.piov(ids["m.dat"]) == beam_list["payload_iov"][1]
    assert gt["created"] <= gt["updated"]
    assert result.headers["content-type"].startswith("application/json")


def test_106_gt_by_id_equals_by_name_and_all(catalog):
    """106: ``gt/<id>`` equals ``globalTag/<name>``, and ``GET gt`` nests every GT by id."""
    nested = []
    for row in catalog.ok(catalog.get("globalTags")).json:
        by_name = catalog.ok(catalog.get(f"globalTag/{row['name']}"))
        by_id = catalog.ok(catalog.get(f"gt/{row['id']}"))
        assert by_id.content == by_name.content
        assert catalog.ok(catalog.get(f"global-tags/{row['name']}")).content == by_name.content
        nested.append(by_name.json)
    everything = catalog.ok(catalog.get("gt")).json
    assert everything == nested
    assert [gt["name"] for gt in everything] == ["GT1", "GT2", "GT3", "GT4"]
    gt2 = everything[1]
    assert [lst["payload_type"] for lst in gt2["payload_lists"]] == ["Beam", "CEMC"]
    assert [lst["name"] for lst in gt2["payload_lists"]] == [catalog.lists["GT2", "Beam"], catalog.lists["GT2", "CEMC"]]
    assert everything[3]["status"]["name"] == "locked" and everything[3]["payload_lists"] == []


def test_106_unknown_gt(catalog):
    """106: ``globalTag/NoGT`` (with or without ``light``) and unknown ids are 404 "Not found."."""
    for path, query in (("globalTag/NoGT", ""), ("globalTag/NoGT", "light"), ("global-tags/NoGT", ""),
                        ("gt/99", ""), ("gt/9223372036854775808", "")):
        result = catalog.get(path, query)
        assert (result.status_code, result.json) == (404, {"detail": "Not found.", "code": "not_found"}), path
        assert result.headers["cache-control"] == "no-store"


def _odd_iovs(api: Api, list_name: str) -> None:
    """IOVs whose objects are hard to render: int64 limits, negative coordinates, strings that need escaping."""
    items = [((MAX - 1, MAX), "max.dat", "c"), ((-MAX - 1, -MAX - 1), "min.dat", "c"), ((-1, 7), "neg.dat", "c"),
             ((0, -5), "neg-minor.dat", "c"), ((3, 0), 'quote"back\\slash.dat', 'tab\there'),
             ((4, 0), "ctl\x01\x1f\n.dat", "\x7f"), ((5, 0), "ünï/码/😀.dat", "é")]
    api.ok(api.post("bulk_piov", [{"payload_url": url, "checksum": checksum, "payload_list": list_name,
                                   "major_iov": major, "minor_iov": minor}
                                  for (major, minor), url, checksum in items]))


def test_106_nested_objects_equal_detail_objects(base):
    """106: every nested ``<piov>`` is the object ``piov/<id>`` renders, even for values that need escaping or
    signs (on PostgreSQL the database renders the nested ones; here both renderers must agree)."""
    beam = base.new_list("Beam", "GT1")
    _odd_iovs(base, beam)
    (nested_list,) = base.ok(base.get("globalTag/GT1")).json["payload_lists"]
    iovs = nested_list["payload_iov"]
    assert len(iovs) == 7
    assert [iov["comb_iov"] for iov in iovs[:2]] == ["-9223372036854775808.9223372036854775808",
                                                      "-0.9999999999999999993"]
    for iov in iovs:
        detail = base.piov(iov["id"])
        assert list(iov.items()) == list(detail.items())
    assert [lst["payload_iov"] for lst in base.ok(base.get("pl")).json if lst["name"] == beam] == [iovs]


@pytest.fixture
def two_renderers(monkeypatch):
    """Tiny chunks, and a companion connection for any GT (PostgreSQL), so every seam is crossed."""
    from sciplane_conditions.services import iov_json, reads

    def use(companion: bool) -> None:
        monkeypatch.setattr(iov_json, "CHUNK", 2)
        monkeypatch.setattr(reads, "CHUNK", 2)
        monkeypatch.setattr(iov_json, "COMPANION_MIN_IOVS", 1 if companion else 10**12)
    return use


def test_106_nested_view_the_same_with_a_companion(base, two_renderers):
    """106: a large GT's lists rendered on two connections (PostgreSQL) come out exactly as on one."""
    for index, payload_type in enumerate(("Beam", "CEMC", "Alpha", "Delta", "Echo")):
        if payload_type not in ("Beam", "CEMC"):
            base.payload_type(payload_type)
        name = base.new_list(payload_type, "GT1")
        base.ok(base.post("bulk_piov", [{"payload_url": f"{payload_type}/{i}.dat", "payload_list": name,
                                         "major_iov": i, "minor_iov": index} for i in range(index * 3)]))
    _odd_iovs(base, base.new_list("Beam", "GT2"))
    two_renderers(companion=False)
    alone = {path: base.ok(base.get(path)).content for path in ("globalTag/GT1", "gt", "pl")}
    two_renderers(companion=True)
    for path, content in alone.items():
        assert base.ok(base.get(path)).content == content, path
    # With every companion slot taken, a large tag renders on one connection, the same bytes.
    from sciplane_conditions.services import iov_json
    taken = 0
    while iov_json.COMPANIONS.acquire(blocking=False):
        taken += 1
    try:
        assert base.ok(base.get("globalTag/GT1")).content == alone["globalTag/GT1"]
    finally:
        for _ in range(taken):
            iov_json.COMPANIONS.release()
    gt1 = base.ok(base.get("globalTag/GT1")).json
    assert [len(lst["payload_iov"]) for lst in gt1["payload_lists"]] == [6, 0, 3, 9, 12]


def test_106_nested_view_closed_early_stops_its_companion(app, base, two_renderers):
    """106: a client that goes away mid-body leaves no rendering thread (nor its connection) behind."""
    import threading

    from falcon.testing import create_environ

    name = base.new_list("Beam", "GT1")
    base.payload_type("Alpha")
    other = base.new_list("Alpha", "GT1")
    for list_name in (name, other):
        base.ok(base.post("bulk_piov", [{"payload_url": f"{i}.dat", "payload_list": list_name, "major_iov": i,
                                         "minor_iov": 0} for i in range(40)]))
    two_renderers(companion=True)
    body = app(create_environ("/api/cdb_rest/globalTag/GT1"), lambda status, headers, exc_info=None: None)
    assert next(iter(body))
    body.close()
    assert not [t for t in threading.enumerate() if t.name == "cond-iov-json"]
    from sciplane_conditions.services import iov_json
    slots = [iov_json.COMPANIONS.acquire(blocking=False) for _ in range(2)]  # the companion's slot is back
    for _ in range(sum(slots)):
        iov_json.COMPANIONS.release()
    assert slots == [True, True]
    assert base.ok(base.get("globalTag/GT1")).json["payload_lists"][0]["payload_iov"][39]["payload_url"] == "39.dat"
