"""TOM's ``/api/groups/``: the groups and proposals in which the caller holds a membership."""

from __future__ import annotations

import falcon
import peewee

from sciplane import NotFound, PermissionDenied, ValidationFailed, write_transaction

from ..models import GROUP, MEMBER, Group, Membership, name_key
from ..wire.listing import filter_conditions, paginate
from ..wire.text import text_problem


class Groups:
    def __init__(self, settings, dialect, accounts):
        self.settings = settings
        self.dialect = dialect
        self.accounts = accounts

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        filter_conditions(req.params, {})
        # Staff see their own memberships only, as in TOM.
        mine = Membership.select(Membership.group).where(Membership.user_id == req.identity.user_id)
        # By the case-folded name: the same order on both engines, whatever the database collation.
        query = Group.select(Group.id, Group.name).where(Group.id.in_(mine)).order_by(Group.name_key, Group.id)
        resp.media = paginate(req, query, page_size=self.dialect.page_size, max_page_size=self.settings.max_page_size,
                              default_mode=self.dialect.default_pagination,
                              render=lambda rows: [{"id": g.id, "name": g.name} for g in rows])

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A TOM group with its members (user ids or usernames); staff only (a sciplane addition)."""
        if not req.identity.staff:
            raise PermissionDenied()
        body = req.get_media()
        body = body if isinstance(body, dict) else {}
        name = str(body.get("name", "")).strip()
        members = body.get("members", [])
        errors: dict[str, list] = {}
        if not name:
            errors["name"] = ["This field is required."]
        elif (problem := text_problem(name, 150)) is not None:
            errors["name"] = [problem]
        users = []
        for member in members if isinstance(members, list) else [members]:
            user = self._user(member)
            if user is None:
                errors.setdefault("members", []).append(f"No user {member!r}.")
            else:
                users.append(user)
        if errors:
            raise ValidationFailed(errors=errors)
        try:
            with write_transaction():
                group = Group.create(kind=GROUP, name=name, name_key=name_key(name))
                for user in {u.id: u for u in users}.values():
                    Membership.create(group=group, user_id=user.id, role=MEMBER)
        except peewee.IntegrityError:
            raise ValidationFailed(errors={"name": ["group with this name already exists."]}) from None
        resp.status = falcon.HTTP_201
        resp.media = {"id": group.id, "name": group.name}

    def _user(self, member):
        if isinstance(member, int) and not isinstance(member, bool):
            try:
                return self.accounts.get_user(member)
            except NotFound:
                return None
        return self.accounts.find_user(str(member)) if isinstance(member, str) else None
