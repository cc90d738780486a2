"""``user_settings/<name>/`` and ``timeout``."""

from __future__ import annotations

import time

from marshmallow import ValidationError

from ..errors import FieldErrors, not_found
from ..schemas import clean_int
from ..services import state
from .base import Resource


class Setting(Resource):
    def on_get(self, req, resp, name: str):
        """The IOV mode (``CDB_IOV_MODE``); no other setting is exposed."""
        if name != "CDB_IOV_MODE":
            raise not_found("setting_not_found", f"Setting '{name}' not found.")
        if self.not_modified(req, resp, state.database_validator()):
            return
        self.send_bytes(resp, b'{"CDB_IOV_MODE":"' + self.settings.iov_mode.encode() + b'"}')


class Timeout(Resource):
    def on_get(self, req, resp):
        """Sleep, so proxy timeouts (504) can be tested; bounded by ``timeout_max_seconds``."""
        seconds = self.settings.timeout_default_seconds
        raw = self.param(req, "seconds")
        if raw is not None:
            limit = self.settings.timeout_max_seconds
            try:
                seconds = clean_int(raw, minimum=0)
            except ValidationError as exc:
                raise FieldErrors({"seconds": exc.messages}) from None
            if seconds > limit:
                raise FieldErrors({"seconds": [f"Ensure this value is less than or equal to {limit}."]})
        time.sleep(seconds)
        self.send(resp, {"slept": seconds})
