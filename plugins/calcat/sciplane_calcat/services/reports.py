"""``reports/set``: get or create a report by its file path."""

from __future__ import annotations

from ..errors import Invalid
from ..models import Report
from . import records
from .catalog import REPORTS


def set_report(body: dict, call) -> tuple[Report, bool]:
    """``(report, created)``: the report with the body's ``file_path`` as it is, or a new one.

    Concurrent calls for one new path create one report: the loser of the
    unique index finds the winner's row.
    """
    path = records.wrapped(REPORTS, body).get("file_path")
    existing = Report.get_or_none(Report.file_path == path) if isinstance(path, str) and path else None
    if existing is not None:
        return existing, False
    try:
        return records.create(REPORTS, body, call), True
    except Invalid as exc:
        if "file_path" in exc.errors_by_field:
            existing = Report.get_or_none(Report.file_path == path)
            if existing is not None:
                return existing, False
        raise
