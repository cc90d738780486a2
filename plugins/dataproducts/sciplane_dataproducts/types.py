"""The registry of data product types: every plugin's ``dp_register_types``, checked once at start-up.

Built-in types come first (their implementation is ``trylast``, which pluggy lists first), then other
plugins' in registration order: that order is the one TOM's "Valid data_product_types are …" message
shows.  Each type's ``[plugins.dataproducts.types.<key>]`` settings are validated by its own schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from sciplane.errors import StartupError
from sciplane.plugins import call_per_plugin

from .api import TypeSpec

MAX_KEY = 50


class TypeRegistry:
    def __init__(self, specs: list[TypeSpec], settings: Mapping[str, Mapping[str, Any]]):
        self._specs = {spec.key: spec for spec in specs}
        self._settings = dict(settings)
        self.keys: tuple[str, ...] = tuple(self._specs)

    @classmethod
    def build(cls, pm, configured: Mapping[str, Any]) -> TypeRegistry:
        specs: list[TypeSpec] = []
        owners: dict[str, str] = {}
        for plugin, contributed in call_per_plugin(pm, "dp_register_types"):
            for spec in contributed:
                if not isinstance(spec, TypeSpec) or not spec.key or len(spec.key) > MAX_KEY:
                    raise StartupError(f"plugin {plugin!r}: dp_register_types must return TypeSpec objects with "
                                       f"keys of 1 to {MAX_KEY} characters (got {spec!r})")
                if spec.key in owners:
                    raise StartupError(f"two data product types named {spec.key!r}: plugins {owners[spec.key]!r} "
                                       f"and {plugin!r}")
                owners[spec.key] = plugin
                specs.append(spec)
        unknown = sorted(set(configured) - set(owners))
        if unknown:
            raise StartupError(f"invalid configuration: plugins.dataproducts.types: no data product type "
                               f"{', '.join(map(repr, unknown))} (registered: {', '.join(owners)})")
        settings = {}
        for spec in specs:
            raw = dict(configured.get(spec.key) or {})
            if spec.settings_schema is None:
                if raw:
                    raise StartupError(f"invalid configuration: plugins.dataproducts.types.{spec.key}: this type "
                                       "takes no settings")
                settings[spec.key] = {}
                continue
            try:
                settings[spec.key] = spec.settings_schema().load(raw)
            except ValidationError as exc:
                raise StartupError(f"invalid configuration: plugins.dataproducts.types.{spec.key}: "
                                   f"{exc.messages}") from None
        return cls(specs, settings)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._specs

    def get(self, key: str) -> TypeSpec:
        return self._specs[key]

    def settings_for(self, key: str) -> Mapping[str, Any]:
        return self._settings.get(key, {})

    def invalid_message(self, field: str) -> str:
        """TOM's wording, listing every registered key (``data_product_type`` or ``data_type``)."""
        return f"Not a valid {field}. Valid {field}s are {', '.join(self.keys)}."
