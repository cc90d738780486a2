"""Goodman identification and promoted columns (spec §9.5; scenarios 32, 39, 40, 41, 47)."""

from __future__ import annotations

import datetime as dt

import pytest

from sciplane_dataproducts.fits import goodman
from sciplane_dataproducts.fits.header import read_header
from sciplane_dataproducts.models import Product
from sciplane_dataproducts.samples import CardText, goodman_fits

RAW_NAME = "0308_J0220-7022_06-09-2021.fits"


def columns(**options) -> dict:
    """The promoted columns of a generated file; ``file_name`` etc. pass through to ``extract``."""
    passed = {key: options.pop(key) for key in ("file_name", "directory_name", "explicit_level") if key in options}
    return goodman.extract(read_header(goodman_fits(**options)), **passed)


def test_the_record_of_spec_8_2():
    assert columns(file_name=RAW_NAME, directory_name="20210907/RAW") == {
        "instrument": "goodman",
        "obstype": "SPECTRUM", "object": "J0220-7022", "filter": "NO_FILTER", "filter_2": "NO_FILTER",
        "grating": "400_SYZY", "slit": "1.0_LONG_SLIT", "roi": "Spectroscopic 2x2", "wavmode": "400_M1",
        "camera": "Red", "binning": "2 2", "proposal_id": "SOAR2021B-001",
        "obsra": "02:20:09.010", "obsdec": "-70:22:30.439",
        "cam_targ": 11.6, "grt_targ": 5.8, "gain": 1.48, "rdnoise": 3.89, "airmass": 1.31, "exptime": 1800.0,
        "seeing": -1.0,
        "card_text": {"cam_targ": "11.6", "grt_targ": "5.8", "gain": "1.48", "rdnoise": "3.89", "airmass": "1.31",
                      "exptime": "1800.0", "seeing": "-1.00", "lamp_quartz_percent": "0.0",
                      "lamp_dome_percent": "0.0"},
        "lamps": {"lamp_hg_ar": False, "lamp_ne": False, "lamp_ar": False, "lamp_fe_he_ar": False,
                  "lamp_cu_he_ar": False, "lamp_quartz": False, "lamp_bulb": False, "lamp_dome": False,
                  "lamp_quartz_percent": 0.0, "lamp_dome_percent": 0.0},
        "observation_id": 6520948, "configuration_id": 381840141, "block_id": 284101165, "image_id": 73825,
        "date": dt.date(2021, 9, 6), "date_time": dt.datetime(2021, 9, 6, 7, 50, 11, 467000),
        "normalized": False, "reduction_level": 0, "technique": "Spectroscopy", "saturation_value": 69257,
        "file_name": RAW_NAME, "directory_name": "20210907/RAW",
        "parent_file_name": RAW_NAME, "original_file_name": RAW_NAME,
    }


def test_columns_are_catalogue_columns():
    product_columns = set(Product._meta.fields)
    assert set(columns()) - {"file_name"} <= product_columns


# --- identification ------------------------------------------------------------------------------------------

def test_identify_needs_every_identifying_keyword():
    parsed = read_header(goodman_fits())
    assert goodman.identify(parsed, "x.fits") == "goodman"
    assert goodman.identify(parsed.header, "x.fits") == "goodman"
    assert goodman.identify(parsed.cards, None) == "goodman"
    assert goodman.identify({keyword: 1 for keyword in goodman.IDENTIFYING_KEYWORDS}) == "goodman"
    assert goodman.identify(read_header(goodman_fits(drop=["INSTCONF", "WAVMODE", "ROI"])), "x.fits") is None
    assert goodman.identify(read_header(goodman_fits(drop=["FILTER2"]))) is None
    assert goodman.identify(None, "photometry.csv") is None


def test_a_header_that_is_not_goodman_still_gives_what_it_has():
    promoted = columns(drop=["INSTCONF", "WAVMODE", "ROI"])
    assert promoted["instrument"] is None
    assert (promoted["camera"], promoted["wavmode"], promoted["roi"]) == (None, None, None)
    assert promoted["saturation_value"] is None and promoted["gain"] == 1.48


