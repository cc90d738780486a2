"""The one visibility resolver: who may see (and delete) which targets, products and datums.

Every rule is a peewee expression, so the same expression filters a list in
SQL and guards an item (detail, header, download, delete): an object is in
a list exactly when its item answers.  Rule names follow the specification
(§4): P1 staff, P2 owner, P3 product grants (only when
``target_permissions_only`` is off), P4 the bound proposal's members, P5
public master calibrations, P6 the target's view right (only when
``target_permissions_only`` is on), P7 the anonymous subset.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass

import peewee

from sciplane import APIError, AuthenticationRequired, Identity, NotFound

from .models import (
    DELETE,
    GROUP,
    OPEN,
    PI,
    PRODUCT,
    PROPOSAL,
    PUBLIC,
    TARGET,
    USER,
    VIEW,
    Datum,
    Grant,
    Group,
    Membership,
    Product,
    Target,
)

MASTER_CALIBRATION = 1  # reduction level of master calibrations (P5)
RAW = 0

NOTHING = peewee.SQL("1 = 0")
EVERYTHING = peewee.SQL("1 = 1")


def _any(expressions: Iterable[peewee.Expression]) -> peewee.Expression:
    expressions = list(expressions)
    return functools.reduce(operator.or_, expressions) if expressions else NOTHING


def within(column: peewee.Node, query: peewee.SelectQuery) -> peewee.Node:
    """``column IN (query)``, rendered once.  peewee's ``in_`` renders a subquery a second time to learn
    whether it is empty, so nested rules cost twice as much to build at every level of nesting."""
    return peewee.NodeList((column, peewee.SQL("IN"), query))


@dataclass(frozen=True)
class Memberships:
    """M(u), read once per decision: the caller's groups and proposals, and the proposals they lead.  As
    literal lists the rules stay flat (no nested subqueries to build and plan), and a caller without
    memberships gets no membership rule at all."""

    groups: tuple[int, ...] = ()
    proposals: tuple[str, ...] = ()
    led: tuple[str, ...] = ()

    @classmethod
    def of(cls, identity: Identity) -> Memberships:
        if not _identified(identity):
            return cls()
        rows = (Membership.select(Membership.group, Membership.role, Group.kind, Group.name).join(Group)
                .where(Membership.user_id == identity.user_id).tuples())
        groups, proposals, led = [], [], []
        for group_id, role, kind, name in rows:
            groups.append(group_id)
            if kind == PROPOSAL:
                proposals.append(name)
                if role == PI:
                    led.append(name)
        return cls(tuple(groups), tuple(proposals), tuple(led))


def _granted(identity: Identity, member: Memberships, object_type: str, perm: str) -> peewee.ModelSelect:
    """Ids of objects of ``object_type`` on which ``perm`` is granted to the caller or one of their groups."""
    grantee = (Grant.grantee_type == USER) & (Grant.grantee_id == identity.user_id)
    if member.groups:
        grantee |= (Grant.grantee_type == GROUP) & Grant.grantee_id.in_(list(member.groups))
    return Grant.select(Grant.object_id).where((Grant.object_type == object_type) & (Grant.perm == perm) & grantee)


def _identified(identity: Identity) -> bool:
    return identity.authenticated and identity.user_id is not None


def targets_with(identity: Identity, perm: str, settings, member: Memberships | None = None) -> peewee.Expression:
    """Targets on which the caller holds ``perm`` (view, change or delete; §4.6)."""
    if identity.staff:
        return EVERYTHING
    open_for_view = [Target.permissions == OPEN] if perm == VIEW else []
    if not _identified(identity):
        return _any(open_for_view) if settings.anonymous_read else NOTHING
    member = member or Memberships.of(identity)
    rules = [Target.created_by == identity.user_id, within(Target.id, _granted(identity, member, TARGET, perm))]
    if perm == VIEW:
        rules.append(Target.permissions.in_([PUBLIC, OPEN]))
    return _any(rules)


def _public_calibration(identity: Identity, settings) -> list[peewee.Expression]:
    admitted = settings.public_calibrations == "everyone" or (
        settings.public_calibrations == "authenticated" and _identified(identity))
    return [Product.reduction_level == MASTER_CALIBRATION] if admitted else []


def _through_target(identity: Identity, settings, member: Memberships) -> list[peewee.Expression]:
    if not settings.target_permissions_only:
        return []
    return [Product.target.is_null(False) & within(
        Product.target, Target.select(Target.id).where(targets_with(identity, VIEW, settings, member)))]


def _bound_proposal(names: tuple[str, ...]) -> list[peewee.Expression]:
    """P4: products bound to one of these proposals (matched by name when the query runs)."""
    return [Product.proposal_bound & Product.proposal_id.in_(list(names))] if names else []


def product_rules(identity: Identity, settings, member: Memberships | None = None) -> list[peewee.Expression] | None:
    """The view rules (P2-P7) that can admit products for the caller, one expression each; None for staff,
    who see everything (P1).  A product is visible when any rule admits it: item checks OR the rules, lists
    may run each as its own branch of a UNION so that each uses its own index."""
    if identity.staff:
        return None
    member = member or Memberships.of(identity)
    if not _identified(identity):
        if not settings.anonymous_read:
            return []
        return [*_public_calibration(identity, settings), *_through_target(identity, settings, member)]
    rules = [Product.created_by == identity.user_id, *_bound_proposal(member.proposals),
             *_public_calibration(identity, settings), *_through_target(identity, settings, member)]
    if not settings.target_permissions_only:
        rules.append(within(Product.id, _granted(identity, member, PRODUCT, VIEW)))
    return rules


def visible_products(identity: Identity, settings, member: Memberships | None = None) -> peewee.Expression:
    """Products the caller may see (P1-P7)."""
    rules = product_rules(identity, settings, member)
    return EVERYTHING if rules is None else _any(rules)


def deletable_products(identity: Identity, settings) -> peewee.Expression:
    """Products the caller may delete, raw files aside (§4.4 rule 3; check visibility and the raw rule first)."""
    if identity.staff:
        return EVERYTHING
    if not _identified(identity):
        return NOTHING
    member = Memberships.of(identity)
    rules = [Product.created_by == identity.user_id, *_bound_proposal(member.led)]
    if settings.target_permissions_only:
        rules.append(within(Product.target,
                            Target.select(Target.id).where(targets_with(identity, DELETE, settings, member))))
    else:
        rules.append(within(Product.id, _granted(identity, member, PRODUCT, DELETE)))
    return _any(rules)


def visible_datums(identity: Identity, settings, products_visible: peewee.Expression | None = None,
                   member: Memberships | None = None) -> peewee.Expression:
    """Datums inherit: through their product, or through their target when they have none (§4.5).

    ``products_visible`` is the caller's product rule, when more than the built-in one (another plugin's
    ``visibility_filter``): a datum is listed exactly when its product is.
    """
    if identity.staff:
        return EVERYTHING
    member = member or Memberships.of(identity)
    if products_visible is None:
        products_visible = visible_products(identity, settings, member)
    products = Product.select(Product.id).where(products_visible)
    targets = Target.select(Target.id).where(targets_with(identity, VIEW, settings, member))
    rules = [Datum.data_product.is_null(False) & within(Datum.data_product, products),
             Datum.data_product.is_null(True) & within(Datum.target, targets)]
    if _identified(identity):
        rules.append(Datum.created_by == identity.user_id)
    return _any(rules)


def missing(identity: Identity, detail: str = "Not found.") -> APIError:
    """The error for an object the caller cannot see: 404, or 401 for an anonymous caller, so that an
    anonymous probe learns nothing about what exists (§3.3)."""
    if not _identified(identity):
        return AuthenticationRequired()
    return NotFound(detail=detail)


def is_raw(product: Product) -> bool:
    """Raw files (reduction level 0) can never be deleted, by anyone (§4.4 rule 2)."""
    return product.reduction_level == RAW
