"""Scenarios 89-92 (spec §11 M): authentication and permissions (§7).

``B2Policy`` below is a small example of a claims-based policy living in a
separate plugin, as a Belle II deployment would install one: it implements
only ``permission_allowed`` and vetoes attaching IOVs to production global
tags unless the caller's JWT grants it.
"""

from __future__ import annotations

import re
import time

import jwt
import pytest

import sciplane
from sciplane.testing import RawClient
from sciplane_conditions.testing import OPEN, Api

SECRET = "conditions-test-secret-0123456789abcdef"  # HS256 wants at least 32 bytes
OTHER_SECRET = "some-other-secret-0123456789abcdef0123"
SERVICE_TOKEN = "svc-token-0123456789"
DENIED = {"detail": "Permission denied.", "code": "permission_denied"}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided", "code": "authentication_failed"}


def auth_error(detail: str) -> dict:
    return {"detail": detail, "code": "authentication_failed"}


def token(secret: str = SECRET, lifetime: int = 3600, **claims) -> str:
    return jwt.encode({"sub": "alice", "exp": int(time.time()) + lifetime, **claims}, secret, algorithm="HS256")


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


class B2Policy:
    """Example permission plugin: production GTs (``prod_*``) only take IOVs from callers whose
    ``b2cdb:createiov`` claim (a regular expression over GT names) matches the GT.

    It has no opinion on anything else (the conditions plugin's own rule decides), and it
    records every check it sees so the tests can compare the resources with §7's table.
    """

    plugin_name = "b2policy"
    PROTECTED = re.compile(r"^prod_")

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.read_only_catalog = False  # switch on to veto conditions.catalog.write as well

    @sciplane.hookimpl
    def permission_allowed(self, identity, action, resource):
        if not action.startswith("conditions."):
            return None
        self.calls.append((action, dict(resource)))
        if action == "conditions.piov.attach" and self.PROTECTED.match(resource.get("name") or ""):
            granted = identity.claims.get("b2cdb:createiov")
            if isinstance(granted, str) and re.fullmatch(granted, resource["name"]):
                return None
            return False
        if action == "conditions.catalog.write" and self.read_only_catalog:
            return False
        return None


def conditions_app(make_app, conditions=None, auth=None, extra_plugins=()) -> Api:
    settings = {"plugins": {"conditions": conditions or {}}}
    if auth is not None:
        settings["auth"] = auth
    return Api(RawClient(make_app(plugins=["conditions"], settings=settings, extra_plugins=list(extra_plugins))))


def check(result, status: int, body: dict) -> None:
    assert (result.status_code, result.json) == (status, body), result.content
    assert result.headers.get("cache-control") == "no-store"
    assert result.headers.get("content-type", "").startswith("application/json")


# -- 89 ------------------------------------------------------------------------------------------


def test_89_default_is_anonymous(base):
    """89: by default writes need no Authorization, and a bad token on a read is not evaluated."""
    beam = base.new_list("Beam", "GT1")
    base.ok(base.att(beam, base.mk("a.dat", (0, 0))))
    base.ok(base.put("gt_change_status/GT2/locked"))
    base.ok(base.post("cloneGlobalTag/GT1/GT3"))
    base.ok(base.delete("deleteGlobalTag/GT3"))
    for headers in (bearer("garbage"), bearer(token(lifetime=-60)), {"Authorization": "JWT x"}):
        result = base.get("globalTags", headers=headers)
        assert result.status_code == 200, (headers, result.content)
        assert base.get("payloadiovs/", "gtName=GT1&majorIOV=0&minorIOV=0", headers=headers).status_code == 200


def test_89_default_ignores_credentials_on_writes(base):
    """89 (§7): writes are anonymous by default, so a token the server cannot check does not matter
    (scripts send their JWT whatever the deployment; the reference ignores it)."""
    result = base.post("pt", {"name": "WithToken"}, headers=bearer(token(secret=OTHER_SECRET)))
    assert result.status_code == 200, result.content
    assert base.post("pt", {"name": "Garbage"}, headers=bearer("garbage")).status_code == 200


# -- 90 ------------------------------------------------------------------------------------------


@pytest.fixture
def guarded(make_app) -> Api:
    """``write_auth = true``, HS256 JWTs and one static service token."""
    api = conditions_app(make_app, {"write_auth": True},
                         {"jwt_secret": SECRET, "service_tokens": [{"token": SERVICE_TOKEN, "username": "svc"}]})
    api.service = bearer(SERVICE_TOKEN)
    return api


