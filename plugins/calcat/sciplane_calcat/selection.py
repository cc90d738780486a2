"""Choosing constant versions in SQL: the candidate set and the strategies, one statement.

Candidates of constants ``K`` for PDUs ``P`` at event time ``E`` are the
versions that are deployed (now, or at the state time ``S`` through their
deployment intervals) and not expired at ``E`` (an open end never expires).
*closest* orders them by the distance of ``begin_at`` to ``E`` (a tie goes to
the one beginning before, then to the newer id); *prior* keeps those
beginning at or before ``E``, latest first.  With ``first_per`` the statement
keeps the first candidate of each group (a window function), so any number
of PDUs and calibrations costs one statement.
"""

from __future__ import annotations

from collections.abc import Iterable

from sciplane import database

from .models import CalibrationConstantVersion

CLOSEST, PRIOR = "closest", "prior"
_ORDER = {
    CLOSEST: "ABS(v.begin_at_us - {p}) ASC, CASE WHEN v.begin_at_us > {p} THEN 1 ELSE 0 END ASC, v.id DESC",
    PRIOR: "v.begin_at_us DESC, v.id DESC",
}


def versions(constant_ids: Iterable[int], pdu_ids: Iterable[int], event_us: int, *, strategy: str = CLOSEST,
             snapshot_us: int | None = None, first_per: str | None = None,
             pairs: Iterable[tuple[int, int, int]] | None = None) -> list[CalibrationConstantVersion]:
    """Candidate versions in strategy order; ``first_per``: only the first of each group, the group being
    ``"pdu"`` or ``"pdu_calibration"`` (a PDU and a calibration; needs ``pairs``).  ``pairs``: only these
    ``(constant, PDU, calibration of the constant)`` combinations (constants bound to one PDU by their
    condition)."""
    constant_ids, pdu_ids = list(constant_ids), list(pdu_ids)
    pairs = list(pairs) if pairs is not None else None
    if not constant_ids or not pdu_ids or pairs == []:
        return []
    p = database.param
    prefix = ""
    if pairs is None:
        source = "calcat_calibration_constant_version v"
        args: list = [*constant_ids, *pdu_ids, event_us]
        where = [f"v.calibration_constant_id IN ({', '.join([p] * len(constant_ids))})",
                 f"v.physical_detector_unit_id IN ({', '.join([p] * len(pdu_ids))})"]
    else:
        # Joined on both columns (and nothing else), so each pair is one range of the (constant, PDU,
        # begin) index; the calibration rides along for the partition.
        values = ", ".join(f"({p}, {p}, {p})" for _ in pairs)
        prefix = f"WITH allowed (cc_id, pdu_id, calibration_id) AS (VALUES {values}) "
        source = ("allowed JOIN calcat_calibration_constant_version v "
                  "ON v.calibration_constant_id = allowed.cc_id AND v.physical_detector_unit_id = allowed.pdu_id")
        args = [event_us]
        where = []
    where.append(f"(v.end_validity_at_us IS NULL OR v.end_validity_at_us > {p})")
    if snapshot_us is None:
        where.append("v.flg_deployed")
    else:
        where.append(f"EXISTS (SELECT 1 FROM calcat_ccv_deployment d WHERE d.ccv_id = v.id "
                     f"AND d.deployed_from_us <= {p} AND (d.deployed_to_us IS NULL OR d.deployed_to_us > {p}))")
        args += [snapshot_us, snapshot_us]
    if strategy == PRIOR:
        where.append(f"v.begin_at_us <= {p}")
        args.append(event_us)
    order = _ORDER[strategy].format(p=p)
    order_args = [event_us, event_us] if strategy == CLOSEST else []
    base = f"FROM {source} WHERE {' AND '.join(where)}"
    if first_per is None:
        sql = f"{prefix}SELECT v.* {base} ORDER BY {order}"
        pair_args = [value for pair in pairs for value in pair] if pairs is not None else []
        return list(CalibrationConstantVersion.raw(sql, *pair_args, *args, *order_args))
    partition = "v.physical_detector_unit_id" + (", allowed.calibration_id" if first_per == "pdu_calibration" else "")
    sql = (f"{prefix}SELECT * FROM (SELECT v.*, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {order}) "
           f"AS rank_ {base}) ranked WHERE rank_ = 1")
    pair_args = [value for pair in pairs for value in pair] if pairs is not None else []
    return list(CalibrationConstantVersion.raw(sql, *pair_args, *order_args, *args))
