"""The root command group, the app loader and plugin command discovery."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import APIError, StartupError


class AppLoader:
    """Builds the app context once per CLI invocation, on first use."""

    def __init__(self):
        self._ctx = None

    def get(self):
        if self._ctx is None:
            from ..app import build_context
            self._ctx = build_context()
        return self._ctx

    def reset(self) -> None:
        self._ctx = None


loader = AppLoader()


def pass_app(func):
    """Decorator for commands (core or plugin) that need the :class:`~sciplane.AppContext`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            ctx = loader.get()
        except StartupError as exc:
            raise click.ClickException(str(exc)) from None
        return func(ctx, *args, **kwargs)

    return wrapper


def run_in_database(ctx, func: Callable[[], Any], *, catch: type[APIError] = APIError,
                    describe: Callable[[Any], str] | None = None) -> Any:
    """Call ``func`` in a database connection, as a plugin's commands do with its services: an error of
    ``catch`` becomes a CLI error showing ``describe(error)`` (by default the API's JSON body)."""
    try:
        with ctx.database.connection_context():
            return func()
    except catch as exc:
        text = describe(exc) if describe else json.dumps(exc.to_dict(), default=str)
        raise click.ClickException(text) from None


class SciplaneGroup(click.Group):
    """Adds the enabled plugins' commands, so ``--help`` lists them.

    They are looked up from the current configuration on every call (it
    costs a plugin-manager build, no database), so enabling a plugin by
    configuration is all it takes.
    """

    def _load_plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        found: dict[str, click.Command] = {}
        try:
            import os

            from .. import config
            from ..plugins import build, call_per_plugin
            # Commands are resolved before the group's callback runs: honour
            # --config here too.
            path = ctx.params.get("config_path")
            environ = {**os.environ, "SCIPLANE_CONFIG": path} if path else None
            settings = config.validate_core(config.load_raw(environ=environ))
            pm, _ = build(settings.plugins.enabled)
            for plugin, commands in call_per_plugin(pm, "register_commands"):
                for command in commands:
                    if command.name in found or command.name in self.commands:
                        raise StartupError(f"plugin {plugin!r}: command {command.name!r} already exists")
                    found[command.name] = command
        except StartupError as exc:
            click.echo(f"warning: plugin commands unavailable: {exc}", err=True)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._load_plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._load_plugin_commands(ctx).get(name)


@click.group(cls=SciplaneGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="SCIPLANE_CONFIG",
              help="Configuration file (default: ./sciplane.toml; env SCIPLANE_CONFIG).")
@click.version_option(package_name="sciplane")
def cli(config_path: str | None) -> None:
    """sciplane: metadata services for physics and astronomy facilities."""
    import os
    loader.reset()
    if config_path:
        os.environ["SCIPLANE_CONFIG"] = config_path


def _register_core_commands() -> None:
    from . import accounts, data, inspect, server
    for module in (server, data, inspect, accounts):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_core_commands()


def main() -> None:
    try:
        cli(standalone_mode=True)
    except StartupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
