"""Reduced datums: validation, de-duplicated insertion (one or many), visibility and deletion (§4.5, §7.3, §10).

A datum's identity is (target, data type, timestamp in µs, SHA-256 of its value's canonical JSON), held
by a unique index; insertion is ``ON CONFLICT DO NOTHING`` in chunks, and the ids of rows that already
existed are looked up on that key, so a bulk answer is aligned with its input.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

import orjson

from sciplane import (
    APIError,
    Conflict,
    Identity,
    PermissionDenied,
    ValidationFailed,
    database,
    retrying_write,
    utcnow,
    write_transaction,
)

from .. import access
from ..catalogue import Catalogue
from ..models import CHANGE, DELETE, Datum, Product, Target
from ..wire.listing import digits
from ..wire.text import text_problem
from ..wire.times import DATETIME_FORMATS, from_us, parse_time, stamp, to_us
from . import ingest
from .ingest import CONFLICT, canonical, hold

NOT_FOUND = "No ReducedDatum matches the given query."
COLUMNS = ("target_id", "data_product_id", "data_type", "source_name", "source_location", "timestamp_us", "value",
           "value_hash", "created_by", "created")


MAX_VALUE_DEPTH = 32  # a datum's value nests at most this deep: the canonical form and the hash are recursive


def canonical_hash(value: Mapping[str, Any]) -> bytes:
    """SHA-256 of the value's canonical JSON: keys sorted at every level, compact, shortest numbers."""
    return hashlib.sha256(canonical(value)).digest()


def validate(cat: Catalogue, identity: Identity, item: Any) -> tuple[dict[str, Any] | None, dict[str, list]]:
    """One datum body: (row values, {}) or (None, field errors) in DRF's words."""
    if not isinstance(item, Mapping):
        return None, {"non_field_errors": ["Invalid data. Expected a dictionary."]}
    errors: dict[str, list] = {}
    row: dict[str, Any] = {}
    for field in sorted(set(item) - {"target", "data_type", "data_product", "source_name", "source_location",
                                     "timestamp", "value"}):
        errors[field] = ["Unknown field."]
    target = _target(identity, item, errors, cat.settings)
    row["target_id"] = target.id if target else None
    data_type = item.get("data_type")
    if data_type in (None, ""):
        errors["data_type"] = ["This field is required."]
    elif data_type not in cat.types:
        errors["data_type"] = [cat.types.invalid_message("data_type")]
    row["data_type"] = data_type
    row["data_product_id"] = _product(cat, identity, item, target, errors)
    for field, limit in (("source_name", 100), ("source_location", 200)):
        text = item.get(field) or ""
        if not isinstance(text, str):
            errors[field] = ["Not a valid string."]
        elif (problem := text_problem(text, limit)) is not None:
            errors[field] = [problem]
        row[field] = text
    timestamp = item.get("timestamp")
    try:
        row["timestamp_us"] = to_us(parse_time(timestamp) if timestamp not in (None, "") else utcnow())
    except (ValueError, TypeError):
        errors["timestamp"] = [f"Datetime has wrong format. Use one of these formats instead: {DATETIME_FORMATS}."]
    value = item.get("value")
    if isinstance(value, str):  # form encoding carries the object as JSON text
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            pass
    if "value" not in item:
        errors["value"] = ["This field is required."]
    elif isinstance(value, dict) and _depth(value) > MAX_VALUE_DEPTH:
        errors["value"] = [f"Value may be nested at most {MAX_VALUE_DEPTH} levels deep."]
    elif not isinstance(value, dict) or not _finite(value):
        errors["value"] = ["Value must be a JSON object."]
    else:
        row["value"], row["value_hash"] = value, canonical_hash(value)
    row["created_by"] = identity.user_id
    return (None, errors) if errors else (row, {})


def _depth(value: Any, limit: int = MAX_VALUE_DEPTH + 1) -> int:
    """How deeply ``value`` nests, counted no further than ``limit`` (so the walk itself stays shallow)."""
    if limit <= 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _invalid_pk(value: Any) -> list[str]:
    return [f'Invalid pk "{value}" - object does not exist.']


