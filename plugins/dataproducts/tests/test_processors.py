"""The built-in processors as pure functions (spec §9.3): bytes in, datums out, no database."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc

import numpy as np
import orjson
import pytest
from astropy.io import fits

from sciplane_dataproducts.api import Datum, ProcessingError
from sciplane_dataproducts.processors.photometry import read_photometry
from sciplane_dataproducts.processors.spectroscopy import read_spectrum

UTC = dt.UTC
NO_SPECTRUM = "Spectroscopy file has no 'wavelength' and 'flux' columns."
UPLOADED_AT = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
LIGHT_CURVE = (b"time,filter,magnitude,error\n"
               b"55959.07,r,15.582,0.005\n"
               b"55960.07,V,15.676,0.007\n"
               b"55960.07,r,15.676,0.007\n")


def photometry(content: bytes | str) -> list[Datum]:
    return list(read_photometry(io.BytesIO(content.encode() if isinstance(content, str) else content)))


def photometry_error(content: bytes | str) -> str:
    with pytest.raises(ProcessingError) as caught:
        photometry(content)
    return caught.value.message


def spectrum(content: bytes | str, instrument: str | None = None) -> Datum:
    data = content.encode() if isinstance(content, str) else content
    return read_spectrum(io.BytesIO(data), instrument=instrument, uploaded_at=UPLOADED_AT)


def spectrum_error(content: bytes | str) -> str:
    with pytest.raises(ProcessingError) as caught:
        spectrum(content)
    return caught.value.message


def fits_bytes(data: np.ndarray | None, extension: np.ndarray | None = None, **cards) -> bytes:
    """A FITS file with ``data`` in the primary HDU (cards in its header), or ``extension`` in an image HDU."""
    hdus = [fits.PrimaryHDU(data)]
    if extension is not None:
        hdus.append(fits.ImageHDU(extension))
    hdus[-1].header.update(cards)
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    return buffer.getvalue()


def linear_spectrum(data: np.ndarray, **cards) -> bytes:
    return fits_bytes(data, **{"CRVAL1": 4000, "CDELT1": 2, "CRPIX1": 1, **cards})


# Photometry: layouts


def test_tom_light_curve():
    datums = photometry(LIGHT_CURVE)

    assert len(datums) == 3
    expected = [dt.datetime(2012, 2, 2, 1, 40, 48, tzinfo=UTC), dt.datetime(2012, 2, 3, 1, 40, 48, tzinfo=UTC),
                dt.datetime(2012, 2, 3, 1, 40, 48, tzinfo=UTC)]
    for datum, moment in zip(datums, expected, strict=True):
        assert datum.timestamp.tzinfo is not None
        assert abs(datum.timestamp - moment) < dt.timedelta(milliseconds=1)
        assert set(datum.value) == {"time", "filter", "magnitude", "error"}
        assert (datum.source_name, datum.source_location) == ("", "")
    assert datums[0].value == {"time": 55959.07, "filter": "r", "magnitude": 15.582, "error": 0.005}
    assert datums[1].value["filter"] == "V"


def test_timestamp_has_microsecond_resolution():
    # 1 s after midnight, written with the rounding error of a day fraction, lands on the second.
    (datum,) = photometry("time\n59000.0000115740740740\n")

    assert datum.timestamp == dt.datetime(2020, 5, 31, 0, 0, 1, tzinfo=UTC)
    assert datum.timestamp.microsecond == 0


def test_tab_separated():
    (datum,) = photometry("time\tfilter\tmagnitude\terror\n55959.07\tg\t15.5\t0.01\n")

    assert datum.value == {"time": 55959.07, "filter": "g", "magnitude": 15.5, "error": 0.01}


def test_atlas_whitespace_table_with_commented_header():
    content = ("# ATLAS forced photometry\n"
               "###MJD          m      dm   uJy   duJy F err\n"
               "59000.123456  17.512  0.021  355  7 o 0\n"
               "\n"
               "# a later comment\n"
               "   59001.5   17.4   0.02   390   8 c 0\n")

    datums = photometry(content)

    assert [datum.value for datum in datums] == [
        {"time": 59000.123456, "magnitude": 17.512, "error": 0.021, "uJy": 355, "duJy": 7, "filter": "o", "err": 0},
        {"time": 59001.5, "magnitude": 17.4, "error": 0.02, "uJy": 390, "duJy": 8, "filter": "c", "err": 0},
    ]
    assert datums[1].timestamp == dt.datetime(2020, 6, 1, 12, tzinfo=UTC)


def test_comments_before_and_after_the_header():
    content = "\n# source: survey X, release 2\n#   \ntime,mag\n# 55000,1\n55959.07,15.5\n"

    assert [datum.value for datum in photometry(content)] == [{"time": 55959.07, "magnitude": 15.5}]


def test_commented_header_with_comma():
    assert photometry("# MJD, mag\n55959.07,15.5\n")[0].value == {"time": 55959.07, "magnitude": 15.5}


def test_aliases_are_case_insensitive():
    (datum,) = photometry("MJD,Band,Mag,Mag_Err,Notes\n55959.07,r,15.5,0.01,ok\n")

    assert datum.value == {"time": 55959.07, "filter": "r", "magnitude": 15.5, "error": 0.01, "Notes": "ok"}


def test_tom_key_wins_over_its_alias():
    (datum,) = photometry("m,time,MJD,magnitude,dm,error,F\n1,55959.07,55958,15.5,0.1,0.01,g\n")

    assert datum.value == {"m": 1, "time": 55959.07, "MJD": 55958, "magnitude": 15.5, "dm": 0.1, "error": 0.01,
                           "filter": "g"}
    assert datum.timestamp.date() == dt.date(2012, 2, 2)


def test_source_column_becomes_source_name():
    (datum,) = photometry("time,Source,mag\n55959.07, ZTF ,15.5\n")

    assert datum.source_name == "ZTF"
    assert datum.value == {"time": 55959.07, "magnitude": 15.5}


def test_empty_nan_and_infinite_cells_are_omitted():
    content = "time,filter,magnitude,error,flux,limit\n55959.07,,NaN,  ,inf,-Infinity\n55960.07,r,nan,-inf,+inf,17\n"

    assert [datum.value for datum in photometry(content)] == [{"time": 55959.07},
                                                                {"time": 55960.07, "filter": "r", "limit": 17}]


def test_numbers_keep_their_written_kind():
    header = "time,int,float,exp,neg,plus,frac,padded,date,separated"
    (datum,) = photometry(f"{header}\n55959,15,15.0,1e3,-2,+3,.5, 7 ,2012-02-02,1_000\n")

    assert datum.value == {"time": 55959, "int": 15, "float": 15.0, "exp": 1000.0, "neg": -2, "plus": 3,
                           "frac": 0.5, "padded": 7, "date": "2012-02-02", "separated": "1_000"}
    assert [type(datum.value[key]) for key in ("time", "int", "float", "exp")] == [int, int, float, float]


def test_integers_beyond_64_bits_stay_text():
    (datum,) = photometry("time,id\n55959.07,123456789012345678901234\n")

    assert datum.value["id"] == "123456789012345678901234"
    orjson.dumps(datum.value)


def test_quoted_cells_may_hold_commas_and_quotes():
    (datum,) = photometry('time,filter,"note, free"\n55959.07,"r, sloan","said ""hi"""\n')

    assert datum.value == {"time": 55959.07, "filter": "r, sloan", "note, free": 'said "hi"'}


