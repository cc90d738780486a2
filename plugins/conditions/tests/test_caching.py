"""Scenarios 83-87 (spec §11 L): validators, conditional requests and Cache-Control (§6)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time

import pytest

from sciplane.testing import RawClient, count_statements
from sciplane_conditions.testing import OPEN, Api

GT_ETAG = re.compile(r'^"gt-(\d+)-(\d+)-([0-9a-f]{8})"$')
DB_ETAG = re.compile(r'^"db-(\d+)-([0-9a-f]{8})"$')
RES = "gtName={gt}&majorIOV={major}&minorIOV={minor}"


def resolve(api: Api, gt: str = "GT1", major: int = 0, minor: int = 0, **headers):
    return api.get("payloadiovs/", RES.format(gt=gt, major=major, minor=minor), headers=headers)


def gt_etag(api: Api, gt: str) -> str:
    return api.ok(resolve(api, gt)).headers["etag"]


def db_etag(api: Api) -> str:
    return api.ok(api.get("globalTags")).headers["etag"]


def parse_http_date(value: str) -> dt.datetime:
    parsed = email.utils.parsedate_to_datetime(value)
    assert parsed is not None and parsed.tzinfo is not None, value
    return parsed


def http_date(value: dt.datetime) -> str:
    return email.utils.format_datetime(value.astimezone(dt.UTC), usegmt=True)


def assert_not_modified(result, etag: str | None = None, cache: str | None = None) -> None:
    assert result.status_code == 304, (result.status_code, result.content)
    assert result.content == b""
    if etag is not None:
        assert result.headers["etag"] == etag
    assert "last-modified" in result.headers
    if cache is not None:
        assert result.headers["cache-control"] == cache


def sleep_to_next_second(after: float) -> None:
    """Wait until the wall clock has left the second of ``after`` (at most about one second)."""
    remaining = (int(after) + 1) - time.time() + 0.02
    if remaining > 0:
        time.sleep(remaining)


@pytest.fixture
def gt1(base):
    """GT1 with a Beam list holding a [0,∞); GT2 with a CEMC list holding c [0,∞)."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.att(beam, base.mk("a.dat", (0, 0))))
    cemc = base.new_list("CEMC", "GT2")
    base.ok(base.att(cemc, base.mk("c.dat", (0, 0))))
    base.beam, base.cemc = beam, cemc
    return base


# -- 83 ------------------------------------------------------------------------------------------


def test_83_validators(gt1):
    """83: a resolution carries a GT ETag, Last-Modified and ``public, max-age=0``."""
    result = gt1.ok(resolve(gt1))
    etag = result.headers["etag"]
    match = GT_ETAG.match(etag)
    assert match, etag
    assert match.group(1) == "1"
    assert int(match.group(2)) >= 1
    assert result.headers["cache-control"] == "public, max-age=0"
    last_modified = parse_http_date(result.headers["last-modified"])
    assert last_modified <= dt.datetime.now(dt.UTC)
    assert result.headers["last-modified"] == http_date(last_modified)
    assert "vary" not in result.headers
    # Every GT-scoped response of GT1 carries the same validator; query parameters are not part of it.
    assert resolve(gt1, major=7, minor=3).headers["etag"] == etag
    assert gt1.get("payloadiovs/", RES.format(gt="GT1", major=0, minor=0) + "&shape=dict").headers["etag"] == etag
    assert gt1.get("payload-iovs/query/", RES.format(gt="GT1", major=0, minor=0)).headers["etag"] == etag
    assert gt1.get("globalTag/GT1").headers["etag"] == etag
    assert gt1.get("globalTag/GT1", "light").headers["etag"] == etag
    assert gt1.get("global-tags/GT1").headers["etag"] == etag
    assert gt1.get("gt/1").headers["etag"] == etag
    assert gt1.get("gtPayloadLists/GT1").headers["etag"] == etag
    assert gt1.get("global-tags/GT1/payload-lists").headers["etag"] == etag
    # GT2 has its own.
    other = GT_ETAG.match(resolve(gt1, "GT2").headers["etag"])
    assert other and other.group(1) == "2" and other.group(3) == match.group(3)


