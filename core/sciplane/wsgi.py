"""The WSGI app built from configuration: ``gunicorn sciplane.wsgi:app``.

Importing this module builds the app (each gunicorn worker does so after the
fork).  Configuration comes from ``sciplane.toml`` / ``$SCIPLANE_CONFIG`` and
``SCIPLANE_*`` variables.
"""

from . import gunicorn_errors
from .app import create_app
from .logs import configure_logging

app = create_app(serving=True)
configure_logging(app.sciplane.settings.logging.level)
gunicorn_errors.install()  # under another WSGI server, it replaces a writer nothing calls
