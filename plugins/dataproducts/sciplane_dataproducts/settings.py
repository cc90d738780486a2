"""The ``[plugins.dataproducts]`` section, with one sub-section per dialect."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .models import PERMISSIONS

MOUNT = validate.Regexp(r"^(/[A-Za-z0-9._~\-]+)*$", error="must be empty or start with / and not end with /")


class DialectSettings(Schema):
    enabled = fields.Boolean(load_default=True)
    mount = fields.String(required=True, validate=MOUNT)
    page_size = fields.Integer(required=True, validate=validate.Range(min=1))
    default_pagination = fields.String(required=True, validate=validate.OneOf(["limit_offset", "page"]))


class TomSettings(DialectSettings):
    mount = fields.String(load_default="/tom", validate=MOUNT)
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1))
    default_pagination = fields.String(load_default="limit_offset", validate=validate.OneOf(["limit_offset", "page"]))


class GspSettings(DialectSettings):
    mount = fields.String(load_default="/gsp", validate=MOUNT)
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1))
    default_pagination = fields.String(load_default="page", validate=validate.OneOf(["limit_offset", "page"]))
    decimals_as_strings = fields.Boolean(load_default=True)


def _positive(default: int):
    return fields.Integer(load_default=default, validate=validate.Range(min=1))


class DataProductsSettings(Schema):
    target_permissions_only = fields.Boolean(load_default=True)
    target_default_permission = fields.String(load_default="PRIVATE", validate=validate.OneOf(PERMISSIONS))
    target_create = fields.String(load_default="authenticated", validate=validate.OneOf(["authenticated", "staff"]))
    public_calibrations = fields.String(load_default="authenticated",
                                        validate=validate.OneOf(["authenticated", "everyone", "none"]))
    anonymous_read = fields.Boolean(load_default=False)
    storage = fields.String(load_default="files", validate=validate.Length(min=1))
    max_upload_bytes = _positive(4 << 30)
    max_json_bytes = _positive(64 << 20)
    max_bulk_datums = _positive(100_000)
    max_header_bytes = _positive(1 << 20)
    ingest_chunk_rows = _positive(5000)
    nested_datum_limit = _positive(100)
    max_page_size = _positive(1000)
    tom = fields.Nested(TomSettings, load_default=lambda: TomSettings().load({}))
    gsp = fields.Nested(GspSettings, load_default=lambda: GspSettings().load({}))
    # Per data-product-type processor settings; each type validates its own (``dp_register_types``).
    types = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=dict)

    @validates_schema
    def _dialects(self, data, **kwargs) -> None:
        enabled = [name for name in ("tom", "gsp") if data[name]["enabled"]]
        if not enabled:
            raise ValidationError("at least one dialect (tom, gsp) must be enabled", field_name="tom")
        if len(enabled) == 2 and data["tom"]["mount"] == data["gsp"]["mount"]:
            raise ValidationError("the tom and gsp dialects cannot share one mount", field_name="gsp")
