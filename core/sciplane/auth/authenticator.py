"""Resolving a request's identity, lazily and once.

Credentials are evaluated only when something asks for the identity: a
route's permission action, or a resource reading ``req.identity``.
Public routes never evaluate them, so an invalid token on a public read is
not an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jwt

from ..errors import AuthenticationRequired
from .identity import ANONYMOUS, Credentials, Identity, parse_authorization

if TYPE_CHECKING:
    from .accounts import AccountService


def resolve_core_credentials(credentials: Credentials, accounts: AccountService, jwt_secret: str) -> Identity:
    """The core's own credential types: HS256 JWTs (when a secret is set), API and service tokens."""
    if jwt_secret and credentials.is_jwt:
        return _identity_from_jwt(credentials.value, jwt_secret)
    return accounts.identity_for_token(credentials.value)


def _identity_from_jwt(value: str, secret: str) -> Identity:
    try:
        claims = jwt.decode(value, secret, algorithms=["HS256"], options={"require": []})
    except jwt.ExpiredSignatureError:
        raise AuthenticationRequired("expired") from None
    except jwt.InvalidSignatureError:
        raise AuthenticationRequired("bad_signature") from None
    except jwt.PyJWTError:
        raise AuthenticationRequired("invalid_token") from None
    subject = str(claims.get("sub") or claims.get("username") or "")
    roles = claims.get("roles") or []
    return Identity(username=subject, email=str(claims.get("email") or ""), name=str(claims.get("name") or subject),
                    provider="jwt", roles=frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list)
                    else frozenset(), claims=claims, via="jwt")


class Authenticator:
    """Turns a request into an identity through the ``authenticate`` hook."""

    def __init__(self, hook, ctx):
        self._hook = hook
        self._ctx = ctx

    def identify(self, req, schemes: tuple[str, ...] = ("Bearer", "Token")) -> Identity:
        cached = getattr(req.context, "_identity", None)
        if cached is not None:
            return cached
        credentials = parse_authorization(req.get_header("Authorization"), schemes)
        if credentials is None:
            identity = ANONYMOUS
        else:
            identity = self._hook.authenticate(credentials=credentials, req=req, ctx=self._ctx)
            if identity is None:
                raise AuthenticationRequired("invalid_token")
            if not identity.is_active:
                raise AuthenticationRequired("inactive_user")
        req.context._identity = identity
        return identity
