"""Declarative routes, endpoint groups, mounts and the route table.

A plugin returns :class:`EndpointGroup` objects from
``register_endpoint_groups``; the core validates them, detects conflicts and
mounts them.  Each group owns a *scope*, its mount prefix, inside which its
routing style (strict or tolerant), body limit, accepted auth schemes and
error renderer apply, including to paths that match no route.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import falcon
from falcon.routing import CompiledRouter

from .errors import ErrorRenderer, MethodNotAllowed, StartupError

METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
STRICT, TOLERANT = "strict", "tolerant"
_MOUNT_RE = re.compile(r"^(/[A-Za-z0-9._~\-]+)*$")
_FIELD_RE = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Route:
    """One URI template below a mount, served by one Falcon resource.

    ``public``: methods answered without evaluating credentials at all (an
    invalid token on them is not an error).  ``True`` means every method.
    ``require_identity``: methods that need an identified caller (401 with
    reason ``missing`` otherwise) without any particular permission.
    ``constraints``: regular expressions a field's raw value must match
    entirely; otherwise the path is unknown (404), as if no route matched.
    Useful where Falcon needs one field name at a position shared with
    sibling routes (``/things/{key}`` for ids beside ``/things/{key}/delete``).
    ``actions``: permission action checked by the core before the responder,
    per method; an anonymous caller who is denied gets 401, an identified
    one 403.  ``openapi``: operation objects per lower-case method, merged
    over what the core derives.  ``alias_of``: the canonical path this route
    duplicates (documentation only).  ``max_body_bytes``: this route's body
    limit, overriding its group's (an upload route beside JSON routes).
    ``head``: whether the GET responder answers HEAD, overriding its group's
    (a download route in a dialect that otherwise refuses HEAD).
    """

    path: str
    resource: Any
    name: str | None = None
    public: bool | frozenset[str] = False
    require_identity: bool | frozenset[str] = False
    constraints: Mapping[str, str] = field(default_factory=dict)
    actions: Mapping[str, str] = field(default_factory=dict)
    suffix: str | None = None
    tags: tuple[str, ...] = ()
    openapi: Mapping[str, dict] = field(default_factory=dict)
    alias_of: str | None = None
    max_body_bytes: int | None = None
    head: bool | None = None

    def is_public(self, method: str) -> bool:
        return _applies(self.public, method)

    def needs_identity(self, method: str) -> bool:
        return _applies(self.require_identity, method)


def _applies(methods: bool | frozenset[str], method: str) -> bool:
    """Whether a per-method route option covers ``method`` (HEAD follows GET)."""
    if methods is True or methods is False:
        return methods
    return method in methods or (method == "HEAD" and "GET" in methods)


@dataclass
class EndpointGroup:
    """Routes sharing a mount and its HTTP conventions.

    ``slashes``: ``"strict"`` routes paths exactly as declared;
    ``"tolerant"`` collapses runs of ``/`` and ignores one trailing ``/``
    (and any of ``strip_suffixes`` on the last segment) before routing.
    ``append_slash`` (strict only): a path that matches nothing but would
    match with a trailing ``/`` is redirected there with 301, query kept.
    ``head``: whether GET responders answer HEAD (the HTTP default); a
    dialect whose reference refuses HEAD outside some routes sets it off and
    turns it on for those routes.
    """

    name: str
    mount: str
    routes: list[Route]
    slashes: str = STRICT
    append_slash: bool = False
    strip_suffixes: tuple[str, ...] = ()
    error_renderer: ErrorRenderer | None = None
    max_body_bytes: int | None = None
    auth_schemes: tuple[str, ...] = ("Bearer", "Token")
    description: str = ""
    plugin: str = ""
    head: bool = True

    def scope_prefixes(self) -> list[str]:
        """Path prefixes this group's conventions govern.

        The mount; for a group mounted at the root, the static part of each
        route (up to its first field), so its conventions still apply there.
        """
        if self.mount:
            return [self.mount]
        prefixes = set()
        for route in self.routes:
            static = route.path.split("{", 1)[0]
            if "{" in route.path:
                static = static.rsplit("/", 1)[0]
            prefixes.add(static.rstrip("/") or "/")
        return sorted(prefixes)

    def serves_head(self, route: Route) -> bool:
        """Whether ``route``'s GET responder answers HEAD."""
        return self.head if route.head is None else route.head

    def template(self, route: Route) -> str:
        path = self.mount + route.path
        if self.slashes == TOLERANT and len(path) > 1:
            path = path.rstrip("/")
        return path or "/"


