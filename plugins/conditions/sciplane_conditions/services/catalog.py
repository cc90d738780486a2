"""Statuses, payload types, global tags and payload lists: creation, attachment, cloning, deletion.

Every write runs in one transaction (:func:`state.write`), checks in the
order lookups (404), permission (403), state rules (409), and bumps the
counters the HTTP validators are made of.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import peewee

from sciplane import database, utcnow, write_transaction

from ..errors import GT_FROZEN, GT_LOCKED, FieldErrors, conflict, not_found
from ..models import GlobalTag, GTStatus, PayloadIOV, PayloadList, PayloadType
from . import state

LOCKED, FROZEN, UNLOCKED = "locked", "frozen", "unlocked"
IOV_COPY_COLUMNS = ("payload_url", "checksum", "size", "major_iov", "minor_iov", "major_iov_end", "minor_iov_end",
                    "extra")

class Authorizer(Protocol):
    """The core's permission checks (``ctx.authorizer``): raise 401/403 when the caller may not."""

    def check(self, identity: Any, action: str, resource: Any = None) -> None: ...

    def check_each(self, identity: Any, action: str, resources: Iterable[Any]) -> None: ...


def exists_error(what: str) -> FieldErrors:
    return FieldErrors({"name": [f"{what} with this name already exists."]}, code="already_exists")


def status_name(gt: GlobalTag | None) -> str | None:
    return gt.status.name if gt is not None else None


def refuse_if_frozen(gt: GlobalTag | None) -> None:
    if gt is not None and gt.status.name == FROZEN:
        raise conflict("gt_frozen", GT_FROZEN)


def global_tag_by_name(name: str) -> GlobalTag | None:
    return GlobalTag.select(GlobalTag, GTStatus).join(GTStatus).where(GlobalTag.name == name).first()


def payload_list_by_name(name: str) -> PayloadList | None:
    return PayloadList.select().where(PayloadList.name == name).first()


def global_tag_of(payload_list: PayloadList | None) -> GlobalTag | None:
    if payload_list is None or payload_list.global_tag_id is None:
        return None
    return GlobalTag.select(GlobalTag, GTStatus).join(GTStatus).where(GlobalTag.id == payload_list.global_tag_id).get()


