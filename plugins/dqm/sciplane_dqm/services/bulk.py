"""Inserting a chunk of histogram rows, skipping those whose (run, lumisection, title) already exists.

PostgreSQL: rows stream in PostgreSQL's *binary* COPY format into a
per-connection staging table, then one ``INSERT … SELECT … ON CONFLICT DO
NOTHING`` moves them; arrays travel as raw bytes (text formats would double
them as hex) and are gathered into reads of at most ``COPY_READ_BYTES``,
never into one buffer for the chunk.  SQLite: one prepared
``INSERT … ON CONFLICT DO NOTHING`` run with ``executemany``.  Both return
the number of rows actually inserted.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from sciplane import database, is_postgres

from .rows import COLUMNS, ChunkRows, pg_time

TABLE = "dqm_histogram"
STAGE = "dqm_histogram_stage"
SAVEPOINT = "dqm_histogram_copy"
CONFLICT = "run_number, ls_number, title_id"
NAMES = ", ".join(COLUMNS)
_NULL = struct.pack(">i", -1)
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
# Each read is a call from the driver's C code back into Python, and the writer thread must win the GIL
# from the parser for every one of them (up to the 5 ms switch interval when the parser is busy in
# Python): few large reads keep that wait out of the store.  A chunk of 5,000 1D rows is one read.
COPY_READ_BYTES = 16 << 20
# The stage's data column takes the compression method of the table's (none set: the server's default).
_SAME_COMPRESSION = f"""
DO $$
DECLARE wanted "char"; current "char";
BEGIN
    SELECT attcompression INTO wanted FROM pg_attribute WHERE attrelid = '{TABLE}'::regclass AND attname = 'data';
    SELECT attcompression INTO current FROM pg_attribute
    WHERE attrelid = 'pg_temp.{STAGE}'::regclass AND attname = 'data';
    IF wanted = 'l' AND current IS DISTINCT FROM 'l' THEN  -- once per connection, not once per chunk
        ALTER TABLE pg_temp.{STAGE} ALTER COLUMN data SET COMPRESSION lz4;
    END IF;
END $$"""


def insert(rows: ChunkRows) -> int:
    """Insert a chunk's rows; those whose key is stored already are skipped.  Returns the rows inserted."""
    if not rows.count:
        return 0
    if is_postgres(database):
        return _copy_then_insert(rows)
    marks = ", ".join([database.param] * len(COLUMNS))
    cursor = database.cursor()
    cursor.executemany(f"INSERT INTO {TABLE} ({NAMES}) VALUES ({marks}) ON CONFLICT ({CONFLICT}) DO NOTHING",
                       rows.tuples())
    return cursor.rowcount


def _copy_then_insert(rows: ChunkRows) -> int:
    from psycopg2.errors import UniqueViolation  # the driver's own: copy_expert bypasses peewee's translation

    cursor = database.cursor()
    # The usual case, a first parse: straight into the table.  A key stored already (a re-parse, a file
    # overlapping another) or twice in this chunk makes COPY fail; the savepoint then lets the staged path
    # decide row by row.  The savepoint travels in the COPY's own message, and it is never released (the
    # commit ends it): each round trip saved is one GIL hand-over less for the writer thread (see
    # COPY_READ_BYTES).
    try:
        cursor.copy_expert(f"SAVEPOINT {SAVEPOINT}; COPY {TABLE} ({NAMES}) FROM STDIN WITH (FORMAT binary)",
                           _Reader(_binary(rows, numbered=False)), size=COPY_READ_BYTES)
        return rows.count
    except UniqueViolation:
        cursor.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
    # A temporary table lives as long as the pooled connection; its rows only until the commit.  Its arrays
    # are compressed as the table's are (lz4 where the server has it): then the INSERT below moves them
    # without compressing them again, and the default, pglz, would cost three times as much.
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ON COMMIT DELETE ROWS AS "
                   f"SELECT 0 AS seq, {NAMES} FROM {TABLE} WITH NO DATA")
    cursor.execute(_SAME_COMPRESSION)
    cursor.execute(f"TRUNCATE {STAGE}")
    cursor.copy_expert(f"COPY {STAGE} (seq, {NAMES}) FROM STDIN WITH (FORMAT binary)",
                       _Reader(_binary(rows, numbered=True)), size=COPY_READ_BYTES)
    # seq keeps the chunk's order, so the first of two equal keys in one chunk is the one kept.
    cursor.execute(f"INSERT INTO {TABLE} ({NAMES}) SELECT {NAMES} FROM {STAGE} ORDER BY seq "
                   f"ON CONFLICT ({CONFLICT}) DO NOTHING")
    return cursor.rowcount


