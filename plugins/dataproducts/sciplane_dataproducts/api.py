"""The public types of the data-product hooks (``hookspecs.py``): what a third-party plugin imports.

A plugin adds a data product type with ``dp_register_types`` (a :class:`TypeSpec`) and turns uploads of
that type into reduced datums with ``dp_process`` (a :class:`ProcessingResult` of :class:`Datum`).  A
:class:`ProcessingError`'s message reaches the client (422); any other exception is reported with a fixed
text and logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TypeSpec:
    """A data product type: ``key`` (at most 50 characters) is what clients send as ``data_product_type``.

    ``settings_schema``: a marshmallow schema class for ``[plugins.dataproducts.types.<key>]``, validated at
    start-up and handed to ``dp_process`` as ``settings``."""

    key: str
    label: str
    extensions: tuple[str, ...] = ()
    mimetypes: tuple[str, ...] = ()
    settings_schema: Any = None


@dataclass(slots=True)
class Datum:
    """One reduced datum from a processor: ``timestamp`` is timezone-aware (naive values are taken as UTC)."""

    timestamp: dt.datetime
    value: dict[str, Any]
    source_name: str = ""
    source_location: str = ""


@dataclass
class ProcessingResult:
    """``datums`` may be a generator: it is consumed in chunks, so a processor can stream any number of rows."""

    datums: Iterable[Datum]
    data_type_override: str | None = None


class ProcessingError(Exception):
    """Bad input for a processor; the message is shown to the client as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProductView:
    """A read-only view of a data product for hooks.  ``id`` is None before the row exists
    (``dp_extract_metadata``, ``dp_storage_key``); ``created`` is UTC and timezone-aware."""

    id: int | None
    product_id: str | None
    target_id: int | None
    target_name: str | None
    data_product_type: str
    file_name: str
    facility: str | None
    instrument: str | None
    is_fits: bool
    mimetype: str
    size: int
    sha256: str
    created: dt.datetime
    created_by: int | None
    extra_data: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
