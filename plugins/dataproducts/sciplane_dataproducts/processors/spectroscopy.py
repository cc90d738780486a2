"""The built-in ``spectroscopy`` processor (spec §9.3): a FITS or CSV spectrum turned into one datum.

The datum's value has TOM's keys: ``{"flux": [...], "flux_units": ..., "wavelength": [...],
"wavelength_units": ...}``, with plain floats, and None for a non-finite flux.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from math import isfinite
from typing import Any, BinaryIO

import numpy as np
from astropy.io import fits

from sciplane.storage import BorrowedStream
from sciplane_dataproducts.api import Datum, ProcessingError

from ..wire.times import parse_time
from .tables import (
    EMPTY_TABLE,
    FITS_SIGNATURE,
    MJD_EPOCH,
    UNSUPPORTED_FILE,
    cell_text,
    open_text,
    split_header,
    table_rows,
)

NO_SPECTRUM = "Spectroscopy file has no 'wavelength' and 'flux' columns."
UNREADABLE_FITS = "Unreadable FITS file."
DEFAULT_SOURCE = "DEFAULT"
DEFAULT_WAVELENGTH_UNITS = "Angstrom"
DEFAULT_FLUX_UNITS = "erg / (Angstrom s cm2)"

_CSV_KEYWORDS = ("DATE-OBS", "FACILITY")


def read_spectrum(stream: BinaryIO, *, instrument: str | None, uploaded_at: dt.datetime) -> Datum:
    """The one datum of the spectrum in ``stream`` (readable and seekable, read from its start, left open).

    FITS input is recognised by its signature; anything else is read as a text table with ``wavelength`` and
    ``flux`` columns.  ``instrument`` is the ``dp_identify`` result; ``uploaded_at`` stamps a spectrum that
    carries no observation time.  Raises :class:`ProcessingError`: ``Spectroscopy file has no 'wavelength'
    and 'flux' columns.`` when there is no wavelength solution or no such columns, ``Empty table or invalid
    file type`` for a table without rows, ``Unsupported file type`` for binary input that is not FITS,
    ``Unreadable FITS file.`` for a damaged FITS file, and ``Row N: … is not a number.`` for a bad table cell.
    """
    stream.seek(0)
    is_fits = stream.read(len(FITS_SIGNATURE)) == FITS_SIGNATURE
    stream.seek(0)
    if is_fits:
        return _read_fits(stream, instrument or DEFAULT_SOURCE, uploaded_at)
    return _read_table(stream, instrument, uploaded_at)


def _read_fits(stream: BinaryIO, source_name: str, uploaded_at: dt.datetime) -> Datum:
    """The flux of the primary HDU, or else of the first HDU holding an array, on the linear wavelength
    solution of that HDU's header.  The observation time may also come from the primary header."""
    try:
        with fits.open(BorrowedStream(stream), memmap=False) as hdus:
            # is_image and size come from the header: no data is read before an HDU is chosen.
            hdu = next((hdu for hdu in hdus if hdu.is_image and hdu.size), None)
            if hdu is None:
                raise ProcessingError(NO_SPECTRUM)
            flux = _flux_vector(hdu)
            header, primary = hdu.header, hdus[0].header
            value = {
                "flux": _nullable_floats(flux),
                "flux_units": _text(header, "BUNIT") or DEFAULT_FLUX_UNITS,
                "wavelength": _wavelengths(header, len(flux)),
                "wavelength_units": _text(header, "CUNIT1") or DEFAULT_WAVELENGTH_UNITS,
            }
            timestamp = _observation_time((header, primary)) or _as_utc(uploaded_at)
    except (OSError, ValueError, fits.VerifyError) as error:
        raise ProcessingError(UNREADABLE_FITS) from error
    return Datum(timestamp, value, source_name)


def _flux_vector(hdu: Any) -> np.ndarray:
    """The spectrum in an HDU's array: 3D gives ``[0, 0, :]``; 2D with one or two rows (flux first) gives
    ``[0, :]``.  Other 2D arrays are images, not spectra."""
    shape = hdu.shape
    if len(shape) == 1:
        index: tuple[int, ...] = ()
    elif len(shape) == 2 and shape[0] in (1, 2):
        index = (0,)
    elif len(shape) == 3:
        index = (0, 0)
    else:
        raise ProcessingError(NO_SPECTRUM)
    return np.asarray(hdu.data[index], dtype=np.float64)


