"""Text fields checked as DRF's ``CharField`` checks them, in its words.

PostgreSQL's text cannot hold a NUL character (the driver refuses the statement), so one is refused here,
as DRF refuses it, before any statement runs; on SQLite the answer is the same.
"""

from __future__ import annotations

NUL_MESSAGE = "Null characters are not allowed."


def text_problem(value: str, limit: int | None = None) -> str | None:
    """DRF's message for a string it would refuse, or None."""
    if "\x00" in value:
        return NUL_MESSAGE
    if limit is not None and len(value) > limit:
        return f"Ensure this field has no more than {limit} characters."
    return None
