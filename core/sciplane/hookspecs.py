"""Every hook a sciplane plugin can implement.

Hooks return data; the core owns the registries built from it and fails at
start-up on conflicts.  Arguments are passed by keyword, so an
implementation may accept any subset of a hook's arguments (most take
``ctx``, the :class:`~sciplane.app.AppContext`, only when they need it).
``docs/hooks.md`` documents each hook; a meta-test keeps the two in step.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("sciplane")
hookimpl = pluggy.HookimplMarker("sciplane")


@hookspec(historic=True)
def add_hookspecs(pm):
    """Declare a plugin's own hooks: call ``pm.add_hookspecs(module)``.

    Historic, so plugins registered later still see it.  Plugin hooks are
    prefixed with the plugin's short prefix (``cond_``, ``calcat_``, ``dqm_``,
    ``dp_``).
    """


@hookspec
def config_schema():
    """Return the marshmallow schema (class or instance) of ``[plugins.<name>]``.

    The section is validated at start-up; the result is available as
    ``ctx.plugin_settings(name)``.  Return None for a plugin without settings.
    """


@hookspec
def register_models():
    """Return the peewee model classes the plugin owns (tables ``<plugin>_<thing>``)."""


@hookspec
def register_migrations():
    """Return the directory of the plugin's numbered migration scripts.

    Each script defines ``up(migrator, db)`` (and optionally ``down``); the
    history is kept in the table ``migrations_<plugin>``.
    """


@hookspec
def prepare_database(database, ctx):
    """Prepare the database object once, before any connection is used.

    For SQLite user functions (``database.register_function``), pragmas,
    or capability checks.  Called for the primary and every read replica.
    """


@hookspec
def register_endpoint_groups(ctx):
    """Return :class:`~sciplane.EndpointGroup` objects; the core mounts them."""


@hookspec
def register_middleware(ctx):
    """Return Falcon middleware objects, run after the core's own."""


@hookspec
def register_error_handlers(ctx):
    """Return ``{ExceptionClass: function(exc) -> APIError}``.

    Lets a plugin's services raise domain exceptions (no Falcon import)
    that the core turns into API errors, rendered by the mount's renderer.
    """


@hookspec
def register_parsers():
    """Return :class:`~sciplane.ParserSpec` objects keyed by (filetype, dimensionality, granularity)."""


@hookspec
def register_actions():
    """Return :class:`~sciplane.Action` objects: the permission actions the plugin checks.

    Names are ``<plugin>.<verb>`` (dots allowed in the verb).  Checking an
    unregistered action is a programming error.
    """


@hookspec(firstresult=True)
def authenticate(credentials, req, ctx):
    """Turn presented credentials into an :class:`~sciplane.Identity`.

    ``credentials`` is a :class:`~sciplane.Credentials` (scheme and value)
    parsed from the ``Authorization`` header.  Return None when the
    credential is not yours; raise ``AuthenticationRequired(reason)`` when it
    is yours but invalid.  The core's implementation (API tokens, service
    tokens, HS256 JWTs) runs last.
    """


@hookspec
def permission_allowed(identity, action, resource, ctx):
    """Decide whether ``identity`` may perform ``action`` on ``resource``.

    Return True to allow, False to veto, None for no opinion.  Any False
    denies; otherwise any True allows; with no True the answer is no.
    """


@hookspec
def visibility_filter(identity, model, action, ctx):
    """Return a peewee expression selecting rows of ``model`` that ``identity``
    may see for ``action``, or None.  Expressions from all plugins are OR-ed,
    so list endpoints filter in SQL."""


@hookspec
def register_blob_stores():
    """Return ``{kind: factory}``; ``factory(name, options, ctx)`` builds a
    :class:`~sciplane.BlobStore` for each ``[storage.stores.<name>]`` of that kind."""


@hookspec
def register_jobs():
    """Return :class:`~sciplane.JobSpec` objects: named background jobs run by the worker."""


@hookspec
def worker_started(ctx):
    """Run once in a job consumer process before it takes jobs (start background loops as daemon threads)."""


@hookspec
def register_commands():
    """Return click commands or groups added to the ``sciplane`` CLI."""


@hookspec
def load_demo(ctx, echo):
    """Load the plugin's demo data through its real services.

    Called by ``sciplane demo`` in plugin order; ``echo(message)`` reports progress.
    """


@hookspec
def startup(ctx):
    """Run once when the app is assembled; raise ``StartupError`` to refuse to start."""


@hookspec
def openapi_extend(spec, ctx):
    """Add to the OpenAPI document (an ``apispec.APISpec``) after routes are described."""


@hookspec
def on_event(event, ctx):
    """Observe an audit :class:`~sciplane.Event` (user created, token issued, plugin writes)."""
