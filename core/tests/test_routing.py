"""Mount conventions: strict and tolerant routing, redirects, error renderers, body limits."""

import falcon.testing
import pytest

from sciplane import EndpointGroup, RenderedError, Route, hookimpl


class Echo:
    def on_get(self, req, resp, **params):
        resp.media = {"path": req.path, "params": params, "query": req.query_string}

    def on_post(self, req, resp, **params):
        resp.media = {"posted": True}


def detail_renderer(error, req):
    """A compatibility dialect: ``{"detail", "code"}`` and 403 instead of 401."""
    status = 403 if error.status == 401 else error.status
    return RenderedError(status, {"detail": error.description or "Not found.", "code": error.code}, {})


class Mounts:
    plugin_name = "mounts"

    @hookimpl
    def register_endpoint_groups(self):
        echo = Echo()
        return [
            EndpointGroup("strict", "/strict", [Route("/items", echo), Route("/query/", echo),
                                                Route("/items/{item_id:int}", echo),
                                                Route("/digits/{n:uint}", echo), Route("/signed/{n:sint}", echo),
                                                Route("/keys/{key}", echo, constraints={"key": "[0-9]+"}),
                                                Route("/keys/{key}/delete", echo), Route("/names/{name}", echo),
                                                Route("/keys/query/", echo)],
                          append_slash=True, error_renderer=detail_renderer),
            EndpointGroup("tolerant", "/tolerant", [Route("/items/", echo), Route("/items/{item_id:int}", echo),
                                                    Route("/items/by_name", echo),
                                                    Route("/uploads/", echo, max_body_bytes=20),
                                                    Route("/private/", echo, require_identity=True,
                                                          max_body_bytes=12)],
                          slashes="tolerant", strip_suffixes=(".json",), max_body_bytes=10),
        ]


@pytest.fixture
def client(make_app):
    return falcon.testing.TestClient(make_app(extra_plugins=[Mounts()]))


def test_strict_routes_match_exactly(client):
    assert client.simulate_get("/strict/items").status_code == 200
    resp = client.simulate_get("/strict/items/")
    assert resp.status_code == 404 and resp.json == {"detail": "The requested resource was not found.",
                                                     "code": "not_found"}


def test_append_slash_redirects_with_query(client):
    from sciplane.testing import call_wsgi
    resp = call_wsgi(client.app, "GET", "/strict/query", query_string="a=1&b=x%20y")
    assert resp.status_code == 301
    assert resp.headers["location"] == "/strict/query/?a=1&b=x%20y"
    assert resp.content == b"" and "content-type" not in resp.headers and resp.headers["content-length"] == "0"
    assert call_wsgi(client.app, "POST", "/strict/query").status_code == 301


def test_int_converter_rejects_other_segments(client):
    assert client.simulate_get("/strict/items/12").json["params"] == {"item_id": 12}
    assert client.simulate_get("/strict/items/abc").status_code == 404


def test_renderer_shapes_every_error_in_its_mount(client):
    resp = client.simulate_delete("/strict/items")
    assert resp.status_code == 405 and resp.json == {"detail": 'Method "DELETE" not allowed.',
                                                     "code": "method_not_allowed"}
    assert client.simulate_get("/strict/nothing/here").json["code"] == "not_found"
    # outside the mount the core shape applies
    assert "title" in client.simulate_get("/elsewhere").json


@pytest.mark.parametrize("path", ["/tolerant/items", "/tolerant/items/", "//tolerant//items//",
                                  "/tolerant/items.json"])
def test_tolerant_mount_normalises_paths(client, path):
    resp = client.simulate_get(path, query_string="x=1")
    assert resp.status_code == 200 and resp.json["path"] == "/tolerant/items" and resp.json["query"] == "x=1"


def test_tolerant_literal_segments_win_over_ids(client):
    assert client.simulate_get("/tolerant/items/by_name/").json["params"] == {}
    assert client.simulate_get("/tolerant/items/7/").json["params"] == {"item_id": 7}
    assert client.simulate_get("/tolerant/items//by_name").json["path"] == "/tolerant/items/by_name"


def test_mount_body_limit(client):
    resp = client.simulate_post("/tolerant/items", body=b"x" * 11, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


def test_a_route_limit_overrides_its_mounts(client):
    json = {"Content-Type": "application/json"}
    assert client.simulate_post("/tolerant/uploads", body=b"x" * 20, headers=json).status_code == 200
    resp = client.simulate_post("/tolerant/uploads", body=b"x" * 21, headers=json)
    assert resp.status_code == 413 and resp.json["max_bytes"] == 20
    # The mount's own limit still holds for its other routes, though the request passed the mount's ceiling.
    assert client.simulate_post("/tolerant/items", body=b"x" * 15, headers=json).status_code == 413


def test_a_route_limit_is_checked_after_credentials(client):
    # Past the route's limit but within the mount's ceiling: credentials are looked at first.
    resp = client.simulate_post("/tolerant/private", body=b"x" * 15, headers={"Content-Type": "application/json"})
    assert resp.status_code == 401


def test_mount_overlap_with_the_core_root_is_allowed(make_app):
    class UnderApi:
        plugin_name = "underapi"

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup("under", "/api/under", [Route("/x", Echo())])]

    client = falcon.testing.TestClient(make_app(extra_plugins=[UnderApi()]))
    assert client.simulate_get("/api/under/x").status_code == 200
    assert client.simulate_get("/api").status_code == 200


