"""The fields that come with an upload, checked in DRF's words: TOM's form (§7.2) and Goodman's (§8.7).

A form is checked twice: with the fields that arrived before the file part (``partial``: only what is
there, so a bad target or a taken ``product_id`` is refused before a byte is stored), and whole once the
body has been read.  The result is a :class:`Draft`, what the product service needs to create the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sciplane import Identity, ValidationFailed

from .. import access
from ..models import CHANGE, VIEW, Group, ObservationRecord, Product, Target
from ..types import TypeRegistry
from ..wire.listing import digits
from ..wire.text import text_problem
from .memberships import member_groups

TOM_FIELDS = ("target", "data_product_type", "product_id", "observation_record", "facility", "extra_data", "groups")
GSP_FIELDS = ("data_type", "proposal_id", "directory_name", "parent_file_id", "is_usable", "target",
              "data_product_type", "product_id", "groups")
REGISTRATION_FIELDS = (*GSP_FIELDS, "blob_key", "file_name")
LEVELS = range(0, 6)
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass
class Draft:
    """A checked upload form."""

    data_product_type: str
    target: Target | None = None
    product_id: str | None = None
    observation_record: ObservationRecord | None = None
    facility: str | None = None
    extra_data: str = ""
    groups: list[Group] = field(default_factory=list)
    reduction_level: int | None = None  # an explicit Goodman ``data_type``
    proposal_id: str | None = None
    directory_name: str | None = None
    parent: Product | None = None
    is_usable: bool | None = None
    file_name: str | None = None
    goodman: bool = False  # a Goodman upload: the file must be FITS; the same file twice is a conflict


def single(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields arrive as lists (a field may repeat); JSON bodies as values.  The last value counts,
    except for ``groups``, which keeps every value."""
    out = {}
    for name, value in fields.items():
        if isinstance(value, list) and name != "groups":
            out[name] = value[-1] if value else ""
        else:
            out[name] = value
    return out


class _Checker:
    def __init__(self, identity: Identity, data: Mapping[str, Any], settings, allowed: tuple[str, ...], *,
                 partial: bool):
        self.identity, self.data, self.settings, self.partial = identity, single(data), settings, partial
        self.errors: dict[str, list] = {}
        for name in sorted(set(self.data) - set(allowed) - {"file"}):
            self.errors[name] = ["Unknown field."]

    def present(self, name: str) -> bool:
        return name in self.data and self.data[name] not in ("", None)

    def text(self, name: str, limit: int) -> str | None:
        if not self.present(name):
            return None
        value = self.data[name]
        if not isinstance(value, str):
            self.errors[name] = ["Not a valid string."]
            return None
        if (problem := text_problem(value, limit)) is not None:
            self.errors[name] = [problem]
            return None
        return value

    def pk(self, name: str) -> int | None:
        value = self.data[name]
        if isinstance(value, bool) or not digits(str(value).strip()) or len(str(value).strip()) > 18:
            self.errors[name] = [f"Incorrect type. Expected pk value, received {type(value).__name__}."]
            return None
        return int(str(value).strip())

    def target(self, *, required: bool) -> Target | None:
        if not self.present("target"):
            if required and not self.partial:
                self.errors["target"] = ["This field is required."]
            return None
        ident = self.pk("target")
        if ident is None:
            return None
        # Creating on a target needs `change`; without it the target does not exist for this caller (TOM).
        found = Target.select().where((Target.id == ident)
                                      & access.targets_with(self.identity, CHANGE, self.settings)).first()
        if found is None:
            self.errors["target"] = [f'Invalid pk "{self.data["target"]}" - object does not exist.']
        return found

    def data_product_type(self, types: TypeRegistry, *, default: str | None) -> str | None:
        if "data_product_type" not in self.data:
            if default is None and not self.partial:
                self.errors["data_product_type"] = ["This field is required."]
            return default
        value = self.data["data_product_type"]
        if not isinstance(value, str) or value not in types:
            self.errors["data_product_type"] = [types.invalid_message("data_product_type")]
            return None
        return value

    def product_id(self) -> str | None:
        value = self.text("product_id", 255)
        if value is not None and Product.select().where(Product.product_id == value).exists():
            self.errors["product_id"] = ["data product with this product id already exists."]
        return value

    def groups(self) -> list[Group]:
        raw = self.data.get("groups")
        if raw in (None, "", []):
            return []
        items = raw if isinstance(raw, list) else [raw]
        if len(items) == 1 and isinstance(items[0], str) and items[0].lstrip().startswith("["):
            try:
                items = orjson.loads(items[0])
            except orjson.JSONDecodeError:
                self.errors["groups"] = ["Expected a list of group ids or names."]
                return []
        found, refused = member_groups(self.identity, items if isinstance(items, list) else [items])
        if refused:
            self.errors["groups"] = [f'Invalid group "{label}": not found or you are not a member.'
                                     for label in refused]
        return found

    def boolean(self, name: str) -> bool | None:
        if not self.present(name):
            return None
        value = self.data[name]
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE or text in FALSE:
            return text in TRUE
        self.errors[name] = ["Must be a valid boolean."]
        return None

    def level(self) -> int | None:
        if not self.present("data_type"):
            return None
        value = self.data["data_type"]
        if isinstance(value, bool) or not digits(str(value).strip()) or int(str(value).strip()) not in LEVELS:
            self.errors["data_type"] = [f'"{value}" is not a valid choice.']
            return None
        return int(str(value).strip())

    def finish(self, draft: Draft) -> Draft:
        if self.errors:
            raise ValidationFailed(errors=self.errors)
        return draft


