"""The data-product hooks, added to the core's plugin manager through its historic ``add_hookspecs``.

They map onto TOM Toolkit's extension points: ``DATA_PRODUCT_TYPES`` → ``dp_register_types``,
``DATA_PROCESSORS`` → ``dp_process``, a facility's FITS claim → ``dp_identify``,
``data_product_post_upload`` → ``dp_post_upload``, ``DATA_PRODUCT_PATH`` → ``dp_storage_key``.  Types
are in ``sciplane_dataproducts.api``.
"""

from __future__ import annotations

from sciplane.hookspecs import hookspec


@hookspec
def dp_register_types():
    """Return a list of ``TypeSpec``.  All results are collected, in registration order (the built-in
    types come first); a key registered by two plugins aborts start-up naming both."""


@hookspec(firstresult=True)
def dp_identify(header, filename):
    """``header``: an ``astropy.io.fits.Header`` or None (not a FITS file).  Return an instrument id such
    as ``"goodman"``, or None."""


@hookspec
def dp_extract_metadata(product, header, instrument):
    """Return promoted catalogue values (a dict) or None.  Results merge in hook-call order; the first
    non-None value of a key wins; keys that are not catalogue columns go to ``extra_metadata``."""


@hookspec(firstresult=True)
def dp_process(product, blob, settings):
    """Return a ``ProcessingResult`` for products of your type, None for the others.  ``blob``: a
    readable, seekable binary stream with ``.name`` and ``.local_path`` (None for remote stores).
    Raise ``ProcessingError(message)`` for bad input: the message reaches the client."""


@hookspec
def dp_post_upload(product):
    """Inside the upload's transaction, after the product row exists and before processing; raising
    aborts the upload (422) and nothing persists."""


@hookspec
def dp_post_process(product, created, skipped):
    """After the commit; exceptions are logged and never reach the client."""


@hookspec(firstresult=True)
def dp_storage_key(product, filename):
    """The blob key of a new upload, or None for the default
    ``<target slug>/<facility slug>/<token>/<file name>``."""
