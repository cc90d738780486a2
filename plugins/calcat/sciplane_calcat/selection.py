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
             pairs: Iterable[tuple[int, int]] | None = None) -> list[CalibrationConstantVersion]:
    """Candidate versions in strategy order; ``first_per``: only the first of each group, the group being
    ``"pdu"`` or ``"pdu_calibration"`` (a PDU and the calibration of the version's constant).  ``pairs``:
    only these ``(constant, PDU)`` combinations (constants bound to one PDU by their condition)."""
    constant_ids, pdu_ids = list(constant_ids), list(pdu_ids)
    pairs = list(pairs) if pairs is not None else None
    if not constant_ids or not pdu_ids or pairs == []:
        return []
    p = database.param
    args: list = [*constant_ids, *pdu_ids, event_us]
    where = [f"v.calibration_constant_id IN ({', '.join([p] * len(constant_ids))})",
             f"v.physical_detector_unit_id IN ({', '.join([p] * len(pdu_ids))})",
             f"(v.end_validity_at_us IS NULL OR v.end_validity_at_us > {p})"]
    if pairs is not None:
        values = ", ".join(f"({p}, {p})" for _ in pairs)
        where.append(f"(v.calibration_constant_id, v.physical_detector_unit_id) IN (VALUES {values})")
        args += [value for pair in pairs for value in pair]
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
    base = (f"FROM calcat_calibration_constant_version v "
            f"JOIN calcat_calibration_constant cc ON cc.id = v.calibration_constant_id WHERE {' AND '.join(where)}")
    if first_per is None:
        sql = f"SELECT v.* {base} ORDER BY {order}"
        return list(CalibrationConstantVersion.raw(sql, *args, *order_args))
    partition = "v.physical_detector_unit_id" + (", cc.calibration_id" if first_per == "pdu_calibration" else "")
    sql = (f"SELECT * FROM (SELECT v.*, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {order}) AS rank_ "
           f"{base}) ranked WHERE rank_ = 1")
    return list(CalibrationConstantVersion.raw(sql, *order_args, *args))
