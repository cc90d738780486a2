"""Which groups a caller may name: those that exist and hold the caller (staff may name any)."""

from __future__ import annotations

from collections.abc import Mapping

from sciplane import Identity

from ..models import Group, Membership, name_key
from ..wire.listing import digits


def member_groups(identity: Identity, items: list) -> tuple[list[Group], list[str]]:
    """The groups named (by id, name, ``{"id": n}`` or ``{"name": s}``) that exist and hold the caller (or any,
    for staff); and the labels of those that do not."""
    found, refused = [], []
    for item in items:
        if isinstance(item, Mapping):
            ident, name = item.get("id"), item.get("name")
        elif isinstance(item, int) and not isinstance(item, bool):
            ident, name = item, None
        else:
            text = str(item).strip()
            ident, name = (int(text), None) if digits(text) and len(text) < 10 else (None, text)
        if ident is not None:
            query = Group.select().where(Group.id == ident) if digits(str(ident)) and len(str(ident)) < 10 else None
        else:
            query = Group.select().where(Group.name_key == name_key(str(name or "")))
        group = query.first() if query is not None else None
        member = group is not None and (identity.staff or Membership.select().where(
            (Membership.group == group) & (Membership.user_id == identity.user_id)).exists())
        if member:
            found.append(group)
        else:
            refused.append(str(name if ident is None else ident))
    return found, refused
