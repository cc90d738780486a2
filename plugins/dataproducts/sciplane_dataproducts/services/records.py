"""How a product is shown: TOM's data product record (§7.2, with a page's nested datums and groups read in two
statements whatever the page size, and the datum count stored on the product) and Goodman's file record (§8.2,
from the row alone)."""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from typing import Any
from urllib.parse import quote

import falcon

from ..access import within
from ..models import GROUP, PRODUCT, Datum, Grant, Group, Product
from ..wire.times import stamp
from . import datums
from .selection import member

LAMPS = ("lamp_hg_ar", "lamp_ne", "lamp_ar", "lamp_fe_he_ar", "lamp_cu_he_ar", "lamp_quartz", "lamp_quartz_percent",
         "lamp_bulb", "lamp_dome", "lamp_dome_percent")
LAMP_PERCENTS = ("lamp_quartz_percent", "lamp_dome_percent")


def groups_of(product_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The groups holding any grant on each product, ordered by id."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not product_ids:
        return out
    rows = (Grant.select(Grant.object_id, Group.id, Group.name).distinct()
            .join(Group, on=(Grant.grantee_id == Group.id))
            .where((Grant.object_type == PRODUCT) & (Grant.grantee_type == GROUP) & Grant.object_id.in_(product_ids))
            .order_by(Grant.object_id, Group.id).tuples())
    for product_id, group_id, name in rows:
        out[product_id].append({"id": group_id, "name": name})
    return out


NESTED_BRANCHES = 100  # products per statement: peewee nests compound selects, one level per branch


def _nested_datums(product_ids: list[int], limit: int) -> dict[int, list]:
    """Each product's first ``limit`` datums in datum order: one branch per product, each a range of the
    (product, timestamp) index that stops at ``limit``, however many datums the product has."""
    nested: dict[int, list] = defaultdict(list)
    for start in range(0, len(product_ids), NESTED_BRANCHES):
        branches = [member(Datum.select(Datum.id).where(Datum.data_product == product_id)
                           .order_by(Datum.timestamp_us, Datum.id).limit(limit), f"first{number}", ["id"])
                    for number, product_id in enumerate(product_ids[start:start + NESTED_BRANCHES])]
        query = (Datum.select().where(within(Datum.id, functools.reduce(operator.add, branches)))
                 .order_by(Datum.data_product, Datum.timestamp_us, Datum.id))
        for datum in query:
            nested[datum.data_product_id].append(datum)
    return nested


def tom(req: falcon.Request, products: list[Product], mount: str, nested_limit: int) -> list[dict[str, Any]]:
    ids = [p.id for p in products]
    nested = _nested_datums(ids, nested_limit)
    groups = groups_of(ids)
    base = f"{mount}/api"
    return [{
        "id": p.id, "product_id": p.product_id, "target": p.target_id, "observation_record": p.observation_record_id,
        "data": req.external_url(f"{base}/dataproducts/{p.id}/download/"), "extra_data": p.extra_data or "",
        "data_product_type": p.data_product_type, "reduceddatum_set": datums.render(nested.get(p.id, [])),
        "groups": groups.get(p.id, []), "reduceddatum_count": p.datum_count,
        "reduceddatums": req.external_url(f"{base}/reduceddatums/", f"data_product__id={p.id}"),
        "file_name": p.file_name, "size": p.size, "sha256": p.sha256, "created": stamp(p.created),
        "modified": stamp(p.modified),
    } for p in products]


def download_segments(product: Product) -> tuple[str, str, str, str]:
    """(token, yyyymmdd, dir, file name) of the file's ``download_url`` (§8.5), unquoted."""
    day = (product.date or product.created.date()).strftime("%Y%m%d")
    return product.token, day, download_dir(product), product.file_name


def download_path(product: Product, mount: str) -> str:
    """``<mount>/downloads/<token>/<yyyymmdd>/<dir>/<file name>``, each segment quoted whole."""
    return f"{mount}/downloads/" + "/".join(quote(segment, safe="") for segment in download_segments(product))


def download_dir(product: Product) -> str:
    if product.directory_name:
        return product.directory_name.rstrip("/").rsplit("/", 1)[-1] or "RAW"
    return "RAW" if product.reduction_level == 0 else "RED"


def _decimal(product: Product, column: str, value: float | None, as_strings: bool) -> Any:
    if value is None or not as_strings:
        return value
    text = (product.card_text or {}).get(column)
    return text if text is not None else repr(float(value))


def goodman(products: list[Product], mount: str, *, decimals_as_strings: bool) -> list[dict[str, Any]]:
    return [_goodman(p, mount, decimals_as_strings) for p in products]


def _goodman(p: Product, mount: str, as_strings: bool) -> dict[str, Any]:
    lamps = p.lamps or {}
    record: dict[str, Any] = {
        "id": p.id, "download_url": download_path(p, mount), "created": stamp(p.created),
        "last_modified": stamp(p.modified), "original_file": p.original_file_name,
        "original_file_id": p.original_file_id, "parent_file": p.parent_file_name, "parent_file_id": p.parent_file_id,
        "file_name": p.file_name, "directory_name": p.directory_name,
        "full_path": f"{p.directory_name.rstrip('/')}/{p.file_name}" if p.directory_name else None,
        "obstype": p.obstype, "object": p.object, "filter": p.filter, "filter_2": p.filter_2, "grating": p.grating,
        "slit": p.slit,
    }
    for column in ("cam_targ", "grt_targ", "airmass"):
        record[column] = _decimal(p, column, getattr(p, column), as_strings)
    record.update({"obsra": p.obsra, "obsdec": p.obsdec})
    for column in ("gain", "rdnoise"):
        record[column] = _decimal(p, column, getattr(p, column), as_strings)
    record.update({"roi": p.roi, "wavmode": p.wavmode, "exptime": _decimal(p, "exptime", p.exptime, as_strings),
                   "camera": p.camera, "binning": p.binning})
    for lamp in LAMPS:
        value = lamps.get(lamp)
        record[lamp] = _decimal(p, lamp, value, as_strings) if lamp in LAMP_PERCENTS else value
    record.update({
        "seeing": _decimal(p, "seeing", p.seeing, as_strings), "proposal_id": p.proposal_id,
        "observation_id": p.observation_id, "configuration_id": p.configuration_id, "block_id": p.block_id,
        "image_id": p.image_id, "date": p.date.isoformat() if p.date else None, "date_time": stamp(p.date_time),
        "data_type": None if p.reduction_level is None else str(p.reduction_level), "normalized": bool(p.normalized),
        "technique": p.technique, "is_usable": bool(p.is_usable), "saturation_value": p.saturation_value,
        "target": p.target_id, "data_product_type": p.data_product_type, "size": p.size, "sha256": p.sha256,
    })
    return record
