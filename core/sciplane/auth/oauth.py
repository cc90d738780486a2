"""OAuth2 client-credentials token endpoint (RFC 6749 §4.4).

A plugin mounts :class:`TokenEndpoint` under its own prefix (CalCat clients
expect ``/calibration/oauth/token``); the core mounts one at ``/oauth/token``.
Its errors follow RFC 6749 §5.2 whatever the mount's error shape, so the
resource writes them itself instead of raising.
"""

from __future__ import annotations

import base64
import binascii
import calendar
from urllib.parse import parse_qs, unquote_plus

import falcon

from ..media import dumps

_OAUTH_ERROR = {"type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}}


class TokenEndpoint:
    """``POST`` form ``grant_type=client_credentials`` with HTTP Basic or form client credentials."""

    # The OpenAPI operation, for every mount of this endpoint (its error
    # bodies follow RFC 6749, not the mount's shape).
    OPENAPI = {"post": {
        "summary": "OAuth2 client-credentials token endpoint (RFC 6749 §4.4)",
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["grant_type"],
            "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]},
                           "client_id": {"type": "string"}, "client_secret": {"type": "string"},
                           "scope": {"type": "string"}}}}}},
        "responses": {
            "200": {"description": "An access token", "content": {"application/json": {"schema": {
                "type": "object", "required": ["access_token", "token_type", "expires_in", "created_at"],
                "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"},
                               "expires_in": {"type": "integer"}, "created_at": {"type": "integer"},
                               "scope": {"type": "string"}}}}}},
            "400": {"description": "Malformed request or unsupported grant",
                    "content": {"application/json": {"schema": _OAUTH_ERROR}}},
            "401": {"description": "Client authentication failed",
                    "content": {"application/json": {"schema": _OAUTH_ERROR}}},
        },
    }}

    def __init__(self, accounts, max_body_bytes: int = 65536):
        self.accounts = accounts
        self.max_body_bytes = max_body_bytes

    @staticmethod
    def _reply(resp: falcon.Response, status: int, body: dict, **headers: str) -> None:
        resp.status = status
        resp.content_type = "application/json; charset=utf-8"
        resp.data = dumps(body)
        resp.set_header("Cache-Control", "no-store")
        resp.set_header("Pragma", "no-cache")
        for name, value in headers.items():
            resp.set_header(name.replace("_", "-"), value)

    def _form(self, req: falcon.Request) -> dict[str, str]:
        raw = req.bounded_stream.read(self.max_body_bytes + 1)
        if len(raw) > self.max_body_bytes:
            raise ValueError("body too large")
        content_type = (req.content_type or "").split(";")[0].strip().lower()
        if content_type == "application/json":
            import orjson
            data = orjson.loads(raw or b"{}")
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {k: str(v) for k, v in data.items()}
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    @staticmethod
    def _basic(header: str | None) -> tuple[str, str] | None:
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return (unquote_plus(client_id), unquote_plus(secret)) if sep else None

    def on_post(self, req: falcon.Request, resp: falcon.Response, **params) -> None:
        """Exchange client credentials for a bearer token."""
        try:
            form = self._form(req)
        except (ValueError, UnicodeDecodeError):
            return self._reply(resp, 400, {"error": "invalid_request", "error_description": "Malformed request body."})
        grant = form.get("grant_type")
        if not grant:
            return self._reply(resp, 400, {"error": "invalid_request", "error_description": "grant_type is required."})
        if grant != "client_credentials":
            return self._reply(resp, 400, {"error": "unsupported_grant_type"})
        basic = self._basic(req.get_header("Authorization"))
        client_id, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
        issued = self.accounts.issue_client_token(client_id, secret) if client_id and secret else None
        if issued is None:
            return self._reply(resp, 401,
                               {"error": "invalid_client", "error_description": "Client authentication failed."},
                               WWW_Authenticate='Basic realm="sciplane"')
        key, expires_in, created = issued
        body = {"access_token": key, "token_type": "Bearer", "expires_in": expires_in,
                "created_at": calendar.timegm(created.timetuple())}
        # The scope is echoed exactly as requested and never added: OAuth
        # clients abort when the granted scope differs from the requested one.
        if "scope" in form:
            body["scope"] = form["scope"]
        self._reply(resp, 200, body)
