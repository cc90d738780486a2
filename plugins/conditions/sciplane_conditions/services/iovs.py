"""Payload IOVs: creation, attachment (unlocked and locked rules), deletion and bulk loading.

The attach algorithms work on the list in place with a handful of indexed
statements each; a list is never loaded whole, so their cost does not grow
with the number of IOVs in it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import peewee

from sciplane import utcnow
from sciplane.db import insert_rows

from ..errors import GT_FROZEN, GT_LOCKED, CondError, conflict, not_found
from ..models import GlobalTag, GTStatus, PayloadIOV, PayloadList, PayloadType
from ..points import Mode, is_open_ended
from . import state
from .catalog import FROZEN, IOV_COPY_COLUMNS, LOCKED, Authorizer, global_tag_of, refuse_if_frozen, status_name

START = peewee.Tuple(PayloadIOV.major_iov, PayloadIOV.minor_iov)
END = peewee.Tuple(PayloadIOV.major_iov_end, PayloadIOV.minor_iov_end)
LATEST_FIRST = (PayloadIOV.major_iov.desc(), PayloadIOV.minor_iov.desc(), PayloadIOV.id.desc())
EARLIEST_FIRST = (PayloadIOV.major_iov, PayloadIOV.minor_iov, PayloadIOV.id)
INSERT_CHUNK = 5000  # rows per COPY batch on PostgreSQL


def point(value: tuple[int, int]) -> peewee.Tuple:
    return peewee.Tuple(*value)


def range_message(url: str, start: tuple[int, int], end: tuple[int, int]) -> str:
    return (f"{url} PayloadIOV ending IOVs should be greater or equal than starting. Provided end IOVs: "
            f"major_iov: {start[0]} major_iov_end: {end[0]} minor_iov: {start[1]} minor_iov_end: {end[1]}")


def describe(iov: PayloadIOV) -> str:
    return f"{iov.payload_url} ({iov.major_iov},{iov.minor_iov},{iov.major_iov_end},{iov.minor_iov_end})"


def locked_refusal(x: PayloadIOV, existing: PayloadIOV) -> CondError:
    return conflict("gt_locked", "GT is LOCKED. You are attempting to insert IOV (major_iov,minor_iov,major_iov_end, "
                                 f"minor_iov_end) ({x.major_iov},{x.minor_iov},{x.major_iov_end},{x.minor_iov_end}). "
                                 f"Conflicts with existing IOV {describe(existing)}")


class IOVService:
    def __init__(self, authz: Authorizer, mode: Mode):
        self.authz = authz
        self.mode = mode

    # -- create -------------------------------------------------------------
    @state.write
    def create(self, identity, data: dict[str, Any]) -> PayloadIOV:
        start = (data["major_iov"], data["minor_iov"])
        end = (data["major_iov_end"], data["minor_iov_end"])
        if not self.mode.valid_range(start, end):
            raise CondError(400, "invalid_iov_range", range_message(data["payload_url"], start, end))
        self.authz.check(identity, "conditions.piov.create",
                         {"type": "payload_iov", "payload_url": data["payload_url"]})
        now = utcnow()
        iov = PayloadIOV.create(**data, created=now, updated=now)
        state.bump_database()
        return iov

    # -- attach -------------------------------------------------------------
    @state.write
    def attach(self, identity, list_name: str, iov_id: int) -> PayloadIOV:
        target = PayloadList.get_or_none(PayloadList.name == list_name)
        if target is None:
            raise not_found("payload_list_not_found", "PayloadList not found.")
        x = PayloadIOV.get_or_none(PayloadIOV.id == iov_id)
        if x is None:
            raise not_found("payload_iov_not_found", "PayloadIOV not found.")
        gt = global_tag_of(target)
        self.authz.check(identity, "conditions.piov.attach", {"type": "global_tag", "name": gt.name if gt else None,
                                              "status": status_name(gt), "payload_list": list_name})
        source = PayloadList.get_or_none(PayloadList.id == x.payload_list_id) if x.payload_list_id else None
        moving = source is not None and source.id != target.id
        source_gt = global_tag_of(source) if moving else None
        state.lock(global_tags=[target.global_tag_id, source.global_tag_id if source else None],
                   lists=[target.id, source.id if source else None], iovs=[x.id])
        if (PayloadList.get_by_id(target.id).global_tag_id != target.global_tag_id
                or PayloadIOV.get_by_id(x.id).payload_list_id != x.payload_list_id):
            raise state.Restart()
        refuse_if_frozen(gt)
        if source_gt is not None and source_gt.status.name in (LOCKED, FROZEN):
            raise conflict(f"gt_{source_gt.status.name}",
                           f"PayloadIOV {x.id} is attached to Payload List {source.name} of Global Tag "
                           f"{source_gt.name}, which is {source_gt.status.name}.")
        counts: Counter[int | None] = Counter()
        if gt is not None and gt.status.name == LOCKED:
            self._check_locked(target, x)
        else:
            self._make_room(target, x, counts)
        if x.payload_list_id != target.id:
            PayloadIOV.update(payload_list=target.id, updated=utcnow()).where(PayloadIOV.id == x.id).execute()
            counts[target.id] += 1
            counts[x.payload_list_id] -= 1
        state.adjust_counts(counts)
        PayloadList.update(updated=utcnow()).where(PayloadList.id == target.id).execute()
        state.touch([target.global_tag_id, source_gt.id if source_gt else None])
        state.bump_database()
        return PayloadIOV.get_by_id(x.id)

    def _check_locked(self, target: PayloadList, x: PayloadIOV) -> None:
        """Append-only rules: accept ``x`` as it is, or refuse naming the conflicting IOV."""
        members = PayloadIOV.select().where(PayloadIOV.payload_list == target.id)
        same = members.where(START == point(x.start)).order_by(PayloadIOV.id.desc()).first()
        if same is not None:
            raise locked_refusal(x, same)
        last = members.order_by(*LATEST_FIRST).first()
        if (is_open_ended(x.end) and last is not None and is_open_ended(last.end) and last.start < x.start):
            return  # the online case: two open-ended IOVs may coexist
        before = members.where(START < point(x.start)).order_by(*LATEST_FIRST).first()
        if before is not None and self.mode.reaches(before.end, x.start):
            raise locked_refusal(x, before)
        after = members.where(START > point(x.start)).order_by(*EARLIEST_FIRST).first()
        if after is not None and self.mode.reaches(x.end, after.start):
            raise locked_refusal(x, after)

    def _make_room(self, target: PayloadList, x: PayloadIOV, counts: Counter) -> None:
        """The unlocked algorithm (spec §4.4): detach covered IOVs, shift the one straddling
        the end, trim or split the predecessor, so every point of ``x`` resolves to ``x``."""
        s, e = x.start, x.end
        b = self.mode.after(e)
        now = utcnow()
        others = (PayloadIOV.payload_list == target.id) & (PayloadIOV.id != x.id)

        def detach(condition) -> None:
            counts[target.id] -= PayloadIOV.update(payload_list=None, updated=now).where(others & condition).execute()

        def starts_at_b(excluding: int | None = None) -> bool:
            condition = others & (START == point(b))
            if excluding is not None:
                condition &= PayloadIOV.id != excluding
            return PayloadIOV.select().where(condition).exists()

        detach((START >= point(s)) & (END <= point(e)))
        straddling = []
        if b is not None:
            straddling = list(PayloadIOV.select().where(others & (START >= point(s)) & (START < point(b)))
                              .order_by(*LATEST_FIRST))
        if straddling:
            last, rest = straddling[0], straddling[1:]
            if rest:
                detach(PayloadIOV.id.in_([i.id for i in rest]))
            blocked = starts_at_b(excluding=last.id)
            if last.start > s and not blocked:
                (PayloadIOV.update(major_iov=b[0], minor_iov=b[1], updated=now)
                 .where(PayloadIOV.id == last.id).execute())
            else:
                detach(PayloadIOV.id == last.id)
                if last.start == s and not blocked:
                    self._copy(last, b, last.end, target.id, counts)
        before = PayloadIOV.select().where(others & (START < point(s))).order_by(*LATEST_FIRST).first()
        if before is not None and self.mode.reaches(before.end, s):
            old_end = before.end
            trimmed = self.mode.trimmed_end(s)
            (PayloadIOV.update(major_iov_end=trimmed[0], minor_iov_end=trimmed[1], updated=now)
             .where(PayloadIOV.id == before.id).execute())
            if b is not None and old_end > e and not straddling and not starts_at_b():
                self._copy(before, b, old_end, target.id, counts)

    @staticmethod
    def _copy(original: PayloadIOV, start: tuple[int, int], end: tuple[int, int], list_id: int,
              counts: Counter) -> None:
        now = utcnow()
        PayloadIOV.insert(payload_url=original.payload_url, checksum=original.checksum, size=original.size,
                          extra=original.extra, major_iov=start[0], minor_iov=start[1], major_iov_end=end[0],
                          minor_iov_end=end[1], payload_list=list_id, created=now, updated=now).execute()
        counts[list_id] += 1

    # -- delete -------------------------------------------------------------
    @state.write
    def delete(self, identity, gt_name: str, type_name: str, start: tuple[int, int], end: tuple[int, int]) -> str:
        query = (PayloadIOV.select(PayloadIOV, PayloadList, GlobalTag, GTStatus)
                 .join(PayloadList).join(GlobalTag).join(GTStatus)
                 .switch(PayloadList).join(PayloadType)
                 .where((GlobalTag.name == gt_name) & (PayloadType.name == type_name)
                        & (START == point(start)) & (END == point(end)))
                 .order_by(PayloadIOV.id.desc()))
        rows = list(query)
        if not rows:
            raise not_found("payload_iov_not_found", "PayloadIOV with given parameters doesn't exist")
        latest = rows[0]
        gt = latest.payload_list.global_tag
        self.authz.check(identity, "conditions.piov.delete",
                       {"type": "global_tag", "name": gt.name, "status": gt.status.name, "payload_type": type_name,
                        "payload_url": latest.payload_url})
        state.lock(global_tags=[gt.id], lists=[latest.payload_list_id])
        refuse_if_frozen(gt)
        deleted = PayloadIOV.delete().where(PayloadIOV.id.in_([r.id for r in rows])).execute()
        state.adjust_counts({latest.payload_list_id: -deleted})
        state.touch([gt.id])
        state.bump_database()
        return latest.payload_url

    @state.write
    def prune_detached(self, older_than) -> int:
        """Delete detached IOVs last changed before ``older_than`` (operator housekeeping)."""
        deleted = (PayloadIOV.delete()
                   .where(PayloadIOV.payload_list.is_null() & (PayloadIOV.updated < older_than)).execute())
        if deleted:
            state.bump_database()
        return deleted

    # -- bulk ---------------------------------------------------------------
    @state.write
    def bulk(self, identity, items: list[dict[str, Any]]) -> int:
        """Insert validated items (``payload_list`` names) atomically; returns the number inserted."""
        if not items:
            return 0
        names = sorted({item["payload_list"] for item in items})
        lists = {row.name: row for row in (PayloadList.select(PayloadList, GlobalTag, GTStatus)
                                           .join(GlobalTag, peewee.JOIN.LEFT_OUTER)
                                           .join(GTStatus, peewee.JOIN.LEFT_OUTER)
                                           .where(PayloadList.name.in_(names)))}
        missing = [name for name in names if name not in lists]
        if missing:
            raise CondError(404, "payload_list_not_found", "PayloadList not found.", missing=missing)
        self.authz.check_each(identity, "conditions.piov.create",
                              ({"type": "payload_iov", "payload_url": url}
                               for url in sorted({item["payload_url"] for item in items})))
        targets = {}
        for name in names:
            gt = lists[name].global_tag if lists[name].global_tag_id is not None else None
            targets.setdefault(gt.name if gt else None, (gt, name))
        for gt_name, (gt, list_name) in targets.items():
            self.authz.check(identity, "conditions.piov.attach",
                           {"type": "global_tag", "name": gt_name, "status": status_name(gt),
                            "payload_list": list_name})
        for name in names:
            gt = lists[name].global_tag if lists[name].global_tag_id is not None else None
            if gt is not None and gt.status.name == FROZEN:
                raise conflict("gt_frozen", GT_FROZEN)
            if gt is not None and gt.status.name == LOCKED:
                raise conflict("gt_locked", GT_LOCKED)
        gt_ids = {row.global_tag_id for row in lists.values()}
        state.lock(global_tags=gt_ids, lists=[row.id for row in lists.values()])
        now = utcnow()
        columns = [*IOV_COPY_COLUMNS, "payload_list_id", "created", "updated"]
        rows = ((item["payload_url"], item["checksum"], item["size"], item["major_iov"], item["minor_iov"],
                 item["major_iov_end"], item["minor_iov_end"], item["extra"], lists[item["payload_list"]].id, now, now)
                for item in items)
        inserted = insert_rows(PayloadIOV, columns, rows, chunk=INSERT_CHUNK)
        state.adjust_counts(Counter(lists[item["payload_list"]].id for item in items))
        state.touch(gt_ids)
        state.bump_database()
        return inserted
