"""``sciplane plugins``, ``sciplane parsers`` and ``sciplane openapi``."""

from __future__ import annotations

import click

from ..media import dumps
from .main import pass_app


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Also list installed plugins that are not enabled.")
@pass_app
def plugins(ctx, show_all: bool) -> None:
    """Enabled plugins with their versions, mounts and actions."""
    from ..endpoints.index import describe
    from ..plugins import installed
    info = describe(ctx)
    for plugin in info["plugins"]:
        mounts = ", ".join(plugin["mounts"]) or "-"
        click.echo(f"{plugin['name']:<20} {plugin['version']:<10} mounts: {mounts}")
    if show_all:
        enabled = {p["name"] for p in info["plugins"]}
        for name, ep in sorted(installed().items()):
            if name not in enabled:
                click.echo(f"{name:<20} {ep.dist.version if ep.dist else '?':<10} (installed, not enabled)")


@click.command()
@pass_app
def parsers(ctx) -> None:
    """Registered file parsers by (filetype, dimensionality, granularity)."""
    if not len(ctx.parsers):
        click.echo("no parsers registered")
    for spec in ctx.parsers:
        click.echo(f"{spec.filetype:<12} {spec.dimensionality}D {spec.granularity:<4} {spec.plugin} "
                   f"{spec.version or ''} (priority {spec.priority})")


@click.command()
@click.option("--output", "-o", type=click.File("wb"), default="-", help="Write to a file instead of stdout.")
@pass_app
def openapi(ctx, output) -> None:
    """Print the OpenAPI 3.1 document."""
    from ..openapi import build
    output.write(dumps(build(ctx)))
    output.write(b"\n")


COMMANDS = [plugins, parsers, openapi]
