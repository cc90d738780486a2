"""Synthetic Goodman (SOAR) FITS files and 1-D spectra, for tests, demos and benchmarks.

Card images are written here rather than by astropy, so that a number keeps the text it is given
(``SEEING = -1.00`` stays ``-1.00``) and so that non-compliant cards can be written at all.  The output
is a function of the arguments only.  Without a ``seed`` the values are those of the GSP Live record
in spec §8.2; a seed varies the target, date, proposal, ids and instrument set-up.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np

CARD_LENGTH = 80
BLOCK_LENGTH = 2880
REALISTIC_CARDS = 280
COMMENTARY = ("", "COMMENT", "HISTORY")


class CardText(str):
    """A number written into its card exactly as given, e.g. ``CardText("-1.00")``."""


CardValue = str | bool | int | float | CardText | None
# (keyword, value, comment), or a finished 80-character image (how non-compliant cards are written).
CardSpec = tuple[str, CardValue, str] | str
Level = Literal[0, 1, 2, 3, 4, "combined"]

# (gain, read noise) as the cards write them: the canonical mode first, then the others of the
# pipeline's saturation table.
READOUT_MODES = {
    "Red": [("1.48", "3.89"), ("1.54", "3.45"), ("3.48", "5.88"), ("3.87", "7.05"), ("1.47", "5.27"),
            ("3.77", "8.99")],
    "Blue": [("1.4", "4.74"), ("0.25", "3.33"), ("0.47", "3.35"), ("0.91", "3.41"), ("1.06", "3.72"),
             ("2.06", "3.99"), ("2.67", "5.12")],
}
# (grating, wavelength mode, camera angle, grating angle) as the instrument reports them.
SETUPS = [("400_SYZY", "400_M1", "11.6", "5.8"), ("400_SYZY", "400_M2", "16.1", "7.5"),
          ("930_SYZY", "930_M3", "24.8", "12.4"), ("1200_SYZY", "1200_M5", "39.4", "19.7"),
          ("600_SYZY", "600_UV", "15.9", "7.9")]
SLITS = ["1.0_LONG_SLIT", "0.45_LONG_SLIT", "0.8_LONG_SLIT", "1.03_LONG_SLIT"]
TARGETS = ["J0220-7022", "ZTF20actqfpc", "LTT7987", "EG274", "HD49798", "NGC300-X1", "SN2021aefx",
           "AT2021lwx", "WD0308-565", "CD-32_9927"]
OBSTYPES = ["SPECTRUM", "SPECTRUM", "SPECTRUM", "ARC", "FLAT", "BIAS"]
LAMPS = {"LAMP_HGA": "HgAr", "LAMP_NE": "Ne", "LAMP_AR": "Ar", "LAMP_FE": "FeHeAr", "LAMP_CU": "CuHeAr",
         "LAMP_QUA": "Quartz", "LAMP_BUL": "Bulb", "LAMP_DOM": "Dome"}


def card_image(keyword: str, value: CardValue = None, comment: str = "") -> str:
    """One 80-character card in fixed format: numbers and logicals end in column 30, strings open in 11."""
    if len(keyword) > 8:
        raise ValueError(f"keyword longer than 8 characters: {keyword!r}")
    if keyword in COMMENTARY:
        return f"{keyword:8}{value or ''}"[:CARD_LENGTH].ljust(CARD_LENGTH)
    if isinstance(value, str) and not isinstance(value, CardText):
        field = "'" + value.replace("'", "''").ljust(8) + "'"
        field = field.ljust(20)
    else:
        field = _value_text(value).rjust(20)
    image = f"{keyword:8}= {field}"
    if len(image) > CARD_LENGTH:
        raise ValueError(f"value of {keyword} does not fit in one card")
    if comment:
        image += f" / {comment}"
    return image[:CARD_LENGTH].ljust(CARD_LENGTH)


def _value_text(value: CardValue) -> str:
    if value is None:
        return ""
    if isinstance(value, CardText):
        return str(value)
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("FITS cards cannot hold non-finite numbers")
        return repr(value).upper()  # shortest round trip; an exponent must be upper case
    raise TypeError(f"unsupported card value: {value!r}")


def fits_bytes(cards: Iterable[CardSpec], data: np.ndarray | None = None, *, with_end: bool = True) -> bytes:
    """A FITS file: the cards (plus END), padded with spaces to whole blocks, then the data, zero-padded.

    A card given as a string is an image written as is, padded to 80 characters.
    """
    images = [_raw_image(spec) if isinstance(spec, str) else card_image(*spec) for spec in cards]
    if with_end:
        images.append("END".ljust(CARD_LENGTH))
    header = "".join(images).encode("latin-1")  # latin-1 keeps a deliberately non-ASCII card writable
    header += b" " * (-len(header) % BLOCK_LENGTH)
    if data is None or data.size == 0:
        return header
    payload = data.tobytes()
    return header + payload + b"\0" * (-len(payload) % BLOCK_LENGTH)


def _raw_image(image: str) -> str:
    if len(image) > CARD_LENGTH:
        raise ValueError(f"card image longer than {CARD_LENGTH} characters: {image!r}")
    return image.ljust(CARD_LENGTH)


def _array_cards(data: np.ndarray) -> list[CardSpec]:
    bitpix = {np.dtype(">i2"): 16, np.dtype(">i4"): 32, np.dtype(">f4"): -32, np.dtype(">f8"): -64}[data.dtype]
    cards: list[CardSpec] = [("SIMPLE", True, "conforms to FITS standard"),
                             ("BITPIX", bitpix, "array data type"),
                             ("NAXIS", data.ndim, "number of array dimensions")]
    # FITS counts axes from the fastest-varying one, numpy from the slowest.
    cards += [(f"NAXIS{axis}", length, "") for axis, length in enumerate(reversed(data.shape), start=1)]
    return cards


def spectrum_fits(n: int = 100, crval1: float = 4000.0, cdelt1: float = 2.0, crpix1: float = 1.0,
                  **cards: CardValue) -> bytes:
    """A 1-D float spectrum of ``n`` pixels with a linear wavelength solution; ``cards`` are added as given
    (``**{"DATE-OBS": "2021-09-06T07:50:11"}`` for keywords that are not Python names)."""
    flux = (1.0 + 0.01 * np.arange(n)).astype(">f4")
    specs = _array_cards(flux) + [("CTYPE1", "LINEAR", "wavelength axis"), ("CRVAL1", float(crval1), ""),
                                  ("CDELT1", float(cdelt1), ""), ("CRPIX1", float(crpix1), "")]
    specs += [(keyword, value, "") for keyword, value in cards.items()]
    return fits_bytes(specs, flux)


def goodman_fits(camera: Literal["Red", "Blue"] = "Red", *, level: Level = 0,
                 extra_cards: Mapping[str, CardValue] | None = None, drop: Iterable[str] = (),
                 noncompliant: bool = False, with_end: bool = True, data_shape: tuple[int, ...] = (2, 2),
                 realistic: bool = False, seed: int | None = None) -> bytes:
    """A Goodman file of one camera at one reduction level (0 raw, 1 or ``"combined"`` master calibration,
    2 reduced 2D, 3 extracted, 4 wavelength calibrated; level 5 is only ever set explicitly).

    ``extra_cards`` replace cards in place or are appended; ``drop`` removes keywords.  ``noncompliant``
    writes LAMP_HGA unquoted (astropy repairs it), a lower-case keyword (repaired) and a card with a
    non-ASCII byte (dropped by readers).  ``realistic`` pads the header to about 280 plausible cards.
    """
    if level not in (0, 1, 2, 3, 4, "combined"):
        raise ValueError(f"level must be 0-4 or 'combined', not {level!r}")
    observation = _Observation(camera, seed)
    if level in (1, "combined"):
        observation.obstype = "FLAT"  # the master calibrations the generator makes are flats
    data = (np.arange(math.prod(data_shape)) % 1000).astype(">i2").reshape(data_shape)
    head = _array_cards(data)
    body = observation.cards()
    if realistic:
        head += [("EXTEND", True, ""), ("BSCALE", 1, ""), ("BZERO", 32768, "")]
        body += observation.telescope_cards() + observation.detector_cards()
    body += _pipeline_cards(observation, 1 if level == "combined" else level, realistic=realistic)
    if realistic:
        body += observation.wcs_cards() + observation.history_cards()
        # The camera controller's numbered parameters follow the structural cards and fill up the header.
        head += observation.controller_cards(REALISTIC_CARDS - len(head) - len(body))
    cards = head + body
    if noncompliant:
        cards = _noncompliant(cards)
    cards = _edited(cards, extra_cards or {}, set(drop))
    return fits_bytes(cards, data, with_end=with_end)


def _edited(cards: list[CardSpec], extra: Mapping[str, CardValue], drop: set[str]) -> list[CardSpec]:
    """Cards with ``extra`` values put in place (keeping the comment) or appended, and ``drop`` removed."""
    pending = dict(extra)
    edited: list[CardSpec] = []
    for spec in cards:
        keyword = _keyword(spec)
        if keyword in drop:
            continue
        if keyword in pending and keyword not in COMMENTARY:
            comment = "" if isinstance(spec, str) else spec[2]
            spec = (keyword, pending.pop(keyword), comment)
        edited.append(spec)
    edited += [(keyword, value, "") for keyword, value in pending.items() if keyword not in drop]
    return edited


def _keyword(spec: CardSpec) -> str:
    return spec[:8].rstrip().upper() if isinstance(spec, str) else spec[0]


def _noncompliant(cards: list[CardSpec]) -> list[CardSpec]:
    """The defects Goodman headers are known for (goodman_pipeline#133, #160): lamp states written as
    bare words, plus a lower-case keyword and a byte outside ASCII."""
    fixed = [f"{spec[0]:8}= {spec[1]!s:>20} / {spec[2]}"[:CARD_LENGTH].ljust(CARD_LENGTH)
             if not isinstance(spec, str) and spec[0] == "LAMP_HGA" else spec for spec in cards]
    at = next((i for i, spec in enumerate(fixed) if _keyword(spec) == "SEEING"), len(fixed))
    fixed[at:at] = [card_image("coltemp", CardText("8.25"), "collimator temperature (lower-case keyword)"),
                    card_image("ENVTEMP", "12.5\xb0C", "ambient temperature (non-ASCII)")]
    return fixed


class _Observation:
    """One exposure's values: the §8.2 record without a seed, drawn from plausible ones with a seed."""

    def __init__(self, camera: str, seed: int | None) -> None:
        if camera not in READOUT_MODES:
            raise ValueError(f"camera must be Red or Blue, not {camera!r}")
        self.camera = camera
        self.rng = random.Random("canonical" if seed is None else seed)
        if seed is None:
            self.gain, self.rdnoise = READOUT_MODES[camera][0]
            self.grating, self.wavmode, self.cam_targ, self.grt_targ = SETUPS[0]
            self.slit, self.obstype, self.target = SLITS[0], "SPECTRUM", TARGETS[0]
            self.start = dt.datetime(2021, 9, 6, 7, 50, 11, 467000)
            self.proposal, self.exptime, self.airmass = "SOAR2021B-001", "1800.0", "1.31"
            self.ra, self.dec = "02:20:09.010", "-70:22:30.439"
            self.ids = (6520948, 381840141, 284101165, 73825)
            self.number = 308
        else:
            rng = self.rng
            self.gain, self.rdnoise = rng.choice(READOUT_MODES[camera])
            self.grating, self.wavmode, self.cam_targ, self.grt_targ = rng.choice(SETUPS)
            self.slit, self.obstype, self.target = rng.choice(SLITS), rng.choice(OBSTYPES), rng.choice(TARGETS)
            self.start = dt.datetime(2017, 1, 1, 23) + dt.timedelta(days=rng.randrange(8 * 365),
                                                                    seconds=rng.randrange(9 * 3600),
                                                                    milliseconds=rng.randrange(1000))
            semester = "A" if 2 <= self.start.month <= 7 else "B"
            self.proposal = f"SOAR{self.start.year}{semester}-{rng.randrange(1, 26):03d}"
            self.exptime = rng.choice(["1.0", "30.0", "300.0", "600.0", "900.0", "1200.0", "1800.0"])
            self.airmass = f"{rng.uniform(1.0, 2.2):.2f}"
            self.ra = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.uniform(0, 60):06.3f}"
            self.dec = f"-{rng.randrange(90):02d}:{rng.randrange(60):02d}:{rng.uniform(0, 60):06.3f}"
            self.ids = (rng.randrange(10**6, 10**7), rng.randrange(10**8, 10**9), rng.randrange(10**8, 10**9),
                        rng.randrange(10**4, 10**6))
            self.number = rng.randrange(1, 1000)
        if self.obstype == "BIAS":
            self.exptime = "0.0"
        self.raw_name = f"{self.number:04d}_{self.target}_{self.start:%d-%m-%Y}.fits"
        self.night = f"{self.start - dt.timedelta(hours=12):%Y%m%d}"  # SOAR names a night by its evening

    def cards(self) -> list[CardSpec]:
        """The keywords GSP Live promotes, in the order a Goodman header has them."""
        lamp_on = {"ARC": "LAMP_HGA", "FLAT": "LAMP_QUA"}.get(self.obstype)
        cards: list[CardSpec] = [
            ("OBSTYPE", self.obstype, "Observation type"),
            ("OBJECT", self.target, "Object name"),
            ("EXPTIME", CardText(self.exptime), "Exposure time (s)"),
            ("DATE", f"{self.start:%Y-%m-%d}", "Date the file was written (UTC)"),
            ("DATE-OBS", f"{self.start:%Y-%m-%dT%H:%M:%S}.{self.start.microsecond // 1000:03d}",
             "Start of the exposure (UTC)"),
            ("INSTRUME", f"GHTS_{self.camera.upper()}", "Instrument"),
            ("INSTCONF", self.camera, "Instrument configuration (camera)"),
            ("FILTER", "NO_FILTER", "Filter wheel 1"),
            ("FILTER2", "NO_FILTER", "Filter wheel 2"),
            ("GRATING", self.grating, "Grating"),
            ("SLIT", self.slit, "Slit mask"),
            ("WAVMODE", self.wavmode, "Wavelength mode"),
            ("CAM_TARG", CardText(self.cam_targ), "Camera target angle (deg)"),
            ("GRT_TARG", CardText(self.grt_targ), "Grating target angle (deg)"),
            ("ROI", "Spectroscopic 2x2", "Region of interest"),
            ("CCDSUM", "2 2", "CCD on-chip binning"),
            ("GAIN", CardText(self.gain), "Gain (e-/ADU)"),
            ("RDNOISE", CardText(self.rdnoise), "Read noise (e-)"),
            ("OBSRA", self.ra, "Target right ascension"),
            ("OBSDEC", self.dec, "Target declination"),
            ("AIRMASS", CardText(self.airmass), "Airmass at the start of the exposure"),
            ("SEEING", CardText("-1.00"), "Seeing (arcsec), -1 when unknown"),
        ]
        for lamp, name in LAMPS.items():
            cards.append((lamp, "TRUE" if lamp == lamp_on else "FALSE", f"{name} lamp state"))
            if lamp in ("LAMP_QUA", "LAMP_DOM"):
                percent = "80.0" if lamp == lamp_on else "0.0"
                cards.append((f"{lamp[:6]}PE", CardText(percent), f"{name} lamp intensity (%)"))
        cards += [("PROPID", self.proposal, "Proposal id"),
                  ("OBSID", self.ids[0], "Observation id"),
                  ("CONFID", self.ids[1], "Configuration id"),
                  ("BLKUID", self.ids[2], "Scheduler block id"),
                  ("IMAGEID", self.ids[3], "Image id")]
        return cards

    def telescope_cards(self) -> list[CardSpec]:
        rng = self.rng
        mjd = (self.start - dt.datetime(1858, 11, 17)).total_seconds() / 86400
        return [
            ("TELESCOP", "SOAR 4.1m", "Telescope"), ("OBSERVAT", "CTIO", "Observatory"),
            ("OBSERVER", "Remote observer", "Observer(s)"), ("OPERATOR", "SOAR operator", "Telescope operator"),
            ("OBSLAT", CardText("-30.2379"), "Observatory latitude (deg)"),
            ("OBSLONG", CardText("-70.7337"), "Observatory longitude (deg)"),
            ("OBSELEV", CardText("2738.0"), "Observatory elevation (m)"),
            ("TIMESYS", "UTC", "Time system"), ("UT", f"{self.start:%H:%M:%S}", "UTC at the start"),
            ("ST", f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}", "Sidereal time"),
            ("MJD-OBS", CardText(f"{mjd:.6f}"), "Modified Julian date at the start"),
            ("RA", self.ra, "Telescope right ascension"), ("DEC", self.dec, "Telescope declination"),
            ("EQUINOX", 2000.0, "Equinox of the coordinates"), ("EPOCH", 2000.0, "Epoch of the coordinates"),
            ("RADESYS", "FK5", "Coordinate reference frame"),
            ("HA", f"{rng.choice('+-')}0{rng.randrange(5)}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
             "Hour angle"),
            ("ZD", CardText(f"{rng.uniform(5, 60):.2f}"), "Zenith distance (deg)"),
            ("TELFOCUS", rng.randrange(2600, 3100), "Telescope focus (um)"),
            ("MOUNT_AZ", CardText(f"{rng.uniform(0, 360):.4f}"), "Mount azimuth (deg)"),
            ("MOUNT_EL", CardText(f"{rng.uniform(30, 85):.4f}"), "Mount elevation (deg)"),
            ("ROTANG", CardText(f"{rng.uniform(0, 180):.3f}"), "Rotator angle (deg)"),
            ("IPA", CardText(f"{rng.uniform(-180, 180):.3f}"), "Instrument position angle (deg)"),
            ("DOMEAZ", CardText(f"{rng.uniform(0, 360):.2f}"), "Dome azimuth (deg)"),
            ("M1TEMP", CardText(f"{rng.uniform(5, 15):.2f}"), "Primary mirror temperature (C)"),
            ("M2POS", CardText(f"{rng.uniform(-1, 1):.4f}"), "Secondary mirror position (mm)"),
            ("ADCSTAT", rng.choice(["IN", "OUT"]), "Atmospheric dispersion corrector"),
            ("GUIDER", "SOAR", "Guider in use"), ("GDRSTAT", "GUIDING", "Guider status"),
            ("GDRX", CardText(f"{rng.uniform(0, 1024):.2f}"), "Guide star x (pixel)"),
            ("GDRY", CardText(f"{rng.uniform(0, 1024):.2f}"), "Guide star y (pixel)"),
            ("ENVTEM", CardText(f"{rng.uniform(2, 20):.1f}"), "Ambient temperature (C)"),
            ("ENVHUM", CardText(f"{rng.uniform(5, 80):.1f}"), "Relative humidity (%)"),
            ("ENVPRE", CardText(f"{rng.uniform(735, 750):.1f}"), "Atmospheric pressure (mb)"),
            ("ENVWIN", CardText(f"{rng.uniform(0, 40):.1f}"), "Wind speed (km/h)"),
            ("ENVDIR", CardText(f"{rng.uniform(0, 360):.1f}"), "Wind direction (deg)"),
            ("DEWPOINT", CardText(f"{rng.uniform(-20, 5):.1f}"), "Dew point (C)"),
        ]

    def detector_cards(self) -> list[CardSpec]:
        rng = self.rng
        detector = "e2v 231-84" if self.camera == "Red" else "Fairchild 4096x4096"
        return [
            ("DETECTOR", detector, "Detector"), ("CCDNAME", f"{self.camera}Cam", "CCD name"),
            ("DETSIZE", "[1:4096,1:4096]", "Detector size"), ("CCDSIZE", "[1:4096,1:4096]", "CCD size"),
            ("DATASEC", "[26:2071,1:448]", "Data section"), ("TRIMSEC", "[26:2071,1:448]", "Trim section"),
            ("BIASSEC", "[2072:2096,1:448]", "Overscan section"), ("CCDSEC", "[1:4096,1:896]", "CCD section"),
            ("DETSEC", "[1:4096,1:896]", "Detector section"), ("AMPSEC", "[1:4096,1:896]", "Amplifier section"),
            ("PIXSIZE1", 15.0, "Pixel size, axis 1 (um)"), ("PIXSIZE2", 15.0, "Pixel size, axis 2 (um)"),
            ("PIXSCAL1", CardText("0.15"), "Plate scale, axis 1 (arcsec/pixel)"),
            ("PIXSCAL2", CardText("0.15"), "Plate scale, axis 2 (arcsec/pixel)"),
            ("CCDTEMP", CardText(f"{rng.uniform(-125, -115):.2f}"), "CCD temperature (C)"),
            ("CCDHEAT", CardText(f"{rng.uniform(0, 5):.2f}"), "CCD heater power (%)"),
            ("RDRATE", 200, "Readout rate (kHz)"), ("NAMPS", 1, "Number of amplifiers"),
            ("AMPLIST", "ul", "Amplifiers read"), ("SHUTTER", "CLOSED", "Shutter state at the end"),
            ("EXPSTART", f"{self.start:%H:%M:%S.%f}"[:12], "Exposure start (UTC)"),
            ("CAM_ANG", CardText(self.cam_targ), "Camera angle (deg)"),
            ("GRT_ANG", CardText(self.grt_targ), "Grating angle (deg)"),
            ("COLLFOC", CardText(f"{rng.uniform(-2, 2):.3f}"), "Collimator focus (mm)"),
            ("CAMFOC", CardText(f"{rng.uniform(-2, 2):.3f}"), "Camera focus (mm)"),
            ("ADCANG", CardText(f"{rng.uniform(0, 90):.2f}"), "ADC prism angle (deg)"),
            ("TARGNAME", self.target, "Scheduler target name"), ("PIID", "pi@example.org", "PI contact"),
            ("REQNUM", rng.randrange(10**5, 10**6), "Scheduler request number"),
            ("SOFTVER", "2.3.4", "Acquisition software version"),
        ]

    def wcs_cards(self) -> list[CardSpec]:
        return [
            ("WCSDIM", 2, "WCS dimensionality"), ("CTYPE1", "PIXEL", "Axis 1 type"),
            ("CTYPE2", "PIXEL", "Axis 2 type"), ("CRVAL1", 1.0, ""), ("CRVAL2", 1.0, ""),
            ("CRPIX1", 1.0, ""), ("CRPIX2", 1.0, ""), ("CD1_1", 1.0, ""), ("CD1_2", 0.0, ""),
            ("CD2_1", 0.0, ""), ("CD2_2", 1.0, ""), ("LTM1_1", CardText("0.5"), "Binning transform"),
            ("LTM2_2", CardText("0.5"), "Binning transform"), ("LTV1", 0.0, ""), ("LTV2", 0.0, ""),
            ("BUNIT", "ADU", "Data units"),
        ]

    def history_cards(self) -> list[CardSpec]:
        return [
            ("COMMENT", "  FITS (Flexible Image Transport System) format is defined in 'Astronomy", ""),
            ("COMMENT", "  and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H", ""),
            ("HISTORY", f"Acquired by the Goodman data acquisition system on {self.start:%Y-%m-%d}", ""),
            ("HISTORY", "Telescope and environment keywords merged from the TCS", ""),
            ("HISTORY", "Scheduler keywords merged from the observation portal", ""),
            ("COMMENT", "Lamp states are reported as the strings TRUE and FALSE", ""),
        ]

    def controller_cards(self, count: int) -> list[CardSpec]:
        """The camera controller's numbered parameters, which make up much of a real header's length."""
        rng = self.rng
        names = ["Exposure mode", "Readout speed", "Pre-amp gain", "Clock voltage", "Serial phase",
                 "Parallel phase", "Integration time", "Clamp level", "Offset", "Heater set point"]
        return [(f"PARAM{number}", rng.choice([rng.randrange(1000), float(f"{rng.uniform(0, 100):.3f}")]),
                 names[number % len(names)]) for number in range(max(count, 0))]


