"""Hook implementations of the data-product catalogue (work in progress: model and visibility so far)."""

from __future__ import annotations

from pathlib import Path

from sciplane import Action, hookimpl

from . import routes
from .models import MODELS
from .settings import DataProductsSettings

NAME = "dataproducts"
ACTIONS = [
    Action("dataproducts.view", "See data products, reduced datums and targets (visibility rules OR-ed in)"),
    Action("dataproducts.delete", "Delete data products and reduced datums"),
]


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
def register_endpoint_groups(ctx):
    plugin = ctx.plugin(NAME)
    return routes.groups(ctx.plugin_settings(NAME), plugin.version if plugin else "0", ctx.accounts)
