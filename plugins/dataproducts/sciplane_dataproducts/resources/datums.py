"""TOM's ``/api/reduceddatums/``: list with filters, create (one object or a list), item GET and DELETE."""

from __future__ import annotations

import falcon
import peewee

from ..models import Datum, Product, Target
from ..services import datums, targets
from ..wire import metadata
from ..wire.listing import Filter, filter_conditions, integer, order_by, paginate
from ..wire.metadata import field
from ..wire.times import parse_time, to_us

ORDERING = {"timestamp": (Datum.timestamp_us, Datum.id), "id": (Datum.id,)}


def _product_named(text: str) -> peewee.Expression:
    """``product_id`` or ``file_name`` containing the text, case-insensitively (``%`` and ``_`` literal)."""
    folded = text.casefold()
    named = Product.select(Product.id).where(targets.contains(peewee.fn.LOWER(Product.product_id), folded)
                                             | targets.contains(peewee.fn.LOWER(Product.file_name), folded))
    return Datum.data_product.in_(named)


def _target_named(text: str) -> peewee.Expression:
    return Datum.target.in_(Target.select(Target.id).where(targets.exists_named([text])))


def _time(text: str):
    try:
        return to_us(parse_time(text))
    except ValueError:
        raise ValueError("Enter a valid date/time.") from None


PRODUCT_NAME = "Data product product_id or file name"
FILTERS = {
    "target__id": Filter(lambda v: Datum.target == v, integer, "integer", label="Target ID"),
    "target_name": Filter(_target_named, lookup="icontains", label="Target name or alias"),
    "data_product__id": Filter(lambda v: Datum.data_product == v, integer, "integer", label="Data product ID"),
    "data_product_pk": Filter(lambda v: Datum.data_product == v, integer, "integer",  # the documented twin (D6)
                              label="Data product ID", alias_of="data_product__id"),
    "data_product_name": Filter(_product_named, lookup="icontains", label=PRODUCT_NAME),
    "data_product_product_id": Filter(_product_named, lookup="icontains", label=PRODUCT_NAME,  # twin (D6)
                                      alias_of="data_product_name"),
    "source_name": Filter(lambda v: Datum.source_name == v, label="Source name"),
    "data_type": Filter(lambda v: Datum.data_type == v, label="Data type"),
    "timestamp__gte": Filter(lambda v: Datum.timestamp_us >= v, _time, "datetime", "gte", "Timestamp from"),
    "timestamp__lte": Filter(lambda v: Datum.timestamp_us <= v, _time, "datetime", "lte", "Timestamp to"),
}
POST_FIELDS = {
    "id": field("integer", "ID", read_only=True),
    "target": field("field", "Target", required=True),
    "data_product": field("field", "Data product"),
    "data_type": field("choice", "Data type", required=True),
    "source_name": field("string", "Source name", max_length=100),
    "source_location": field("string", "Source location", max_length=200),
    "timestamp": field("datetime", "Timestamp"),
    "value": field("json", "Value", required=True),
}


class Datums:
    def __init__(self, cat, dialect):
        self.cat = cat
        self.settings = cat.settings
        self.dialect = dialect

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        conditions = filter_conditions(req.params, FILTERS)
        query = Datum.select().where(self.cat.visible_datums(req.identity), *conditions)
        resp.media = paginate(req, query.order_by(*order_by(req, ORDERING, default="timestamp")),
                              page_size=self.dialect.page_size, max_page_size=self.settings.max_page_size,
                              default_mode=self.dialect.default_pagination, render=datums.render)

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        metadata.collection(resp, self, name="Reduced Datum List",
                            description="Reduced datums: list, create (one object or a list), delete.",
                            post=metadata.with_choices(POST_FIELDS, "data_type", self.cat.types.keys),
                            filters=FILTERS, ordering=ORDERING, dialect=self.dialect,
                            settings=self.settings)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.get_media()
        resp.status = falcon.HTTP_201
        if isinstance(body, list):
            resp.media = datums.create_many(self.cat, req.identity, body)
            return
        datum = datums.create_one(self.cat, req.identity, body)
        resp.media = {**datums.render([datum])[0], "message": "Data successfully uploaded."}


class DatumItem:
    def __init__(self, cat):
        self.cat = cat

    def on_options(self, req: falcon.Request, resp: falcon.Response, datum_id: int) -> None:
        metadata.item(resp, self, name="Reduced Datum Instance", description="One reduced datum: read, delete.")

    def on_get(self, req: falcon.Request, resp: falcon.Response, datum_id: int) -> None:
        resp.media = datums.render([datums.get_visible(self.cat, req.identity, datum_id)])[0]

    def on_delete(self, req: falcon.Request, resp: falcon.Response, datum_id: int) -> None:
        datums.delete(self.cat, req.identity, datum_id)
        resp.status = falcon.HTTP_204
