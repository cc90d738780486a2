"""File parsers keyed by ``(filetype, dimensionality, granularity)``.

Parser plugins return :class:`ParserSpec` objects from
``register_parsers()``.  A parser is pure: it reads a seekable binary stream
and yields :class:`HistogramRecord` or :class:`EntryError` items; it never
touches the database, Falcon, settings or the network.  The core owns the
registry: keys are validated, and two specs for one key at the same
priority stop start-up (a higher priority replaces a lower one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, NamedTuple, Protocol

import numpy as np

from .errors import StartupError

GRANULARITIES = ("lum", "run")
_FILETYPE_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class ParserKey(NamedTuple):
    filetype: str
    dimensionality: int
    granularity: str

    def __str__(self) -> str:
        return f"({self.filetype}, {self.dimensionality}, {self.granularity})"


class Parser(Protocol):
    def count(self, stream: IO[bytes], *, key: ParserKey) -> int: ...

    def parse(self, stream: IO[bytes], *, key: ParserKey, start: int = 0) -> Iterator[HistogramRecord | EntryError]: ...


@dataclass(frozen=True)
class ParserSpec:
    """One registration: ``parser`` serves the key; ``version`` defaults to the plugin's."""

    filetype: str
    dimensionality: int
    granularity: str
    parser: Parser
    priority: int = 0
    version: str | None = None
    plugin: str = ""

    @property
    def key(self) -> ParserKey:
        return ParserKey(self.filetype, self.dimensionality, self.granularity)


@dataclass(frozen=True)
class HistogramRecord:
    """One histogram read from a file; ``data`` excludes under/overflow, 2D as ``[y][x]``."""

    entry: int
    run: int
    lumi: int
    title: str
    entries: int
    x_bin: int
    x_min: float
    x_max: float
    data: np.ndarray
    line: int | None = None
    type_code: int | None = None
    y_bin: int | None = None
    y_min: float | None = None
    y_max: float | None = None
    x_edges: np.ndarray | None = None
    y_edges: np.ndarray | None = None


@dataclass(frozen=True)
class EntryError:
    """An input entry that could not become a record; parsing goes on."""

    entry: int
    code: str
    message: str
    line: int | None = None
    run: int | None = None
    lumi: int | None = None
    title: str | None = None


class ParseError(Exception):
    """A file-level problem that makes the rest of the file unusable."""

    def __init__(self, code: str, message: str, entry: int = 0, line: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.entry = entry
        self.line = line


@dataclass
class ParserRegistry:
    """The parsers of the enabled plugins, by key."""

    specs: dict[ParserKey, ParserSpec] = field(default_factory=dict)

    def add(self, spec: ParserSpec) -> None:
        where = f"parser {spec.key} of plugin {spec.plugin!r}"
        if not isinstance(spec.filetype, str) or not _FILETYPE_RE.match(spec.filetype):
            raise StartupError(f"{where}: filetype must match [a-z0-9_]{{1,32}}")
        if spec.dimensionality not in (1, 2) or isinstance(spec.dimensionality, bool):
            raise StartupError(f"{where}: dimensionality must be 1 or 2")
        if spec.granularity not in GRANULARITIES:
            raise StartupError(f"{where}: granularity must be 'lum' or 'run'")
        if not callable(getattr(spec.parser, "parse", None)) or not callable(getattr(spec.parser, "count", None)):
            raise StartupError(f"{where}: the parser must have count() and parse() methods")
        current = self.specs.get(spec.key)
        if current is not None:
            if current.priority == spec.priority:
                raise StartupError(f"two parsers for {spec.key} at priority {spec.priority}: "
                                   f"plugins {current.plugin!r} and {spec.plugin!r}")
            if current.priority > spec.priority:
                return
        self.specs[spec.key] = spec

    def get(self, key: ParserKey | tuple) -> ParserSpec | None:
        return self.specs.get(ParserKey(*key))

    def keys(self) -> list[ParserKey]:
        return sorted(self.specs)

    def __iter__(self) -> Iterator[ParserSpec]:
        return (self.specs[k] for k in self.keys())

    def __len__(self) -> int:
        return len(self.specs)
