"""Data products: creation from a stored blob (header, metadata, lineage, processing — all or nothing),
visibility, deletion (§4.3–4.4, §7.2, §8.7, §9).

Creation runs after the upload has been streamed into the blob store.  Everything that can refuse it
happens before or inside one database transaction; if anything fails, the transaction rolls back and the
blob is deleted, so a refused upload leaves no row and no file.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee

from sciplane import (
    APIError,
    Conflict,
    Identity,
    PermissionDenied,
    ValidationFailed,
    database,
    locked,
    utcnow,
    write_transaction,
)
from sciplane.storage import BlobInfo

from .. import access
from ..api import ProcessingError, ProductView
from ..catalogue import Catalogue
from ..fits import goodman
from ..fits.header import ParsedHeader, is_fits, read_header
from ..models import DELETE, GROUP, PRODUCT, PROPOSAL, VIEW, Datum, Grant, Group, Membership, Product, ProductHeader
from .ingest import Owner, hold, ingest
from .product_forms import Draft

log = logging.getLogger("sciplane.dataproducts")

NOT_FOUND = "No DataProduct matches the given query."
PROCESSING_FAILED = ("There was an error in processing your DataProduct into individual ReducedDatum objects.")
COMBINED = "combined"
RAW = 0
# Catalogue columns a metadata extractor may fill; anything else it returns is kept in extra_metadata.
PROMOTED = frozenset({
    "obstype", "object", "filter", "filter_2", "grating", "slit", "roi", "wavmode", "camera", "binning", "technique",
    "obsra", "obsdec", "cam_targ", "grt_targ", "gain", "rdnoise", "airmass", "exptime", "seeing", "card_text",
    "lamps", "proposal_id", "observation_id", "configuration_id", "block_id", "image_id", "date", "date_time",
    "reduction_level", "normalized", "saturation_value", "original_file_name", "parent_file_name",
    "directory_name", "is_usable"})
# Decided elsewhere: the name by the upload (or registration), the instrument by dp_identify.
SETTLED = frozenset({"file_name", "instrument"})
MEDIA_TYPES = {".csv": "text/csv", ".txt": "text/plain", ".json": "application/json", ".png": "image/png",
               ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass
class Created:
    product: Product
    created: int
    skipped: int


def now_utc() -> dt.datetime:
    return utcnow().replace(tzinfo=dt.UTC)


def media_type(file_name: str, fits: bool) -> str:
    if fits:
        return "application/fits"
    return MEDIA_TYPES.get(Path(file_name).suffix.lower(), "application/octet-stream")


def create(cat: Catalogue, identity: Identity, draft: Draft, blob: BlobInfo, head: bytes, file_name: str, *,
           owns_blob: bool = True) -> Created:
    """Catalogue ``blob`` (stored already) as a product; on any failure an uploaded blob is deleted."""
    try:
        outcome = _create(cat, identity, draft, blob, head, file_name)
    except BaseException:
        if owns_blob:
            cat.store.delete(blob.key)
        raise
    try:
        cat.hook.dp_post_process(product=view_of(outcome.product), created=outcome.created, skipped=outcome.skipped)
    except Exception:  # after the commit: TOM only logs sharing failures, and so do we
        log.exception("dp_post_process failed for data product %s", outcome.product.id)
    return outcome


def _create(cat: Catalogue, identity: Identity, draft: Draft, blob: BlobInfo, head: bytes,
            file_name: str) -> Created:
    if not blob.size:
        raise ValidationFailed(errors={"file": ["The submitted file is empty."]})
    parsed = read_header(head) if is_fits(head) else None
    if draft.goodman and parsed is None:
        raise ValidationFailed(errors={"file": ["Not a FITS file."]})
    file_name = draft.file_name or file_name
    now = utcnow()
    row = Product(product_id=draft.product_id, target=draft.target, observation_record=draft.observation_record,
                  facility=draft.facility, data_product_type=draft.data_product_type, extra_data=draft.extra_data,
                  file_name=file_name, blob_key=blob.key, token=token_of(blob.key), size=blob.size,
                  sha256=blob.sha256, mimetype=media_type(file_name, parsed is not None), is_fits=parsed is not None,
                  created_by=identity.user_id, created=now, modified=now)
    _promote(cat, row, parsed, draft)
    with write_transaction():
        if row.target_id is not None:
            hold([row.target_id])
        if draft.goodman:
            _refuse_duplicate(cat, identity, file_name, blob.sha256)
        own = _lineage(cat, identity, row, draft)
        row.proposal_bound = _binds(identity, row.proposal_id)
        try:
            with database.atomic():  # a savepoint: the transaction stays usable to find out what collided
                row.save()
        except peewee.IntegrityError:
            raise _collision(row) from None
        if own is not None:
            row.original_file = row
            row.parent_file = row if own == OWN_PARENT_AND_ORIGINAL else None
            row.save(only=[Product.original_file, Product.parent_file])
        _grant(row, draft.groups)
        if parsed is not None:
            ProductHeader.create(product=row, cards=parsed.cards)
        created, skipped = _process(cat, row)
    row.datum_count = created  # as the ingest stored it: the row is new
    return Created(row, created, skipped)


def _collision(row: Product) -> APIError:
    """What a concurrent writer took since the form was checked: the product_id, or the blob's key."""
    if row.product_id is not None and Product.select().where(Product.product_id == row.product_id).exists():
        return ValidationFailed(errors={"product_id": ["data product with this product id already exists."]})
    existing = Product.select(Product.id).where(Product.blob_key == row.blob_key).first()
    if existing is not None:
        return Conflict("File already catalogued.", code="duplicate_file", existing_id=existing.id)
    return Conflict("The data product could not be stored; try again.", code="conflict")