def test_83_database_scoped_validators(gt1):
    """83 (§6.1): catalogue responses and unknown GTs carry ``"db-<version>-<cfg>"``."""
    cfg = GT_ETAG.match(gt_etag(gt1, "GT1")).group(3)
    etags = set()
    for path, query in (("globalTags", ""), ("global-tags", ""), ("gt", ""), ("gtstatus", ""), ("pt", ""),
                        ("pl", ""), ("piov", ""), ("pl/1", ""), (f"payload-lists/by-name/{gt1.beam}", ""),
                        ("piov/1", ""), ("globalTags", "page=1"), ("user_settings/CDB_IOV_MODE/", ""),
                        ("payloadiovs/", RES.format(gt="NoGT", major=0, minor=0)), ("gtPayloadLists/NoGT", "")):
        result = gt1.ok(gt1.get(path, query))
        match = DB_ETAG.match(result.headers["etag"])
        assert match and match.group(2) == cfg, (path, result.headers["etag"])
        assert result.headers["cache-control"] == "public, max-age=0", path
        assert "last-modified" in result.headers, path
        etags.add(result.headers["etag"])
    assert len(etags) == 1  # one database version for all of them


@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", "*", '"other", {etag}', 'W/"other" , W/{etag}'])
def test_83_if_none_match_hits(gt1, form):
    """83: the ETag, its weak form, ``*`` and a list containing it all give 304 with the same validators."""
    etag = gt_etag(gt1, "GT1")
    result = resolve(gt1, **{"If-None-Match": form.format(etag=etag)})
    assert_not_modified(result, etag, "public, max-age=0")
    assert "content-type" not in result.headers
    head = gt1.request("HEAD", "payloadiovs/", query=RES.format(gt="GT1", major=0, minor=0),
                       headers={"If-None-Match": form.format(etag=etag)})
    assert_not_modified(head, etag, "public, max-age=0")


@pytest.mark.parametrize("form", ['"other"', 'W/"gt-1-999-00000000"', '"gt-1-1"'])
def test_83_if_none_match_misses(gt1, form):
    """83: a different ETag gets the full 200."""
    plain = gt1.ok(resolve(gt1))
    result = gt1.ok(resolve(gt1, **{"If-None-Match": form}))
    assert result.content == plain.content
    assert result.headers["etag"] == plain.headers["etag"]


def test_83_star_on_missing_and_database_scopes(gt1):
    """83 (§6.3): ``*`` matches a database-scoped response always, and never turns a 404 into a 304."""
    star = {"If-None-Match": "*"}
    assert_not_modified(resolve(gt1, "NoGT", **star))
    assert_not_modified(gt1.get("globalTags", headers=star))
    assert_not_modified(gt1.get("gtPayloadLists/NoGT", headers=star))
    result = gt1.get("globalTag/NoGT", headers=star)
    assert (result.status_code, result.json) == (404, {"detail": "Not found.", "code": "not_found"})
    assert gt1.get("gt/99", headers=star).status_code == 404


def test_83_other_gt_scoped_views(gt1):
    """83: nested, light and list views answer 304 to their ETag too."""
    etag = gt_etag(gt1, "GT1")
    for path, query in (("globalTag/GT1", ""), ("globalTag/GT1", "light"), ("gt/1", ""), ("gtPayloadLists/GT1", "")):
        assert_not_modified(gt1.get(path, query, headers={"If-None-Match": etag}), etag)
    etag = db_etag(gt1)
    for path in ("globalTags", "gt", "pt", "pl", "piov", "gtstatus"):
        assert_not_modified(gt1.get(path, headers={"If-None-Match": etag}), etag)


# -- 84 ------------------------------------------------------------------------------------------


