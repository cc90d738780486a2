"""Receiving a multipart upload: text fields buffered (64 KiB each), the one file part streamed into the
blob store in 1 MiB chunks while SHA-256 and size are computed, the leading bytes kept for the FITS header.

The body is never held in memory, whatever its size, with or without ``Content-Length`` (a chunked body
is cut off at the route's limit by the core).  Whoever calls :func:`receive` owns the stored blob: it must
delete it if anything later fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO

import falcon
from falcon.media.multipart import MultipartForm, MultipartParseOptions
from falcon.util.reader import BufferedReader

from sciplane import APIError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from sciplane.storage import BlobInfo, BlobStore

MULTIPART = "multipart/form-data"
FIELD_BYTES = 64 * 1024
MULTIPART_OVERHEAD = 64 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Received:
    fields: dict[str, list[str]] = field(default_factory=dict)
    blob: BlobInfo | None = None
    file_name: str | None = None
    head: bytes = b""  # the file's first bytes (at most ``head_bytes``), for header extraction


def unsupported(content_type: str | None) -> UnsupportedMediaType:
    return UnsupportedMediaType(detail=f'Unsupported media type "{content_type or ""}" in request.')


def is_multipart(req: falcon.Request) -> bool:
    return (req.content_type or "").split(";", 1)[0].strip().lower() == MULTIPART


def too_large(max_bytes: int, **headers: str) -> PayloadTooLarge:
    return PayloadTooLarge(max_bytes=max_bytes, detail=f"Upload exceeds the limit of {max_bytes} bytes.",
                           headers=headers)


def receive(req: falcon.Request, store: BlobStore, *, max_bytes: int, head_bytes: int,
            key_for: Callable[[Mapping[str, list[str]], str], str],
            before_file: Callable[[Mapping[str, list[str]]], None] = lambda fields: None) -> Received:
    """Read the form; ``before_file(fields)`` may refuse the fields seen so far before a byte of the file is
    stored (fail fast), ``key_for(fields, file_name)`` names the blob."""
    if not is_multipart(req):
        raise unsupported(req.content_type)
    received = Received()
    try:
        for part in _parts(req):
            name = part.name or ""
            if part.filename is None:
                received.fields.setdefault(name, []).append(_text(part, name))
                continue
            if name != "file":
                raise ValidationFailed(errors={name: ["Unknown field."]})
            if received.blob is not None:
                raise ValidationFailed(errors={"file": ["Submit exactly one file."]})
            before_file(received.fields)
            received.file_name = sanitize_file_name(part.filename)
            head = HeadKeeper(part.stream, head_bytes)
            received.blob = store.put(key_for(received.fields, received.file_name), head, max_bytes=max_bytes)
            received.head = bytes(head.kept)
    except PayloadTooLarge:
        _discard(store, received)
        # The rest of the body was not read: the connection cannot be reused.
        raise too_large(max_bytes, Connection="close") from None
    except BaseException:
        _discard(store, received)
        raise
    return received


def _parts(req: falcon.Request):
    """Falcon's multipart parser over the raw input, which also works for a body without a length."""
    content_type = req.content_type or ""
    match = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    if not match:
        raise APIError("The multipart body has no boundary.", status=400, code="malformed_body")
    length = req.content_length
    limit = getattr(req.context, "body_limit", None) or 0
    reader = BufferedReader(req.stream.read, length if length is not None else limit + 1)
    options = MultipartParseOptions()
    options.max_body_part_count = 64
    return MultipartForm(reader, match.group(1).encode("latin-1"), length, options)


def _text(part, name: str) -> str:
    data = part.stream.read(FIELD_BYTES + 1)
    if len(data) > FIELD_BYTES:
        raise ValidationFailed(errors={name or "non_field_errors": [f"Field exceeds {FIELD_BYTES} bytes."]})
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(errors={name or "non_field_errors": ["Field is not valid UTF-8."]}) from None


def sanitize_file_name(raw: str) -> str:
    """The basename as uploaded (no directories, no control characters), at most 255 characters with the
    extension kept."""
    name = _UNSAFE.sub("", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip().lstrip(".") or "upload"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 255 - len(ext) - 1] + "." + ext) if dot and len(ext) < 16 else name[:255]
    return name


def _discard(store: BlobStore, received: Received) -> None:
    if received.blob is not None:
        store.delete(received.blob.key)
        received.blob = None


class HeadKeeper:
    """A read-through stream that keeps its first ``limit`` bytes (the FITS header is parsed from them, so
    the blob is never read back); ``on_read(n)`` hears of every chunk (a progress bar)."""

    def __init__(self, stream: IO[bytes], limit: int, on_read: Callable[[int], None] | None = None):
        self._stream = stream
        self._limit = limit
        self._on_read = on_read
        self.kept = bytearray()

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if len(self.kept) < self._limit and data:
            self.kept += data[: self._limit - len(self.kept)]
        if self._on_read is not None and data:
            self._on_read(len(data))
        return data
