"""The built-in processors (spec §9.3): pure functions from an uploaded file's bytes to reduced datums.

``photometry.read_photometry`` streams a light-curve table into one datum per row; ``spectroscopy.read_spectrum``
turns a FITS or CSV spectrum into one datum.  Neither touches the database: bad input raises
:class:`~sciplane_dataproducts.api.ProcessingError`.
"""