def _target(identity: Identity, item: Mapping, errors: dict, settings) -> Target | None:
    if item.get("target") in (None, ""):
        errors["target"] = ["This field is required."]
        return None
    raw = item["target"]
    if isinstance(raw, bool) or not digits(str(raw)) or len(str(raw)) > 18:
        errors["target"] = [f"Incorrect type. Expected pk value, received {type(raw).__name__}."]
        return None
    # Creating on a target needs `change`; a target without it is, to this caller, one that does not exist.
    target = Target.select().where((Target.id == int(raw)) & access.targets_with(identity, CHANGE, settings)).first()
    if target is None:
        errors["target"] = _invalid_pk(raw)
    return target


def _product(cat: Catalogue, identity: Identity, item: Mapping, target: Target | None, errors: dict) -> int | None:
    raw = item.get("data_product")
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not digits(str(raw)) or len(str(raw)) > 18:
        errors["data_product"] = [f"Incorrect type. Expected pk value, received {type(raw).__name__}."]
        return None
    product = Product.select().where((Product.id == int(raw)) & cat.visible_products(identity)).first()
    if product is None:
        errors["data_product"] = _invalid_pk(raw)
    elif target is not None and product.target_id != target.id:
        errors["data_product"] = [f"Data product {product.id} does not belong to target {target.id}."]
    else:
        return product.id
    return None