def _wavelengths(header: fits.Header, count: int) -> list[float]:
    """The linear solution ``CRVAL1 + (i + 1 - CRPIX1) * step`` (pixels count from 1 in FITS)."""
    start = _number(header, "CRVAL1")
    step = _number(header, "CDELT1")
    if step is None:
        step = _number(header, "CD1_1")
    if start is None or step is None:
        raise ProcessingError(NO_SPECTRUM)
    reference_pixel = _number(header, "CRPIX1")
    if reference_pixel is None:
        reference_pixel = 1.0
    return (start + (np.arange(count, dtype=np.float64) + 1.0 - reference_pixel) * step).tolist()


def _number(header: fits.Header, keyword: str) -> float | None:
    value = header.get(keyword)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if isfinite(number) else None


def _text(header: fits.Header, keyword: str) -> str:
    value = header.get(keyword)
    return value.strip() if isinstance(value, str) else ""


def _observation_time(headers: tuple[fits.Header, ...]) -> dt.datetime | None:
    """``DATE-OBS`` from the first header that has a valid one, else ``MJD-OBS`` likewise."""
    for header in headers:
        moment = _iso_time(header.get("DATE-OBS"))
        if moment is not None:
            return moment
    for header in headers:
        days = _number(header, "MJD-OBS")
        if days is not None:
            try:
                return MJD_EPOCH + dt.timedelta(days)
            except OverflowError:
                continue
    return None


def _iso_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time as aware UTC (naive means UTC), or None if ``value`` is not one."""
    try:
        return parse_time(value).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _nullable_floats(values: np.ndarray) -> list[float | None]:
    return [value if isfinite(value) else None for value in values.tolist()]


def _read_table(stream: BinaryIO, instrument: str | None, uploaded_at: dt.datetime) -> Datum:
    """A text table with ``wavelength`` and ``flux`` columns (any case, same delimiters as photometry).

    Comment lines ``# DATE-OBS: <iso>`` and ``# FACILITY: <name>`` give the timestamp and the source name."""
    keywords: dict[str, str] = {}
    with open_text(stream) as text:
        try:
            lines = _data_lines(text, keywords)
            header = next(lines, None)
            if header is None:
                raise ProcessingError(EMPTY_TABLE)
            names, delimiter = split_header(header)
            lowered = [name.lower() for name in names]
            if "wavelength" not in lowered or "flux" not in lowered:
                raise ProcessingError(NO_SPECTRUM)
            wavelength, flux = _columns(table_rows(lines, delimiter), lowered.index("wavelength"),
                                        lowered.index("flux"))
        except UnicodeDecodeError:
            raise ProcessingError(UNSUPPORTED_FILE) from None
    value = {
        "flux": flux,
        "flux_units": DEFAULT_FLUX_UNITS,
        "wavelength": wavelength,
        "wavelength_units": DEFAULT_WAVELENGTH_UNITS,
    }
    timestamp = _iso_time(keywords.get("DATE-OBS")) or _as_utc(uploaded_at)
    return Datum(timestamp, value, keywords.get("FACILITY") or instrument or DEFAULT_SOURCE)


def _data_lines(lines: Iterator[str], keywords: dict[str, str]) -> Iterator[str]:
    """The non-blank, non-comment lines; keyword comments are collected into ``keywords`` (first one wins)."""
    for line in lines:
        content = line.rstrip("\r\n")
        if content.startswith("#"):
            # Everything after the first colon that follows the key: a time keeps its own colons.
            key, colon, rest = content.lstrip("#").partition(":")
            key = key.strip().upper()
            if colon and key in _CSV_KEYWORDS:
                keywords.setdefault(key, rest.strip())
        elif content.strip():
            yield content


def _columns(rows: Iterator[list[str]], wavelength_index: int, flux_index: int) -> tuple[list[float], list]:
    """The wavelength and flux columns; rows of empty cells are skipped, and ``Row N`` counts the others."""
    wavelengths: list[float] = []
    fluxes: list[float | None] = []
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        number = len(wavelengths) + 1
        wavelength_text, flux_text = cell_text(row, wavelength_index), cell_text(row, flux_index)
        wavelength = _parse_float(wavelength_text)
        if wavelength is None or not isfinite(wavelength):
            raise ProcessingError(f"Row {number}: wavelength value '{wavelength_text}' is not a number.")
        flux = _parse_float(flux_text)
        if flux is None and flux_text:
            raise ProcessingError(f"Row {number}: flux value '{flux_text}' is not a number.")
        wavelengths.append(wavelength)
        fluxes.append(flux if flux is not None and isfinite(flux) else None)  # an empty flux cell is null too
    if not wavelengths:
        raise ProcessingError(EMPTY_TABLE)
    return wavelengths, fluxes


def _parse_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
