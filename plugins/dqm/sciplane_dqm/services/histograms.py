"""Selecting histograms: filters to SQL, keyset pages, counts, items and stacked arrays."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import peewee

from sciplane import NotFound, database, is_postgres

from .. import arrays
from ..models import Histogram, Title
from ..query import DIM, GRANULARITY, INT, INTS, REGEX, TEXT, TITLES

FILTERS = {
    "dim": DIM, "granularity": GRANULARITY,
    "run_number": INT, "run_number__gte": INT, "run_number__lte": INT, "run_number__in": INTS,
    "ls_number": INT, "ls_number__gte": INT, "ls_number__lte": INT, "ls_number__in": INTS,
    "title": TITLES, "title__contains": TEXT, "title__regex": REGEX,
    "entries__gte": INT, "entries__lte": INT, "source_file": INT,
}
ITEM_FIELDS = ("id", "run_number", "ls_number", "granularity", "title", "title_id", "dim", "type_code", "entries",
               "x_min", "x_max", "x_bin", "y_min", "y_max", "y_bin", "x_edges", "y_edges", "data", "source_file")
# Item fields computed from others, and the columns each needs.
DERIVED = {"granularity": ("ls_number",), "title": ("title_id",), "data": ("data", "dtype", "x_bin", "y_bin"),
           "x_edges": ("x_edges",), "y_edges": ("y_edges",), "source_file": ("source_file_id",)}
LIMIT_FIELDS = ("x_min", "x_max", "y_min", "y_max")
KEY = (Histogram.run_number, Histogram.ls_number, Histogram.title)


def title_condition(column: peewee.Field, values: Mapping[str, Any]) -> peewee.Expression | None:
    """Conditions on a title column (exact list, case-sensitive substring, regular expression)."""
    conditions = []
    if "title" in values:
        conditions.append(column.in_(values["title"]))
    if "title__contains" in values:
        # LIKE ignores case on SQLite: find the substring by position instead, on both engines.
        position = peewee.fn.strpos if is_postgres(database) else peewee.fn.instr
        conditions.append(position(column, values["title__contains"]) > 0)
    if "title__regex" in values:
        op = "~" if is_postgres(database) else "REGEXP"
        conditions.append(peewee.Expression(column, op, values["title__regex"]))
    return peewee.reduce(peewee.operator.and_, conditions) if conditions else None


def number_conditions(column: peewee.Field, name: str, values: Mapping[str, Any]) -> list[peewee.Expression]:
    conditions = []
    if name in values:
        conditions.append(column == values[name])
    if f"{name}__gte" in values:
        conditions.append(column >= values[f"{name}__gte"])
    if f"{name}__lte" in values:
        conditions.append(column <= values[f"{name}__lte"])
    if f"{name}__in" in values:
        conditions.append(column.in_(values[f"{name}__in"]))
    return conditions


def where(values: Mapping[str, Any]) -> peewee.Expression:
    """The AND of every histogram filter given."""
    conditions: list[peewee.Expression] = [peewee.SQL("1 = 1")]
    if "dim" in values:
        conditions.append(Histogram.dim == values["dim"])
    if values.get("granularity") == "lum":
        conditions.append(Histogram.ls_number >= 1)
    elif values.get("granularity") == "run":
        conditions.append(Histogram.ls_number == 0)
    conditions += number_conditions(Histogram.run_number, "run_number", values)
    conditions += number_conditions(Histogram.ls_number, "ls_number", values)
    if "entries__gte" in values:
        conditions.append(Histogram.entries >= values["entries__gte"])
    if "entries__lte" in values:
        conditions.append(Histogram.entries <= values["entries__lte"])
    if "source_file" in values:
        conditions.append(Histogram.source_file == values["source_file"])
    titles = title_condition(Title.title, values)
    if titles is not None:
        conditions.append(Histogram.title.in_(Title.select(Title.id).where(titles)))
    return peewee.reduce(peewee.operator.and_, conditions)


def columns_for(fields: tuple[str, ...]) -> list[peewee.Field]:
    """The histogram columns an item with ``fields`` needs (the key always, for the cursor)."""
    names = {"run_number", "ls_number", "title_id"}
    for name in fields:
        names.update(DERIVED.get(name, (name,)))
    names.discard("title")
    by_column = {f.column_name: f for f in Histogram._meta.sorted_fields}
    return [by_column[name] for name in sorted(names, key=list(by_column).index)]


def page(values: Mapping[str, Any], *, fields: tuple[str, ...], size: int, after: tuple | None,
         max_bytes: int) -> tuple[list[dict[str, Any]], tuple | None]:
    """One keyset page in (run_number, ls_number, title_id) order; the next cursor or None at the end.

    A page also ends early once its arrays exceed ``max_bytes`` (at least one row per page).
    """
    query = Histogram.select(*columns_for(fields)).where(where(values))
    if after is not None:
        query = query.where(peewee.Tuple(*KEY) > peewee.Tuple(*after))
    rows = list(query.order_by(*KEY).limit(size + 1).tuples().iterator())
    more = len(rows) > size
    rows = rows[:size]
    names = [c.column_name for c in columns_for(fields)]
    items, used = [], 0
    for row in rows:
        record = dict(zip(names, row, strict=True))
        used += len(record.get("data") or b"")
        if items and used > max_bytes:
            more = True
            break
        items.append(record)
    titles = title_names({item["title_id"] for item in items}) if "title" in fields else {}
    rendered = [render(item, fields, titles) for item in items]
    last = items[-1] if items else None
    cursor = (last["run_number"], last["ls_number"], last["title_id"]) if more and last else None
    return rendered, cursor


def count(values: Mapping[str, Any]) -> int:
    return Histogram.select().where(where(values)).count()


def item(histogram_id: int, fields: tuple[str, ...]) -> dict[str, Any]:
    names = [c.column_name for c in columns_for(fields)]
    row = (Histogram.select(*columns_for(fields)).where(Histogram.id == histogram_id).tuples().first())
    if row is None:
        raise NotFound(f"no histogram with id {histogram_id}")
    record = dict(zip(names, row, strict=True))
    titles = title_names({record["title_id"]}) if "title" in fields else {}
    return render(record, fields, titles)


def title_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(Title.select(Title.id, Title.title).where(Title.id.in_(sorted(ids))).tuples())


def render(row: dict[str, Any], fields: tuple[str, ...], titles: Mapping[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        if name == "granularity":
            out[name] = "lum" if row["ls_number"] else "run"
        elif name == "title":
            out[name] = titles[row["title_id"]]
        elif name == "data":
            out[name] = arrays.decode(row["dtype"], bytes(row["data"]), arrays.shape_of(row["x_bin"], row["y_bin"]))
        elif name in ("x_edges", "y_edges"):
            out[name] = arrays.edges_of(None if row[name] is None else bytes(row[name]))
        elif name == "source_file":
            out[name] = row["source_file_id"]
        else:
            out[name] = row[name]
    return out


def shapes(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The distinct array shapes of a selection with their counts, largest group first.

    Rows stack when their arrays have one shape; axis limits may differ between rows (the ``.npz`` export
    carries them per row), so a group shows a limit only when all its rows agree on it.
    """
    shape = [Histogram.dim, Histogram.x_bin, Histogram.y_bin]
    limits = [getattr(Histogram, name) for name in LIMIT_FIELDS]
    bounds = [aggregate(column) for column in limits for aggregate in (peewee.fn.MIN, peewee.fn.MAX)]
    query = (Histogram.select(*shape, *bounds, peewee.fn.COUNT(Histogram.id)).where(where(values))
             .group_by(*shape).order_by(peewee.fn.COUNT(Histogram.id).desc(), *shape).tuples())
    groups = []
    for dim, x_bin, y_bin, *rest in query:
        *pairs, count = rest
        group = {"dim": dim, "x_bin": x_bin, "y_bin": y_bin}
        for i, name in enumerate(LIMIT_FIELDS):
            low, high = pairs[2 * i], pairs[2 * i + 1]
            group[name] = low if low == high else None
        groups.append({**group, "count": count})
    return groups


