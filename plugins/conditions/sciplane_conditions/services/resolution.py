"""Resolution: for every list of a GT, the IOV with the greatest start ≤ the point (ties: highest id).

One statement per request, a row-value comparison on the
``cond_piov_resolve`` index (one index descent per list, whatever the number
of IOVs in it).  Rows go from the cursor to the encoder as tuples.
"""

from __future__ import annotations

from sciplane import database, is_postgres
from sciplane.db import execute_prepared

ROW_COLUMNS = ("t.name, v.payload_url, v.checksum, v.size, v.major_iov, v.minor_iov, v.major_iov_end, "
               "v.minor_iov_end, v.extra")
PIOV_COLUMNS = ("v.id, v.payload_url, v.checksum, v.major_iov, v.minor_iov, v.major_iov_end, v.minor_iov_end, "
                "l.name, v.created")

_POSTGRES = """
SELECT {columns}
FROM cond_payload_list AS l
JOIN cond_payload_type AS t ON t.id = l.payload_type_id
CROSS JOIN LATERAL (
    SELECT i.id, i.payload_url, i.checksum, i.size, i.major_iov, i.minor_iov, i.major_iov_end, i.minor_iov_end,
           i.extra, i.created
    FROM cond_payload_iov AS i
    WHERE i.payload_list_id = l.id AND (i.major_iov, i.minor_iov) <= (%s, %s)
    ORDER BY i.major_iov DESC, i.minor_iov DESC, i.id DESC
    LIMIT 1
) AS v
WHERE l.global_tag_id = %s{type_filter}
ORDER BY t.name COLLATE "C"
"""

_SQLITE = """
SELECT {columns}
FROM cond_payload_list AS l
JOIN cond_payload_type AS t ON t.id = l.payload_type_id
JOIN cond_payload_iov AS v ON v.id = (
    SELECT i.id FROM cond_payload_iov AS i
    WHERE i.payload_list_id = l.id AND (i.major_iov, i.minor_iov) <= (%s, %s)
    ORDER BY i.major_iov DESC, i.minor_iov DESC, i.id DESC
    LIMIT 1)
WHERE l.global_tag_id = %s{type_filter}
ORDER BY t.name
"""


def statement(columns: str = ROW_COLUMNS, with_type: bool = False) -> str:
    """The resolution statement for the current engine (``%s`` placeholders)."""
    template = _POSTGRES if is_postgres() else _SQLITE
    return template.format(columns=columns, type_filter=" AND t.name = %s" if with_type else "")


def resolve(gt_id: int, major: int, minor: int, payload_type: str | None = None,
            columns: str = ROW_COLUMNS, db=database) -> list[tuple]:
    """The resolution rows of a GT at ``(major, minor)``, ordered by type name (on ``db``: a replica or the primary)."""
    with_type = payload_type is not None
    params: tuple = (major, minor, gt_id) + ((payload_type,) if with_type else ())
    name = f"cond_resolve_{'rows' if columns is ROW_COLUMNS else 'objects'}{'_typed' if with_type else ''}"
    return execute_prepared(name, statement(columns, with_type), params, db=db).fetchall()

