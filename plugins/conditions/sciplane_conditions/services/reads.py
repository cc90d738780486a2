"""Read queries: catalogue listings, nested views, browse pages.

Large listings are read in keyset-paginated chunks inside one snapshot, so
memory stays bounded however large a global tag is, with the same SQL on
SQLite and PostgreSQL.  Counts come from the counters writes maintain, never
from counting IOVs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import peewee

from sciplane import is_postgres
from sciplane.db import execute_prepared

from ..models import GlobalTag, GTStatus, PayloadIOV, PayloadList, PayloadType
from ..points import MIN

CHUNK = 5000
PIOV_COLUMNS = (PayloadIOV.id, PayloadIOV.payload_url, PayloadIOV.checksum, PayloadIOV.major_iov,
                PayloadIOV.minor_iov, PayloadIOV.major_iov_end, PayloadIOV.minor_iov_end)


def by_code_point(field):
    """Order names by code point on both engines (SQLite's BINARY; PostgreSQL needs COLLATE "C")."""
    return field.collate('"C"') if is_postgres() else field


def statuses() -> list[GTStatus]:
    return list(GTStatus.select().order_by(GTStatus.id))


def payload_types() -> list[PayloadType]:
    return list(PayloadType.select().order_by(PayloadType.id))


def payload_type_by_name(name: str) -> PayloadType | None:
    return PayloadType.get_or_none(PayloadType.name == name)


def gt_rows_query():
    """``<gt-row>`` tuples: ``(id, name, author, status, lists, iovs, created, updated)``."""
    return (GlobalTag.select(GlobalTag.id, GlobalTag.name, GlobalTag.author, GTStatus.name.alias("status"),
                             peewee.fn.COUNT(PayloadList.id).alias("payload_lists_count"),
                             # SUM(bigint) is numeric on PostgreSQL: keep the count an integer.
                             peewee.fn.COALESCE(peewee.fn.SUM(PayloadList.iov_count), 0).cast("BIGINT")
                             .alias("payload_iov_count"),
                             GlobalTag.created, GlobalTag.updated)
            .join(GTStatus).switch(GlobalTag).join(PayloadList, peewee.JOIN.LEFT_OUTER)
            .group_by(GlobalTag.id, GTStatus.name))


def gt_rows() -> list[tuple]:
    return list(gt_rows_query().order_by(GlobalTag.id).tuples())


def gt_row(gt_id: int) -> tuple | None:
    return gt_rows_query().where(GlobalTag.id == gt_id).tuples().first()


def global_tag(name: str | None = None, gt_id: int | None = None) -> GlobalTag | None:
    query = GlobalTag.select(GlobalTag, GTStatus).join(GTStatus)
    return (query.where(GlobalTag.name == name) if name is not None else query.where(GlobalTag.id == gt_id)).first()


def gt_payload_lists(gt_id: int) -> dict[str, str]:
    rows = (PayloadList.select(PayloadType.name, PayloadList.name).join(PayloadType)
            .where(PayloadList.global_tag == gt_id).order_by(by_code_point(PayloadType.name)).tuples())
    return dict(rows)


def lists_of(gt_id: int) -> list[tuple]:
    """``(id, name, type name, created, IOV count)`` of a GT's lists, in type-name order."""
    return list(PayloadList.select(PayloadList.id, PayloadList.name, PayloadType.name, PayloadList.created,
                                   PayloadList.iov_count)
                .join(PayloadType).where(PayloadList.global_tag == gt_id)
                .order_by(by_code_point(PayloadType.name)).tuples())


# Streamed listings are the large reads: plain SQL, one prepared statement per chunk, and the
# timestamp already in the dialect's text form (no per-row conversion in Python).
_CREATED_TEXT = {
    True: """to_char(created, 'YYYY-MM-DD"T"HH24:MI:SS.US')""",
    False: "replace(created, ' ', 'T') || CASE WHEN length(created) = 19 THEN '.000000' ELSE '' END",
}
_IOVS_OF_LIST = ("SELECT id, payload_url, checksum, major_iov, minor_iov, major_iov_end, minor_iov_end, {created} "
                 "FROM cond_payload_iov WHERE payload_list_id = %s AND (major_iov, minor_iov, id) > (%s, %s, %s) "
                 "ORDER BY major_iov, minor_iov, id LIMIT %s")


def iovs_of_list(list_id: int) -> Iterator[list[tuple]]:
    """The list's IOVs in ``(major, minor, id)`` order, in chunks: PIOV_COLUMNS + created as text."""
    sql = _IOVS_OF_LIST.format(created=_CREATED_TEXT[is_postgres()])
    after = (MIN, MIN, MIN)
    while True:
        rows = execute_prepared("cond_iovs_of_list", sql, (list_id, *after, CHUNK)).fetchall()
        if rows:
            yield rows
        if len(rows) < CHUNK:
            return
        last = rows[-1]
        after = (last[3], last[4], last[0])


def _by_id(query, id_field) -> Iterator[list[tuple]]:
    """``query``'s rows in id order, in keyset chunks (the id is the first column)."""
    after = 0
    while True:
        rows = list(query.where(id_field > after).order_by(id_field).limit(CHUNK).tuples())
        if rows:
            yield rows
        if len(rows) < CHUNK:
            return
        after = rows[-1][0]


def all_lists() -> Iterator[list[tuple]]:
    """Every list (detached ones too) by id, in chunks: ``(id, name, gt name, type name, created)``."""
    return _by_id(PayloadList.select(PayloadList.id, PayloadList.name, GlobalTag.name, PayloadType.name,
                                     PayloadList.created)
                  .join(GlobalTag, peewee.JOIN.LEFT_OUTER).switch(PayloadList).join(PayloadType), PayloadList.id)


def all_iovs() -> Iterator[list[tuple]]:
    """Every IOV (detached ones too) by id, in chunks: PIOV_COLUMNS + list name + created."""
    return _by_id(PayloadIOV.select(*PIOV_COLUMNS, PayloadList.name, PayloadIOV.created)
                  .join(PayloadList, peewee.JOIN.LEFT_OUTER), PayloadIOV.id)


def all_global_tag_ids() -> list[int]:
    return [row[0] for row in GlobalTag.select(GlobalTag.id).order_by(GlobalTag.id).tuples()]


def list_by_name(name: str) -> tuple | None:
    """``(id, name, gt name, type name, iov_count, created)`` for the alias view."""
    return (PayloadList.select(PayloadList.id, PayloadList.name, GlobalTag.name, PayloadType.name,
                               PayloadList.iov_count, PayloadList.created)
            .join(GlobalTag, peewee.JOIN.LEFT_OUTER).switch(PayloadList).join(PayloadType)
            .where(PayloadList.name == name).tuples().first())


def iov_with_list(iov_id: int) -> tuple | None:
    return (PayloadIOV.select(*PIOV_COLUMNS, PayloadList.name, PayloadIOV.created)
            .join(PayloadList, peewee.JOIN.LEFT_OUTER).where(PayloadIOV.id == iov_id).tuples().first())


# -- browse mode --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    count: int
    page: int
    page_size: int
    rows: list[dict[str, Any]]

    @property
    def total_pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))