def ids_in_order(values: Mapping[str, Any], order: tuple = KEY) -> list[int]:
    return [row[0] for row in Histogram.select(Histogram.id).where(where(values)).order_by(*order).tuples()]


def arrays_of(ids: list[int], shape: tuple[int, ...], dtype: str, batch: int = 1000) -> Iterator[np.ndarray]:
    """The stacked data of ``ids``, in that order, one batch of rows at a time."""
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        query = Histogram.select(Histogram.id, Histogram.dtype, Histogram.data).where(Histogram.id.in_(chunk))
        stored = {ident: (code, data) for ident, code, data in query.tuples().iterator()}
        block = np.empty((len(chunk), *shape), dtype=dtype)
        for i, ident in enumerate(chunk):
            code, data = stored[ident]
            block[i] = arrays.decode(code, bytes(data), shape)
        yield block


def dims_of_title(title: str) -> list[int]:
    return [row[0] for row in Title.select(Title.dim).where(Title.title == title).order_by(Title.dim).tuples()]


def stack_metadata(ids: list[int]) -> dict[str, list[int]]:
    """Per-row numbers of a stack, in the order of ``ids``."""
    rows: dict[int, tuple] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        query = Histogram.select(Histogram.id, Histogram.run_number, Histogram.ls_number, Histogram.entries)
        rows.update((row[0], row) for row in query.where(Histogram.id.in_(chunk)).tuples())
    ordered = [rows[i] for i in ids]
    return {"ids": ids, "run_numbers": [r[1] for r in ordered], "ls_numbers": [r[2] for r in ordered],
            "entries": [r[3] for r in ordered]}