def test_84_attach_invalidates_only_its_gt(gt1):
    """84: after an attach to GT1, GT1's old ETag gets the new body; GT2's ETag still validates."""
    old1, old2, old_db = gt_etag(gt1, "GT1"), gt_etag(gt1, "GT2"), db_etag(gt1)
    gt1.ok(gt1.att(gt1.beam, gt1.mk("b.dat", (10, 0))))
    result = gt1.ok(resolve(gt1, major=10, **{"If-None-Match": old1}))
    assert result.json == [["Beam", "b.dat", "cb", None, 10, 0, *OPEN]]
    new1 = result.headers["etag"]
    assert new1 != old1
    before, after = GT_ETAG.match(old1), GT_ETAG.match(new1)
    assert after.group(1) == before.group(1) and after.group(3) == before.group(3)
    assert int(after.group(2)) > int(before.group(2))
    assert_not_modified(resolve(gt1, "GT2", **{"If-None-Match": old2}), old2)
    assert gt1.ok(gt1.get("globalTags", headers={"If-None-Match": old_db})).headers["etag"] != old_db
    assert_not_modified(resolve(gt1, major=10, **{"If-None-Match": new1}), new1)


def test_84_database_etag_changes_on_every_write(gt1):
    """84: ``globalTags``'s ETag (and ``pt``'s) changes on every successful write."""
    made: dict = {}

    def new_list(a):
        result = a.post("pl", {"payload_type": "NEW"})
        made["list"] = result.json["name"]
        return result

    def new_iov(a):
        result = a.post("piov", {"payload_url": "n.dat", "checksum": "cn", "major_iov": 0, "minor_iov": 0})
        made["iov"] = result.json["id"]
        return result

    writes = [
        lambda a: a.post("gtstatus", {"name": "review"}),
        lambda a: a.post("pt", {"name": "NEW"}),
        lambda a: a.post("gt", {"name": "GT3", "status": "unlocked"}),
        new_list,
        lambda a: a.put("pl_attach", {"global_tag": "GT3", "payload_list": made["list"]}),
        new_iov,
        lambda a: a.att(made["list"], made["iov"]),
        lambda a: a.post("bulk_piov", [{"payload_url": "m.dat", "payload_list": made["list"], "major_iov": 5,
                                        "minor_iov": 0}]),
        lambda a: a.put("gt_change_status/GT3/locked"),
        lambda a: a.post("cloneGlobalTag/GT3/GT4"),
        lambda a: a.delete("deletePayloadIOV/GT3/NEW/5/0"),
        lambda a: a.delete("deleteGlobalTag/GT4"),
        lambda a: a.put("gt_change_status/GT3/unlocked"),
        lambda a: a.delete("deleteGlobalTag/GT3"),
        lambda a: a.post("pt", {"name": "TMP"}),
        lambda a: a.delete("deletePayloadType/TMP"),
        lambda a: a.post("pl", {"payload_type": "CEMC"}),
    ]
    seen = {db_etag(gt1)}
    pt_etag = gt1.get("pt").headers["etag"]
    for index, write in enumerate(writes):
        gt1.ok(write(gt1))
        etag = db_etag(gt1)
        assert etag not in seen, index
        seen.add(etag)
        assert DB_ETAG.match(etag)
        new_pt = gt1.get("pt").headers["etag"]
        assert new_pt != pt_etag, index
        pt_etag = new_pt
    lists = gt1.ok(gt1.get("pl")).json
    gt1.ok(gt1.delete(f"deletePayloadList/{lists[-1]['name']}"))
    assert db_etag(gt1) not in seen


def test_84_writes_elsewhere_leave_gt1_alone(gt1):
    """84 (§4.11): writes that do not touch GT1 keep its ETag (304)."""
    etag = gt_etag(gt1, "GT1")
    gt1.status("review")
    gt1.payload_type("NEW")
    loose = gt1.new_list("NEW")
    iov = gt1.mk("n.dat", (0, 0))
    gt1.ok(gt1.att(loose, iov))
    gt1.ok(gt1.att(gt1.cemc, gt1.mk("d.dat", (5, 0))))
    gt1.ok(gt1.post("bulk_piov", [{"payload_url": "m.dat", "payload_list": gt1.cemc, "major_iov": 9,
                                   "minor_iov": 0}]))
    gt1.ok(gt1.put("gt_change_status/GT2/locked"))
    gt1.ok(gt1.post("cloneGlobalTag/GT1/GT1c"))
    assert_not_modified(resolve(gt1, **{"If-None-Match": etag}), etag)


