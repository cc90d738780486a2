"""Calling a WSGI app without ``wsgiref.validate``.

Falcon's test client validates every response against PEP 3333 as read by
``wsgiref``, which demands a Content-Type on every status but 204/304.  Some
dialects must answer a bare 301 (no Content-Type), which real servers pass
through; this helper calls the app the way gunicorn does.
"""

from __future__ import annotations

import io
import json as _json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from falcon.testing import create_environ


@dataclass
class RawResult:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()

    @property
    def json(self) -> Any:
        return _json.loads(self.content) if self.content else None


def call_wsgi(app, method: str, path: str, *, query_string: str = "", headers: dict | None = None,
              body: bytes | None = None, chunked: bool = False,
              sink: Callable[[bytes], None] | None = None) -> RawResult:
    """One request; ``chunked`` sends the body without Content-Length.  With ``sink``, each piece of the response
    body goes to it as the app yields it and ``content`` stays empty (to drain a large streamed body)."""
    environ = create_environ(path, query_string=query_string, method=method, headers=headers or {})
    if body is not None:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    if chunked:
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    seen: dict = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = {k.lower(): v for k, v in response_headers}

    pieces = app(environ, start_response)
    try:
        if sink is None:
            content = b"".join(pieces)
        else:
            for piece in pieces:
                sink(piece)
            content = b""
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:  # as a WSGI server does once the body is sent
            close()
    return RawResult(seen["status"], seen["headers"], content)


class RawClient:
    """Like ``falcon.testing.TestClient`` (``simulate_get`` … with ``json=``, ``body=``,
    ``query_string=``, ``headers=``), without ``wsgiref.validate``."""

    def __init__(self, app):
        self.app = app

    def simulate_request(self, method: str, path: str, *, query_string: str = "", headers: dict | None = None,
                         body: bytes | str | None = None, json: Any = None, chunked: bool = False,
                         sink: Callable[[bytes], None] | None = None) -> RawResult:
        headers = dict(headers or {})
        if json is not None:
            body = _json.dumps(json)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        return call_wsgi(self.app, method, path, query_string=query_string, headers=headers, body=body,
                         chunked=chunked, sink=sink)

    def _method(name):  # noqa: N805 - builds the simulate_* methods
        def simulate(self, path: str, **kwargs) -> RawResult:
            return self.simulate_request(name, path, **kwargs)
        simulate.__name__ = f"simulate_{name.lower()}"
        return simulate

    simulate_get = _method("GET")
    simulate_head = _method("HEAD")
    simulate_post = _method("POST")
    simulate_put = _method("PUT")
    simulate_patch = _method("PATCH")
    simulate_delete = _method("DELETE")
    simulate_options = _method("OPTIONS")
    del _method


class MountClient:
    """Requests relative to a mount's root, for a dialect's test helper to build on.

    ``headers`` are sent with every request (a client's ``Accept``, say);
    :meth:`checked` sees every result (assertions that hold for the whole
    mount).
    """

    headers: dict[str, str] = {}

    def __init__(self, client: RawClient, root: str):
        self.client = client
        self.root = root

    def request(self, method: str, path: str, *, json: Any = None, body: bytes | str | None = None,
                headers: dict | None = None, query: str = "") -> RawResult:
        result = self.client.simulate_request(method, f"{self.root}/{path}", json=json, body=body,
                                              headers={**self.headers, **(headers or {})}, query_string=query)
        self.checked(result)
        return result

    def checked(self, result: RawResult) -> None:
        """Override to assert what holds for every response of the mount."""

    def get(self, path: str, query: str = "", **kwargs) -> RawResult:
        return self.request("GET", path, query=query, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs) -> RawResult:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs) -> RawResult:
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs) -> RawResult:
        return self.request("DELETE", path, **kwargs)
