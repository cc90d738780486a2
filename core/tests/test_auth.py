"""Authentication, permissions with veto semantics, visibility filters, OAuth2 client credentials."""

import base64
import time

import falcon.testing
import jwt
import peewee
import pytest

from sciplane import Action, EndpointGroup, RenderedError, Route, hookimpl
from sciplane.auth.models import User

SECRET = "a-test-signing-secret-of-32-bytes-or-more"


class WhoAmI:
    def on_get(self, req, resp):
        identity = req.identity
        resp.media = {"username": identity.username, "via": identity.via, "roles": sorted(identity.roles),
                      "claims": dict(identity.claims)}

    on_post = on_get


class Guarded:
    plugin_name = "guarded"

    @hookimpl
    def register_actions(self):
        return [Action("guarded.read"), Action("guarded.write")]

    @hookimpl
    def register_endpoint_groups(self):
        who = WhoAmI()
        return [EndpointGroup("guarded", "/g", [
            Route("/public", who, public=True),
            Route("/whoami", who),
            Route("/things", who, actions={"GET": "guarded.read", "POST": "guarded.write"}),
        ]), EndpointGroup("bearer-only", "/b", [Route("/whoami", who)], auth_schemes=("Bearer",),
                          error_renderer=lambda e, req: RenderedError(
                              403 if e.status == 401 else e.status,
                              {"detail": getattr(e, "reason", e.code)}, {}))]


SETTINGS = {"auth": {"jwt_secret": SECRET,
                     "service_tokens": [{"token": "service-token-123", "username": "robot", "roles": ["ingest"]}],
                     "grants": {"anonymous": ["guarded.read"], "roles": {"writers": ["guarded.write"]}}}}


@pytest.fixture
def app(make_app):
    return make_app(extra_plugins=[Guarded()], settings=SETTINGS)


@pytest.fixture
def alice_token(ctx):
    with ctx.database.connection_context():
        alice = ctx.accounts.create_user("alice", email="alice@example.org", roles=["writers"])
        key, _ = ctx.accounts.create_token(alice)
    return key


def get(client, path, auth=None, method="GET"):
    headers = {"Authorization": auth} if auth is not None else {}
    return client.simulate_request(method, path, headers=headers)


def test_token_and_bearer_schemes(client, alice_token):
    for scheme in ("Token", "Bearer", "bearer"):
        body = get(client, "/g/whoami", f"{scheme} {alice_token}").json
        assert body["username"] == "alice" and body["via"] == "token" and body["roles"] == ["writers"]


def test_anonymous_without_header(client):
    assert get(client, "/g/whoami").json["via"] == "anonymous"


@pytest.mark.parametrize("header, reason", [
    ("Token", "missing_token"), ("Token ", "missing_token"), ("Token a b", "token_has_spaces"),
    ("Basic abc", "unsupported_scheme"), ("garbage", "malformed"), ("Token nope", "invalid_token"),
])
def test_failure_reasons(client, header, reason):
    resp = get(client, "/g/whoami", header)
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
    bearer_only = get(client, "/b/whoami", header.replace("Token", "Bearer") if reason != "unsupported_scheme"
                      else header)
    assert bearer_only.status_code == 403 and bearer_only.json == {"detail": reason}


def test_group_restricts_schemes(client, alice_token):
    assert get(client, "/b/whoami", f"Token {alice_token}").json == {"detail": "unsupported_scheme"}
    assert get(client, "/b/whoami", f"Bearer {alice_token}").json["username"] == "alice"


def test_public_routes_never_evaluate_credentials(client):
    assert get(client, "/g/public", "Bearer garbage").status_code == 200
    assert get(client, "/health", "Bearer garbage").status_code == 200


def test_expired_revoked_and_inactive_tokens(client, ctx):
    with ctx.database.connection_context():
        bob = ctx.accounts.create_user("bob")
        short, record = ctx.accounts.create_token(bob, ttl_s=60)
        User.update(is_active=True).execute()
        from sciplane.auth.models import ApiToken
        ApiToken.update(expires=peewee.SQL("created")).where(ApiToken.id == record.id).execute()
        revoked, _ = ctx.accounts.create_token(bob)
        assert ctx.accounts.revoke_token(revoked[:8]) == 1
        carol = ctx.accounts.create_user("carol")
        carols, _ = ctx.accounts.create_token(carol)
        ctx.accounts.set_active(carol, False)
    assert get(client, "/g/whoami", f"Token {short}").json["description"] == "The token has expired."
    assert get(client, "/g/whoami", f"Token {revoked}").status_code == 401
    assert get(client, "/b/whoami", f"Bearer {carols}").json == {"detail": "inactive_user"}


