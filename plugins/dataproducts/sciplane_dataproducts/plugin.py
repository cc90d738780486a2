"""Hook implementations of the data-product catalogue."""

from __future__ import annotations

from pathlib import Path

from sciplane import Action, hookimpl

from . import hookspecs, routes
from .catalogue import Catalogue
from .defaults import dp_process, dp_register_types  # noqa: F401 (the built-in types and processors)
from .models import MODELS
from .settings import DataProductsSettings

NAME = "dataproducts"
ACTIONS = [
    Action("dataproducts.view", "See data products, reduced datums and targets (visibility rules OR-ed in)"),
    Action("dataproducts.delete", "Delete data products and reduced datums"),
]


@hookimpl
def add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def config_schema():
    return DataProductsSettings


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
def register_commands():
    from .commands import COMMANDS
    return COMMANDS


@hookimpl
def load_demo(ctx, echo):
    from . import demo
    demo.load(ctx, echo)


@hookimpl
def register_endpoint_groups(ctx):
    plugin = ctx.plugin(NAME)
    catalogue = Catalogue.build(ctx, ctx.plugin_settings(NAME))
    return routes.groups(catalogue, plugin.version if plugin else "0")
