"""Hook implementations of the data-product catalogue."""

from __future__ import annotations

from pathlib import Path

from sciplane import Action, hookimpl
from sciplane.declare import commands_in, demo_in, provides

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


# Hooks that hand over what this plugin declares (pluggy names a hook by its attribute).
config_schema = provides(DataProductsSettings)
register_models = provides(MODELS)
register_migrations = provides(Path(__file__).parent / "migrations")
register_actions = provides(ACTIONS)
register_commands = commands_in(f"{__package__}.commands")
load_demo = demo_in(f"{__package__}.demo")


@hookimpl
def add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def register_endpoint_groups(ctx):
    plugin = ctx.plugin(NAME)
    catalogue = Catalogue.build(ctx, ctx.plugin_settings(NAME))
    return routes.groups(catalogue, plugin.version if plugin else "0")
