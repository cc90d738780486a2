"""Targets: validation of TOM's target bodies, the one case-insensitive name namespace, grants to groups,
and the deletion rule that keeps raw files (spec §4.6, §7.5)."""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Mapping
from typing import Any

import peewee

from sciplane import Identity, PermissionDenied, ValidationFailed, locked, utcnow, write_transaction

from .. import access
from ..models import (
    CHANGE,
    DELETE,
    GROUP,
    PERMISSIONS,
    TARGET,
    VIEW,
    Datum,
    Grant,
    Group,
    Product,
    Target,
    TargetExtra,
    TargetName,
    name_key,
)
from ..wire.listing import BIGGEST, digits
from ..wire.text import text_problem
from ..wire.times import stamp
from .memberships import member_groups

SIDEREAL, NON_SIDEREAL = "SIDEREAL", "NON_SIDEREAL"
POSITION = ("ra", "dec", "epoch", "parallax", "pm_ra", "pm_dec", "galactic_lng", "galactic_lat", "distance",
            "distance_err")
ELEMENTS = ("epoch_of_elements", "mean_anomaly", "arg_of_perihelion", "eccentricity", "lng_asc_node", "inclination",
            "mean_daily_motion", "semimajor_axis", "epoch_of_perihelion", "ephemeris_period", "ephemeris_period_err",
            "ephemeris_epoch", "ephemeris_epoch_err", "perihdist", "abs_mag", "slope")
REQUIRED = {SIDEREAL: ("ra", "dec"),
            NON_SIDEREAL: ("epoch_of_elements", "inclination", "lng_asc_node", "arg_of_perihelion", "eccentricity")}
SCHEME_REQUIRED = {"MPC_COMET": ("perihdist", "epoch_of_perihelion"),
                   "MPC_MINOR_PLANET": ("mean_anomaly", "semimajor_axis"),
                   "JPL_MAJOR_PLANET": ("mean_daily_motion", "mean_anomaly", "semimajor_axis")}
NAME_MAX = 100
NOT_FOUND = "No Target matches the given query."


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