@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "Authentication credentials were not provided"),
    ({"Authorization": "JWT " + token()}, "Wrong access_token format"),
    ({"Authorization": "Bearer"}, "Wrong access_token format"),
    ({"Authorization": "Bearer "}, "Wrong access_token format"),
    ({"Authorization": "Token " + SERVICE_TOKEN}, "Wrong access_token format"),
    ({"Authorization": f"Bearer {SERVICE_TOKEN} extra"}, "Wrong access_token format"),
    (bearer(token(secret=OTHER_SECRET)), "invalid signature"),
    (bearer(token(lifetime=-60)), "access_token expired"),
    (bearer("abc"), "invalid access_token"),
    (bearer("not.a.jwt"), "invalid access_token"),
])
def test_90_write_auth_failures(guarded, headers, detail):
    """90: each credential failure on ``POST gtstatus`` gives the reference's 403 message."""
    check(guarded.post("gtstatus", {"name": "unlocked"}, headers=headers), 403, auth_error(detail))
    assert guarded.ok(guarded.get("gtstatus")).json == []


@pytest.mark.parametrize("kind", ["jwt", "service"])
def test_90_write_auth_success(guarded, kind):
    """90: a valid JWT or a static service token may write; reads need nothing."""
    headers = bearer(token()) if kind == "jwt" else guarded.service
    result = guarded.post("gtstatus", {"name": "unlocked"}, headers=headers)
    assert result.status_code == 200, result.content
    assert result.json["name"] == "unlocked"
    for step in (lambda: guarded.post("pt", {"name": "Beam"}, headers=headers),
                 lambda: guarded.post("gt", {"name": "GT1", "status": "unlocked"}, headers=headers),
                 lambda: guarded.post("pl", {"payload_type": "Beam"}, headers=headers),
                 lambda: guarded.put("pl_attach", {"global_tag": "GT1", "payload_list": "Beam_1"}, headers=headers),
                 lambda: guarded.post("piov", {"payload_url": "a.dat", "checksum": "ca", "major_iov": 0,
                                               "minor_iov": 0}, headers=headers),
                 lambda: guarded.put("piov_attach", {"payload_list": "Beam_1", "piov_id": 1}, headers=headers)):
        guarded.ok(step())
    assert guarded.res("GT1", 1, 0) == [["Beam", "a.dat", "ca", None, 0, 0, *OPEN]]
    # Reads need no header, and a bad one is not evaluated.
    assert guarded.get("globalTags").status_code == 200
    assert guarded.get("globalTags", headers=bearer("garbage")).status_code == 200
    assert guarded.get("payloadiovs/", "gtName=GT1&majorIOV=0&minorIOV=0",
                       headers=bearer(token(lifetime=-60))).status_code == 200


def test_90_every_write_route_is_guarded(guarded):
    """90: every write route answers 403 without credentials, and changes nothing."""
    headers = guarded.service
    for name in ("unlocked", "locked"):
        guarded.ok(guarded.post("gtstatus", {"name": name}, headers=headers))
    guarded.ok(guarded.post("pt", {"name": "Beam"}, headers=headers))
    guarded.ok(guarded.post("gt", {"name": "GT1", "status": "unlocked"}, headers=headers))
    guarded.ok(guarded.post("pl", {"payload_type": "Beam"}, headers=headers))
    guarded.ok(guarded.put("pl_attach", {"global_tag": "GT1", "payload_list": "Beam_1"}, headers=headers))
    version = guarded.get("globalTags").headers["etag"]
    writes = [
        ("POST", "gtstatus", {"name": "frozen"}), ("POST", "global-tags/statuses", {"name": "frozen"}),
        ("POST", "gt", {"name": "GT2", "status": "unlocked"}), ("POST", "pt", {"name": "CEMC"}),
        ("POST", "payload-types", {"name": "CEMC"}), ("POST", "pl", {"payload_type": "Beam"}),
        ("PUT", "pl_attach", {"global_tag": "GT1", "payload_list": "Beam_1"}),
        ("PATCH", "payload-lists/attach", {"global_tag": "GT1", "payload_list": "Beam_1"}),
        ("POST", "piov", {"payload_url": "a.dat", "checksum": "c", "major_iov": 0, "minor_iov": 0}),
        ("PUT", "piov_attach", {"payload_list": "Beam_1", "piov_id": 1}),
        ("POST", "bulk_piov", [{"payload_url": "b.dat", "payload_list": "Beam_1", "major_iov": 0, "minor_iov": 0}]),
        ("POST", "payload-iovs/bulk", []),
        ("POST", "cloneGlobalTag/GT1/GT9", None), ("POST", "global-tags/GT1/clone/GT9", None),
        ("PUT", "gt_change_status/GT1/locked", None), ("PATCH", "global-tags/GT1/change-status/locked", None),
        ("DELETE", "deletePayloadIOV/GT1/Beam/0/0", None), ("DELETE", "deletePayloadList/Beam_1", None),
        ("DELETE", "deletePayloadType/Beam", None), ("DELETE", "deleteGlobalTag/GT1", None),
        ("DELETE", "global-tags/GT1/delete", None),
    ]
    for method, path, body in writes:
        result = guarded.request(method, path, json=body)
        assert (result.status_code, result.json) == (403, NO_CREDENTIALS), (method, path, result.content)
    assert guarded.get("globalTags").headers["etag"] == version


