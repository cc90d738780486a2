"""Fixtures for the data-product catalogue: the scenario world of spec §12 and callers for both dialects."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from sciplane.testing import RawClient
from sciplane_dataproducts.models import COLLABORATOR, PI, PROPOSAL, Group, Membership

USERS = ("owner", "member", "other", "staff", "pi", "collab1")
PROPOSAL_ID = "SOAR2020B-008"


@pytest.fixture
def dp_settings() -> dict[str, Any]:
    """``[plugins.dataproducts]`` for the test."""
    return {}


@pytest.fixture
def extra_plugins() -> list:
    """Plugin objects registered beside the data-product plugin (test processors, hooks)."""
    return []


@pytest.fixture
def app(make_app, dp_settings, extra_plugins):
    return make_app(plugins=["dataproducts"], settings={"plugins": {"dataproducts": dp_settings}},
                    extra_plugins=extra_plugins)


@pytest.fixture
def world(app) -> dict[str, Any]:
    """Users and tokens; group collab = {owner, member}; proposal SOAR2020B-008 with PI pi and collaborator
    collab1 (spec §12 fixtures)."""
    accounts = app.sciplane.accounts
    with app.sciplane.database.connection_context():
        users = {name: accounts.create_user(name, email=f"{name}@example.org", is_staff=name == "staff")
                 for name in USERS}
        tokens = {name: accounts.create_token(user)[0] for name, user in users.items()}
        collab = Group.create(name="collab", name_key="collab")
        for name in ("owner", "member"):
            Membership.create(group=collab, user_id=users[name].id)
        proposal = Group.create(kind=PROPOSAL, name=PROPOSAL_ID, name_key=PROPOSAL_ID.casefold(), semester="2020B",
                                title="Transients", pi_id=users["pi"].id)
        Membership.create(group=proposal, user_id=users["pi"].id, role=PI)
        Membership.create(group=proposal, user_id=users["collab1"].id, role=COLLABORATOR)
    return {"users": users, "tokens": tokens, "collab": collab.id, "proposal": proposal.id}


@pytest.fixture
def api(app, world):
    """``api(method, path, user="owner", body=None, query="", headers=None, data=None)``: ``body`` goes as JSON,
    ``data`` as raw bytes (with its own Content-Type in ``headers``)."""
    client = RawClient(app)

    def call(method, path, user="owner", body=None, query="", headers=None, data=None):
        sent = dict(headers or {})
        if user:
            sent.setdefault("Authorization", f"Token {world['tokens'][user]}")
        if data is not None:
            return client.simulate_request(method, path, body=data, headers=sent, query_string=query)
        return client.simulate_request(method, path, json=body, headers=sent, query_string=query)
    return call


@pytest.fixture
def tom(api):
    def call(method, path, user="owner", body=None, query="", **kwargs):
        return api(method, f"/tom/api/{path}", user, body, query, **kwargs)
    return call


@pytest.fixture
def gsp(api):
    def call(method, path, user="owner", body=None, query="", **kwargs):
        return api(method, f"/gsp/api/{path}", user, body, query, **kwargs)
    return call


def multipart(fields: dict[str, Any] | list[tuple[str, Any]], file: tuple[str, bytes] | None = None,
              file_first: bool = False) -> tuple[bytes, dict[str, str]]:
    """A ``multipart/form-data`` body and its headers; ``fields`` values that are lists repeat the field."""
    boundary = uuid.uuid4().hex
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    parts = []
    for name, value in pairs:
        for one in value if isinstance(value, list) else [value]:
            text = one if isinstance(one, str) else orjson.dumps(one).decode() if isinstance(one, dict) else str(one)
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                         + text.encode() + b"\r\n")
    if file is not None:
        name, content = file
        part = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n").encode() + content + b"\r\n"
        parts.insert(0, part) if file_first else parts.append(part)
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def encode():
    """The multipart encoder, for tests that send the body themselves."""
    return multipart


@pytest.fixture
def upload(api):
    """``upload(dialect_path, fields, file=(name, bytes), user="owner")`` → the response."""
    def send(path, fields, file=None, user="owner", headers=None, **kwargs):
        body, sent = multipart(fields, file, **kwargs)
        return api("POST", path, user, data=body, headers={**sent, **(headers or {})})
    return send
