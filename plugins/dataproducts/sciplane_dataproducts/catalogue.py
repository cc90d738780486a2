"""What the data-product services share, built once at start-up: settings, the type registry, the blob
store, the plugin's own hooks and the visibility rules with other plugins' ``visibility_filter`` OR-ed in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee

from sciplane import Identity

from . import access
from .models import Datum, Product
from .types import TypeRegistry

VIEW_ACTION = "dataproducts.view"
DELETE_ACTION = "dataproducts.delete"


@dataclass
class Catalogue:
    settings: Any
    types: TypeRegistry
    store: Any  # sciplane.BlobStore
    hook: Any  # the plugin manager's hook relay (dp_* hooks)
    authorizer: Any
    accounts: Any

    @classmethod
    def build(cls, ctx, settings) -> Catalogue:
        return cls(settings=settings, types=TypeRegistry.build(ctx.pm, settings.types),
                   store=ctx.blobs.get(settings.storage), hook=ctx.pm.hook, authorizer=ctx.authorizer,
                   accounts=ctx.accounts)

    def visible_products(self, identity: Identity, member: access.Memberships | None = None) -> peewee.Expression:
        """The built-in rules (§4.3), widened by any other plugin's ``visibility_filter``."""
        return self.authorizer.visible(identity, Product, VIEW_ACTION,
                                       base=access.visible_products(identity, self.settings, member))

    def product_rules(self, identity: Identity) -> list[peewee.Expression] | None:
        """The built-in view rules and every other plugin's, one expression each; None: everything (staff)."""
        rules = access.product_rules(identity, self.settings)
        if rules is None:
            return None
        return [*rules, *self.authorizer.visibility_rules(identity, Product, VIEW_ACTION)]

    def visible_datums(self, identity: Identity) -> peewee.Expression:
        """Through their product's visibility as :meth:`visible_products` decides it, or their target's, widened by
        any other plugin's ``visibility_filter`` on datums."""
        if identity.staff:
            base = access.EVERYTHING
        else:  # the caller's memberships read once, for the products' rule and the datums' own
            member = access.Memberships.of(identity)
            base = access.visible_datums(identity, self.settings, self.visible_products(identity, member), member)
        return self.authorizer.visible(identity, Datum, VIEW_ACTION, base=base)

    def deletable_products(self, identity: Identity) -> peewee.Expression:
        return self.authorizer.visible(identity, Product, DELETE_ACTION,
                                       base=access.deletable_products(identity, self.settings))
