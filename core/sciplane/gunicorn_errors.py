"""gunicorn's own error answers, as JSON.

gunicorn refuses some requests before the app sees them (a request line or
headers beyond its limits, a malformed chunk, a bad HTTP version) and
answers them with an HTML page.  A sciplane worker replaces gunicorn's
writer of those answers with one that sends the core's JSON error body,
with the same status and message, so every answer of a sciplane server is
JSON with a machine-readable code.
"""

from __future__ import annotations

import socket

from .errors import APIError, code_for
from .media import dumps


def write_json_error(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """gunicorn's ``util.write_error``, answering JSON (the connection is closed after it, as gunicorn does)."""
    from gunicorn.util import write_nonblock

    body = dumps(APIError(message or reason, status=status, code=code_for(status)).to_dict())
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    """Answer gunicorn's own errors in JSON in this process (a worker calls it once it has loaded the app)."""
    from gunicorn import util

    util.write_error = write_json_error
