"""Invariant checks (``sciplane conditions check``): counters and overlaps, computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee

from sciplane import database, write_transaction

from ..models import PayloadIOV, PayloadList

_OVERLAPS = """
SELECT payload_list_id, COUNT(*) FROM (
    SELECT payload_list_id, id, major_iov_end, minor_iov_end,
           LEAD(id) OVER w AS next_id, LEAD(major_iov) OVER w AS next_major, LEAD(minor_iov) OVER w AS next_minor
    FROM cond_payload_iov WHERE payload_list_id IS NOT NULL
    WINDOW w AS (PARTITION BY payload_list_id ORDER BY major_iov, minor_iov, id)
) AS ordered
WHERE next_id IS NOT NULL
  AND (major_iov_end > next_major OR (major_iov_end = next_major AND minor_iov_end > next_minor))
GROUP BY payload_list_id
ORDER BY payload_list_id
"""


@dataclass
class Report:
    count_mismatches: list[tuple[str, int, int]] = field(default_factory=list)  # (list, stored, actual)
    # (list name, overlapping neighbour pairs): legitimate on bulk-loaded lists, so reported, not failed.
    overlaps: list[tuple[str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.count_mismatches


def check(fix_counts: bool = False) -> Report:
    """Recompute every list's ``iov_count`` (optionally repairing it) and find overlapping IOVs.

    Overlaps can only come from ``bulk_piov``, which loads rows as given; they
    are reported, never changed.
    """
    report = Report()
    actual = (PayloadIOV.select(peewee.fn.COUNT(PayloadIOV.id))
              .where(PayloadIOV.payload_list == PayloadList.id))
    rows = (PayloadList.select(PayloadList.id, PayloadList.name, PayloadList.iov_count, actual.alias("actual"))
            .order_by(PayloadList.id).tuples())
    for list_id, name, stored, real in rows:
        if stored != real:
            report.count_mismatches.append((name, stored, real))
            if fix_counts:
                with write_transaction():
                    PayloadList.update(iov_count=real).where(PayloadList.id == list_id).execute()
    names = dict(PayloadList.select(PayloadList.id, PayloadList.name).tuples())
    report.overlaps = [(names[list_id], pairs) for list_id, pairs in database.execute_sql(_OVERLAPS).fetchall()]
    return report
