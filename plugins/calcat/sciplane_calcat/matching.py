"""Condition matching in SQL: one statement per search, whatever the number of parameters.

A query is a list of :class:`Entry` objects (parameters resolved, values
read).  Each entry becomes one branch of a ``UNION ALL`` of index range
scans on ``calcat_parameter_condition``; a condition matches when every
branch hit it and it has exactly as many parameters as the query.  Floats are
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
    head = "SELECT condition_id, parameter_id, value_bits FROM calcat_parameter_condition WHERE parameter_id = " + p
    if entry.kind == "uuid":
        return f"{head} AND value_bits = {p}", [entry.parameter_id, entry.bits]
    if entry.kind == "text":
        text = entry.text or ""
        return (f"{head} AND substr(COALESCE(txt_value, ''), 1, {p}) = {p}",
                [entry.parameter_id, len(text), text])
    if entry.kind == "log":
        low, high = entry.value * 10.0 ** -entry.lo, entry.value * 10.0 ** entry.hi
        return f"{head} AND value > 0 AND value BETWEEN {p} AND {p}", [entry.parameter_id, low, high]
    return f"{head} AND value BETWEEN {p} AND {p}", [entry.parameter_id, entry.value - entry.lo,
                                                      entry.value + entry.hi]


def hits_sql(entries: list[Entry], extra: tuple[str, list] | None = None) -> tuple[str, list]:
    """The ``hits`` common table expression for ``entries`` (plus an optional extra branch)."""
    p = database.param
    branches = [_branch(entry, p) for entry in entries]
    if extra is not None:
        branches.append(extra)
    return (" UNION ALL ".join(sql for sql, _ in branches), [value for _, args in branches for value in args])


def possible(entries: list[Entry], event_us: int) -> list[Condition]:
    """The available conditions with exactly this parameter set, each value within its tolerance,
    closest in creation time to ``event_us`` first (then newest id)."""
    p = database.param
    hits, args = hits_sql(entries)
    n = len(entries)
    sql = (f"WITH hits AS ({hits}) SELECT c.* FROM (SELECT condition_id, COUNT(*) AS n FROM hits "
           f"GROUP BY condition_id) m JOIN calcat_condition c ON c.id = m.condition_id "
           f"WHERE m.n = {p} AND c.num_parameters = {p} AND c.flg_available "
           f"ORDER BY ABS(c.created_at_us - {p}), c.id DESC")
    return list(Condition.raw(sql, *args, n, n, event_us))


def for_pdus(entries: list[Entry], uuid_parameter_id: int | None, uuids: list[int]) -> list[tuple[int, int | None]]:
    """``(condition id, bound uuid or None)`` of the available conditions matching ``entries`` tolerantly:
    generic ones (exactly these parameters) and ones bound to a PDU (these plus its Detector UUID, compared
    on the bits).  One statement."""
    p = database.param
    extra = None
    if uuid_parameter_id is not None and uuids:
        extra = (f"SELECT condition_id, parameter_id, value_bits FROM calcat_parameter_condition "
                 f"WHERE parameter_id = {p} AND value_bits IN ({', '.join([p] * len(uuids))})",
                 [uuid_parameter_id, *uuids])
    hits, args = hits_sql(entries, extra)
    n = len(entries)
    uuid_pid = uuid_parameter_id if uuid_parameter_id is not None else -1
    sql = (f"WITH hits AS ({hits}), m AS (SELECT condition_id, COUNT(*) AS n, "
           f"MAX(CASE WHEN parameter_id = {p} THEN value_bits END) AS pdu_uuid FROM hits GROUP BY condition_id) "
           f"SELECT c.id, m.pdu_uuid FROM m JOIN calcat_condition c ON c.id = m.condition_id WHERE c.flg_available "
           f"AND ((m.pdu_uuid IS NULL AND m.n = {p} AND c.num_parameters = {p}) "
           f"OR (m.pdu_uuid IS NOT NULL AND m.n = {p} AND c.num_parameters = {p}))")
    rows = database.execute_sql(sql, [*args, uuid_pid, n, n, n + 1, n + 1]).fetchall()
    return [(condition_id, pdu_uuid) for condition_id, pdu_uuid in rows]
