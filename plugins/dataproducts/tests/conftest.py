"""Fixtures for the data-product catalogue."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def dp_settings() -> dict[str, Any]:
    """``[plugins.dataproducts]`` for the test."""
    return {}


@pytest.fixture
def app(make_app, dp_settings):
    return make_app(plugins=["dataproducts"], settings={"plugins": {"dataproducts": dp_settings}})