def _packer(nulls: tuple[bool, ...], numbered: bool):
    """A function packing rows with this NULL pattern into binary COPY tuples.

    Runs of fixed-width fields (each preceded by its length word) become one precompiled ``struct``;
    variable-length fields sit between the runs.  Per row this is a few ``pack`` calls instead of one per
    field, which is most of the cost of a chunk of small 1D histograms.
    """
    segments: list = []  # (struct, [(index or None, size, convert)]) or (None, index, kind)
    fmt, fields = ">h" + ("ii" if numbered else ""), []
    for index, (kind, null) in enumerate(zip(COLUMNS.values(), nulls, strict=True)):
        if null:
            fmt += "i"
            fields.append((None, -1, None))
        elif kind in ("bytes", "text"):
            segments.append((struct.Struct(fmt), fields))
            segments.append((None, index, kind))
            fmt, fields = ">", []
        else:
            code = ">q" if kind == "time" else kind
            fmt += "i" + code[1:]
            fields.append((index, struct.calcsize(code), pg_time if kind == "time" else None))
    segments.append((struct.Struct(fmt), fields))
    lead = [len(COLUMNS) + 1, 4] if numbered else [len(COLUMNS)]

    def pack(row: tuple, number: int) -> list[bytes | memoryview]:
        parts = []
        for position, segment in enumerate(segments):
            if segment[0] is None:
                value = row[segment[1]]
                payload = value.encode() if segment[2] == "text" else value
                parts += (struct.pack(">i", len(payload)), payload)
                continue
            values = ([*lead, number] if numbered else list(lead)) if position == 0 else []
            for index, size, convert in segment[1]:
                if index is None:
                    values.append(-1)
                else:
                    values += (size, convert(row[index]) if convert else row[index])
            parts.append(segment[0].pack(*values))
        return parts

    return pack


def _binary(rows: ChunkRows, *, numbered: bool) -> Iterator[bytes | memoryview]:
    """The binary COPY stream of ``rows`` (with a leading sequence number when ``numbered``)."""
    yield _HEADER
    block = rows.block(numbered)
    if block is not None:
        yield block
        yield _TRAILER
        return
    packers: dict[tuple[bool, ...], object] = {}
    for number, row in enumerate(rows.tuples()):
        nulls = tuple(value is None for value in row)
        pack = packers.get(nulls) or packers.setdefault(nulls, _packer(nulls, numbered))
        yield from pack(row, number)  # parts, not joined: arrays go to the driver without another copy
    yield _TRAILER


class _Reader(io.RawIOBase):
    """A file-like view of an iterator of byte strings (or byte views), for ``copy_expert``.

    Pieces are gathered up to ``size``; a lone ``bytes`` piece that fits is handed over as it is.
    """

    def __init__(self, chunks: Iterator[bytes | memoryview]):
        self.chunks = chunks
        self.pending: bytes | memoryview = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = 1 << 62
        if len(self.pending) > size:  # a piece larger than a read: hand it over in slices
            out, self.pending = self.pending[:size], self.pending[size:]
            return bytes(out)
        gathered, total = [self.pending] if self.pending else [], len(self.pending)
        self.pending = b""
        for piece in self.chunks:
            if not piece:
                continue
            if total + len(piece) > size:
                self.pending = memoryview(piece) if len(piece) > size else piece
                break
            gathered.append(piece)
            total += len(piece)
        if not gathered and self.pending:  # the next piece alone exceeds the read
            return self.read(size)
        if len(gathered) == 1 and type(gathered[0]) is bytes:
            return gathered[0]
        return b"".join(gathered)
