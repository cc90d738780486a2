"""Scenarios 26-32 (spec §15): auth modes, roles, the token endpoint under the mount, ``me``."""

from __future__ import annotations

import base64

import pytest

from sciplane_calcat.testing import expect

DETECTOR_TYPE = {"detector_type": {"name": "AGIPD-Type"}}
WRITER_TOKEN = "calcat-writer-token-0123456789abcdef"
READER_TOKEN = "calcat-reader-token-0123456789abcdef"


@pytest.fixture
def tokens(app):
    """A service user with role ``calcat-writer`` and a plain user, each with a fixed token; an OAuth client."""
    accounts = app.sciplane.accounts
    with app.sciplane.database.connection_context():
        writer = accounts.create_user("injector", email="injector@example.org", name="Calibration Injector",
                                      is_service=True, roles=["calcat-writer"])
        accounts.create_token(writer, key=WRITER_TOKEN)
        accounts.create_token(accounts.create_user("reader", email="reader@example.org"), key=READER_TOKEN)
        accounts.register_client("demo-client", "demo-secret", name="demo", username="injector",
                                 roles=["calcat-writer"])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "writes"}])
def test_26_writes_mode(api, tokens):
    """26: reads are open, a write without credentials → 401 with a challenge, with a token → 201."""
    expect(api.get("detector_types"), 200)
    result = api.post("detector_types", DETECTOR_TYPE)
    expect(result, 401, {"info": "Authentication required"})
    assert result.headers["www-authenticate"] == 'Bearer realm="calcat"'
    expect(api.post("detector_types", DETECTOR_TYPE, headers=bearer(WRITER_TOKEN)), 201)


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "all"}])
def test_27_all_mode(api, tokens):
    """27: reads need credentials too."""
    expect(api.get("detector_types"), 401, {"info": "Authentication required"})
    expect(api.get("detector_types", headers=bearer(READER_TOKEN)), 200)


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "disabled"}, {"auth_mode": "writes"},
                                             {"auth_mode": "all"}])
def test_28_bad_token_on_reads(api, tokens):
    """28: a wrong token is refused in every mode, also on reads."""
    result = api.get("detector_types", headers=bearer("wrong"))
    expect(result, 401, {"info": "Invalid or expired token"})
    assert result.headers["www-authenticate"] == 'Bearer realm="calcat", error="invalid_token"'


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "writes", "write_roles": ["calcat-writer"]}])
def test_29_write_roles(api, tokens):
    """29: a user without a write role → 403 on POST; a writer → 201."""
    expect(api.post("detector_types", DETECTOR_TYPE, headers=bearer(READER_TOKEN)), 403, {"info": "Not authorized"})
    expect(api.post("detector_types", DETECTOR_TYPE, headers=bearer(WRITER_TOKEN)), 201)


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "writes"}])
def test_30_31_token_endpoint(api, tokens):
    """30, 31: client credentials at ``{mount}/oauth/token``; the scope is never changed; RFC 6749 errors."""
    client = api.client
    result = client.simulate_post("/calibration/oauth/token", body="grant_type=client_credentials",
                                  headers=basic("demo-client", "demo-secret"))
    assert result.status_code == 200, result.content
    assert set(result.json) == {"access_token", "token_type", "expires_in", "created_at"}
    assert result.json["token_type"] == "Bearer" and result.headers["cache-control"] == "no-store"
    scoped = client.simulate_post("/calibration/oauth/token", body="grant_type=client_credentials&scope=",
                                  headers=basic("demo-client", "demo-secret"))
    assert scoped.json["scope"] == ""
    expect(api.post("detector_types", DETECTOR_TYPE, headers=bearer(result.json["access_token"])), 201)
    wrong = client.simulate_post("/calibration/oauth/token", body="grant_type=client_credentials",
                                 headers=basic("demo-client", "nope"))
    assert wrong.status_code == 401 and wrong.json["error"] == "invalid_client"
    grant = client.simulate_post("/calibration/oauth/token", body="grant_type=password",
                                 headers=basic("demo-client", "demo-secret"))
    assert grant.status_code == 400 and grant.json["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "disabled"}])
def test_32_me(api, tokens):
    """32: the token's user with all 13 keys; anonymous in ``disabled`` mode carries X-User-Email."""
    me = expect(api.get("me", headers=bearer(WRITER_TOKEN)), 200)
    assert list(me) == ["id", "email", "provider", "contact_email", "name", "first_name", "last_name", "nickname",
                        "uid", "ldap_synced_at", "flg_service_account", "flg_ldap_account_valid", "roles"]
    assert (me["email"], me["name"], me["flg_service_account"], me["roles"]) == (
        "injector@example.org", "Calibration Injector", True, ["calcat-writer"])
    anonymous = expect(api.get("me", headers={"X-User-Email": "someone@example.org"}), 200)
    assert (anonymous["id"], anonymous["email"], anonymous["provider"]) == (None, "someone@example.org", "anonymous")


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "writes"}])
def test_32_me_needs_identity(api, tokens):
    expect(api.get("me"), 401, {"info": "Authentication required"})


@pytest.mark.parametrize("calcat_settings", [{"auth_mode": "writes"}])
def test_report_author(api, tokens, app):
    """6.4: a report records the creating user's id."""
    report = expect(api.post("reports", {"report": {"name": "r.pdf", "file_path": "/r.pdf"}},
                             headers=bearer(WRITER_TOKEN)), 201)
    with app.sciplane.database.connection_context():
        assert report["user_id"] == app.sciplane.accounts.find_user("injector").id


def test_10_another_mount(make_app):
    """10: mounted at /calcat, the API answers there, and the default mount is the core's 404."""
    from sciplane.testing import RawClient
    client = RawClient(make_app(plugins=["calcat"], settings={"plugins": {"calcat": {"auth_mode": "disabled",
                                                                                      "mount": "/calcat"}}}))
    moved = client.simulate_get("/calcat/api/detectors")
    assert (moved.status_code, moved.json) == (200, [])
    gone = client.simulate_get("/calibration/api/detectors")
    assert (gone.status_code, gone.json["code"]) == (404, "not_found")
