"""The dialect's JSON shapes, keys in the reference's order.

Plain functions over model rows and tuples: the hot paths never go through
a serializer.  Timestamps are naive UTC with six fractional digits.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sciplane.media import dumps

from .models import GlobalTag, GTStatus, PayloadIOV, PayloadList
from .points import comb_iov


def timestamp(value: dt.datetime | str | None) -> str | None:
    """Naive UTC, six fractional digits; text already formatted by the database passes through."""
    if value is None or type(value) is str:
        return value
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


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


_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')


def _json_string(text: str) -> str:
    # Names, URLs and checksums rarely need escaping: embed those directly.
    return f'"{text}"' if _PLAIN.fullmatch(text) else dumps(text).decode()


def piov_json_chunk(rows: list[tuple], list_name: str) -> bytes:
    """``<piov>`` objects of one list, comma-separated, for streamed views.

    ``rows`` are ``(id, url, checksum, major, minor, major_end, minor_end, created text)``.  Written
    with one format per row instead of a dict and an encoder call: the nested view of a large tag
    renders hundreds of thousands of them.
    """
    name = _json_string(list_name)
    return ",".join(
        f'{{"id":{i},"payload_url":{_json_string(url)},"checksum":{_json_string(checksum)},'
        f'"major_iov":{major},"minor_iov":{minor},"comb_iov":"{comb_iov(major, minor)}",'
        f'"major_iov_end":{major_end},"minor_iov_end":{minor_end},"payload_list":{name},"inserted":"{created}"}}'
        for i, url, checksum, major, minor, major_end, minor_end, created in rows).encode()


def payload_list(row: PayloadList, gt_name: str | None, type_name: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "global_tag": gt_name, "payload_type": type_name,
            "created": timestamp(row.created)}


def payload_list_ids(row: PayloadList) -> dict[str, Any]:
    # ``GET pl/<pk>`` answers with ids, not names (reference behaviour).
    return {"id": row.id, "name": row.name, "global_tag": row.global_tag_id, "payload_type": row.payload_type_id,
            "created": timestamp(row.created)}