@dataclass(frozen=True)
class BrowseSpec:
    """What one browsable endpoint offers: its query, columns, search fields, filters and sort keys."""

    query: Any
    columns: tuple[str, ...]
    search: tuple[Any, ...]
    filters: dict[str, Any]
    sorts: dict[str, Any]
    default_sort: str
    base: Any


def _like(field, text: str):
    return peewee.fn.LOWER(field).contains(text.lower())


def browse_specs() -> dict[str, BrowseSpec]:
    gt = gt_rows_query()
    gt_cols = ("id", "name", "author", "status", "payload_lists_count", "payload_iov_count", "created", "updated")
    lists_count = peewee.SQL("payload_lists_count")
    iovs_sum = peewee.SQL("payload_iov_count")
    list_query = (PayloadList.select(PayloadList.id, PayloadList.name, GlobalTag.name.alias("global_tag"),
                                     PayloadType.name.alias("payload_type"), PayloadList.iov_count,
                                     PayloadList.created)
                  .join(GlobalTag, peewee.JOIN.LEFT_OUTER).switch(PayloadList).join(PayloadType))
    iov_query = (PayloadIOV.select(PayloadIOV.id, PayloadIOV.payload_url, PayloadIOV.checksum, PayloadIOV.major_iov,
                                   PayloadIOV.minor_iov, PayloadIOV.major_iov_end, PayloadIOV.minor_iov_end,
                                   PayloadList.name.alias("payload_list"), GlobalTag.name.alias("global_tag"),
                                   PayloadType.name.alias("payload_type"), PayloadIOV.created)
                 .join(PayloadList, peewee.JOIN.LEFT_OUTER).join(GlobalTag, peewee.JOIN.LEFT_OUTER)
                 .switch(PayloadList).join(PayloadType, peewee.JOIN.LEFT_OUTER))
    return {
        "global_tags": BrowseSpec(
            gt, gt_cols, (GlobalTag.name, GlobalTag.author), {"status": GTStatus.name},
            {"id": GlobalTag.id, "name": by_code_point(GlobalTag.name), "author": GlobalTag.author,
             "status": GTStatus.name, "payload_lists_count": lists_count, "payload_iov_count": iovs_sum,
             "created": GlobalTag.created, "updated": GlobalTag.updated}, "name", GlobalTag),
        "payload_types": BrowseSpec(
            PayloadType.select(PayloadType.id, PayloadType.name, PayloadType.created), ("id", "name", "created"),
            (PayloadType.name,), {}, {"id": PayloadType.id, "name": by_code_point(PayloadType.name),
                                      "created": PayloadType.created}, "name", PayloadType),
        "payload_lists": BrowseSpec(
            list_query, ("id", "name", "global_tag", "payload_type", "iov_count", "created"),
            (PayloadList.name, GlobalTag.name, PayloadType.name),
            {"global_tag": GlobalTag.name, "payload_type": PayloadType.name},
            {"id": PayloadList.id, "name": by_code_point(PayloadList.name), "global_tag": GlobalTag.name,
             "payload_type": PayloadType.name, "iov_count": PayloadList.iov_count, "created": PayloadList.created},
            "name", PayloadList),
        "payload_iovs": BrowseSpec(
            iov_query, ("id", "payload_url", "checksum", "major_iov", "minor_iov", "major_iov_end", "minor_iov_end",
                        "payload_list", "global_tag", "payload_type", "inserted"),
            (PayloadIOV.payload_url, PayloadList.name),
            {"payload_list": PayloadList.name, "global_tag": GlobalTag.name, "payload_type": PayloadType.name},
            {"id": PayloadIOV.id, "payload_url": PayloadIOV.payload_url, "checksum": PayloadIOV.checksum,
             "major_iov": PayloadIOV.major_iov, "minor_iov": PayloadIOV.minor_iov,
             "major_iov_end": PayloadIOV.major_iov_end, "minor_iov_end": PayloadIOV.minor_iov_end,
             "payload_list": PayloadList.name, "global_tag": GlobalTag.name, "payload_type": PayloadType.name,
             "inserted": PayloadIOV.created}, "id", PayloadIOV),
    }


def browse(spec: BrowseSpec, *, page: int, page_size: int, search: str | None, filters: dict[str, str],
           sort: str | None, descending: bool) -> Page:
    query = spec.query
    if search:
        condition = None
        for field in spec.search:
            clause = _like(field, search)
            condition = clause if condition is None else (condition | clause)
        query = query.where(condition)
    for name, value in filters.items():
        if name in spec.filters:
            query = query.where(spec.filters[name] == value)
    count = query.count()
    offset = (page - 1) * page_size
    if offset >= count:  # past the end (also keeps huge offsets away from SQL)
        return Page(count, page, page_size, [])
    key = spec.sorts.get(sort or "", spec.sorts[spec.default_sort])
    order = key.desc() if descending else key.asc()
    rows = list(query.order_by(order, spec.base.id.asc()).limit(page_size).offset(offset).tuples())
    return Page(count, page, page_size, [dict(zip(spec.columns, row, strict=True)) for row in rows])
