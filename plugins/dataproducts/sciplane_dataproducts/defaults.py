"""The plugin's own implementations of its hooks: the four built-in types and their two processors.

They are ``trylast``: pluggy lists them first, so the built-in types lead TOM's list of valid types, and a
third-party ``dp_process`` for a built-in key runs before (and instead of) the built-in processor.
"""

from __future__ import annotations

from sciplane import hookimpl

from .api import ProcessingResult, TypeSpec
from .processors.photometry import read_photometry
from .processors.spectroscopy import read_spectrum

BUILTIN_TYPES = [
    TypeSpec("photometry", "Photometry", extensions=(".csv", ".tsv", ".txt", ".dat"), mimetypes=("text/csv",)),
    TypeSpec("fits_file", "FITS File", extensions=(".fits", ".fit", ".fits.fz"), mimetypes=("application/fits",)),
    TypeSpec("spectroscopy", "Spectroscopy", extensions=(".fits", ".csv", ".ascii"), mimetypes=("application/fits",)),
    TypeSpec("image_file", "Image File", extensions=(".png", ".jpg", ".jpeg", ".tif"), mimetypes=("image/png",)),
]


@hookimpl(trylast=True)
def dp_register_types():
    return BUILTIN_TYPES


@hookimpl(trylast=True)
def dp_process(product, blob, settings):
    if product.data_product_type == "photometry":
        return ProcessingResult(read_photometry(blob))
    if product.data_product_type == "spectroscopy":
        return ProcessingResult([read_spectrum(blob, instrument=product.instrument, uploaded_at=product.created)])
    return None  # fits_file and image_file keep the file only (TOM's behaviour)
