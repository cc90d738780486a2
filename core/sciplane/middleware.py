"""The core's request pipeline, as one middleware object (each hop costs).

Before routing: request id, path normalisation for tolerant mounts, body
size limits.  Before the responder: the route's auth policy.  After the
response: connection back to the pool, request id header, access log line.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

import falcon

from .auth.identity import ANONYMOUS, Identity
from .db import close_connection
from .errors import AuthenticationRequired, NotFound, PayloadTooLarge

access_log = logging.getLogger("sciplane.access")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class Request(falcon.Request):
    """Falcon's request plus the caller's identity, resolved lazily."""

    app_context = None  # set on a per-app subclass

    @property
    def identity(self) -> Identity:
        """The caller; credentials are evaluated on first access only."""
        cached = getattr(self.context, "_identity", None)
        if cached is not None:
            return cached
        scope = getattr(self.context, "scope", None)
        schemes = scope.auth_schemes if scope is not None else ("Bearer", "Token")
        return self.app_context.authenticator.identify(self, schemes)

    @property
    def chunked(self) -> bool:
        """Whether a body comes chunked, without a Content-Length (Falcon alone would read it as empty)."""
        return self.content_length is None and "chunked" in (self.get_header("Transfer-Encoding") or "").lower()

    def _get_wrapped_wsgi_input(self):
        # A chunked body is read through a stream that stops at the mount's size limit.
        if self.chunked:
            return LimitedStream(self.env["wsgi.input"], getattr(self.context, "body_limit", 0))
        return super()._get_wrapped_wsgi_input()

    def external_url(self, path: str, query: str = "") -> str:
        """Absolute URL of ``path`` as the client sees this server (proxy headers when trusted)."""
        if self.app_context.settings.http.trust_proxy_headers:
            scheme, host = self.forwarded_scheme, self.forwarded_host
        else:
            scheme, host = self.scheme, self.host
            port = self.port
            if port and port not in (80, 443) and ":" not in host:
                host = f"{host}:{port}"
        root = self.root_path or ""
        return f"{scheme}://{host}{root}{path}" + (f"?{query}" if query else "")


class Response(falcon.Response):
    """Falcon's response; ``omit_content_type()`` sends an empty body with no Content-Type."""

    def omit_content_type(self) -> None:
        self.data = b""
        self.content_type = None
        self.context.omit_content_type = True

    def _wsgi_headers(self, media_type=None):
        # Falcon adds its default media type to every typed status; a bare
        # redirect or an empty success must go out without one.
        if getattr(self.context, "omit_content_type", False):
            media_type = None
        return super()._wsgi_headers(media_type)


class LimitedStream:
    """A body stream without Content-Length, cut off past ``limit`` bytes."""

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._left = limit
        self.limit = limit

    def read(self, size: int = -1) -> bytes:
        want = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        data = self._stream.read(want)
        self._left -= len(data)
        if self._left < 0:
            raise PayloadTooLarge(max_bytes=self.limit)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(self._left + 1 if size is None or size < 0 else min(size, self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise PayloadTooLarge(max_bytes=self.limit)
        return data

    def __iter__(self):
        return iter(self.readline, b"")


def _serves(resource, method: str, suffix: str | None, head: bool) -> bool:
    """Whether ``resource`` has a responder for ``method`` (HEAD is served by GET where ``head``)."""
    tail = f"_{suffix}" if suffix else ""
    if hasattr(resource, f"on_{method.lower()}{tail}"):
        return True
    return head and method == "HEAD" and hasattr(resource, f"on_get{tail}")


class CoreMiddleware:
    def __init__(self, ctx):
        self.ctx = ctx
        self.routes = ctx.routes
        self.db = ctx.database
        self.authorizer = ctx.authorizer
        http = ctx.settings.http
        self.default_limit = http.max_body_bytes
        self.id_header = http.request_id_header
        self.log_access = ctx.settings.logging.access_log

    def process_request(self, req: Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        incoming = req.get_header(self.id_header)
        req.context.request_id = incoming if incoming and _REQUEST_ID_RE.match(incoming) else secrets.token_hex(8)
        if "\x00" in req.path:
            raise NotFound()  # no route (and no stored name) contains NUL
        path, scope = self.routes.normalize(req.path)
        if path != req.path:
            req.path = path
        req.context.scope = scope
        limit = scope.max_body_bytes if scope is not None and scope.max_body_bytes is not None else self.default_limit
        req.context.body_limit = limit
        length = req.content_length
        ceiling = self.routes.body_ceiling(scope, limit)  # a route with its own limit decides once it is known
        if length is not None and length > ceiling:
            raise PayloadTooLarge(max_bytes=ceiling)

    def process_resource(self, req: Request, resp: falcon.Response, resource, params) -> None:
        found = self.routes.route_for(req.uri_template)
        if found is None:
            return
        group, route = found
        if route.max_body_bytes is not None:
            req.context.body_limit = route.max_body_bytes
        limit, length = req.context.body_limit, req.content_length
        self._authorize(req, resource, group, route)
        if length is not None and length > limit:  # only where process_request could not decide yet
            raise PayloadTooLarge(max_bytes=limit)

    def _authorize(self, req: Request, resource, group, route) -> None:
        method = req.method
        if method == "OPTIONS" or route.is_public(method):
            req.context._identity = ANONYMOUS
            return
        if not _serves(resource, method, route.suffix, group.serves_head(route)):
            return  # Falcon answers 405 next: the method is checked before credentials
        if route.needs_identity(method) and not req.identity.authenticated:
            raise AuthenticationRequired("missing")
        action = route.actions.get(method) or (route.actions.get("GET") if method == "HEAD" else None)
        if action is not None:
            self.authorizer.check(req.identity, action)

    def process_response(self, req: Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        snapshot = getattr(req.context, "snapshot", None)
        if snapshot is None:
            close_connection(self.db)
        elif not (req_succeeded and snapshot.streaming and resp.stream is not None and req.method != "HEAD"):
            snapshot.end()  # not streamed after all (304, error, HEAD): the body will never end it
            close_connection(self.db)
        request_id = getattr(req.context, "request_id", None)
        if request_id:
            resp.set_header(self.id_header, request_id)
        if self.log_access and access_log.isEnabledFor(logging.INFO):
            started = getattr(req.context, "started", None)
            elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
            access_log.info('%s "%s %s%s" %d %.1fms id=%s', req.remote_addr, req.method, req.path,
                            "?" + req.query_string if req.query_string else "", resp.status_code, elapsed, request_id)
