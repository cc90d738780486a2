"""Create, read, update, delete and search for every model, from its declaration.

A :class:`Kind` declares a model's attributes, uniqueness rules, filters,
dependents and extra behaviour; the functions here do the rest the same way
for every model: collisions are looked up first so the 422 names every
colliding attribute, the write runs in one transaction, and a unique index
that still fires (a concurrent writer won) is answered from a fresh lookup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee

from sciplane import database, locked, retrying_write

from ..errors import IMMUTABLE, MUST_EXIST, TAKEN, Invalid, bad_request, not_found
from ..wire import scalars
from ..wire.fields import Field, read_body
from ..wire.times import now_us


@dataclass(frozen=True)
class Unique:
    """A uniqueness rule: the columns, and the error keys a collision is reported under."""

    columns: tuple[str, ...]
    keys: tuple[str, ...]
    normalise: Callable[[dict], dict] | None = None  # values as stored in the index (e.g. lower-cased)


@dataclass(frozen=True)
class Dependent:
    """Rows that block a delete: ``model.column`` referencing the row, described as ``things``."""

    model: type[peewee.Model]
    column: str
    things: str


@dataclass
class Kind:
    """One model as the API sees it."""

    name: str  # the collection segment: "detectors"
    body_key: str  # the create/update wrapper: "detector"
    model: type[peewee.Model]
    fields: list[Field]
    render: Callable[[Sequence[peewee.Model], Any], list[dict]]  # rows → JSON objects
    unique: list[Unique] = field(default_factory=list)
    filters: dict[str, Callable[[str], Any]] = field(default_factory=dict)  # query key → value → condition
    dependents: list[Dependent] = field(default_factory=list)
    deletable: bool = True
    render_item: Callable[[Sequence[peewee.Model], Any], list[dict]] | None = None  # the item view, if richer
    # Extra checks and writes: check(values, body, current, errors, ctx) runs before the write and may
    # answer a plan; after(row, body, ctx, plan) runs inside the write's transaction.
    check: Callable | None = None
    after: Callable | None = None
    extra_collisions: Callable | None = None  # (values, current, errors) → more collision messages

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


@dataclass
class Page:
    rows: list
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def wrapped(kind: Kind, body: dict) -> dict:
    """The attributes inside ``{"<body_key>": {...}}``."""
    inner = body.get(kind.body_key)
    if not isinstance(inner, dict) or (not inner and not body):
        raise bad_request(f"param is missing or the value is empty: {kind.body_key}")
    return inner


def get(kind: Kind, row_id: int, *, for_update: bool = False) -> peewee.Model:
    """The row (404 when there is none); ``for_update`` locks it until the transaction ends."""
    if not scalars.fits_id(row_id):
        raise not_found()
    query = kind.model.select().where(kind.model.id == row_id)
    row = (locked(query) if for_update else query).first()
    if row is None:
        raise not_found()
    return row


def search(kind: Kind, params: dict[str, Any], page: int, page_size: int) -> Page:
    """Rows matching every known filter in ``params`` (unknown keys are ignored), by id, one page."""
    query = kind.model.select()
    for key, condition in kind.filters.items():
        if key in params:
            query = query.where(condition(scalars.last(params[key])))
    total = query.count()
    # A page past the end is empty without a query: its offset may not even fit the database's integers.
    rows = list(query.order_by(kind.model.id).paginate(page, page_size)) if (page - 1) * page_size < total else []
    return Page(rows, total, page, page_size)


def create(kind: Kind, body: dict, ctx) -> peewee.Model:
    attributes = wrapped(kind, body)
    values, errors = read_body(kind.fields, attributes, ctx.tz)
    return _save(kind, attributes, values, errors, None, ctx)


def update(kind: Kind, row_id: int, body: dict, ctx) -> peewee.Model:
    """Read, check and write in one transaction with the row locked: two updates of one row (one withdrawing a
    version, one editing its description) are applied one after the other, never each over a stale read."""
    attributes = wrapped(kind, body)
    return retrying_write(lambda: _update(kind, row_id, attributes, ctx))


def _update(kind: Kind, row_id: int, attributes: dict, ctx) -> peewee.Model:
    current = get(kind, row_id, for_update=True)
    values, errors = read_body(kind.fields, attributes, ctx.tz, current=current)
    for f in kind.fields:
        column = f.column_name
        if f.immutable and column in values and values[column] != getattr(current, _attribute(kind, column)):
            errors.add(f.name, IMMUTABLE)
            del values[column]
    return _save(kind, attributes, values, errors, current, ctx)


def delete(kind: Kind, row_id: int) -> None:
    retrying_write(lambda: _delete(kind, row_id))


def _delete(kind: Kind, row_id: int) -> None:
    row = get(kind, row_id, for_update=True)
    errors = Invalid()
    for dependent in kind.dependents:
        if dependent.model.select().where(getattr(dependent.model, dependent.column) == row.id).exists():
            errors.add("base", f"Cannot delete record because dependent {dependent.things} exist")
    errors.raise_if_any()
    try:
        with database.atomic():  # a savepoint: the transaction survives the foreign key's refusal
            row.delete_instance()
    except peewee.IntegrityError:  # a dependent appeared meanwhile; the foreign key stopped it
        raise Invalid({"base": ["Cannot delete record because dependent records exist"]}) from None


def _save(kind: Kind, attributes: dict, values: dict, errors: Invalid, current, ctx) -> peewee.Model:
    _check_references(kind, values, errors)
    plan = kind.check(values, attributes, current, errors, ctx) if kind.check else None
    for attempt in range(2):
        _collisions(kind, values, current, errors)  # Rails reports every failing attribute at once
        errors.raise_if_any()
        try:
            return retrying_write(lambda: _write(kind, attributes, values, current, ctx, plan))
        except peewee.IntegrityError:
            if attempt:
                raise Invalid({"base": [TAKEN]}) from None
            # A concurrent writer took a unique value: the lookup now names it.
    raise AssertionError("unreachable")


def _write(kind: Kind, attributes: dict, values: dict, current, ctx, plan) -> peewee.Model:
    """The row's insert or update and its ``after`` hook: one transaction's work, run again from scratch after a
    deadlock."""
    now = now_us()
    if current is None:
        row = kind.model.create(**values, created_at_us=now, updated_at_us=now) \
            if _stamped(kind) else kind.model.create(**values)
    else:
        row = current
        for column, value in values.items():
            setattr(row, _attribute(kind, column), value)
        if _stamped(kind):
            row.updated_at_us = now
        row.save()
    if kind.after:
        kind.after(row, attributes, ctx, plan)
    return row


def _collisions(kind: Kind, values: dict, current, errors: Invalid) -> None:
    model = kind.model
    for rule in kind.unique:
        if any(key in errors.errors_by_field for key in rule.keys):
            continue  # a refused value (an out-of-range uuid) is never looked up: SQLite cannot even bind it
        merged = {column: values.get(column, getattr(current, _attribute(kind, column), None) if current else None)
                  for column in rule.columns}
        if rule.normalise:
            merged = rule.normalise(merged)
        if any(value is None for value in merged.values()):
            continue
        query = model.select(model.id)
        for column, value in merged.items():
            query = query.where(getattr(model, _attribute(kind, column)) == value)
        if current is not None:
            query = query.where(model.id != current.id)
        if query.exists():
            for key in rule.keys:
                errors.add(key, TAKEN)
    if kind.extra_collisions:
        kind.extra_collisions(values, current, errors)


def _check_references(kind: Kind, values: dict, errors: Invalid) -> None:
    for f in kind.fields:
        if f.kind == "ref" and values.get(f.column_name) is not None:
            target = f.target
            if not scalars.fits_id(values[f.column_name]) or \
                    not target.select().where(target.id == values[f.column_name]).exists():
                errors.add(f.error_key, MUST_EXIST)


def _attribute(kind: Kind, column: str) -> str:
    """The model attribute holding ``column`` (a foreign key's ``<name>_id``)."""
    field_ = kind.model._meta.fields.get(column)
    if isinstance(field_, peewee.ForeignKeyField):
        return field_.object_id_name
    return column


def _stamped(kind: Kind) -> bool:
    return "updated_at_us" in kind.model._meta.fields


# -- filters ---------------------------------------------------------------------------


def equals(column: peewee.Field) -> Callable[[str], Any]:
    """``?key=value``: exact equality (integers that do not parse, or do not fit, match nothing)."""
    if not isinstance(column, peewee.IntegerField | peewee.ForeignKeyField):
        return lambda value: column == value
    bits = 64 if isinstance(column, peewee.BigIntegerField) else 32

    def condition(value: str):
        try:
            number = scalars.to_int(value)
        except ValueError:
            return NOTHING
        if number is scalars.NOT_GIVEN:
            return column.is_null()
        return column == number if scalars.fits(number, bits) else NOTHING
    return condition


NOTHING = peewee.SQL("1 = 0")


def page_params(params: dict, default_size: int, max_size: int) -> tuple[int, int]:
    """``page`` and ``page_size`` (non-numeric, zero or negative → defaults; size clamped)."""
    def positive(key: str, default: int) -> int:
        raw = scalars.last(params.get(key))
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            return default
        return value if value > 0 else default
    return positive("page", 1), min(positive("page_size", default_size), max_size)
