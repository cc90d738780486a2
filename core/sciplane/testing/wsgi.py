"""Calling a WSGI app without ``wsgiref.validate``.

Falcon's test client validates every response against PEP 3333 as read by
``wsgiref``, which demands a Content-Type on every status but 204/304.  Some
dialects must answer a bare 301 (no Content-Type), which real servers pass
through; this helper calls the app the way gunicorn does.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from falcon.testing import create_environ


@dataclass
class RawResult:
    status_code: int
    headers: dict[str, str]
    content: bytes


def call_wsgi(app, method: str, path: str, *, query_string: str = "", headers: dict | None = None,
              body: bytes | None = None, chunked: bool = False) -> RawResult:
    """One request; ``chunked`` sends the body without Content-Length."""
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

    content = b"".join(app(environ, start_response))
    return RawResult(seen["status"], seen["headers"], content)
