"""Turning a decoded ME (or the reason it failed) into the parser's output item (spec §3.4, §5.5, §5.7)."""

from __future__ import annotations

import math

from sciplane import EntryError, HistogramRecord

from .decoded import Axis, DecodedME, Problem
from .indices import IndexRow

MAX_TITLE = 1024


def axis_problem(name: str, axis: Axis) -> str | None:
    """Why an axis cannot describe a record's bins, or None."""
    if axis.nbins < 1:
        return f"the {name} axis has {axis.nbins} bins"
    if not (math.isfinite(axis.low) and math.isfinite(axis.high) and axis.low < axis.high):
        return f"the {name} axis limits {axis.low}…{axis.high} are not finite and increasing"
    if axis.edges is not None and len(axis.edges) != axis.nbins + 1:
        return f"the {name} axis has {len(axis.edges)} edges for {axis.nbins} bins"
    return None


def _title_problem(title: str) -> str | None:
    if not 1 <= len(title) <= MAX_TITLE or "\x00" in title:
        return f"FullName must have 1 to {MAX_TITLE} characters and no NUL (it has {len(title)})"
    return None


def _value_problem(row: IndexRow, me: DecodedME) -> str | None:
    if row.run < 1:
        return f"run number {row.run} is not positive"
    if not math.isfinite(me.entries) or me.entries < 0:
        return f"fEntries {me.entries} is not a finite non-negative number"
    return axis_problem("x", me.x) or (axis_problem("y", me.y) if me.y is not None else None)


def build_item(entry: int, row: IndexRow, where: str, title: str | None,
               outcome: DecodedME | Problem) -> HistogramRecord | EntryError:
    """The record for sequence entry ``entry``, read from tree entry ``where`` (e.g. ``TH2Fs[5]``), or its error."""

    def error(code: str, reason: str, *, keep_title: bool = True) -> EntryError:
        return EntryError(entry, code, f"{where}: {reason}", run=row.run, lumi=row.lumi,
                          title=title if keep_title else None)

    if isinstance(outcome, Problem):
        return error(outcome.code, outcome.reason)
    if title is None:
        return error("unreadable_object", "its FullName cannot be read")
    reason = _title_problem(title)
    if reason:
        return error("bad_value", reason, keep_title=False)
    reason = _value_problem(row, outcome)
    if reason:
        return error("bad_value", reason)
    x, y = outcome.x, outcome.y
    shape = (x.nbins,) if y is None else (y.nbins, x.nbins)
    if outcome.data.shape != shape:
        return error("bad_length", f"the bin array has shape {outcome.data.shape}, the axes need {shape}")
    return HistogramRecord(
        entry=entry, run=row.run, lumi=row.lumi, title=title, type_code=row.me_type.code,
        entries=int(outcome.entries), x_bin=x.nbins, x_min=x.low, x_max=x.high, data=outcome.data,
        y_bin=y.nbins if y else None, y_min=y.low if y else None, y_max=y.high if y else None,
        x_edges=x.edges, y_edges=y.edges if y else None,
    )
