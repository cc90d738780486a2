"""Goodman's ``/api/files/``: the file catalogue with its exact filters and DRF-style search, uploads and
staff registrations, the header, downloads (by id and by ``download_url``) and deletion; the pipeline
actions GSP Live also offers answer 501 (the Goodman dialect serves FITS files)."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import shlex
from typing import Any

import falcon
import peewee

from sciplane import APIError, ValidationFailed

from .. import access
from ..models import Product
from ..services import headers, product_forms, products, records, uploads
from ..services.selection import product_list
from ..services.targets import contains
from ..wire import downloads, metadata
from ..wire.bodies import tolerant_parameters
from ..wire.listing import Filter, digits, filter_conditions, integer, last
from ..wire.metadata import field
from ..wire.uploads import is_multipart, unsupported

SCOPE = Product.is_fits == True  # noqa: E712 (a peewee expression)
ORDERING = {"created": (Product.created, Product.id), "date": (Product.date, Product.id),
            "file_name": (Product.file_name, Product.id), "id": (Product.id,)}
TEXT = ("file_name", "obstype", "object", "filter", "filter_2", "grating", "slit", "roi", "wavmode", "camera",
        "binning", "obsra", "obsdec", "proposal_id", "technique")
NUMBERS = ("cam_targ", "grt_targ", "gain", "rdnoise", "airmass", "exptime", "seeing")
INTEGERS = ("observation_id", "configuration_id", "block_id", "image_id", "saturation_value")
LINKS = {"original_file_id": Product.original_file, "parent_file_id": Product.parent_file}
SEARCHED = ("file_name", "obstype", "object", "filter", "filter_2", "grating", "slit", "obsra", "obsdec", "roi",
            "wavmode", "proposal_id", "block_id", "date")
MAX_SEARCH_TERMS = 20  # each term tests 14 columns in every visibility branch
UNPORTED = ("calibrations", "reclassify", "reduce", "spectrum/extract", "spectrum/calibrate/wavelength", "visualize")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError("Enter a number.") from None


def _level(text: str) -> int:
    if text.strip() not in {str(level) for level in range(6)}:
        raise ValueError(f'"{text}" is not a valid choice.')
    return int(text)


def _boolean(text: str) -> bool:
    folded = text.strip().lower()
    if folded not in ("true", "false", "1", "0"):
        raise ValueError(f'"{text}" is not a valid boolean.')
    return folded in ("true", "1")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("Enter a valid date.") from None


def _search(text: str) -> peewee.Expression:
    """DRF's SearchFilter: terms split on whitespace and commas (quoted phrases kept), every term in some
    searched column, case-insensitively; numbers and dates compared as text."""
    try:
        terms = [t for t in shlex.split(text.replace(",", " ")) if t]
    except ValueError:  # an unbalanced quote: take the words as they are
        terms = [t for t in re.split(r"[\s,]+", text) if t]
    terms = list(dict.fromkeys(terms))
    if len(terms) > MAX_SEARCH_TERMS:
        raise ValueError(f"Ensure the search has no more than {MAX_SEARCH_TERMS} terms.")
    columns = [peewee.fn.LOWER(peewee.Cast(getattr(Product, name), "TEXT")) for name in SEARCHED]
    matches = [functools.reduce(operator.or_, [contains(column, term.casefold()) for column in columns])
               for term in terms]
    return functools.reduce(operator.and_, matches) if matches else access.EVERYTHING


def _exact(column):
    return lambda value: column == value


FILTERS: dict[str, Filter] = {
    "id": Filter(_exact(Product.id), integer, "integer", label="ID"),
    **{name: Filter(_exact(getattr(Product, name))) for name in TEXT},
    **{name: Filter(_exact(getattr(Product, name)), _number, "number") for name in NUMBERS},
    **{name: Filter(_exact(getattr(Product, name)), integer, "integer") for name in INTEGERS},
    **{name: Filter(_exact(column), integer, "integer") for name, column in LINKS.items()},
    "data_type": Filter(_exact(Product.reduction_level), _level, "choice", label="Reduction level (0 raw … 5)"),
    "normalized": Filter(_exact(Product.normalized), _boolean, "boolean"),
    "is_usable": Filter(_exact(Product.is_usable), _boolean, "boolean"),
    "date": Filter(_exact(Product.date), _date, "date"),
    "date__gte": Filter(lambda v: Product.date >= v, _date, "date", "gte", "Date from"),
    "date__lte": Filter(lambda v: Product.date <= v, _date, "date", "lte", "Date to"),
    "search": Filter(_search, lookup="search", label="Search terms (every term in some searched field)"),
}
POST_FIELDS = {
    "id": field("integer", "ID", read_only=True),
    "file": field("file upload", "File", required=True),
    "data_type": field("choice", "Data type", choices=metadata.choices(tuple(str(i) for i in range(6)))),
    "proposal_id": field("string", "Proposal id", max_length=150),
    "directory_name": field("string", "Directory name", max_length=500),
    "parent_file_id": field("field", "Parent file"),
    "is_usable": field("boolean", "Is usable"),
    "target": field("field", "Target"),
    "data_product_type": field("choice", "Data product type"),
    "product_id": field("string", "Product id", max_length=255),
    "groups": field("field", "Groups"),
}


class _Files:
    def __init__(self, cat):
        self.cat = cat
        self.mount = cat.settings.gsp.mount

    def render(self, rows: list[Product]) -> list[dict[str, Any]]:
        return records.goodman(rows, self.mount, decimals_as_strings=self.cat.settings.gsp.decimals_as_strings)

    def get(self, req: falcon.Request, product_id: int) -> Product:
        return products.get_visible(self.cat, req.identity, product_id, SCOPE)

    def delete(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        products.delete(self.cat, req.identity, product_id, SCOPE)
        resp.status = falcon.HTTP_204


class Files(_Files):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = product_list(self.cat, req, SCOPE, FILTERS, ORDERING, self.cat.settings.gsp,
                                  render=self.render)

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        metadata.collection(resp, self, name="File List",
                            description="Goodman files: list, search, upload (multipart), register (JSON, staff), "
                                        "delete (not raw files).",
                            post=metadata.with_choices(POST_FIELDS, "data_product_type", self.cat.types.keys),
                            filters=FILTERS, ordering=ORDERING, dialect=self.cat.settings.gsp,
                            settings=self.cat.settings, parses=["multipart/form-data", "application/json"])

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        cat = self.cat
        registration = not is_multipart(req)
        if registration and (req.content_type or "").split(";")[0].strip().lower() != "application/json":
            raise unsupported(req.content_type)

        def check(fields, partial: bool):
            return product_forms.goodman(req.identity, fields, cat.settings, cat.types,
                                         cat.visible_products(req.identity), partial=partial,
                                         registration=registration)

        if registration:
            outcome = uploads.register(cat, req, check)
        else:
            outcome = uploads.upload(cat, req, check)
        resp.status = falcon.HTTP_201
        resp.media = self.render([outcome.product])[0]

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The reference's Swagger puts DELETE on the collection, with the id in the query or the body."""
        raw = tolerant_parameters(req).get("id")
        if raw in (None, ""):
            raise ValidationFailed(errors={"id": ["This field is required."]})
        text = str(last(raw) if isinstance(raw, list) else raw).strip()
        if not digits(text) or len(text) > 9:
            raise ValidationFailed(errors={"id": ["A valid integer is required."]})
        self.delete(req, resp, int(text))


