"""An upload from the first byte to the catalogued product: fields checked as they arrive, the file streamed
under its storage key, the whole form checked, then the product created (or the blob deleted).  Also the
Goodman staff registration of a blob already in the store (§8.7)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import falcon
import orjson

from sciplane import APIError, Conflict, Identity, PayloadTooLarge, PermissionDenied, ValidationFailed
from sciplane.storage import BlobInfo

from ..api import ProductView
from ..catalogue import Catalogue
from ..models import Product
from ..wire.uploads import HeadKeeper, receive, sanitize_file_name
from . import products
from .product_forms import Draft

Check = Callable[[Mapping[str, Any], bool], Draft]  # (fields, partial) → Draft, or ValidationFailed
_SLUG = re.compile(r"[^a-z0-9]+")
_KEY_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def upload(cat: Catalogue, req: falcon.Request, check: Check) -> products.Created:
    early: list[Draft] = []

    def before_file(fields: Mapping[str, Any]) -> None:
        early.append(check(fields, True))  # fail fast: nothing is stored for a refused form

    def key_for(fields: Mapping[str, Any], file_name: str) -> str:
        return storage_key(cat, early[-1] if early else None, file_name)

    received = receive(req, cat.store, max_bytes=cat.settings.max_upload_bytes,
                       head_bytes=cat.settings.max_header_bytes, key_for=key_for, before_file=before_file)
    if received.blob is None:
        errors: dict[str, Any] = {}
        try:
            check(received.fields, False)
        except ValidationFailed as exc:
            errors.update(exc.errors or {})
        errors["file"] = ["No file was submitted."]
        raise ValidationFailed(errors=errors)
    return _create(cat, req.identity, check, received.fields, received.blob, received.head,
                   received.file_name or "upload")


def upload_file(cat: Catalogue, identity: Identity, path: Path, fields: Mapping[str, Any], check: Check,
                on_read: Callable[[int], None] | None = None) -> products.Created:
    """The same as an HTTP upload, from a local file (``sciplane dp upload``): checked, streamed, created."""
    name = sanitize_file_name(path.name)
    key = storage_key(cat, check(fields, True), name)
    with path.open("rb") as stream:
        head = HeadKeeper(stream, cat.settings.max_header_bytes, on_read)
        blob = cat.store.put(key, head, max_bytes=cat.settings.max_upload_bytes)
    return _create(cat, identity, check, fields, blob, bytes(head.kept), name)


def _create(cat: Catalogue, identity: Identity, check: Check, fields: Mapping[str, Any], blob: BlobInfo, head: bytes,
            file_name: str) -> products.Created:
    """The whole form checked, then the product created; the stored blob goes if either refuses."""
    try:
        draft = check(fields, False)
    except BaseException:
        cat.store.delete(blob.key)
        raise
    return products.create(cat, identity, draft, blob, head, file_name)


def storage_key(cat: Catalogue, draft: Draft | None, file_name: str) -> str:
    """``dp_storage_key`` or ``<target slug>/<facility slug>/<token>/<file name>``: a fresh key per upload,
    so nothing is ever overwritten."""
    target = draft.target if draft is not None else None
    facility = draft.facility if draft is not None else None
    view = ProductView(id=None, product_id=draft.product_id if draft else None,
                       target_id=target.id if target else None, target_name=target.name if target else None,
                       data_product_type=draft.data_product_type if draft else "", file_name=file_name,
                       facility=facility, instrument=None, is_fits=False, mimetype="", size=0, sha256="",
                       created=products.now_utc(), created_by=None)
    safe_name = _KEY_NAME.sub("_", file_name).strip("._") or "upload"
    chosen = _safe_key(cat.hook.dp_storage_key(product=view, filename=file_name) or "")
    if chosen:
        # A plugin's key may name a file stored already (TOM's DATA_PRODUCT_PATH repeats for a repeated
        # name): a token then keeps the new upload from replacing another product's file.
        taken = cat.store.exists(chosen) or Product.select().where(Product.blob_key == chosen).exists()
        if not taken:
            return chosen
        folder, _, name = chosen.rpartition("/")
        return f"{folder + '/' if folder else ''}{secrets.token_hex(16)}/{name}"
    return f"{slug(target.name if target else None)}/{slug(facility)}/{secrets.token_hex(16)}/{safe_name}"


def _safe_key(key: str) -> str:
    """A plugin's key in the characters every store accepts (``[A-Za-z0-9._-]`` segments, no dot segments)."""
    segments = [_KEY_NAME.sub("_", part).strip(".") for part in key.split("/")]
    return "/".join(part for part in segments if part)


def slug(text: str | None) -> str:
    """Lower-case ASCII words joined by hyphens, as TOM's default path; ``none`` when there is nothing."""
    folded = (text or "").encode("ascii", "ignore").decode().lower()
    return _SLUG.sub("-", folded).strip("-") or "none"


def register(cat: Catalogue, req: falcon.Request, check: Check) -> products.Created:
    """A staff registration of a blob written to the store by someone else (the pipeline): it is streamed
    once for its SHA-256, size and leading bytes; a refused registration leaves the blob where it was."""
    identity = req.identity
    if not identity.staff:  # before the body is read: nobody else may make a worker parse it
        raise PermissionDenied(detail="Only staff may register stored files.")
    body = json_body(req, cat.settings.max_json_bytes)
    key = body.get("blob_key")
    if not isinstance(key, str) or not key:
        raise ValidationFailed(errors={"blob_key": ["This field is required."]})
    try:
        exists = cat.store.exists(key)
    except ValueError:  # not a valid key at all
        exists = False
    if not exists:
        raise ValidationFailed(errors={"blob_key": ["No such blob."]})
    registered = Product.select(Product.id).where(Product.blob_key == key).first()
    if registered is not None:
        raise Conflict(f"This blob is registered already as file {registered.id}.", code="duplicate_file",
                       existing_id=registered.id)
    draft = check({name: value for name, value in body.items() if name != "blob_key"}, False)
    if draft.file_name is not None:
        draft.file_name = sanitize_file_name(draft.file_name)
    blob, head = _read_stored(cat, key)
    return products.create(cat, identity, draft, blob, head, key.rsplit("/", 1)[-1], owns_blob=False)


def json_body(req: falcon.Request, limit: int) -> Mapping[str, Any]:
    """A JSON object of at most ``limit`` bytes (this route accepts upload-sized bodies, JSON ones are smaller)."""
    if req.content_length is not None and req.content_length > limit:
        raise PayloadTooLarge(max_bytes=limit, detail=f"Upload exceeds the limit of {limit} bytes.")
    raw = req.bounded_stream.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(max_bytes=limit, detail=f"Upload exceeds the limit of {limit} bytes.",
                              headers={"Connection": "close"})
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise APIError("The body is not valid JSON.", status=400, code="malformed_body") from None
    return body if isinstance(body, Mapping) else {}


def _read_stored(cat: Catalogue, key: str) -> tuple[BlobInfo, bytes]:
    digest, size, head = hashlib.sha256(), 0, bytearray()
    limit = cat.settings.max_header_bytes
    for chunk in cat.store.open(key):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < limit:
            head += chunk[: limit - len(head)]
    return BlobInfo(key, size, digest.hexdigest()), bytes(head)