def test_90_path_and_method_before_authentication(guarded):
    """90 (§2.6): an unknown path (404) and a wrong method (405) are answered before authentication."""
    result = guarded.post("nosuch", {"name": "x"})
    assert (result.status_code, result.json) == (404, {"detail": "Not found.", "code": "not_found"})
    result = guarded.get("cloneGlobalTag/GT1/X")
    assert (result.status_code, result.json["code"]) == (405, "method_not_allowed")
    for method, path in (("DELETE", "gt"), ("PUT", "piov"), ("POST", "pl_attach"), ("DELETE", "globalTags")):
        result = guarded.request(method, path)
        assert (result.status_code, result.json) == (405, {"detail": f'Method "{method}" not allowed.',
                                                           "code": "method_not_allowed"}), (method, path)


def test_90_authentication_before_validation_and_lookups(guarded):
    """90 (§2.6): authentication (403) comes before body validation (400) and lookups (404)."""
    check(guarded.post("gtstatus", {}), 403, NO_CREDENTIALS)
    check(guarded.post("gtstatus", body="garbage{", headers={"Content-Type": "application/json"}), 403,
          NO_CREDENTIALS)
    check(guarded.delete("deleteGlobalTag/NoGT"), 403, NO_CREDENTIALS)
    check(guarded.post("cloneGlobalTag/NoGT/X"), 403, NO_CREDENTIALS)
    # With credentials the later checks answer.
    result = guarded.post("gtstatus", {}, headers=guarded.service)
    assert (result.status_code, result.json) == (400, {"name": ["This field is required."],
                                                       "code": "validation_error"})
    result = guarded.delete("deleteGlobalTag/NoGT", headers=guarded.service)
    assert (result.status_code, result.json) == (404, {"detail": "GlobalTag NoGT doesn't exist",
                                                       "code": "global_tag_not_found"})


def test_90_cpp_client_fails_cleanly(guarded):
    """90: the C++ client's sequence (no Authorization header) stops with a 403 JSON at its first write."""
    assert guarded.ok(guarded.get("globalTags")).json == []
    check(guarded.delete("deleteGlobalTag/my_gt"), 403, NO_CREDENTIALS)
    assert guarded.ok(guarded.get("gtstatus")).json == []
    check(guarded.post("gtstatus", {"name": "unlocked"}), 403, NO_CREDENTIALS)
    check(guarded.post("gt", {"name": "my_gt", "status": "unlocked", "author": "tester"}), 403, NO_CREDENTIALS)
    assert "name" not in guarded.post("gt", {"name": "my_gt", "status": "unlocked"}).json


# -- 91 ------------------------------------------------------------------------------------------


@pytest.fixture
def policed(make_app):
    """Default configuration plus the example policy plugin; base setup done."""
    policy = B2Policy()
    api = conditions_app(make_app, extra_plugins=[policy])
    api.base_setup()
    api.global_tag("prod_x")
    api.policy = policy
    return api


