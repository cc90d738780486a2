"""Media handlers: orjson for JSON (numpy-aware), ``.npy`` for arrays.

NaN policy: non-finite floats (NaN, +Inf, -Inf) are written as JSON ``null``,
whether they come from Python floats or numpy arrays.  JSON has no spelling
for them, and clients of every bundled dialect expect ``null``.  Inputs
containing the non-standard tokens ``NaN``/``Infinity`` are rejected as
malformed JSON.
"""

from __future__ import annotations

import decimal
import enum
import io
import pathlib
from typing import Any

import falcon
import numpy as np
import orjson

JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
NPY = "application/x-npy"


def _default(value: Any) -> Any:
    # orjson handles dict/list/str/int/float/bool/None, datetimes, UUIDs,
    # dataclasses and C-contiguous numpy arrays natively; the rest lands here.
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value).tolist()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, pathlib.PurePath):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        raise TypeError("binary data cannot be encoded as JSON")
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Encode ``value`` as JSON bytes with the project's options and NaN policy."""
    return orjson.dumps(value, default=_default, option=JSON_OPTIONS)


loads = orjson.loads


def npy_bytes(array: np.ndarray) -> bytes:
    """Serialise an array in NumPy's ``.npy`` format (no pickling)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


class NpyHandler(falcon.media.BaseHandler):
    """Response handler for ``application/x-npy``: ``resp.media`` is an array."""

    def serialize(self, media: Any, content_type: str | None = None) -> bytes:
        return npy_bytes(media)

    def deserialize(self, stream, content_type, content_length) -> Any:
        data = stream.read()
        return np.load(io.BytesIO(data), allow_pickle=False)


def json_handler() -> falcon.media.JSONHandler:
    return falcon.media.JSONHandler(dumps=dumps, loads=loads)


def configure(app: falcon.App) -> None:
    """Install the project's handlers on a Falcon app."""
    handler = json_handler()
    extra = {falcon.MEDIA_JSON: handler, "application/json; charset=utf-8": handler}
    app.req_options.media_handlers.update(extra)
    app.resp_options.media_handlers.update({**extra, NPY: NpyHandler()})  # arrays go out; none come in (415)
    app.resp_options.default_media_type = falcon.MEDIA_JSON
