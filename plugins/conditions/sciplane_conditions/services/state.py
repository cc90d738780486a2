"""Change counters, validators, row locks and write transactions.

Every write bumps the database version (``cond_state``) as its last
statement, and the change counter of each global tag it touches.  Reads use
these as HTTP validators, read *before* the body is built.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sciplane import database, is_postgres, retrying_write, utcnow
from sciplane.db import execute_prepared

from ..errors import CondError
from ..models import GlobalTag, PayloadIOV, PayloadList, State

T = TypeVar("T")
RETRIES = 3


class Restart(Exception):
    """Rows changed between lookup and lock: run the transaction again."""


def write(func: Callable[..., T]) -> Callable[..., T]:
    """Run ``func`` in one write transaction; deadlocks, serialisation failures and restarts run it again.

    SQLite serialises writers (``BEGIN IMMEDIATE``); PostgreSQL locks rows
    in a global order, and a deadlock is retried up to three times before
    the request fails with 409 (the core's answer to one).
    """

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            return retrying_write(functools.partial(func, *args, **kwargs), also=(Restart,), attempts=RETRIES + 1)
        except Restart:
            raise CondError(409, "conflict", "Concurrent modification, please retry.") from None

    return run


def lock(global_tags: Iterable[int | None] = (), lists: Iterable[int | None] = (),
         iovs: Iterable[int | None] = ()) -> None:
    """``SELECT … FOR UPDATE`` in the global order (GTs, lists, IOVs, ascending ids); no-op on SQLite."""
    if not is_postgres():
        return
    for model, ids in ((GlobalTag, global_tags), (PayloadList, lists), (PayloadIOV, iovs)):
        wanted = sorted({i for i in ids if i is not None})
        if wanted:
            list(model.select(model.id).where(model.id.in_(wanted)).order_by(model.id).for_update())


def touch(global_tag_ids: Iterable[int | None], *, updated: bool = False) -> None:
    """Bump the change counter (and ``updated`` if asked) of each GT."""
    ids = sorted({i for i in global_tag_ids if i is not None})
    if not ids:
        return
    now = utcnow()
    fields = {GlobalTag.change_counter: GlobalTag.change_counter + 1, GlobalTag.changed_at: now}
    if updated:
        fields[GlobalTag.updated] = now
    GlobalTag.update(fields).where(GlobalTag.id.in_(ids)).execute()


def bump_database() -> None:
    """Bump the database version: the last statement of every successful write."""
    State.update(version=State.version + 1, changed_at=utcnow()).where(State.id == 1).execute()


def adjust_counts(deltas: dict[int | None, int]) -> None:
    """Add to ``iov_count`` per list (one statement per list touched)."""
    now = utcnow()
    for list_id, delta in deltas.items():
        if list_id is not None and delta:
            (PayloadList.update(iov_count=PayloadList.iov_count + delta, updated=now)
             .where(PayloadList.id == list_id).execute())


@dataclass(frozen=True)
class Validator:
    """What an HTTP validator is made of: a scope, its counter and when it last changed."""

    scope: str
    counter: int
    changed_at: dt.datetime
    gt_id: int | None = None
    status: str | None = None


# Validators are read on every request, before anything else: plain SQL,
# not rebuilt by the query builder each time.
_DB_VALIDATOR = "SELECT version, changed_at FROM cond_state WHERE id = 1"
_GT_VALIDATOR = ("SELECT g.id, g.change_counter, g.changed_at, s.name FROM cond_global_tag AS g "
                 "JOIN cond_gt_status AS s ON s.id = g.status_id WHERE g.{key} = %s")
_to_datetime = State.changed_at.python_value  # SQLite returns timestamps as text


def database_validator(db=database) -> Validator:
    version, changed_at = execute_prepared("cond_db_validator", _DB_VALIDATOR, db=db).fetchone()
    return Validator(f"db-{version}", version, _to_datetime(changed_at))


def global_tag_validator(name: str | None = None, gt_id: int | None = None, db=database) -> Validator | None:
    """The GT's validator by name or id (one unique-index lookup), or None when it does not exist."""
    key, value = ("name", name) if name is not None else ("id", gt_id)
    row = execute_prepared(f"cond_gt_validator_{key}", _GT_VALIDATOR.format(key=key), (value,), db=db).fetchone()
    if row is None:
        return None
    gt_id, counter, changed_at, status = row
    return Validator(f"gt-{gt_id}-{counter}", counter, _to_datetime(changed_at), gt_id, status)


def allocate_list_id() -> int:
    """A new payload-list id that is never reused (allocated after validation)."""
    if is_postgres():
        return database.execute_sql("SELECT nextval('cond_payload_list_id_seq')").fetchone()[0]
    cursor = database.execute_sql("INSERT INTO cond_payload_list_seq DEFAULT VALUES")
    new_id = cursor.lastrowid
    # AUTOINCREMENT remembers the high-water mark in sqlite_sequence; the rows
    # themselves are not needed.
    database.execute_sql("DELETE FROM cond_payload_list_seq WHERE id < ?", (new_id,))
    return new_id
