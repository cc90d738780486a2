"""WSGI entry point for this checkout: ``gunicorn server:app``.

Configuration comes from ``sciplane.toml`` (or ``$SCIPLANE_CONFIG``) and
``SCIPLANE_*`` variables; each gunicorn worker builds its own app.
"""

from sciplane.wsgi import app

__all__ = ["app"]
