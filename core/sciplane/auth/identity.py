"""Who is calling: credentials as presented, and the identity they resolve to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import AuthenticationRequired


@dataclass(frozen=True)
class Credentials:
    """The parsed ``Authorization`` header: ``scheme`` as sent (e.g. ``Bearer``) and its value."""

    scheme: str
    value: str

    @property
    def is_jwt(self) -> bool:
        return self.value.count(".") == 2


@dataclass(frozen=True)
class Identity:
    """The caller.  Plugins read these attributes; the core fills them from its user record."""

    user_id: int | None = None
    username: str = ""
    email: str = ""
    name: str = ""
    first_name: str | None = None
    last_name: str | None = None
    provider: str = "anonymous"
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_service: bool = False
    roles: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)
    via: str = "anonymous"

    @property
    def authenticated(self) -> bool:
        return self.via != "anonymous"

    @property
    def staff(self) -> bool:
        return self.is_staff or self.is_superuser


ANONYMOUS = Identity()


@dataclass(frozen=True)
class Action:
    """A permission action a plugin checks: ``<plugin>.<verb>``."""

    name: str
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class Event:
    """An audit event: ``name`` like ``core.token.created``, the acting identity and details."""

    name: str
    identity: Identity = ANONYMOUS
    data: Mapping[str, Any] = field(default_factory=dict)


def parse_authorization(header: str | None, schemes: tuple[str, ...] = ("Bearer", "Token")) -> Credentials | None:
    """Parse ``Authorization: <scheme> <credential>``.

    Returns None without a header; raises :class:`AuthenticationRequired`
    with a precise ``reason`` for every malformed form, so each dialect can
    answer with its own wording.
    """
    if header is None:
        return None
    parts = header.split(" ")
    accepted = {s.lower(): s for s in schemes}
    scheme = parts[0]
    if scheme.lower() not in accepted:
        known = scheme.lower() in ("bearer", "token", "basic")
        raise AuthenticationRequired("unsupported_scheme" if known and len(parts) > 1 else "malformed")
    if len(parts) == 1 or not parts[1]:
        raise AuthenticationRequired("missing_token" if len(parts) <= 2 else "token_has_spaces")
    if len(parts) > 2:
        raise AuthenticationRequired("token_has_spaces")
    return Credentials(accepted[scheme.lower()], parts[1])