def test_crlf_and_byte_order_mark():
    content = "\ufefftime,filter,magnitude\r\n55959.07,r,15.5\r\n\r\n55960.07,g,15.6\r\n".encode()

    assert [datum.value for datum in photometry(content)] == [{"time": 55959.07, "filter": "r", "magnitude": 15.5},
                                                                {"time": 55960.07, "filter": "g", "magnitude": 15.6}]


def test_short_rows_and_blank_rows():
    content = "time,filter,magnitude\n55959.07,r\n,,\n55960.07,g,15.6,extra\n"

    assert [datum.value for datum in photometry(content)] == [{"time": 55959.07, "filter": "r"},
                                                                {"time": 55960.07, "filter": "g", "magnitude": 15.6}]


def test_unnamed_and_repeated_columns_are_left_out():
    (datum,) = photometry("time,x,,x\n55959.07,1,2,3\n")

    assert datum.value == {"time": 55959.07, "x": 1}


def test_second_alias_keeps_its_name():
    (datum,) = photometry("time,mag,m\n55959.07,15.5,16\n")

    assert datum.value == {"time": 55959.07, "magnitude": 15.5, "m": 16}


def test_comment_naming_time_counts_as_header():
    # The rule of §9.3: a first '#' line that names a time column is the header, even if meant as prose.
    assert photometry_error("# time is MJD\ntime,mag\n55959.07,15\n") == \
        "Row 1: time value 'time,mag' is not a number."


