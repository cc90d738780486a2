"""Comparing the validators of two responses that describe one state."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime


def last_modified_agrees(first: str | None, later: str | None) -> bool:
    """Whether a later response's ``Last-Modified`` agrees with an earlier one's for the same state.

    ``sciplane.http`` announces the end of the last change's second, capped at the response's Date: in that
    second the header follows the clock, so a response that crossed into the next second announces that
    second instead.  One second later, and never anything else.
    """
    if first == later:
        return True
    if first is None or later is None:
        return False
    return parsedate_to_datetime(later) - parsedate_to_datetime(first) == dt.timedelta(seconds=1)