# --- reduction level (scenario 40) -------------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "explicit", "expected"), [
    ({}, None, 0),                                                        # no GSP_FNAM: untouched by the pipeline
    ({"level": "combined"}, None, 1),                                     # GSP_PNAM = combined
    ({"level": 1}, None, 1),
    ({"extra_cards": {"GSP_FNAM": "cfzst_x.fits"}}, None, 2),             # GSP_FNAM only
    ({"level": 2}, None, 2),
    ({"level": 3}, None, 3),                                              # GSP_EXTR
    ({"level": 4}, None, 4),                                              # GSP_WRMS (and GSP_FUNC)
    ({"level": 4, "drop": ["GSP_FUNC"]}, None, 4),
    ({"level": 4, "drop": ["GSP_WRMS"]}, None, 4),
    ({"extra_cards": {"RLEVEL": 62}}, None, 2),                           # LCO-style level
    ({"level": 4, "extra_cards": {"RLEVEL": 60}}, None, 0),
    ({}, 5, 5),                                                           # explicit data_type
    ({"level": 4}, 0, 0),
])
def test_level_rules(options, explicit, expected):
    assert goodman.level(read_header(goodman_fits(**options)), explicit) == expected
    assert columns(explicit_level=explicit, **options)["reduction_level"] == expected


def test_pipeline_placeholders_are_not_provenance():
    """read_fits writes 'none' for the steps not yet run; they must not raise the level."""
    assert goodman.level(read_header(goodman_fits(level=2, realistic=True))) == 2
    assert goodman.level(read_header(goodman_fits(level=2, extra_cards={"GSP_WRMS": "none", "GSP_EXTR": " "}))) == 2
    assert goodman.level(read_header(goodman_fits(extra_cards={"GSP_FNAM": "none"}))) == 0


def test_rlevel_outside_the_goodman_range_falls_through():
    assert goodman.level(read_header(goodman_fits(level=3, extra_cards={"RLEVEL": 91}))) == 3
    assert goodman.level(read_header(goodman_fits(extra_cards={"RLEVEL": 11}))) == 0


def test_explicit_level_out_of_range_is_refused():
    with pytest.raises(ValueError, match="0 to 5"):
        goodman.level(read_header(goodman_fits()), 6)


# --- technique (scenario 41) --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "expected"), [
    ({"roi": "Spectroscopic 2x2"}, "Spectroscopy"),
    ({"obstype": "EXPOSE", "slit": "<NO MASK>", "grating": "<NO GRATING>", "wavmode": "IMAGING"}, "Imaging"),
    ({"obstype": "BIAS", "roi": "user-defined"}, "Unknown"),
    ({"obstype": "COMP", "slit": "NO_MASK", "grating": "NO_GRATING"}, "Spectroscopy"),
    ({"slit": "1.0_LONG_SLIT"}, "Spectroscopy"),
    ({"grating": "400_SYZY", "roi": "Imaging 1x1"}, "Spectroscopy"),
    ({"object_name": "AEON_SP_target"}, "Spectroscopy"),
    ({"object_name": "AEON_IM_target", "slit": "NO_MASK"}, "Imaging"),
    ({"roi": "Imaging 2x2", "grating": "NO_GRATING"}, "Imaging"),
    ({}, "Unknown"),
])
def test_technique(fields, expected):
    assert goodman.technique(**fields) == expected


def test_technique_from_headers():
    assert columns()["technique"] == "Spectroscopy"
    imaging = {"OBSTYPE": "EXPOSE", "SLIT": "<NO MASK>", "GRATING": "<NO GRATING>", "WAVMODE": "IMAGING",
               "ROI": "Imaging 2x2"}
    assert columns(extra_cards=imaging)["technique"] == "Imaging"
    unknown = columns(extra_cards={"OBSTYPE": "BIAS", "ROI": "user-defined"}, drop=["SLIT", "GRATING"])
    assert unknown["technique"] == "Unknown"


# --- saturation -------------------------------------------------------------------------------------------------------