def tom(identity: Identity, data: Mapping[str, Any], settings, types: TypeRegistry, *,
        partial: bool = False) -> Draft:
    """TOM's ``POST /api/dataproducts/`` form."""
    check = _Checker(identity, data, settings, TOM_FIELDS, partial=partial)
    target = check.target(required=True)
    draft = Draft(data_product_type=check.data_product_type(types, default=None) or "", target=target,
                  product_id=check.product_id(), facility=check.text("facility", 50),
                  extra_data=check.text("extra_data", 1 << 16) or "", groups=check.groups())
    if check.present("observation_record"):
        if draft.facility is not None:
            check.errors["facility"] = ["Give either observation_record or facility, not both."]
        draft.observation_record = _observation_record(check, target)
        if draft.observation_record is not None:
            draft.facility = draft.observation_record.facility
    return check.finish(draft)


def _observation_record(check: _Checker, target: Target | None) -> ObservationRecord | None:
    ident = check.pk("observation_record")
    if ident is None:
        return None
    viewable = Target.select(Target.id).where(access.targets_with(check.identity, VIEW, check.settings))
    record = ObservationRecord.select().where((ObservationRecord.id == ident)
                                              & ObservationRecord.target.in_(viewable)).first()
    if record is None or (target is not None and record.target_id != target.id):
        check.errors["observation_record"] = [f'Invalid pk "{check.data["observation_record"]}" - object does not '
                                              "exist."]
        return None
    return record


def goodman(identity: Identity, data: Mapping[str, Any], settings, types: TypeRegistry, visible_products, *,
            partial: bool = False, registration: bool = False) -> Draft:
    """Goodman's ``POST /api/files/`` form (multipart), or a staff registration of a stored blob (JSON)."""
    check = _Checker(identity, data, settings, REGISTRATION_FIELDS if registration else GSP_FIELDS,
                     partial=partial)
    draft = Draft(data_product_type=check.data_product_type(types, default="fits_file") or "",
                  target=check.target(required=False), product_id=check.product_id(), groups=check.groups(),
                  reduction_level=check.level(), proposal_id=check.text("proposal_id", 150),
                  directory_name=check.text("directory_name", 500), is_usable=check.boolean("is_usable"),
                  file_name=check.text("file_name", 255) if registration else None, goodman=True)
    if check.present("parent_file_id"):
        ident = check.pk("parent_file_id")
        if ident is not None:
            draft.parent = Product.select().where((Product.id == ident) & Product.is_fits
                                                  & visible_products).first()
            if draft.parent is None:
                check.errors["parent_file_id"] = [f'Invalid pk "{ident}" - object does not exist.']
    return check.finish(draft)