def test_stream_is_read_from_its_position_and_left_open():
    stream = io.BytesIO(b"ignored prefix\n" + LIGHT_CURVE)
    stream.seek(len(b"ignored prefix\n"))

    assert len(list(read_photometry(stream))) == 3
    assert not stream.closed


def test_large_input_streams_with_bounded_memory():
    def peak(rows: int) -> int:
        body = "".join(f"{55000 + index / 1000:.6f},g,{15 + index % 100 / 100:.3f},0.01\n" for index in range(rows))
        stream = io.BytesIO(b"time,filter,magnitude,error\n" + body.encode())
        tracemalloc.start()
        try:
            count = sum(1 for _ in read_photometry(stream))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert count == rows

    small, large = peak(20_000), peak(200_000)

    assert large < small * 1.5 + 256 * 1024


# Photometry: errors


@pytest.mark.parametrize("content", [
    b"time,mag\n55959.07,15\x00.5\n",
    b"time,mag\n55959.07,\xff\xfe\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    fits_bytes(np.arange(10.0)),
    b"SIMPLE  =                    T / text after the signature",
], ids=["nul", "invalid-utf8", "png", "fits", "fits-signature"])
def test_binary_or_fits_input_is_unsupported(content):
    assert photometry_error(content) == "Unsupported file type"


def test_invalid_utf8_after_the_first_block_is_unsupported():
    content = LIGHT_CURVE + b"55961.07,r,15.5,0.01\n" * 10_000 + b"55962.07,\xe9,15.5,0.01\n"

    assert photometry_error(content) == "Unsupported file type"


@pytest.mark.parametrize("content", ["", "\n\n  \n", "# only\n# comments\n", "time,filter,magnitude,error\n",
                                     "time,mag\n# 55000,1\n\n", "a,b\n", "###mjd m\n"])
def test_no_data_rows(content):
    assert photometry_error(content) == "Empty table or invalid file type"


@pytest.mark.parametrize("content", ["filter,magnitude\nr,15.5\n", "# generated 2024\nepoch mag\n2012 15\n",
                                     "date,mag\n2012-02-02,15\n"])
def test_no_time_column(content):
    assert photometry_error(content) == "Photometry file has no 'time' column (MJD)."


@pytest.mark.parametrize(("content", "message"), [
    ("time,mag\n55959.07,1\n# comment\n\nyesterday,2\n", "Row 2: time value 'yesterday' is not a number."),
    ("time,mag\n,15.5\n", "Row 1: time value '' is not a number."),
    ("time,mag\nNaN,15.5\n", "Row 1: time value 'NaN' is not a number."),
    ("mag,time\n15.5\n", "Row 1: time value '' is not a number."),
    ("time\n1e9\n", "Row 1: time value '1e9' is out of range."),
])
def test_bad_time_values(content, message):
    assert photometry_error(content) == message


