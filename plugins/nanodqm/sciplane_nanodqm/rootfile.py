"""Opening the caller's stream as a ROOT file with uproot, without taking ownership of the stream."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import uproot

from sciplane import ParseError
from sciplane.storage import BorrowedStream


def reason(exc: BaseException) -> str:
    """An uproot error's message on one line, without the lines naming the stream object (an address, which means
    nothing to whoever reads a job's error)."""
    lines = [line.strip() for line in str(exc).splitlines()]
    text = " ".join(line for line in lines if line and not line.startswith(("in file", "for file path")))
    return text or type(exc).__name__


@contextmanager
def open_root(stream: IO[bytes]) -> Iterator[uproot.ReadOnlyDirectory]:
    """The root directory of the file in ``stream``; anything uproot cannot open is ``not_root``.

    No array cache (memory must follow the basket being read, not the file) and no reader thread (a thread per
    call buys nothing for one sequential reader).
    """
    try:
        directory = uproot.open(BorrowedStream(stream), array_cache=None, use_threads=False)
    except Exception as exc:  # uproot signals a bad header with several exception types
        raise ParseError("not_root", f"the file cannot be read as ROOT: {reason(exc)}") from None
    try:
        yield directory
    finally:
        directory.file.close()
