"""Every response of the core is JSON with a code; methods, limits and ids behave."""

import re

import pytest

from sciplane import EndpointGroup, Route, hookimpl


class Boom:
    def on_get(self, req, resp):
        raise RuntimeError("SELECT secret FROM table -- must never reach a client")

    def on_post(self, req, resp):
        resp.media = {"got": req.get_media()}


class BoomPlugin:
    plugin_name = "boom"

    @hookimpl
    def register_endpoint_groups(self):
        return [EndpointGroup("boom", "/boom", [Route("/fail", Boom())], max_body_bytes=64)]


@pytest.fixture
def boom(make_app):
    import falcon.testing
    return falcon.testing.TestClient(make_app(extra_plugins=[BoomPlugin()]))


def test_health_checks_database_and_queue(client):
    resp = client.simulate_get("/health")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "checks": {"database": "ok", "jobs": "ok"}}
    assert resp.headers["cache-control"] == "no-store"


def test_liveness_has_no_dependencies(client):
    resp = client.simulate_get("/health/live")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}


def test_api_index_lists_plugins_mounts_parsers(client):
    body = client.simulate_get("/api").json
    assert body["name"] == "sciplane"
    core = next(p for p in body["plugins"] if p["name"] == "core")
    assert core["internal"] is True and "core.jobs.read" in core["actions"]
    assert body["parsers"] == [] and body["blob_stores"] == ["files"]


@pytest.mark.parametrize("path", ["/nope", "/api/nope", "/health/", "/api//jobs/x"])
def test_unknown_paths_are_json_404(client, path):
    resp = client.simulate_get(path)
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/json"
    assert resp.json["code"] == "not_found" and resp.json["title"] == "404 Not Found"
    assert resp.headers["cache-control"] == "no-store"


def test_wrong_method_is_json_405_with_allow(client):
    resp = client.simulate_delete("/health")
    assert resp.status_code == 405
    assert resp.json["code"] == "method_not_allowed"
    assert resp.json["description"] == 'Method "DELETE" not allowed.'
    assert resp.headers["allow"] == "GET, HEAD, OPTIONS"


def test_head_mirrors_get_without_body(client):
    get, head = client.simulate_get("/health/live"), client.simulate_head("/health/live")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]


def test_options_answers_allow(client):
    resp = client.simulate_options("/api")
    assert resp.status_code == 200 and resp.headers["allow"] == "GET, HEAD, OPTIONS"


def test_request_id_is_generated_or_propagated(client):
    generated = client.simulate_get("/health/live").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
    assert client.simulate_get("/health/live", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert client.simulate_get("/health/live", headers={"X-Request-Id": "bad id!"}).headers["x-request-id"] != "bad id!"


def test_unhandled_exception_is_json_500_without_internals(boom, caplog):
    resp = boom.simulate_get("/boom/fail")
    assert resp.status_code == 500
    assert resp.json["code"] == "internal_error" and resp.json["description"] == "A server error occurred."
    assert "SELECT" not in resp.text and "Traceback" not in resp.text
    assert re.fullmatch(r"[0-9a-f]{16}", resp.json["error_id"])
    assert resp.json["error_id"] in caplog.text


def test_pool_exhaustion_is_503():
    from playhouse.pool import MaxConnectionsExceeded

    from sciplane.errors import core_translators, from_exception
    error = from_exception(MaxConnectionsExceeded("too many"), core_translators())
    assert error.status == 503 and error.code == "overloaded" and error.headers["Retry-After"] == "1"


def test_malformed_json_is_400(boom):
    resp = boom.simulate_post("/boom/fail", body=b"{nope", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json["code"] == "invalid_json"


def test_nan_in_input_is_rejected(boom):
    resp = boom.simulate_post("/boom/fail", body=b'{"x": NaN}', headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json["code"] == "invalid_json"


def test_body_over_the_mount_limit_is_413_before_reading(boom):
    resp = boom.simulate_post("/boom/fail", body=b'{"x": "' + b"a" * 100 + b'"}',
                              headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json["code"] == "payload_too_large"


def test_chunked_bodies_are_read_and_bounded(boom):
    from sciplane.testing import call_wsgi
    ok = call_wsgi(boom.app, "POST", "/boom/fail", headers={"Content-Type": "application/json"},
                   body=b'{"x": 1}', chunked=True)
    assert ok.status_code == 200 and ok.content == b'{"got":{"x":1}}'
    big = call_wsgi(boom.app, "POST", "/boom/fail", headers={"Content-Type": "application/json"},
                    body=b'{"x": "' + b"a" * 200 + b'"}', chunked=True)
    assert big.status_code == 413 and b"payload_too_large" in big.content


def test_unsupported_media_type_is_415(boom):
    resp = boom.simulate_post("/boom/fail", body=b"x", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415 and resp.json["code"] == "unsupported_media_type"


def test_openapi_document_is_valid_and_complete(client, ctx):
    from openapi_spec_validator import validate

    document = client.simulate_get("/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")
    for template in ctx.routes.by_template:
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", template)
        assert path in document["paths"], f"{template} missing from OpenAPI"
    assert document["paths"]["/health"]["get"]["security"] == []
    assert "security" in document["paths"]["/api/jobs/{job_id}"]["get"]


def test_docs_page_is_served_from_installed_assets(client):
    page = client.simulate_get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "cdn" not in page.text.lower() and "http" not in page.text.replace("http-equiv", "")
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        resp = client.simulate_get(asset)
        assert resp.status_code == 200 and len(resp.content) > 1000


def test_openapi_can_be_extended(make_app):
    import falcon.testing

    class Tags:
        plugin_name = "tags"

        @hookimpl
        def openapi_extend(self, spec):
            spec.tag({"name": "core", "description": "Health and metadata"})

    document = falcon.testing.TestClient(make_app(extra_plugins=[Tags()])).simulate_get("/openapi.json").json
    assert {"name": "core", "description": "Health and metadata"} in document["tags"]


def test_access_log_line(make_app, caplog):
    import falcon.testing
    client = falcon.testing.TestClient(make_app(settings={"logging": {"access_log": True}}))
    with caplog.at_level("INFO", logger="sciplane.access"):
        client.simulate_get("/health/live", query_string="a=1", headers={"X-Request-Id": "req-42"})
    line = next(r.getMessage() for r in caplog.records if r.name == "sciplane.access")
    assert re.search(r'"GET /health/live\?a=1" 200 [0-9.]+ms id=req-42$', line)
