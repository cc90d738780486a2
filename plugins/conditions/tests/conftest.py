"""Fixtures for the conditions scenarios: an app with the plugin, and an HTTP helper speaking its dialect.

The client calls the app as a WSGI server does (no ``wsgiref.validate``),
because the dialect answers some successes and redirects without a
Content-Type, as the reference does.
"""

from __future__ import annotations

from typing import Any

import pytest

from sciplane.testing import RawClient
from sciplane_conditions.testing import Api


@pytest.fixture
def conditions_settings() -> dict[str, Any]:
    """``[plugins.conditions]`` for the test; override in a module or with ``@pytest.mark.parametrize``."""
    return {}


@pytest.fixture
def app(make_app, conditions_settings):
    return make_app(plugins=["conditions"], settings={"plugins": {"conditions": conditions_settings}})


@pytest.fixture
def client(app) -> RawClient:
    return RawClient(app)


@pytest.fixture
def api(client) -> Api:
    return Api(client)


@pytest.fixture
def base(api) -> Api:
    """The specification's base setup: statuses unlocked, locked, frozen; types Beam, CEMC; GT1 and GT2."""
    api.base_setup()
    return api
