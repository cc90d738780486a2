"""Core tables: users, groups, memberships, API tokens, OAuth clients, jobs.

Models are frozen here, independent of the application's, so later model
changes never alter what this migration creates.
"""

import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class User(Model):
        username = CharField(max_length=150, unique=True)
        email = CharField(max_length=254, null=True, unique=True)
        name = CharField(max_length=255, default="")
        first_name = CharField(max_length=150, null=True)
        last_name = CharField(max_length=150, null=True)
        provider = CharField(max_length=32, default="local")
        is_active = BooleanField(default=True)
        is_staff = BooleanField(default=False)
        is_superuser = BooleanField(default=False)
        is_service = BooleanField(default=False)
        date_joined = DateTimeField(default=datetime.datetime.utcnow)
        last_login = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_user"

    class Group(Model):
        name = CharField(max_length=150, unique=True)
        description = TextField(default="")

        class Meta:
            database = db
            table_name = "core_group"

    class Membership(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        group = ForeignKeyField(Group, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "core_membership"
            indexes = ((("user", "group"), True),)

    class ApiToken(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        key_hash = CharField(max_length=64, unique=True)
        prefix = CharField(max_length=8)
        name = CharField(max_length=150, default="")
        created = DateTimeField()
        expires = DateTimeField(null=True)
        revoked = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_api_token"

    class OAuthClient(Model):
        client_id = CharField(max_length=64, unique=True)
        secret_hash = CharField(max_length=64)
        name = CharField(max_length=150, default="")
        user = ForeignKeyField(User, on_delete="CASCADE")
        created = DateTimeField()
        revoked = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_oauth_client"

    class Job(Model):
        id = CharField(max_length=32, primary_key=True)
        name = CharField(max_length=150)
        plugin = CharField(max_length=64, default="")
        status = CharField(max_length=16, index=True)
        params = TextField()
        result = TextField(null=True)
        error = TextField(null=True)
        owner_id = IntegerField(null=True)
        created = DateTimeField()
        started = DateTimeField(null=True)
        finished = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_job"

    db.create_tables([User, Group, Membership, ApiToken, OAuthClient, Job])


def down(migrator, db):
    for table in ("core_job", "core_oauth_client", "core_api_token", "core_membership", "core_group", "core_user"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
