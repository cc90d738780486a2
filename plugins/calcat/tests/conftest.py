"""Fixtures for the calcat scenarios: an app with the plugin (auth disabled unless a test says
otherwise) and an HTTP helper speaking the dialect."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from sciplane.testing import RawClient
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
def demo(app, api) -> Api:
    """The demo catalogue (section 13 of the specification), loaded through the services."""
    from sciplane_calcat import demo as demo_data
    with app.sciplane.database.connection_context():
        demo_data.load(app.sciplane, echo=lambda message: None)
    return api


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served(demo, app):
    """The demo app on a loopback port, for the real clients (a threaded WSGI server keeps ``//`` in
    paths, as gunicorn does)."""
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
