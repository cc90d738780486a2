"""Logging for servers and workers: one line per record on stderr."""

from __future__ import annotations

import logging
import os
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"


def configure_logging(level: str | None = None) -> None:
    """Configure the root logger once (idempotent); ``SCIPLANE_LOG_LEVEL`` overrides ``level``."""
    level = (os.environ.get("SCIPLANE_LOG_LEVEL") or level or "INFO").upper()
    root = logging.getLogger()
    if not any(getattr(h, "_sciplane", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._sciplane = True
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("peewee").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(max(logging.INFO, root.level))
