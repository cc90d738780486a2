"""Condition matching in SQL: one statement per search, whatever the number of parameters.

A query is a list of :class:`Entry` objects (parameters resolved, values
read).  Each entry becomes an index range scan on
``calcat_parameter_condition`` (a "branch"); a condition matches when every
branch holds it and it has exactly as many parameters as the query.  The
branches are semi-joins, so the planner starts from the most selective one
and probes the others through the (condition, parameter) index.  Floats are
compared exactly: bounds are computed here with IEEE arithmetic and passed as
parameters, and the detector UUID is compared on its 64-bit pattern.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sciplane import database

from .models import Condition
from .wire.scalars import bits_of_float

TOLERANT, EXACT = "tolerant", "exact"


@dataclass(frozen=True)
class Entry:
    """One parameter of a query or of a condition being created."""

    parameter_id: int
    name: str
    kind: str  # "numeric" | "log" | "text" | "uuid"
    value: float
    text: str | None
    lo: float
    hi: float

    @property
    def bits(self) -> int:
        return bits_of_float(self.value)


def match_key(entries: list[Entry]) -> str:
    """SHA-256 of the canonical parameter set: the exact-match key stored on every condition."""
    parts = []
    for entry in sorted(entries, key=lambda e: e.parameter_id):
        if entry.kind == "text":
            parts.append(f"{entry.parameter_id}:t:{entry.text}")
        else:
            parts.append(f"{entry.parameter_id}:n:{entry.bits}:{bits_of_float(entry.lo)}:{bits_of_float(entry.hi)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _branch(entry: Entry, p: str) -> tuple[str, list]:
    """One ``UNION ALL`` branch selecting ``(condition_id, parameter_id, value_bits)`` hits for ``entry``."""
    if entry.kind == "uuid":
        return (f"SELECT condition_id, parameter_id, value_bits FROM calcat_parameter_condition "
                f"WHERE parameter_id = {p} AND value_bits = {p}", [entry.parameter_id, entry.bits])
    # No value_bits here: the branch is then answered from the (parameter, value, condition) index alone.
    head = ("SELECT condition_id, parameter_id, CAST(NULL AS BIGINT) AS value_bits FROM calcat_parameter_condition "
            f"WHERE parameter_id = {p}")
    if entry.kind == "text":
        text = entry.text or ""
        return (f"{head} AND substr(COALESCE(txt_value, ''), 1, {p}) = {p}",
                [entry.parameter_id, len(text), text])
    if entry.kind == "log":
        low, high = entry.value * 10.0 ** -entry.lo, entry.value * 10.0 ** entry.hi
        return f"{head} AND value > 0 AND value BETWEEN {p} AND {p}", [entry.parameter_id, low, high]
    return f"{head} AND value BETWEEN {p} AND {p}", [entry.parameter_id, entry.value - entry.lo,
                                                      entry.value + entry.hi]


def semi_joins(entries: list[Entry]) -> tuple[str, list]:
    """``c.id IN (<branch>) AND …`` for every entry: the planner starts from the most selective branch and
    probes the others through the (condition, parameter) index, instead of aggregating every hit."""
    p = database.param
    branches = [_branch(entry, p) for entry in entries]
    sql = " AND ".join(f"c.id IN (SELECT condition_id FROM ({branch}) b{index})"
                       for index, (branch, _) in enumerate(branches))
    return sql, [value for _, args in branches for value in args]


def possible(entries: list[Entry], event_us: int) -> list[Condition]:
    """The available conditions with exactly this parameter set, each value within its tolerance,
    closest in creation time to ``event_us`` first (then newest id)."""
    p = database.param
    matches, args = semi_joins(entries)
    n = len(entries)
    sql = (f"SELECT c.* FROM calcat_condition c WHERE c.flg_available AND c.num_parameters = {p} AND {matches} "
           f"ORDER BY ABS(c.created_at_us - {p}), c.id DESC")
    return list(Condition.raw(sql, n, *args, event_us))


def for_pdus(entries: list[Entry], uuid_parameter_id: int | None, uuids: list[int]) -> list[tuple[int, int | None]]:
    """``(condition id, bound uuid or None)`` of the available conditions matching ``entries`` tolerantly:
    generic ones (exactly these parameters) and ones bound to a PDU (these plus its Detector UUID, compared
    on the bits).  One statement."""
    p = database.param
    matches, args = semi_joins(entries)
    n = len(entries)
    if uuid_parameter_id is None or not uuids:
        sql = (f"SELECT c.id, NULL FROM calcat_condition c WHERE c.flg_available AND c.num_parameters = {p} "
               f"AND {matches}")
        return [tuple(row) for row in database.execute_sql(sql, [n, *args]).fetchall()]
    in_uuids = ", ".join([p] * len(uuids))
    sql = (f"SELECT c.id, (SELECT value_bits FROM calcat_parameter_condition u WHERE u.condition_id = c.id "
           f"AND u.parameter_id = {p}) FROM calcat_condition c WHERE c.flg_available AND {matches} "
           f"AND (c.num_parameters = {p} OR (c.num_parameters = {p} AND c.id IN (SELECT condition_id "
           f"FROM calcat_parameter_condition WHERE parameter_id = {p} AND value_bits IN ({in_uuids}))))")
    rows = database.execute_sql(sql, [uuid_parameter_id, *args, n, n + 1, uuid_parameter_id, *uuids]).fetchall()
    return [(condition_id, bits if bits in set(uuids) else None) for condition_id, bits in rows]