def test_root_mounted_group_keeps_its_conventions(make_app):
    class Root:
        plugin_name = "root"

        @hookimpl
        def register_endpoint_groups(self):
            routes = [Route("/api/files/", Echo()), Route("/api/files/{file_id:int}/", Echo())]
            return [EndpointGroup("files", "", routes, slashes="tolerant", error_renderer=detail_renderer)]

    client = falcon.testing.TestClient(make_app(extra_plugins=[Root()]))
    assert client.simulate_get("/api/files").status_code == 200
    assert client.simulate_get("/api/files/3").json["params"] == {"file_id": 3}
    assert client.simulate_get("/api/files/x/y").json == {"detail": "The requested resource was not found.",
                                                           "code": "not_found"}
    assert "title" in client.simulate_get("/api/other").json  # the core's scope


def test_head_is_public_where_get_is(make_app):
    class Half:
        plugin_name = "half"

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup("half", "/half", [Route("/x", Echo(), public=frozenset({"GET"}),
                                                          actions={"POST": "core.jobs.read"})])]

    client = falcon.testing.TestClient(make_app(extra_plugins=[Half()]))
    bad = {"Authorization": "Bearer stale"}
    assert client.simulate_get("/half/x", headers=bad).status_code == 200
    assert client.simulate_head("/half/x", headers=bad).status_code == 200
    assert client.simulate_post("/half/x", headers=bad).status_code == 401


def test_a_group_without_head_answers_it_405_except_on_routes_that_turn_it_on(make_app):
    class Downloads:
        plugin_name = "downloads"

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup("dl", "/dl", [Route("/list", Echo(), require_identity=True),
                                                Route("/file", Echo(), require_identity=True, head=True)],
                                  head=False)]

    client = falcon.testing.TestClient(make_app(extra_plugins=[Downloads()]))
    refused = client.simulate_head("/dl/list")  # refused for the method before credentials are asked for
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, POST, OPTIONS"
    assert client.simulate_options("/dl/list").headers["allow"] == "GET, POST, OPTIONS"
    assert client.simulate_head("/dl/file").status_code == 401
    assert client.simulate_options("/dl/file").headers["allow"] == "GET, POST, HEAD, OPTIONS"


def test_require_identity(make_app):
    class Writes:
        plugin_name = "writes"

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup("w", "/w", [Route("/x", Echo(), public=frozenset({"GET"}),
                                                    require_identity=frozenset({"POST", "DELETE"}))],
                                  error_renderer=detail_renderer)]

    app = make_app(extra_plugins=[Writes()])
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/w/x").status_code == 200
    assert client.simulate_post("/w/x").json == {"detail": "Authentication credentials were not provided.",
                                                 "code": "unauthorized"}
    # The method is checked before credentials: an unserved method is 405, not an auth failure.
    assert client.simulate_delete("/w/x").json["code"] == "method_not_allowed"
    with app.sciplane.database.connection_context():
        key, _ = app.sciplane.accounts.create_token(app.sciplane.accounts.create_user("w"))
    assert client.simulate_post("/w/x", headers={"Authorization": f"Token {key}"}).json == {"posted": True}


@pytest.mark.parametrize("path, found", [("/strict/digits/007", 7), ("/strict/digits/+5", None),
                                         ("/strict/digits/-1", None), ("/strict/digits/9223372036854775808",
                                                                       9223372036854775808),
                                         ("/strict/signed/-12", -12), ("/strict/signed/1e3", None)])
def test_digit_converters(client, path, found):
    resp = client.simulate_get(path)
    if found is None:
        assert resp.status_code == 404
    else:
        assert resp.json["params"] == {"n": found}


def test_constraints_and_empty_segments(client):
    from sciplane.testing import call_wsgi
    assert client.simulate_get("/strict/keys/12").json["params"] == {"key": "12"}
    assert client.simulate_get("/strict/keys/abc/delete").json["params"] == {"key": "abc"}
    for method in ("GET", "POST", "DELETE"):  # unknown path, not a 405 from the item route
        assert client.simulate_request(method, "/strict/keys/abc").status_code == 404
    assert client.simulate_get("/strict/names/").status_code == 404  # an empty segment names nothing
    redirect = call_wsgi(client.app, "GET", "/strict/keys/query", query_string="a=1")
    assert redirect.status_code == 301 and redirect.headers["location"] == "/strict/keys/query/?a=1"