@pytest.mark.parametrize("change", ["status", "bulk", "list_move", "list_replace", "iov_move", "iov_delete",
                                    "list_delete", "pl_attach_new_type"])
def test_84_writes_change_the_affected_gts(gt1, change):
    """84 (§4.11): status change, bulk, list and IOV moves and deletes change the ETags of the GTs they touch."""
    touched = {"status": {"GT1"}, "bulk": {"GT1"}, "list_move": {"GT1", "GT2"}, "list_replace": {"GT1"},
               "iov_move": {"GT1", "GT2"}, "iov_delete": {"GT1"}, "list_delete": {"GT1"},
               "pl_attach_new_type": {"GT1"}}[change]
    empty = gt1.new_list("CEMC", "GT1") if change == "list_delete" else None
    gt1.global_tag("GT3")
    before = {gt: gt_etag(gt1, gt) for gt in ("GT1", "GT2", "GT3")}
    if change == "status":
        gt1.ok(gt1.put("gt_change_status/GT1/locked"))
    elif change == "bulk":
        gt1.ok(gt1.post("bulk_piov", [{"payload_url": "k.dat", "payload_list": gt1.beam, "major_iov": 3,
                                       "minor_iov": 0}]))
    elif change == "list_move":
        gt1.ok(gt1.put("pl_attach", {"global_tag": "GT2", "payload_list": gt1.beam}))
    elif change == "list_replace":
        gt1.ok(gt1.put("pl_attach", {"global_tag": "GT1", "payload_list": gt1.new_list("Beam")}))
    elif change == "iov_move":
        gt1.ok(gt1.att(gt1.cemc, 1))  # a.dat leaves GT1's Beam list for GT2's CEMC list
    elif change == "iov_delete":
        gt1.ok(gt1.delete("deletePayloadIOV/GT1/Beam/0/0"))
    elif change == "list_delete":
        gt1.ok(gt1.delete(f"deletePayloadList/{empty}"))
    else:
        gt1.payload_type("NEW")
        gt1.ok(gt1.put("pl_attach", {"global_tag": "GT1", "payload_list": gt1.new_list("NEW")}))
    for gt, etag in before.items():
        result = resolve(gt1, gt, **{"If-None-Match": etag})
        if gt in touched:
            assert result.status_code == 200, (gt, result.status_code)
            assert result.headers["etag"] != etag
        else:
            assert_not_modified(result, etag)


def test_84_failed_write_changes_nothing(gt1):
    """84: a refused write (409) leaves the ETags as they were."""
    gt1.ok(gt1.put("gt_change_status/GT1/locked"))
    etag, version = gt_etag(gt1, "GT1"), db_etag(gt1)
    assert gt1.att(gt1.beam, gt1.mk("z.dat", (0, 0))).status_code == 409
    assert_not_modified(resolve(gt1, **{"If-None-Match": etag}), etag)
    assert gt1.delete("deleteGlobalTag/GT1").status_code == 409
    assert gt1.post("pt", {"name": "Beam"}).status_code == 400
    assert_not_modified(resolve(gt1, **{"If-None-Match": etag}), etag)
    assert db_etag(gt1) != version  # creating z.dat was a successful write
    version = db_etag(gt1)
    assert gt1.delete("deletePayloadType/Beam").status_code == 409
    assert db_etag(gt1) == version


# -- 85 ------------------------------------------------------------------------------------------


