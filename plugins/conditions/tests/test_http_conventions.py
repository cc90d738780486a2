"""Scenarios K of the specification (§11, 73-82): redirects, unknown paths, methods, request
bodies, HEAD and OPTIONS, the "no HTML, ever" sweep, the ``name`` key rule, timestamps and ordering."""

from __future__ import annotations

import json
import re

import peewee
import pytest

import sciplane_conditions.render
import sciplane_conditions.services.reads
from sciplane.testing import last_modified_agrees
from sciplane_conditions.testing import MAX, OPEN, expect

MOUNT = "/api/cdb_rest"
NOT_FOUND = {"detail": "Not found.", "code": "not_found"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
JSON_CT = {"Content-Type": "application/json"}
# Headers that legitimately differ between two otherwise equal responses.
VOLATILE = {"x-request-id", "date"}


def expect_redirect(result, location: str) -> None:
    """A bare 301: Location, an empty body, ``Content-Length: 0`` and no Content-Type."""
    assert result.status_code == 301, (result.status_code, result.content)
    assert result.headers.get("location") == location, result.headers
    assert result.content == b""
    assert result.headers.get("content-length") == "0", result.headers
    assert "content-type" not in result.headers, result.headers


def method_not_allowed(method: str) -> dict:
    return {"detail": f'Method "{method}" not allowed.', "code": "method_not_allowed"}


# -- 73. Redirects ---------------------------------------------------------------------------------

QUERY = "gtName=GT1&majorIOV=1&minorIOV=0"


def _redirect_problems(results) -> list[str]:
    problems = []
    for label, result, location in results:
        try:
            expect_redirect(result, location)
        except AssertionError as exc:
            problems.append(f"{label}: {exc}")
    return problems


def test_redirect_resolution_routes(api):
    """Scenario 73: ``payloadiovs?…`` → 301 to ``payloadiovs/?…``, the query string kept."""
    expect_redirect(api.get("payloadiovs", QUERY), f"{MOUNT}/payloadiovs/?{QUERY}")
    expect_redirect(api.get("payloadiovs"), f"{MOUNT}/payloadiovs/")
    for path in ("payloadiovs_orm_max", "payloadiovs_orm_orderby"):
        expect_redirect(api.get(path, QUERY), f"{MOUNT}/{path}/?{QUERY}")


def test_redirect_resolution_alias(api):
    """Scenario 73: the alias ``payload-iovs/query?…`` redirects like its legacy path."""
    path = "payload-iovs/query"
    problems = _redirect_problems([(f"{method} {path}", api.request(method, path, query=QUERY),
                                    f"{MOUNT}/{path}/?{QUERY}") for method in ("GET", "POST")])
    assert not problems, "\n".join(problems)


def test_redirect_settings_routes(api):
    """Scenario 73: the settings routes, known setting or not, redirect to the slashed path."""
    results = []
    for path in ("user_settings/CDB_IOV_MODE", "settings/CDB_IOV_MODE", "user_settings/CDB_AUTH_CLASS",
                 "settings/anything"):
        results += [(path, api.get(path), f"{MOUNT}/{path}/"),
                     (path + "?x=1", api.get(path, "x=1"), f"{MOUNT}/{path}/?x=1")]
    problems = _redirect_problems(results)
    assert not problems, "\n".join(problems)


def test_redirect_preserves_encoding(api):
    """Scenario 73: the query and the path are kept byte for byte, percent-encoding included."""
    query = "gtName=a%20b&majorIOV=1&minorIOV=0"
    expect_redirect(api.get("payloadiovs", query), f"{MOUNT}/payloadiovs/?{query}")
    query = "gtName=a+b&majorIOV=1&minorIOV=0&gtName=%2F%C3%A9"
    expect_redirect(api.get("payloadiovs", query), f"{MOUNT}/payloadiovs/?{query}")
    expect_redirect(api.client.simulate_get(f"{MOUNT}/user_settings/CDB%5FIOV_MODE"),
                    f"{MOUNT}/user_settings/CDB%5FIOV_MODE/")


def test_redirect_any_method(api):
    """Scenario 73: the redirect is given for any method (POST payloadiovs → 301)."""
    results = [(method, api.request(method, "payloadiovs", query=QUERY, json={"x": 1} if method != "HEAD" else None),
                f"{MOUNT}/payloadiovs/?{QUERY}") for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")]
    problems = _redirect_problems(results)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("conditions_settings", [{"mount": "/cdb"}])
def test_redirect_custom_mount(client, conditions_settings):
    """Scenario 73: with ``mount = "/cdb"`` the Location starts with ``/cdb/``."""
    expect_redirect(client.simulate_get("/cdb/payloadiovs", query_string=QUERY), f"/cdb/payloadiovs/?{QUERY}")
    expect_redirect(client.simulate_get("/cdb/settings/CDB_IOV_MODE"), "/cdb/settings/CDB_IOV_MODE/")
    expect(client.simulate_get("/cdb/settings/CDB_IOV_MODE/"), 200, {"CDB_IOV_MODE": "continuous"})
    expect(client.simulate_get("/cdb/globalTags/"), 404, NOT_FOUND)
    assert client.simulate_get(f"{MOUNT}/globalTags").status_code == 404


# -- 74. Unknown paths -----------------------------------------------------------------------------

def _not_found_problems(api, paths) -> list[str]:
    problems = []
    for path in paths:
        for method in ("GET", "POST", "DELETE", "PUT", "OPTIONS"):
            result = api.request(method, path, json={"name": "x"} if method in ("POST", "PUT") else None)
            if (result.status_code, result.json) != (404, NOT_FOUND) \
                    or result.headers.get("cache-control") != "no-store" \
                    or result.headers.get("content-type") != "application/json":
                problems.append(f"{method} {path} -> {result.status_code} {result.content[:100]!r}")
    return problems


def test_unknown_paths(base):
    """Scenario 74: unknown paths, paths with a slash they do not have, bad ``<int>`` segments."""
    problems = _not_found_problems(base, [
        "globalTags/", "pt/", "gt/", "globalTag/GT1/", "gt/abc", "gt/-1", "web/", "admin/", "foo",
        "gt/+1", "gt/1.0", "gt/%201", "web", "admin", "globaltags", "GlobalTags", "gtstatus/", "piov/abc", "pl/-3",
        "piov_attach/", "payloadiovs//", "timeout/", "deleteGlobalTag/GT1/", "deletePayloadIOV/GT1/Beam/0",
        "deletePayloadIOV/GT1/Beam/a/0", "deletePayloadIOV/GT1/Beam/0/0/1", "deletePayloadIOV/GT1/Beam/0/0/1/x",
        "user_settings/", "user_settings/CDB_IOV_MODE//", "global-tags/GT1/nothing", "payload-iovs/attach/",
        "static", "docs", "openapi.json",
    ])
    assert not problems, "\n".join(problems)


def test_unknown_paths_empty_name_segment(base):
    """Scenario 74 (§2.1): a ``<name>`` segment matches only a non-empty segment; an empty one is unknown."""
    problems = _not_found_problems(base, [
        "deleteGlobalTag/", "globalTag/", "gtPayloadLists/", "cloneGlobalTag/GT1/", "gt_change_status/GT1/",
        "deletePayloadIOV//Beam/0/0", "deletePayloadType/", "deletePayloadList/", "payload-lists/by-name/",
        "global-tags//payload-lists", "settings//", "user_settings//",
    ])
    assert not problems, "\n".join(problems)


def test_unknown_paths_alias_int_segment(base):
    """Scenario 74 (§2.1): the ``<int:pk>`` segment of the aliases matches ``[0-9]+`` only."""
    problems = _not_found_problems(base, ["payload-iovs/abc", "payload-iovs/-1", "payload-lists/abc",
                                          "payload-lists/1.5", "payload-iovs/GT1", "payload-lists/Beam_1"])
    assert not problems, "\n".join(problems)


def test_unknown_bare_mount(client):
    """Scenario 74: the bare mount, with and without a slash."""
    expect(client.simulate_get(MOUNT), 404, NOT_FOUND)
    expect(client.simulate_get(MOUNT + "/"), 404, NOT_FOUND)


def test_int_above_max_not_found(base):
    """Scenario 74 (§2.1): an ``<int>`` segment above MAX matches but is not found."""
    for path in ("gt/99999999999999999999", "gt/9223372036854775808", "pl/99999999999999999999",
                 "piov/99999999999999999999", "payload-lists/99999999999999999999",
                 "payload-iovs/99999999999999999999"):
        expect(base.get(path), 404, NOT_FOUND)


def test_percent_encoded_names(base):
    """Scenario 74 (§2.1): name segments are percent-decoded as UTF-8; ``+`` in a query is a space."""
    base.global_tag("a b")
    base.global_tag("Zürich")
    base.ins("a b", "Beam", "s.dat", (0, 0))
    assert expect(base.get("globalTag/a%20b", "light"), 200)["name"] == "a b"
    assert expect(base.get("global-tags/Z%C3%BCrich", "light"), 200)["name"] == "Zürich"
    assert list(expect(base.get("gtPayloadLists/a%20b"), 200)) == ["Beam"]
    rows = [["Beam", "s.dat", "cs", None, 0, 0, *OPEN]]
    assert expect(base.get("payloadiovs/", "gtName=a+b&majorIOV=1&minorIOV=0"), 200) == rows
    assert expect(base.get("payloadiovs/", "gtName=a%20b&majorIOV=1&minorIOV=0"), 200) == rows
    expect(base.get("globalTag/a%2Fb"), 404, NOT_FOUND)
    expect(base.post("cloneGlobalTag/Z%C3%BCrich/Gen%C3%A8ve"), 200)
    assert expect(base.get("globalTag/Gen%C3%A8ve", "light"), 200)["name"] == "Genève"


# -- 75. 405s --------------------------------------------------------------------------------------

def test_method_not_allowed(base):
    """Scenario 75: DRF's 405 message, and ``Allow`` with HEAD (when GET is there) and OPTIONS."""
    cases = [
        ("DELETE", "gt", "GET, POST, HEAD, OPTIONS"),
        ("PUT", "gt", "GET, POST, HEAD, OPTIONS"),
        ("GET", "cloneGlobalTag/GT1/X", "POST, OPTIONS"),
        ("POST", "pl_attach", "PUT, PATCH, OPTIONS"),
        ("GET", "bulk_piov", "POST, OPTIONS"),
        ("PUT", "piov", "GET, POST, HEAD, OPTIONS"),
        ("POST", "piov_attach", "PUT, PATCH, OPTIONS"),
        ("POST", "globalTags", "GET, HEAD, OPTIONS"),
        ("DELETE", "payloadiovs/", "GET, HEAD, OPTIONS"),
        ("POST", "timeout", "GET, HEAD, OPTIONS"),
        ("GET", "deleteGlobalTag/GT1", "DELETE, OPTIONS"),
        ("POST", "gt_change_status/GT1/locked", "PUT, PATCH, OPTIONS"),
        ("GET", "global-tags/GT1/clone/X", "POST, OPTIONS"),
        ("DELETE", "payload-types", "GET, POST, HEAD, OPTIONS"),
        ("PATCH", "gtstatus", "GET, POST, HEAD, OPTIONS"),
        ("GET", "payload-iovs/bulk", "POST, OPTIONS"),
    ]
    problems = []
    for method, path, allow in cases:
        result = base.request(method, path, json={"name": "X"})
        got = (result.status_code, result.json, result.headers.get("allow"), result.headers.get("cache-control"))
        if got != (405, method_not_allowed(method), allow, "no-store"):
            problems.append(f"{method} {path}: {got}")
    assert not problems, "\n".join(problems)
    assert "X" not in [g["name"] for g in expect(base.get("globalTags"), 200)]


def test_method_not_allowed_does_nothing(base):
    """Scenario 75: a refused method changes nothing."""
    name = base.new_list("Beam")
    before = base.get("pl").content
    expect(base.post("pl_attach", {"global_tag": "GT1", "payload_list": name}), 405, method_not_allowed("POST"))
    assert base.get("pl").content == before


# -- 76. Bodies ------------------------------------------------------------------------------------

def test_bodyless_endpoints_ignore_body(base):
    """Scenario 76: the status change, the clone and the deletes ignore their body and its Content-Type."""
    problems = []
    for content_type in (None, "application/json", "text/plain", "multipart/form-data; boundary=x",
                         "application/x-www-form-urlencoded", "application/xml"):
        headers = {"Content-Type": content_type} if content_type else {}
        for body in (None, b"", b"null", b"{}", b"garbage{", b"[1]", b'"x"'):
            changed = base.request("PUT", "gt_change_status/GT1/locked", body=body, headers=headers)
            cloned = base.request("POST", "cloneGlobalTag/GT1/GTX", body=body, headers=headers)
            deleted = base.request("DELETE", "deleteGlobalTag/GTX", body=body, headers=headers)
            outcome = (changed.status_code, changed.json and changed.json.get("status"),
                       cloned.status_code, cloned.json and cloned.json.get("name"), deleted.status_code)
            if outcome != (200, 2, 200, "GTX", 200):
                problems.append(f"{content_type} {body!r}: {outcome} {changed.content[:80]!r} {cloned.content[:80]!r}")
    assert not problems, "\n".join(problems)


def test_clone_with_null_body(base):
    """Scenario 76: ``POST cloneGlobalTag`` with ``null``, as the C++ client sends it."""
    result = base.request("POST", "cloneGlobalTag/GT1/GT3", body="null", headers=JSON_CT)
    assert expect(result, 200)["name"] == "GT3"


def test_post_malformed_json(api):
    """Scenario 76: malformed JSON is a 400 ``JSON parse error - …``."""
    result = api.request("POST", "pt", body='{"name": "Beam"', headers=JSON_CT)
    body = expect(result, 400)
    assert set(body) == {"detail", "code"} and body["code"] == "bad_request"
    assert body["detail"].startswith("JSON parse error - ") and len(body["detail"]) > len("JSON parse error - ")
    assert expect(api.get("pt"), 200) == []


def test_post_text_plain(api):
    """Scenario 76: ``text/plain`` is an unsupported media type."""
    expect(api.request("POST", "pt", body='{"name": "Beam"}', headers={"Content-Type": "text/plain"}), 415,
           {"detail": 'Unsupported media type "text/plain" in request.', "code": "unsupported_media_type"})
    assert expect(api.get("pt"), 200) == []


def test_post_multipart_refused(api):
    """Scenario 76 (§0.5 13): ``multipart/form-data`` is refused with 415."""
    body = b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nMulti\r\n--x--\r\n'
    result = api.request("POST", "pt", body=body, headers={"Content-Type": "multipart/form-data; boundary=x"})
    data = expect(result, 415)
    assert data["code"] == "unsupported_media_type" and data["detail"].startswith('Unsupported media type "')
    assert expect(api.get("pt"), 200) == []


def test_post_form_encoded(api):
    """Scenario 76: a form-encoded body is accepted, as DRF accepts it."""
    result = api.request("POST", "pt", body="name=Form&description=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert expect(result, 200)["name"] == "Form"
    api.status("unlocked")
    result = api.request("POST", "gt", body="name=G%20F&status=unlocked&author=me",
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    created = expect(result, 200)
    assert (created["name"], created["author"]) == ("G F", "me")


def test_post_json_without_content_type(api):
    """Scenario 76: a JSON body without a Content-Type is parsed as JSON."""
    assert expect(api.request("POST", "pt", body='{"name": "NoType"}'), 200)["name"] == "NoType"


def test_post_empty_body(api):
    """Scenario 76 (§2.3): an empty body counts as ``{}``."""
    expect(api.request("POST", "pt", body=b""), 400, {"name": ["This field is required."], "code": "validation_error"})
    expect(api.request("POST", "pt", body=b"", headers=JSON_CT), 400,
           {"name": ["This field is required."], "code": "validation_error"})
    expect(api.request("POST", "pt"), 400, {"name": ["This field is required."], "code": "validation_error"})


def test_post_non_object(api):
    """Scenario 76: a JSON value that is not an object."""
    for raw, type_name in [("[1]", "list"), ('"Beam"', "str"), ("5", "int"), ("null", "NoneType"),
                           ("true", "bool"), ("1.5", "float")]:
        expect(api.request("POST", "pt", body=raw, headers=JSON_CT), 400,
               {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type_name}."],
                "code": "bad_request"})


@pytest.mark.parametrize("conditions_settings", [{"max_body_bytes": 1024}])
def test_body_too_large(api, conditions_settings):
    """Scenario 76: a body over ``max_body_bytes`` → 413, announced or chunked."""
    too_large = {"detail": "Request body too large.", "code": "payload_too_large"}
    big = json.dumps({"name": "Big", "description": "x" * 2000})
    expect(api.request("POST", "pt", body=big, headers=JSON_CT), 413, too_large)
    expect(api.client.simulate_request("POST", f"{MOUNT}/pt", body=big, headers=JSON_CT, chunked=True), 413, too_large)
    items = json.dumps([{"payload_url": "x" * 100, "payload_list": "Beam_1", "major_iov": i, "minor_iov": 0}
                        for i in range(20)])
    expect(api.request("POST", "bulk_piov", body=items, headers=JSON_CT), 413, too_large)
    expect(api.request("PUT", "gt_change_status/GT1/locked", body=big, headers=JSON_CT), 413, too_large)
    assert expect(api.get("pt"), 200) == []
    # Just under the limit is fine.
    fits = json.dumps({"name": "Fits", "description": "x" * 900})
    assert len(fits) <= 1024
    expect(api.request("POST", "pt", body=fits, headers=JSON_CT), 200)


# -- 77. PATCH -------------------------------------------------------------------------------------

def _strip(body: dict, *keys: str) -> dict:
    return {k: v for k, v in body.items() if k not in keys}


@pytest.mark.parametrize(("legacy", "alias"), [(True, False), (False, True)])
def test_patch_is_put(base, legacy, alias):
    """Scenario 77: PATCH gives the same results as PUT on the three update routes and their aliases."""
    change = "gt_change_status/{gt}/{status}" if legacy else "global-tags/{gt}/change-status/{status}"
    attach_list = "pl_attach" if legacy else "payload-lists/attach"
    attach_iov = "piov_attach" if legacy else "payload-iovs/attach"

    put = expect(base.request("PUT", change.format(gt="GT1", status="locked"), body="null", headers=JSON_CT), 200)
    patch = expect(base.request("PATCH", change.format(gt="GT2", status="locked"), body="null", headers=JSON_CT), 200)
    assert _strip(put, "id", "name", "created", "updated") == _strip(patch, "id", "name", "created", "updated")
    assert patch["status"] == 2 and patch["name"] == "GT2"
    for method in ("PUT", "PATCH"):
        expect(base.request(method, change.format(gt="GT1", status="nosuch")), 404,
               {"detail": "GlobalTag Status not found.", "code": "status_not_found"})
        expect(base.request(method, change.format(gt="NoGT", status="locked")), 404,
               {"detail": "GlobalTag not found.", "code": "global_tag_not_found"})
        expect(base.request(method, change.format(gt="GT1", status="unlocked")), 200)
        expect(base.request(method, change.format(gt="GT2", status="unlocked")), 200)

    lists = [base.new_list("Beam"), base.new_list("Beam")]
    put = expect(base.request("PUT", attach_list, json={"global_tag": "GT1", "payload_list": lists[0]}), 200)
    patch = expect(base.request("PATCH", attach_list, json={"global_tag": "GT2", "payload_list": lists[1]}), 200)
    assert list(put) == list(patch) == ["id", "name", "global_tag", "payload_type", "created"]
    assert (patch["name"], patch["global_tag"], patch["payload_type"]) == (lists[1], "GT2", "Beam")
    assert expect(base.get("gtPayloadLists/GT2"), 200) == {"Beam": lists[1]}
    for method in ("PUT", "PATCH"):
        expect(base.request(method, attach_list, json={}), 400,
               {"global_tag": ["This field is required."], "payload_list": ["This field is required."],
                "code": "validation_error"})
        expect(base.request(method, attach_list, json={"global_tag": "GT1", "payload_list": "Nope_1"}), 404,
               {"detail": "PayloadList not found.", "code": "payload_list_not_found"})

    ids = [base.mk("a.dat", (0, 0)), base.mk("b.dat", (10, 0))]
    put = expect(base.request("PUT", attach_iov, json={"payload_list": lists[0], "piov_id": ids[0]}), 200)
    patch = expect(base.request("PATCH", attach_iov, json={"payload_list": lists[0], "piov_id": ids[1]}), 200)
    assert list(put) == list(patch)
    assert (patch["id"], patch["payload_list"]) == (ids[1], lists[0])
    assert base.res("GT1", 5, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]
    for method in ("PUT", "PATCH"):
        expect(base.request(method, attach_iov, json={"payload_list": lists[0], "piov_id": 999999}), 404,
               {"detail": "PayloadIOV not found.", "code": "payload_iov_not_found"})
        expect(base.request(method, attach_iov, json={"payload_list": lists[0]}), 400,
               {"piov_id": ["This field is required."], "code": "validation_error"})


# -- 78. HEAD and OPTIONS --------------------------------------------------------------------------

def _headers(result) -> dict:
    return {k: v for k, v in result.headers.items() if k not in VOLATILE}


def _same_headers(get, head) -> bool:
    """GET's headers and HEAD's (sent just after it), but for Date, the request id and the one step
    ``Last-Modified`` may take meanwhile (see ``last_modified_agrees``)."""
    a, b = _headers(get), _headers(head)
    return last_modified_agrees(a.pop("last-modified", None), b.pop("last-modified", None)) and a == b


def test_head_equals_get(base):
    """Scenario 78: HEAD answers GET's status and headers (same ETag) without a body."""
    iov = base.ins("GT1", "Beam", "a.dat", (0, 0))
    list_id = base.get("gtPayloadLists/GT1").json["Beam"].rsplit("_", 1)[1]
    problems = []
    for path, query in [
        ("payloadiovs/", "gtName=GT1&majorIOV=5&minorIOV=0"),
        ("payload-iovs/query/", "gtName=GT1&majorIOV=5&minorIOV=0&revision=1"),
        ("payloadiovs/", "gtName=NoGT&majorIOV=5&minorIOV=0"),
        ("payloadiovs_orm_max/", "gtName=GT1&majorIOV=5&minorIOV=0"),
        ("globalTags", ""), ("gtstatus", ""), ("pt", ""), ("globalTag/GT1", "light"), ("gtPayloadLists/GT1", ""),
        ("user_settings/CDB_IOV_MODE/", ""), (f"piov/{iov}", ""), (f"pl/{list_id}", ""), ("payload-iovs", "page=1"),
    ]:
        get = base.get(path, query)
        head = base.request("HEAD", path, query=query)
        if not (get.status_code == head.status_code == 200 and get.headers.get("etag")
                and _same_headers(get, head) and head.content == b""):
            problems.append(f"{path}?{query}: GET {get.status_code} {_headers(get)} / HEAD {head.status_code} "
                            f"{_headers(head)} {head.content[:50]!r}")
    assert not problems, "\n".join(problems)


def test_head_errors(base):
    """Scenario 78: HEAD of an error or a redirect: the GET's status and headers, no body."""
    for path, status in [("payloadiovs/", 400), ("globalTag/NoGT", 404), ("nothing", 404), ("payloadiovs", 301)]:
        get = base.get(path)
        head = base.request("HEAD", path)
        assert get.status_code == head.status_code == status, path
        assert _same_headers(get, head), path
        assert head.content == b"", path


def test_head_streamed(base):
    """Scenario 78: HEAD on the streamed views; the database stays usable afterwards."""
    base.ins("GT1", "Beam", "a.dat", (0, 0))
    for path in ("gt", "globalTag/GT1", "pl", "piov"):
        get, head = base.get(path), base.request("HEAD", path)
        assert head.status_code == get.status_code == 200
        assert head.content == b"" and head.headers.get("etag") == get.headers.get("etag")
        assert head.headers.get("content-type") == "application/json"
    base.ins("GT1", "Beam", "b.dat", (10, 0))
    assert [r[1] for r in base.res("GT1", 10, 0)] == ["b.dat"]


def test_options(base):
    """Scenario 78: OPTIONS → 200 with ``Allow``; nothing happens."""
    for path, allow in [
        ("gt", "GET, POST, HEAD, OPTIONS"), ("globalTags", "GET, HEAD, OPTIONS"), ("pl_attach", "PUT, PATCH, OPTIONS"),
        ("payloadiovs/", "GET, HEAD, OPTIONS"), ("deletePayloadIOV/GT1/Beam/0/0", "DELETE, OPTIONS"),
        ("cloneGlobalTag/GT1/GT9", "POST, OPTIONS"), ("bulk_piov", "POST, OPTIONS"),
        ("gt_change_status/GT1/locked", "PUT, PATCH, OPTIONS"), ("deleteGlobalTag/GT1", "DELETE, OPTIONS"),
    ]:
        result = base.request("OPTIONS", path)
        assert result.status_code == 200, path
        assert result.headers.get("allow") == allow, path
        assert not result.content.lstrip().startswith(b"<")
    assert [g["name"] for g in expect(base.get("globalTags"), 200)] == ["GT1", "GT2"]
    assert expect(base.get("globalTag/GT1", "light"), 200)["status"] == "unlocked"


# -- 79, 80. No HTML, ever; the ``name`` key ---------------------------------------------------------

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WRONG_TYPES = {"name": 1, "status": 2, "author": 3, "payload_type": 4, "global_tag": 5, "payload_list": 6,
               "piov_id": "x", "payload_url": 7, "checksum": 8, "major_iov": "abc", "minor_iov": True,
               "major_iov_end": [], "minor_iov_end": {}, "size": "big", "extra": 9, "description": 10}
HUGE = 10 ** 30


def _sweep_state(api) -> dict:
    """Base setup plus lists, IOVs (attached and detached), a locked and a frozen GT."""
    api.base_setup()
    beam = api.new_list("Beam", "GT1")
    cemc = api.new_list("CEMC", "GT2")
    spare = api.new_list("Beam")
    api.ok(api.att(beam, api.mk("a.dat", (0, 0), (10, 0))))
    api.ok(api.att(beam, api.mk("b.dat", (10, 0))))
    api.ok(api.att(cemc, api.mk("e.dat", (5, 0), (6, 0))))
    loose = api.mk("d.dat", (20, 0))
    api.global_tag("GTL")
    api.new_list("Beam", "GTL")
    api.ok(api.put("gt_change_status/GTL/locked"))
    api.global_tag("GTF")
    frozen_list = api.new_list("CEMC", "GTF")
    api.ok(api.put("gt_change_status/GTF/frozen"))
    return {"beam": beam, "cemc": cemc, "spare": spare, "loose": loose, "frozen_list": frozen_list,
            "beam_id": beam.rsplit("_", 1)[1]}


def _valid_bodies(s: dict) -> dict[str, object]:
    iov = {"payload_url": "n.dat", "checksum": "cn", "major_iov": 30, "minor_iov": 0}
    return {
        "status": {"name": "newstatus"},
        "gt": {"name": "GT9", "status": "unlocked", "author": "x"},
        "pt": {"name": "NewType"},
        "pl": {"payload_type": "Beam"},
        "pl_attach": {"global_tag": "GT2", "payload_list": s["spare"]},
        "piov": iov,
        "bulk": [{**iov, "payload_list": s["beam"]}, {**iov, "payload_list": s["cemc"], "major_iov": 40}],
        "piov_attach": {"payload_list": s["beam"], "piov_id": s["loose"]},
        "none": None,
    }


def _unknown_bodies(s: dict) -> dict[str, object]:
    return {
        "status": {"name": "unlocked"},
        "gt": {"name": "GT9", "status": "nosuch"},
        "pt": {"name": "Beam"},
        "pl": {"payload_type": "Nope"},
        "pl_attach": {"global_tag": "NoGT", "payload_list": "Nope_1"},
        "piov": {"payload_url": "n.dat", "checksum": "cn", "major_iov": 5, "minor_iov": 0, "major_iov_end": 1},
        "bulk": [{"payload_url": "n.dat", "payload_list": "Nope_1", "major_iov": 1, "minor_iov": 0}],
        "piov_attach": {"payload_list": "Nope_1", "piov_id": 999999},
        "none": None,
    }


def _huge_body(s: dict) -> dict:
    return {"name": "x" * 300, "status": "unlocked", "author": "a" * 300, "payload_type": "Beam" * 100,
            "global_tag": "GT1", "payload_list": s["beam"], "piov_id": HUGE, "payload_url": "u" * 300,
            "checksum": "c", "major_iov": HUGE, "minor_iov": -HUGE, "major_iov_end": HUGE, "size": HUGE}


# (path template, body kind); {gt}, {gt2}, {type}, {list}, {pk}, {iov}, {maj}… are filled per variant.
ROUTES = [
    ("gtstatus", "status"), ("global-tags/statuses", "status"),
    ("globalTags", "none"), ("global-tags", "none"),
    ("gt", "gt"), ("gt/{pk}", "none"),
    ("globalTag/{gt}", "none"), ("global-tags/{gt}", "none"),
    ("gtPayloadLists/{gt}", "none"), ("global-tags/{gt}/payload-lists", "none"),
    ("cloneGlobalTag/{gt}/{new}", "none"), ("global-tags/{gt}/clone/{new}", "none"),
    ("gt_change_status/{gt}/{status}", "none"), ("global-tags/{gt}/change-status/{status}", "none"),
    ("deleteGlobalTag/{gt}", "none"), ("global-tags/{gt}/delete", "none"),
    ("pt", "pt"), ("payload-types", "pt"),
    ("deletePayloadType/{type}", "none"), ("payload-types/{type}/delete", "none"),
    ("pl", "pl"), ("payload-lists", "pl"),
    ("pl/{pk}", "none"), ("payload-lists/{pk}", "none"), ("payload-lists/by-name/{list}", "none"),
    ("pl_attach", "pl_attach"), ("payload-lists/attach", "pl_attach"),
    ("deletePayloadList/{list}", "none"), ("payload-lists/{list}/delete", "none"),
    ("piov", "piov"), ("payload-iovs", "piov"),
    ("piov/{pk}", "none"), ("payload-iovs/{pk}", "none"),
    ("bulk_piov", "bulk"), ("payload-iovs/bulk", "bulk"),
    ("piov_attach", "piov_attach"), ("payload-iovs/attach", "piov_attach"),
    ("deletePayloadIOV/{gt}/{type}/{maj}/{min}", "none"),
    ("deletePayloadIOV/{gt}/{type}/{maj}/{min}/{maj_end}/{min_end}", "none"),
    ("payload-iovs/{gt}/{type}/{maj}/{min}/delete", "none"),
    ("payload-iovs/{gt}/{type}/{maj}/{min}/{maj_end}/{min_end}/delete", "none"),
    ("payloadiovs/", "none"), ("payload-iovs/query/", "none"),
    ("payloadiovs_orm_orderby/", "none"), ("payloadiovs_orm_max/", "none"),
    ("payloadiovs", "none"), ("user_settings/{setting}", "none"),
    ("user_settings/{setting}/", "none"), ("settings/{setting}/", "none"),
    ("timeout", "none"),
    # unknown paths under the mount
    ("", "none"), ("foo", "none"), ("web/", "none"), ("admin/", "none"), ("globalTags/", "none"),
    ("globalTag/{gt}/", "none"), ("gt/abc", "none"),
]


def _path_variants(template: str, s: dict) -> list[str]:
    valid = {"gt": "GT1", "new": "GTNEW", "status": "locked", "type": "Beam", "list": s["beam"],
             "pk": "1", "maj": "10", "min": "0", "maj_end": str(MAX), "min_end": str(MAX),
             "setting": "CDB_IOV_MODE"}
    unknown = {"gt": "NoGT", "new": "GT2", "status": "nosuch", "type": "Nope", "list": "Nope_1",
               "pk": "424242", "maj": "-7", "min": "-7", "maj_end": "-1", "min_end": "-1",
               "setting": "CDB_AUTH_CLASS"}
    huge = {**unknown, "gt": "G" * 300, "new": "N" * 300, "pk": str(HUGE), "maj": str(HUGE), "min": str(-HUGE),
            "maj_end": str(HUGE), "min_end": "99999999999999999999"}
    locked = {**valid, "gt": "GTL", "new": "GTL2", "list": s["frozen_list"], "type": "CEMC"}
    frozen = {**valid, "gt": "GTF", "new": "GTF2", "status": "unlocked", "type": "CEMC", "maj": "5", "min": "0",
              "maj_end": "6", "min_end": "0"}
    out = []
    for values in (valid, unknown, huge, locked, frozen):
        path = template.format(**values)
        if path not in out:
            out.append(path)
    return out


# Routes whose answers depend on the query string get every query; the others two of them.
QUERY_ROUTES = ("payloadiovs", "payload-iovs/query", "timeout", "globalTag/", "global-tags", "globalTags", "pt",
                "payload-types", "pl", "payload-lists", "piov", "payload-iovs")
QUERIES = ["", "gtName=GT1&majorIOV=5&minorIOV=0", "gtName=GT1&majorIOV=abc&minorIOV=",
           "gtName=NoGT&majorIOV=1&minorIOV=1&shape=dict&revision=1", "gtName=&revision=maybe",
           f"gtName=GT1&majorIOV={HUGE}&minorIOV=-{HUGE}", "page=1&page_size=abc&sort=zzz&order=desc&search=a",
           f"page={HUGE}&page_size={HUGE}", "light", f"seconds={HUGE}", "seconds=abc", "seconds=-1"]


def _write_inputs(kind: str, s: dict) -> list[tuple[bytes | None, dict]]:
    """(body, headers) pairs for a write: valid, missing fields, wrong types, unknown names,
    malformed JSON, oversized numbers, the wrong top-level type and media types."""
    valid = _valid_bodies(s)[kind]
    unknown = _unknown_bodies(s)[kind]
    wrong = [WRONG_TYPES, "x", None] if kind == "bulk" else WRONG_TYPES
    huge = [_huge_body(s)] if kind == "bulk" else _huge_body(s)
    bodies = [valid, {}, [], wrong, unknown, huge, [1], "text", {"name": None, "payload_list": None}]
    out: list[tuple[bytes | None, dict]] = [(None, {})]
    for body in bodies:
        if body is None:
            continue
        out.append((json.dumps(body).encode(), JSON_CT))
    out += [
        (b"garbage{", JSON_CT),
        (b'{"name": "x", ', {}),
        (b"null", JSON_CT),
        (b'{"major_iov": 1e400, "piov_id": 1e400}', JSON_CT),
        (b"\xff\xfe\x00", JSON_CT),
        (b"name=Form&payload_type=Beam&piov_id=abc", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"name=%FF%FE", {"Content-Type": "application/x-www-form-urlencoded"}),
        (json.dumps(valid).encode() if valid is not None else b"{}", {"Content-Type": "text/plain"}),
        (b"--x--\r\n", {"Content-Type": "multipart/form-data; boundary=x"}),
    ]
    return out


def _check(result, method: str, label: str, problems: list[str]) -> None:
    """Every answer is JSON, or one of the specified empty answers; errors are well-formed."""
    status, headers, content = result.status_code, result.headers, result.content
    where = f"{label} -> {status}"
    if status >= 500:
        problems.append(f"{where}: server error {content[:200]!r}")
    if content.lstrip()[:1] == b"<" or "html" in headers.get("content-type", ""):
        problems.append(f"{where}: HTML {content[:200]!r}")
        return
    if method == "HEAD":
        if content:
            problems.append(f"{where}: HEAD with a body")
        if status not in (301, 304) and not headers.get("content-type", "").startswith("application/json"):
            problems.append(f"{where}: HEAD without the JSON content type {headers}")
        return
    if status in (301, 304) or (status == 200 and not content and method == "POST" and "bulk" in label):
        if content:
            problems.append(f"{where}: body on an empty answer")
        if status != 304 and headers.get("content-length") != "0":
            problems.append(f"{where}: Content-Length is not 0: {headers}")
        if status != 304 and "content-type" in headers:
            problems.append(f"{where}: Content-Type on an empty answer: {headers}")
        if status == 301 and not headers.get("location", "").startswith(MOUNT + "/"):
            problems.append(f"{where}: bad Location {headers}")
        return
    if method == "OPTIONS" and status == 200:
        if not headers.get("allow"):
            problems.append(f"{where}: OPTIONS without Allow {headers}")
        return
    if not headers.get("content-type", "").startswith("application/json"):
        problems.append(f"{where}: Content-Type {headers.get('content-type')!r}")
    try:
        body = json.loads(content)
    except ValueError:
        problems.append(f"{where}: not JSON {content[:200]!r}")
        return
    if status >= 400:
        if headers.get("cache-control") != "no-store":
            problems.append(f"{where}: error without Cache-Control: no-store")
        if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not body["code"]:
            problems.append(f"{where}: error without a code {body!r}")
            return
        if "detail" in body and not isinstance(body["detail"], str):
            problems.append(f"{where}: non-string detail {body!r}")
        if "detail" not in body and not any(isinstance(v, list) for k, v in body.items() if k != "code"):
            problems.append(f"{where}: neither detail nor field errors {body!r}")
        # Scenario 80: the C++ client reports body["name"][0] whenever "name" is there.
        if "name" in body:
            name = body["name"]
            if not (isinstance(name, list) and name and all(isinstance(m, str) for m in name)):
                problems.append(f"{where}: 'name' is not a non-empty list of strings: {body!r}")
        if "text" in json.dumps(body).lower() and "traceback" in json.dumps(body).lower():
            problems.append(f"{where}: traceback in body {body!r}")


SWEEP_GROUPS = [ROUTES[i:i + 2] for i in range(0, len(ROUTES), 2)]


@pytest.mark.parametrize("routes", SWEEP_GROUPS, ids=[" ".join(t or "<mount>" for t, _ in g) for g in SWEEP_GROUPS])
def test_no_html_ever(api, routes):
    """Scenarios 79 and 80: every route × method × {valid, missing fields, wrong types, unknown names,
    malformed JSON, oversized numbers}: JSON with the JSON content type, or a specified empty answer;
    a ``name`` key in an error is a non-empty list of strings."""
    s = _sweep_state(api)
    problems: list[str] = []
    for template, kind, path in [(t, k, p) for t, k in routes for p in _path_variants(t, s)]:
        for method in METHODS:
            if method in ("GET", "HEAD"):
                queries = QUERIES if template.startswith(QUERY_ROUTES) else QUERIES[:3]
                inputs = [(q, None, {}) for q in queries] + [("", None, {"If-None-Match": "*"}),
                                                              (QUERIES[1], None, {"If-None-Match": 'W/"x", *'})]
            elif method in ("POST", "PUT", "PATCH"):
                inputs = [("", body, headers) for body, headers in _write_inputs(kind, s)]
            elif method == "DELETE":
                inputs = [("", None, {}), ("", b"garbage{", JSON_CT), ("", b"null", JSON_CT)]
            else:
                inputs = [("", None, {})]
            for query, body, headers in inputs:
                result = api.request(method, path, body=body, headers=headers, query=query)
                label = f"{method} {path}?{query} body={body[:60] if body else body!r} {headers}"
                _check(result, method, label, problems)
                if result.status_code == 405:
                    break  # decided before the input is looked at (§2.6); the other inputs add nothing
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} problems)"


def test_name_key_in_errors(base):
    """Scenario 80: the errors that carry ``name`` carry a non-empty list of strings, which the C++ client
    reports as ``body["name"][0]``; the other errors have no ``name`` key."""
    long_name = "N" * 81
    with_name = [
        (base.post("gtstatus", {"name": "unlocked"}), "global tag status with this name already exists."),
        (base.post("gtstatus", {}), "This field is required."),
        (base.post("gtstatus", {"name": ["a", "b"]}), "Not a valid string."),
        (base.post("pt", {"name": "Beam"}), "payload type with this name already exists."),
        (base.post("pt", {"name": {"x": 1}}), "Not a valid string."),
        (base.post("gt", {"name": "GT1", "status": "unlocked"}), "global tag with this name already exists."),
        (base.post("gt", {"name": long_name, "status": "unlocked"}),
         "Ensure this field has no more than 80 characters."),
        (base.post("cloneGlobalTag/GT1/GT2"), "global tag with this name already exists."),
        (base.post(f"cloneGlobalTag/GT1/{long_name}"), "Ensure this field has no more than 80 characters."),
        (base.post("global-tags/GT1/clone/GT2"), "global tag with this name already exists."),
    ]
    for result, message in with_name:
        body = expect(result, 400)
        assert body["name"] == [message], body
        assert body["code"] in ("already_exists", "validation_error")
    without_name = [
        base.post("cloneGlobalTag/NoGT/GT9"), base.delete("deleteGlobalTag/NoGT"), base.get("globalTag/NoGT"),
        base.post("gt", {"name": "GT9", "status": "nosuch"}), base.delete("deletePayloadType/Nope"),
        base.put("pl_attach", {"global_tag": "GT1", "payload_list": "Nope_1"}), base.get("nothing"),
        base.request("DELETE", "gt"), base.post("pt", body="{", headers=JSON_CT),
    ]
    for result in without_name:
        body = expect(result, result.status_code)
        assert result.status_code >= 400 and "name" not in body, body
    expect(base.post("cloneGlobalTag/GT1/GT2"), 400,
           {"name": ["global tag with this name already exists."], "code": "already_exists"})
    expect(base.post(f"cloneGlobalTag/GT1/{long_name}"), 400,
           {"name": ["Ensure this field has no more than 80 characters."], "code": "validation_error"})


@pytest.mark.parametrize("error", [RuntimeError("boom"),
                                   ZeroDivisionError("division by zero"),
                                   KeyError("status"),
                                   peewee.ProgrammingError('relation "cond_global_tag" does not exist\n'
                                                           "LINE 1: SELECT t1.id FROM cond_global_tag AS t1"),
                                   peewee.InternalError("SELECT secret FROM cond_state WHERE id = 1")],
                         ids=["runtime", "zerodiv", "keyerror", "programming", "internal"])
def test_unexpected_exception_is_json_500(base, monkeypatch, error):
    """Scenario 79: a conditions resource raising an unexpected exception → the specified 500, no SQL text."""
    def boom(*args, **kwargs):
        raise error

    monkeypatch.setattr(sciplane_conditions.services.reads, "gt_rows", boom)
    result = base.get("globalTags")
    expect(result, 500, {"detail": "A server error occurred.", "code": "internal_error"})
    assert b"SELECT" not in result.content and b"cond_" not in result.content
    head = base.request("HEAD", "globalTags")
    assert head.status_code == 500 and head.content == b""
    # Other routes are unaffected, and the database connection was given back.
    assert expect(base.get("globalTag/GT1", "light"), 200)["name"] == "GT1"


def test_unexpected_exception_on_write_is_json_500(base, monkeypatch):
    """Scenario 79: the same 500 on a write path (the renderer of the created row raises)."""
    def boom(*args, **kwargs):
        raise ValueError("INSERT INTO cond_payload_type (name) VALUES ('X')")

    monkeypatch.setattr(sciplane_conditions.render, "payload_type", boom)
    result = base.post("pt", {"name": "X"})
    expect(result, 500, {"detail": "A server error occurred.", "code": "internal_error"})
    assert b"INSERT" not in result.content


# -- 81. Timestamps --------------------------------------------------------------------------------

def _timestamps(value, found: list) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("created", "updated", "inserted"):
                found.append(item)
            _timestamps(item, found)
    elif isinstance(value, list):
        for item in value:
            _timestamps(item, found)


def test_timestamps(base):
    """Scenario 81: every ``created``, ``updated`` and ``inserted`` is naive ISO-8601 with 6 digits."""
    bodies = [base.status("extra"), base.payload_type("Extra"), base.global_tag("GT3")]
    beam = base.new_list("Beam", "GT1")
    bodies.append(expect(base.post("pl", {"payload_type": "CEMC"}), 200))
    cemc = bodies[-1]["name"]
    bodies.append(expect(base.put("pl_attach", {"global_tag": "GT1", "payload_list": cemc}), 200))
    created = expect(base.post("piov", {"payload_url": "a.dat", "checksum": "ca", "major_iov": 0, "minor_iov": 0}),
                     200)
    bodies += [created, expect(base.att(beam, created["id"]), 200)]
    base.ok(base.att(beam, base.mk("b.dat", (10, 0), (20, 0))))
    bodies.append(expect(base.put("gt_change_status/GT3/locked"), 200))
    bodies.append(expect(base.post("cloneGlobalTag/GT1/GT1c"), 200))
    for path, query in [("gtstatus", ""), ("global-tags/statuses", ""), ("globalTags", ""), ("gt", ""),
                        ("globalTag/GT1", ""), ("globalTag/GT1", "light"), ("pt", ""),
                        ("pl", ""), ("piov", ""), (f"pl/{beam.rsplit('_', 1)[1]}", ""), (f"piov/{created['id']}", ""),
                        (f"payload-lists/by-name/{beam}", ""), ("global-tags", "page=1"),
                        ("payload-types", "page=1"), ("payload-lists", "page=1"), ("payload-iovs", "page=1")]:
        bodies.append(expect(base.get(path, query), 200))
    found: list = []
    _timestamps(bodies, found)
    assert len(found) > 40
    bad = [value for value in found if not (isinstance(value, str) and ISO.match(value))]
    assert not bad, bad


def test_timestamps_orm_routes(base):
    """Scenario 81: the ``inserted`` of the ``<piov>`` objects of the legacy ORM routes."""
    base.ins("GT1", "Beam", "a.dat", (0, 0))
    base.ins("GT1", "CEMC", "b.dat", (1, 0), (2, 0))
    for path in ("payloadiovs_orm_max/", "payloadiovs_orm_orderby/"):
        rows = expect(base.get(path, "gtName=GT1&majorIOV=15&minorIOV=0"), 200)
        assert [r["payload_url"] for r in rows] == ["a.dat", "b.dat"]
        assert all(ISO.match(r["inserted"]) for r in rows), rows


# -- 82. Ordering ----------------------------------------------------------------------------------

def _key(iov: dict) -> tuple:
    return (iov["major_iov"], iov["minor_iov"], iov["id"])


def test_ordering_after_trims_and_moves(base):
    """Scenario 82: entity lists by id; lists in a GT by type name; nested IOVs by (major, minor, id)."""
    base.payload_type("Alpha")  # the newest type sorts first by name
    base.global_tag("AAA")  # the newest GT sorts first by name
    beam = base.new_list("Beam", "GT1")
    cemc = base.new_list("CEMC", "GT1")
    alpha = base.new_list("Alpha", "GT1")
    other = base.new_list("Beam", "GT2")
    # Trims, a split (a copy with a higher id and an earlier start) and an insert before the first IOV.
    for url, start, end in [("i1.dat", (10, 0), (20, 0)), ("i2.dat", (0, 0), (5, 0)), ("i3.dat", (15, 0), (30, 0)),
                            ("i4.dat", (12, 0), (13, 0)), ("i5.dat", (1, 0), (1, 5)), ("i6.dat", (1, 0), (1, 2))]:
        base.ok(base.att(beam, base.mk(url, start, end)))
    for url, start, end in [("c2.dat", (7, 0), OPEN), ("c1.dat", (3, 0), (5, 0))]:
        base.ok(base.att(cemc, base.mk(url, start, end)))
    base.ok(base.att(alpha, base.mk("z.dat", (0, 0))))
    # Moves: an IOV from GT2's list into GT1's, then CEMC's list from GT1 to AAA.
    moved = base.mk("m.dat", (8, 0), (9, 0))
    base.ok(base.att(other, moved))
    base.ok(base.att(beam, moved))
    base.ok(base.put("pl_attach", {"global_tag": "AAA", "payload_list": cemc}))

    for path in ("gtstatus", "globalTags", "gt", "pt", "pl", "piov"):
        ids = [row["id"] for row in expect(base.get(path), 200)]
        assert ids == sorted(ids) and len(ids) == len(set(ids)), path

    nested_all = expect(base.get("gt"), 200)
    assert [g["name"] for g in nested_all] == ["GT1", "GT2", "AAA"]
    for gt in nested_all:
        types = [pl["payload_type"] for pl in gt["payload_lists"]]
        assert types == sorted(types), gt["name"]
        for pl in gt["payload_lists"]:
            assert [_key(i) for i in pl["payload_iov"]] == sorted(_key(i) for i in pl["payload_iov"])
    gt1 = expect(base.get("globalTag/GT1"), 200)
    assert [pl["payload_type"] for pl in gt1["payload_lists"]] == ["Alpha", "Beam"]
    # §2.4 key order: the reference serializers' order, as §3 shows the shapes.
    assert list(gt1) == ["id", "name", "author", "status", "payload_lists", "created", "updated"]
    assert list(gt1["status"]) == ["id", "name", "description", "created"]
    assert gt1["status"]["name"] == "unlocked" and gt1["status"]["description"] is None
    assert list(gt1["payload_lists"][0]) == ["id", "name", "global_tag", "payload_type", "payload_iov", "created"]
    assert list(gt1["payload_lists"][0]["payload_iov"][0]) == [
        "id", "payload_url", "checksum", "major_iov", "minor_iov", "comb_iov", "major_iov_end", "minor_iov_end",
        "payload_list", "inserted"]
    assert all(list(pl) == ["id", "name", "global_tag", "payload_type", "payload_iov", "created"]
               for pl in expect(base.get("pl"), 200))
    assert gt1 == next(g for g in nested_all if g["name"] == "GT1")
    assert expect(base.get(f"gt/{gt1['id']}"), 200) == gt1
    beam_iovs = gt1["payload_lists"][1]["payload_iov"]
    assert [i["payload_url"] for i in beam_iovs] == ["i2.dat", "i6.dat", "i5.dat", "i2.dat", "m.dat", "i1.dat",
                                                     "i4.dat", "i1.dat", "i3.dat"]
    ids = [i["id"] for i in beam_iovs]
    assert ids != sorted(ids)  # the order really is by start, not by id
    assert [_key(i) for i in beam_iovs] == sorted(_key(i) for i in beam_iovs)

    for pl in expect(base.get("pl"), 200):
        assert [_key(i) for i in pl["payload_iov"]] == sorted(_key(i) for i in pl["payload_iov"])
    assert list(expect(base.get("gtPayloadLists/GT1"), 200)) == ["Alpha", "Beam"]
    assert [r[0] for r in base.res("GT1", 100, 0)] == ["Alpha", "Beam"]
    assert base.res("GT1", 8, 5)[1] == ["Beam", "m.dat", "cm", None, 8, 0, 9, 0]
    assert base.res("GT1", 1, 3)[1] == ["Beam", "i5.dat", "ci5", None, 1, 2, 1, 5]
    assert base.res("GT1", 35, 0)[1] == ["Beam", "i3.dat", "ci3", None, 15, 0, 30, 0]
    assert base.res("GT1", 99, 0)[0] == ["Alpha", "z.dat", "cz", None, 0, 0, *OPEN]
