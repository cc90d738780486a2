"""A list of products as the caller may see them, counted and paged without OR-ing the visibility rules.

Visibility is a disjunction (owner, proposal member, public calibration, target right, grants, other
plugins' rules).  OR-ed into one WHERE clause it defeats the indexes: the database must test every row
the filters leave.  Here each rule is its own branch, the request's filters repeated in each, so each
branch uses the index that suits it (a proposal's files, the caller's own, one reduction level) and an
impossible branch (``data_type=0`` with the calibration rule) ends at once; branches are joined with UNION,
which also removes rows admitted twice.  A page takes at most ``offset + limit`` rows from each branch,
in the page's order, so a broad branch never has to be read to its end.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import falcon
import peewee

from ..access import within
from ..models import Product
from ..wire.listing import BIGGEST, Filter, filter_conditions, order_by, paginate


class Selection:
    """``model`` rows meeting ``conditions`` and any of ``rules`` (None: no visibility limit), in ``ordering``
    (peewee orderings of ``model`` columns, ending with a unique one)."""

    def __init__(self, model: type[peewee.Model], conditions: Sequence[peewee.Expression],
                 rules: Sequence[peewee.Expression] | None, ordering: Sequence[peewee.Ordering]):
        self.model = model
        self.conditions = list(conditions)
        fixed = _fixed_values(self.conditions)
        # A rule the filters contradict (the calibration rule with ``data_type=0``) can admit nothing:
        # left in, it would still be planned, and on a large table planned as a scan.
        self.rules = None if rules is None else [rule for rule in rules if not _contradicts(rule, fixed)]
        self.ordering = list(ordering)

    def _where(self, *extra: peewee.Expression) -> peewee.ModelSelect:
        return self.model.select(self.model._meta.primary_key).where(*self.conditions, *extra)

    def count(self) -> int:
        if self.rules is None:
            return self._where().count()
        if not self.rules:
            return 0
        return functools.reduce(operator.or_, [self._where(rule) for rule in self.rules]).count()

    def slice(self, offset: int, limit: int) -> list[peewee.Model]:
        query = self.model.select().order_by(*self.ordering)
        if self.rules is None:
            return list(query.where(*self.conditions).offset(offset).limit(limit))
        if not self.rules:
            return []
        return list(query.where(within(self.model._meta.primary_key, self._page_keys(offset, limit))))

    def _page_keys(self, offset: int, limit: int) -> peewee.Select:
        """The page's primary keys: the first ``offset + limit`` rows of each branch, merged in order."""
        columns = [order.node for order in self.ordering]
        names = [column.column_name for column in columns]
        branches = [member(self.model.select(*columns).where(*self.conditions, rule).order_by(*self.ordering)
                           .limit(min(offset + limit, BIGGEST)), f"branch{number}", names)
                    for number, rule in enumerate(self.rules)]
        merged = functools.reduce(operator.or_, branches).alias("merged")
        key = self.model._meta.primary_key.column_name
        return (peewee.Select([merged], [peewee.Column(merged, key)])
                .order_by(*[_like(order, peewee.Column(merged, name)) for order, name in zip(self.ordering, names,
                                                                                            strict=True)])
                .limit(limit).offset(offset))


def member(query: peewee.SelectQuery, alias: str, names: Sequence[str]) -> peewee.Select:
    """An ordered, limited query as a member of a compound select: wrapped in a subquery of its own, since
    SQLite refuses ORDER BY and LIMIT on the members themselves."""
    wrapped = query.alias(alias)
    return peewee.Select([wrapped], [peewee.Column(wrapped, name) for name in names])


def _equalities(expression: peewee.Node) -> list[tuple[tuple, object]]:
    """The ``column = constant`` terms an expression requires (through ANDs), columns named by (model, name):
    a field's ``==`` builds an expression, so fields themselves make treacherous keys."""
    if isinstance(expression, peewee.Expression):
        if expression.op == peewee.OP.AND:
            return _equalities(expression.lhs) + _equalities(expression.rhs)
        if (expression.op == peewee.OP.EQ and isinstance(expression.lhs, peewee.Field)
                and isinstance(expression.rhs, (int, str, bool))):
            return [((expression.lhs.model, expression.lhs.name), expression.rhs)]
    return []


def _fixed_values(conditions: Sequence[peewee.Expression]) -> dict[tuple, object]:
    return {field: value for condition in conditions for field, value in _equalities(condition)}


def _contradicts(rule: peewee.Expression, fixed: dict[tuple, object]) -> bool:
    return any(field in fixed and fixed[field] != value for field, value in _equalities(rule))


def _like(order: peewee.Ordering, column: peewee.Column) -> peewee.Ordering:
    """``order`` (direction and NULL placement) on the merged page's column."""
    return peewee.Ordering(column, order.direction, nulls=order.nulls)



def product_list(cat, req: falcon.Request, scope: peewee.Expression, filters: Mapping[str, Filter],
                 ordering: Mapping[str, tuple], dialect, render: Callable[[list], list]) -> dict[str, Any]:
    """A dialect's product list: its scope, the request's filters and ordering, the caller's visibility."""
    conditions = filter_conditions(req.params, filters)
    rows = Selection(Product, [scope, *conditions], cat.product_rules(req.identity),
                     order_by(req, ordering, default="-created"))
    return paginate(req, rows, page_size=dialect.page_size, max_page_size=cat.settings.max_page_size,
                    default_mode=dialect.default_pagination, render=render)
