"""A parser distribution that knows nothing of sciplane's histogram store: it only registers a key.

Its format is a NumPy ``.npz`` archive of per-lumisection 1D histograms, a
layout machine-learning pipelines write directly: ``run``, ``lumi``,
``entries`` (n integers), ``x_min``, ``x_max`` (n floats), ``title`` (n
strings) and ``data`` (an n × bins array without flow bins).
"""

from __future__ import annotations

import numpy as np

from sciplane import EntryError, HistogramRecord, ParseError, ParserSpec, hookimpl

MEMBERS = ("run", "lumi", "title", "entries", "x_min", "x_max", "data")


class NpzParser:
    @staticmethod
    def _open(stream):
        try:
            archive = np.load(stream, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ParseError("not_npz", f"not a NumPy .npz archive: {exc}") from None
        missing = [name for name in MEMBERS if name not in archive.files]
        if missing:
            raise ParseError("bad_archive", "missing members: " + ", ".join(missing))
        return archive

    def count(self, stream, *, key) -> int:
        return int(self._open(stream)["run"].shape[0])

    def parse(self, stream, *, key, start=0):
        archive = self._open(stream)
        # Members are read whole (.npz cannot be memory-mapped): fine for the modest files this format holds.
        columns = {name: archive[name] for name in MEMBERS}
        data = columns["data"]
        for index in range(start, len(columns["run"])):
            entry = index + 1
            run, lumi, title = int(columns["run"][index]), int(columns["lumi"][index]), str(columns["title"][index])
            if lumi < 1:
                yield EntryError(entry, "bad_value", "lumi must be at least 1", run=run, lumi=lumi, title=title)
                continue
            row = np.ascontiguousarray(data[index], dtype=np.float64)
            yield HistogramRecord(entry=entry, run=run, lumi=lumi, title=title,
                                  entries=int(columns["entries"][index]), x_bin=row.shape[0],
                                  x_min=float(columns["x_min"][index]), x_max=float(columns["x_max"][index]),
                                  data=row)


@hookimpl
def register_parsers():
    return [ParserSpec("npz", 1, "lum", NpzParser())]
