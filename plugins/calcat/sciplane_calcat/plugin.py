"""Hook implementations of the calcat plugin."""

from __future__ import annotations

from pathlib import Path

from sciplane import Action, EndpointGroup, hookimpl
from sciplane.declare import commands_in, demo_in, provides

from . import errors, routes
from .cached import LookupCache
from .middleware import RejectNul
from .models import MODELS
from .resources.base import Context
from .settings import ALL, DISABLED, CalcatSettings

NAME = "calcat"
ACTIONS = [
    Action(routes.READ, "Read the calibration catalogue"),
    Action(routes.WRITE, "Create, change or delete entries of the calibration catalogue"),
]


# Hooks that hand over what this plugin declares (pluggy names a hook by its attribute).
config_schema = provides(CalcatSettings)
register_models = provides(MODELS)
register_migrations = provides(Path(__file__).parent / "migrations")
register_actions = provides(ACTIONS)
register_commands = commands_in(f"{__package__}.commands")
load_demo = demo_in(f"{__package__}.demo")


@hookimpl
def register_endpoint_groups(ctx):
    settings = ctx.plugin_settings(NAME)
    context = Context(settings, ctx.emit, LookupCache(settings.lookup_cache_entries, settings.lookup_cache_bytes))
    # Tolerant paths: the clients add trailing slashes, double slashes and ``.json``.
    return [EndpointGroup(NAME, settings.mount, routes.build(context, ctx.accounts), slashes="tolerant",
                          strip_suffixes=(".json",), error_renderer=errors.render,
                          max_body_bytes=settings.max_body_bytes, auth_schemes=("Bearer",),
                          description="Calibration catalogue (CalCat-compatible)")]


@hookimpl
def register_middleware(ctx):
    return [RejectNul(NAME)]


@hookimpl(trylast=True)
def permission_allowed(identity, action, ctx):
    # The plugin's own rule by ``auth_mode`` and ``write_roles``; other plugins may still veto.
    if action not in (routes.READ, routes.WRITE):
        return None
    settings = ctx.plugin_settings(NAME)
    if settings.auth_mode == DISABLED:
        return True
    if action == routes.READ:
        return settings.auth_mode != ALL or identity.authenticated
    if not identity.authenticated:
        return False
    return not settings.write_roles or bool(set(settings.write_roles) & set(identity.roles))