class DigitsConverter(falcon.routing.BaseConverter):
    """``{name:uint}`` matches ``[0-9]+``, ``{name:sint}`` ``-?[0-9]+``; the value is an int.

    Stricter than Falcon's ``int`` (which takes ``+5`` or `` 5``): anything
    else in the segment is an unknown path.  ``{name:uint(9)}`` also limits
    the digits, so an id beyond its column's range (nine digits always fit
    a 32-bit column, eighteen a 64-bit one) is an unknown path too rather
    than a database error.
    """

    def __init__(self, digits: int | None = None, signed: bool = False):
        count = "+" if digits is None else f"{{1,{int(digits)}}}"
        self._pattern = re.compile(("-?" if signed else "") + "[0-9]" + count)

    def convert(self, value: str):
        return int(value) if self._pattern.fullmatch(value) else None


class SignedDigitsConverter(DigitsConverter):
    def __init__(self, digits: int | None = None):
        super().__init__(digits, signed=True)


class Router(CompiledRouter):
    """Falcon's compiled router, plus the core's method conventions.

    HEAD is answered by the GET responder wherever GET exists (Falcon drops
    the body) unless the route is added with ``head=False``, OPTIONS
    answers 200 with ``Allow``, and every other method
    raises :class:`MethodNotAllowed` so the scope's renderer shapes the 405.
    ``Allow`` lists the route's methods in a stable order, then HEAD, then
    OPTIONS.
    """

    def __init__(self):
        super().__init__()
        self.options.converters["uint"] = DigitsConverter
        self.options.converters["sint"] = SignedDigitsConverter
        self._constraints: dict[str, dict[str, re.Pattern]] = {}

    def constrain(self, template: str, constraints: Mapping[str, str]) -> None:
        self._constraints[template] = {name: re.compile(pattern) for name, pattern in constraints.items()}

    def find(self, uri: str, req=None):
        """Falcon's match, minus fields that are empty or break their route's constraints."""
        found = super().find(uri, req)
        if found is None:
            return None
        _, _, params, template = found
        for value in params.values():
            if value == "":  # an empty segment names nothing
                return None
        for name, pattern in self._constraints.get(template, {}).items():
            value = params.get(name)
            if isinstance(value, str) and not pattern.fullmatch(value):
                return None
        return found

    def map_http_methods(self, resource: object, head: bool = True, **kwargs: Any):
        method_map = super().map_http_methods(resource, **kwargs)
        if head and "GET" in method_map and "HEAD" not in method_map:
            method_map["HEAD"] = method_map["GET"]
        allowed = [m for m in METHOD_ORDER if m in method_map]
        allowed += sorted(m for m in method_map if m not in METHOD_ORDER and m not in ("HEAD", "OPTIONS"))
        if "HEAD" in method_map:
            allowed.append("HEAD")
        allowed.append("OPTIONS")
        allow = ", ".join(allowed)

        if "OPTIONS" not in method_map:
            def on_options(req, resp, **params):
                resp.status = falcon.HTTP_200
                resp.set_header("Allow", allow)
                resp.data = b""
            method_map["OPTIONS"] = on_options

        def not_allowed(req, resp, **params):
            raise MethodNotAllowed(req.method, allowed)

        for method in (*falcon.constants.COMBINED_METHODS, "WEBSOCKET"):
            method_map.setdefault(method, not_allowed)
        return method_map


def _shape(template: str) -> str:
    """A template with field names erased, so ``/a/{x}`` and ``/a/{y}`` compare equal."""
    return _FIELD_RE.sub("{}", template)


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