def test_tokens_with_a_given_key(client, ctx):
    from sciplane import ValidationFailed
    with ctx.database.connection_context():
        injector = ctx.accounts.create_user("injector", is_service=True)
        ctx.accounts.create_token(injector, key="demo-writer-token")
        with pytest.raises(ValidationFailed):
            ctx.accounts.create_token(injector, key="short")
    assert get(client, "/g/whoami", "Bearer demo-writer-token").json["username"] == "injector"


def test_tokens_are_stored_hashed(ctx, alice_token):
    from sciplane.auth.models import ApiToken
    with ctx.database.connection_context():
        stored = ApiToken.get()
    assert alice_token not in (stored.key_hash, stored.prefix) and stored.prefix == alice_token[:8]


def test_jwt(client):
    now = int(time.time())
    good = jwt.encode({"sub": "b2user", "exp": now + 60, "b2cdb:admin": ["GT.*"]}, SECRET, algorithm="HS256")
    body = get(client, "/b/whoami", f"Bearer {good}").json
    assert body["username"] == "b2user" and body["via"] == "jwt" and body["claims"]["b2cdb:admin"] == ["GT.*"]
    expired = jwt.encode({"sub": "x", "exp": now - 10}, SECRET, algorithm="HS256")
    assert get(client, "/b/whoami", f"Bearer {expired}").json == {"detail": "expired"}
    forged = jwt.encode({"sub": "x"}, "another-secret-entirely-also-32-bytes-long", algorithm="HS256")
    assert get(client, "/b/whoami", f"Bearer {forged}").json == {"detail": "bad_signature"}
    assert get(client, "/b/whoami", "Bearer a.b.c").json == {"detail": "invalid_token"}


def test_service_tokens_from_configuration(client):
    body = get(client, "/g/whoami", "Bearer service-token-123").json
    assert body == {"username": "robot", "via": "service_token", "roles": ["ingest"], "claims": {}}


def test_route_actions_401_then_403(client, ctx, alice_token):
    assert get(client, "/g/things").status_code == 200  # guarded.read granted to anonymous
    denied = get(client, "/g/things", method="POST")
    assert denied.status_code == 401 and denied.json["action"] == "guarded.write"
    with ctx.database.connection_context():
        dave = ctx.accounts.create_user("dave")
        daves, _ = ctx.accounts.create_token(dave)
    assert get(client, "/g/things", f"Token {daves}", method="POST").status_code == 403
    assert get(client, "/g/things", f"Token {alice_token}", method="POST").status_code == 200


def test_superuser_and_staff_defaults(client, ctx):
    with ctx.database.connection_context():
        root = ctx.accounts.create_user("root", is_superuser=True)
        staff = ctx.accounts.create_user("staff", is_staff=True)
        roots, _ = ctx.accounts.create_token(root)
        staffs, _ = ctx.accounts.create_token(staff)
    assert get(client, "/g/things", f"Token {roots}", method="POST").status_code == 200
    assert get(client, "/g/things", f"Token {staffs}", method="POST").status_code == 200  # staff = ["*"]


def test_grant_typos_are_reported(make_app, caplog):
    with caplog.at_level("WARNING", logger="sciplane"):
        make_app(extra_plugins=[Guarded()], settings={"auth": {"grants": {"anonymous": ["guarded.raed", "guarded.*"]}}})
    assert "'guarded.raed' matches no registered action" in caplog.text and "'guarded.*'" not in caplog.text


def test_any_false_vetoes(make_app):
    class Veto:
        plugin_name = "veto"

        @hookimpl
        def permission_allowed(self, identity, action, resource):
            return False if resource == "frozen" else None

    app = make_app(extra_plugins=[Guarded(), Veto()], settings=SETTINGS)
    ctx = app.sciplane
    from sciplane import Identity
    root = Identity(username="root", is_superuser=True, via="token")
    assert ctx.authorizer.allowed(root, "guarded.write", "thawed") is True
    assert ctx.authorizer.allowed(root, "guarded.write", "frozen") is False
    with pytest.raises(KeyError, match="not registered"):
        ctx.authorizer.allowed(root, "guarded.delete")
    from sciplane import ANONYMOUS, AuthenticationRequired, PermissionDenied
    with pytest.raises(AuthenticationRequired):
        ctx.authorizer.check(ANONYMOUS, "guarded.write", "frozen")
    with pytest.raises(PermissionDenied):  # a dialect that treats every denial as a veto
        ctx.authorizer.check(ANONYMOUS, "guarded.write", "frozen", challenge=False)


