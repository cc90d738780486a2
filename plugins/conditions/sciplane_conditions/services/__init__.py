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


class Vetoes:
    """Permission checks of the dialect: authentication is settled per route (``write_auth``), so a
    denial here is always the reference's 403 veto, for anonymous callers too."""

    def __init__(self, authorizer):
        self._authorizer = authorizer

    def check(self, identity, action, resource=None) -> None:
        self._authorizer.check(identity, action, resource, challenge=False)

    def check_each(self, identity, action, resources) -> None:
        self._authorizer.check_each(identity, action, resources, challenge=False)


def for_app(ctx, settings) -> Services:
    """The write services of one app, with its permission checks and IOV mode."""
    vetoes = Vetoes(ctx.authorizer)
    return Services(Catalog(vetoes), IOVService(vetoes, Mode(settings.iov_mode)))