def test_85_if_modified_since(gt1):
    """85: IMS at the Last-Modified of a response made after the change's second → 304; INM takes precedence;
    an unparsable IMS is ignored."""
    started = time.time()
    gt1.ok(gt1.att(gt1.beam, gt1.mk("b.dat", (10, 0))))
    finished = time.time()
    sleep_to_next_second(finished)
    result = gt1.ok(resolve(gt1))
    last_modified = result.headers["last-modified"]
    stamp = parse_http_date(last_modified).timestamp()
    # The end of the second of the last change.
    assert int(started) + 1 <= stamp <= int(finished) + 1
    etag = result.headers["etag"]

    assert_not_modified(resolve(gt1, **{"If-Modified-Since": last_modified}), etag)
    later = http_date(parse_http_date(last_modified) + dt.timedelta(hours=1))
    assert_not_modified(resolve(gt1, **{"If-Modified-Since": later}), etag)
    earlier = http_date(parse_http_date(last_modified) - dt.timedelta(seconds=1))
    assert gt1.ok(resolve(gt1, **{"If-Modified-Since": earlier})).content == result.content
    # If-None-Match takes precedence over a matching If-Modified-Since.
    both = resolve(gt1, **{"If-None-Match": '"other"', "If-Modified-Since": last_modified})
    assert both.status_code == 200 and both.content == result.content
    assert_not_modified(resolve(gt1, **{"If-None-Match": etag, "If-Modified-Since": earlier}), etag)
    # Unparsable dates are ignored.
    for garbage in ("yesterday", "Sat, 99 Foo 2026 99:99:99 GMT", ""):
        assert gt1.ok(resolve(gt1, **{"If-Modified-Since": garbage})).content == result.content
    # The database scope follows the same rule.
    catalog = gt1.ok(gt1.get("globalTags"))
    assert_not_modified(gt1.get("globalTags", headers={"If-Modified-Since": catalog.headers["last-modified"]}))


def test_85_same_second_never_stale(gt1):
    """85: R made in the second of a change, then another write in that second: IMS = R's Last-Modified → 200."""
    if time.time() % 1 > 0.5:  # start early in a second so the three requests share it
        sleep_to_next_second(time.time())
    gt1.ok(gt1.att(gt1.beam, gt1.mk("b.dat", (10, 0))))
    first = gt1.ok(resolve(gt1, major=20))
    made = time.time()
    gt1.ok(gt1.att(gt1.beam, gt1.mk("c.dat", (15, 0))))
    # Last-Modified never announces a moment after the response was made.
    assert parse_http_date(first.headers["last-modified"]).timestamp() <= made
    result = resolve(gt1, major=20, **{"If-Modified-Since": first.headers["last-modified"]})
    assert result.status_code == 200, result.status_code
    assert result.json == [["Beam", "c.dat", "cc", None, 15, 0, *OPEN]]
    assert result.json != first.json
    # The same holds for the database scope.
    catalog = gt1.ok(gt1.get("globalTags"))
    gt1.payload_type("NEW")
    again = gt1.get("globalTags", headers={"If-Modified-Since": catalog.headers["last-modified"]})
    assert again.status_code == 200


# -- 86 ------------------------------------------------------------------------------------------


GT_VIEWS = [("payloadiovs/", RES.format(gt="GT1", major=0, minor=0)), ("globalTag/GT1", ""),
            ("globalTag/GT1", "light"), ("gt/1", ""), ("gtPayloadLists/GT1", ""),
            ("global-tags/GT1/payload-lists", ""), ("payload-iovs/query/", RES.format(gt="GT1", major=0, minor=0))]
ORM_VIEWS = [(path, RES.format(gt="GT1", major=0, minor=0)) for path in ("payloadiovs_orm_orderby/",
                                                                          "payloadiovs_orm_max/")]
CATALOG_VIEWS = [("globalTags", ""), ("gt", ""), ("gtstatus", ""), ("pt", ""), ("pl", ""), ("piov", ""),
                 ("pl/1", ""), ("piov/1", ""), ("payload-types", "page=1"), ("settings/CDB_IOV_MODE/", ""),
                 ("payloadiovs/", RES.format(gt="NoGT", major=0, minor=0)), ("gtPayloadLists/NoGT", "")]


