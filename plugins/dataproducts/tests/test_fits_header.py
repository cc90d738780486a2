"""Primary-header reading (spec §9.4): card order and types, value text, tolerance, and agreement with astropy."""

from __future__ import annotations

import gzip
import io
import warnings

import numpy as np
import pytest
from astropy.io import fits

from sciplane_dataproducts.fits import goodman
from sciplane_dataproducts.fits.header import BLOCK_LENGTH, ParsedHeader, is_fits, read_header
from sciplane_dataproducts.samples import CardText, card_image, fits_bytes, goodman_fits, spectrum_fits


def _header_only(*cards, with_end: bool = True) -> bytes:
    return fits_bytes([("SIMPLE", True, "conforms to FITS standard"), ("BITPIX", 8, ""), ("NAXIS", 0, ""),
                       *cards], with_end=with_end)


def _astropy_cards(data: bytes) -> list[fits.Card]:
    """astropy's reading of every card before END, leaving out the ones that are not ASCII (it cannot)."""
    text = data[:data.index(b"END" + b" " * 77)].decode("latin-1")
    images = [text[start:start + 80] for start in range(0, len(text), 80)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        header = fits.Header.fromstring("".join(image for image in images if image.isascii()))
        cards = list(header.cards)
        for card in cards:
            card.verify("silentfix")
    return cards


def _value_field(image: str) -> str:
    return image.partition("=")[2].partition("/")[0].strip()


# --- signature ---------------------------------------------------------------------------------------------

def test_signature_is_simple_with_t_in_column_30():
    assert is_fits(goodman_fits())
    assert is_fits(spectrum_fits())
    assert not is_fits(card_image("SIMPLE", False).encode())
    assert not is_fits(b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n")
    assert not is_fits(b"SIMPLE  =")
    assert not is_fits(b"")


@pytest.mark.parametrize("head", [b"", b"time,filter\n1,r\n", gzip.compress(goodman_fits()), b"\0" * 2880])
def test_non_fits_input_gives_none(head):
    assert read_header(head) is None


# --- cards ---------------------------------------------------------------------------------------------------

def test_cards_come_in_file_order_with_json_types():
    parsed = read_header(goodman_fits())
    assert parsed.complete and parsed.dropped == []
    assert parsed.cards[:4] == [["SIMPLE", True, "conforms to FITS standard", None],
                                ["BITPIX", 16, "array data type", "16"],
                                ["NAXIS", 2, "number of array dimensions", "2"],
                                ["NAXIS1", 2, "", "2"]]
    keywords = [card[0] for card in parsed.cards]
    assert keywords.index("OBSTYPE") < keywords.index("GAIN") < keywords.index("IMAGEID")
    assert len(keywords) == len(_astropy_cards(goodman_fits()))
    by_keyword = {card[0]: card for card in parsed.cards}
    assert by_keyword["OBJECT"] == ["OBJECT", "J0220-7022", "Object name", None]
    assert by_keyword["LAMP_HGA"][1] == "FALSE"
    assert by_keyword["OBSID"][1:] == [6520948, "Observation id", "6520948"]
    assert type(by_keyword["EXPTIME"][1]) is float


@pytest.mark.parametrize(("keyword", "value", "text"), [
    ("GAIN", 1.48, "1.48"), ("RDNOISE", 3.89, "3.89"), ("SEEING", -1.0, "-1.00"), ("EXPTIME", 1800.0, "1800.0"),
    ("LAMP_QPE", 0.0, "0.0"), ("CAM_TARG", 11.6, "11.6"), ("AIRMASS", 1.31, "1.31"),
])
def test_numeric_cards_keep_their_text(keyword, value, text):
    parsed = read_header(goodman_fits())
    assert parsed.value(keyword) == value
    assert parsed.text(keyword) == text


def test_lookups_are_case_insensitive_and_take_the_first_card():
    parsed = read_header(_header_only(("OBJECT", "first", ""), ("OBJECT", "second", "")))
    assert "object" in parsed and "OBJECT" in parsed and "NOPE" not in parsed
    assert parsed.value("object") == "first"
    assert parsed.value("NOPE", "default") == "default"
    assert parsed.text("OBJECT") is None and parsed.text("NOPE") is None
    assert len(parsed) == 5


def test_commentary_cards_keep_their_text():
    data = _header_only(("COMMENT", "  free text / with a slash", ""), ("HISTORY", "reduced", ""),
                        ("", "-- Goodman Spectroscopic Pipeline --", ""), "NOEQUALS   no value indicator")
    assert read_header(data).cards[3:] == [["COMMENT", "  free text / with a slash", "", None],
                                           ["HISTORY", "reduced", "", None],
                                           ["", "-- Goodman Spectroscopic Pipeline --", "", None],
                                           ["NOEQUALS", "   no value indicator", "", None]]


def test_strings_undefined_and_unrepresentable_values():
    data = _header_only(("QUOTED", "it's", "a quote"), ("PADDED", "  lead", ""), ("EMPTY", "", ""),
                        ("UNDEF", None, "no value"), card_image("HUGE", CardText("1E999")),
                        card_image("BIGINT", CardText("123456789012345678901234")),
                        card_image("DEXP", CardText("1.5D+3")), card_image("SIGNED", CardText("+.5E3")))
    cards = {card[0]: card for card in read_header(data).cards}
    assert cards["QUOTED"] == ["QUOTED", "it's", "a quote", None]
    assert cards["PADDED"][1] == "  lead"  # leading spaces are significant in FITS strings, trailing ones not
    assert cards["EMPTY"][1] == ""
    assert cards["UNDEF"] == ["UNDEF", None, "no value", None]
    assert cards["HUGE"][1:] == [None, "", None]
    assert cards["BIGINT"][1:] == [pytest.approx(1.2345678901234568e23), "", "123456789012345678901234"]  # > 64 bits
    assert cards["DEXP"][1:] == [1500.0, "", "1.5D+3"]
    assert cards["SIGNED"][1:] == [500.0, "", "+.5E3"]


def test_long_strings_are_joined_from_continue_cards():
    images = [f"LONGSTR = '{'a' * 67}&'", "CONTINUE  'bbbb&'", "CONTINUE  'cc' / the comment"]
    parsed = read_header(_header_only(*[image.ljust(80) for image in images], ("AFTER", 1, "")))
    assert parsed.cards[3] == ["LONGSTR", "a" * 67 + "bbbbcc", "the comment", None]
    assert parsed.cards[4][0] == "AFTER"


# --- tolerance -------------------------------------------------------------------------------------------------

def test_missing_end_is_accepted_and_padding_and_data_are_not_cards():
    with_end, without_end = read_header(goodman_fits()), read_header(goodman_fits(with_end=False))
    assert with_end.complete and not without_end.complete
    assert without_end.cards == with_end.cards


def test_noncompliant_cards_are_repaired_or_dropped_and_the_rest_kept():
    compliant = read_header(goodman_fits())
    parsed = read_header(goodman_fits(noncompliant=True, with_end=False))
    cards = {card[0]: card for card in parsed.cards}
    assert cards["LAMP_HGA"][1] == "FALSE"  # bare word FALSE, repaired to a string
    assert cards["COLTEMP"][1:] == [8.25, "collimator temperature (lower-case keyword)", "8.25"]
    assert "ENVTEMP" not in cards and len(parsed.dropped) == 1 and "ENVTEMP" in parsed.dropped[0]
    assert [card for card in parsed.cards if card[0] not in ("COLTEMP", "LAMP_HGA")] == \
           [card for card in compliant.cards if card[0] != "LAMP_HGA"]
    assert parsed.header["LAMP_HGA"] == "FALSE" and "ENVTEMP" not in parsed.header


def test_truncated_header_keeps_the_whole_cards():
    data = goodman_fits()
    parsed = read_header(data[:10 * 80 + 37])
    assert not parsed.complete
    assert parsed.cards == read_header(data).cards[:10]


def test_garbage_after_a_lost_end_card_stops_the_parse():
    data = _header_only(("OBJECT", "x", ""), with_end=False) + bytes(range(128, 256)) * 100
    parsed = read_header(data)
    assert [card[0] for card in parsed.cards] == ["SIMPLE", "BITPIX", "NAXIS", "OBJECT"]
    assert len(parsed.dropped) <= BLOCK_LENGTH // 80


def test_no_warning_escapes_and_filters_are_left_as_they_were():
    filters = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = read_header(goodman_fits(noncompliant=True, with_end=False))
        assert parsed.header["COLTEMP"] == 8.25
        ParsedHeader.from_astropy(parsed.header)
    assert caught == []
    assert warnings.filters == filters


# --- the astropy header ------------------------------------------------------------------------------------------

def test_astropy_header_is_built_only_when_asked(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the astropy header was built")

    data = goodman_fits(realistic=True, level=3)
    with monkeypatch.context() as patch:
        patch.setattr(fits.Header, "fromstring", refuse)
        parsed = read_header(data)
        columns = goodman.extract(parsed, file_name=None, directory_name=None, explicit_level=None)
    assert columns["gain"] == 1.48
    header = parsed.header
    assert isinstance(header, fits.Header) and header is parsed.header
    assert header["GAIN"] == 1.48 and "-1.00" in header.cards["SEEING"].image
    assert list(header.keys()) == [card[0] for card in parsed.cards]


def test_from_astropy_reads_a_hook_header():
    header = read_header(goodman_fits(realistic=True)).header
    parsed = ParsedHeader.from_astropy(header)
    assert parsed.header is header
    assert parsed.cards == read_header(goodman_fits(realistic=True)).cards


# --- agreement with astropy --------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"realistic": True}, {"realistic": True, "camera": "Blue", "level": 4, "seed": 7},
    {"realistic": True, "level": "combined", "seed": 11}, {"realistic": True, "level": 3, "seed": 12345},
    {"noncompliant": True},
])
def test_every_card_agrees_with_astropy(options):
    data = goodman_fits(**options)
    parsed = read_header(data)
    expected = _astropy_cards(data)
    assert len(parsed.cards) == len(expected) >= (280 if options.get("realistic") else 40)
    for (keyword, value, comment, text), card in zip(parsed.cards, expected, strict=True):
        assert keyword == card.keyword
        assert comment == card.comment, keyword
        reference = None if isinstance(card.value, fits.card.Undefined) else card.value
        assert value == reference and type(value) is type(reference), keyword
        if isinstance(reference, int | float) and not isinstance(reference, bool):
            assert text == _value_field(card.image), keyword
        else:
            assert text is None, keyword


# --- the generator -----------------------------------------------------------------------------------------------

def test_generated_files_are_valid_fits_and_deterministic():
    data = goodman_fits(realistic=True, level=2, seed=3, data_shape=(3, 5))
    assert data == goodman_fits(realistic=True, level=2, seed=3, data_shape=(3, 5))
    assert data != goodman_fits(realistic=True, level=2, seed=4, data_shape=(3, 5))
    assert len(data) % BLOCK_LENGTH == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a compliant file opens without a single warning
        with fits.open(io.BytesIO(data)) as hdus:
            assert hdus[0].data.shape == (3, 5)
            assert len(hdus[0].header) == 280
            assert hdus[0].header["GSP_FNAM"].startswith("cfzst_")


def test_extra_cards_replace_in_place_or_append_and_drop_removes():
    parsed = read_header(goodman_fits(extra_cards={"GAIN": CardText("1.480"), "RLEVEL": 62, "OBJECT": None},
                                      drop=["WAVMODE", "ROI"]))
    keywords = [card[0] for card in parsed.cards]
    assert "WAVMODE" not in keywords and "ROI" not in keywords
    assert keywords[-1] == "RLEVEL" and parsed.value("RLEVEL") == 62
    assert parsed.text("GAIN") == "1.480"
    assert keywords.index("GAIN") == [card[0] for card in read_header(goodman_fits()).cards].index("GAIN") - 2
    assert parsed.value("OBJECT") is None and "OBJECT" in parsed


def test_spectrum_file_has_a_linear_wavelength_solution():
    data = spectrum_fits(**{"DATE-OBS": "2021-09-06T07:50:11"})
    with fits.open(io.BytesIO(data)) as hdus:
        header, flux = hdus[0].header, hdus[0].data
    assert flux.shape == (100,) and flux.dtype == np.dtype(">f4")
    assert (header["CRVAL1"], header["CDELT1"], header["CRPIX1"]) == (4000.0, 2.0, 1.0)
    assert header["DATE-OBS"] == "2021-09-06T07:50:11" and "CUNIT1" not in header