def token_of(key: str) -> str:
    """Default keys carry the product's token; a key from another plugin's ``dp_storage_key`` gets a new one."""
    parts = key.split("/")
    return parts[-2] if len(parts) >= 2 and len(parts[-2]) == 32 and _is_hex(parts[-2]) else secrets.token_hex(16)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _refuse_duplicate(cat: Catalogue, identity: Identity, file_name: str, sha256: str) -> None:
    existing = (Product.select(Product.id)
                .where((Product.file_name == file_name) & (Product.sha256 == sha256)
                       & cat.visible_products(identity)).first())
    if existing is not None:
        raise Conflict("File already catalogued.", code="duplicate_file", existing_id=existing.id)


def _promote(cat: Catalogue, row: Product, parsed: ParsedHeader | None, draft: Draft) -> None:
    """Header-derived columns: other plugins' identification and extractors first (the first non-None value
    of a key wins), the built-in Goodman ones last (as ``trylast`` implementations would run), then the
    explicit form fields over all of them."""
    view = view_of(row)
    values: dict[str, Any] = {}
    instrument = None
    # The astropy header is only built when another plugin asks for it: the built-in extraction reads the
    # parsed cards directly (the header target is 2 ms a file).
    if parsed is not None and cat.hook.dp_identify.get_hookimpls():
        instrument = cat.hook.dp_identify(header=parsed.header, filename=row.file_name)
    if parsed is not None:
        instrument = instrument or goodman.identify(parsed, row.file_name)
    if cat.hook.dp_extract_metadata.get_hookimpls():
        header = parsed.header if parsed is not None else None
        for result in cat.hook.dp_extract_metadata(product=view, header=header, instrument=instrument):
            for key, value in (result or {}).items():
                values.setdefault(key, value)
    if parsed is not None:
        extracted = goodman.extract(parsed, file_name=row.file_name, directory_name=draft.directory_name,
                                    explicit_level=draft.reduction_level)
        for key, value in extracted.items():
            if values.get(key) is None:
                values[key] = value
    row.instrument = instrument
    extra = {}
    for key, value in values.items():
        if key in PROMOTED:
            setattr(row, key, value)
        elif key not in SETTLED:
            extra[key] = value
    row.extra_metadata = extra or None
    explicit = {"reduction_level": draft.reduction_level, "proposal_id": draft.proposal_id,
                "directory_name": draft.directory_name, "is_usable": draft.is_usable}
    for key, value in explicit.items():
        if value is not None:
            setattr(row, key, value)
    if row.is_usable is None:
        row.is_usable = True
    row.normalized = bool(row.normalized)


