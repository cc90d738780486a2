"""``<piov>`` objects as JSON text, in chunks, for the streamed nested views.

A nested view of a large global tag holds hundreds of thousands of IOVs.
On PostgreSQL the database renders each object (one text per IOV, read as
bytes without decoding), so the worker only joins and sends; for a large
tag a companion backend on the same snapshot renders every other list, so
both cores work on one response.  SQLite's rows are rendered in Python.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

from sciplane import Snapshot, database, is_postgres
from sciplane.db import run_prepared
from sciplane.media import dumps, loads

from .. import render
from ..points import MIN
from . import reads

CHUNK = reads.CHUNK
# Below this many IOVs a second connection costs more than it saves.
COMPANION_MIN_IOVS = 50_000
AHEAD = 4  # chunks the companion may render ahead of the response: bounds memory
# Companion connections are opened outside the pool: at most this many at once per worker process, so a
# burst of large nested views cannot use up PostgreSQL's connections (the others render on one connection).
COMPANIONS = threading.BoundedSemaphore(2)


def _json_string(column: str) -> str:
    return f"to_json({column})::text"


# The reference's ``comb_iov``, exact: the common case as text, negative coordinates in numeric.
# right() of a zero-padded string costs less per row than lpad(); a non-negative int64 has at most 19 digits.
_COMB = ("CASE WHEN major_iov >= 0 AND minor_iov >= 0 THEN concat(major_iov, '.', "
         "right('0000000000000000000' || minor_iov, 19)) "
         "ELSE concat(CASE WHEN {v} < 0 THEN '-' END, div(abs({v}), 10000000000000000000), '.', "
         "lpad(mod(abs({v}), 10000000000000000000)::text, 19, '0')) END"
         ).format(v="(major_iov::numeric * 10000000000000000000 + minor_iov)")
# One concat() call: much cheaper per row than a chain of ``||``.  Keys in render.piov_tuple's order.
_OBJECT = (f"""concat('{{"id":', id, ',"payload_url":', {_json_string('payload_url')}, """
           f"""',"checksum":', {_json_string('checksum')}, ',"major_iov":', major_iov, ',"minor_iov":', minor_iov, """
           f"""',"comb_iov":"', {_COMB}, '","major_iov_end":', major_iov_end, ',"minor_iov_end":', minor_iov_end, """
           f"""',"payload_list":', %s::text, ',"inserted":"', to_char(created, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '"}}')""")
_CHUNK_SQL = (f"SELECT {_OBJECT} FROM cond_payload_iov "
              "WHERE payload_list_id = %s AND (major_iov, minor_iov, id) > (%s, %s, %s) "
              "ORDER BY major_iov, minor_iov, id LIMIT %s")


def _bytes_cursor(connection):
    """A cursor that hands text columns back as bytes: the objects go to the socket as they are."""
    import psycopg2.extensions as extensions

    cursor = connection.cursor()
    extensions.register_type(extensions.BYTES, cursor)
    return cursor


def _rendered_chunks(cursor, list_id: int, list_name: str) -> Iterator[bytes]:
    name = dumps(list_name).decode()
    after = (MIN, MIN, MIN)
    while True:
        rows = run_prepared(cursor, "cond_iov_json", _CHUNK_SQL, (name, list_id, *after, CHUNK)).fetchall()
        if rows:
            yield b",".join([row[0] for row in rows])
        if len(rows) < CHUNK:
            return
        # The keyset position is read back from the last object rendered.
        last = loads(rows[-1][0])
        after = (last["major_iov"], last["minor_iov"], last["id"])


def list_chunks(list_id: int, list_name: str) -> Iterator[bytes]:
    """One list's ``<piov>`` objects in ``(major, minor, id)`` order, comma-separated, in chunks."""
    if not is_postgres():
        return (render.piov_json_chunk(rows, list_name) for rows in reads.iovs_of_list(list_id))
    return _rendered_chunks(_bytes_cursor(database.connection()), list_id, list_name)


def lists_chunks(lists: Iterable[tuple[int, str]], snapshot: Snapshot, iovs: int) -> Iterator[Iterator[bytes]]:
    """For each ``(id, name)`` in order, an iterator of that list's chunks (consume each before the next).

    With ``iovs`` (how many the lists hold) large enough, two threads render
    ahead of the response: the even lists on the request's connection, the
    odd ones on a companion connection, so both backends work all the time
    while the request's thread only sends.  The request's connection is the
    even thread's until the last list has been consumed.
    """
    lists = list(lists)
    if not is_postgres() or iovs < COMPANION_MIN_IOVS or len(lists) < 2 or not COMPANIONS.acquire(blocking=False):
        for list_id, name in lists:
            yield list_chunks(list_id, name)
        return
    try:
        with snapshot.companion() as companion, \
                _Ahead(_bytes_cursor(database.connection()), lists[0::2]) as even, \
                _Ahead(_bytes_cursor(companion), lists[1::2]) as odd:
            for index in range(len(lists)):
                yield (odd if index % 2 else even).next_list()
    finally:
        COMPANIONS.release()


_END = object()  # after the last chunk of each list


class _Ahead:
    """Renders lists on a thread, in order, at most ``AHEAD`` chunks ahead of their consumer."""

    def __init__(self, cursor, lists: list[tuple[int, str]]):
        self._queue: queue.Queue = queue.Queue(AHEAD)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._render, args=(cursor, lists), name="cond-iov-json",
                                        daemon=True)

    def __enter__(self) -> _Ahead:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # The consumer may stop early (a client gone away): unblock the thread, then wait for it.
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                pass
        return False

    def _render(self, cursor, lists: list[tuple[int, str]]) -> None:
        try:
            for list_id, name in lists:
                for chunk in _rendered_chunks(cursor, list_id, name):
                    if not self._put(chunk):
                        return
                if not self._put(_END):
                    return
        except Exception as exc:  # handed to the consumer, which raises it in the request's thread
            self._put(exc)

    def next_list(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            yield item
