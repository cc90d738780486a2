"""What every conditions resource shares: parameters, JSON bodies, validators, streaming."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from sciplane import cache_control, conditional, database, strong_etag
from sciplane.media import dumps

from ..points import MAX, MIN
from ..services.catalog import FROZEN, LOCKED, UNLOCKED
from ..services.state import Validator

JSON = "application/json"
CATALOG = "catalog"  # the database-wide state, beside a GT's statuses


class Context:
    """Configuration and services shared by the resources of one app."""

    def __init__(self, app_ctx, settings, catalog, iovs, cache, replicas):
        self.app = app_ctx
        self.settings = settings
        self.catalog = catalog
        self.iovs = iovs
        self.cache = cache
        self.replicas = replicas
        # Settings that change the bytes of responses are part of every ETag.
        plugin = app_ctx.plugin("conditions")
        token = (f"{__package__}:{plugin.version if plugin else '0'}:{settings.payloadiovs_revision}:"
                 f"{settings.serve_orm_routes}")
        self.cfg = hashlib.blake2b(token.encode(), digest_size=4).hexdigest()

    @contextlib.contextmanager
    def reading(self):
        """A database for a resolution: a random read replica if there are any, else the primary.

        The validator and the rows are read on the same connection, so the
        ETag and the body agree even when replicas lag behind each other.
        """
        db = self.replicas.pick()
        if db is self.replicas.primary:
            yield database
            return
        with db.connection_context():
            yield db


class Resource:
    def __init__(self, context: Context):
        self.c = context
        self.settings = settings = context.settings
        # Cache-Control per kind of state, composed once: every read sends one.
        ages = {CATALOG: settings.cache_max_age_catalog, FROZEN: settings.cache_max_age_frozen,
                LOCKED: settings.cache_max_age_locked, UNLOCKED: settings.cache_max_age_unlocked}
        self._cache_control = {kind: cache_control(max_age=age, private=settings.read_auth)
                               for kind, age in ages.items()}

    # -- parameters ---------------------------------------------------------
    @staticmethod
    def param(req, name: str) -> str | None:
        """A query parameter; when repeated, the last occurrence wins."""
        value = req.params.get(name)
        return value[-1] if isinstance(value, list) else value

    @staticmethod
    def in_int64(*values: int) -> bool:
        return all(MIN <= v <= MAX for v in values)

    @staticmethod
    def primary_key(pk: int | None, name: str | None) -> int | None:
        """An id from ``{pk:uint}``, or from a ``{name}`` segment shared with sibling alias routes."""
        if pk is None and name is not None and name.isascii() and name.isdigit():
            pk = int(name)
        return pk if pk is not None and MIN <= pk <= MAX else None

    # -- responses ----------------------------------------------------------
    @staticmethod
    def send(resp, body: Any, status: int = 200) -> None:
        """A write's (or an uncached read's) JSON response."""
        resp.status = status
        resp.data = dumps(body)
        resp.content_type = JSON
        resp.set_header("Cache-Control", "no-store")

    @staticmethod
    def send_bytes(resp, data: bytes) -> None:
        resp.data = data
        resp.content_type = JSON

    def etag(self, validator: Validator) -> str:
        return strong_etag(validator.scope, self.c.cfg)

    def cache_header(self, validator: Validator) -> str:
        if validator.gt_id is None:
            return self._cache_control[CATALOG]
        return self._cache_control.get(validator.status, self._cache_control[UNLOCKED])

    def cached(self, resp, key: tuple, validator: Validator, build) -> None:
        """Send the body for ``key`` at ``validator``'s state, encoding it only on a cache miss."""
        full_key = (key, validator.scope, self.c.cfg)
        body = self.c.cache.get(full_key)
        if body is None:
            body = dumps(build())
            self.c.cache.put(full_key, body)
        self.send_bytes(resp, body)

    def not_modified(self, req, resp, validator: Validator) -> bool:
        """Set validators and Cache-Control; True when a 304 was answered."""
        return conditional(req, resp, etag=self.etag(validator), changed_at=validator.changed_at,
                           cache=self.cache_header(validator), exists=True)


def json_array(elements: Iterable[Iterable[bytes]]) -> Iterator[bytes]:
    """Frame elements, each given as encoded chunks, as one JSON array, lazily."""
    yield b"["
    first = True
    for element in elements:
        if not first:
            yield b","
        yield from element
        first = False
    yield b"]"


def encode_many(values: list[Any]) -> bytes:
    """Several values encoded at once, joined by commas (one encoder call per chunk)."""
    return dumps(values)[1:-1]
