"""Fixtures for the data-product catalogue."""

from __future__ import annotations

from typing import Any

import pytest

from sciplane.testing import RawClient
from sciplane_dataproducts.models import Group, Membership


@pytest.fixture
def dp_settings() -> dict[str, Any]:
    """``[plugins.dataproducts]`` for the test."""
    return {}


@pytest.fixture
def app(make_app, dp_settings):
    return make_app(plugins=["dataproducts"], settings={"plugins": {"dataproducts": dp_settings}})


@pytest.fixture
def tom(app):
    """owner and member share group collab; other and staff stand alone."""
    accounts = app.sciplane.accounts
    tokens = {}
    with app.sciplane.database.connection_context():
        users = {name: accounts.create_user(name, email=f"{name}@example.org", is_staff=name == "staff")
                 for name in ("owner", "member", "other", "staff")}
        tokens = {name: accounts.create_token(user)[0] for name, user in users.items()}
        collab = Group.create(name="collab", name_key="collab")
        for name in ("owner", "member"):
            Membership.create(group=collab, user_id=users[name].id)
    client = RawClient(app)

    def call(method, path, user="owner", body=None, query=""):
        headers = {"Authorization": f"Token {tokens[user]}"} if user else {}
        return client.simulate_request(method, f"/tom/api/{path}", json=body, headers=headers, query_string=query)
    return call