def test_errors_surface_while_consuming():
    datums = read_photometry(io.BytesIO(LIGHT_CURVE + b"later,r,15.5,0.01\n"))

    assert [next(datums) for _ in range(3)]
    with pytest.raises(ProcessingError, match="^Row 4: time value 'later' is not a number.$"):
        next(datums)


# Spectroscopy: FITS


def test_fits_1d_spectrum():
    flux = np.linspace(1.0, 2.0, 100, dtype=np.float32)

    datum = spectrum(linear_spectrum(flux))

    assert list(datum.value) == ["flux", "flux_units", "wavelength", "wavelength_units"]
    assert len(datum.value["flux"]) == len(datum.value["wavelength"]) == 100
    assert datum.value["wavelength"][0] == 4000 and datum.value["wavelength"][99] == 4198
    assert datum.value["wavelength_units"] == "Angstrom"
    assert datum.value["flux_units"] == "erg / (Angstrom s cm2)"
    assert datum.value["flux"] == pytest.approx(flux.tolist())
    assert all(type(value) is float for value in datum.value["flux"] + datum.value["wavelength"])
    assert (datum.timestamp, datum.source_name, datum.source_location) == (UPLOADED_AT, "DEFAULT", "")
    orjson.dumps(datum.value)


def test_fits_cd1_1_and_reference_pixel():
    datum = spectrum(fits_bytes(np.ones(5), CRVAL1=5000.0, CD1_1=0.5, CRPIX1=3))

    assert datum.value["wavelength"] == [4999.0, 4999.5, 5000.0, 5000.5, 5001.0]


def test_fits_cdelt1_wins_over_cd1_1():
    assert spectrum(fits_bytes(np.ones(2), CRVAL1=10, CDELT1=1, CD1_1=5)).value["wavelength"] == [10.0, 11.0]


def test_fits_2d_with_two_rows_uses_the_first():
    data = np.array([[1.0, 2.0, 3.0], [9.0, 9.0, 9.0]])

    datum = spectrum(linear_spectrum(data))

    assert datum.value["flux"] == [1.0, 2.0, 3.0]
    assert datum.value["wavelength"] == [4000.0, 4002.0, 4004.0]


def test_fits_3d_uses_first_plane_first_row():
    data = np.arange(4 * 2 * 6, dtype=np.float64).reshape(4, 2, 6)

    assert spectrum(linear_spectrum(data)).value["flux"] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_fits_image_is_not_a_spectrum():
    assert spectrum_error(linear_spectrum(np.zeros((8, 8)))) == NO_SPECTRUM


def test_fits_flux_in_the_first_image_extension():
    content = fits_bytes(None, extension=np.array([3, 4], dtype=np.int16), CRVAL1=1, CDELT1=1, BUNIT="Jy")

    datum = spectrum(content)

    assert datum.value["flux"] == [3.0, 4.0]
    assert datum.value["flux_units"] == "Jy"


def test_fits_units_from_header():
    datum = spectrum(linear_spectrum(np.ones(3), BUNIT="erg / (s cm2 nm)", CUNIT1="nm"))

    assert (datum.value["flux_units"], datum.value["wavelength_units"]) == ("erg / (s cm2 nm)", "nm")


@pytest.mark.parametrize("cards", [{"CDELT1": 2}, {"CRVAL1": 4000}, {"CRVAL1": 4000, "CDELT1": "two"}])
def test_fits_without_wavelength_solution(cards):
    assert spectrum_error(fits_bytes(np.ones(3), **cards)) == NO_SPECTRUM


def test_fits_without_any_array():
    assert spectrum_error(fits_bytes(None, CRVAL1=1, CDELT1=1)) == NO_SPECTRUM


