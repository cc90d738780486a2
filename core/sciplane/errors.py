"""One family of API errors, and how every failure becomes one.

Resources and services raise :class:`APIError` (or a subclass); the core turns
Falcon's own errors, marshmallow validation errors, peewee errors and
unexpected exceptions into the same family.  Rendering is separate: each
endpoint group may install an :data:`ErrorRenderer` for its mount, so a
compatibility plugin shapes the body its clients expect without catching
anything itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import falcon

log = logging.getLogger("sciplane.errors")


class APIError(Exception):
    """An error with an HTTP status and a machine-readable ``code``.

    ``errors`` holds field errors keyed by location or field name; ``extra``
    holds additional top-level members (``supported``, ``existing_id`` …).
    """

    status: int = 400
    code: str = "bad_request"
    description: str | None = None

    def __init__(
        self,
        description: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        if description is not None:
            self.description = description
        self.errors = errors
        self.headers = dict(headers or {})
        self.extra = extra
        super().__init__(self.description or self.code)

    @property
    def title(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    def to_dict(self) -> dict[str, Any]:
        """The core's default body: ``title``, ``description``, ``code``, ``errors``."""
        body: dict[str, Any] = {"title": self.title, "code": self.code}
        if self.description:
            body["description"] = self.description
        if self.errors:
            body["errors"] = self.errors
        for key, value in self.extra.items():
            body.setdefault(key, value)
        return body


class BadRequest(APIError):
    status, code = 400, "bad_request"


class InvalidJSON(APIError):
    status, code, description = 400, "invalid_json", "The request body is not valid JSON."


class AuthenticationRequired(APIError):
    """No usable credentials.  ``reason`` says which case occurred.

    Reasons: ``missing`` (no credentials), ``malformed`` (header not
    ``<scheme> <credential>``), ``unsupported_scheme``, ``missing_token``
    (scheme without a key), ``token_has_spaces``, ``invalid_token``,
    ``expired``, ``bad_signature``, ``inactive_user``.  Plugins map reasons
    to the strings their reference clients expect.
    """

    status, code = 401, "unauthorized"
    MESSAGES = {
        "missing": "Authentication credentials were not provided.",
        "malformed": "Invalid authorization header.",
        "unsupported_scheme": "Unsupported authorization scheme.",
        "missing_token": "Invalid authorization header: no credentials provided.",
        "token_has_spaces": "Invalid authorization header: the credential contains spaces.",
        "invalid_token": "Invalid token.",
        "expired": "The token has expired.",
        "bad_signature": "The token signature is invalid.",
        "inactive_user": "User inactive or deleted.",
    }

    def __init__(self, reason: str = "missing", description: str | None = None, **kw: Any):
        self.reason = reason
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer, Token realm="sciplane"'})
        super().__init__(description or self.MESSAGES.get(reason, "Authentication failed."), **kw)


class PermissionDenied(APIError):
    status, code, description = 403, "forbidden", "You do not have permission to perform this action."


class NotFound(APIError):
    status, code, description = 404, "not_found", "The requested resource was not found."


class MethodNotAllowed(APIError):
    status, code = 405, "method_not_allowed"

    def __init__(self, method: str, allowed: list[str], **kw: Any):
        self.method = method
        self.allowed = allowed
        kw.setdefault("headers", {"Allow": ", ".join(allowed)})
        super().__init__(f'Method "{method}" not allowed.', **kw)


class Conflict(APIError):
    status, code, description = 409, "conflict", "The request conflicts with the current state."


class ConcurrentModification(Conflict):
    """A deadlock or serialization failure that reached the request (after ``retrying_write``'s attempts, where the
    write used it): nothing conflicts with the request itself, so sending it again may well succeed (a dialect
    without 409 may answer it as a temporary failure)."""

    description = "Concurrent modification, please retry."


class PayloadTooLarge(APIError):
    status, code, description = 413, "payload_too_large", "Request body too large."


class UnsupportedMediaType(APIError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(APIError):
    status, code, description = 422, "validation_failed", "The request failed validation."


class ServiceUnavailable(APIError):
    status, code = 503, "service_unavailable"


class DatabaseBusy(ServiceUnavailable):
    code, description = "database_busy", "Database is busy, please retry."

    def __init__(self, **kw: Any):
        kw.setdefault("headers", {"Retry-After": "1"})
        super().__init__(**kw)


class InternalError(APIError):
    status, code, description = 500, "internal_error", "A server error occurred."

    def __init__(self, error_id: str | None = None, **kw: Any):
        self.error_id = error_id or uuid.uuid4().hex[:16]
        super().__init__(error_id=self.error_id, **kw)


class StartupError(RuntimeError):
    """A deployment cannot start: misconfiguration, missing plugin, conflict."""


@dataclass
class RenderedError:
    """What an error renderer produces: status, JSON body (or None) and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


ErrorRenderer = Callable[[APIError, falcon.Request], RenderedError]


def default_renderer(error: APIError, req: falcon.Request) -> RenderedError:
    """The core's error shape: ``{"title", "description"?, "code", "errors"?}``."""
    return RenderedError(error.status, error.to_dict(), dict(error.headers))


def from_falcon(exc: falcon.HTTPError) -> APIError:
    """Translate Falcon's own errors (routing, media, headers) into the family."""
    status = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, falcon.HTTPMethodNotAllowed):
        allowed = [m.strip() for m in headers.get("Allow", "").split(",") if m.strip()]
        return MethodNotAllowed("", allowed, headers=headers)
    if isinstance(exc, falcon.MediaMalformedError):
        cause = exc.__cause__
        reason = str(cause) if cause is not None else "malformed body"
        if "json" in (exc.title or "").lower():  # Falcon names the handler's media type in the title
            return InvalidJSON(f"The request body is not valid JSON: {reason}", reason=reason)
        # Falcon's description names the media type, and the cause when there is one.
        return BadRequest(exc.description or f"The request body could not be read: {reason}", code="invalid_body",
                          reason=reason)
    if isinstance(exc, falcon.HTTPUnsupportedMediaType):
        return UnsupportedMediaType(exc.description or "Unsupported media type.")
    if isinstance(exc, falcon.HTTPPayloadTooLarge):
        return PayloadTooLarge()
    err = APIError(exc.description or exc.title, status=status, code=code_for(status), headers=headers)
    if status == 404:
        err.description = NotFound.description
    return err