def _pipeline_cards(observation: _Observation, level: int, *, realistic: bool) -> list[CardSpec]:
    """The provenance cards the Goodman pipeline's read_fits/write_fits leave at each reduction level."""
    if level == 0:
        return []
    raw = observation.raw_name
    names = {1: (f"master_flat_{observation.camera}_{observation.wavmode}_{observation.night}.fits", "combined"),
             2: (f"cfzst_{raw}", raw), 3: (f"ecfzst_{raw}", f"cfzst_{raw}"), 4: (f"wecfzst_{raw}", f"ecfzst_{raw}")}
    file_name, parent = names[level]
    cards: list[CardSpec] = []
    if realistic:
        cards.append(("", "-- Goodman Spectroscopic Pipeline --", ""))
    cards += [("GSP_VERS", "1.3.6", "Goodman Spectroscopic Pipeline Version"),
              ("GSP_ONAM", raw, "Original file name"),
              ("GSP_PNAM", parent, "Parent file name"),
              ("GSP_FNAM", file_name, "Current file name"),
              ("GSP_PATH", f"{observation.night}/RED", "Location at moment of reduce")]
    if level >= 3:
        cards.append(("GSP_EXTR", "1043.81:1053.81", "Extraction window at first column"))
    if level == 4:
        cards += [("GSP_FUNC", "Chebyshev1D", "Mathematical model of the wavelength solution"),
                  ("GSP_WRMS", 0.2213, "Wavelength solution RMS Error"),
                  ("GSP_WPOI", 32, "Number of points used to calculate wavelength solution"),
                  ("GSP_WREJ", 3, "Number of points rejected")]
    if realistic:
        # read_fits writes 'none' placeholders for every step not done yet.
        placeholders = ["GSP_OVER", "GSP_TRIM", "GSP_SLIT", "GSP_BIAS", "GSP_FLAT", "GSP_NORM", "GSP_COSM"]
        if level < 4:
            placeholders += ["GSP_WRMS", "GSP_WPOI", "GSP_WREJ"]
        cards += [("GSP_TECH", "Spectroscopy", "Observing technique"),
                  ("GSP_DATE", f"{observation.start + dt.timedelta(days=1):%Y-%m-%d}", "Processing date")]
        cards += [(keyword, "none", "") for keyword in placeholders]
        cards.append(("", "-- GSP END --", ""))
    return cards
