"""Storing a processor's datums: chunked, de-duplicated by the unique key, counted (§10).

A processor's datums may be a generator of any length; they are taken ``chunk_rows`` at a time, so memory
stays bounded.  Each datum becomes a row keyed by (target, data type, timestamp in µs, SHA-256 of the
value's canonical JSON); a row whose key exists, in the table or earlier in the same upload, is skipped.
PostgreSQL: each chunk goes by COPY, straight into the table when none of its keys exists, else through a
staging table and ``INSERT … SELECT … ON CONFLICT DO NOTHING``, on a writer thread in the same
transaction; SQLite: one prepared ``INSERT … ON CONFLICT DO NOTHING`` per chunk.
Uploads only need the counts, so unlike the bulk datum POST no ids are looked up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import orjson
import peewee

from sciplane import Conflict, database, is_postgres, locked, utcnow
from sciplane.db import copy_text

from ..api import Datum, ProcessingError
from ..models import Product, Target
from ..wire.times import to_us

COLUMNS = ("target_id", "data_product_id", "data_type", "source_name", "source_location", "timestamp_us", "value",
           "value_hash", "created_by", "created")
NAMES = ", ".join(COLUMNS)
STAGE = "dp_datum_stage"
DATA_TYPE, SOURCE_NAME, SOURCE_LOCATION = 100, 100, 200  # column widths
CONFLICT = "ON CONFLICT (target_id, data_type, timestamp_us, value_hash) DO NOTHING"
COPY_READ = 1 << 20


@dataclass(frozen=True)
class Owner:
    """What every datum of one upload shares."""

    target_id: int
    product_id: int | None
    data_type: str
    created_by: int | None


def hold(targets: Iterable[int], products: Iterable[int] = ()) -> None:
    """Keep the targets and products datums are about to refer to until the commit, as foreign keys would
    (datums have none: checking each of a million rows costs a third of an ingest).  On PostgreSQL the targets
    are share-locked, so a delete (which locks them for update first) waits; the products are locked for the
    update of their datum count that follows (two share locks upgraded at once would deadlock), so writers to
    one product take turns.  On SQLite the caller's write transaction already excludes other writers.  One
    deleted since the caller checked it is a 409."""
    for model, wanted, mode in ((Target, set(targets), "FOR SHARE"), (Product, set(products), "FOR NO KEY UPDATE")):
        if not wanted:
            continue
        query = model.select(model.id).where(model.id.in_(sorted(wanted)))
        found = {ident for (ident,) in locked(query, mode).tuples()}
        if found != wanted:
            raise Conflict(f"{model.__name__} {min(wanted - found)} was deleted meanwhile.", code="deleted_meanwhile")


def count_datums(added: Mapping[int | None, int]) -> None:
    """Move each product's stored datum count by ``added[product id]`` (negative: removed), in one statement of
    the transaction that adds or removes them; datums without a product count nowhere."""
    changes = sorted((product, change) for product, change in added.items() if product is not None and change)
    if changes:
        step = peewee.Case(Product.id, changes, 0)
        Product.update(datum_count=Product.datum_count + step).where(
            Product.id.in_([product for product, _ in changes])).execute()


def canonical(value: dict) -> bytes:
    """The value's canonical JSON: keys sorted at every level, compact, shortest round-trip numbers."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def ingest(datums: Iterable[Datum], owner: Owner, chunk_rows: int) -> tuple[int, int]:
    """Store ``datums`` and count them on their product; returns (created, skipped)."""
    created, skipped = _ingest(datums, owner, chunk_rows)
    count_datums({owner.product_id: created})
    return created, skipped


