"""Hook implementations: one DQMIO parser object serves the four (dimensionality, granularity) keys."""

from __future__ import annotations

from sciplane import ParserSpec, hookimpl

from .parser import DqmioParser


@hookimpl
def register_parsers():
    parser = DqmioParser(reader="auto")
    return [ParserSpec("nanodqm", dim, granularity, parser) for dim in (1, 2) for granularity in ("lum", "run")]