def test_saturation_of_the_fixtures():
    assert columns(camera="Red")["saturation_value"] == 69257
    assert columns(camera="Blue")["saturation_value"] == 49928
    assert columns(camera="Red", extra_cards={"GAIN": CardText("1.480")})["saturation_value"] == 69257
    assert columns(camera="Red", extra_cards={"GAIN": CardText("1.49")})["saturation_value"] is None


@pytest.mark.parametrize(("camera", "gain", "rdnoise", "expected"), [
    ("Blue", 0.25, 3.33, 279600), ("Blue", 5.67, 8.62, 12328), ("Blue", 1.4, 4.74, 49928),
    ("Red", 1.54, 3.45, 66558), ("Red", 1.45, 5.27, 69728), ("Red", 3.78, 8.99, 27188),
    ("Red", 1.4801, 3.8899, 69257), ("RED", 1.48, 3.89, 69257),
    ("Red", 1.4, 4.74, None), ("Green", 1.48, 3.89, None), (None, 1.48, 3.89, None), ("Red", None, 3.89, None),
])
def test_saturation_table(camera, gain, rdnoise, expected):
    assert goodman.saturation(camera, gain, rdnoise) == expected


# --- values -----------------------------------------------------------------------------------------------------------

def test_decimals_keep_their_card_text():
    promoted = columns(camera="Blue")
    assert (promoted["gain"], promoted["rdnoise"], promoted["seeing"]) == (1.4, 4.74, -1.0)
    assert promoted["card_text"]["gain"] == "1.4" and promoted["card_text"]["seeing"] == "-1.00"


def test_decimals_written_as_strings_are_read_as_numbers():
    promoted = columns(extra_cards={"GAIN": " 1.48 ", "AIRMASS": "n/a", "SEEING": True})
    assert promoted["gain"] == 1.48 and promoted["card_text"]["gain"] == "1.48"
    assert promoted["airmass"] is None and "airmass" not in promoted["card_text"]
    assert promoted["seeing"] is None


def test_lamps():
    promoted = columns(extra_cards={"LAMP_NE": "TRUE", "LAMP_AR": True, "LAMP_CU": "maybe",
                                    "LAMP_QPE": CardText("35.5")}, drop=["LAMP_DOM", "LAMP_DPE"])
    lamps = promoted["lamps"]
    states = (lamps["lamp_ne"], lamps["lamp_ar"], lamps["lamp_cu_he_ar"], lamps["lamp_hg_ar"])
    assert states == (True, True, None, False)
    assert lamps["lamp_dome"] is None and lamps["lamp_dome_percent"] is None
    assert lamps["lamp_quartz_percent"] == 35.5 and promoted["card_text"]["lamp_quartz_percent"] == "35.5"
    assert "lamp_dome_percent" not in promoted["card_text"]


@pytest.mark.parametrize(("value", "expected"), [
    (73825, 73825), (73825.0, 73825), (" 73825 ", 73825), ("7.3825E4", 73825), (1.5, None), ("abc", None),
    (True, None), (None, None), (CardText("123456789012345678901234"), None),
])
def test_ids_are_integers_or_none(value, expected):
    assert columns(extra_cards={"IMAGEID": value})["image_id"] == expected


def test_missing_keywords_give_none():
    promoted = columns(drop=["OBJECT", "GAIN", "OBSID", "DATE", "DATE-OBS", "LAMP_HGA", "PROPID"])
    assert promoted["object"] is None and promoted["gain"] is None and "gain" not in promoted["card_text"]
    assert promoted["observation_id"] is None and promoted["proposal_id"] is None
    assert promoted["date"] is None and promoted["date_time"] is None
    assert promoted["lamps"]["lamp_hg_ar"] is None
    assert promoted["saturation_value"] is None


def test_strings_are_trimmed_and_cut_to_their_column():
    promoted = columns(extra_cards={"OBJECT": "  NGC 300   ", "FILTER": "", "OBSRA": "02:20:09.0100000000000001"})
    assert promoted["object"] == "NGC 300"
    assert promoted["filter"] is None
    assert promoted["obsra"] == "02:20:09.01000000000"


