"""``GET me``: the caller's user record in the reference's shape."""

from __future__ import annotations

from ..errors import CalcatError
from ..settings import DISABLED
from .base import Resource


class Me(Resource):
    def on_get(self, req, resp):
        identity = req.identity
        if identity.authenticated:
            self.send(resp, {
                "id": identity.user_id, "email": identity.email, "provider": identity.provider,
                "contact_email": identity.email, "name": identity.name or identity.username,
                "first_name": identity.first_name, "last_name": identity.last_name, "nickname": None, "uid": None,
                "ldap_synced_at": None, "flg_service_account": identity.is_service,
                "flg_ldap_account_valid": False, "roles": sorted(identity.roles)})
            return
        if self.c.settings.auth_mode != DISABLED:
            raise CalcatError(401, "Authentication required", "unauthorized",
                              headers={"WWW-Authenticate": 'Bearer realm="calcat"'})
        email = req.get_header("X-User-Email") or ""
        self.send(resp, {
            "id": None, "email": email, "provider": "anonymous", "contact_email": email, "name": None,
            "first_name": None, "last_name": None, "nickname": None, "uid": None, "ldap_synced_at": None,
            "flg_service_account": False, "flg_ldap_account_valid": False, "roles": []})
