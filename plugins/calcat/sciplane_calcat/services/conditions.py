"""Conditions: sets of parameter values, searched tolerantly or exactly, and got or created.

A condition's parameter set is fixed once created (constants refer to it);
its ``match_key`` (see :func:`~..matching.match_key`) makes the exact match
one indexed lookup, and a partial unique index on it keeps one available
condition per exact set even under concurrent ``set_expected_condition``.
"""

from __future__ import annotations

import time
from typing import Any

from .. import cached, matching, render
from ..errors import BLANK, IMMUTABLE, INVALID, NOT_A_NUMBER, TAKEN, Invalid, invalid, not_found
from ..matching import Entry
from ..models import CalibrationConstant, Condition, Parameter, ParameterCondition
from ..wire import scalars, times
from ..wire.fields import Field
from . import records
from .catalog import AVAILABLE, DESCRIPTION, entries_of, name_filter
from .records import Dependent, Kind, Unique

PARAMETERS_KEY = "parameters_conditions"


def query_entries(body: dict) -> list[dict]:
    """The entries of a search or creation body, in either place the clients put them."""
    inner = body.get("condition")
    source = inner if isinstance(inner, dict) and "parameters_conditions_attributes" in inner else body
    return entries_of(source.get("parameters_conditions_attributes"))


def event_time(body: dict, tz: str) -> int | None:
    """The body's ``event_at`` (µs), None when it leaves it out (then "now")."""
    inner = body.get("condition") if isinstance(body.get("condition"), dict) else body
    try:
        value = times.parse(inner.get("event_at"), tz)
    except ValueError:
        raise invalid("event_at", "is not a valid datetime") from None
    return None if value is times.NOT_GIVEN else value


def resolve(raw_entries: list[dict], uuid_name: str, *, defaults: bool) -> list[Entry]:
    """Parameters resolved in one statement and values read; ``defaults``: absent deviations take the
    parameter's defaults (tolerant searches), else 0.0."""
    entries, _ = _resolve(raw_entries, uuid_name, defaults=defaults, find_uuid=False)
    return entries


def resolve_with_uuid_parameter(raw_entries: list[dict], uuid_name: str) -> tuple[list[Entry], int | None]:
    """:func:`resolve` (tolerant) without any UUID entry, and the UUID parameter's id, in the same statement."""
    entries, uuid_parameter = _resolve(raw_entries, uuid_name, defaults=True, find_uuid=True)
    return [e for e in entries if e.kind != "uuid"], uuid_parameter


def _resolve(raw_entries: list[dict], uuid_name: str, *, defaults: bool,
             find_uuid: bool) -> tuple[list[Entry], int | None]:
    if not raw_entries:
        raise invalid(PARAMETERS_KEY, BLANK)
    uuid_ci = uuid_name.lower()
    ids, names = [], [uuid_ci] if find_uuid else []
    for raw in raw_entries:
        pid = scalars.optional_int(raw.get("parameter_id"))
        if pid is not None:
            ids.append(pid)
        else:
            names.append(str(raw.get("parameter_name") or "").lower())
    ids_in_range = [i for i in ids if scalars.fits_id(i)]
    condition = Parameter.id.in_(ids_in_range) if ids_in_range else None
    if names:
        by_name = Parameter.name_ci.in_(names)
        condition = by_name if condition is None else condition | by_name
    found = list(Parameter.select().where(condition)) if condition is not None else []
    by_id = {p.id: p for p in found}
    by_name_ci = {p.name_ci: p for p in found}
    entries: list[Entry] = []
    seen: set[int] = set()
    for raw in raw_entries:
        pid = scalars.optional_int(raw.get("parameter_id"))
        parameter = by_id.get(pid) if pid is not None else by_name_ci.get(str(raw.get("parameter_name") or "").lower())
        if parameter is None:
            raise not_found()
        if parameter.id in seen:
            raise invalid(PARAMETERS_KEY, "contain a parameter more than once")
        seen.add(parameter.id)
        entries.append(_entry(parameter, raw, defaults, uuid_ci))
    uuid_parameter = by_name_ci.get(uuid_ci)
    return entries, uuid_parameter.id if uuid_parameter is not None else None


def _entry(parameter: Parameter, raw: dict, defaults: bool, uuid_ci: str) -> Entry:
    if parameter.flg_text:
        try:
            text = scalars.to_text(raw.get("value")) if raw.get("value") is not None else ""
        except ValueError:  # an object or a list: a text parameter's value is a string or a number
            raise invalid("value", INVALID) from None
        if text is scalars.NOT_GIVEN:
            text = ""
        return Entry(parameter.id, parameter.name, "text", 0.0, text, 0.0, 0.0)
    try:
        value = scalars.to_float(raw.get("value"))
        lo = scalars.to_float(raw.get("lower_deviation_value"))
        hi = scalars.to_float(raw.get("upper_deviation_value"))
    except (ValueError, TypeError):
        raise invalid("value", NOT_A_NUMBER) from None
    value = 0.0 if value is scalars.NOT_GIVEN else value
    fallback_lo = (parameter.def_lower_deviation_value or 0.0) if defaults else 0.0
    fallback_hi = (parameter.def_upper_deviation_value or 0.0) if defaults else 0.0
    lo = fallback_lo if lo is scalars.NOT_GIVEN else lo
    hi = fallback_hi if hi is scalars.NOT_GIVEN else hi
    if lo < 0 or hi < 0:
        raise invalid("lower_deviation_value" if lo < 0 else "upper_deviation_value",
                      "must be greater than or equal to 0")
    if parameter.name_ci == uuid_ci:
        kind = "uuid"
    elif parameter.flg_logarithmic:
        if value <= 0:
            raise invalid("value", "must be greater than 0 for a logarithmic parameter")
        kind = "log"
    else:
        kind = "numeric"
    return Entry(parameter.id, parameter.name, kind, value, None, lo, hi)


