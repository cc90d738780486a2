"""FITS primary-header reading (``header``) and the Goodman metadata promoted from it (``goodman``)."""

from .header import ParsedHeader, is_fits, read_header

__all__ = ["ParsedHeader", "is_fits", "read_header"]
