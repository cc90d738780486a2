"""The ``[plugins.calcat]`` section."""

from __future__ import annotations

import zoneinfo

from marshmallow import Schema, ValidationError, fields, validate

from sciplane.cache import DEFAULT_BYTES

DISABLED, WRITES, ALL = "disabled", "writes", "all"


def _zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError("is not a known IANA time zone") from None


class CalcatSettings(Schema):
    mount = fields.String(load_default="/calibration", validate=validate.Regexp(r"^(/[A-Za-z0-9._~\-]+)+$"))
    timezone = fields.String(load_default="Europe/Berlin", validate=_zone)
    public_url = fields.String(load_default="", validate=validate.Regexp(r"^(https?://\S+)?$"))
    default_page_size = fields.Integer(load_default=100, validate=validate.Range(min=1))
    max_page_size = fields.Integer(load_default=500, validate=validate.Range(min=1))
    auth_mode = fields.String(load_default=WRITES, validate=validate.OneOf([DISABLED, WRITES, ALL]))
    write_roles = fields.List(fields.String(), load_default=list)
    uuid_parameter_name = fields.String(load_default="Detector UUID", validate=validate.Length(min=1))
    token_endpoint = fields.Boolean(load_default=True)
    max_body_bytes = fields.Integer(load_default=10 * 1024 * 1024, validate=validate.Range(min=1))
    # Answers of the heavy lookups kept per worker (cached.py), by count and by bytes; 0 turns the cache off.
    lookup_cache_entries = fields.Integer(load_default=512, validate=validate.Range(min=0))
    lookup_cache_bytes = fields.Integer(load_default=DEFAULT_BYTES, validate=validate.Range(min=0))
