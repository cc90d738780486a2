"""Account service: users, groups, API tokens and OAuth clients.

Secrets (API tokens, client secrets) are random and high-entropy, so a
SHA-256 digest is a sufficient stored form: the plain value is shown once,
at creation, and never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable

import peewee

from ..db import database, utcnow, write_transaction
from ..errors import AuthenticationRequired, Conflict, NotFound, ValidationFailed
from .identity import Event, Identity
from .models import ApiToken, Group, Membership, OAuthClient, User

GROUP_NAME_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,150}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _roles_expression():
    # One statement per authentication: the roles come back as one
    # aggregated column next to the user row.
    agg = peewee.fn.GROUP_CONCAT(Group.name) if isinstance(database.obj, peewee.SqliteDatabase) \
        else peewee.fn.string_agg(Group.name, ",")
    return (Group.select(agg).join(Membership).where(Membership.user == User.id))


class AccountService:
    """Everything the core and plugins do with accounts.  Plugins never write core tables directly."""

    def __init__(self, emit: Callable[[Event], None], token_ttl_s: int = 7200,
                 service_tokens: Iterable[dict] = ()):
        self.emit = emit
        self.token_ttl_s = token_ttl_s
        self._service_tokens = {digest(t["token"]): t for t in service_tokens}

    # -- users -------------------------------------------------------------
    def create_user(self, username: str, *, email: str | None = None, name: str = "",
                    first_name: str | None = None, last_name: str | None = None,
                    is_staff: bool = False, is_superuser: bool = False, is_service: bool = False,
                    roles: Iterable[str] = (), actor: Identity | None = None) -> User:
        username = (username or "").strip()
        if not username or len(username) > 150 or " " in username:
            raise ValidationFailed(errors={"username": ["Enter a valid username (no spaces, at most 150 characters)."]})
        if email is not None and not EMAIL_RE.match(email):
            raise ValidationFailed(errors={"email": ["Enter a valid e-mail address."]})
        try:
            with write_transaction():
                user = User.create(username=username, email=email, name=name, first_name=first_name,
                                   last_name=last_name, is_staff=is_staff, is_superuser=is_superuser,
                                   is_service=is_service)
                for role in roles:
                    self._add_membership(user, role)
        except peewee.IntegrityError:
            raise Conflict("A user with this username or e-mail already exists.", code="user_exists") from None
        self.emit(Event("core.user.created", actor or Identity(), {"user_id": user.id, "username": username}))
        return user

    def get_or_create_by_email(self, email: str, *, actor: Identity | None = None, **defaults) -> tuple[User, bool]:
        """The user with ``email`` (case-insensitive), created with username = e-mail when missing."""
        email = (email or "").strip()
        if not EMAIL_RE.match(email):
            raise ValidationFailed(errors={"email": ["Enter a valid e-mail address."]})
        existing = self.find_user(email)
        if existing is not None:
            return existing, False
        try:
            return self.create_user(email, email=email, actor=actor, **defaults), True
        except Conflict:
            # A concurrent request created it first.
            user = self.find_user(email)
            if user is None:
                raise
            return user, False

    def find_user(self, username_or_email: str) -> User | None:
        key = username_or_email.strip()
        return (User.select()
                .where((User.username == key) | (peewee.fn.LOWER(User.email) == key.lower()))
                .order_by(User.id).first())

    def get_user(self, user_id: int) -> User:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise NotFound("No such user.")
        return user

    def list_users(self) -> list[User]:
        return list(User.select().order_by(User.id))

    def set_active(self, user: User, active: bool) -> None:
        User.update(is_active=active).where(User.id == user.id).execute()

    def roles_of(self, user: User) -> frozenset[str]:
        rows = Group.select(Group.name).join(Membership).where(Membership.user == user.id)
        return frozenset(g.name for g in rows)

    def identity_for(self, user: User, *, via: str, roles: frozenset[str] | None = None,
                     claims: dict | None = None) -> Identity:
        return Identity(
            user_id=user.id, username=user.username, email=user.email or "", name=user.name,
            first_name=user.first_name, last_name=user.last_name, provider=user.provider,
            is_active=user.is_active, is_staff=user.is_staff, is_superuser=user.is_superuser,
            is_service=user.is_service, roles=self.roles_of(user) if roles is None else roles,
            claims=claims or {}, via=via)

    # -- groups ------------------------------------------------------------
    def create_group(self, name: str, description: str = "") -> Group:
        if not GROUP_NAME_RE.match(name or ""):
            raise ValidationFailed(errors={"name": ["Group names use letters, digits and _ . : @ - only."]})
        try:
            with write_transaction():
                return Group.create(name=name, description=description)
        except peewee.IntegrityError:
            raise Conflict("A group with this name already exists.", code="group_exists") from None

    def list_groups(self) -> list[tuple[Group, list[str]]]:
        groups = list(Group.select().order_by(Group.name))
        members: dict[int, list[str]] = {g.id: [] for g in groups}
        for m in Membership.select(Membership.group, User.username).join(User).order_by(User.username):
            members[m.group_id].append(m.user.username)
        return [(g, members[g.id]) for g in groups]

    def _add_membership(self, user: User, group_name: str) -> None:
        group = Group.get_or_none(Group.name == group_name) or self.create_group(group_name)
        Membership.insert(user=user.id, group=group.id).on_conflict_ignore().execute()

    def add_member(self, user: User, group_name: str) -> None:
        with write_transaction():
            self._add_membership(user, group_name)

    def remove_member(self, user: User, group_name: str) -> bool:
        group = Group.get_or_none(Group.name == group_name)
        if group is None:
            return False
        return bool(Membership.delete().where((Membership.user == user.id) & (Membership.group == group.id)).execute())

    # -- API tokens --------------------------------------------------------
    def create_token(self, user: User, *, name: str = "", ttl_s: int | None = None, key: str | None = None,
                     actor: Identity | None = None) -> tuple[str, ApiToken]:
        """Issue a token; returns the plain key (shown once) and its record.

        ``key`` fixes the token's value (demo data, migrations from another
        system); it must be long and free of spaces.  By default it is random.
        """
        if key is not None and (len(key) < 16 or any(c.isspace() for c in key)):
            raise ValidationFailed(errors={"key": ["A token needs at least 16 characters and no spaces."]})
        key = key or new_secret()
        expires = utcnow() + dt.timedelta(seconds=ttl_s) if ttl_s else None
        with write_transaction():
            token = ApiToken.create(user=user.id, key_hash=digest(key), prefix=key[:8], name=name, expires=expires)
        self.emit(Event("core.token.created", actor or Identity(),
                        {"token_id": token.id, "user_id": user.id, "prefix": token.prefix}))
        return key, token

    def revoke_token(self, token_id_or_prefix: str, *, actor: Identity | None = None) -> int:
        query = ApiToken.update(revoked=utcnow()).where(ApiToken.revoked.is_null())
        if token_id_or_prefix.isdigit():
            query = query.where(ApiToken.id == int(token_id_or_prefix))
        else:
            query = query.where(ApiToken.prefix == token_id_or_prefix[:8])
        count = query.execute()
        if count:
            self.emit(Event("core.token.revoked", actor or Identity(), {"token": token_id_or_prefix}))
        return count

    def list_tokens(self) -> list[ApiToken]:
        return list(ApiToken.select(ApiToken, User).join(User).order_by(ApiToken.id))

    def identity_for_token(self, key: str) -> Identity:
        """Resolve an API token in one statement; raise with a reason when it is not valid."""
        hashed = digest(key)
        service = self._service_tokens.get(hashed)
        if service is not None and hmac.compare_digest(digest(service["token"]), hashed):
            return self._service_identity(service)
        roles = _roles_expression().alias("roles")
        row = (User.select(User, ApiToken.expires, ApiToken.revoked, roles)
               .join(ApiToken).where(ApiToken.key_hash == hashed)
               .objects().first())
        if row is None or row.revoked is not None:
            raise AuthenticationRequired("invalid_token")
        if row.expires is not None and row.expires <= utcnow():
            raise AuthenticationRequired("expired")
        if not row.is_active:
            raise AuthenticationRequired("inactive_user")
        role_set = frozenset(r for r in (row.roles or "").split(",") if r)
        return self.identity_for(row, via="token", roles=role_set)

    def _service_identity(self, service: dict) -> Identity:
        user = User.get_or_none(User.username == service["username"])
        roles = frozenset(service.get("roles", ()))
        if user is None:
            return Identity(username=service["username"], name=service["username"], provider="service",
                            is_service=True, roles=roles, via="service_token")
        if not user.is_active:
            raise AuthenticationRequired("inactive_user")
        return self.identity_for(user, via="service_token", roles=self.roles_of(user) | roles)

    # -- OAuth2 clients ----------------------------------------------------
    def create_client(self, name: str, *, username: str | None = None, roles: Iterable[str] = (),
                      actor: Identity | None = None) -> tuple[str, str, OAuthClient]:
        """Register a client-credentials application bound to a service user.

        Returns ``(client_id, client_secret, record)``; the secret is shown once.
        """
        username = username or name
        with write_transaction():
            user = User.get_or_none(User.username == username)
            if user is None:
                user = self.create_user(username, name=name, is_service=True, roles=roles, actor=actor)
            else:
                for role in roles:
                    self._add_membership(user, role)
            client_id = secrets.token_urlsafe(18)
            secret = new_secret()
            client = OAuthClient.create(client_id=client_id, secret_hash=digest(secret), name=name, user=user.id)
        self.emit(Event("core.client.created", actor or Identity(), {"client_id": client_id, "user_id": user.id}))
        return client_id, secret, client

    def register_client(self, client_id: str, secret: str, *, name: str, username: str,
                        roles: Iterable[str] = ()) -> OAuthClient:
        """Register a client with a given id and secret (demo and fixtures)."""
        with write_transaction():
            user = User.get_or_none(User.username == username) or self.create_user(
                username, name=name, is_service=True, roles=roles)
            for role in roles:
                self._add_membership(user, role)
            defaults = {"secret_hash": digest(secret), "name": name, "user": user.id}
            client, _ = OAuthClient.get_or_create(client_id=client_id, defaults=defaults)
        return client

    def list_clients(self) -> list[OAuthClient]:
        return list(OAuthClient.select(OAuthClient, User).join(User).order_by(OAuthClient.id))

    def issue_client_token(self, client_id: str, secret: str) -> tuple[str, int, dt.datetime] | None:
        """Exchange client credentials for an access token, or None when they are wrong."""
        if "\x00" in client_id:  # never a stored id, and PostgreSQL refuses it in a query
            return None
        client = (OAuthClient.select(OAuthClient, User).join(User)
                  .where((OAuthClient.client_id == client_id) & OAuthClient.revoked.is_null()).first())
        if client is None or not hmac.compare_digest(client.secret_hash, digest(secret)) or not client.user.is_active:
            return None
        key, token = self.create_token(client.user, name=f"oauth:{client.client_id}", ttl_s=self.token_ttl_s,
                                       actor=self.identity_for(client.user, via="client_credentials"))
        return key, self.token_ttl_s, token.created
