"""The OpenAPI 3.1 document, built with apispec from the route table.

Every mounted route and every method its resource serves becomes an
operation.  What a route declares in ``Route.openapi`` (summaries, request
and response schemas as marshmallow classes, parameters) is merged over what
the core derives: path parameters from the template, the summary from the
responder's docstring, security from the route's auth policy, and the
default error responses (declared responses are added to them; a declared
success response replaces the generic ``200``).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import __version__

_FIELD_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+)(?:\([^)]*\))?)?\}")
_METHODS = ("get", "post", "put", "patch", "delete")
_CONVERTER_TYPES = {"int": "integer", "uint": "integer", "sint": "integer", "float": "number", "uuid": "string",
                    "dt": "string", "path": "string"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "Error body of the core shape; compatibility mounts use their dialect's shape.",
    "properties": {
        "title": {"type": "string"}, "description": {"type": "string"}, "code": {"type": "string"},
        "errors": {"type": "object"},
    },
    "required": ["code"],
}


def openapi_path(template: str) -> tuple[str, list[dict]]:
    """Falcon template → OpenAPI path and its path parameters."""
    params = []
    for name, converter in _FIELD_RE.findall(template):
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": _CONVERTER_TYPES.get(converter, "string")}})
    return _FIELD_RE.sub(lambda m: "{" + m.group(1) + "}", template), params


def _responder(resource: Any, method: str, suffix: str | None):
    name = f"on_{method}" + (f"_{suffix}" if suffix else "")
    return getattr(resource, name, None)


def _summary(responder) -> str:
    doc = inspect.getdoc(responder) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def build(ctx) -> dict:
    spec = APISpec(title="sciplane", version=__version__, openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Metadata services for physics and astronomy facilities."})
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("token", {"type": "apiKey", "in": "header", "name": "Authorization",
                                              "description": "Token <key>"})
    error_response = {"description": "Error", "content": {"application/json": {"schema": "Error"}}}
    paths: dict[str, dict] = {}
    for template, (group, route) in sorted(ctx.routes.by_template.items()):
        path, params = openapi_path(template)
        operations = paths.setdefault(path, {})
        for method in _METHODS:
            responder = _responder(route.resource, method, route.suffix)
            if responder is None:
                continue
            upper = method.upper()
            operation: dict[str, Any] = {
                "summary": _summary(responder) or f"{upper} {path}",
                "operationId": f"{group.name}.{route.name or path}.{method}",
                "tags": list(route.tags) or [group.name],
                "responses": {"200": {"description": "Success"}, "default": error_response},
            }
            if params:
                operation["parameters"] = list(params)
            if route.is_public(upper):
                operation["security"] = []
            elif route.needs_identity(upper):
                operation["security"] = [{"bearer": []}, {"token": []}]
            else:  # credentials optional; the permission decides
                operation["security"] = [{"bearer": []}, {"token": []}, {}]
            action = route.actions.get(upper)
            if action:
                operation["x-permission"] = action
            if route.alias_of:
                operation["x-alias-of"] = route.alias_of
            declared = dict(route.openapi.get(method, {}))
            responses = operation["responses"]
            extra = declared.pop("responses", {})
            if any(str(code).startswith("2") for code in extra):
                responses.pop("200")  # the route documents its own success
            responses.update(extra)  # the default error response stays
            operation.update(declared)
            operations[method] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    ctx.pm.hook.openapi_extend(spec=spec, ctx=ctx)
    return spec.to_dict()
