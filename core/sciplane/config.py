"""Settings: ``sciplane.toml`` plus ``SCIPLANE_*`` environment overrides.

Precedence, lowest first: built-in defaults, the TOML file
(``$SCIPLANE_CONFIG``, else ``./sciplane.toml`` when present), then the
environment.  Core sections are validated here; each plugin validates its
own ``[plugins.<name>]`` section with the schema it returns from
``config_schema()``.  Any invalid value fails start-up with a message that
names the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from .errors import StartupError

ENV_PREFIX = "SCIPLANE_"
# Named shortcuts; anything else can be set as SCIPLANE__SECTION__KEY=<toml value>.
ENV_KEYS = {
    "SCIPLANE_DATABASE_URL": ("database", "url"),
    "SCIPLANE_JOBS_URL": ("jobs", "url"),
    "SCIPLANE_PLUGINS": ("plugins", "enabled"),
    "SCIPLANE_DATA_DIR": ("data_dir",),
    "SCIPLANE_LOG_LEVEL": ("logging", "level"),
    "SCIPLANE_BIND": ("server", "bind"),
    "SCIPLANE_WORKERS": ("server", "workers"),
    "SCIPLANE_JWT_SECRET": ("auth", "jwt_secret"),
}


class Settings(Mapping):
    """Read-only nested mapping with attribute access: ``settings.database.url``."""

    def __init__(self, data: Mapping[str, Any]):
        self._data = {k: Settings(v) if isinstance(v, Mapping) else v for k, v in data.items()}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Settings({self.to_dict()!r})"

    def to_dict(self) -> dict[str, Any]:
        return {k: v.to_dict() if isinstance(v, Settings) else v for k, v in self._data.items()}


class _Section(Schema):
    class Meta:
        unknown = RAISE


class ServerSchema(_Section):
    bind = fields.String(load_default="127.0.0.1:8000", validate=validate.Regexp(r"^[^:\s]*:\d{1,5}$|^unix:"))
    workers = fields.Integer(load_default=2, validate=validate.Range(min=1, max=256))
    threads = fields.Integer(load_default=1, validate=validate.Range(min=1, max=256))
    worker_class = fields.String(load_default="sync", validate=validate.OneOf(["sync", "gthread"]))
    timeout = fields.Integer(load_default=60, validate=validate.Range(min=1))
    keepalive = fields.Integer(load_default=5, validate=validate.Range(min=0))
    consumer = fields.Boolean(load_default=True)


class DatabaseSchema(_Section):
    url = fields.String(load_default=None, allow_none=True)
    pool_size = fields.Integer(load_default=8, validate=validate.Range(min=1))
    pool_timeout = fields.Integer(load_default=10, validate=validate.Range(min=0))
    stale_timeout = fields.Integer(load_default=300, validate=validate.Range(min=0))
    busy_timeout_ms = fields.Integer(load_default=10000, validate=validate.Range(min=0))
    statement_timeout_ms = fields.Integer(load_default=60000, validate=validate.Range(min=0))
    read_replicas = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _urls(self, data: dict, **kwargs: Any) -> None:
        for key, urls in (("url", [data.get("url")]), ("read_replicas", data.get("read_replicas", []))):
            for url in urls:
                if url is not None and not url.startswith(("sqlite:", "postgres://", "postgresql://")):
                    raise ValidationError("must be a sqlite:/// or postgresql:// URL", key)


class JobsSchema(_Section):
    url = fields.String(load_default=None, allow_none=True)
    immediate = fields.Boolean(load_default=False)
    workers = fields.Integer(load_default=1, validate=validate.Range(min=1, max=64))

    @validates_schema
    def _url(self, data: dict, **kwargs: Any) -> None:
        url = data.get("url")
        if url is not None and not url.startswith(("sqlite:", "redis://", "rediss://", "memory:")):
            raise ValidationError("must be a sqlite:///, redis:// or memory: URL", "url")


class StoreSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(load_default="local")


class StorageSchema(_Section):
    default = fields.String(load_default="files")
    stores = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_-]*$")),
                         values=fields.Dict(), load_default=dict)


class HTTPSchema(_Section):
    max_body_bytes = fields.Integer(load_default=10 * 1024 * 1024, validate=validate.Range(min=0))
    trust_proxy_headers = fields.Boolean(load_default=False)
    cors_origins = fields.List(fields.String(), load_default=list)
    request_id_header = fields.String(load_default="X-Request-Id")


class GrantsSchema(_Section):
    anonymous = fields.List(fields.String(), load_default=list)
    authenticated = fields.List(fields.String(), load_default=list)
    staff = fields.List(fields.String(), load_default=lambda: ["*"])
    roles = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), load_default=dict)


class ServiceTokenSchema(_Section):
    token = fields.String(required=True, validate=validate.Length(min=8))
    username = fields.String(required=True)
    roles = fields.List(fields.String(), load_default=list)


class AuthSchema(_Section):
    jwt_secret = fields.String(load_default="")
    token_ttl_s = fields.Integer(load_default=7200, validate=validate.Range(min=60))
    service_tokens = fields.List(fields.Nested(ServiceTokenSchema), load_default=list)
    grants = fields.Nested(GrantsSchema, load_default=lambda: GrantsSchema().load({}))


class LoggingSchema(_Section):
    level = fields.String(load_default="INFO",
                          validate=validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]))
    access_log = fields.Boolean(load_default=True)

    @pre_load
    def _upper(self, data: dict, **kwargs: Any) -> dict:
        if isinstance(data.get("level"), str):
            data = {**data, "level": data["level"].upper()}
        return data


class PluginsSchema(Schema):
    """``enabled`` plus one free-form section per plugin (validated by the plugin)."""

    class Meta:
        unknown = EXCLUDE

    enabled = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None, allow_none=True)


class CoreSchema(_Section):
    data_dir = fields.String(load_default="var")
    server = fields.Nested(ServerSchema)
    database = fields.Nested(DatabaseSchema)
    jobs = fields.Nested(JobsSchema)
    storage = fields.Nested(StorageSchema)
    http = fields.Nested(HTTPSchema)
    auth = fields.Nested(AuthSchema)
    logging = fields.Nested(LoggingSchema)
    plugins = fields.Raw(load_default=dict)


def flatten_errors(messages: Any, prefix: str = "") -> list[str]:
    """``{"a": {"b": ["bad"]}}`` → ``["a.b: bad"]``."""
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix and key != "_schema" else (prefix or str(key))
            out.extend(flatten_errors(value, path))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}"]
    if isinstance(messages, list):
        return [line for m in messages for line in flatten_errors(m, prefix)]
    return [f"{prefix}: {messages}"]


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set(tree: dict, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        node = tree.setdefault(key, {})
        if not isinstance(node, dict):
            raise StartupError(f"invalid configuration: {'.'.join(path)}: {key} is not a table")
        tree = node
    tree[path[-1]] = value


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings tree contributed by ``SCIPLANE_*`` variables."""
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "SCIPLANE_CONFIG" or name.startswith("SCIPLANE_TEST_"):
            continue
        if name in ENV_KEYS:
            path = ENV_KEYS[name]
            if path == ("plugins", "enabled"):
                value: Any = [p.strip() for p in raw.split(",") if p.strip()]
            elif path == ("server", "workers"):
                value = _parse_env_value(raw)
            else:
                value = raw
            _set(tree, path, value)
        elif name.startswith("SCIPLANE__"):
            path = tuple(part.lower() for part in name[len("SCIPLANE__"):].split("__") if part)
            if path:
                _set(tree, path, _parse_env_value(raw))
    return tree