# -- searches ----------------------------------------------------------------------------------


def possible(body: dict, call, uuid_name: str) -> tuple[list[Condition], int | None]:
    """Tolerant match (404 when nothing matches), closest in creation time to the body's ``event_at``;
    with the instant up to which the answer holds (``cached``): "now" moving past a creation time
    reorders the rows, and nothing else that time does changes them."""
    entries = resolve(query_entries(body), uuid_name, defaults=True)
    event_us = event_time(body, call.tz)
    now_us = times.now_us()
    rows = matching.possible(entries, now_us if event_us is None else event_us)
    if not rows:
        raise not_found()
    valid_until = cached.FOREVER if event_us is not None else cached.earliest_after(
        now_us, (row.created_at_us for row in rows))
    return rows, valid_until


def exact(entries: list[Entry]) -> Condition | None:
    return (Condition.select().where((Condition.match_key == matching.match_key(entries)) & Condition.flg_available)
            .order_by(Condition.created_at_us.desc(), Condition.id.desc()).first())


def expected(body: dict, uuid_name: str) -> Condition:
    found = exact(resolve(query_entries(body), uuid_name, defaults=False))
    if found is None:
        raise not_found()
    return found


def set_expected(body: dict, call, uuid_name: str) -> tuple[Condition, bool]:
    """``(condition, created)``: the exact match, or a new condition from the body."""
    entries = resolve(query_entries(body), uuid_name, defaults=False)
    found = exact(entries)
    if found is not None:
        return found, False
    inner = body.get("condition") if isinstance(body.get("condition"), dict) else {}
    attributes = {key: inner[key] for key in ("name", "flg_available", "description") if key in inner}
    if scalars.blank(attributes.get("name")):
        attributes["name"] = str(int(time.time()))
    attributes["parameters_conditions_attributes"] = query_entries(body)
    try:
        return records.create(CONDITIONS, {"condition": attributes}, call), True
    except Invalid:
        winner = exact(entries)  # a concurrent caller created the same set first
        if winner is not None:
            return winner, False
        raise


# -- the model ---------------------------------------------------------------------------------


def _check(values: dict, body: dict, current, errors: Invalid, ctx) -> list[tuple[Entry, dict]] | None:
    if current is not None:
        if "parameters_conditions_attributes" in body:
            errors.add(PARAMETERS_KEY, IMMUTABLE)
        if values.get("flg_available") and not current.flg_available and \
                Condition.select().where((Condition.match_key == current.match_key) & Condition.flg_available
                                         & (Condition.id != current.id)).exists():
            errors.add(PARAMETERS_KEY, TAKEN)
        return None
    raw = entries_of(body.get("parameters_conditions_attributes"))
    try:
        entries = resolve(raw, ctx.uuid_name, defaults=False)
    except Invalid as exc:
        for key, messages in exc.errors_by_field.items():
            for message in messages:
                errors.add(key, message)
        return None
    values["num_parameters"] = len(entries)
    values["match_key"] = matching.match_key(entries)
    if values.get("flg_available", True) and \
            Condition.select().where((Condition.match_key == values["match_key"]) & Condition.flg_available).exists():
        errors.add(PARAMETERS_KEY, TAKEN)
    return list(zip(entries, raw, strict=True))


def _write_parameters(row: Condition, body: dict, ctx, plan) -> None:
    if not plan:
        return
    now = row.created_at_us
    ParameterCondition.insert_many([{
        "condition": row.id, "parameter": entry.parameter_id, "value": entry.value, "value_bits": entry.bits,
        "txt_value": entry.text, "lower_deviation_value": entry.lo, "upper_deviation_value": entry.hi,
        "flg_available": _flag(raw.get("flg_available")), "description": _text(raw.get("description")),
        "created_at_us": now} for entry, raw in plan]).execute()


def _flag(value: Any) -> bool:
    flag = scalars.to_bool(value)
    return True if flag is scalars.NOT_GIVEN else flag


def _text(value: Any) -> str | None:
    try:
        text = scalars.to_text(value)
    except ValueError:
        return None
    return None if text is scalars.NOT_GIVEN else text


CONDITIONS = Kind(
    "conditions", "condition", Condition,
    [Field("name", required=True, max_length=60), AVAILABLE, DESCRIPTION],
    render.conditions, unique=[Unique(("name",), ("name",))], filters=name_filter(Condition),
    dependents=[Dependent(CalibrationConstant, "condition", "calibration constants")],
    check=_check, after=_write_parameters)

