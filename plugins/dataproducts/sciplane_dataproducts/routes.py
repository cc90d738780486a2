"""The two dialects, each its own endpoint group so either can be disabled or remounted."""

from __future__ import annotations

from sciplane import EndpointGroup, Route

from .resources.datums import DatumItem, Datums
from .resources.groups import Groups
from .resources.proposals import Collaborators, ProposalItem, Proposals
from .resources.roots import GspStatus, TomRoot
from .resources.targets import TargetItem, Targets
from .wire import errors

VIEW = "dataproducts.view"


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def groups(settings, version: str, accounts) -> list[EndpointGroup]:
    # With anonymous_read, reads go through the public rules only; writes always need an identity.
    reader = WRITES if settings.anonymous_read else True
    built = []
    if settings.tom.enabled:
        built.append(EndpointGroup("dataproducts-tom", settings.tom.mount, [
            Route("/api/", TomRoot(), name="tom-root", public=True),
            Route("/api/groups/", Groups(settings, settings.tom, accounts), name="tom-groups", require_identity=reader),
            Route("/api/reduceddatums/", Datums(settings, settings.tom), name="tom-datums", require_identity=reader),
            Route("/api/reduceddatums/{datum_id:uint(18)}/", DatumItem(settings), name="tom-datum",
                  require_identity=reader),
            Route("/api/targets/", Targets(settings, settings.tom), name="tom-targets", require_identity=reader),
            Route("/api/targets/{target_id:uint(9)}/", TargetItem(settings), name="tom-target",
                  require_identity=reader),
        # JSON bodies (a bulk of datums) may reach max_json_bytes; multipart uploads will need their own limit.
        ], slashes="tolerant", error_renderer=errors.render, max_body_bytes=settings.max_json_bytes,
            description="TOM Toolkit data products"))
    if settings.gsp.enabled:
        built.append(EndpointGroup("dataproducts-gsp", settings.gsp.mount, [
            Route("/api/", GspStatus(version), name="gsp-status", public=True),
            Route("/api/proposals/", Proposals(settings, settings.gsp, accounts), name="gsp-proposals",
                  require_identity=reader),
            Route("/api/proposals/{proposal_id:uint(9)}/", ProposalItem(accounts), name="gsp-proposal",
                  require_identity=reader),
            Route("/api/proposals/collaborators/{proposal_id:uint(9)}/", Collaborators(accounts),
                  name="gsp-collaborators", require_identity=True),
        ], slashes="tolerant", error_renderer=errors.render, description="Goodman pipeline (GSP Live) files"))
    return built
