"""Splitting one CSV line into its raw field values (RFC 4180 quoting, one line per row).

The standard ``csv`` module is not used: it works on ``str`` only and refuses fields above a
process-wide size limit (128 KiB by default), while a 2D ``histo`` field reaches several hundred
KiB; raising that limit would change global state from inside a parser.

Malformed quoting is read the way Python's ``csv`` module reads it in its default, non-strict mode,
so no extra error code is needed: a quote inside an unquoted field is an ordinary character, text
between a closing quote and the next comma is appended to the field, and a quoted field left open
runs to the end of the line (a quoted field never spans lines).  The resulting field count or
values then tell what is wrong with the row.
"""

from __future__ import annotations

QUOTE = b'"'
COMMA = b","


def split_fields(line: bytes) -> list[bytes]:
    """The field values of ``line``, with quotes removed and doubled quotes undone."""
    quotes = line.count(QUOTE)
    if quotes == 0:
        return line.split(COMMA)
    if quotes == 2:  # the shape of every real row: a single quoted field, the ``histo`` list
        head, quoted, tail = line.split(QUOTE)
        if (not head or head.endswith(COMMA)) and (not tail or tail.startswith(COMMA)):
            fields = head.split(COMMA)  # its last piece is the empty slot where the quoted field sits
            fields[-1] = quoted
            if tail:
                fields += tail.split(COMMA)[1:]  # the first piece is the empty text before the comma
            return fields
    return _split_field_by_field(line)


def _split_field_by_field(line: bytes) -> list[bytes]:
    fields = []
    start = 0
    while True:
        if line.startswith(QUOTE, start):
            value, start = _quoted_value(line, start + 1)
        else:
            value = b""
        stop = line.find(COMMA, start)
        if stop < 0:
            stop = len(line)
        fields.append(value + line[start:stop])
        if stop == len(line):
            return fields
        start = stop + 1


def _quoted_value(line: bytes, start: int) -> tuple[bytes, int]:
    """The content of a quoted field opened just before ``start``, and the position after it closes."""
    parts = []
    while True:
        quote = line.find(QUOTE, start)
        if quote < 0:  # never closed: the field takes the rest of the line
            parts.append(line[start:])
            return QUOTE.join(parts), len(line)
        parts.append(line[start:quote])
        if not line.startswith(QUOTE, quote + 1):
            return QUOTE.join(parts), quote + 1
        start = quote + 2  # a doubled quote stands for one literal quote
