"""TOM's ``/api/groups/``: the groups and proposals in which the caller holds a membership."""

from __future__ import annotations

import falcon

from ..models import Group, Membership
from ..wire.listing import filter_conditions, paginate


class Groups:
    def __init__(self, settings, dialect):
        self.settings = settings
        self.dialect = dialect

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        filter_conditions(req.params, {})
        # Staff see their own memberships only, as in TOM.
        mine = Membership.select(Membership.group).where(Membership.user_id == req.identity.user_id)
        query = Group.select(Group.id, Group.name).where(Group.id.in_(mine)).order_by(Group.name, Group.id)
        resp.media = paginate(req, query, page_size=self.dialect.page_size, max_page_size=self.settings.max_page_size,
                              default_mode=self.dialect.default_pagination,
                              render=lambda rows: [{"id": g.id, "name": g.name} for g in rows])