def test_91_veto_on_production_gt(policed):
    """91: attaching into a ``prod_`` GT's list is vetoed; elsewhere it is allowed."""
    prod = policed.new_list("Beam", "prod_x")
    normal = policed.new_list("Beam", "GT1")
    iov = policed.mk("a.dat", (0, 0))
    check(policed.att(prod, iov), 403, DENIED)
    assert policed.piov(iov)["payload_list"] is None
    assert policed.res("prod_x", 1, 0) == []
    assert policed.ok(policed.att(normal, iov)).json["payload_list"] == normal
    # Moving it from GT1 into prod_x is vetoed too; it stays where it was.
    check(policed.att(prod, iov), 403, DENIED)
    assert policed.piov(iov)["payload_list"] == normal
    # Bulk loading into prod_x is vetoed as well, atomically.
    items = [{"payload_url": "b.dat", "payload_list": normal, "major_iov": 5, "minor_iov": 0},
             {"payload_url": "c.dat", "payload_list": prod, "major_iov": 5, "minor_iov": 0}]
    check(policed.post("bulk_piov", items), 403, DENIED)
    assert len(policed.ok(policed.get("piov")).json) == 1
    # Nothing else is vetoed on prod_x: lists attach, statuses change.
    policed.ok(policed.put("gt_change_status/prod_x/locked"))


def test_91_resources_match_the_action_table(policed):
    """91: the resource dicts received for every action match §7's table."""
    api, policy = policed, policed.policy

    def expect(result, *entries):
        assert result.status_code == 200, result.content
        assert sorted(policy.calls, key=repr) == sorted(entries, key=repr), policy.calls
        policy.calls.clear()
        return result

    policy.calls.clear()
    expect(api.post("gtstatus", {"name": "review"}),
           ("conditions.catalog.write", {"type": "gt_status", "name": "review"}))
    expect(api.post("pt", {"name": "NEW"}), ("conditions.catalog.write", {"type": "payload_type", "name": "NEW"}))
    expect(api.post("gt", {"name": "GT3", "status": "review", "author": "x"}),
           ("conditions.gt.create", {"type": "global_tag", "name": "GT3", "source": None}))
    beam = api.post("pl", {"payload_type": "Beam"}).json["name"]
    assert policy.calls == [("conditions.catalog.write", {"type": "payload_list", "name": beam})]
    policy.calls.clear()
    target = {"type": "global_tag", "payload_list": beam, "payload_type": "Beam"}
    expect(api.put("pl_attach", {"global_tag": "GT1", "payload_list": beam}),
           ("conditions.pl.attach", {**target, "name": "GT1", "status": "unlocked", "role": "target"}))
    expect(api.put("pl_attach", {"global_tag": "GT3", "payload_list": beam}),
           ("conditions.pl.attach", {**target, "name": "GT3", "status": "review", "role": "target"}),
           ("conditions.pl.attach", {**target, "name": "GT1", "status": "unlocked", "role": "source"}))
    # Re-attaching to its own GT is not a move: target only.
    expect(api.put("pl_attach", {"global_tag": "GT3", "payload_list": beam}),
           ("conditions.pl.attach", {**target, "name": "GT3", "status": "review", "role": "target"}))
    iov = expect(api.post("piov", {"payload_url": "a.dat", "checksum": "ca", "major_iov": 0, "minor_iov": 0}),
                 ("conditions.piov.create", {"type": "payload_iov", "payload_url": "a.dat"})).json["id"]
    expect(api.att(beam, iov), ("conditions.piov.attach", {"type": "global_tag", "name": "GT3", "status": "review",
                                                            "payload_list": beam}))
    loose = api.post("pl", {"payload_type": "CEMC"}).json["name"]
    policy.calls.clear()
    other = api.mk("b.dat", (0, 0))
    policy.calls.clear()
    expect(api.att(loose, other), ("conditions.piov.attach", {"type": "global_tag", "name": None, "status": None,
                                                               "payload_list": loose}))
    # bulk: piov.create once per distinct URL, piov.attach once per distinct target GT.
    items = [{"payload_url": "u1.dat", "payload_list": beam, "major_iov": 10, "minor_iov": 0},
             {"payload_url": "u2.dat", "payload_list": loose, "major_iov": 10, "minor_iov": 0},
             {"payload_url": "u1.dat", "payload_list": beam, "major_iov": 20, "minor_iov": 0},
             {"payload_url": "u2.dat", "payload_list": beam, "major_iov": 30, "minor_iov": 0}]
    expect(api.post("bulk_piov", items),
           ("conditions.piov.create", {"type": "payload_iov", "payload_url": "u1.dat"}),
           ("conditions.piov.create", {"type": "payload_iov", "payload_url": "u2.dat"}),
           ("conditions.piov.attach", {"type": "global_tag", "name": "GT3", "status": "review",
                                       "payload_list": beam}),
           ("conditions.piov.attach", {"type": "global_tag", "name": None, "status": None, "payload_list": loose}))
    expect(api.put("gt_change_status/GT3/locked"),
           ("conditions.gt.change_status", {"type": "global_tag", "name": "GT3", "status": "review",
                                            "new_status": "locked"}))
    expect(api.post("cloneGlobalTag/GT3/GT4"),
           ("conditions.gt.create", {"type": "global_tag", "name": "GT4", "source": "GT3"}))
    expect(api.delete("deletePayloadIOV/GT3/Beam/30/0"),
           ("conditions.piov.delete", {"type": "global_tag", "name": "GT3", "status": "locked",
                                       "payload_type": "Beam", "payload_url": "u2.dat"}))
    expect(api.delete("deleteGlobalTag/GT4"),
           ("conditions.gt.delete", {"type": "global_tag", "name": "GT4", "status": "unlocked"}))
    empty = api.post("pl", {"payload_type": "NEW"}).json["name"]
    policy.calls.clear()
    expect(api.delete(f"deletePayloadList/{empty}"),
           ("conditions.catalog.write", {"type": "payload_list", "name": empty}))
    expect(api.delete("deletePayloadType/NEW"),
           ("conditions.catalog.write", {"type": "payload_type", "name": "NEW"}))


