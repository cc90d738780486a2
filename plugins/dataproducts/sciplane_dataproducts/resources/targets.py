"""TOM's ``/api/targets/``: list, create, and the item's GET, PATCH, PUT and DELETE."""

from __future__ import annotations

import falcon

from ..access import targets_with
from ..models import PERMISSIONS, VIEW, Target
from ..services import targets
from ..wire import metadata
from ..wire.listing import Filter, filter_conditions, order_by, paginate
from ..wire.metadata import choices, field

ORDERING = {"id": (Target.id,), "name": (Target.name, Target.id), "created": (Target.created, Target.id)}
def _permission(text: str) -> str:
    if text not in PERMISSIONS:
        raise ValueError(f'"{text}" is not a valid choice.')
    return text


FILTERS = {
    "name": Filter(lambda terms: targets.exists_named(terms),
                   lambda text: [t for t in (part.strip() for part in text.split(",")) if t] or [""],
                   lookup="icontains", label="Name or alias (comma-separated terms)"),
    "type": Filter(lambda value: Target.type == value, label="Type"),
    "permissions": Filter(lambda value: Target.permissions == value, _permission, label="Permissions"),
    "cone_search": Filter(lambda condition: condition, targets.cone, lookup="cone",
                          label="ra,dec,radius in degrees"),
}
POST_FIELDS = {
    "id": field("integer", "ID", read_only=True),
    "name": field("string", "Name", required=True, max_length=targets.NAME_MAX),
    "type": field("choice", "Type", required=True, choices=choices((targets.SIDEREAL, targets.NON_SIDEREAL))),
    "permissions": field("choice", "Permissions", choices=choices(PERMISSIONS)),
    "scheme": field("string", "Scheme", max_length=50),
    **{name: field("decimal", name.replace("_", " ").capitalize()) for name in (*targets.POSITION,
                                                                               *targets.ELEMENTS)},
    "aliases": field("list", "Aliases"),
    "targetextra_set": field("list", "Target extras"),
    "groups": field("list", "Groups"),
}


class Targets:
    def __init__(self, settings, dialect):
        self.settings = settings
        self.dialect = dialect

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        conditions = filter_conditions(req.params, FILTERS)
        query = Target.select().where(targets_with(req.identity, VIEW, self.settings), *conditions)
        resp.media = paginate(req, query.order_by(*order_by(req, ORDERING)), page_size=self.dialect.page_size,
                              max_page_size=self.settings.max_page_size,
                              default_mode=self.dialect.default_pagination, render=targets.render)

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        metadata.collection(resp, self, name="Target List", description="Targets: list, create.", post=POST_FIELDS,
                            filters=FILTERS, ordering=ORDERING, dialect=self.dialect, settings=self.settings)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        target = targets.create(req.identity, req.get_media(), self.settings)
        resp.status = falcon.HTTP_201
        resp.media = {**targets.render([target])[0], "message": "Target successfully uploaded."}


class TargetItem:
    def __init__(self, cat):
        self.cat = cat
        self.settings = cat.settings

    def on_options(self, req: falcon.Request, resp: falcon.Response, target_id: int) -> None:
        metadata.item(resp, self, name="Target Instance", description="One target: read, update, delete.")

    def on_get(self, req: falcon.Request, resp: falcon.Response, target_id: int) -> None:
        resp.media = targets.render([targets.get_for(req.identity, target_id, VIEW, self.settings)])[0]

    def _update(self, req: falcon.Request, resp: falcon.Response, target_id: int, partial: bool) -> None:
        target = targets.update(req.identity, target_id, req.get_media(), self.settings, partial=partial)
        resp.media = {**targets.render([target])[0], "message": "Target successfully updated."}

    def on_patch(self, req: falcon.Request, resp: falcon.Response, target_id: int) -> None:
        self._update(req, resp, target_id, partial=True)

    def on_put(self, req: falcon.Request, resp: falcon.Response, target_id: int) -> None:
        self._update(req, resp, target_id, partial=False)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, target_id: int) -> None:
        for key in targets.delete(req.identity, target_id, self.settings):
            self.cat.store.delete(key)  # after the commit: a rolled-back delete keeps its files
        resp.status = falcon.HTTP_204
