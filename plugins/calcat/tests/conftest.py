"""Fixtures for the calcat scenarios: an app with the plugin (auth disabled unless a test says
otherwise) and an HTTP helper speaking the dialect."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sciplane.testing import LiveServer, RawClient
from sciplane_calcat.testing import Api


@pytest.fixture
def calcat_settings() -> dict[str, Any]:
    """``[plugins.calcat]`` for the test; override in a module or with ``@pytest.mark.parametrize``."""
    return {"auth_mode": "disabled"}


@pytest.fixture
def app(make_app, calcat_settings):
    return make_app(plugins=["calcat"], settings={"plugins": {"calcat": calcat_settings}})


@pytest.fixture
def api(app) -> Api:
    return Api(RawClient(app))


@pytest.fixture
def demo(app, api, loaded_once, calcat_settings) -> Api:
    """The demo catalogue (section 13 of the specification), loaded through the services (in full once per
    session and settings, then copied: see ``loaded_once``)."""
    from sciplane_calcat import demo as demo_data

    def load() -> None:
        with app.sciplane.database.connection_context():
            demo_data.load(app.sciplane, echo=lambda message: None)

    loaded_once(("calcat demo", json.dumps(calcat_settings, sort_keys=True, default=str)), app, load)
    return api


@pytest.fixture
def served(demo, tmp_path, sciplane_database_url, calcat_settings):
    """The demo catalogue served by gunicorn on a loopback port, for the real clients.  The server
    shares the test's database, so the demo loaded in-process is what it serves."""
    settings = {"database": {"url": sciplane_database_url or f"sqlite:///{tmp_path}/sciplane.db"},
                "data_dir": str(tmp_path / "var"), "jobs": {"url": f"sqlite:///{tmp_path}/jobs.db"},
                "logging": {"access_log": False},
                "plugins": {"enabled": ["calcat"], "calcat": calcat_settings}}
    with LiveServer(settings, workers=1) as server:
        yield server.url