OWN_ORIGINAL, OWN_PARENT_AND_ORIGINAL = "own original", "own parent and original"


def _lineage(cat: Catalogue, identity: Identity, row: Product, draft: Draft) -> str | None:
    """Parent and original file (§9.5).  A raw file is its own parent and original, a master calibration its
    own original: those ids can only be set once the row exists, so that case is returned instead."""
    if not row.is_fits:
        return None
    if draft.parent is not None:
        row.parent_file, row.parent_file_name = draft.parent, draft.parent.file_name
    elif row.parent_file_name == COMBINED:
        row.original_file_name = row.file_name
        return OWN_ORIGINAL
    elif row.reduction_level == RAW:
        row.parent_file_name = row.original_file_name = row.file_name
        return OWN_PARENT_AND_ORIGINAL
    elif row.parent_file_name:
        row.parent_file = _find_parent(cat, identity, row)
    parent = row.parent_file
    if parent is not None and parent.original_file_id is not None:
        row.original_file = parent.original_file_id
        row.original_file_name = Product.select(Product.file_name).where(
            Product.id == parent.original_file_id).scalar()
    return None


def _find_parent(cat: Catalogue, identity: Identity, row: Product) -> Product | None:
    """The visible file named by ``GSP_PNAM``: the same proposal first, then the same date, then the newest."""
    query = Product.select().where((Product.file_name == row.parent_file_name) & Product.is_fits
                                   & cat.visible_products(identity))
    same_proposal = peewee.Case(None, [(Product.proposal_id == row.proposal_id, 0)], 1)
    same_date = peewee.Case(None, [(Product.date == row.date, 0)], 1)
    return query.order_by(same_proposal, same_date, Product.created.desc(), Product.id.desc()).first()


def _binds(identity: Identity, proposal_id: str | None) -> bool:
    """A product is bound to its proposal only when its creator is staff or a member of that proposal (§4.3)."""
    if not proposal_id or not identity.authenticated:
        return False
    if identity.staff:
        return True
    return (Membership.select().join(Group)
            .where((Group.kind == PROPOSAL) & (Group.name == proposal_id)
                   & (Membership.user_id == identity.user_id)).exists())


def _grant(row: Product, groups: list[Group]) -> None:
    """``groups`` on create: view and delete for each (always stored; consulted in mode B only)."""
    rows = [{"object_type": PRODUCT, "object_id": row.id, "grantee_type": GROUP, "grantee_id": group.id,
             "perm": perm} for group in groups for perm in (VIEW, DELETE)]
    if rows:
        Grant.insert_many(rows).on_conflict_ignore().execute()


def _process(cat: Catalogue, row: Product) -> tuple[int, int]:
    """``dp_post_upload`` then the type's processor, inside the creating transaction."""
    view = view_of(row)
    try:
        cat.hook.dp_post_upload(product=view)
        with _BlobReader(cat.store, row.blob_key) as blob:
            result = cat.hook.dp_process(product=view, blob=blob,
                                         settings=cat.types.settings_for(row.data_product_type))
            if result is None or row.target_id is None:
                return 0, 0
            owner = Owner(row.target_id, row.id, result.data_type_override or row.data_product_type,
                          row.created_by)
            return ingest(result.datums, owner, cat.settings.ingest_chunk_rows)
    except ProcessingError as exc:
        raise _processing_failed(exc.message) from None
    except APIError:
        raise
    except Exception as exc:
        if _database_failure(exc):  # the database's trouble, not the file's: the core answers it
            raise
        error_id = uuid.uuid4().hex[:16]
        log.error("processing data product %r failed [error_id=%s]", row.file_name, error_id, exc_info=exc)
        raise _processing_failed(PROCESSING_FAILED, error_id=error_id) from None


