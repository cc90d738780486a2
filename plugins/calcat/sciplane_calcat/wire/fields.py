"""Attributes of the dialect's models: how a body value is read, checked and stored.

Rails conventions throughout: unknown attributes are ignored, ``""`` means
"not given" for numbers and for the attributes marked ``blank_null``, errors
are collected per attribute in Rails' words, and a PUT carrying an immutable
attribute unchanged is fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BAD_DATETIME, BLANK, MUST_EXIST, NOT_A_NUMBER, OUT_OF_RANGE, Invalid, too_long
from . import scalars, times
from .scalars import NOT_GIVEN


@dataclass(frozen=True)
class Field:
    """One attribute: ``name`` in bodies, ``column`` in the table (default: the same)."""

    name: str
    kind: str = "text"  # text | int | float | bool | time | ref
    column: str | None = None
    required: bool = False
    max_length: int | None = None
    immutable: bool = False
    blank_null: bool = False  # text: "" is stored as null
    default: Any = None
    bits: int = 32  # int: the column's width; a value beyond it "is out of range" (it would not even bind)
    target: Any = None  # ref: the referenced model
    association: str | None = None  # ref: the error key of "must exist" (default: name without "_id")

    @property
    def column_name(self) -> str:
        return self.column or self.name

    @property
    def error_key(self) -> str:
        return self.association or self.name.removesuffix("_id")

    def read(self, raw: Any, tz: str) -> Any:
        """The stored value for ``raw``; NOT_GIVEN for "not given"; ``ValueError`` with the message."""
        try:
            if self.kind in ("int", "ref"):
                return scalars.to_int(raw)
            if self.kind == "float":
                return scalars.to_float(raw)
            if self.kind == "bool":
                return scalars.to_bool(raw)
            if self.kind == "time":
                return times.parse(raw, tz)
            value = scalars.to_text(raw)
        except (ValueError, TypeError, OverflowError):
            raise ValueError(BAD_DATETIME if self.kind == "time" else NOT_A_NUMBER) from None
        if value is not NOT_GIVEN and self.blank_null and value.strip() == "":
            return NOT_GIVEN
        return value


def read_body(fields: list[Field], body: dict, tz: str, *, current: Any = None) -> tuple[dict[str, Any], Invalid]:
    """The given attributes of ``body`` as column values, and the errors found.

    Creating (``current`` None): absent attributes take their defaults and
    required ones must be present.  Updating: only the attributes in the body
    change; an absent or blank boolean keeps its value.
    """
    errors = Invalid()
    values: dict[str, Any] = {}
    for field in fields:
        present = field.name in body
        if not present and current is not None:
            continue
        try:
            value = field.read(body.get(field.name), tz) if present else NOT_GIVEN
        except ValueError as exc:
            errors.add(field.name, str(exc))
            continue
        if value is NOT_GIVEN:
            if field.kind == "bool" and current is not None:
                continue
            if field.required:
                # Rails: a required association that is not given "must exist".
                errors.add(*((field.error_key, MUST_EXIST) if field.kind == "ref" else (field.name, BLANK)))
                continue
            value = field.default if current is None else None
        elif field.kind == "text" and field.required and value.strip() == "":
            errors.add(field.name, BLANK)
            continue
        if isinstance(value, str) and field.max_length is not None and len(value) > field.max_length:
            errors.add(field.name, too_long(field.max_length))
            continue
        if field.kind == "int" and value is not None and not scalars.fits(value, field.bits):
            errors.add(field.name, OUT_OF_RANGE)
            continue
        values[field.column_name] = value
    return values, errors
