"""PNG plots drawn with matplotlib's object API (``Figure`` + Agg canvas).

No ``pyplot``: it keeps global state, which threads of one web worker would
share.  The image is exactly ``width`` × ``height`` pixels (dpi 100, no
tight bounding box).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

CMAPS = ("viridis", "plasma", "inferno", "magma", "cividis", "Greys")
DPI = 100


@dataclass(frozen=True)
class Style:
    width: int = 800
    height: int = 600
    log: bool = False
    cmap: str = "viridis"
    title: bool = True


def _edges(bins: int, low: float, high: float, edges: np.ndarray | None) -> np.ndarray:
    return edges if edges is not None else np.linspace(low, high, bins + 1)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _figure(style: Style) -> Figure:
    return Figure(figsize=(style.width / DPI, style.height / DPI), dpi=DPI)


def histogram_png(item: dict, style: Style, label: str) -> bytes:
    """One histogram: a step plot in 1D, a colour map with a colour bar in 2D."""
    figure = _figure(style)
    axes = figure.add_subplot()
    data = np.asarray(item["data"], dtype=np.float64)
    x = _edges(item["x_bin"], item["x_min"], item["x_max"], item.get("x_edges"))
    if data.ndim == 1:
        axes.stairs(data, x)
        if style.log and np.any(data > 0):
            axes.set_yscale("log")
        axes.set_ylabel("entries")
    else:
        y = _edges(item["y_bin"], item["y_min"], item["y_max"], item.get("y_edges"))
        _colour_map(figure, axes, x, y, data, style)
    if style.title:
        axes.set_title(label, fontsize="small", parse_math=False)  # a title is text: "$" is not mathtext
    return _png(figure)


def _colour_map(figure: Figure, axes, x: np.ndarray, y: np.ndarray, data: np.ndarray, style: Style) -> None:
    shown = np.ma.masked_invalid(data)
    norm = None
    if style.log:
        shown = np.ma.masked_less_equal(shown, 0)
        if shown.count():
            norm = LogNorm(vmin=float(shown.min()), vmax=float(shown.max()))
    mesh = axes.pcolormesh(x, y, shown, cmap=style.cmap, norm=norm)
    figure.colorbar(mesh, ax=axes)


def stack_png(data: np.ndarray, *, x: np.ndarray, labels: list[int], style: Style, label: str,
              normalize: bool, y: np.ndarray | None = None) -> bytes:
    """A 1D ME over lumisections (or runs) as an image, or the sum of a 2D stack as a colour map."""
    figure = _figure(style)
    axes = figure.add_subplot()
    data = np.asarray(data, dtype=np.float64)
    if data.ndim == 2:
        if normalize:
            sums = data.sum(axis=1, keepdims=True)
            data = np.divide(data, sums, out=np.zeros_like(data), where=sums != 0)
        rows = np.arange(len(labels) + 1) - 0.5
        _colour_map(figure, axes, x, rows, data, style)
        step = max(1, len(labels) // 20)
        axes.set_yticks(range(0, len(labels), step), [str(v) for v in labels[::step]])
    else:
        _colour_map(figure, axes, x, y, data.sum(axis=0), style)
    if style.title:
        axes.set_title(label, fontsize="small", parse_math=False)  # a title is text: "$" is not mathtext
    return _png(figure)
