"""The primary header of a FITS file, read from the upload's leading bytes (spec §9.4).

Standard fixed-format cards are parsed here: astropy's card parsing costs tens of microseconds a card,
which alone would overrun the 2 ms budget of a 280-card header (§13).  Every card this parser does not
recognise goes to astropy, the authority on odd cards: it repairs what it can, and a card it cannot repair
is dropped.  The ``astropy.io.fits.Header`` that third-party hooks receive is built only when one asks.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

from astropy.io import fits

CARD_LENGTH = 80
BLOCK_LENGTH = 2880
SIGNATURE = b"SIMPLE  ="
COMMENTARY_KEYWORDS = frozenset({"", "COMMENT", "HISTORY"})

# An aligned card whose keyword field is END; the bytes after END are not checked (astropy does not either).
_END_CARD = b"END     "
# A value card in fixed format, from the keyword to the end of the card.  The caller has checked that
# columns 9-10 hold "= ", so a keyword matched here ends in column 8.  Lower-case exponents, complex
# numbers and unterminated strings are left to astropy, which repairs them.
_VALUE_CARD = re.compile(
    r"[A-Z0-9_-]+ *= *"
    r"(?:'(?P<string>(?:[^']|'')*)'"
    r"|(?P<logical>[TF])"
    r"|(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[DE][+-]?\d+)?)"
    r")? *"
    r"(?:/ *(?P<comment>.*))?"
)
_KEYWORD = re.compile(r"[A-Z0-9_-]*")
# Keywords whose cards carry their value past column 10 (long strings, ESO's long keywords).
_INDICATOR_ELSEWHERE = frozenset({"CONTINUE", "HIERARCH"})
_INT64 = range(-(2**63), 2**63)

Card = list  # [keyword, value, comment, value_text]


def is_fits(head: bytes) -> bool:
    """True when the first 30 bytes are a FITS primary header's ``SIMPLE  =`` card with ``T`` in column 30."""
    return head[:9] == SIGNATURE and head[29:30] == b"T"


class ParsedHeader:
    """The cards of a primary header in file order, with keyword look-ups (the first card of a keyword wins,
    as in astropy) and the ``astropy.io.fits.Header`` built on first access."""

    __slots__ = ("cards", "complete", "dropped", "_images", "_index", "_header")

    def __init__(self, cards: list[Card], images: list[str], *, complete: bool, dropped: list[str]) -> None:
        self.cards = cards  # [[keyword, value, comment, value_text], …]
        self.complete = complete  # the END card was found
        self.dropped = dropped  # images of the cards astropy could not repair
        self._images = images  # each kept card's image (repaired where astropy repaired it)
        self._index: dict[str, int] = {}
        for position, card in enumerate(cards):
            self._index.setdefault(card[0], position)
        self._header: fits.Header | None = None

    @classmethod
    def from_astropy(cls, header: fits.Header) -> ParsedHeader:
        """The cards of a header a hook already holds, keeping that header as ``.header``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = header.tostring(endcard=False, padding=False)
        parsed = _parse_cards(text, complete=True)
        parsed._header = header
        return parsed

    @property
    def header(self) -> fits.Header:
        if self._header is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._header = fits.Header.fromstring("".join(self._images))
        return self._header

    def __contains__(self, keyword: object) -> bool:
        return isinstance(keyword, str) and keyword.upper() in self._index

    def __len__(self) -> int:
        return len(self.cards)

    def value(self, keyword: str, default: Any = None) -> Any:
        """The JSON-typed value of the keyword's first card; ``default`` when there is no such card."""
        position = self._index.get(keyword.upper())
        return default if position is None else self.cards[position][1]

    def text(self, keyword: str) -> str | None:
        """The value as written in the keyword's first card (numbers only), e.g. ``"-1.00"``."""
        position = self._index.get(keyword.upper())
        return None if position is None else self.cards[position][3]


def read_header(head: bytes) -> ParsedHeader | None:
    """The primary header in ``head`` (the leading bytes of a file), or None when it is not FITS.

    Parsing stops at END.  Without END it takes every whole card up to the first binary (NUL) byte, and
    leaves out the blank cards that pad the last block.
    """
    if not is_fits(head):
        return None
    end = head.find(_END_CARD)
    while end != -1 and end % CARD_LENGTH:
        end = head.find(_END_CARD, end + 1)
    complete = end != -1
    limit = end if complete else len(head) - len(head) % CARD_LENGTH
    # Latin-1 maps every byte to one character, so cards stay 80 characters long whatever they hold.
    return _parse_cards(bytes(head[:limit]).decode("latin-1"), complete=complete)


