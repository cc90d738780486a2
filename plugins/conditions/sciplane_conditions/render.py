"""The dialect's JSON shapes, keys in the reference's order.

Plain functions over model rows and tuples: the hot paths never go through
a serializer.  Timestamps are naive UTC with six fractional digits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .models import GlobalTag, GTStatus, PayloadIOV, PayloadList
from .points import comb_iov


def timestamp(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def status(row: GTStatus) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "created": timestamp(row.created)}


def payload_type(row) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "created": timestamp(row.created)}


def global_tag_created(gt: GlobalTag, status_name: str) -> dict[str, Any]:
    return {"id": gt.id, "name": gt.name, "author": gt.author, "status": status_name,
            "created": timestamp(gt.created), "updated": timestamp(gt.updated)}


def global_tag_status_changed(gt: GlobalTag) -> dict[str, Any]:
    # The reference answers with the status *id* here.
    return {"id": gt.id, "name": gt.name, "author": gt.author, "status": gt.status_id,
            "created": timestamp(gt.created), "updated": timestamp(gt.updated)}


def gt_row(row: tuple) -> dict[str, Any]:
    """``(id, name, author, status, lists, iovs, created, updated)`` → ``<gt-row>``."""
    gt_id, name, author, status_name, lists, iovs, created, updated = row
    return {"id": gt_id, "name": name, "author": author, "status": status_name,
            "payload_lists_count": lists, "payload_iov_count": iovs,
            "created": timestamp(created), "updated": timestamp(updated)}


def piov(row: PayloadIOV, list_name: str | None) -> dict[str, Any]:
    return piov_tuple((row.id, row.payload_url, row.checksum, row.major_iov, row.minor_iov, row.major_iov_end,
                       row.minor_iov_end, list_name, row.created))


def piov_tuple(row: tuple) -> dict[str, Any]:
    """``(id, url, checksum, major, minor, major_end, minor_end, list name, created)`` → ``<piov>``."""
    iov_id, url, checksum, major, minor, major_end, minor_end, list_name, created = row
    return {"id": iov_id, "payload_url": url, "checksum": checksum, "major_iov": major, "minor_iov": minor,
            "comb_iov": comb_iov(major, minor), "major_iov_end": major_end, "minor_iov_end": minor_end,
            "payload_list": list_name, "inserted": timestamp(created)}


def payload_list(row: PayloadList, gt_name: str | None, type_name: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "global_tag": gt_name, "payload_type": type_name,
            "created": timestamp(row.created)}


def payload_list_ids(row: PayloadList) -> dict[str, Any]:
    # ``GET pl/<pk>`` answers with ids, not names (reference behaviour).
    return {"id": row.id, "name": row.name, "global_tag": row.global_tag_id, "payload_type": row.payload_type_id,
            "created": timestamp(row.created)}
