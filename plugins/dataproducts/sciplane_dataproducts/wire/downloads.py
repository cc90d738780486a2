"""Sending a product's file (§8.5): streamed from the blob store in chunks, one byte range when asked for and
the store can seek, the SHA-256 as a strong ETag.  The same responder serves all three download paths."""

from __future__ import annotations

import re
from urllib.parse import quote

import falcon

from sciplane import APIError, NotFound

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.IGNORECASE)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\]')


def send(req: falcon.Request, resp: falcon.Response, product, store) -> None:
    size = product.size
    start, end = 0, size
    wanted = req.get_header("Range")
    if wanted and store.supports_ranges and _if_range_holds(req, product):
        start, end = _byte_range(wanted, size)
    if not store.exists(product.blob_key):  # HEAD included: the headers below describe a file that is there
        raise NotFound(detail="The file of this data product is missing from the store.")
    stream = None if req.method == "HEAD" else store.open(product.blob_key, start, end)
    resp.content_type = product.mimetype
    resp.set_header("Content-Disposition", disposition(product.file_name))
    resp.set_header("ETag", f'"{product.sha256}"')
    resp.set_header("Cache-Control", "private, no-cache")
    resp.set_header("Accept-Ranges", "bytes" if store.supports_ranges else "none")
    if (start, end) != (0, size):
        resp.status = falcon.HTTP_206
        resp.set_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
    resp.content_length = end - start
    if stream is not None:
        resp.stream = stream


def _if_range_holds(req: falcon.Request, product) -> bool:
    condition = req.get_header("If-Range")
    return condition is None or condition.strip() == f'"{product.sha256}"'


def _byte_range(header: str, size: int) -> tuple[int, int]:
    """One ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n``; several ranges are answered with the whole file."""
    match = _RANGE.match(header.strip())
    if match is None:
        return 0, size
    first, last = match.groups()
    if first == "" and last == "":
        return 0, size
    if first == "":
        start, end = max(size - int(last), 0), size
    else:
        start = int(first)
        if last and int(last) < start:
            return 0, size  # not a valid range: ignored, as RFC 9110 says
        end = min(int(last) + 1, size) if last else size
    if start >= size or start >= end:
        raise APIError(f"Range not satisfiable: the file has {size} bytes.", status=416,
                       code="range_not_satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start, end


def disposition(file_name: str) -> str:
    """``attachment`` with the name as a quoted ASCII fallback (no quotes, backslashes or control characters
    can reach the header) and, for other names, RFC 6266's UTF-8 form."""
    cleaned = _UNSAFE.sub("_", file_name)
    fallback = cleaned.encode("ascii", "replace").decode().replace("?", "_")
    if fallback == file_name:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
