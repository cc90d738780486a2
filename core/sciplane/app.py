"""Assembling an app: settings → plugins → registries → Falcon.

All state lives on the :class:`AppContext` of one app; nothing is kept in
module globals except the peewee ``DatabaseProxy`` the models bind to, which
``create_app`` points at this app's database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import falcon
import peewee

from . import config, db, media
from .auth import AccountService, Action, Authenticator, Authorizer, Event, Grants
from .errors import APIError, RenderedError, StartupError, core_translators, default_renderer, from_exception
from .jobs import JobQueue, JobSpec, make_huey
from .middleware import CoreMiddleware, Request, Response
from .parsers import ParserRegistry, ParserSpec
from .plugins import CORE, PluginInfo, call_per_plugin
from .plugins import build as build_plugin_manager
from .routing import EndpointGroup, Router, RouteTable, raw_request_path
from .storage import BlobStores

log = logging.getLogger("sciplane")


@dataclass
class AppContext:
    """Everything one app knows: settings, plugins and the registries built from them."""

    settings: config.Settings
    pm: Any
    plugins: list[PluginInfo]
    plugin_sections: dict[str, config.Settings] = field(default_factory=dict)
    database: peewee.Database | None = None
    replicas: db.ReplicaSet | None = None
    models: list[type[peewee.Model]] = field(default_factory=list)
    models_by_plugin: dict[str, list[type[peewee.Model]]] = field(default_factory=dict)
    migrations: list[db.MigrationSet] = field(default_factory=list)
    routes: RouteTable = field(default_factory=RouteTable)
    parsers: ParserRegistry = field(default_factory=ParserRegistry)
    actions: dict[str, Action] = field(default_factory=dict)
    translators: dict[type, Callable[[Any], APIError]] = field(default_factory=dict)
    accounts: AccountService | None = None
    authenticator: Authenticator | None = None
    authorizer: Authorizer | None = None
    grants: Grants | None = None
    blobs: BlobStores | None = None
    jobs: JobQueue | None = None
    router: Router = field(default_factory=Router)
    app: falcon.App | None = None

    def plugin_settings(self, name: str) -> config.Settings:
        """The validated ``[plugins.<name>]`` section."""
        return self.plugin_sections.get(name, config.Settings({}))

    def plugin(self, name: str) -> PluginInfo | None:
        return next((p for p in self.plugins if p.name == name), None)

    def emit(self, name: str, identity=None, **data: Any) -> None:
        """Publish an audit event to every ``on_event`` implementation."""
        event = Event(name, identity, data) if identity is not None else Event(name, data=data)
        self.pm.hook.on_event(event=event, ctx=self)

    def pending_migrations(self) -> dict[str, list[str]]:
        return db.pending_migrations(self.database, self.migrations)

    def migrate(self, progress=None) -> dict[str, list[str]]:
        return db.migrate(self.database, self.migrations, progress)


class App(falcon.App):
    """Falcon's app, carrying its :class:`AppContext` as ``app.sciplane``."""

    sciplane: AppContext


