"""``user_settings/<name>/`` and ``timeout``."""

from __future__ import annotations

import re
import time

from ..errors import FieldErrors, not_found
from ..schemas import NOT_INTEGER
from ..services import state
from .base import Resource

DIGITS = re.compile(r"-?[0-9]+")


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
            if not DIGITS.fullmatch(raw.strip()):
                raise FieldErrors({"seconds": [NOT_INTEGER]})
            seconds = int(raw)
            if seconds < 0:
                raise FieldErrors({"seconds": ["Ensure this value is greater than or equal to 0."]})
            if seconds > limit:
                raise FieldErrors({"seconds": [f"Ensure this value is less than or equal to {limit}."]})
        time.sleep(seconds)
        self.send(resp, {"slept": seconds})