@pytest.mark.parametrize(("cards", "expected"), [
    ({"DATE-OBS": "2012-02-02T01:40:48.5", "MJD-OBS": 50000.0}, dt.datetime(2012, 2, 2, 1, 40, 48, 500000, UTC)),
    ({"DATE-OBS": "2012-02-02T01:40:48+02:00"}, dt.datetime(2012, 2, 1, 23, 40, 48, tzinfo=UTC)),
    ({"MJD-OBS": 55959.07}, dt.datetime(2012, 2, 2, 1, 40, 48, tzinfo=UTC)),
    ({"DATE-OBS": "02/02/12", "MJD-OBS": 55959.5}, dt.datetime(2012, 2, 2, 12, tzinfo=UTC)),
    ({}, UPLOADED_AT),
])
def test_fits_observation_time(cards, expected):
    assert spectrum(linear_spectrum(np.ones(2), **cards)).timestamp == expected


def test_fits_observation_time_from_the_primary_header():
    content = fits_bytes(None, extension=np.ones(2), CRVAL1=1, CDELT1=1)
    with fits.open(io.BytesIO(content)) as hdus:
        hdus[0].header["DATE-OBS"] = "2020-01-02T03:04:05"
        buffer = io.BytesIO()
        hdus.writeto(buffer)

    assert spectrum(buffer.getvalue()).timestamp == dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_fits_source_name_is_the_instrument():
    assert spectrum(linear_spectrum(np.ones(2)), instrument="goodman").source_name == "goodman"


def test_fits_non_finite_flux_is_null():
    datum = spectrum(linear_spectrum(np.array([1.0, np.nan, np.inf, -np.inf, 2.0])))

    assert datum.value["flux"] == [1.0, None, None, None, 2.0]
    assert orjson.dumps(datum.value["flux"]) == b"[1.0,null,null,null,2.0]"


def test_fits_stream_is_left_open():
    stream = io.BytesIO(linear_spectrum(np.ones(2)))

    read_spectrum(stream, instrument=None, uploaded_at=UPLOADED_AT)

    assert not stream.closed


@pytest.mark.filterwarnings("ignore::astropy.utils.exceptions.AstropyUserWarning")
def test_damaged_fits():
    assert spectrum_error(b"SIMPLE  =                    T" + b"\x00" * 100) == "Unreadable FITS file."


# Spectroscopy: text tables


def test_csv_spectrum_with_keywords():
    content = ("# DATE-OBS: 2012-02-02T01:40:48.25Z\n"
               "# FACILITY: LCO: FLOYDS\n"
               "Wavelength,FLUX\n"
               "4000,1.5\n"
               "4002.5,nan\n"
               "4005,\n"
               "4007.5,2\n")

    datum = spectrum(content, instrument="ignored")

    assert datum.timestamp == dt.datetime(2012, 2, 2, 1, 40, 48, 250000, tzinfo=UTC)
    assert datum.source_name == "LCO: FLOYDS"
    assert datum.value == {"flux": [1.5, None, None, 2.0], "flux_units": "erg / (Angstrom s cm2)",
                           "wavelength": [4000.0, 4002.5, 4005.0, 4007.5], "wavelength_units": "Angstrom"}
    assert all(type(value) is float for value in datum.value["wavelength"])


def test_csv_spectrum_defaults():
    datum = spectrum("wavelength flux\n4000 1\n", instrument="floyds")

    assert (datum.timestamp, datum.source_name) == (UPLOADED_AT, "floyds")
    assert spectrum("wavelength\tflux\n4000\t1\n").source_name == "DEFAULT"


def test_light_curve_is_not_a_spectrum():
    assert spectrum_error(LIGHT_CURVE) == NO_SPECTRUM


@pytest.mark.parametrize(("content", "message"), [
    ("wavelength,flux\n", "Empty table or invalid file type"),
    ("", "Empty table or invalid file type"),
    ("wavelength,flux\n4000,1\nblue,2\n", "Row 2: wavelength value 'blue' is not a number."),
    ("wavelength,flux\n4000,bright\n", "Row 1: flux value 'bright' is not a number."),
    (b"\x00\x01\x02", "Unsupported file type"),
])
def test_csv_spectrum_errors(content, message):
    assert spectrum_error(content) == message
