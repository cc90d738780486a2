"""Hook implementations of the calcat plugin."""

from __future__ import annotations

from pathlib import Path

from sciplane import Action, EndpointGroup, hookimpl

from . import errors, routes
from .middleware import RejectNul
from .models import MODELS
from .resources.base import Context
from .settings import ALL, DISABLED, CalcatSettings

NAME = "calcat"
ACTIONS = [
    Action(routes.READ, "Read the calibration catalogue"),
    Action(routes.WRITE, "Create, change or delete entries of the calibration catalogue"),
]


@hookimpl
def config_schema():
    return CalcatSettings


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def register_actions():
    return ACTIONS


@hookimpl
def register_endpoint_groups(ctx):
    settings = ctx.plugin_settings(NAME)
    context = Context(settings, ctx.emit)
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


@hookimpl
def load_demo(ctx, echo):
    from . import demo
    demo.load(ctx, echo)


@hookimpl
def register_commands():
    from .commands import COMMANDS
    return COMMANDS
