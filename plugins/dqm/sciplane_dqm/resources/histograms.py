"""``/histograms/``: list, item, count, export, plot and stack; read-only and cacheable."""

from __future__ import annotations

from typing import Any

import falcon
import numpy as np

from sciplane import APIError, NotFound, Snapshot, ValidationFailed
from sciplane.media import npy_bytes

from ..query import BOOL, DIM, GRANULARITY, INT, TEXT, choice, decode_cursor, page_size, parse, wanted_fields
from ..services import export, histograms, plots
from .base import Resource, not_modified, page_body

DTYPE = choice("float64", "float32")
STYLE = {"width": INT, "height": INT, "log": BOOL, "cmap": choice(*plots.CMAPS), "title": BOOL}
STACK = {"title": TEXT, "dim": DIM, "granularity": GRANULARITY, "format": choice("json", "npy", "png"),
         "dtype": DTYPE, "normalize": BOOL, "width": INT, "height": INT, "log": BOOL, "cmap": choice(*plots.CMAPS),
         **{k: v for k, v in histograms.FILTERS.items() if k.startswith(("run_number", "ls_number"))},
         "entries__gte": INT, "source_file": INT}
OCTETS = "application/octet-stream"


def style_of(values: dict[str, Any]) -> plots.Style:
    problems = {}
    for name, low, high, default in (("width", 200, 2000, 800), ("height", 150, 2000, 600)):
        values.setdefault(name, default)
        if not low <= values[name] <= high:
            problems[name] = [f"must be between {low} and {high}"]
    if problems:
        raise ValidationFailed("invalid plot parameters", errors={"query": problems})
    return plots.Style(values["width"], values["height"], values.get("log", False), values.get("cmap", "viridis"),
                       values.get("title", True))


def edges_of(binning: dict[str, Any], axis: str) -> np.ndarray:
    """The bin edges of a stack's axis; bin numbers when its rows disagree on the limits (the JSON and ``.npz``
    forms carry each row's own)."""
    low, high, bins = binning[f"{axis}_min"], binning[f"{axis}_max"], binning[f"{axis}_bin"]
    return np.arange(bins + 1, dtype=np.float64) if low is None or high is None else np.linspace(low, high, bins + 1)


def label_of(item: dict[str, Any]) -> str:
    where = f"run {item['run_number']}" + (f" LS {item['ls_number']}" if item["ls_number"] else "")
    return f"{item['title']}  {where}"


class Histograms(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        values = parse(req.params, histograms.FILTERS)
        wanted = wanted_fields(req.params, histograms.ITEM_FIELDS)
        after = decode_cursor(req.params, (int, int, int))
        results, cursor = histograms.page(values, fields=wanted, size=page_size(req.params), after=after,
                                          max_bytes=self.c.settings.max_page_bytes)
        resp.media = page_body(req, results, cursor)


class HistogramCount(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not_modified(req, resp, self.c):
            return
        resp.media = {"count": histograms.count(parse(req.params, histograms.FILTERS))}


class HistogramItem(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response, histogram_id: int) -> None:
        if not_modified(req, resp, self.c):
            return
        parse(req.params, {})
        resp.media = histograms.item(histogram_id, wanted_fields(req.params, histograms.ITEM_FIELDS))


class HistogramPlot(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response, histogram_id: int) -> None:
        if not_modified(req, resp, self.c):
            return
        style = style_of(parse(req.params, STYLE))
        item = histograms.item(histogram_id, histograms.ITEM_FIELDS)
        resp.content_type = "image/png"
        resp.data = plots.histogram_png(item, style, label_of(item))


class Export(Resource):
    FILTERS = {**histograms.FILTERS, "format": choice("npy", "npz"), "dtype": DTYPE}


    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        # One snapshot for the checks, the id list and the arrays: a row committed or deleted meanwhile can
        # neither slip past the limits nor break the stacked array once its first bytes are sent.
        snapshot = Snapshot(req)
        if not_modified(req, resp, self.c):
            return
        values = parse(req.params, self.FILTERS)
        dtype = values.pop("dtype", "float64")
        kind = values.pop("format", "npy")
        selection = export.select(values, self.c.settings, itemsize=np.dtype(dtype).itemsize)
        resp.content_type = OCTETS
        resp.set_header("Content-Disposition", f'attachment; filename="histograms.{kind}"')
        resp.set_header("X-Histogram-Count", str(selection.count))
        chunks = export.npy_chunks(selection, dtype) if kind == "npy" else export.npz_chunks(selection, dtype)
        resp.stream = snapshot.stream(chunks)


class Stack(Resource):

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        Snapshot(req)  # the checks, the ids and the arrays read one state; the core ends it with the response
        if not_modified(req, resp, self.c):
            return
        values = parse(req.params, STACK)
        if "title" not in values:
            raise ValidationFailed("title is required", errors={"query": {"title": ["is required"]}})
        kind = values.pop("format", "json")
        dtype = values.pop("dtype", "float64")
        options = {k: values.pop(k) for k in ("normalize", "width", "height", "log", "cmap") if k in values}
        values.setdefault("granularity", "lum")
        values["title"] = [values["title"]]
        if "dim" not in values:
            dims = histograms.dims_of_title(values["title"][0])
            if len(dims) > 1:
                raise APIError("the title exists in 1D and 2D: give dim", status=422, code="ambiguous_title")
        order = (histograms.Histogram.run_number, histograms.Histogram.ls_number)
        selection = export.select(values, self.c.settings, itemsize=np.dtype(dtype).itemsize, order=order)
        if not selection.ids:
            raise NotFound("no histogram matches the stack's selection")
        data = np.concatenate(list(histograms.arrays_of(selection.ids, selection.shape, dtype)))
        meta = histograms.stack_metadata(selection.ids)
        binning = selection.binning
        if kind == "npy":
            resp.content_type = OCTETS
            resp.set_header("Content-Disposition", 'attachment; filename="stack.npy"')
            resp.data = npy_bytes(data)
        elif kind == "png":
            style = style_of(options)
            x = edges_of(binning, "x")
            y = edges_of(binning, "y") if binning["dim"] == 2 else None
            lum = values["granularity"] == "lum"
            labels = meta["ls_numbers"] if lum else meta["run_numbers"]
            label = (f"{values['title'][0]}  Σ {selection.count} {'LS' if lum else 'runs'}" if binning["dim"] == 2
                     else values["title"][0])
            resp.content_type = "image/png"
            resp.data = plots.stack_png(data, x=x, y=y, labels=labels, style=style, label=label,
                                        normalize=options.get("normalize", False))
        else:
            resp.media = {"title": values["title"][0], "dim": binning["dim"], "granularity": values["granularity"],
                          "count": selection.count, **meta,
                          **{k: binning[k] for k in ("x_min", "x_max", "x_bin", "y_min", "y_max", "y_bin")},
                          "data": data}