def insert(rows: list[dict[str, Any]], chunk_rows: int) -> list[tuple[int, bool]]:
    """(id, duplicate) per row, in order: new rows inserted, the others matched to the stored ones."""
    now = utcnow()
    value_field = Datum._meta.fields["value"]
    chunk_rows = min(chunk_rows, 32766 // len(COLUMNS))  # SQLite's bound-variable limit
    results: list[tuple[int, bool]] = []
    added: Counter[int | None] = Counter()  # new datums per product
    for start in range(0, len(rows), chunk_rows):
        chunk = rows[start:start + chunk_rows]
        one = "(" + ", ".join([database.param] * len(COLUMNS)) + ")"
        params = [v for r in chunk for v in (r["target_id"], r["data_product_id"], r["data_type"], r["source_name"],
                                            r["source_location"], r["timestamp_us"], value_field.db_value(r["value"]),
                                            r["value_hash"], r["created_by"], now)]
        created = {row[0] for row in database.execute_sql(
            f"INSERT INTO dp_datum ({', '.join(COLUMNS)}) VALUES {', '.join([one] * len(chunk))} "
            f"{CONFLICT} RETURNING id", params)}
        ids = _ids_by_key(chunk)
        first_seen: set[tuple] = set()
        for r in chunk:
            key = _key(r)
            ident = ids[key]
            duplicate = ident not in created or key in first_seen
            results.append((ident, duplicate))
            added[r["data_product_id"]] += not duplicate
            first_seen.add(key)
    ingest.count_datums(added)  # once for all chunks
    return results


def _key(row: Mapping[str, Any]) -> tuple:
    return row["target_id"], row["data_type"], row["timestamp_us"], bytes(row["value_hash"])


def _ids_by_key(chunk: list[dict[str, Any]]) -> dict[tuple, int]:
    targets = sorted({r["target_id"] for r in chunk})
    hashes = list({bytes(r["value_hash"]) for r in chunk})
    query = (Datum.select(Datum.id, Datum.target, Datum.data_type, Datum.timestamp_us, Datum.value_hash)
             .where(Datum.target.in_(targets) & Datum.value_hash.in_(hashes)).tuples())
    return {(t, kind, ts, bytes(h)): ident for ident, t, kind, ts, h in query}


def _store(rows: list[dict[str, Any]], chunk_rows: int) -> list[tuple[int, bool]]:
    """Insert checked rows in one transaction, their targets and products held until it commits.  Two uploads of
    the same datums in different orders can deadlock on each other's keys: the aborted one runs again."""
    def write() -> list[tuple[int, bool]]:
        hold({r["target_id"] for r in rows}, {r["data_product_id"] for r in rows if r["data_product_id"]})
        return insert(rows, chunk_rows)
    return retrying_write(write)


def create_one(cat: Catalogue, identity: Identity, item: Any) -> Datum:
    row, errors = validate(cat, identity, item)
    if errors:
        raise ValidationFailed(errors=errors)
    ident, duplicate = _store([row], cat.settings.ingest_chunk_rows)[0]
    if duplicate:
        when = stamp(from_us(row["timestamp_us"]))
        raise Conflict(f"ReducedDatum already exists: {row['data_type']} data with this value found for target "
                       f"{row['target_id']} at {when}.", code="duplicate_datum",
                       existing_id=ident if ident in _visible(cat, identity, [ident]) else None)
    return Datum.get_by_id(ident)


def _visible(cat: Catalogue, identity: Identity, ids: list[int]) -> set[int]:
    """Those of ``ids`` the caller may see.  The unique key spans the target, so an upload may meet a datum of a
    product the caller cannot see: it learns that an equal datum exists (the key says so), never its id."""
    if identity.staff or not ids:
        return set(ids)
    return {ident for (ident,) in Datum.select(Datum.id).where(Datum.id.in_(ids) & cat.visible_datums(identity))
            .tuples()}


def create_many(cat: Catalogue, identity: Identity, items: list) -> dict[str, Any]:
    limit = cat.settings.max_bulk_datums
    if len(items) > limit:
        raise APIError(f"Too many datums: {len(items)} > {limit}.", status=413, code="payload_too_large",
                       max_items=limit)
    checked = [validate(cat, identity, item) for item in items]
    if any(errors for _, errors in checked):
        raise ValidationFailed(errors=[errors for _, errors in checked])
    results = _store([row for row, _ in checked], cat.settings.ingest_chunk_rows)
    created = sum(1 for _, duplicate in results if not duplicate)
    shown = _visible(cat, identity, [ident for ident, duplicate in results if duplicate])
    return {"message": "Data successfully uploaded.", "created": created, "duplicates": len(results) - created,
            "results": [{"id": ident if not duplicate or ident in shown else None, "duplicate": duplicate}
                        for ident, duplicate in results]}


def get_visible(cat: Catalogue, identity: Identity, datum_id: int) -> Datum:
    datum = Datum.select().where((Datum.id == datum_id) & cat.visible_datums(identity)).first()
    if datum is None:
        raise access.missing(identity, NOT_FOUND)
    return datum


def delete(cat: Catalogue, identity: Identity, datum_id: int) -> None:
    """Staff, the datum's creator, whoever may delete its product, or (no product) hold delete on its target."""
    datum = get_visible(cat, identity, datum_id)
    allowed = identity.staff or (datum.created_by is not None and datum.created_by == identity.user_id)
    if not allowed and datum.data_product_id is not None:
        allowed = Product.select().where((Product.id == datum.data_product_id)
                                         & cat.deletable_products(identity)).exists()
    if not allowed and datum.data_product_id is None:
        allowed = Target.select().where((Target.id == datum.target_id)
                                        & access.targets_with(identity, DELETE, cat.settings)).exists()
    if not allowed:
        raise PermissionDenied()
    with write_transaction():
        # The product's row first, as a product's delete and a bulk post take it before its datums.
        ingest.count_datums({datum.data_product_id: -1})
        if not datum.delete_instance():  # deleted meanwhile: the count goes back with the transaction
            raise access.missing(identity, NOT_FOUND)


def render(datums: list[Datum]) -> list[dict[str, Any]]:
    return [{"id": d.id, "data_product": d.data_product_id, "data_type": d.data_type, "source_name": d.source_name,
             "source_location": d.source_location, "timestamp": stamp(from_us(d.timestamp_us)),
             "value": d.value, "target": d.target_id} for d in datums]

