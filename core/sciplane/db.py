"""Database access: the proxy every model binds to, URL-based connections,
per-request connection handling, transactions and per-plugin migrations.

Connections are pooled on both engines and opened lazily, on a request's
first query; the middleware returns them to the pool when the response is
done.  Nothing connects at import time, and :func:`connect` leaves no
connection open, so gunicorn can fork workers safely.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import logging
import operator
import os
import random
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import peewee
from playhouse.db_url import parse as parse_url
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from .errors import StartupError, is_transient
from .media import dumps, loads

log = logging.getLogger("sciplane.db")
# peewee logs each statement it runs here, at DEBUG, as (sql, params); the core's raw-cursor statements join
# them, so that debug logs and statement counts see every round trip.
statement_log = logging.getLogger("peewee")

database = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    """Base of every sciplane model; tables are named explicitly (``<plugin>_<thing>``)."""

    class Meta:
        database = database
        legacy_table_names = False


class JSONField(peewee.TextField):
    """JSON stored as text on both engines, encoded with the project's encoder."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else dumps(value).decode()

    def python_value(self, value: Any) -> Any:
        return None if value is None else loads(value)


def utcnow() -> dt.datetime:
    """Naive UTC ``datetime``: the storage convention for timestamps."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def is_sqlite(db: peewee.Database | peewee.DatabaseProxy | None = None) -> bool:
    db = db or database
    target = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    return isinstance(target, peewee.SqliteDatabase)


def is_postgres(db: peewee.Database | peewee.DatabaseProxy | None = None) -> bool:
    db = db or database
    target = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    return isinstance(target, peewee.PostgresqlDatabase)


class WriterTurns:
    """Write transactions of one process on one SQLite file, let in one at a time in the order they asked.

    SQLite admits one writer and makes the others poll its lock, sleeping up
    to 100 ms between tries; a thread that commits and begins again at once
    finds the lock taken at almost every try of the others, and can keep one
    of them waiting for the whole busy timeout (then a 503) while it writes on.
    Queueing here first makes the turns fair between the threads of a
    process; other processes still meet on the busy timeout.
    """

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self._reset()
        _ALL_TURNS.add(self)

    def _reset(self) -> None:
        self._changed = threading.Condition()
        self._waiting: collections.deque[object] = collections.deque()
        self._taken = False

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        me = object()
        with self._changed:
            self._waiting.append(me)
            admitted = False
            try:
                admitted = self._changed.wait_for(lambda: not self._taken and self._waiting[0] is me, self.timeout_s)
            finally:
                if not admitted:  # timed out or interrupted: leave, or every later writer would wait behind it
                    self._waiting.remove(me)
                    self._changed.notify_all()
            if not admitted:
                # The words SQLite itself uses, so the error is answered like its own busy timeout.
                raise peewee.OperationalError("database is locked (waited for another writer of this process)")
            self._waiting.popleft()
            self._taken = True
        try:
            yield
        finally:
            with self._changed:
                self._taken = False
                self._changed.notify_all()


_ALL_TURNS: weakref.WeakSet[WriterTurns] = weakref.WeakSet()
# A forked child (huey's worker processes) starts with no writer: not with its parent's queues, nor with a lock
# a parent's thread held at the fork.
os.register_at_fork(after_in_child=lambda: [turns._reset() for turns in list(_ALL_TURNS)])


class PooledSqlite(PooledSqliteDatabase):
    """peewee's SQLite pool, with the process's queue of writers."""

    def __init__(self, *args: Any, busy_timeout_ms: int, **kwargs: Any):
        self.writer_turns = WriterTurns(busy_timeout_ms / 1000)
        super().__init__(*args, pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": busy_timeout_ms,
                                         "synchronous": "normal"}, **kwargs)


@contextlib.contextmanager
def _queued_write(db: peewee.Database | peewee.DatabaseProxy, turns: WriterTurns) -> Iterator[None]:
    # The connection before the turn, as a request that has read already holds one: taking them in the other
    # order, a writer holding the turn could wait for a pooled connection that a queued writer holds.
    db.connect(reuse_if_open=True)
    with turns.turn(), db.atomic(lock_type="IMMEDIATE"):
        yield


def write_transaction(db: peewee.Database | peewee.DatabaseProxy | None = None):
    """A transaction for writes: on SQLite ``BEGIN IMMEDIATE`` after this
    process's earlier writers (:class:`WriterTurns`), so writers queue
    instead of failing when they upgrade a read lock; an ordinary
    transaction on PostgreSQL.  Nested, a savepoint of the caller's."""
    db = db or database
    if is_sqlite(db):
        turns = getattr(db.obj if isinstance(db, peewee.DatabaseProxy) else db, "writer_turns", None)
        if turns is None or db.in_transaction():
            return db.atomic(lock_type="IMMEDIATE")
        return _queued_write(db, turns)
    return db.atomic()


