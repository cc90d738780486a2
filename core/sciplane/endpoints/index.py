"""``/api``: what this deployment serves: plugins, versions, mounts, parsers."""

from __future__ import annotations

from .. import __version__


def describe(ctx) -> dict:
    mounts = [{"group": g.name, "plugin": g.plugin, "mount": g.mount or "/", "slashes": g.slashes,
               "routes": len(g.routes)} for g in ctx.routes.groups]
    parsers = [{"filetype": s.filetype, "dimensionality": s.dimensionality, "granularity": s.granularity,
                "plugin": s.plugin, "version": s.version, "priority": s.priority} for s in ctx.parsers]
    plugins = []
    for info in ctx.plugins:
        plugins.append({"name": info.name, "version": info.version, "distribution": info.distribution,
                        "internal": info.internal,
                        "mounts": [m["mount"] for m in mounts if m["plugin"] == info.name],
                        "parsers": [[p["filetype"], p["dimensionality"], p["granularity"]]
                                    for p in parsers if p["plugin"] == info.name],
                        "actions": sorted(a.name for a in ctx.actions.values() if a.plugin == info.name)})
    return {"name": "sciplane", "version": __version__, "plugins": plugins, "mounts": mounts, "parsers": parsers,
            "jobs": sorted(ctx.jobs.specs), "blob_stores": ctx.blobs.names()}


class ApiIndex:
    def __init__(self, ctx):
        self.ctx = ctx
        self._body = None

    def on_get(self, req, resp):
        """Enabled plugins with versions, mounts, parsers and actions."""
        if self._body is None:  # the deployment does not change while the process lives
            from ..media import dumps
            self._body = dumps(describe(self.ctx))
        resp.data = self._body
        resp.content_type = "application/json"