def _parse_cards(text: str, *, complete: bool) -> ParsedHeader:
    cards: list[Card] = []
    images: list[str] = []
    dropped: list[str] = []
    clean = text.isascii() and text.isprintable()
    value_card = _VALUE_CARD.fullmatch
    size, position, unreadable_run = len(text), 0, 0
    while position + CARD_LENGTH <= size:
        image = text[position:position + CARD_LENGTH]
        position += CARD_LENGTH
        keyword = image[:8].rstrip()
        card: Card | None = None
        repairable = True
        if not clean and not (image.isascii() and image.isprintable()):
            if "\x00" in image:
                break  # binary data or zero padding: a header that lost its END card ends here
            repairable = False  # cards are printable ASCII; astropy cannot repair one that is not
        elif image[8:10] != "= " or keyword in COMMENTARY_KEYWORDS:
            if keyword not in _INDICATOR_ELSEWHERE and _KEYWORD.fullmatch(keyword):
                # No value indicator: commentary text, as the standard reads any keyword without "= ".
                card = [keyword, image[8:].rstrip(), "", None]
        elif (match := value_card(image)) is not None:
            string = match["string"]
            if string is None:
                card = _typed_card(keyword, match["logical"], match["number"], match["comment"])
            elif not string.endswith("&") or text[position:position + 8] != "CONTINUE":
                comment = match["comment"]
                card = [keyword, string.replace("''", "'").rstrip(), comment.rstrip() if comment else "", None]
            else:
                # A long string carried on by CONTINUE cards: astropy joins them into one card.
                while text[position:position + 8] == "CONTINUE":
                    image += text[position:position + CARD_LENGTH]
                    position += CARD_LENGTH
        if card is None:
            repaired = _astropy_card(image) if repairable else None
            if repaired is None:
                dropped.append(image)
                unreadable_run += 1
                if not complete and unreadable_run == BLOCK_LENGTH // CARD_LENGTH:
                    break  # a whole block of garbage and no END ahead: whatever follows is not a header
                continue
            card, image = repaired
        unreadable_run = 0
        cards.append(card)
        images.append(image)
    if not complete:
        while cards and cards[-1] == ["", "", "", None]:
            cards.pop()
            images.pop()
    return ParsedHeader(cards, images, complete=complete, dropped=dropped)


def _typed_card(keyword: str, logical: str | None, number: str | None, comment: str | None) -> Card:
    comment = comment.rstrip() if comment else ""
    if logical is not None:
        return [keyword, logical == "T", comment, None]
    if number is None:
        return [keyword, None, comment, None]  # an undefined value
    if "." in number or "E" in number or "D" in number:
        value = _json_number(float(number.replace("D", "E")))
    else:
        value = _json_number(int(number))
    return [keyword, value, comment, None if value is None else number]


def _json_number(value: int | float) -> int | float | None:
    """JSON-safe: non-finite floats become None, integers beyond 64 bits become floats."""
    if isinstance(value, int):
        if value in _INT64:
            return value
        try:
            value = float(value)
        except OverflowError:
            return None
    return value if math.isfinite(value) else None


def _astropy_card(image: str) -> tuple[Card, str] | None:
    """The card as astropy reads it after a silent repair, with its repaired image; None if unrepairable."""
    # catch_warnings swaps the process-wide filters while it is active; only odd cards come this way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            card = fits.Card.fromstring(image)
            card.verify("silentfix")
            keyword, value, comment, fixed = card.keyword, card.value, card.comment, card.image
        except Exception:  # astropy reports an unrepairable card with VerifyError, ValueError and others
            return None
    if not (_KEYWORD.fullmatch(keyword) or image.startswith("HIERARCH ")):
        return None  # astropy keeps a card with an illegal keyword as "invalid" without complaint
    value_text = None
    if isinstance(value, fits.card.Undefined):
        value = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = _json_number(value)
        if value is not None:
            value_text = fixed.partition("=")[2].partition("/")[0].strip()
    elif not isinstance(value, bool | str):
        value = fixed.partition("=")[2].partition("/")[0].strip()  # complex numbers: kept as written
    return [keyword, value, comment, value_text], fixed
