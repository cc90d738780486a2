"""The row-level failure shared by the modules that read one row."""

from __future__ import annotations


class RowError(Exception):
    """A problem that spoils one row only: the parser reports it as an ``EntryError`` and goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
