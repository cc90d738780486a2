"""Permission checks with veto semantics, and visibility filters for lists."""

from __future__ import annotations

import fnmatch
import functools
import operator
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import AuthenticationRequired, PermissionDenied
from .identity import Action, Identity


class Grants:
    """Deployment rules from ``[auth.grants]``: action patterns per kind of caller.

    ``anonymous`` applies to every caller, ``authenticated`` to identified
    ones, ``staff`` to staff and superusers, ``roles.<role>`` to holders of
    that role (a core group).  Patterns use shell wildcards (``dqm.*``).
    """

    def __init__(self, config: Mapping[str, Any]):
        self.anonymous = tuple(config.get("anonymous", ()))
        self.authenticated = tuple(config.get("authenticated", ()))
        self.staff = tuple(config.get("staff", ()))
        self.roles = {role: tuple(patterns) for role, patterns in dict(config.get("roles", {})).items()}

    def unmatched(self, actions: Iterable[str]) -> list[str]:
        """Configured patterns that match none of ``actions``."""
        patterns = {*self.anonymous, *self.authenticated, *self.staff,
                    *(p for ps in self.roles.values() for p in ps)}
        names = list(actions)
        return sorted(p for p in patterns if not any(fnmatch.fnmatchcase(a, p) for a in names))

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def _match(action: str, patterns: tuple[str, ...]) -> bool:
        return any(fnmatch.fnmatchcase(action, p) for p in patterns)

    def allows(self, identity: Identity, action: str) -> bool:
        if self._match(action, self.anonymous):
            return True
        if not identity.authenticated:
            return False
        if self._match(action, self.authenticated):
            return True
        if identity.staff and self._match(action, self.staff):
            return True
        return any(self._match(action, self.roles.get(role, ())) for role in identity.roles)


class Authorizer:
    """``check`` / ``allowed`` over the ``permission_allowed`` hook; ``visible`` over ``visibility_filter``."""

    def __init__(self, hook, ctx, actions: Mapping[str, Action]):
        self._hook = hook
        self._ctx = ctx
        self.actions = actions

    def allowed(self, identity: Identity, action: str, resource: Any = None) -> bool:
        if action not in self.actions:
            raise KeyError(f"permission action {action!r} is not registered (register_actions)")
        answers = self._hook.permission_allowed(identity=identity, action=action, resource=resource, ctx=self._ctx)
        if False in answers:
            return False
        return True in answers

    def check_each(self, identity: Identity, action: str, resources: Iterable[Any], *, challenge: bool = True) -> None:
        """:meth:`check` for many resources; one check when no rule looks at the resource.

        An implementation of ``permission_allowed`` that does not accept the
        ``resource`` argument cannot decide by it, so unless one does, a
        batch (thousands of bulk items) costs a single check.
        """
        if any("resource" in impl.argnames for impl in self._hook.permission_allowed.get_hookimpls()):
            for resource in resources:
                self.check(identity, action, resource, challenge=challenge)
        else:
            for resource in resources:
                self.check(identity, action, resource, challenge=challenge)
                break

    def check(self, identity: Identity, action: str, resource: Any = None, *, challenge: bool = True) -> None:
        """Raise 401 for an anonymous caller who is denied, 403 for an identified one.

        ``challenge=False``: always 403, for dialects that settle
        authentication per route and treat a denial as a veto.
        """
        if not self.allowed(identity, action, resource):
            if challenge and not identity.authenticated:
                raise AuthenticationRequired("missing", action=action)
            raise PermissionDenied(action=action)

    def visibility_rules(self, identity: Identity, model, action: str) -> list:
        """Every plugin's visibility expression for ``model`` and ``action``, one per plugin that has one
        (a list query may run them as separate branches, each on its own index)."""
        return [e for e in self._hook.visibility_filter(identity=identity, model=model, action=action,
                                                        ctx=self._ctx) if e is not None]

    def visible(self, identity: Identity, model, action: str, base=None):
        """OR of ``base`` and every plugin's visibility expression; None when there is none."""
        expressions: Iterable = self.visibility_rules(identity, model, action)
        if base is not None:
            expressions = [base, *expressions]
        return functools.reduce(operator.or_, expressions) if expressions else None
