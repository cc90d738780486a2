"""The baseline of the core benchmark: Falcon with nothing of sciplane.

It answers ``GET /health/live`` exactly as sciplane's liveness responder
does (same body, content type and Cache-Control), so the difference between
the two servers is what sciplane adds around a responder: its middleware,
router, request type and error handling.
Served by gunicorn as ``bench.core.bare_app:app``.
"""

import falcon

BODY = b'{"status":"ok"}'


class Live:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data = BODY
        resp.content_type = falcon.MEDIA_JSON
        resp.set_header("Cache-Control", "no-store")


app = falcon.App()
app.add_route("/health/live", Live())
