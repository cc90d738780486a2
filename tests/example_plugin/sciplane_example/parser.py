"""A JSON-lines histogram parser: one ``{"run", "lumi", "title", "entries", "x_min", "x_max", "data"}`` per line."""

import json

import numpy as np

from sciplane import EntryError, HistogramRecord


class JsonLinesParser:
    def count(self, stream, *, key):
        return sum(1 for line in stream if line.strip())

    def parse(self, stream, *, key, start=0):
        entry = 0
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            entry += 1
            if entry <= start:
                continue
            try:
                row = json.loads(line)
                data = np.asarray(row["data"], dtype=np.float64)
                yield HistogramRecord(entry=entry, line=number, run=int(row["run"]), lumi=int(row["lumi"]),
                                      title=str(row["title"]), entries=int(row["entries"]), x_bin=len(data),
                                      x_min=float(row["x_min"]), x_max=float(row["x_max"]), data=data)
            except (ValueError, KeyError, TypeError) as exc:
                yield EntryError(entry, "bad_row", str(exc), line=number)