class RouteTable:
    """Every mounted route, the scopes they live in, and lookups by template."""

    def __init__(self) -> None:
        self.groups: list[EndpointGroup] = []
        self.by_template: dict[str, tuple[EndpointGroup, Route]] = {}
        self._scopes: list[tuple[str, EndpointGroup]] = []
        self._raised_limits: dict[str, int] = {}

    def add(self, group: EndpointGroup) -> None:
        """Validate ``group`` against everything already added."""
        if not _MOUNT_RE.match(group.mount):
            raise StartupError(
                f"endpoint group {group.name!r} of plugin {group.plugin!r}: mount {group.mount!r} "
                "must be empty or start with '/' and not end with '/'")
        if group.slashes not in (STRICT, TOLERANT):
            raise StartupError(f"endpoint group {group.name!r}: slashes must be 'strict' or 'tolerant'")
        for other in self.groups:
            if other.name == group.name:
                raise StartupError(f"two endpoint groups are named {group.name!r} "
                                   f"(plugins {other.plugin!r} and {group.plugin!r})")
            if group.mount and other.mount and _overlaps(group.mount, other.mount):
                raise StartupError(
                    f"endpoint groups overlap: {group.name!r} of plugin {group.plugin!r} at {group.mount!r} "
                    f"and {other.name!r} of plugin {other.plugin!r} at {other.mount!r}")
        shapes = {_shape(t): (g, r) for t, (g, r) in self.by_template.items()}
        for route in group.routes:
            if route.path and not route.path.startswith("/"):
                raise StartupError(f"route {route.path!r} of group {group.name!r} must start with '/'")
            template = group.template(route)
            clash = shapes.get(_shape(template))
            if clash is not None:
                other, _ = clash
                raise StartupError(
                    f"two endpoint groups on the same path {template!r}: {other.name!r} "
                    f"(plugin {other.plugin!r}) and {group.name!r} (plugin {group.plugin!r})")
            shapes[_shape(template)] = (group, route)
            self.by_template[template] = (group, route)
        self.groups.append(group)
        raised = [r.max_body_bytes for r in group.routes if r.max_body_bytes is not None]
        if raised:
            self._raised_limits[group.name] = max(raised)
        self._scopes = sorted(((prefix, g) for g in self.groups for prefix in g.scope_prefixes() if prefix != "/"),
                              key=lambda item: -len(item[0]))

    def mount_on(self, app: falcon.App, router: Router) -> None:
        for template, (group, route) in self.by_template.items():
            kwargs = {"suffix": route.suffix} if route.suffix else {}
            app.add_route(template, route.resource, head=group.serves_head(route), **kwargs)
            if route.constraints:
                router.constrain(template, route.constraints)

    def scope(self, path: str) -> EndpointGroup | None:
        """The group whose scope contains ``path`` (longest prefix wins)."""
        for prefix, group in self._scopes:
            if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
                return group
        return None

    def body_ceiling(self, group: EndpointGroup | None, limit: int) -> int:
        """The largest body any route of ``group`` accepts: ``limit``, or a route's own larger limit."""
        return max(limit, self._raised_limits.get(group.name, 0)) if group is not None else limit

    def route_for(self, uri_template: str | None) -> tuple[EndpointGroup, Route] | None:
        return self.by_template.get(uri_template) if uri_template else None

    def normalize(self, path: str) -> tuple[str, EndpointGroup | None]:
        """The path to route on, and its scope (tolerant scopes rewrite it)."""
        collapsed = re.sub("/{2,}", "/", path) if "//" in path else path
        group = self.scope(collapsed)
        if group is None or group.slashes != TOLERANT:
            return path, (group if collapsed == path else self.scope(path))
        if len(collapsed) > 1 and collapsed.endswith("/"):
            collapsed = collapsed[:-1]
        for suffix in group.strip_suffixes:
            if collapsed.endswith(suffix) and collapsed.rfind("/") < len(collapsed) - len(suffix):
                collapsed = collapsed[: -len(suffix)]
                break
        return collapsed, group


def raw_request_path(req: falcon.Request) -> str:
    """The path as the client sent it, percent-encoding preserved where the server kept it."""
    raw = req.env.get("RAW_URI") or req.env.get("REQUEST_URI")
    if raw:
        raw = raw.split("?", 1)[0]
        if raw.startswith(("http://", "https://")):
            raw = "/" + raw.split("/", 3)[-1]
        return raw
    return quote(req.env.get("SCRIPT_NAME", "") + req.env.get("PATH_INFO", "/"), safe="/:@!$&'()*+,;=-._~")
