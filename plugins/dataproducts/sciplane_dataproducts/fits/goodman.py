"""Goodman (SOAR) identification and the catalogue columns promoted from a Goodman header (spec §9.5).

The pipeline's ``read_fits`` initialises the provenance keywords of steps not yet run to the string
``'none'`` (GSP_NORM, GSP_WRMS, …), so a provenance keyword counts as present only when it holds a value
other than an empty string or ``none``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from astropy.io import fits

from ..wire.times import parse_time
from .header import ParsedHeader

GOODMAN = "goodman"
IDENTIFYING_KEYWORDS = ("INSTRUME", "INSTCONF", "FILTER", "FILTER2", "GRATING", "WAVMODE")

TEXT_COLUMNS = {"obstype": "OBSTYPE", "object": "OBJECT", "filter": "FILTER", "filter_2": "FILTER2",
                "grating": "GRATING", "slit": "SLIT", "roi": "ROI", "wavmode": "WAVMODE", "camera": "INSTCONF",
                "binning": "CCDSUM", "proposal_id": "PROPID"}
DECIMAL_COLUMNS = {"cam_targ": "CAM_TARG", "grt_targ": "GRT_TARG", "gain": "GAIN", "rdnoise": "RDNOISE",
                   "airmass": "AIRMASS", "exptime": "EXPTIME", "seeing": "SEEING"}
LAMP_STATES = {"lamp_hg_ar": "LAMP_HGA", "lamp_ne": "LAMP_NE", "lamp_ar": "LAMP_AR", "lamp_fe_he_ar": "LAMP_FE",
               "lamp_cu_he_ar": "LAMP_CU", "lamp_quartz": "LAMP_QUA", "lamp_bulb": "LAMP_BUL", "lamp_dome": "LAMP_DOM"}
LAMP_PERCENTS = {"lamp_quartz_percent": "LAMP_QPE", "lamp_dome_percent": "LAMP_DPE"}
ID_COLUMNS = {"observation_id": "OBSID", "configuration_id": "CONFID", "block_id": "BLKUID", "image_id": "IMAGEID"}
# The catalogue's VARCHAR widths (models.Product); longer header strings are cut to fit.
COLUMN_WIDTHS = {"obsra": 20, "obsdec": 20, "proposal_id": 150, "file_name": 255, "directory_name": 500,
                 "original_file_name": 255, "parent_file_name": 255}
TEXT_WIDTH = 80

REDUCTION_LEVELS = range(6)  # 0 raw, 1 master calibration, 2 reduced 2D, 3 extracted, 4 calibrated, 5 flux
COMBINED = "combined"
NO_SLITS = frozenset({"NO_MASK", "<NO MASK>"})
NO_GRATINGS = frozenset({"NO_GRATING", "<NO GRATING>"})
SPECTROSCOPIC_OBSTYPES = frozenset({"ARC", "SPECTRUM", "COMP"})

# Half full well by camera and (gain, read noise) in hundredths, from the pipeline's SaturationValues.
SATURATION_VALUES = {
    "Blue": {(25, 333): 279600, (47, 335): 148723, (91, 341): 76813, (56, 369): 124821, (106, 372): 65943,
             (206, 399): 33932, (140, 474): 49928, (267, 512): 26179, (567, 862): 12328},
    "Red": {(154, 345): 66558, (348, 588): 29454, (148, 389): 69257, (387, 705): 26486, (147, 527): 69728,
            (145, 527): 69728, (377, 899): 27188, (378, 899): 27188},
}


def identify(header: ParsedHeader | fits.Header | Mapping[str, Any] | Iterable[list] | None,
             filename: str | None = None) -> str | None:
    """``"goodman"`` when INSTRUME, INSTCONF, FILTER, FILTER2, GRATING and WAVMODE are all present.

    ``header`` may be a parsed header, an astropy header, a keyword mapping or a list of cards; the file
    name plays no part.
    """
    if header is None:
        return None
    if not isinstance(header, ParsedHeader | fits.Header | Mapping):
        header = {card[0] for card in header}
    return GOODMAN if all(keyword in header for keyword in IDENTIFYING_KEYWORDS) else None


def extract(header: ParsedHeader | fits.Header, *, file_name: str | None = None, directory_name: str | None = None,
            explicit_level: int | None = None) -> dict[str, Any]:
    """The promoted catalogue columns of a Goodman header; a missing or unreadable value is None.

    ``file_name`` is the upload's name (else GSP_FNAM), ``directory_name`` the form field's (else
    GSP_PATH), ``explicit_level`` a ``data_type`` given with the upload (it overrides the header).
    """
    parsed = header if isinstance(header, ParsedHeader) else ParsedHeader.from_astropy(header)
    columns: dict[str, Any] = {"instrument": identify(parsed)}
    for column, keyword in TEXT_COLUMNS.items():
        columns[column] = _text(parsed, keyword, COLUMN_WIDTHS.get(column, TEXT_WIDTH))
    for column, keyword in (("obsra", "OBSRA"), ("obsdec", "OBSDEC")):
        # RA, DEC (the telescope's pointing) stand in when the target's position is not recorded.
        columns[column] = (_text(parsed, keyword, COLUMN_WIDTHS[column])
                           or _text(parsed, keyword[3:], COLUMN_WIDTHS[column]))

    card_text: dict[str, str] = {}
    for column, keyword in DECIMAL_COLUMNS.items():
        columns[column] = _decimal(parsed, keyword, column, card_text)
    lamps: dict[str, bool | float | None] = {column: _lamp_state(parsed.value(keyword))
                                              for column, keyword in LAMP_STATES.items()}
    for column, keyword in LAMP_PERCENTS.items():
        lamps[column] = _decimal(parsed, keyword, column, card_text)
    columns["card_text"] = card_text
    columns["lamps"] = lamps

    for column, keyword in ID_COLUMNS.items():
        columns[column] = _integer(parsed.value(keyword))
    columns["date"] = _date(parsed.value("DATE")) or _date(parsed.value("DATE-OBS"))
    columns["date_time"] = _date_time(parsed.value("DATE-OBS"))
    columns["normalized"] = _given(parsed.value("GSP_NORM"))
    columns["reduction_level"] = reduction_level = level(parsed, explicit_level)
    columns["technique"] = technique(obstype=columns["obstype"], roi=columns["roi"], slit=columns["slit"],
                                     grating=columns["grating"], wavmode=columns["wavmode"],
                                     object_name=columns["object"])
    columns["saturation_value"] = saturation(columns["camera"], columns["gain"], columns["rdnoise"])

    file_name = _cut(file_name, "file_name") or _text(parsed, "GSP_FNAM", COLUMN_WIDTHS["file_name"])
    columns["file_name"] = file_name
    columns["directory_name"] = (_cut(directory_name, "directory_name")
                                 or _text(parsed, "GSP_PATH", COLUMN_WIDTHS["directory_name"]))
    columns.update(_lineage(parsed, reduction_level, file_name))
    return columns


def level(header: ParsedHeader, explicit_level: int | None = None) -> int:
    """The reduction level (wire ``data_type``): the first of spec §9.5's seven rules that applies."""
    if explicit_level is not None:
        if explicit_level not in REDUCTION_LEVELS:
            raise ValueError(f"reduction level must be 0 to 5, not {explicit_level!r}")
        return explicit_level
    rlevel = _integer(header.value("RLEVEL"))
    if rlevel is not None and rlevel - 60 in REDUCTION_LEVELS:
        return rlevel - 60
    if not _given(header.value("GSP_FNAM")):
        return 0
    if _is_combined(header.value("GSP_PNAM")):
        return 1
    if _given(header.value("GSP_WRMS")) or _given(header.value("GSP_FUNC")):
        return 4
    if _given(header.value("GSP_EXTR")):
        return 3
    return 2