def test_91_failed_lookups_are_not_checked(policed):
    """91 (§2.6): lookups (404) come before the permission check, so nothing reaches the policy."""
    policy = policed.policy
    policy.calls.clear()
    assert policed.att("Nope_1", 1).status_code == 404
    assert policed.put("pl_attach", {"global_tag": "NoGT", "payload_list": "Nope_1"}).status_code == 404
    assert policed.delete("deleteGlobalTag/NoGT").status_code == 404
    assert policed.delete("deletePayloadType/Nope").status_code == 404
    assert policed.post("cloneGlobalTag/NoGT/X").status_code == 404
    assert policed.put("gt_change_status/NoGT/locked").status_code == 404
    assert policed.delete("deletePayloadIOV/GT1/Beam/0/0").status_code == 404
    assert policed.post("bulk_piov", [{"payload_url": "a", "payload_list": "Nope_1", "major_iov": 0,
                                       "minor_iov": 0}]).status_code == 404
    assert policy.calls == []


def test_91_catalog_veto(policed):
    """91: a veto of ``conditions.catalog.write`` blocks ``POST pt`` (and the other catalogue writes)."""
    policed.policy.read_only_catalog = True
    check(policed.post("pt", {"name": "NEW"}), 403, DENIED)
    check(policed.post("gtstatus", {"name": "review"}), 403, DENIED)
    check(policed.post("pl", {"payload_type": "Beam"}), 403, DENIED)
    check(policed.delete("deletePayloadType/CEMC"), 403, DENIED)
    assert [t["name"] for t in policed.ok(policed.get("pt")).json] == ["Beam", "CEMC"]
    assert policed.ok(policed.get("pl")).json == []
    # Other actions are unaffected.
    policed.ok(policed.post("gt", {"name": "GT3", "status": "unlocked"}))


def test_91_validation_and_lookups_before_the_veto(policed):
    """91 (§2.6): field validation and lookups are answered before a veto."""
    policed.policy.read_only_catalog = True
    result = policed.post("pt", {})
    assert (result.status_code, result.json) == (400, {"name": ["This field is required."],
                                                       "code": "validation_error"})
    result = policed.post("pl", {"payload_type": "Nope"})
    assert (result.status_code, result.json) == (404, {"detail": "PayloadType not found.",
                                                       "code": "payload_type_not_found"})
    result = policed.delete("deletePayloadType/Nope")
    assert (result.status_code, result.json) == (404, {"detail": "PayloadType Nope doesn't exist",
                                                       "code": "payload_type_not_found"})


def test_91_uniqueness_before_the_veto(policed):
    """91 (§2.6 step 4): uniqueness is part of validation (400), which comes before the permission (403)."""
    policed.policy.read_only_catalog = True
    result = policed.post("pt", {"name": "Beam"})
    assert (result.status_code, result.json) == (400, {"name": ["payload type with this name already exists."],
                                                       "code": "already_exists"})
    result = policed.post("gtstatus", {"name": "locked"})
    assert (result.status_code, result.json) == (400, {"name": ["global tag status with this name already exists."],
                                                       "code": "already_exists"})


