"""The building blocks on their own: field splitting against Python's csv module, and the two ways of
decoding ``histo`` against each other."""

from __future__ import annotations

import csv
import itertools
import json

import numpy as np
import pytest

from sciplane_histograms_csv.errors import RowError
from sciplane_histograms_csv.fields import split_fields
from sciplane_histograms_csv.histo import _decode_any_spelling, bin_contents, decode_histo


def every_line(alphabet: str, longest: int):
    for length in range(1, longest + 1):
        for letters in itertools.product(alphabet, repeat=length):
            yield "".join(letters)


def test_splitting_agrees_with_the_csv_module_on_every_short_line():
    # Every line of up to 7 characters over the characters that matter, malformed quoting included:
    # the splitter is meant to read a line exactly as csv.reader does in its default dialect.
    for line in every_line('a,"', 7):
        expected = next(csv.reader([line]))
        assert split_fields(line.encode()) == [field.encode() for field in expected], line


def test_an_empty_line_is_one_empty_field():
    assert split_fields(b"") == [b""]


def test_the_histo_field_of_a_real_row():
    line = b'315488,229,name,3,"[0, 1, 2]",3,99.5,-0.5,1'
    assert split_fields(line) == [b"315488", b"229", b"name", b"3", b"[0, 1, 2]", b"3", b"99.5", b"-0.5", b"1"]


def test_fast_and_careful_decoding_agree():
    rng = np.random.default_rng(3)
    for size in (0, 1, 5, 102, 5000):
        values = np.concatenate([rng.integers(-10**6, 10**6, size), rng.normal(0, 1e9, size)])
        text = json.dumps(values.tolist()).encode()
        fast = decode_histo(text)
        assert fast.dtype == np.float64 and fast.ndim == 1
        np.testing.assert_array_equal(fast, values)
        np.testing.assert_array_equal(_decode_any_spelling(text), values)


@pytest.mark.parametrize("text", [b"[1, 2", b"[[1], [2]]", b"[1, 2]x", b"[1 x]"])
def test_bad_lists_raise_bad_json(text):
    with pytest.raises(RowError) as caught:
        decode_histo(text)
    assert caught.value.code == "bad_json"


def test_bin_contents_cuts_the_flows_and_keeps_c_order():
    values = np.arange(20, dtype=np.float64)
    assert bin_contents(values, 18).tolist() == list(range(1, 19))
    assert bin_contents(values, 20).tolist() == list(range(20))
    cut = bin_contents(values, 3, 2)
    assert cut.tolist() == [[6, 7, 8], [11, 12, 13]] and cut.flags.c_contiguous
    assert bin_contents(values, 5, 4).shape == (4, 5)


@pytest.mark.parametrize(("x_bins", "y_bins", "message"), [
    (17, None, "histo has 20 values; expected 19 (Xbins+2) or 17 (Xbins)"),
    (3, 3, "histo has 20 values; expected 25 ((Xbins+2)*(Ybins+2)) or 9 (Xbins*Ybins)"),
])
def test_bin_contents_names_both_lengths_it_would_accept(x_bins, y_bins, message):
    with pytest.raises(RowError) as caught:
        bin_contents(np.zeros(20), x_bins, y_bins)
    assert (caught.value.code, caught.value.message) == ("bad_length", message)
