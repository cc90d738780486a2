"""The ``[plugins.dqm]`` section.

The queue itself is the core's (``[jobs] url`` / ``immediate``): parse jobs
are ordinary core jobs, so one worker process serves every plugin.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

MIB = 1024 * 1024


def _positive(**kwargs):
    return fields.Integer(validate=validate.Range(min=1), **kwargs)


class DqmSettings(Schema):
    data_roots = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    chunk_entries_1d = _positive(load_default=5000)
    chunk_entries_2d = _positive(load_default=500)
    chunk_bytes = _positive(load_default=64 * MIB)
    stale_after_s = fields.Float(load_default=120.0, validate=validate.Range(min=0, min_inclusive=False))
    reconcile_every_s = fields.Float(load_default=60.0, validate=validate.Range(min=0, min_inclusive=False))
    chunk_delay_s = fields.Float(load_default=0.0, validate=validate.Range(min=0))
    max_bins = _positive(load_default=1_000_000)
    max_page_bytes = _positive(load_default=32 * MIB)
    export_max_histograms = _positive(load_default=100_000)
    export_max_bytes = _positive(load_default=1024 * MIB)
    cache_max_age_s = fields.Integer(load_default=60, validate=validate.Range(min=0))