WRITE_ATTEMPTS = 4


def retrying_write(func: Callable[[], Any], *, also: tuple[type[BaseException], ...] = (),
                   attempts: int = WRITE_ATTEMPTS) -> Any:
    """``func()`` in one write transaction, run again in a fresh one after a deadlock or a serialization failure
    (or an exception of a type in ``also``), at most ``attempts`` times in all; the last failure propagates, and
    the core answers a transient one with 409.

    PostgreSQL aborts one transaction of a deadlock and leaves the retry to its client: without one, a request
    that merely lost a race would fail.  ``func`` must start from scratch on every call.  Inside a transaction
    opened by the caller (``func`` then runs in a savepoint) a deadlock has aborted the caller's transaction
    too, so it propagates at once; the ``also`` exceptions are still retried there.
    """
    nested = database.in_transaction()
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction():
                return func()
        except also as exc:
            if attempt == attempts:
                raise
            reason = type(exc).__name__
        except peewee.OperationalError as exc:
            if nested or attempt == attempts or not is_transient(exc):
                raise
            reason = "deadlock or serialization failure"
        log.info("write transaction run again after a %s (attempt %d of %d)", reason, attempt + 1, attempts)
    raise AssertionError("unreachable")


def locked(query: peewee.ModelSelect, mode: str = "FOR UPDATE") -> peewee.ModelSelect:
    """``query`` locking the rows it reads until the transaction ends, on PostgreSQL; SQLite has no row locks
    (its writers are serialized, so a write transaction's reads are already stable)."""
    return query.for_update(mode) if is_postgres(database) else query


