"""Reading parameters the way GSP Live's documented client sends them (§8.6): a body on any method, whatever
its declared type."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import falcon
import orjson

from sciplane import PayloadTooLarge

from .listing import last

LEGACY_BODY_BYTES = 64 * 1024


def tolerant_parameters(req: falcon.Request) -> dict[str, Any]:
    """The documented client sends a GET whose body is form-encoded though it is labelled JSON: read the body on
    every method, as JSON when it is a JSON object, as a form otherwise, whatever the declared type; body fields
    win over the query string."""
    raw = req.bounded_stream.read(LEGACY_BODY_BYTES + 1)
    if len(raw) > LEGACY_BODY_BYTES:
        raise PayloadTooLarge(f"The body exceeds {LEGACY_BODY_BYTES} bytes.", max_bytes=LEGACY_BODY_BYTES)
    params = {name: last(value) for name, value in req.params.items()}
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        return params
    if text.startswith("{"):
        try:
            parsed = orjson.loads(text)
            if isinstance(parsed, dict):
                return {**params, **parsed}
        except orjson.JSONDecodeError:
            pass
    return {**params, **dict(parse_qsl(text, keep_blank_values=True))}