def _database_failure(exc: Exception) -> bool:
    """peewee's errors, and the driver's own from the COPY writer (which bypasses peewee)."""
    return isinstance(exc, (peewee.DatabaseError, sqlite3.Error)) or type(exc).__module__.startswith("psycopg2")


def _processing_failed(message: str, **extra: Any) -> APIError:
    return APIError(message, status=422, code="processing_failed", detail=message,
                    **{"Data processing error": message}, **extra)


class _BlobReader(io.BufferedReader):
    """The stored file as a readable, seekable binary stream with ``.name`` and ``.local_path`` (processors
    read it back; a remote store's blob is first copied to a temporary file)."""

    local_path: Path | None

    def __init__(self, store, key: str):
        path = store.local_path(key)
        if path is not None:
            super().__init__(io.FileIO(path, "rb"))
        else:
            spool = tempfile.TemporaryFile()
            for chunk in store.open(key):
                spool.write(chunk)
            spool.seek(0)
            super().__init__(io.FileIO(spool.fileno(), "rb", closefd=False))
            self._spool = spool
        self.local_path = path

    def close(self) -> None:
        super().close()
        spool = getattr(self, "_spool", None)
        if spool is not None:
            spool.close()


def view_of(row: Product) -> ProductView:
    target = row.target if row.target_id is not None else None
    return ProductView(id=row.id, product_id=row.product_id, target_id=row.target_id,
                       target_name=target.name if target is not None else None,
                       data_product_type=row.data_product_type, file_name=row.file_name, facility=row.facility,
                       instrument=row.instrument, is_fits=bool(row.is_fits), mimetype=row.mimetype, size=row.size,
                       sha256=row.sha256, created=row.created.replace(tzinfo=dt.UTC),
                       created_by=row.created_by, extra_data=row.extra_data or "",
                       metadata=dict(row.extra_metadata or {}))


def get_visible(cat: Catalogue, identity: Identity, product_id: int, scope: peewee.Expression | None = None, *,
                for_update: bool = False) -> Product:
    query = Product.select().where((Product.id == product_id) & cat.visible_products(identity))
    if scope is not None:
        query = query.where(scope)
    product = (locked(query) if for_update else query).first()
    if product is None:
        raise access.missing(identity, NOT_FOUND)
    return product


def delete(cat: Catalogue, identity: Identity, product_id: int, scope: peewee.Expression | None = None) -> None:
    """§4.4: invisible → 404 (401 anonymous); raw → 403 ``raw_file_protected``; then a delete right.  The datums
    cascade, grants go, children keep the parent's name; the blob is deleted after the commit."""
    with write_transaction():
        # Locked first: an upload of datums to this product (which share-locks it) finishes before, or
        # finds it gone after, and no datum outlives its product.
        product = get_visible(cat, identity, product_id, scope, for_update=True)
        if access.is_raw(product):
            raise APIError("Raw files cannot be deleted.", status=403, code="raw_file_protected",
                           detail="Raw files cannot be deleted.")
        if not Product.select().where((Product.id == product.id) & cat.deletable_products(identity)).exists():
            raise PermissionDenied()
        Grant.delete().where((Grant.object_type == PRODUCT) & (Grant.object_id == product.id)).execute()
        Datum.delete().where(Datum.data_product == product.id).execute()  # no foreign key cascades (0003)
        product.delete_instance()
    cat.store.delete(product.blob_key)

