"""Physical lines of a byte stream, read block by block.

A legacy CSV row never spans lines, so everything above this module works one line at a time.  The
reader splits whole blocks at ``\\n`` in C and hands the pieces out one by one; only a line that
crosses a block boundary is put together from parts.  Counting and skipping go through the same
scan but never join parts, which keeps ``count`` and ``parse(start=k)`` cheap on multi-GB files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

BOM = b"\xef\xbb\xbf"

# How much of an over-long line is kept: enough for the short fields (run, lumi, title) that come
# before ``histo`` in every header variant, so that the error can still name them.
OVERLONG_HEAD_BYTES = 8192


@dataclass(frozen=True)
class OverlongLine:
    """Stands in for a line longer than the reader's limit; only its first bytes are kept."""

    head: bytes
    size: int


def _is_blank(piece: bytes) -> bool:
    # bytes.isspace() stops at the first non-space byte, so a long data line costs almost nothing;
    # it is False for b"", hence the explicit emptiness test.
    return not piece or piece.isspace()


def _without_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line


class LineReader:
    """Hands out the non-blank lines of ``stream``; ``number`` is the physical number of the last one.

    Lines end in ``\\n``; a trailing ``\\r`` is dropped, a BOM at the very start of the stream is
    ignored and the last line may lack its terminator.  Blank (whitespace-only) lines are passed
    over but still advance the line number.  A line longer than ``max_line_bytes`` comes back as an
    :class:`OverlongLine`, so no more than that many bytes (plus one block) are ever held.
    """

    def __init__(self, stream: IO[bytes], *, block_size: int, max_line_bytes: int):
        self._stream = stream
        self._block_size = block_size
        self._max_line_bytes = max_line_bytes
        self.number = 0
        stream.seek(0)
        first = stream.read(block_size)
        self.empty = not first
        self._load(first.removeprefix(BOM))

    def _load(self, block: bytes) -> None:
        # Every piece but the last is a complete line; the last one continues in the next block.
        self._pieces = block.split(b"\n")
        self._next = 0

    def __iter__(self) -> Iterator[bytes | OverlongLine]:
        """The remaining non-blank lines, without their terminators."""
        limit = self._max_line_bytes
        while True:
            # Lines that lie inside the current block are handed out by this loop without a single
            # method call: it is the path almost every line of a 1D file takes.
            pieces = self._pieces
            for index in range(self._next, len(pieces) - 1):
                line = pieces[index]
                self._next = index + 1
                self.number += 1
                if len(line) > limit:
                    if not _is_blank(line):
                        yield OverlongLine(line[:OVERLONG_HEAD_BYTES], len(line))
                elif line and not line.isspace():  # _is_blank() and _without_cr(), spelt out for speed
                    yield line[:-1] if line.endswith(b"\r") else line
            found = self._spanning_line(keep=True)
            if found is None:
                return
            blank, line = found
            if not blank:
                yield line

    def next_line(self) -> bytes | OverlongLine | None:
        """The next non-blank line, or None when the stream is exhausted."""
        return next(iter(self), None)

    def skip(self, count: int | None = None) -> int:
        """Step over ``count`` non-blank lines (all of them when None) without keeping them.

        Returns how many were stepped over, which is less than ``count`` at the end of the stream.
        """
        skipped = 0
        while count is None or skipped < count:
            index = self._next
            if index < len(self._pieces) - 1:
                self._next = index + 1
                self.number += 1
                skipped += not _is_blank(self._pieces[index])
                continue
            found = self._spanning_line(keep=False)
            if found is None:
                break
            skipped += not found[0]
        return skipped

    def _spanning_line(self, keep: bool) -> tuple[bool, bytes | OverlongLine | None] | None:
        """``(blank, content)`` of a line that runs past the current block, or of the unterminated last
        line; None at the end of the stream.  ``content`` is None unless ``keep`` is true."""
        parts = [self._pieces[-1]]
        size = len(parts[0])
        blank = _is_blank(parts[0])
        while True:
            block = self._stream.read(self._block_size)
            if not block:
                self._load(b"")
                if size == 0:
                    return None
                break
            self._load(block)
            piece = self._pieces[0]
            size += len(piece)
            blank = blank and _is_blank(piece)
            if keep:
                parts.append(piece)
                if size > self._max_line_bytes:
                    # Past the limit only the head is worth keeping: drop the rest as it arrives.
                    parts = [b"".join(parts)[:OVERLONG_HEAD_BYTES]]
            if len(self._pieces) > 1:
                self._next = 1
                break
        self.number += 1
        if not keep:
            return blank, None
        if size > self._max_line_bytes:
            return blank, OverlongLine(parts[0][:OVERLONG_HEAD_BYTES], size)
        return blank, _without_cr(b"".join(parts))
