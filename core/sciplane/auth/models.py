"""Core account tables: users, groups (roles), memberships, API tokens, OAuth clients."""

from __future__ import annotations

import peewee

from ..db import BaseModel, utcnow


class User(BaseModel):
    username = peewee.CharField(max_length=150, unique=True)
    email = peewee.CharField(max_length=254, null=True, unique=True)
    name = peewee.CharField(max_length=255, default="")
    first_name = peewee.CharField(max_length=150, null=True)
    last_name = peewee.CharField(max_length=150, null=True)
    provider = peewee.CharField(max_length=32, default="local")
    is_active = peewee.BooleanField(default=True)
    is_staff = peewee.BooleanField(default=False)
    is_superuser = peewee.BooleanField(default=False)
    is_service = peewee.BooleanField(default=False)
    date_joined = peewee.DateTimeField(default=utcnow)
    last_login = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "core_user"


class Group(BaseModel):
    name = peewee.CharField(max_length=150, unique=True)
    description = peewee.TextField(default="")

    class Meta:
        table_name = "core_group"


class Membership(BaseModel):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="memberships")
    group = peewee.ForeignKeyField(Group, on_delete="CASCADE", backref="memberships")

    class Meta:
        table_name = "core_membership"
        indexes = ((("user", "group"), True),)


class ApiToken(BaseModel):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="tokens")
    key_hash = peewee.CharField(max_length=64, unique=True)
    prefix = peewee.CharField(max_length=8)
    name = peewee.CharField(max_length=150, default="")
    created = peewee.DateTimeField(default=utcnow)
    expires = peewee.DateTimeField(null=True)
    revoked = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "core_api_token"


class OAuthClient(BaseModel):
    client_id = peewee.CharField(max_length=64, unique=True)
    secret_hash = peewee.CharField(max_length=64)
    name = peewee.CharField(max_length=150, default="")
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="oauth_clients")
    created = peewee.DateTimeField(default=utcnow)
    revoked = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "core_oauth_client"


MODELS = [User, Group, Membership, ApiToken, OAuthClient]
