"""Goodman proposals and collaborators (spec §8.6): the legacy GET with a form body labelled JSON, users
created by e-mail, PI-only changes, and staff management."""

from __future__ import annotations

import pytest

from sciplane.testing import RawClient


@pytest.fixture
def gsp(app):
    accounts = app.sciplane.accounts
    with app.sciplane.database.connection_context():
        users = {name: accounts.create_user(name, email=f"{name}@observatory.cl", is_staff=name == "staff")
                 for name in ("pi", "collab1", "other", "staff")}
        tokens = {name: accounts.create_token(user)[0] for name, user in users.items()}
    client = RawClient(app)

    def call(method, path, user="staff", body=None, raw=None, headers=None, query=""):
        sent = {"Authorization": f"Token {tokens[user]}"} if user else {}
        sent.update(headers or {})
        return client.simulate_request(method, f"/gsp/api/{path}", json=body, body=raw, headers=sent,
                                       query_string=query)
    call.users = users
    return call


@pytest.fixture
def proposal(gsp):
    created = gsp("POST", "proposals/", body={"soar_id": "SOAR2020B-008", "semester": "2020B", "title": "Dwarfs",
                                              "pi": gsp.users["pi"].id})
    assert created.status_code == 201, created.json
    ident = created.json["id"]
    added = gsp("POST", f"proposals/collaborators/{ident}/", body={"email": "collab1@observatory.cl",
                                                                   "action": "add"})
    assert added.status_code == 200
    return ident


def test_record_and_visibility(gsp, proposal):
    record = gsp("GET", f"proposals/{proposal}/", user="collab1").json
    assert (record["soar_id"], record["semester"], record["user"]["username"]) == ("SOAR2020B-008", "2020B", "pi")
    assert [c["username"] for c in record["collaborators"]] == ["collab1"]
    assert set(record["user"]) == {"id", "username", "last_login", "first_name", "last_name", "email", "is_staff",
                                   "is_active", "date_joined"}
    assert gsp("GET", f"proposals/{proposal}/", user="other").status_code == 404
    assert gsp("GET", "proposals/", user="other").json["count"] == 0
    assert gsp("GET", "proposals/", user="pi").json["count"] == 1
    assert gsp("GET", "proposals/", query="soar_id=SOAR2020B-008").json["count"] == 1
    automatic = gsp("POST", "proposals/", body={"semester": "2020B", "title": "Next", "pi_email": "new.pi@x.org"})
    assert automatic.json["soar_id"] == "SOAR2020B-002" and automatic.json["user"]["username"] == "new.pi"
    assert gsp("POST", "proposals/", user="pi", body={"semester": "2021A", "title": "Mine", "pi": 1}).status_code == 403
    clash = gsp("POST", "proposals/", body={"soar_id": "soar2020b-008", "semester": "2020B", "title": "Again",
                                            "pi": gsp.users["pi"].id})
    assert clash.status_code == 400 and "soar_id" in clash.json


def test_legacy_get_with_a_form_body_creates_the_user(gsp, proposal, app):
    result = gsp("GET", f"proposals/collaborators/{proposal}/", user="pi", raw="email=new@server.net&action=add",
                 headers={"Content-Type": "application/json"})
    assert result.status_code == 200, result.json
    added = [c for c in result.json["collaborators"] if c["email"] == "new@server.net"]
    assert added and added[0]["username"] == "new" and added[0]["is_staff"] is False
    again = gsp("POST", f"proposals/collaborators/{proposal}/", user="pi", body={"email": "NEW@server.net",
                                                                                 "action": "add"})
    assert [c["email"] for c in again.json["collaborators"]].count("new@server.net") == 1
    twin = gsp("POST", f"proposals/collaborators/{proposal}/", user="pi", body={"email": "new@elsewhere.org",
                                                                                "action": "add"})
    assert any(c["username"] == "new_2" for c in twin.json["collaborators"])
    removed = gsp("POST", f"proposals/collaborators/{proposal}/", user="pi",
                  raw='{"email": "new@server.net", "action": "remove"}')
    assert all(c["email"] != "new@server.net" for c in removed.json["collaborators"])
    nobody = gsp("POST", f"proposals/collaborators/{proposal}/", user="pi",
                 body={"email": "ghost@nowhere.org", "action": "remove"})
    assert nobody.status_code == 200
    with app.sciplane.database.connection_context():
        assert app.sciplane.accounts.find_user("ghost@nowhere.org") is None  # remove never creates users


@pytest.mark.parametrize("user, body, status, code", [
    ("collab1", {"email": "a@b.org", "action": "add"}, 403, "not_proposal_pi"),
    ("other", {"email": "a@b.org", "action": "add"}, 404, "not_found"),
    (None, {"email": "a@b.org", "action": "add"}, 401, "not_authenticated"),
    ("pi", {"email": "a@b.org", "action": "promote"}, 400, "validation_failed"),
    ("pi", {"email": "pi@observatory.cl", "action": "add"}, 400, "validation_failed"),
    ("pi", {"email": "not-an-email", "action": "add"}, 400, "validation_failed"),
])
def test_collaborator_refusals(gsp, proposal, user, body, status, code):
    result = gsp("POST", f"proposals/collaborators/{proposal}/", user=user, body=body)
    assert (result.status_code, result.json["code"]) == (status, code) and result.json["detail"]


def test_staff_patch_moves_the_soar_id_and_pi(gsp, proposal):
    patched = gsp("PATCH", f"proposals/{proposal}/", body={"soar_id": "SOAR2020B-009", "pi": gsp.users["other"].id})
    assert patched.status_code == 200 and patched.json["soar_id"] == "SOAR2020B-009"
    assert patched.json["user"]["username"] == "other"
    assert gsp("GET", f"proposals/{proposal}/", user="other").status_code == 200
    assert gsp("GET", f"proposals/{proposal}/", user="pi").status_code == 404
    assert gsp("PATCH", f"proposals/{proposal}/", user="other", body={"title": "x"}).status_code == 403