class PooledPostgres(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool without its liveness probe.

    peewee checks every connection it hands out with a ``SELECT 1`` round
    trip, which doubles the cost of a one-query request.  Here a connection
    is reused unless the driver knows it is broken; after a server restart
    the first request on each old connection fails once, and the driver's
    ``closed`` flag then keeps that connection out of the pool (the same
    trade-off as Django's default of no connection health checks).
    """

    def _is_closed(self, conn) -> bool:
        if conn.closed:
            return True
        if self._adapter.txn_status(conn) != self._adapter.txn_idle:
            try:
                conn.rollback()
            except Exception:
                return True
        return False


def connect(url: str, *, pool_size: int = 8, pool_timeout: int = 10, stale_timeout: int = 300,
            busy_timeout_ms: int = 10000, statement_timeout_ms: int = 0) -> peewee.Database:
    """A pooled database for ``url`` (``sqlite:///path`` or ``postgresql://…``); on PostgreSQL, a nonzero
    ``statement_timeout_ms`` is the longest any statement may run on its connections."""
    if url.startswith("sqlite:"):
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite:"):]
        if not path or path == ":memory:":
            raise StartupError("database.url: an in-memory SQLite database cannot be shared between "
                               "connections; give a file path")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return PooledSqlite(path, busy_timeout_ms=busy_timeout_ms, max_connections=pool_size,
                            stale_timeout=stale_timeout, timeout=pool_timeout, check_same_thread=False)
    if url.startswith(("postgres://", "postgresql://")):
        params = parse_url(url, unquote_password=True, unquote_user=True)
        name = params.pop("database")
        if statement_timeout_ms:  # set when the connection opens: no statement of its own per request
            params["options"] = f"{params.get('options', '')} -c statement_timeout={statement_timeout_ms}".strip()
        return PooledPostgres(name, max_connections=pool_size, stale_timeout=stale_timeout, timeout=pool_timeout,
                              **params)
    raise StartupError(f"database.url: unsupported database URL {url!r}")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> names prepared on it


def execute_prepared(name: str, sql: str, params: tuple = (),
                     db: peewee.Database | peewee.DatabaseProxy | None = None):
    """Run a hot statement without re-planning it on every call; returns the cursor.

    ``sql`` uses ``%s`` placeholders.  On PostgreSQL the statement is
    prepared once per connection (``PREPARE``/``EXECUTE``), which saves the
    parse and plan of every request; SQLite caches compiled statements by
    itself.  ``name`` must be unique per statement text.
    """
    db = db or database
    target = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    if not isinstance(target, peewee.PostgresqlDatabase):
        return target.execute_sql(sql.replace("%s", "?"), params)
    return _call_prepared(target.connection(), target.execute_sql, name, sql, params)


def run_prepared(cursor, name: str, sql: str, params: tuple = ()):
    """:func:`execute_prepared` on a PostgreSQL DB-API cursor of one's own (a companion connection's,
    or one with its own type casters); returns the cursor."""

    def execute(statement: str, values: tuple = ()):
        cursor.execute(statement, values)
        return cursor

    return _call_prepared(cursor.connection, execute, name, sql, params)


def _call_prepared(connection, execute: Callable, name: str, sql: str, params: tuple):
    names = _prepared.setdefault(connection, set())
    if name not in names:
        count = iter(range(1, sql.count("%s") + 1))
        execute(f"PREPARE {name} AS " + re.sub(r"%s", lambda _: f"${next(count)}", sql))
        names.add(name)
    marks = ", ".join(["%s"] * len(params))
    return execute(f"EXECUTE {name}({marks})" if params else f"EXECUTE {name}", params)


def copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format (most common types first: this runs per value)."""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is dt.datetime:
        return value.isoformat(sep=" ")
    return str(value).translate(_COPY_ESCAPES)


def insert_rows(model: type[peewee.Model], columns: Iterable[str], rows: Iterable[tuple],
                db: peewee.Database | peewee.DatabaseProxy | None = None, chunk: int = 10000) -> int:
    """Insert many rows fast, in the order given (so generated ids ascend in that order).

    PostgreSQL streams them with ``COPY``; SQLite runs one prepared
    ``INSERT`` with ``executemany``.  Values go in as they are: no field
    conversion happens, so pass what the columns store.  Must run inside the
    caller's transaction.  Returns the number of rows.
    """
    db = db or database
    target = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    columns = list(columns)
    table = model._meta.table_name
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    if isinstance(target, peewee.PostgresqlDatabase):
        import io
        cursor = target.cursor()
        batch: list[str] = []
        # One converter per value type, looked up by exact type (bool before int); a batch's timestamps
        # repeat (created/updated), so each distinct one is formatted once.
        formats: dict[type, Callable[[Any], str]] = {
            int: str, str: operator.methodcaller("translate", _COPY_ESCAPES), float: repr,
            dt.datetime: functools.lru_cache(maxsize=256)(copy_text), bool: copy_text, type(None): copy_text}

        def flush() -> None:
            sql = f'COPY "{table}" ({names}) FROM STDIN'
            statement_log.debug((sql, None))
            cursor.copy_expert(sql, io.StringIO("".join(batch)))
            batch.clear()

        for row in rows:
            batch.append("\t".join([formats.get(type(value), copy_text)(value) for value in row]) + "\n")
            count += 1
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
        return count
    marks = ", ".join("?" for _ in columns)
    rows = list(rows)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
    statement_log.debug((sql, None))
    target.cursor().executemany(sql, rows)
    return len(rows)


def rebuild_sqlite_table(db: peewee.Database, table: str, body: str, indexes: Iterable[str] = ()) -> None:
    """Recreate ``table`` as ``CREATE TABLE <table> (<body>)`` keeping its rows, on SQLite, which cannot add or
    drop a constraint otherwise; its indexes are then ``indexes``.  Nothing may refer to the table.  Ids are
    never reused: the new table continues the old one's AUTOINCREMENT counter."""
    rebuilt = f"{table}_rebuilt"
    db.execute_sql(f'CREATE TABLE "{rebuilt}" ({body})')
    columns = ", ".join(f'"{row[1]}"' for row in db.execute_sql(f'PRAGMA table_info("{rebuilt}")').fetchall())
    db.execute_sql(f'INSERT INTO "{rebuilt}" ({columns}) SELECT {columns} FROM "{table}"')
    used = (db.execute_sql("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
            if db.table_exists("sqlite_sequence") else None)
    db.execute_sql(f'DROP TABLE "{table}"')
    db.execute_sql(f'ALTER TABLE "{rebuilt}" RENAME TO "{table}"')
    if used is not None:
        db.execute_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        db.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, used[0]))
    for statement in indexes:
        db.execute_sql(statement)


def close_connection(db: peewee.Database | peewee.DatabaseProxy | None = None) -> None:
    """Return the thread's connection to the pool, rolling back anything left open."""
    db = db or database
    target = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    if target is None or target.is_closed():
        return
    if target.in_transaction():
        target.rollback()
    target.close()


class Snapshot:
    """A read-only transaction that outlives the responder, for a body streamed from the database.

    Begin it in the responder (read the validator inside it), then hand the
    body generator to :meth:`stream`: the request's connection stays open
    until the last chunk is sent (or the client goes away), then the
    transaction ends and the connection returns to the pool.  PostgreSQL
    reads at REPEATABLE READ; SQLite in WAL mode reads one snapshot anyway.
    """

    def __init__(self, req, db: peewee.Database | peewee.DatabaseProxy | None = None):
        self.db = db or database
        self._transaction = self.db.atomic()
        self._transaction.__enter__()
        self._open = True
        if is_postgres(self.db):
            self.db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        req.context.snapshot = self

    def stream(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Wrap the body: the snapshot ends with the last chunk, or when the server closes the body
        (a client gone away, a failure while streaming)."""
        self.streaming = True
        return _SnapshotBody(self, chunks)

    streaming = False

    @contextlib.contextmanager
    def companion(self) -> Iterator[Any]:
        """A second PostgreSQL connection that reads this snapshot, for work on another thread.

        One large read can then keep two backends (two cores) busy and still
        see one state of the database: the snapshot is exported and imported
        (``pg_export_snapshot``, as parallel dumps do).  The connection is
        outside the pool, in autocommit mode with the snapshot's transaction
        open, and is closed on exit.  PostgreSQL only.
        """
        target = self.db.obj if isinstance(self.db, peewee.DatabaseProxy) else self.db
        if not isinstance(target, peewee.PostgresqlDatabase):
            raise TypeError("a companion connection needs PostgreSQL")
        import psycopg2  # only PostgreSQL deployments get here

        snapshot_id = target.execute_sql("SELECT pg_export_snapshot()").fetchone()[0]
        connection = psycopg2.connect(dbname=target.database, **target.connect_params)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute("SET TRANSACTION SNAPSHOT %s", (snapshot_id,))
            yield connection
        finally:
            connection.close()

    def end(self) -> None:
        """End the transaction (idempotent): the middleware calls this when nothing was streamed."""
        if self._open:
            self._open = False
            self._transaction.__exit__(None, None, None)


class _SnapshotBody:
    """A streamed body that ends its snapshot when exhausted or closed.

    An object rather than a generator: a generator's ``finally`` never runs
    when it is closed before its first chunk, and the flag on the snapshot
    must be set while the middleware can still see it, not when the server
    starts iterating.
    """

    def __init__(self, snapshot: Snapshot, chunks: Iterable[bytes]):
        self._snapshot = snapshot
        self._chunks = iter(chunks)
        self._closed = False

    def __iter__(self) -> _SnapshotBody:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Called by the WSGI server in every case (PEP 3333); idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            self._snapshot.end()
            close_connection(self._snapshot.db)


class ReplicaSet:
    """Read-only replicas for hot read paths; falls back to the primary.

    Bind each read to the replica with ``query.bind(db)`` (or run SQL on it):
    ``Model.bind_ctx`` rebinds models for every thread of the process.
    """

    def __init__(self, primary: peewee.Database, replicas: Iterable[peewee.Database] = ()):
        self.primary = primary
        self.replicas = list(replicas)

    def pick(self) -> peewee.Database:
        return random.choice(self.replicas) if self.replicas else self.primary


def history_table(plugin: str) -> str:
    return "migrations_" + re.sub(r"[^a-z0-9_]", "_", plugin.lower())


class MigrationSet:
    """One plugin's migration directory and its own history table."""

    def __init__(self, plugin: str, directory: str | Path):
        self.plugin = plugin
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise StartupError(f"plugin {plugin!r}: migrations directory {self.directory} does not exist")

    def runner(self, db: peewee.Database) -> Runner:
        return Runner(db, str(self.directory), table_name=history_table(self.plugin))

    def pending(self, db: peewee.Database) -> list[str]:
        return [m.name for m in self.runner(db).status() if m.applied is None and m.path is not None]


@contextlib.contextmanager
def _migration_lock(db: peewee.Database) -> Iterator[None]:
    # Two processes migrating at once (several hosts starting together) must
    # not both apply a migration: PostgreSQL serialises them on an advisory
    # lock; SQLite serialises writers anyway.
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_lock(7341293)")
        try:
            yield
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(7341293)")
    else:
        yield


def pending_migrations(db: peewee.Database, sets: Iterable[MigrationSet]) -> dict[str, list[str]]:
    """Pending migration names per plugin (plugins with none are omitted)."""
    with db.connection_context():
        out = {s.plugin: s.pending(db) for s in sets}
    return {k: v for k, v in out.items() if v}


def migrate(db: peewee.Database, sets: Iterable[MigrationSet],
            progress: Callable[[str, str], None] | None = None) -> dict[str, list[str]]:
    """Apply every pending migration, core first then plugins in order."""
    applied: dict[str, list[str]] = {}
    with db.connection_context(), _migration_lock(db):
        for migration_set in sets:
            runner = migration_set.runner(db)
            for name in migration_set.pending(db):
                runner.up(target=name)
                applied.setdefault(migration_set.plugin, []).append(name)
                if progress:
                    progress(migration_set.plugin, name)
    return applied


Rows = tuple[list[str], list[tuple]]


def table_rows(db: peewee.Database, models: Iterable[type[peewee.Model]]) -> dict[str, Rows]:
    """The rows of every non-empty table of ``models`` (what migrations seeded, right after they ran)."""
    out: dict[str, Rows] = {}
    with db.connection_context():
        for model in models:
            cursor = db.execute_sql(f'SELECT * FROM "{model._meta.table_name}"')
            rows = cursor.fetchall()
            if rows:
                out[model._meta.table_name] = ([c[0] for c in cursor.description], rows)
    return out


def truncate_all(db: peewee.Database, models: Iterable[type[peewee.Model]],
                 seeds: dict[str, Rows] | None = None) -> None:
    """Empty every table of ``models``, reset their sequences and put ``seeds`` back (test isolation)."""
    tables = [m._meta.table_name for m in models]
    if not tables:
        return
    kept = {table: rows for table, rows in (seeds or {}).items() if table in tables}
    with db.connection_context():
        if isinstance(db, peewee.PostgresqlDatabase):
            with db.atomic():
                quoted = ", ".join(f'"{t}"' for t in tables)
                db.execute_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
                _insert_rows(db, kept)
                for table, (columns, _) in kept.items():
                    if "id" in columns:  # identity sequences continue after the seeded ids
                        db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                       f'(SELECT max(id) FROM "{table}")) '
                                       f"WHERE pg_get_serial_sequence('\"{table}\"', 'id') IS NOT NULL")
            return
        db.execute_sql("PRAGMA foreign_keys = OFF")  # before the transaction: SQLite ignores it inside one
        try:
            with db.atomic():
                for table in tables:
                    db.execute_sql(f'DELETE FROM "{table}"')
                if db.table_exists("sqlite_sequence"):
                    db.execute_sql("DELETE FROM sqlite_sequence")
                _insert_rows(db, kept)
        finally:
            db.execute_sql("PRAGMA foreign_keys = ON")


def _insert_rows(db: peewee.Database, rows_by_table: dict[str, Rows]) -> None:
    """Insert rows read by :func:`table_rows`, many per statement (within SQLite's limit on bound values)."""
    for table, (columns, rows) in rows_by_table.items():
        names = ", ".join(f'"{c}"' for c in columns)
        one = "(" + ", ".join([db.param] * len(columns)) + ")"
        per_statement = max(1, min(1000, 32766 // len(columns)))
        for start in range(0, len(rows), per_statement):
            batch = rows[start:start + per_statement]
            db.execute_sql(f'INSERT INTO "{table}" ({names}) VALUES {", ".join([one] * len(batch))}',
                           [value for row in batch for value in row])
