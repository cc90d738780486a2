"""Domain logic of the conditions plugin: no Falcon here, only models, SQL and rules."""

from __future__ import annotations

from dataclasses import dataclass

from ..points import Mode
from .catalog import Catalog
from .iovs import IOVService


@dataclass(frozen=True)
class Services:
    catalog: Catalog
    iovs: IOVService


def for_app(ctx, settings) -> Services:
    """The write services of one app, with its permission checks and IOV mode."""
    return Services(Catalog(ctx.authorizer), IOVService(ctx.authorizer, Mode(settings.iov_mode)))
