"""TOM's ``/api/dataproducts/``: list with filters, multipart upload, item GET and DELETE, the FITS header
and the download (the TOM dialect serves products that have a target)."""

from __future__ import annotations

from typing import Any

import falcon

from ..models import Product, Target
from ..services import headers, product_forms, products, records, uploads
from ..services.selection import product_list
from ..services.targets import exists_named
from ..wire import downloads, metadata
from ..wire.listing import Filter, integer
from ..wire.metadata import field

SCOPE = Product.target.is_null(False)
ORDERING = {"created": (Product.created, Product.id), "id": (Product.id,)}


def _target_named(text: str):
    return Product.target.in_(Target.select(Target.id).where(exists_named([text])))


FILTERS = {
    "target_name": Filter(_target_named, lookup="icontains", label="Target name or alias"),
    "facility": Filter(lambda v: Product.facility == v, label="Facility"),
    "data_product_type": Filter(lambda v: Product.data_product_type == v, label="Data product type"),
    "product_id": Filter(lambda v: Product.product_id == v, label="Product ID"),
    "target__id": Filter(lambda v: Product.target == v, integer, "integer", label="Target ID"),
}
POST_FIELDS = {
    "id": field("integer", "ID", read_only=True),
    "file": field("file upload", "Data", required=True),
    "target": field("field", "Target", required=True),
    "data_product_type": field("choice", "Data product type", required=True),
    "product_id": field("string", "Product id", max_length=255),
    "observation_record": field("field", "Observation record"),
    "facility": field("string", "Facility", max_length=50),
    "extra_data": field("string", "Extra data"),
    "groups": field("field", "Groups"),
}


class _Products:
    def __init__(self, cat):
        self.cat = cat
        self.mount = cat.settings.tom.mount

    def render(self, req: falcon.Request, rows: list[Product]) -> list[dict[str, Any]]:
        return records.tom(req, rows, self.mount, self.cat.settings.nested_datum_limit)

    def get(self, req: falcon.Request, product_id: int) -> Product:
        return products.get_visible(self.cat, req.identity, product_id, SCOPE)


class Products(_Products):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = product_list(self.cat, req, SCOPE, FILTERS, ORDERING, self.cat.settings.tom,
                                  render=lambda rows: self.render(req, rows))

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        metadata.collection(resp, self, name="Data Product List",
                            description="Data products: list, upload (multipart), read, download, delete.",
                            post=metadata.with_choices(POST_FIELDS, "data_product_type", self.cat.types.keys),
                            filters=FILTERS, ordering=ORDERING, dialect=self.cat.settings.tom,
                            settings=self.cat.settings, parses=["multipart/form-data"])

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        cat = self.cat

        def check(fields, partial: bool):
            return product_forms.tom(req.identity, fields, cat.settings, cat.types, partial=partial)

        outcome = uploads.upload(cat, req, check)
        resp.status = falcon.HTTP_201
        created = self.render(req, [outcome.product])[0]
        resp.media = {**created, "message": "Data product successfully uploaded.",
                      "datums_created": outcome.created, "datums_skipped": outcome.skipped}


class ProductItem(_Products):
    def on_options(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        metadata.item(resp, self, name="Data Product Instance", description="One data product: read, delete.")

    def on_get(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        resp.media = self.render(req, [self.get(req, product_id)])[0]

    def on_delete(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        products.delete(self.cat, req.identity, product_id, SCOPE)
        resp.status = falcon.HTTP_204


class ProductHeader(_Products):
    def on_get(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        resp.media = headers.body(self.get(req, product_id))


class ProductDownload(_Products):
    def on_get(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        downloads.send(req, resp, self.get(req, product_id), self.cat.store)
