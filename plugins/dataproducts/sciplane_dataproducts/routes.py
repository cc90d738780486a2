"""The two dialects, each its own endpoint group so either can be disabled or remounted."""

from __future__ import annotations

from sciplane import EndpointGroup, Route

from .catalogue import Catalogue
from .resources.datums import DatumItem, Datums
from .resources.files import UNPORTED, Downloads, FileDownload, FileHeader, FileItem, Files, Unported
from .resources.groups import Groups
from .resources.products import ProductDownload, ProductHeader, ProductItem, Products
from .resources.proposals import Collaborators, ProposalItem, Proposals
from .resources.roots import GspStatus, TomRoot
from .resources.targets import TargetItem, Targets
from .wire import errors
from .wire.uploads import MULTIPART_OVERHEAD

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def groups(cat: Catalogue, version: str) -> list[EndpointGroup]:
    settings = cat.settings
    # With anonymous_read, reads go through the public rules only; writes always need an identity.
    reader = WRITES if settings.anonymous_read else True
    # Uploads may be as large as max_upload_bytes plus the multipart framing; every other body is JSON.
    upload_limit = settings.max_upload_bytes + MULTIPART_OVERHEAD
    # Both dialects: DRF's paths with or without the trailing slash, DRF's error bodies, JSON bodies by default,
    # and HEAD only where a download route turns it on (spec: 405 elsewhere).
    conventions = {"slashes": "tolerant", "error_renderer": errors.render, "max_body_bytes": settings.max_json_bytes,
                   "head": False}
    built = []
    if settings.tom.enabled:
        accounts = cat.accounts
        built.append(EndpointGroup("dataproducts-tom", settings.tom.mount, [
            Route("/api/", TomRoot(), name="tom-root", public=True),
            Route("/api/groups/", Groups(settings, settings.tom, accounts), name="tom-groups", require_identity=reader),
            Route("/api/dataproducts/", Products(cat), name="tom-products", require_identity=reader,
                  max_body_bytes=upload_limit),
            Route("/api/dataproducts/{product_id:uint(9)}/", ProductItem(cat), name="tom-product",
                  require_identity=reader),
            Route("/api/dataproducts/{product_id:uint(9)}/header/", ProductHeader(cat), name="tom-product-header",
                  require_identity=reader),
            Route("/api/dataproducts/{product_id:uint(9)}/download/", ProductDownload(cat),
                  name="tom-product-download", require_identity=reader, head=True),
            Route("/api/reduceddatums/", Datums(cat, settings.tom), name="tom-datums", require_identity=reader),
            Route("/api/reduceddatums/{datum_id:uint(18)}/", DatumItem(cat), name="tom-datum",
                  require_identity=reader),
            Route("/api/targets/", Targets(settings, settings.tom), name="tom-targets", require_identity=reader),
            Route("/api/targets/{target_id:uint(9)}/", TargetItem(cat), name="tom-target",
                  require_identity=reader),
        ], description="TOM Toolkit data products", **conventions))
    if settings.gsp.enabled:
        accounts = cat.accounts
        built.append(EndpointGroup("dataproducts-gsp", settings.gsp.mount, [
            Route("/api/", GspStatus(version), name="gsp-status", public=True),
            Route("/api/files/", Files(cat), name="gsp-files", require_identity=reader, max_body_bytes=upload_limit),
            Route("/api/files/{file_id:uint(9)}/", FileItem(cat), name="gsp-file", require_identity=reader),
            Route("/api/files/header/", FileHeader(cat), name="gsp-file-header", require_identity=reader),
            Route("/api/files/{file_id:uint(9)}/download/", FileDownload(cat), name="gsp-file-download",
                  require_identity=reader, head=True),
            Route("/downloads/{token}/{day}/{directory}/{file_name}", Downloads(cat), name="gsp-downloads",
                  require_identity=reader, head=True),
            Route("/api/proposals/", Proposals(settings, settings.gsp, accounts), name="gsp-proposals",
                  require_identity=reader),
            Route("/api/proposals/{proposal_id:uint(9)}/", ProposalItem(accounts), name="gsp-proposal",
                  require_identity=reader),
            Route("/api/proposals/collaborators/{proposal_id:uint(9)}/", Collaborators(accounts),
                  name="gsp-collaborators", require_identity=True),
            *(Route(f"/api/files/{action}/", Unported(), name=f"gsp-{action.replace('/', '-')}",
                    require_identity=True) for action in UNPORTED),
            Route("/api/email/", Unported(), name="gsp-email", require_identity=True),
        ], description="Goodman pipeline (GSP Live) files", **conventions))
    return built
