"""``payloadiovs/``: resolution rows; and the legacy ``payloadiovs_orm_*`` variants."""

from __future__ import annotations

from marshmallow import ValidationError

from sciplane.media import dumps

from .. import render
from ..errors import FieldErrors
from ..models import PayloadIOV
from ..schemas import NUL, REQUIRED, clean_int
from ..services import resolution, state
from .base import Resource

_to_datetime = PayloadIOV.created.python_value
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
DICT_KEYS = ("payload_type_name", "payload_url", "checksum", "size", "major_iov", "minor_iov", "major_iov_end",
             "minor_iov_end")


class Query:
    """The validated query of a resolution request."""

    __slots__ = ("gt_name", "major", "minor", "payload_type", "as_dict", "revision")

    def __init__(self, req, param, default_revision: bool):
        errors: dict[str, list[str]] = {}
        self.gt_name = param(req, "gtName")
        if self.gt_name is None:
            errors["gtName"] = [REQUIRED]
        elif not self.gt_name:
            errors["gtName"] = ["This field may not be blank."]
        elif "\x00" in self.gt_name:
            errors["gtName"] = [NUL]
        self.major = self._integer(param(req, "majorIOV"), "majorIOV", errors)
        self.minor = self._integer(param(req, "minorIOV"), "minorIOV", errors)
        self.payload_type = param(req, "payloadType") or None
        if self.payload_type and "\x00" in self.payload_type:
            errors["payloadType"] = [NUL]
        self.as_dict = param(req, "shape") == "dict"
        revision = param(req, "revision")
        if revision is None:
            self.revision = default_revision
        elif revision.lower() in _TRUE:
            self.revision = True
        elif revision.lower() in _FALSE:
            self.revision = False
        else:
            errors["revision"] = ["Must be a valid boolean."]
        if errors:
            raise FieldErrors(errors)

    @staticmethod
    def _integer(raw: str | None, name: str, errors: dict) -> int | None:
        if raw is None:
            errors[name] = [REQUIRED]
            return None
        try:
            return clean_int(raw)
        except ValidationError as exc:
            errors[name] = exc.messages
            return None

    def key(self) -> tuple:
        return (self.major, self.minor, self.payload_type, self.as_dict, self.revision)


class Resolution(Resource):
    def validated(self, req, resp, query: Query, db):
        """The GT's validator; None when the response is already complete (304, or ``[]`` for an unknown GT)."""
        validator = state.global_tag_validator(name=query.gt_name, db=db)
        if validator is None:
            # An unknown GT answers [], validated by the database version.
            if not self.not_modified(req, resp, state.database_validator(db)):
                self.send_bytes(resp, b"[]")
            return None
        return None if self.not_modified(req, resp, validator) else validator


class Resolve(Resolution):
    """``payloadiovs/`` and ``payload-iovs/query/``."""

    def on_get(self, req, resp):
        """For every list of the GT, the IOV with the greatest start at or before the point."""
        query = Query(req, self.param, self.settings.payloadiovs_revision)
        with self.c.reading() as db:
            validator = self.validated(req, resp, query, db)
            if validator is None:
                return
            key = (validator.gt_id, validator.counter, self.c.cfg, query.key())
            body = self.c.cache.get(key)
            if body is None:
                rows = resolution.resolve(validator.gt_id, query.major, query.minor, query.payload_type, db=db)
                body = dumps(self.shape(rows, query))
                self.c.cache.put(key, body)
        self.send_bytes(resp, body)

    @staticmethod
    def shape(rows: list[tuple], query: Query) -> list:
        width = 9 if query.revision else 8
        if query.as_dict:
            keys = (*DICT_KEYS, "revision")[:width]
            return [dict(zip(keys, row[:width], strict=True)) for row in rows]
        return [row[:width] for row in rows]


class ResolveObjects(Resolution):
    """``payloadiovs_orm_orderby/`` and ``payloadiovs_orm_max/``: the same IOVs as ``<piov>`` objects."""

    def on_get(self, req, resp):
        """The IOVs ``payloadiovs/`` selects, as full IOV objects."""
        query = Query(req, self.param, False)
        with self.c.reading() as db:
            validator = self.validated(req, resp, query, db)
            if validator is None:
                return
            rows = resolution.resolve(validator.gt_id, query.major, query.minor, query.payload_type,
                                      columns=resolution.PIOV_COLUMNS, db=db)
        # Raw SQL: SQLite hands timestamps back as text.
        self.send_bytes(resp, dumps([render.piov_tuple((*row[:8], _to_datetime(row[8]))) for row in rows]))
