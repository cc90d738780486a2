"""``sciplane migrate`` and ``sciplane demo``."""

from __future__ import annotations

import click

from .main import pass_app


@click.command()
@click.option("--check", is_flag=True, help="Only report pending migrations; exit 1 when there are any.")
@pass_app
def migrate(ctx, check: bool) -> None:
    """Apply every pending migration (core first, then plugins in order)."""
    pending = ctx.pending_migrations()
    if not pending:
        click.echo("database is up to date")
        return
    for plugin, names in pending.items():
        click.echo(f"{plugin}: {len(names)} pending ({', '.join(names)})")
    if check:
        raise SystemExit(1)
    total = sum(len(v) for v in pending.values())
    with click.progressbar(length=total, label="migrating") as bar:
        ctx.migrate(progress=lambda plugin, name: bar.update(1))
    click.echo(f"applied {total} migration(s)")


def database_is_empty(ctx) -> bool:
    """True when no table of any enabled plugin holds a row (bookkeeping tables aside)."""
    with ctx.database.connection_context():
        return not any(model.table_exists() and model.select().exists() for model in ctx.models
                       if not getattr(model, "bookkeeping", False))


@click.command()
@click.option("--if-empty", is_flag=True, help="Load only when no table holds data yet (used by `make serve`).")
@pass_app
def demo(ctx, if_empty: bool) -> None:
    """Load every enabled plugin's demo data through its real services."""
    pending = ctx.pending_migrations()
    if pending:
        raise click.ClickException("the database is not migrated; run `sciplane migrate` first")
    if if_empty and not database_is_empty(ctx):
        click.echo("database already holds data; demo not loaded")
        return
    with ctx.database.connection_context():
        ctx.pm.hook.load_demo(ctx=ctx, echo=click.echo)
    click.echo("demo data loaded")


COMMANDS = [migrate, demo]
