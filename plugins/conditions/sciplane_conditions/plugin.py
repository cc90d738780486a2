"""Hook implementations of the conditions plugin."""

from __future__ import annotations

from pathlib import Path

from sciplane import Action, EndpointGroup, StartupError, hookimpl
from sciplane.cache import ResponseCache
from sciplane.db import ReplicaSet, connect
from sciplane.declare import commands_in, demo_in, provides

from . import errors, routes
from .models import MODELS
from .resources.base import Context
from .services import for_app
from .services.catalog import ensure_statuses
from .settings import ConditionsSettings

NAME = "conditions"
ACTIONS = [
    Action("conditions.gt.create", "Create or clone a global tag"),
    Action("conditions.gt.delete", "Delete a global tag"),
    Action("conditions.gt.change_status", "Change a global tag's status"),
    Action("conditions.pl.attach", "Attach a payload list to a global tag (target, and source when moving)"),
    Action("conditions.piov.create", "Create payload IOVs"),
    Action("conditions.piov.attach", "Attach payload IOVs to a list"),
    Action("conditions.piov.delete", "Delete payload IOVs"),
    Action("conditions.catalog.write", "Create statuses, payload types and lists; delete types and lists"),
]


# Hooks that hand over what this plugin declares (pluggy names a hook by its attribute).
config_schema = provides(ConditionsSettings)
register_models = provides(MODELS)
register_migrations = provides(Path(__file__).parent / "migrations")
register_actions = provides(ACTIONS)
register_commands = commands_in(f"{__package__}.commands")
load_demo = demo_in(f"{__package__}.demo")


@hookimpl
def register_endpoint_groups(ctx):
    settings = ctx.plugin_settings(NAME)
    services = for_app(ctx, settings)
    cache = ResponseCache(settings.response_cache_entries, settings.response_cache_bytes)
    context = Context(ctx, settings, services.catalog, services.iovs, cache, read_replicas(ctx, settings))
    return [EndpointGroup("conditions", settings.mount, routes.build(context), append_slash=True,
                          error_renderer=errors.render, max_body_bytes=settings.max_body_bytes,
                          auth_schemes=("Bearer",),
                          description="Conditions database (Nopayloaddb-compatible)")]


def read_replicas(ctx, settings) -> ReplicaSet:
    """The plugin's ``read_replica_urls``, else the core's ``[database] read_replicas``."""
    if not settings.read_replica_urls:
        return ctx.replicas
    options = ctx.settings.database
    replicas = [connect(url, pool_size=options.pool_size, pool_timeout=options.pool_timeout,
                        stale_timeout=options.stale_timeout) for url in settings.read_replica_urls]
    for replica in replicas:
        ctx.pm.hook.prepare_database(database=replica, ctx=ctx)
    return ReplicaSet(ctx.database, replicas)


@hookimpl(trylast=True)
def permission_allowed(identity, action, ctx):
    # The plugin's own rule: anyone may write when writes are anonymous,
    # any identified caller otherwise.  Another plugin may still veto.
    if action.startswith(NAME + "."):
        settings = ctx.plugin_settings(NAME)
        if not settings.write_auth or identity.authenticated:
            return True
    return None


@hookimpl
def startup(ctx):
    if ctx.app.req_options.strip_url_path_trailing_slash:
        raise StartupError("the conditions plugin needs strip_url_path_trailing_slash = False")
    if ctx.plugin_settings(NAME).seed_statuses and NAME not in ctx.pending_migrations():
        with ctx.database.connection_context():
            ensure_statuses()