def test_91_claims_grant(make_app):
    """91: with JWTs, the example policy reads the caller's claims: a matching ``b2cdb:createiov``
    grants production GTs; an identified caller without it is denied (403 Permission denied)."""
    policy = B2Policy()
    api = conditions_app(make_app, {"write_auth": True}, {"jwt_secret": SECRET}, extra_plugins=[policy])
    admin = bearer(token(**{"b2cdb:createiov": "prod_.*"}))
    plain = bearer(token(sub="bob"))
    for name in ("unlocked", "locked", "frozen"):
        api.ok(api.post("gtstatus", {"name": name}, headers=plain))
    api.ok(api.post("pt", {"name": "Beam"}, headers=plain))
    for gt in ("GT1", "prod_x"):
        api.ok(api.post("gt", {"name": gt, "status": "unlocked"}, headers=plain))
    lists = {}
    for gt in ("GT1", "prod_x"):
        lists[gt] = api.ok(api.post("pl", {"payload_type": "Beam"}, headers=plain)).json["name"]
        api.ok(api.put("pl_attach", {"global_tag": gt, "payload_list": lists[gt]}, headers=plain))
    iov = api.ok(api.post("piov", {"payload_url": "a.dat", "checksum": "ca", "major_iov": 0, "minor_iov": 0},
                          headers=plain)).json["id"]
    body = {"payload_list": lists["prod_x"], "piov_id": iov}
    check(api.put("piov_attach", body, headers=plain), 403, DENIED)
    api.ok(api.put("piov_attach", body, headers=admin))
    assert api.res("prod_x", 1, 0) == [["Beam", "a.dat", "ca", None, 0, 0, *OPEN]]
    other = api.ok(api.post("piov", {"payload_url": "b.dat", "checksum": "cb", "major_iov": 0, "minor_iov": 0},
                            headers=plain)).json["id"]
    api.ok(api.put("piov_attach", {"payload_list": lists["GT1"], "piov_id": other}, headers=plain))
    # The claim only grants what it names.
    narrow = bearer(token(**{"b2cdb:createiov": "prod_y"}))
    check(api.put("piov_attach", {"payload_list": lists["prod_x"], "piov_id": other}, headers=narrow), 403, DENIED)


# -- 92 ------------------------------------------------------------------------------------------


@pytest.fixture
def private(make_app) -> Api:
    api = conditions_app(make_app, {"read_auth": True, "write_auth": True},
                         {"jwt_secret": SECRET, "service_tokens": [{"token": SERVICE_TOKEN, "username": "svc"}]})
    headers = bearer(SERVICE_TOKEN)
    for name in ("unlocked", "locked"):
        api.ok(api.post("gtstatus", {"name": name}, headers=headers))
    api.ok(api.post("pt", {"name": "Beam"}, headers=headers))
    api.ok(api.post("gt", {"name": "GT1", "status": "unlocked"}, headers=headers))
    return api


READS = [("globalTags", ""), ("gtstatus", ""), ("pt", ""), ("gt", ""), ("globalTag/GT1", ""),
         ("gtPayloadLists/GT1", ""), ("payloadiovs/", "gtName=GT1&majorIOV=0&minorIOV=0"),
         ("user_settings/CDB_IOV_MODE/", ""), ("piov", "")]


def test_92_reads_need_credentials(private):
    """92: with ``read_auth`` a GET without credentials is 403, as a write would be."""
    for path, query in READS:
        check(private.get(path, query), 403, NO_CREDENTIALS)
        head = private.request("HEAD", path, query=query)
        assert (head.status_code, head.content) == (403, b""), path
    check(private.get("globalTags", headers=bearer("abc")), 403, auth_error("invalid access_token"))
    check(private.get("globalTags", headers=bearer(token(lifetime=-60))), 403, auth_error("access_token expired"))
    check(private.get("globalTags", headers={"Authorization": "Basic abc"}), 403,
          auth_error("Wrong access_token format"))


@pytest.mark.parametrize("kind", ["jwt", "service"])
def test_92_reads_with_credentials_are_private(private, kind):
    """92: with a valid credential a GET is 200 and ``Cache-Control: private, …``."""
    headers = bearer(token()) if kind == "jwt" else bearer(SERVICE_TOKEN)
    for path, query in READS:
        result = private.get(path, query, headers=headers)
        assert result.status_code == 200, (path, result.content)
        assert result.headers["cache-control"] == "private, max-age=0", path
