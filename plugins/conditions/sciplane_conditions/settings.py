"""The ``[plugins.conditions]`` section."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from sciplane.cache import DEFAULT_BYTES

from .points import CONTINUOUS, DISCRETE

_non_negative = validate.Range(min=0)


class ConditionsSettings(Schema):
    mount = fields.String(load_default="/api/cdb_rest", validate=validate.Regexp(r"^(/[A-Za-z0-9._~\-]+)+$"))
    iov_mode = fields.String(load_default=CONTINUOUS, validate=validate.OneOf([CONTINUOUS, DISCRETE]))
    payloadiovs_revision = fields.Boolean(load_default=False)
    serve_orm_routes = fields.Boolean(load_default=True)
    write_auth = fields.Boolean(load_default=False)
    read_auth = fields.Boolean(load_default=False)
    cache_max_age_unlocked = fields.Integer(load_default=0, validate=_non_negative)
    cache_max_age_locked = fields.Integer(load_default=60, validate=_non_negative)
    cache_max_age_frozen = fields.Integer(load_default=3600, validate=_non_negative)
    cache_max_age_catalog = fields.Integer(load_default=0, validate=_non_negative)
    timeout_default_seconds = fields.Integer(load_default=0, validate=_non_negative)
    timeout_max_seconds = fields.Integer(load_default=60, validate=_non_negative)
    bulk_max_items = fields.Integer(load_default=100_000, validate=validate.Range(min=1))
    max_body_bytes = fields.Integer(load_default=64 * 1024 * 1024, validate=validate.Range(min=1))
    browse_max_page_size = fields.Integer(load_default=1000, validate=validate.Range(min=1))
    seed_statuses = fields.Boolean(load_default=False)
    response_cache_entries = fields.Integer(load_default=1024, validate=_non_negative)
    response_cache_bytes = fields.Integer(load_default=DEFAULT_BYTES, validate=_non_negative)
    read_replica_urls = fields.List(fields.String(validate=validate.Regexp(r"^postgres(ql)?://", flags=re.I)),
                                    load_default=list)

    @validates_schema
    def _timeouts(self, data, **kwargs):
        if data.get("timeout_default_seconds", 0) > data.get("timeout_max_seconds", 60):
            raise ValidationError("must not exceed timeout_max_seconds", "timeout_default_seconds")
