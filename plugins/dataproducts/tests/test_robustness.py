"""No HTML, ever (spec §5, scenario 53): every route of both dialects with every method, valid, malformed
and oversized bodies, unknown sub-paths, and an injected exception — every error is JSON in the §5 shape."""

from __future__ import annotations

import re

import pytest

from sciplane.testing import call_wsgi

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
BODIES = {
    "none": (None, {}),
    "json": (b'{"target": 1, "data_type": "photometry", "value": {"m": 1}}', {"Content-Type": "application/json"}),
    "malformed json": (b'{"target": ', {"Content-Type": "application/json"}),
    "json list": (b'[1, "x", null]', {"Content-Type": "application/json"}),
    "form": (b"email=a@b.c&action=add&id=1", {"Content-Type": "application/x-www-form-urlencoded"}),
    "bad multipart": (b"--x\r\nnot a part", {"Content-Type": "multipart/form-data; boundary=x"}),
    "no boundary": (b"data", {"Content-Type": "multipart/form-data"}),
    "oversized": (b"{" + b" " * 20_000 + b"}", {"Content-Type": "application/json"}),
    "binary": (bytes(range(256)), {"Content-Type": "application/octet-stream"}),
}


@pytest.fixture
def dp_settings():
    return {"max_json_bytes": 8192, "max_upload_bytes": 16384}


def paths(app) -> list[str]:
    out = []
    for template, (group, _) in app.sciplane.routes.by_template.items():
        if group.name.startswith("dataproducts-"):
            for value in ("1", "999999999"):
                out.append(re.sub(r"\{[^}]*\}", value, template) + "/")
    return sorted(set(out)) + ["/tom/api/nope/", "/gsp/api/files/1/nope/", "/tom/api/dataproducts/abc/",
                               "/gsp/api/files/header/extra/", "/tom/api/reduceddatums/-1/"]


def assert_json_error(resp, label: str) -> None:
    if resp.status_code < 400:
        return
    assert resp.headers.get("content-type", "").startswith("application/json"), label
    if resp.content:  # HEAD answers carry headers only
        body = resp.json
        assert isinstance(body, dict) and {"title", "code", "detail"} <= set(body), (label, body)
        assert "Traceback" not in resp.text and "<html" not in resp.text.lower(), label


@pytest.mark.parametrize("user", ["owner", "staff", None])
def test_53_every_route_method_and_body(app, world, user):
    headers = {"Authorization": f"Token {world['tokens'][user]}"} if user else {}
    for path in paths(app):
        for method in METHODS:
            for name, (body, extra) in BODIES.items():
                resp = call_wsgi(app, method, path, body=body, headers={**headers, **extra})
                label = f"{user} {method} {path} {name}: {resp.status_code}"
                assert resp.status_code < 500 or resp.status_code == 501, label  # 501: GSP Live's unported actions
                assert_json_error(resp, label)


def test_53_an_injected_exception_is_a_json_500(app, tom, monkeypatch):
    from sciplane_dataproducts.services import records

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(records, "tom", broken)
    resp = tom("GET", "dataproducts/")
    assert resp.status_code == 500 and resp.json["error_id"] and resp.headers["content-type"] == "application/json"
    assert "secret" not in resp.text and "Traceback" not in resp.text