def assert_cache(api: Api, views, value: str) -> None:
    for path, query in views:
        result = api.ok(api.get(path, query))
        assert result.headers["cache-control"] == value, (path, query, result.headers["cache-control"])
        assert_not_modified(api.get(path, query, headers={"If-None-Match": result.headers["etag"]}),
                            result.headers["etag"], value)


def test_86_cache_control_by_status(gt1):
    """86: unlocked 0, locked 60, frozen 3600; the catalogue and unknown GTs 0."""
    assert_cache(gt1, GT_VIEWS, "public, max-age=0")
    assert_cache(gt1, CATALOG_VIEWS, "public, max-age=0")
    gt1.ok(gt1.put("gt_change_status/GT1/locked"))
    assert_cache(gt1, GT_VIEWS, "public, max-age=60")
    gt1.ok(gt1.put("gt_change_status/GT1/frozen"))
    assert_cache(gt1, GT_VIEWS, "public, max-age=3600")
    assert_cache(gt1, CATALOG_VIEWS, "public, max-age=0")  # a frozen GT in the list changes nothing here
    gt1.status("review")
    gt1.ok(gt1.put("gt_change_status/GT1/review"))
    assert_cache(gt1, GT_VIEWS, "public, max-age=0")


def test_86_orm_routes(gt1):
    """86 (§6.1): the legacy ORM resolution routes are GT-scoped like ``payloadiovs/``."""
    assert_cache(gt1, ORM_VIEWS, "public, max-age=0")
    gt1.ok(gt1.put("gt_change_status/GT1/locked"))
    assert_cache(gt1, ORM_VIEWS, "public, max-age=60")


@pytest.mark.parametrize("conditions_settings", [{"cache_max_age_unlocked": 5, "cache_max_age_locked": 6,
                                                  "cache_max_age_frozen": 7, "cache_max_age_catalog": 8}])
def test_86_configured_max_ages(gt1, conditions_settings):
    """86 (§8): each max-age comes from its setting."""
    assert_cache(gt1, GT_VIEWS, "public, max-age=5")
    assert_cache(gt1, CATALOG_VIEWS, "public, max-age=8")
    gt1.ok(gt1.put("gt_change_status/GT1/locked"))
    assert_cache(gt1, GT_VIEWS, "public, max-age=6")
    gt1.ok(gt1.put("gt_change_status/GT1/frozen"))
    assert_cache(gt1, GT_VIEWS, "public, max-age=7")


def test_86_no_store(gt1):
    """86: errors, write responses and ``timeout`` are ``no-store``."""
    responses = {
        "unknown GT view": gt1.get("globalTag/NoGT"),
        "bad query": gt1.get("payloadiovs/", "gtName=GT1"),
        "unknown path": gt1.get("nosuch"),
        "405": gt1.get("cloneGlobalTag/GT1/X"),
        "400": gt1.post("pt", {}),
        "404 write": gt1.delete("deleteGlobalTag/NoGT"),
        "POST pt": gt1.post("pt", {"name": "NEW"}),
        "POST piov": gt1.post("piov", {"payload_url": "n.dat", "checksum": "c", "major_iov": 0, "minor_iov": 0}),
        "piov_attach": gt1.att(gt1.beam, 3),
        "pl_attach": gt1.put("pl_attach", {"global_tag": "GT1", "payload_list": gt1.beam}),
        "bulk": gt1.post("bulk_piov", [{"payload_url": "k.dat", "payload_list": gt1.beam, "major_iov": 9,
                                        "minor_iov": 0}]),
        "clone": gt1.post("cloneGlobalTag/GT1/GT1c"),
        "status": gt1.put("gt_change_status/GT1/locked"),
        "409": gt1.delete("deleteGlobalTag/GT1"),
        "delete": gt1.delete("deleteGlobalTag/GT1c"),
        "timeout": gt1.get("timeout"),
    }
    for label, result in responses.items():
        assert result.headers.get("cache-control") == "no-store", (label, result.status_code, result.headers)
        assert "etag" not in result.headers, label
    assert responses["timeout"].json == {"slept": 0}


