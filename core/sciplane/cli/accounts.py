"""``sciplane users | groups | tokens | clients``: account administration."""

from __future__ import annotations

import functools

import click

from ..errors import APIError
from .main import pass_app


def with_db(func):
    """Run the command inside a database connection; show API errors as CLI errors."""

    @pass_app
    @functools.wraps(func)
    def wrapper(ctx, *args, **kwargs):
        if ctx.pending_migrations():
            raise click.ClickException("the database is not migrated; run `sciplane migrate` first")
        try:
            with ctx.database.connection_context():
                return func(ctx, *args, **kwargs)
        except APIError as exc:
            detail = f" {exc.errors}" if exc.errors else ""
            raise click.ClickException(f"{exc.description or exc.code}{detail}") from None

    return wrapper


def _user(ctx, who: str):
    user = ctx.accounts.find_user(who)
    if user is None:
        raise click.ClickException(f"no user {who!r}")
    return user


@click.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("username")
@click.option("--email")
@click.option("--name", default="")
@click.option("--staff", is_flag=True, help="Staff users may see and manage everything their plugins allow staff.")
@click.option("--superuser", is_flag=True, help="Superusers pass every permission check no plugin vetoes.")
@click.option("--service", is_flag=True, help="A service account (pipelines, OAuth clients).")
@click.option("--role", "roles", multiple=True, help="Group (role) to join; repeatable.")
@with_db
def users_add(ctx, username, email, name, staff, superuser, service, roles) -> None:
    """Create a user."""
    user = ctx.accounts.create_user(username, email=email, name=name, is_staff=staff, is_superuser=superuser,
                                    is_service=service, roles=roles)
    click.echo(f"created user {user.username} (id {user.id})")


@users.command("list")
@with_db
def users_list(ctx) -> None:
    """List users."""
    for user in ctx.accounts.list_users():
        flags = [f for f, on in (("staff", user.is_staff), ("superuser", user.is_superuser),
                                 ("service", user.is_service), ("inactive", not user.is_active)) if on]
        roles = ",".join(sorted(ctx.accounts.roles_of(user)))
        click.echo(f"{user.id:>5} {user.username:<30} {user.email or '-':<30} {' '.join(flags) or '-'} {roles}")


@users.command("deactivate")
@click.argument("username")
@with_db
def users_deactivate(ctx, username) -> None:
    """Deactivate a user: every credential of theirs stops working."""
    ctx.accounts.set_active(_user(ctx, username), False)
    click.echo(f"deactivated {username}")


@click.group()
def groups() -> None:
    """Manage groups (roles)."""


@groups.command("create")
@click.argument("name")
@click.option("--description", default="")
@with_db
def groups_create(ctx, name, description) -> None:
    """Create a group."""
    ctx.accounts.create_group(name, description)
    click.echo(f"created group {name}")


@groups.command("list")
@with_db
def groups_list(ctx) -> None:
    """List groups and their members."""
    for group, members in ctx.accounts.list_groups():
        click.echo(f"{group.name:<30} {', '.join(members) or '-'}")


@groups.command("add-member")
@click.argument("group")
@click.argument("username")
@with_db
def groups_add_member(ctx, group, username) -> None:
    """Add a user to a group (created when missing)."""
    ctx.accounts.add_member(_user(ctx, username), group)
    click.echo(f"{username} is now in {group}")


@groups.command("remove-member")
@click.argument("group")
@click.argument("username")
@with_db
def groups_remove_member(ctx, group, username) -> None:
    """Remove a user from a group."""
    removed = ctx.accounts.remove_member(_user(ctx, username), group)
    click.echo(f"{username} removed from {group}" if removed else f"{username} was not in {group}")


@click.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="", help="A label for the token.")
@click.option("--expires-in", type=click.IntRange(60), help="Lifetime in seconds (default: no expiry).")
@with_db
def tokens_create(ctx, username, name, expires_in) -> None:
    """Issue an API token; it is printed once and stored only hashed."""
    key, token = ctx.accounts.create_token(_user(ctx, username), name=name, ttl_s=expires_in)
    click.echo(key)
    click.echo(f"token {token.id} (prefix {token.prefix}) for {username}; it is not shown again", err=True)


@tokens.command("revoke")
@click.argument("token")
@with_db
def tokens_revoke(ctx, token) -> None:
    """Revoke a token by id or prefix."""
    count = ctx.accounts.revoke_token(token)
    if not count:
        raise click.ClickException(f"no active token {token!r}")
    click.echo(f"revoked {count} token(s)")


@tokens.command("list")
@with_db
def tokens_list(ctx) -> None:
    """List tokens (prefixes only)."""
    for token in ctx.accounts.list_tokens():
        state = "revoked" if token.revoked else ("expires " + token.expires.isoformat() if token.expires else "active")
        click.echo(f"{token.id:>5} {token.prefix}… {token.user.username:<30} {token.name or '-':<20} {state}")


@click.group()
def clients() -> None:
    """Manage OAuth2 client-credentials applications."""


@clients.command("create")
@click.argument("name")
@click.option("--user", "username", help="Service user the client acts as (default: NAME, created when missing).")
@click.option("--role", "roles", multiple=True, help="Role for the service user; repeatable.")
@with_db
def clients_create(ctx, name, username, roles) -> None:
    """Register a client; prints the client id and secret (shown once)."""
    client_id, secret, _ = ctx.accounts.create_client(name, username=username, roles=roles)
    click.echo(f"client_id: {client_id}")
    click.echo(f"client_secret: {secret}")


@clients.command("list")
@with_db
def clients_list(ctx) -> None:
    """List registered clients."""
    for client in ctx.accounts.list_clients():
        click.echo(f"{client.client_id:<26} {client.name:<20} user {client.user.username}"
                   + (" (revoked)" if client.revoked else ""))


COMMANDS = [users, groups, tokens, clients]