def test_coordinates_fall_back_to_the_telescope_pointing():
    promoted = columns(drop=["OBSRA", "OBSDEC"], extra_cards={"RA": "10:00:00.0", "DEC": "-20:00:00.0"})
    assert (promoted["obsra"], promoted["obsdec"]) == ("10:00:00.0", "-20:00:00.0")


@pytest.mark.parametrize(("cards", "drop", "date", "date_time"), [
    ({}, [], dt.date(2021, 9, 6), dt.datetime(2021, 9, 6, 7, 50, 11, 467000)),
    ({}, ["DATE"], dt.date(2021, 9, 6), dt.datetime(2021, 9, 6, 7, 50, 11, 467000)),
    ({"DATE": "2021-09-07T01:02:03"}, [], dt.date(2021, 9, 7), dt.datetime(2021, 9, 6, 7, 50, 11, 467000)),
    ({"DATE": "06/09/21"}, [], dt.date(2021, 9, 6), dt.datetime(2021, 9, 6, 7, 50, 11, 467000)),
    ({"DATE-OBS": "2021-09-06T04:50:11-03:00"}, ["DATE"], dt.date(2021, 9, 6), dt.datetime(2021, 9, 6, 7, 50, 11)),
    ({"DATE-OBS": "2021-09-06T07:50:11Z"}, [], dt.date(2021, 9, 6), dt.datetime(2021, 9, 6, 7, 50, 11)),
    ({"DATE-OBS": "yesterday"}, ["DATE"], None, None),
])
def test_dates(cards, drop, date, date_time):
    promoted = columns(extra_cards=cards, drop=drop)
    assert promoted["date"] == date
    assert promoted["date_time"] == date_time and (date_time is None or promoted["date_time"].tzinfo is None)


@pytest.mark.parametrize(("value", "expected"), [("simple", True), ("none", False), ("", False), (None, False)])
def test_normalized(value, expected):
    extra = {} if value is None else {"GSP_NORM": value}
    assert columns(level=1, extra_cards=extra)["normalized"] is expected


# --- names and lineage (scenario 39) ---------------------------------------------------------------------------------

def test_raw_file_is_its_own_parent_and_original():
    promoted = columns(file_name="upload.fits")
    assert (promoted["file_name"], promoted["parent_file_name"], promoted["original_file_name"]) == \
           ("upload.fits", "upload.fits", "upload.fits")
    assert promoted["directory_name"] is None


def test_master_calibration_has_combined_as_parent():
    promoted = columns(level="combined")
    assert promoted["parent_file_name"] == "combined"
    assert promoted["original_file_name"] == promoted["file_name"] == "master_flat_Red_400_M1_20210905.fits"
    assert promoted["directory_name"] == "20210905/RED"


def test_derived_file_names_its_parent_and_original():
    promoted = columns(level=3)
    assert promoted["file_name"] == f"ecfzst_{RAW_NAME}"
    assert promoted["parent_file_name"] == f"cfzst_{RAW_NAME}"
    assert promoted["original_file_name"] == RAW_NAME
    given = columns(level=3, file_name=" mine.fits ", directory_name="2021/RED")
    assert (given["file_name"], given["directory_name"]) == ("mine.fits", "2021/RED")


# --- tolerance and hooks (scenarios 24, 47) -------------------------------------------------------------------------

def test_noncompliant_header_without_end_is_still_promoted():
    assert columns(noncompliant=True, with_end=False) == columns()


def test_realistic_headers_promote_the_same_columns():
    assert columns(realistic=True) == columns()
    varied = columns(realistic=True, seed=42, level=2)
    assert varied["instrument"] == "goodman" and varied["reduction_level"] == 2
    assert varied["file_name"].startswith("cfzst_") and varied["saturation_value"] is not None


def test_extract_takes_the_astropy_header_a_hook_receives():
    parsed = read_header(goodman_fits(level=4, realistic=True, seed=3))
    assert goodman.extract(parsed.header) == goodman.extract(parsed)
