"""``/openapi.json`` and the interactive API page ``/docs``.

The page and its assets come from an installed package (Swagger UI from
``openapi-ui-bundles``), so the docs work on a machine without internet.
"""

from __future__ import annotations

import falcon

from ..media import dumps

DOCS_STATIC = "/docs/static"

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>sciplane API</title>
  <link rel="stylesheet" href="{static}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{static}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "{spec}", dom_id: "#swagger-ui", deepLinking: true}});
  </script>
</body>
</html>
"""


def static_path():
    from openapi_ui_bundles.swagger_ui import static_path
    return static_path


class OpenAPIDocument:
    def __init__(self, ctx):
        self.ctx = ctx
        self._body = None

    def on_get(self, req, resp):
        """The OpenAPI 3.1 document of every mounted route."""
        if self._body is None:
            from ..openapi import build
            self._body = dumps(build(self.ctx))
        resp.data = self._body
        resp.content_type = "application/json"


class DocsPage:
    def on_get(self, req, resp):
        """Interactive API documentation (Swagger UI, served locally)."""
        root = req.root_path or ""
        resp.content_type = falcon.MEDIA_HTML
        resp.text = _PAGE.format(static=root + DOCS_STATIC, spec=root + "/openapi.json")
