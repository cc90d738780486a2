"""Opening the caller's stream as a ROOT file with uproot, without taking ownership of the stream."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import uproot

from sciplane import ParseError


class _BorrowedStream:
    """Gives uproot ``read`` and ``seek`` only.

    Closing an uproot file closes the object it was opened on, but the service owns the stream and seeks back
    to 0 between ``count`` and ``parse``; hiding ``close``/``__exit__`` keeps the stream usable.
    """

    def __init__(self, stream: IO[bytes]):
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


@contextmanager
def open_root(stream: IO[bytes]) -> Iterator[uproot.ReadOnlyDirectory]:
    """The root directory of the file in ``stream``; anything uproot cannot open is ``not_root``.

    No array cache (memory must follow the basket being read, not the file) and no reader thread (a thread per
    call buys nothing for one sequential reader).
    """
    try:
        directory = uproot.open(_BorrowedStream(stream), array_cache=None, use_threads=False)
    except Exception as exc:  # uproot signals a bad header with several exception types
        raise ParseError("not_root", f"the file cannot be read as ROOT: {exc}") from None
    try:
        yield directory
    finally:
        directory.file.close()
