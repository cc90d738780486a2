"""sciplane: a plugin-based REST framework for scientific metadata services.

Plugins import only the names exported here (and from ``sciplane.testing``
in their tests).
"""

__version__ = "0.1.0"

from .app import AppContext, build_context, create_app  # noqa: E402
from .auth import ANONYMOUS, Action, Credentials, Event, Identity  # noqa: E402
from .config import Settings  # noqa: E402
from .db import (  # noqa: E402
    BaseModel,
    JSONField,
    Snapshot,
    database,
    is_postgres,
    is_sqlite,
    locked,
    retrying_write,
    utcnow,
    write_transaction,
)
from .errors import (  # noqa: E402
                 APIError,
                 AuthenticationRequired,
                 BadRequest,
                 ConcurrentModification,
                 Conflict,
                 DatabaseBusy,
                 ErrorRenderer,
                 InternalError,
                 InvalidJSON,
                 MethodNotAllowed,
                 NotFound,
                 PayloadTooLarge,
                 PermissionDenied,
                 RenderedError,
                 ServiceUnavailable,
                 StartupError,
                 UnsupportedMediaType,
                 ValidationFailed,
                 is_transient,
)
from .hookspecs import hookimpl, hookspec  # noqa: E402
from .http import cache_control, conditional, etag_matches, hashed_etag, strong_etag  # noqa: E402
from .jobs import JobSpec  # noqa: E402
from .parsers import EntryError, HistogramRecord, ParseError, ParserKey, ParserSpec  # noqa: E402
from .routing import EndpointGroup, Route  # noqa: E402
from .storage import BlobInfo, BlobStore, LocalBlobStore  # noqa: E402

__all__ = [
    "ANONYMOUS", "APIError", "Action", "AppContext", "AuthenticationRequired", "BadRequest", "BaseModel",
    "BlobInfo", "BlobStore", "ConcurrentModification", "Conflict", "Credentials", "DatabaseBusy", "EndpointGroup",
    "EntryError", "ErrorRenderer", "Event", "HistogramRecord", "Identity", "InternalError", "InvalidJSON",
    "JSONField", "JobSpec", "LocalBlobStore", "MethodNotAllowed", "NotFound", "ParseError", "ParserKey",
    "ParserSpec", "PayloadTooLarge", "PermissionDenied", "RenderedError", "Route", "ServiceUnavailable", "Settings",
    "Snapshot", "StartupError", "UnsupportedMediaType", "ValidationFailed", "__version__", "build_context",
    "cache_control", "conditional", "create_app", "database", "etag_matches", "hashed_etag", "hookimpl", "hookspec",
    "is_postgres", "is_sqlite", "is_transient", "locked", "retrying_write", "strong_etag", "utcnow",
    "write_transaction",
]