class Catalog:
    """Writes to the catalogue objects; each write takes the caller's identity for its permission check."""

    def __init__(self, authz: Authorizer):
        self.authz = authz

    # -- statuses and types -------------------------------------------------
    def create_status(self, identity, name: str) -> GTStatus:
        return self._create_named(identity, GTStatus, "gt_status", "global tag status", name)

    def create_type(self, identity, name: str) -> PayloadType:
        return self._create_named(identity, PayloadType, "payload_type", "payload type", name)

    @state.write
    def _create_named(self, identity, model, kind: str, label: str, name: str):
        """A status or a type: uniqueness (400), then permission (403), then the row."""
        if model.select().where(model.name == name).exists():
            raise exists_error(label)
        self.authz.check(identity, "conditions.catalog.write", {"type": kind, "name": name})
        try:
            with database.atomic():
                row = model.create(name=name, created=utcnow())
        except peewee.IntegrityError:  # a concurrent writer took the name first
            raise exists_error(label) from None
        state.bump_database()
        return row

    @state.write
    def delete_type(self, identity, name: str) -> None:
        payload_type = PayloadType.get_or_none(PayloadType.name == name)
        if payload_type is None:
            raise not_found("payload_type_not_found", f"PayloadType {name} doesn't exist")
        self.authz.check(identity, "conditions.catalog.write", {"type": "payload_type", "name": name})
        used = PayloadList.select().where(PayloadList.payload_type == payload_type.id).count()
        if used:
            raise conflict("in_use", f"PayloadType is used by {used} PayloadLists")
        payload_type.delete_instance()
        state.bump_database()

    # -- global tags ----------------------------------------------------------
    @state.write
    def create_global_tag(self, identity, name: str, status: str, author: str | None) -> GlobalTag:
        if GlobalTag.select().where(GlobalTag.name == name).exists():
            raise exists_error("global tag")
        status_row = GTStatus.get_or_none(GTStatus.name == status)
        if status_row is None:
            raise not_found("status_not_found", "GlobalTagStatus not found.")
        self.authz.check(identity, "conditions.gt.create", {"type": "global_tag", "name": name, "source": None})
        now = utcnow()
        try:
            with database.atomic():
                gt = GlobalTag.create(name=name, author=author, status=status_row, created=now, updated=now,
                                      change_counter=1, changed_at=now)
        except peewee.IntegrityError:
            raise exists_error("global tag") from None
        state.bump_database()
        return gt

    @state.write
    def change_status(self, identity, name: str, new_status: str) -> GlobalTag:
        gt = global_tag_by_name(name)
        if gt is None:
            raise not_found("global_tag_not_found", "GlobalTag not found.")
        status_row = GTStatus.get_or_none(GTStatus.name == new_status)
        if status_row is None:
            raise not_found("status_not_found", "GlobalTag Status not found.")
        self.authz.check(identity, "conditions.gt.change_status",
                       {"type": "global_tag", "name": name, "status": gt.status.name, "new_status": new_status})
        state.lock(global_tags=[gt.id])
        now = utcnow()
        (GlobalTag.update(status=status_row.id, updated=now, change_counter=GlobalTag.change_counter + 1,
                          changed_at=now).where(GlobalTag.id == gt.id).execute())
        state.bump_database()
        return GlobalTag.get_by_id(gt.id)

    @state.write
    def delete_global_tag(self, identity, name: str) -> None:
        gt = global_tag_by_name(name)
        if gt is None:
            raise not_found("global_tag_not_found", f"GlobalTag {name} doesn't exist")
        self.authz.check(identity, "conditions.gt.delete",
                         {"type": "global_tag", "name": name, "status": gt.status.name})
        state.lock(global_tags=[gt.id])
        if gt.status.name == LOCKED:
            raise conflict("gt_locked", GT_LOCKED)
        refuse_if_frozen(gt)
        lists = PayloadList.select(PayloadList.id).where(PayloadList.global_tag == gt.id)
        # Explicit deletes in dependency order; the foreign keys' cascades are only a safety net.
        PayloadIOV.delete().where(PayloadIOV.payload_list.in_(lists)).execute()
        PayloadList.delete().where(PayloadList.global_tag == gt.id).execute()
        GlobalTag.delete().where(GlobalTag.id == gt.id).execute()
        state.bump_database()

    @state.write
    def clone(self, identity, source: str, target: str) -> GlobalTag:
        if GlobalTag.select().where(GlobalTag.name == target).exists():
            raise exists_error("global tag")
        src = global_tag_by_name(source)
        if src is None:
            raise not_found("global_tag_not_found", f"GlobalTag {source} doesn't exist")
        self.authz.check(identity, "conditions.gt.create", {"type": "global_tag", "name": target, "source": source})
        # Writers to the source lock its row first, so holding it makes the copy one commit point.
        state.lock(global_tags=[src.id])
        unlocked = GTStatus.get_or_none(GTStatus.name == UNLOCKED) or GTStatus.create(name=UNLOCKED, created=utcnow())
        now = utcnow()
        try:
            with database.atomic():
                dst = GlobalTag.create(name=target, author=src.author, description=src.description,
                                       status=unlocked, created=now, updated=now, change_counter=1, changed_at=now)
        except peewee.IntegrityError:
            raise exists_error("global tag") from None
        columns = ", ".join(IOV_COPY_COLUMNS)
        param = database.param
        for source_list in (PayloadList.select(PayloadList, PayloadType).join(PayloadType)
                            .where(PayloadList.global_tag == src.id).order_by(PayloadList.id)):
            list_id = state.allocate_list_id()
            PayloadList.insert(id=list_id, name=f"{source_list.payload_type.name}_{list_id}", global_tag=dst.id,
                               payload_type=source_list.payload_type_id, iov_count=source_list.iov_count,
                               created=now, updated=now).execute()
            # Set-based copy in ascending source id, so copies keep the
            # relative order that breaks resolution ties.
            database.execute_sql(
                f"INSERT INTO cond_payload_iov ({columns}, payload_list_id, created, updated) "
                f"SELECT {columns}, {param}, {param}, {param} FROM cond_payload_iov "
                f"WHERE payload_list_id = {param} ORDER BY id",
                (list_id, now, now, source_list.id))
        state.bump_database()
        return dst

    # -- payload lists ------------------------------------------------------------
    @state.write
    def create_list(self, identity, type_name: str) -> PayloadList:
        payload_type = PayloadType.get_or_none(PayloadType.name == type_name)
        if payload_type is None:
            raise not_found("payload_type_not_found", "PayloadType not found.")
        list_id = state.allocate_list_id()
        name = f"{type_name}_{list_id}"
        self.authz.check(identity, "conditions.catalog.write", {"type": "payload_list", "name": name})
        now = utcnow()
        PayloadList.insert(id=list_id, name=name, payload_type=payload_type.id, created=now, updated=now).execute()
        state.bump_database()
        return PayloadList.get_by_id(list_id)

    @state.write
    def attach_list(self, identity, gt_name: str, list_name: str) -> PayloadList:
        payload_list = payload_list_by_name(list_name)
        if payload_list is None:
            raise not_found("payload_list_not_found", "PayloadList not found.")
        gt = global_tag_by_name(gt_name)
        if gt is None:
            raise not_found("global_tag_not_found", "GlobalTag not found.")
        source = global_tag_of(payload_list)
        type_name = payload_list.payload_type.name
        resource = {"type": "global_tag", "payload_list": list_name, "payload_type": type_name}
        self.authz.check(identity, "conditions.pl.attach",
                       {**resource, "name": gt.name, "status": gt.status.name, "role": "target"})
        moving = source is not None and source.id != gt.id
        if moving:
            self.authz.check(identity, "conditions.pl.attach",
                           {**resource, "name": source.name, "status": source.status.name, "role": "source"})
        state.lock(global_tags=[gt.id, source.id if source else None], lists=[payload_list.id])
        if PayloadList.get_by_id(payload_list.id).global_tag_id != payload_list.global_tag_id:
            raise state.Restart()
        refuse_if_frozen(gt)
        if moving and source.status.name in (LOCKED, FROZEN):
            raise conflict(f"gt_{source.status.name}", f"Payload List {list_name} is attached to Global Tag "
                                                       f"{source.name}, which is {source.status.name}.")
        same_type = PayloadList.select(PayloadList.id).where(
            (PayloadList.global_tag == gt.id) & (PayloadList.payload_type == payload_list.payload_type_id))
        if gt.status.name == LOCKED and same_type.exists():
            raise conflict("gt_locked", f"Payload List of type {type_name} already attached and "
                                        "Global Tag is locked.")
        now = utcnow()
        (PayloadList.update(global_tag=None, updated=now)
         .where(PayloadList.id.in_(same_type) & (PayloadList.id != payload_list.id)).execute())
        PayloadList.update(global_tag=gt.id, updated=now).where(PayloadList.id == payload_list.id).execute()
        state.touch([gt.id], updated=True)
        if moving:
            state.touch([source.id])
        state.bump_database()
        return PayloadList.get_by_id(payload_list.id)

    @state.write
    def delete_list(self, identity, name: str) -> None:
        payload_list = payload_list_by_name(name)
        if payload_list is None:
            raise not_found("payload_list_not_found", f"PayloadList {name} doesn't exist")
        self.authz.check(identity, "conditions.catalog.write", {"type": "payload_list", "name": name})
        gt = global_tag_of(payload_list)
        state.lock(global_tags=[payload_list.global_tag_id], lists=[payload_list.id])
        attached = PayloadIOV.select().where(PayloadIOV.payload_list == payload_list.id).count()
        if attached:
            raise conflict("in_use", f"PayloadList contains {attached} PayloadIOVs")
        refuse_if_frozen(gt)
        PayloadList.delete().where(PayloadList.id == payload_list.id).execute()
        if gt is not None:
            state.touch([gt.id])
        state.bump_database()


def ensure_statuses(names: tuple[str, ...] = (UNLOCKED, LOCKED, FROZEN)) -> list[str]:
    """Create missing statuses (``seed_statuses``); returns the names created."""
    existing = {s.name for s in GTStatus.select(GTStatus.name)}
    created = [name for name in names if name not in existing]
    if created:
        with write_transaction():
            for name in created:
                GTStatus.insert(name=name, created=utcnow()).on_conflict_ignore().execute()
            state.bump_database()
    return created