def technique(*, obstype: str | None = None, roi: str | None = None, slit: str | None = None,
              grating: str | None = None, wavmode: str | None = None, object_name: str | None = None) -> str:
    """``Spectroscopy``, ``Imaging`` or ``Unknown`` by the pipeline's ``identify_technique``; a missing
    SLIT or GRATING is no evidence of spectroscopy."""
    roi, object_name = roi or "", object_name or ""
    if ("Spectroscopic" in roi or obstype in SPECTROSCOPIC_OBSTYPES or (slit and slit not in NO_SLITS)
            or (grating and grating not in NO_GRATINGS) or "_SP_" in object_name):
        return "Spectroscopy"
    if "Imaging" in roi or obstype == "EXPOSE" or wavmode == "IMAGING" or "_IM_" in object_name:
        return "Imaging"
    return "Unknown"


def saturation(camera: str | None, gain: float | None, rdnoise: float | None) -> int | None:
    """The half-full-well value of a camera's readout mode, matching gain and read noise to 2 decimals."""
    if camera is None or gain is None or rdnoise is None:
        return None
    modes = SATURATION_VALUES.get(camera.strip().capitalize())
    return None if modes is None else modes.get((round(gain * 100), round(rdnoise * 100)))


def _lineage(header: ParsedHeader, reduction_level: int, file_name: str | None) -> dict[str, str | None]:
    """Parent and original file names; the service resolves them to ids."""
    parent = _text(header, "GSP_PNAM", COLUMN_WIDTHS["parent_file_name"])
    if reduction_level == 0:
        return {"parent_file_name": file_name, "original_file_name": file_name}  # a raw file is its own origin
    if _is_combined(parent):
        return {"parent_file_name": COMBINED, "original_file_name": file_name}
    return {"parent_file_name": parent,
            "original_file_name": _text(header, "GSP_ONAM", COLUMN_WIDTHS["original_file_name"])}


def _text(header: ParsedHeader, keyword: str, width: int) -> str | None:
    """A trimmed string value (numbers as written, logicals as T/F); None when missing or blank."""
    value = header.value(keyword)
    if isinstance(value, bool):
        value = "T" if value else "F"
    elif isinstance(value, int | float):
        value = header.text(keyword) or str(value)
    elif not isinstance(value, str):
        return None
    return value.strip()[:width] or None


def _cut(value: str | None, column: str) -> str | None:
    return (value.strip()[:COLUMN_WIDTHS[column]] or None) if value else None


def _decimal(header: ParsedHeader, keyword: str, column: str, card_text: dict[str, str]) -> float | None:
    """A number as a float, recording its card text under ``column``; a numeric string is accepted."""
    value = header.value(keyword)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = header.text(keyword)
    elif isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            return None
        if not math.isfinite(value):
            return None
    else:
        return None
    if text:
        card_text[column] = text
    return float(value)


def _lamp_state(value: Any) -> bool | None:
    """Goodman writes lamp states as the strings TRUE/FALSE; FITS logicals are accepted too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"TRUE": True, "T": True, "FALSE": False, "F": False}.get(value.strip().upper())
    return None


def _integer(value: Any) -> int | None:
    """An integral number, or a string holding one; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    return None


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _date_time(value: Any) -> dt.datetime | None:
    """DATE-OBS as a naive UTC datetime: without an offset it is UTC (FITS), with one it is converted."""
    try:
        return parse_time(value)
    except ValueError:
        return None


def _given(value: Any) -> bool:
    """Whether a provenance keyword holds a value, the pipeline's ``'none'`` placeholder excepted."""
    if value is None:
        return False
    return not isinstance(value, str) or value.strip().lower() not in ("", "none")


def _is_combined(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == COMBINED