def _collect(app_ctx: AppContext, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    return call_per_plugin(app_ctx.pm, hook, **kwargs)


def _validate_sections(ctx: AppContext) -> None:
    raw_sections = {k: v for k, v in ctx.settings.plugins.items() if k != "enabled"}
    schemas = dict(_collect(ctx, "config_schema"))
    names = {p.name for p in ctx.plugins}
    for name in names - {CORE}:
        section = raw_sections.get(name)
        ctx.plugin_sections[name] = config.validate_section(
            name, schemas.get(name), section.to_dict() if isinstance(section, config.Settings) else section)
    for name in set(raw_sections) - names:
        log.warning("configuration section [plugins.%s] is ignored: plugin %r is not enabled", name, name)


def _setup_database(ctx: AppContext, serving: bool) -> None:
    settings = ctx.settings.database
    options = dict(pool_size=settings.pool_size, pool_timeout=settings.pool_timeout,
                   stale_timeout=settings.stale_timeout, busy_timeout_ms=settings.busy_timeout_ms,
                   # A request's statement must not outlive the request: gunicorn kills a worker past its timeout,
                   # but not the database's work for it.  Commands and job workers run long statements on purpose.
                   statement_timeout_ms=settings.statement_timeout_ms if serving else 0)
    primary = db.connect(settings.url, **options)
    replicas = [db.connect(url, **options) for url in settings.read_replicas]
    for database in (primary, *replicas):
        ctx.pm.hook.prepare_database(database=database, ctx=ctx)
    db.database.initialize(primary)
    ctx.database = primary
    ctx.replicas = db.ReplicaSet(primary, replicas)
    for name, models in _collect(ctx, "register_models"):
        ctx.models.extend(models)
        ctx.models_by_plugin[name] = list(models)
    for name, directory in _collect(ctx, "register_migrations"):
        ctx.migrations.append(db.MigrationSet(name, directory))
    # The core's tables come first: plugins may refer to users.
    ctx.migrations.sort(key=lambda m: m.plugin != CORE)


def _register_actions(ctx: AppContext) -> None:
    for name, actions in _collect(ctx, "register_actions"):
        for action in actions:
            if not action.name.startswith(name + "."):
                raise StartupError(f"plugin {name!r}: action {action.name!r} must be named '{name}.<verb>'")
            if action.name in ctx.actions:
                raise StartupError(f"action {action.name!r} is registered twice")
            ctx.actions[action.name] = Action(action.name, action.description, name)


def _setup_auth(ctx: AppContext) -> None:
    auth = ctx.settings.auth
    ctx.grants = Grants(auth.grants)
    ctx.accounts = AccountService(lambda event: ctx.pm.hook.on_event(event=event, ctx=ctx),
                                  token_ttl_s=auth.token_ttl_s,
                                  service_tokens=[dict(t) for t in auth.service_tokens])
    ctx.authenticator = Authenticator(ctx.pm.hook, ctx)
    ctx.authorizer = Authorizer(ctx.pm.hook, ctx, ctx.actions)
    for pattern in ctx.grants.unmatched(ctx.actions):
        log.warning("[auth.grants] pattern %r matches no registered action (a typo, or a plugin not enabled?)",
                    pattern)


def _setup_parsers(ctx: AppContext) -> None:
    versions = {p.name: p.version for p in ctx.plugins}
    for name, specs in _collect(ctx, "register_parsers"):
        for spec in specs:
            if not isinstance(spec, ParserSpec):
                raise StartupError(f"plugin {name!r}: register_parsers must return ParserSpec objects")
            ctx.parsers.add(ParserSpec(spec.filetype, spec.dimensionality, spec.granularity, spec.parser,
                                       spec.priority, spec.version or versions.get(name), name))


def _setup_jobs(ctx: AppContext) -> None:
    settings = ctx.settings.jobs
    ctx.jobs = JobQueue(make_huey(settings.url, immediate=settings.immediate), ctx)
    for name, specs in _collect(ctx, "register_jobs"):
        for spec in specs:
            if not isinstance(spec, JobSpec):
                raise StartupError(f"plugin {name!r}: register_jobs must return JobSpec objects")
            ctx.jobs.register(JobSpec(spec.name, spec.func, spec.description, name))


def _setup_routes(ctx: AppContext) -> None:
    for name, groups in _collect(ctx, "register_endpoint_groups", ctx=ctx):
        for group in groups:
            if not isinstance(group, EndpointGroup):
                raise StartupError(f"plugin {name!r}: register_endpoint_groups must return EndpointGroup objects")
            group.plugin = name
            ctx.routes.add(group)
        info = ctx.plugin(name)
        if info is not None:
            info.groups = [g.name for g in groups]


def _error_handler(ctx: AppContext):
    translators = ctx.translators
    routes = ctx.routes

    def handle(req: falcon.Request, resp: falcon.Response, exc: BaseException, params) -> None:
        error = from_exception(exc, translators)
        scope = getattr(req.context, "scope", None) or routes.scope(req.path)
        if (error.status == 404 and scope is not None and scope.append_slash and req.uri_template is None
                and not req.path.endswith("/") and ctx.router.find(req.path + "/") is not None):
            location = raw_request_path(req) + "/" + (f"?{req.query_string}" if req.query_string else "")
            resp.status = falcon.HTTP_301
            resp.set_header("Location", location)
            resp.omit_content_type()
            return
        renderer = scope.error_renderer if scope is not None and scope.error_renderer else default_renderer
        rendered: RenderedError = renderer(error, req)
        resp.status = rendered.status
        for name, value in rendered.headers.items():
            resp.set_header(name, value)
        resp.set_header("Cache-Control", "no-store")
        for validator in ("ETag", "Last-Modified"):  # set for the answer the request did not get
            resp.delete_header(validator)
        if rendered.body is None:
            resp.omit_content_type()
        else:
            resp.data = media.dumps(rendered.body)
            resp.content_type = "application/json"

    return handle


def _build_falcon(ctx: AppContext) -> falcon.App:
    request_type = type("Request", (Request,), {"app_context": ctx})
    middleware: list[Any] = [CoreMiddleware(ctx)]
    origins = list(ctx.settings.http.cors_origins)
    if origins:
        middleware.append(falcon.CORSMiddleware(allow_origins="*" if "*" in origins else origins,
                                                expose_headers=["ETag", "Last-Modified",
                                                                ctx.settings.http.request_id_header]))
    for _, extra in _collect(ctx, "register_middleware", ctx=ctx):
        middleware.extend(extra)
    app = App(middleware=middleware, router=ctx.router, request_type=request_type, response_type=Response,
                     independent_middleware=True)
    # Routing and query parsing are the plugins' business, per mount: keep
    # Falcon's global options neutral ("a,b" stays one string; "/x/" ≠ "/x").
    app.req_options.strip_url_path_trailing_slash = False
    app.req_options.auto_parse_qs_csv = False
    app.req_options.keep_blank_qs_values = True
    media.configure(app)
    handler = _error_handler(ctx)
    app.add_error_handler(Exception, handler)
    app.add_error_handler(falcon.HTTPError, handler)
    ctx.routes.mount_on(app, ctx.router)
    from .endpoints.docs import DOCS_STATIC, static_path
    app.add_static_route(DOCS_STATIC, str(static_path()))
    return app


def create_app(settings: Mapping[str, Any] | None = None, *, plugins: Iterable[str] | None = None,
               extra_plugins: Iterable[Any] = (), environ: Mapping[str, str] | None = None,
               serving: bool = False) -> falcon.App:
    """Build the WSGI app.

    ``settings``: the whole configuration tree (the file and environment are
    then not read); ``plugins``: the enabled entry-point names, overriding
    configuration; ``extra_plugins``: plugin objects (or ``(name, object)``
    pairs) registered directly, for tests and embedding; ``serving``: the
    app serves requests in a server (``[database] statement_timeout_ms``
    applies).
    """
    ctx = build_context(settings, plugins=plugins, extra_plugins=extra_plugins, environ=environ, serving=serving)
    return ctx.app


def build_context(settings: Mapping[str, Any] | None = None, *, plugins: Iterable[str] | None = None,
                  extra_plugins: Iterable[Any] = (), environ: Mapping[str, str] | None = None,
                  serving: bool = False) -> AppContext:
    """Like :func:`create_app`, returning the :class:`AppContext` (CLI, workers, tests)."""
    raw = config.load_raw(settings, environ)
    if plugins is not None:
        raw.setdefault("plugins", {})
        raw["plugins"] = {**raw["plugins"], "enabled": list(plugins)}
    core_settings = config.validate_core(raw)
    pm, infos = build_plugin_manager(core_settings.plugins.enabled, extra_plugins)
    ctx = AppContext(settings=core_settings, pm=pm, plugins=infos)
    _validate_sections(ctx)
    ctx.translators.update(core_translators())
    _setup_database(ctx, serving)
    _register_actions(ctx)
    _setup_auth(ctx)
    for _, handlers in _collect(ctx, "register_error_handlers", ctx=ctx):
        ctx.translators.update(handlers)
    _setup_parsers(ctx)
    kinds: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for name, contributed in _collect(ctx, "register_blob_stores"):
        for kind, factory in contributed.items():
            if kind in owners:
                raise StartupError(f"two blob store kinds named {kind!r}: plugins {owners[kind]!r} and {name!r}")
            kinds[kind], owners[kind] = factory, name
    ctx.blobs = BlobStores.build(kinds, ctx.settings.storage, ctx)
    _setup_jobs(ctx)
    _setup_routes(ctx)
    ctx.app = _build_falcon(ctx)
    ctx.app.sciplane = ctx
    ctx.pm.hook.startup(ctx=ctx)
    # Nothing may stay connected: gunicorn forks after this.
    db.close_connection(ctx.database)
    for database in (ctx.database, *ctx.replicas.replicas):
        database.close_all()
    return ctx