def test_visibility_filters_are_or_ed_sql(make_app):
    class Owner:
        plugin_name = "owner"

        @hookimpl
        def visibility_filter(self, identity, model):
            return model.username == identity.username

    class Service:
        plugin_name = "service"

        @hookimpl
        def visibility_filter(self, model, action):
            return model.is_service == True if action == "guarded.read" else None  # noqa: E712

    ctx = make_app(extra_plugins=[Guarded(), Owner(), Service()], settings=SETTINGS).sciplane
    from sciplane import Identity
    with ctx.database.connection_context():
        for name, service in (("erin", False), ("frank", False), ("bot", True)):
            ctx.accounts.create_user(name, is_service=service)
        erin = Identity(username="erin", via="token")
        expression = ctx.authorizer.visible(erin, User, "guarded.read")
        assert sorted(u.username for u in User.select().where(expression)) == ["bot", "erin"]
        only_own = ctx.authorizer.visible(erin, User, "guarded.write")
        assert [u.username for u in User.select().where(only_own)] == ["erin"]
        assert ctx.authorizer.visible(erin, User, "x", base=User.id == 0) is not None


def _token_request(client, body, headers=None):
    return client.simulate_post("/oauth/token", body=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})


def test_client_credentials_flow(client, ctx):
    with ctx.database.connection_context():
        client_id, secret, _ = ctx.accounts.create_client("pipeline", roles=["writers"])
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    resp = _token_request(client, "grant_type=client_credentials", {"Authorization": f"Basic {basic}"})
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    body = resp.json
    assert set(body) == {"access_token", "token_type", "expires_in", "created_at"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert abs(body["created_at"] - time.time()) < 120
    who = get(client, "/g/whoami", f"Bearer {body['access_token']}").json
    assert who["username"] == "pipeline" and who["roles"] == ["writers"]
    form = _token_request(client, f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
                                  "&scope=").json
    assert form["scope"] == ""  # echoed exactly, never changed


@pytest.mark.parametrize("body, headers, status, error", [
    ("grant_type=client_credentials", {"Authorization": "Basic " + base64.b64encode(b"x:y").decode()}, 401,
     "invalid_client"),
    ("grant_type=client_credentials", {}, 401, "invalid_client"),
    ("grant_type=password", {}, 400, "unsupported_grant_type"),
    ("", {}, 400, "invalid_request"),
])
def test_token_endpoint_errors_follow_rfc6749(client, body, headers, status, error):
    resp = _token_request(client, body, headers)
    assert resp.status_code == status and resp.json["error"] == error
    if status == 401:
        assert resp.headers["www-authenticate"].startswith("Basic")


def test_users_by_email(ctx):
    with ctx.database.connection_context():
        user, created = ctx.accounts.get_or_create_by_email("Grace@Example.org")
        again, created_again = ctx.accounts.get_or_create_by_email("grace@example.org")
    assert created and not created_again and user.id == again.id and user.username == "Grace@Example.org"


def test_events_are_published(make_app):
    seen = []

    class Audit:
        plugin_name = "audit"

        @hookimpl
        def on_event(self, event):
            seen.append(event.name)

    ctx = make_app(extra_plugins=[Audit()]).sciplane
    with ctx.database.connection_context():
        user = ctx.accounts.create_user("heidi")
        ctx.accounts.create_token(user)
        ctx.accounts.create_client("app")
    ctx.emit("audit.custom", note="x")
    assert seen == ["core.user.created", "core.token.created", "core.user.created", "core.client.created",
                    "audit.custom"]


def test_a_plugin_can_authenticate(make_app):
    class Ldap:
        plugin_name = "ldap"

        @hookimpl
        def authenticate(self, credentials):
            if credentials.value.startswith("ldap-"):
                from sciplane import Identity
                return Identity(username=credentials.value[5:], provider="ldap", via="ldap")
            return None  # not ours: the core's own resolution runs next

    client = falcon.testing.TestClient(make_app(extra_plugins=[Guarded(), Ldap()], settings=SETTINGS))
    assert get(client, "/g/whoami", "Bearer ldap-zoe").json["username"] == "zoe"
    assert get(client, "/g/whoami", "Bearer other").status_code == 401
