"""``/parsers/``, ``/runs/``, ``/lumisections/`` and ``/titles/``: read-only and cacheable."""

from __future__ import annotations

import falcon
import peewee

from sciplane import NotFound

from ..models import Histogram, Lumisection, Run, Title
from ..query import DIM, INT, INTS, REGEX, TEXT, TITLES, decode_cursor, page_size, parse, wanted_fields
from ..services import files, histograms
from .base import Resource, listing, not_modified, only_fields
from .views import stamp

RUN_FILTERS = {"run_number": INT, "run_number__gte": INT, "run_number__lte": INT, "run_number__in": INTS}
LS_FILTERS = {**RUN_FILTERS, "ls_number": INT, "ls_number__gte": INT, "ls_number__lte": INT, "ls_number__in": INTS}
TITLE_FILTERS = {"title": TITLES, "title__contains": TEXT, "title__regex": REGEX, "dim": DIM, "run_number": INT}
RUN_FIELDS = ("run_number", "ls_count", "has_run_histograms", "created")
LS_FIELDS = ("run_number", "ls_number", "th1_count", "th2_count", "created")
TITLE_FIELDS = ("id", "title", "dim")


class Parsers(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        parse(req.params, {})
        aliases = {canonical: [alias for alias, target in files.ALIASES.items() if target == canonical]
                   for canonical in files.ALIASES.values()}
        resp.media = [{"filetype": spec.filetype, "dimensionality": spec.dimensionality,
                       "granularity": spec.granularity, "plugin": spec.plugin, "version": spec.version,
                       "aliases": aliases.get(spec.filetype, [])} for spec in self.c.app.parsers]


def run_items(runs: list[Run]) -> list[dict]:
    """Run items with their lumisection counts, computed for the page in one grouped query."""
    numbers = [run.run_number for run in runs]
    counts = {number: (0, False) for number in numbers}
    if numbers:
        query = (Lumisection.select(Lumisection.run_number,
                                    peewee.fn.SUM(peewee.Case(None, [(Lumisection.ls_number >= 1, 1)], 0)),
                                    peewee.fn.MAX(peewee.Case(None, [(Lumisection.ls_number == 0, 1)], 0)))
                 .where(Lumisection.run_number.in_(numbers)).group_by(Lumisection.run_number).tuples())
        counts.update((number, (int(ls or 0), bool(run_level))) for number, ls, run_level in query)
    return [{"run_number": run.run_number, "ls_count": counts[run.run_number][0],
             "has_run_histograms": counts[run.run_number][1], "created": stamp(run.created)} for run in runs]


def _runs(values) -> peewee.ModelSelect:
    conditions = histograms.number_conditions(Run.run_number, "run_number", values)
    query = Run.select()
    return query.where(*conditions) if conditions else query


class Runs(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        values = parse(req.params, RUN_FILTERS)
        wanted = wanted_fields(req.params, RUN_FIELDS)
        size = page_size(req.params)
        query = _runs(values).order_by(Run.run_number)
        after = decode_cursor(req.params, (int,))
        if after:
            query = query.where(Run.run_number > after[0])
        resp.media = listing(req, list(query.limit(size + 1)), size, lambda run: (run.run_number,), run_items,
                             wanted)


class RunCount(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        resp.media = {"count": _runs(parse(req.params, RUN_FILTERS)).count()}


class RunItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, run_number: int) -> None:
        if not_modified(req, resp, self.c):
            return
        parse(req.params, {})
        wanted = wanted_fields(req.params, RUN_FIELDS)
        run = Run.get_or_none(Run.run_number == run_number)
        if run is None:
            raise NotFound(f"no run {run_number}")
        resp.media = only_fields(run_items([run])[0], wanted)


def _lumisections(values) -> peewee.ModelSelect:
    conditions = [Lumisection.ls_number >= 1]
    conditions += histograms.number_conditions(Lumisection.run_number, "run_number", values)
    conditions += histograms.number_conditions(Lumisection.ls_number, "ls_number", values)
    return Lumisection.select().where(*conditions)


class Lumisections(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        values = parse(req.params, LS_FILTERS)
        wanted = wanted_fields(req.params, LS_FIELDS)
        size = page_size(req.params)
        key = (Lumisection.run_number, Lumisection.ls_number)
        query = _lumisections(values).order_by(*key)
        after = decode_cursor(req.params, (int, int))
        if after:
            query = query.where(peewee.Tuple(*key) > peewee.Tuple(*after))
        resp.media = listing(req, list(query.limit(size + 1)), size, lambda ls: (ls.run_number_id, ls.ls_number),
                             self._items, wanted)

    @classmethod
    def _items(cls, rows: list[Lumisection]) -> list[dict]:
        counts = cls._counts(rows)
        return [{"run_number": ls.run_number_id, "ls_number": ls.ls_number,
                 "th1_count": counts.get((ls.run_number_id, ls.ls_number, 1), 0),
                 "th2_count": counts.get((ls.run_number_id, ls.ls_number, 2), 0),
                 "created": stamp(ls.created)} for ls in rows]

    @staticmethod
    def _counts(rows: list[Lumisection]) -> dict[tuple[int, int, int], int]:
        """Histograms per (run, lumisection, dim) of the page, in one grouped query that reads the store's
        (run_number, ls_number, title_id) key index (``lumisection_id`` has none): the page's first and last
        keys bound the index range (SQLite seeks on a range, not on a list), the list picks the page's rows."""
        if not rows:
            return {}
        key = peewee.Tuple(Histogram.run_number, Histogram.ls_number)
        keys = [peewee.Tuple(ls.run_number_id, ls.ls_number) for ls in rows]  # in key order
        query = (Histogram.select(Histogram.run_number, Histogram.ls_number, Histogram.dim,
                                  peewee.fn.COUNT(Histogram.id))
                 .where((key >= keys[0]) & (key <= keys[-1]) & key.in_(keys))
                 .group_by(Histogram.run_number, Histogram.ls_number, Histogram.dim).tuples())
        return {(run, ls, dim): n for run, ls, dim, n in query}


class LumisectionCount(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        resp.media = {"count": _lumisections(parse(req.params, LS_FILTERS)).count()}


class Titles(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        values = parse(req.params, TITLE_FILTERS)
        wanted = wanted_fields(req.params, TITLE_FIELDS)
        size = page_size(req.params)
        query = Title.select().order_by(Title.title, Title.dim)
        condition = histograms.title_condition(Title.title, values)
        if condition is not None:
            query = query.where(condition)
        if "dim" in values:
            query = query.where(Title.dim == values["dim"])
        if "run_number" in values:
            query = query.where(Title.id.in_(Histogram.select(Histogram.title)
                                             .where(Histogram.run_number == values["run_number"])))
        after = decode_cursor(req.params, (str, int))
        if after:
            query = query.where(peewee.Tuple(Title.title, Title.dim) > peewee.Tuple(*after))
        resp.media = listing(req, list(query.limit(size + 1)), size, lambda t: (t.title, t.dim),
                             lambda rows: [{"id": t.id, "title": t.title, "dim": t.dim} for t in rows], wanted)
