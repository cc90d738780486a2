"""Blob stores for uploaded files.

The core ships a local-directory store; other kinds (S3, EOS, xrootd) come
from ``register_blob_stores``.  Writes are streamed: size and SHA-256 are
computed while the bytes pass through, and a write becomes visible under its
key only when complete (temporary file + atomic rename), so a crash never
leaves a truncated blob behind a key.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from .errors import PayloadTooLarge, StartupError

CHUNK = 1024 * 1024
_KEY_RE = re.compile(r"^[A-Za-z0-9._\-]+(/[A-Za-z0-9._\-]+)*$")


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    sha256: str


class BlobStore(Protocol):
    """What a blob store offers.  Keys are ``/``-separated relative names."""

    name: str
    supports_ranges: bool

    def put(self, key: str, stream: IO[bytes], *, max_bytes: int | None = None) -> BlobInfo:
        """Stream ``stream`` into ``key``; raise PayloadTooLarge past ``max_bytes`` (nothing kept)."""

    def open(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes of ``key`` in chunks, from ``start`` up to ``end`` (exclusive)."""

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...

    def local_path(self, key: str) -> Path | None:
        """A filesystem path for the blob, or None for remote stores."""


class BorrowedStream:
    """A stream lent to a library that closes whatever it is given (uproot, astropy): reads and seeks go
    through, ``close`` stays with the owner."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


def check_key(key: str) -> str:
    if not _KEY_RE.match(key or "") or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"invalid blob key {key!r}")
    return key


class LocalBlobStore:
    """Blobs as files under one directory."""

    supports_ranges = True

    def __init__(self, name: str, root: str | os.PathLike):
        self.name = name
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, stream: IO[bytes], *, max_bytes: int | None = None) -> BlobInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise PayloadTooLarge(max_bytes=max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return BlobInfo(key, size, digest.hexdigest())

    def open(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        handle = path.open("rb")  # raises FileNotFoundError before the first chunk

        def chunks() -> Iterator[bytes]:
            with handle:
                handle.seek(start)
                remaining = None if end is None else max(0, end - start)
                while remaining is None or remaining > 0:
                    chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
                    if not chunk:
                        break
                    if remaining is not None:
                        remaining -= len(chunk)
                    yield chunk

        return chunks()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
            return True
        except FileNotFoundError:
            return False

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".upload-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def local_path(self, key: str) -> Path | None:
        return self._path(key)


def local_store_factory(name: str, options, ctx) -> LocalBlobStore:
    """Kind ``local``: ``path`` defaults to ``<data_dir>/blobs/<store name>``."""
    path = options.get("path") or f"{ctx.settings.data_dir}/blobs/{name}"
    return LocalBlobStore(name, path)


class BlobStores:
    """The configured stores by name (``[storage.stores.<name>]``)."""

    def __init__(self, stores: dict[str, BlobStore], default: str):
        self._stores = stores
        self.default_name = default

    @classmethod
    def build(cls, kinds: dict, config, ctx) -> BlobStores:
        stores = {}
        for name, options in config.stores.items():
            kind = options.get("kind", "local")
            factory = kinds.get(kind)
            if factory is None:
                raise StartupError(f"invalid configuration: storage.stores.{name}.kind: no blob store kind {kind!r} "
                                   f"(known: {', '.join(sorted(kinds)) or 'none'})")
            stores[name] = factory(name, options, ctx)
        return cls(stores, config.default)

    def get(self, name: str | None = None) -> BlobStore:
        try:
            return self._stores[name or self.default_name]
        except KeyError:
            raise KeyError(f"no blob store named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._stores)
