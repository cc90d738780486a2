"""Builds one pluggy ``PluginManager`` per app.

Order of registration: the core's internal plugin (its default behaviour is
``trylast``), then the enabled entry points of group ``sciplane`` in the
configured order, then any extra plugin objects (tests, embedding).
Plugin-declared hooks are added through the historic ``add_hookspecs``
before ``check_pending`` rejects any hook implementation that matches no
specification (a misspelt hook name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from . import __version__, builtin, hookspecs
from .errors import StartupError

ENTRY_POINT_GROUP = "sciplane"
CORE = "core"
# Bundled with the project; enabled by default when installed.
BUNDLED = ("conditions", "calcat", "dqm", "histograms_csv", "nanodqm", "dataproducts")
_ENABLED_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


@dataclass
class PluginInfo:
    """What the app knows about one registered plugin."""

    name: str
    version: str
    distribution: str
    module: str
    internal: bool = False
    groups: list[str] = field(default_factory=list)


def installed() -> dict[str, EntryPoint]:
    """Entry points of group ``sciplane`` by name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def parse_enabled(item: str) -> tuple[str, SpecifierSet | None]:
    """``"calcat>=0.2"`` → ``("calcat", SpecifierSet(">=0.2"))``."""
    match = _ENABLED_RE.match(item)
    if not match:
        raise StartupError(f"invalid configuration: plugins.enabled: cannot parse {item!r}")
    name, rest = match.groups()
    if not rest:
        return name, None
    try:
        return name, SpecifierSet(rest)
    except InvalidSpecifier:
        raise StartupError(f"invalid configuration: plugins.enabled: bad version specifier in {item!r}") from None


def _plugin_name(obj: Any) -> str:
    return getattr(obj, "plugin_name", None) or getattr(obj, "__name__", None) or type(obj).__name__


def build(enabled: list[str] | None,
          extra_plugins: Iterable[Any] = ()) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    infos = [PluginInfo(CORE, __version__, "sciplane", builtin.__name__, internal=True)]
    pm.register(builtin, name=CORE)

    available = installed()
    if enabled is None:
        requested = [(name, None) for name in BUNDLED if name in available]
    else:
        requested = [parse_enabled(item) for item in enabled]
    seen: set[str] = set()
    for name, spec in requested:
        if name in seen:
            raise StartupError(f"invalid configuration: plugins.enabled: {name!r} is listed twice")
        seen.add(name)
        ep = available.get(name)
        if ep is None:
            known = ", ".join(sorted(available)) or "none"
            raise StartupError(f"plugin {name!r} is enabled but not installed: no entry point {name!r} in group "
                               f"{ENTRY_POINT_GROUP!r} (installed plugins: {known})")
        version = ep.dist.version if ep.dist else "0"
        if spec is not None:
            try:
                ok = Version(version) in spec
            except InvalidVersion:
                ok = False
            if not ok:
                raise StartupError(f"plugin {name!r} version {version} does not satisfy {name}{spec} "
                                   f"(distribution {ep.dist.name if ep.dist else '?'})")
        try:
            module = ep.load()
        except Exception as exc:  # an import error inside the plugin
            raise StartupError(f"plugin {name!r} failed to import: {type(exc).__name__}: {exc}") from exc
        _register(pm, module, name)
        infos.append(PluginInfo(name, version, ep.dist.name if ep.dist else "", ep.value))

    for obj in extra_plugins:
        name, plugin = obj if isinstance(obj, tuple) else (_plugin_name(obj), obj)
        if name in seen or name == CORE:
            raise StartupError(f"extra plugin {name!r} clashes with an enabled plugin of that name")
        seen.add(name)
        _register(pm, plugin, name)
        infos.append(PluginInfo(name, str(getattr(plugin, "__version__", "0")), "", getattr(plugin, "__module__", "")
                                or name))

    pm.hook.add_hookspecs.call_historic(kwargs={"pm": pm})
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"{exc} (a misspelt hook name? every hook is listed in docs/hooks.md)") from None
    return pm, infos


def _register(pm: pluggy.PluginManager, plugin: Any, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"plugin {name!r}: {exc}") from None
    except ValueError as exc:
        raise StartupError(f"plugin {name!r} cannot be registered: {exc}") from None


def call_per_plugin(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call each implementation of a hook separately, keeping the plugin's name.

    For hooks whose results the core attributes to their plugin (config
    sections, migrations, routes, parsers, actions).  Implementations run
    in pluggy's order; None results are dropped.
    """
    caller = getattr(pm.hook, hook_name)
    out = []
    for impl in caller.get_hookimpls():
        args = {name: kwargs[name] for name in impl.argnames if name in kwargs}
        result = impl.function(**args)
        if result is not None:
            out.append((impl.plugin_name, result))
    return out
