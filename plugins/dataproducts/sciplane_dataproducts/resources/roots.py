"""The two API roots: TOM's index of collections and GSP Live's status (no authentication needed)."""

from __future__ import annotations

import falcon


class TomRoot:
    COLLECTIONS = ("groups", "targets", "dataproducts", "reduceddatums")

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        base = req.path.rstrip("/")
        resp.media = {name: req.external_url(f"{base}/{name}/") for name in self.COLLECTIONS}


class GspStatus:
    def __init__(self, version: str):
        self.version = version

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok", "version": self.version}