class FileItem(_Files):
    def on_options(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        metadata.item(resp, self, name="File Instance", description="One Goodman file: read, delete.")

    def on_get(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        resp.media = self.render([self.get(req, file_id)])[0]

    def on_delete(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        self.delete(req, resp, file_id)


class FileHeader(_Files):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        id_filter = {"id": Filter(lambda v: access.EVERYTHING, integer, "integer")}
        filter_conditions(req.params, id_filter)  # unknown parameters refused, a non-integer id refused
        if "id" not in req.params or last(req.params["id"]) == "":
            raise ValidationFailed(errors={"id": ["This field is required."]})
        text = last(req.params["id"]).strip()
        if len(text) > 9:
            raise access.missing(req.identity, products.NOT_FOUND)
        resp.media = headers.body(self.get(req, int(text)))


class FileDownload(_Files):
    def on_get(self, req: falcon.Request, resp: falcon.Response, file_id: int) -> None:
        downloads.send(req, resp, self.get(req, file_id), self.cat.store)


class Downloads(_Files):
    """``download_url``: the token names the file; every other segment must agree with its record."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, token: str, day: str, directory: str,
               file_name: str) -> None:
        product = (Product.select().where(SCOPE & (Product.token == token) & self.cat.visible_products(req.identity))
                   .first())
        # Falcon has decoded the segments already; each must agree with the record's.
        if product is None or records.download_segments(product) != (token, day, directory, file_name):
            raise access.missing(req.identity, products.NOT_FOUND)
        downloads.send(req, resp, product, self.cat.store)


class Unported:
    """GSP Live's pipeline actions: routed so clients get an explicit answer instead of a 404."""

    def _answer(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise APIError("Not implemented in this server.", status=501, code="not_implemented",
                       detail="Not implemented in this server.")

    on_get = on_post = on_put = on_patch = on_delete = _answer