def _ingest(datums: Iterable[Datum], owner: Owner, chunk_rows: int) -> tuple[int, int]:
    if len(owner.data_type) > DATA_TYPE:
        raise ProcessingError(f"A data type may have {DATA_TYPE} characters: {owner.data_type[:40]!r}.")
    iterator = iter(datums)
    stamp = utcnow()
    if not is_postgres(database):
        created = total = 0
        while chunk := list(itertools.islice(iterator, min(chunk_rows, 32766 // len(COLUMNS)))):
            created += _insert_chunk(chunk, owner, stamp)
            total += len(chunk)
        return created, total - created
    writer = _CopyWriter(database.connection())
    total = 0
    try:
        while chunk := list(itertools.islice(iterator, chunk_rows)):
            writer.submit(_copy_lines(chunk, owner, stamp))
            total += len(chunk)
    finally:
        created = writer.finish()
    return created, total - created


def _values(chunk: list[Datum]) -> Iterator[tuple[str, str, int, bytes, bytes]]:
    """(source name, source location, timestamp µs, canonical JSON, its SHA-256) per datum."""
    for datum in chunk:
        if not isinstance(datum, Datum) or not isinstance(datum.value, dict):
            raise TypeError(f"a processor yielded {datum!r}, not a Datum with a dict value")
        name, location = datum.source_name or "", datum.source_location or ""
        if len(name) > SOURCE_NAME or len(location) > SOURCE_LOCATION:  # the columns' widths, on both engines
            raise ProcessingError(f"A source name may have {SOURCE_NAME} characters and a source location "
                                  f"{SOURCE_LOCATION}: {name[:40]!r}, {location[:40]!r}.")
        text = canonical(datum.value)
        yield name, location, to_us(datum.timestamp), text, hashlib.sha256(text).digest()


def _insert_chunk(chunk: list[Datum], owner: Owner, stamp: dt.datetime) -> int:
    marks = ", ".join([database.param] * len(COLUMNS))
    cursor = database.cursor()
    cursor.executemany(f"INSERT INTO dp_datum ({NAMES}) VALUES ({marks}) {CONFLICT}", [
        (owner.target_id, owner.product_id, owner.data_type, name, location, ts, text.decode(), digest,
         owner.created_by, stamp) for name, location, ts, text, digest in _values(chunk)])
    return cursor.rowcount


def _copy_lines(chunk: list[Datum], owner: Owner, stamp: dt.datetime) -> tuple[str, int]:
    """A chunk in COPY's text format, and its row count."""
    shared = (f"{owner.target_id}\t{copy_text(owner.product_id)}\t{copy_text(owner.data_type)}\t",
              f"\t{copy_text(owner.created_by)}\t{copy_text(stamp)}\n")
    lines = "".join(
        f"{shared[0]}{copy_text(name)}\t{copy_text(location)}\t{ts}\t"
        f"{text.decode().replace(chr(92), chr(92) * 2)}\t\\\\x{digest.hex()}{shared[1]}"
        for name, location, ts, text, digest in _values(chunk))
    return lines, len(chunk)


class _CopyWriter:
    """Stores chunks on a thread of its own, in the caller's transaction (the same connection: the upload
    stays all or nothing), so the processor reads the next chunk while the database stores this one.

    A chunk is first copied straight into the table under a savepoint: the common case, a new light curve,
    costs one COPY.  A key stored already (a re-upload, an overlap) or repeated within the chunk aborts
    that COPY; the chunk then goes through a staging table and ``INSERT … ON CONFLICT DO NOTHING``, and so
    do the upload's later chunks (a file that repeats stored rows usually goes on repeating them).  One
    chunk is stored while the next is prepared, so memory stays at two chunks; a failure is raised to the
    caller at its next ``submit`` or at ``finish``.
    """

    def __init__(self, connection):
        self._connection = connection
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dp-ingest")
        self._pending: Future | None = None
        self._staged = False
        self.created = 0

    def submit(self, lines: tuple[str, int]) -> None:
        self._collect()
        self._pending = self._executor.submit(self._store, *lines)

    def finish(self) -> int:
        try:
            self._collect()
        finally:
            self._executor.shutdown()
        return self.created

    def _collect(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self.created += pending.result()

    def _store(self, lines: str, count: int) -> int:
        from psycopg2.errors import UniqueViolation  # the driver's own: copy_expert bypasses peewee's translation

        cursor = self._connection.cursor()
        if not self._staged:
            cursor.execute("SAVEPOINT dp_ingest")
            try:
                cursor.copy_expert(f"COPY dp_datum ({NAMES}) FROM STDIN", io.StringIO(lines), size=COPY_READ)
                cursor.execute("RELEASE SAVEPOINT dp_ingest")
                return count
            except UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT dp_ingest")
                cursor.execute("RELEASE SAVEPOINT dp_ingest")
                self._staged = True
        # A temporary table lives as long as the pooled connection; it is emptied after every chunk.
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} AS SELECT {NAMES} FROM dp_datum WITH NO DATA")
        cursor.copy_expert(f"COPY {STAGE} ({NAMES}) FROM STDIN", io.StringIO(lines), size=COPY_READ)
        cursor.execute(f"INSERT INTO dp_datum ({NAMES}) SELECT {NAMES} FROM {STAGE} {CONFLICT}")
        created = cursor.rowcount
        cursor.execute(f"TRUNCATE {STAGE}")
        return created