def merge(base: dict, over: Mapping) -> dict:
    """Deep-merge ``over`` into a copy of ``base``."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def read_file(path: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The raw TOML tree of the configuration file, or ``{}`` without one."""
    environ = os.environ if environ is None else environ
    explicit = path or environ.get("SCIPLANE_CONFIG")
    candidate = Path(explicit) if explicit else Path("sciplane.toml")
    if not candidate.exists():
        if explicit:
            raise StartupError(f"configuration file not found: {candidate}")
        return {}
    try:
        with candidate.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise StartupError(f"invalid configuration file {candidate}: {exc}") from None


def load_raw(settings: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The raw tree before validation.

    With ``settings`` given (tests, embedding) the file and the environment
    are not read: the caller's tree is the whole configuration.
    """
    if settings is not None:
        return merge({}, settings)
    environ = os.environ if environ is None else environ
    return merge(read_file(environ=environ), env_overrides(environ))


def validate_core(raw: Mapping[str, Any]) -> Settings:
    """Validate every core section; plugin sections are checked later by their plugins."""
    tree = dict(raw)
    for section in ("server", "database", "jobs", "storage", "http", "auth", "logging"):
        tree.setdefault(section, {})
    try:
        data = CoreSchema().load(tree)
    except ValidationError as exc:
        raise StartupError("invalid configuration: " + "; ".join(flatten_errors(exc.messages))) from None
    plugins = data["plugins"]
    if not isinstance(plugins, Mapping):
        raise StartupError("invalid configuration: plugins: must be a table")
    try:
        enabled = PluginsSchema().load({"enabled": plugins.get("enabled")})["enabled"]
    except ValidationError as exc:
        raise StartupError("invalid configuration: " + "; ".join(flatten_errors(exc.messages, "plugins"))) from None
    data_dir = data["data_dir"]
    data["database"]["url"] = data["database"]["url"] or f"sqlite:///{data_dir}/sciplane.db"
    data["jobs"]["url"] = data["jobs"]["url"] or f"sqlite:///{data_dir}/jobs.db"
    stores = data["storage"]["stores"]
    stores.setdefault("files", {"kind": "local"})
    for name, options in stores.items():
        try:
            StoreSchema().load(options)
        except ValidationError as exc:
            raise StartupError("invalid configuration: "
                               + "; ".join(flatten_errors(exc.messages, f"storage.stores.{name}"))) from None
    if data["storage"]["default"] not in stores:
        raise StartupError(f"invalid configuration: storage.default: no store named {data['storage']['default']!r}")
    data["plugins"] = {"enabled": enabled, **{k: v for k, v in plugins.items() if k != "enabled"}}
    return Settings(data)


def validate_section(name: str, schema: Schema | type[Schema] | None, raw: Any) -> Settings:
    """Validate ``[plugins.<name>]`` with the plugin's schema."""
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise StartupError(f"invalid configuration: plugins.{name}: must be a table")
    if schema is None:
        if raw:
            raise StartupError(f"invalid configuration: plugins.{name}: plugin {name!r} takes no settings")
        return Settings({})
    instance = schema() if isinstance(schema, type) else schema
    try:
        data = instance.load(dict(raw))
    except ValidationError as exc:
        raise StartupError(f"invalid configuration for plugin {name!r}: "
                           + "; ".join(flatten_errors(exc.messages, f"plugins.{name}"))) from None
    return Settings(data)