_CODES = {400: "bad_request", 404: "not_found", 406: "not_acceptable", 408: "request_timeout",
          411: "length_required", 416: "range_not_satisfiable", 429: "too_many_requests", 500: "internal_error"}


def code_for(status: int) -> str:
    """The machine-readable code of an error that only has a status: a name of its own, or the status's phrase
    in snake case (``431`` → ``request_header_fields_too_large``)."""
    return _CODES.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def from_exception(exc: BaseException, translators: dict[type, Callable[[Any], APIError]]) -> APIError:
    """Turn any exception into an :class:`APIError`.

    ``translators`` maps exception classes to functions; plugins contribute
    theirs through ``register_error_handlers``.  The most specific class in
    the exception's MRO wins.
    """
    if isinstance(exc, APIError):
        return exc
    for klass in type(exc).__mro__:
        translate = translators.get(klass)
        if translate is not None:
            return translate(exc)
    if isinstance(exc, falcon.HTTPError):
        return from_falcon(exc)
    error = InternalError()
    log.error("unhandled %s [error_id=%s]", type(exc).__name__, error.error_id, exc_info=exc)
    return error


def _validation(exc: Any) -> APIError:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return ValidationFailed(errors=messages)


# SQLSTATEs whose documented remedy is to run the whole transaction again: deadlock_detected, serialization_failure.
TRANSIENT_SQLSTATES = ("40P01", "40001")


# invalid_regular_expression: a pattern the client sent that the host language accepted and PostgreSQL did not.
INVALID_REGEX_SQLSTATE = "2201B"
# query_canceled: statement_timeout expired (or an administrator cancelled the statement).
QUERY_CANCELED_SQLSTATE = "57014"


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of peewee's error or of the driver's beneath it (PostgreSQL only)."""
    return next((code for error in (exc, exc.__cause__, exc.__context__)
                 if (code := getattr(error, "pgcode", None)) is not None), None)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (peewee's error or the driver's beneath it) is a deadlock or a serialization failure."""
    return _sqlstate(exc) in TRANSIENT_SQLSTATES


def _operational(exc: Any) -> APIError:
    text = str(exc).lower()
    if "database is locked" in text or "database is busy" in text:
        return DatabaseBusy()
    if is_transient(exc):  # what retrying_write runs again, when even its last attempt lost
        return ConcurrentModification()
    if _sqlstate(exc) == QUERY_CANCELED_SQLSTATE:
        log.warning("a statement ran past [database] statement_timeout_ms and was cancelled")
        return ServiceUnavailable("The query ran longer than this server allows.", code="query_timeout")
    return _database_failure(exc)


def _data(exc: Any) -> APIError:
    if _sqlstate(exc) == INVALID_REGEX_SQLSTATE:
        return APIError("The regular expression is not one the database accepts.", status=422, code="invalid_regex")
    return _database_failure(exc)


def _database_failure(exc: Any) -> APIError:
    error = InternalError()
    log.error("database error [error_id=%s]", error.error_id, exc_info=exc)
    return error


def core_translators() -> dict[type, Callable[[Any], APIError]]:
    """Translators for the libraries the core is built on (and for the server it runs in).

    Database messages never reach a client: they may carry SQL and values.
    """
    import marshmallow
    import peewee
    from gunicorn.http.errors import NoMoreData
    from gunicorn.http.errors import ParseException as GunicornParseError
    from playhouse.pool import MaxConnectionsExceeded

    translators: dict[type, Callable[[Any], APIError]] = {
        # Raised by gunicorn's body stream while the app reads a request body: the client's fault, not ours.
        GunicornParseError: lambda exc: BadRequest(f"The request body is malformed: {exc}"),
        NoMoreData: lambda exc: BadRequest("The request body ended before its announced end."),
        MaxConnectionsExceeded: lambda exc: ServiceUnavailable("Too many concurrent requests, please retry.",
                                                               code="overloaded", headers={"Retry-After": "1"}),
        marshmallow.ValidationError: _validation,
        peewee.IntegrityError: lambda exc: Conflict(),
        peewee.DoesNotExist: lambda exc: NotFound(),
        peewee.OperationalError: _operational,
        peewee.DataError: _data,
    }
    try:
        import psycopg2
    except ImportError:  # a SQLite-only installation
        return translators
    # The driver's own errors, from the bulk paths that use its cursors directly (COPY, prepared statements):
    # answered as peewee's would be, by their SQLSTATE.
    translators.update({psycopg2.OperationalError: _operational, psycopg2.IntegrityError: lambda exc: Conflict(),
                        psycopg2.DataError: _data, psycopg2.Error: _database_failure})
    return translators