@pytest.mark.parametrize("conditions_settings", [{"read_auth": True}])
def test_86_read_auth_makes_responses_private(make_app, conditions_settings):
    """86, 92: with ``read_auth`` every cacheable response is ``private``."""
    token = "read-token-0123456789"
    app = make_app(plugins=["conditions"], settings={
        "plugins": {"conditions": conditions_settings},
        "auth": {"service_tokens": [{"token": token, "username": "svc"}]}})
    api = Api(RawClient(app))
    auth = {"Authorization": f"Bearer {token}"}
    api.base_setup()
    beam = api.new_list("Beam", "GT1")
    api.ok(api.att(beam, api.mk("a.dat", (0, 0))))
    for path, query, value in (("payloadiovs/", RES.format(gt="GT1", major=0, minor=0), "private, max-age=0"),
                               ("globalTags", "", "private, max-age=0"), ("pt", "", "private, max-age=0")):
        result = api.ok(api.get(path, query, headers=auth))
        assert result.headers["cache-control"] == value, path
        not_modified = api.get(path, query, headers={**auth, "If-None-Match": result.headers["etag"]})
        assert_not_modified(not_modified, result.headers["etag"], value)
    api.ok(api.put("gt_change_status/GT1/locked"))
    result = api.ok(resolve(api, **auth))
    assert result.headers["cache-control"] == "private, max-age=60"


# -- 87 ------------------------------------------------------------------------------------------


def test_87_configuration_token(make_app):
    """87: restarting with ``payloadiovs_revision`` (or ``serve_orm_routes``) flipped changes every ETag."""
    def start(**settings) -> Api:
        return Api(RawClient(make_app(plugins=["conditions"], settings={"plugins": {"conditions": settings}})))

    api = start()
    api.base_setup()
    api.ok(api.att(api.new_list("Beam", "GT1"), api.mk("a.dat", (0, 0))))
    plain_gt, plain_db = gt_etag(api, "GT1"), db_etag(api)

    revision = start(payloadiovs_revision=True)
    flipped_gt, flipped_db = gt_etag(revision, "GT1"), db_etag(revision)
    assert flipped_gt != plain_gt and flipped_db != plain_db
    # Same state: only the configuration part differs.
    assert GT_ETAG.match(flipped_gt).group(1, 2) == GT_ETAG.match(plain_gt).group(1, 2)
    assert DB_ETAG.match(flipped_db).group(1) == DB_ETAG.match(plain_db).group(1)
    assert revision.get("payloadiovs/", RES.format(gt="GT1", major=0, minor=0),
                        headers={"If-None-Match": plain_gt}).status_code == 200

    no_orm = start(serve_orm_routes=False)
    assert gt_etag(no_orm, "GT1") not in (plain_gt, flipped_gt)

    # The token is a function of the configuration: the same settings give the same ETag,
    # and a setting that does not change the bytes of responses leaves it alone.
    assert gt_etag(start(), "GT1") == plain_gt
    assert gt_etag(start(timeout_max_seconds=5), "GT1") == plain_gt
    assert gt_etag(start(payloadiovs_revision=True), "GT1") == flipped_gt


@pytest.mark.parametrize(("conditions_settings", "statements"), [({}, 1), ({"response_cache_bytes": 64}, 2)],
                         ids=["cached", "above a quarter of the byte budget"])
def test_a_repeated_resolution_comes_from_the_worker_cache(base, statements):
    """The second identical request reads only the validator, unless its body is too large to keep."""
    base.ins("GT1", "Beam", "a.dat", (0, 0))
    first = base.get("payloadiovs/", "gtName=GT1&majorIOV=1&minorIOV=0")
    with count_statements() as seen:
        again = base.get("payloadiovs/", "gtName=GT1&majorIOV=1&minorIOV=0")
    assert again.content == first.content and len(seen) == statements, seen