class Body:
    """A target body checked field by field; ``errors`` collects DRF's messages."""

    def __init__(self, data: Mapping[str, Any], *, partial: bool, settings):
        self.data, self.partial, self.settings = data, partial, settings
        self.errors: dict[str, list] = {}
        self.values: dict[str, Any] = {}
        unknown = sorted(set(data) - {"name", "type", "permissions", "scheme", "aliases", "targetextra_set",
                                       "groups", "id", *POSITION, *ELEMENTS})
        for name in unknown:
            self.errors[name] = ["Unknown field."]
        self._text("name", NAME_MAX, required=True)
        self._choice("type", (SIDEREAL, NON_SIDEREAL), required=True)
        self._choice("permissions", PERMISSIONS)
        self._text("scheme", 50, blank=True)
        for field in (*POSITION, *ELEMENTS):
            if field in data:
                try:
                    self.values[field] = _number(data[field])
                except (TypeError, ValueError):
                    self.errors[field] = ["A valid number is required."]
        self.aliases = self._items("aliases", {"name": 100})
        self.extras = self._items("targetextra_set", {"key": 200, "value": None})
        self.groups = self._items("groups", None)

    def _text(self, field: str, limit: int, *, required: bool = False, blank: bool = False) -> None:
        if field not in self.data:
            if required and not self.partial:
                self.errors[field] = ["This field is required."]
            return
        value = self.data[field]
        if not isinstance(value, str):
            self.errors[field] = ["Not a valid string."]
        elif not value.strip() and not blank:
            self.errors[field] = ["This field may not be blank."]
        elif (problem := text_problem(value, limit)) is not None:
            self.errors[field] = [problem]
        else:
            self.values[field] = value.strip() if field == "name" else value

    def _choice(self, field: str, choices: tuple[str, ...], *, required: bool = False) -> None:
        if field not in self.data:
            if required and not self.partial:
                self.errors[field] = ["This field is required."]
            return
        if self.data[field] not in choices:
            self.errors[field] = [f'"{self.data[field]}" is not a valid choice.']
        else:
            self.values[field] = self.data[field]

    def _items(self, field: str, keys: dict[str, int | None] | None) -> list[dict]:
        """A list of objects with the text ``keys`` (each up to its length limit) and an optional integer ``id``."""
        value = self.data.get(field, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.errors[field] = ["Expected a list of objects."]
            return []
        if keys is not None:
            for item in value:
                problems = {key: ["This field is required."] for key in keys if not str(item.get(key, "")).strip()}
                problems.update({key: [problem] for key, limit in keys.items() if key not in problems
                                 and (problem := text_problem(str(item[key]), limit)) is not None})
                if item.get("id") is not None and not _an_id(item["id"]):
                    problems["id"] = ["A valid integer is required."]
                if problems:
                    self.errors[field] = [problems]
                    return []
        return value

    def check_required(self, current: Target | None = None) -> None:
        """TOM's per-type requirements, over the stored values a partial update keeps."""
        def value(field: str):
            if field in self.values:
                return self.values[field]
            if current is None:
                return None
            return getattr(current, field) if field in POSITION else (current.elements or {}).get(field)

        kind = self.values.get("type", current.type if current else None)
        scheme = self.values.get("scheme", current.scheme if current else "")
        needed = REQUIRED.get(kind, ()) + (SCHEME_REQUIRED.get(scheme, ()) if kind == NON_SIDEREAL else ())
        missing = [field for field in needed if value(field) is None]
        if missing:
            self.errors.setdefault("non_field_errors", []).append(
                f"The following fields are required for {kind} targets: {missing}")

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationFailed(errors=self.errors)


def _name_owner(key: str) -> TargetName | None:
    return TargetName.select(TargetName, Target).join(Target).where(TargetName.name_key == key).first()


def _an_id(value: Any) -> bool:
    """A row id: an integer (or its digits) that fits the id columns."""
    text = str(value).strip()
    return not isinstance(value, bool) and digits(text) and int(text) <= BIGGEST


def _check_names(body: Body, target: Target | None) -> None:
    """One case-insensitive namespace for names and aliases, across all targets."""
    name = body.values.get("name", target.name if target else None)
    own = target.id if target else None
    if "name" in body.values:
        holder = _name_owner(name_key(name))
        if holder is not None and holder.target_id != own:
            body.errors.setdefault("name", []).append("target with this Name already exists.")
    seen = set()
    for alias in body.aliases:
        text = str(alias["name"]).strip()
        key = name_key(text)
        if name is not None and key == name_key(name):
            body.errors.setdefault("non_field_errors", []).append(
                f"Alias '{text}' conflicts with Target name '{name}'.")
            continue
        holder = _name_owner(key)
        renaming = alias.get("id")
        if (holder is not None and holder.target_id != own) or key in seen:
            other = holder.target.name if holder is not None else name
            body.errors.setdefault("aliases", []).append(f"Alias '{text}' is already used by target '{other}'.")
        elif holder is not None and holder.target_id == own and renaming is not None and holder.id != renaming:
            body.errors.setdefault("aliases", []).append(f"Alias '{text}' is already used by target '{name}'.")
        seen.add(key)


def _groups(identity: Identity, items: list[dict], body: Body) -> list[Group]:
    """The groups a body names (by id or name); each must exist and hold the caller, unless staff."""
    found, refused = member_groups(identity, items)
    for label in refused:
        body.errors.setdefault("groups", []).append(
            f"Group {label!r} does not exist or you are not one of its members.")
    return found


def _store_values(target: Target, values: Mapping[str, Any]) -> None:
    for field in ("name", "type", "permissions", "scheme", *POSITION):
        if field in values:
            setattr(target, field, values[field])
    elements = dict(target.elements or {})
    elements.update({field: values[field] for field in ELEMENTS if field in values})
    target.elements = {k: v for k, v in elements.items() if v is not None} or None


def _apply_names_and_extras(target: Target, body: Body) -> None:
    if "name" in body.values:
        (TargetName.update(name=target.name, name_key=name_key(target.name))
         .where((TargetName.target == target) & TargetName.is_primary).execute())
    for alias in body.aliases:
        text = str(alias["name"]).strip()
        if alias.get("id") is not None:
            updated = (TargetName.update(name=text, name_key=name_key(text))
                       .where((TargetName.id == alias["id"]) & (TargetName.target == target)
                              & ~TargetName.is_primary).execute())
            if not updated:
                raise ValidationFailed(errors={"aliases": [f"Alias id {alias['id']} does not belong to this target."]})
        elif not TargetName.select().where(TargetName.name_key == name_key(text)).exists():
            TargetName.create(target=target, name=text, name_key=name_key(text), is_primary=False)
    for extra in body.extras:
        if extra.get("id") is not None:
            updated = (TargetExtra.update(key=str(extra["key"]), value=str(extra["value"]))
                       .where((TargetExtra.id == extra["id"]) & (TargetExtra.target == target)).execute())
            if not updated:
                raise ValidationFailed(errors={"targetextra_set": [f"Extra id {extra['id']} does not belong to "
                                                                   "this target."]})
        else:
            TargetExtra.create(target=target, key=str(extra["key"]), value=str(extra["value"]))


def _grant_groups(target: Target, groups: list[Group], perms: tuple[str, ...] = (VIEW, CHANGE, DELETE)) -> None:
    for group in groups:
        for perm in perms:
            (Grant.insert(object_type=TARGET, object_id=target.id, grantee_type=GROUP, grantee_id=group.id, perm=perm)
             .on_conflict_ignore().execute())


def create(identity: Identity, data: Any, settings) -> Target:
    if settings.target_create == "staff" and not identity.staff:
        raise PermissionDenied("Only staff may create targets.")
    body = Body(data if isinstance(data, Mapping) else {}, partial=False, settings=settings)
    body.check_required()
    with write_transaction():
        _check_names(body, None)
        groups = _groups(identity, body.groups, body)
        body.raise_errors()
        now = utcnow()
        target = Target(permissions=settings.target_default_permission, created_by=identity.user_id, created=now,
                        modified=now)
        _store_values(target, body.values)
        try:
            target.save()
            TargetName.create(target=target, name=target.name, name_key=name_key(target.name), is_primary=True)
            _apply_names_and_extras(target, _without_name(body))
        except peewee.IntegrityError:  # a concurrent create took a name first
            raise ValidationFailed(errors={"name": ["target with this Name already exists."]}) from None
        _grant_groups(target, groups)
    return target


def _without_name(body: Body) -> Body:
    body.values.pop("name", None)
    return body


def get_for(identity: Identity, target_id: int, perm: str, settings, *, for_update: bool = False) -> Target:
    """The target, if the caller may see it (else 404) and holds ``perm`` on it (else 403)."""
    query = Target.select().where((Target.id == target_id) & access.targets_with(identity, VIEW, settings))
    target = (locked(query) if for_update else query).first()
    if target is None:
        raise access.missing(identity, NOT_FOUND)
    if perm != VIEW and not Target.select().where(
            (Target.id == target_id) & access.targets_with(identity, perm, settings)).exists():
        raise PermissionDenied()
    return target


def update(identity: Identity, target_id: int, data: Any, settings, *, partial: bool) -> Target:
    with write_transaction():
        target = get_for(identity, target_id, CHANGE, settings)
        body = Body(data if isinstance(data, Mapping) else {}, partial=partial, settings=settings)
        body.check_required(target)
        _check_names(body, target)
        groups = _groups(identity, body.groups, body)
        body.raise_errors()
        _store_values(target, body.values)
        target.modified = utcnow()
        try:
            target.save()
            _apply_names_and_extras(target, body)
        except peewee.IntegrityError:
            raise ValidationFailed(errors={"name": ["target with this Name already exists."]}) from None
        # A caller grants only the rights it holds: with change but not delete, adding its own group must not
        # give it the delete right it lacks.
        if groups:
            _grant_groups(target, groups, _held(identity, target.id, settings))
    return target


def _held(identity: Identity, target_id: int, settings) -> tuple[str, ...]:
    """The rights the caller holds on a target it may change (view and change, and delete if granted)."""
    deletes = Target.select().where((Target.id == target_id) & access.targets_with(identity, DELETE, settings))
    return (VIEW, CHANGE, DELETE) if deletes.exists() else (VIEW, CHANGE)


def delete(identity: Identity, target_id: int, settings) -> list[str]:
    """Delete a target with its products (raw files are detached instead: they can never be deleted),
    datums and grants; returns the blob keys of the deleted products, for the caller to remove."""
    with write_transaction():
        # Locked first: an upload to this target (which share-locks it) finishes before, or finds it gone.
        target = get_for(identity, target_id, DELETE, settings, for_update=True)
        # Its products' rows before their datums, as every writer of datums takes them (no deadlock with a
        # datum's delete or a bulk post).
        list(locked(Product.select(Product.id).where(Product.target == target).order_by(Product.id)))
        # A raw file's datums (a bulk post may have given it some) go with the target: it keeps none.
        Product.update(target=None, datum_count=0).where(
            (Product.target == target) & (Product.reduction_level == 0)).execute()
        products = Product.select(Product.id).where(Product.target == target)
        keys = [key for (key,) in Product.select(Product.blob_key).where(Product.target == target).tuples()]
        Grant.delete().where((Grant.object_type == "product") & Grant.object_id.in_(products)).execute()
        Datum.delete().where(Datum.target == target).execute()
        Product.delete().where(Product.target == target).execute()
        Grant.delete().where((Grant.object_type == TARGET) & (Grant.object_id == target.id)).execute()
        target.delete_instance()
    return keys


def render(targets: list[Target]) -> list[dict[str, Any]]:
    """TOM's target records, in TOM's field order; names, extras and groups read for the whole page at once."""
    ids = [t.id for t in targets]
    aliases: dict[int, list] = {i: [] for i in ids}
    extras: dict[int, list] = {i: [] for i in ids}
    groups: dict[int, list] = {i: [] for i in ids}
    if ids:
        for row in TargetName.select().where(TargetName.target.in_(ids) & ~TargetName.is_primary).order_by(
                TargetName.id):
            aliases[row.target_id].append({"id": row.id, "name": row.name})
        for row in TargetExtra.select().where(TargetExtra.target.in_(ids)).order_by(TargetExtra.id):
            extras[row.target_id].append({"id": row.id, "key": row.key, "value": row.value})
        holders = (Grant.select(Grant.object_id, Group.id, Group.name).join(Group, on=(Grant.grantee_id == Group.id))
                   .where((Grant.object_type == TARGET) & Grant.object_id.in_(ids) & (Grant.grantee_type == GROUP)
                          & (Grant.perm == VIEW)).order_by(Group.name).tuples())
        for object_id, group_id, group_name in holders:
            groups[object_id].append({"id": group_id, "name": group_name})
    out = []
    for t in targets:
        elements = t.elements or {}
        out.append({"id": t.id, "targetextra_set": extras[t.id], "aliases": aliases[t.id], "name": t.name,
                    "type": t.type, "created": stamp(t.created), "modified": stamp(t.modified),
                    "permissions": t.permissions, **{field: getattr(t, field) for field in POSITION},
                    "scheme": t.scheme, **{field: elements.get(field) for field in ELEMENTS}, "groups": groups[t.id]})
    return out


def cone(text: str) -> peewee.Expression:
    """``ra,dec,radius`` in degrees: a bounding box through the index, then the exact great-circle test."""
    try:
        ra, dec, radius = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError("Enter ra,dec,radius in degrees.") from None
    if not (0 <= radius <= 180 and -90 <= dec <= 90 and math.isfinite(ra)):
        raise ValueError("Enter ra,dec,radius in degrees.")
    box = Target.dec.between(dec - radius, dec + radius) & Target.ra.is_null(False)
    return Target.id.in_(Target.select(Target.id).where(box & _within(ra, dec, radius)))


def _within(ra: float, dec: float, radius: float) -> peewee.Expression:
    # Haversine on the engine: cos(d) = sin δ1 sin δ2 + cos δ1 cos δ2 cos(Δα); compare cosines (no acos).
    r = math.pi / 180
    fn = peewee.fn
    cosine = (fn.SIN(Target.dec * r) * math.sin(dec * r)
              + fn.COS(Target.dec * r) * math.cos(dec * r) * fn.COS((Target.ra - ra) * r))
    return cosine >= math.cos(radius * r) - 1e-12


def exists_named(terms: list[str]) -> peewee.Expression:
    """Targets whose name or an alias contains any of ``terms`` (case-insensitive, ``%``/``_`` literal); an
    EXISTS, so rows stay distinct."""
    matches = functools.reduce(operator.or_, [contains(TargetName.name_key, name_key(t)) for t in terms])
    return peewee.fn.EXISTS(TargetName.select(TargetName.id).where((TargetName.target == Target.id) & matches))


def contains(column: peewee.Node, text: str) -> peewee.Expression:
    """A substring test in which ``%`` and ``_`` are literal (the column holds case-folded text)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return peewee.NodeList((column, peewee.SQL("LIKE"), peewee.Value(f"%{escaped}%"), peewee.SQL("ESCAPE '\\'")))

