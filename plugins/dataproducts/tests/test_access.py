"""The visibility resolver (§4) over a small world, in both permission modes: who sees and who may
delete which products and datums, computed in SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from sciplane import Identity
from sciplane_dataproducts import access
from sciplane_dataproducts.models import (
    GROUP,
    OPEN,
    PRIVATE,
    PROPOSAL,
    Datum,
    Grant,
    Group,
    Membership,
    Product,
    Target,
)

USERS = {"owner": 1, "member": 2, "other": 3, "staff": 4, "pi": 5, "collab1": 6}
_tokens = itertools.count()


def who(name: str) -> Identity:
    if name == "anonymous":
        return Identity()
    return Identity(user_id=USERS[name], username=name, via="token", is_staff=name == "staff")


def product(name: str, *, by: str, target=None, level=None, proposal=None) -> Product:
    n = next(_tokens)
    return Product.create(product_id=name, target=target, data_product_type="photometry", file_name=f"{name}.fits",
                          blob_key=f"k/{n}", token=f"{n:032d}", size=1, sha256="0" * 64, created_by=USERS[by],
                          reduction_level=level, proposal_id=proposal, proposal_bound=proposal is not None)


@pytest.fixture
def world(app):
    """Target T (PRIVATE, owner's; group collab holds view/change), an OPEN target of other's, a proposal
    with its PI and a collaborator, and five products: A on T, B bound to the proposal, C a master
    calibration, D a raw file on T, E on the open target; product A also grants view to collab (mode B)."""
    with app.sciplane.database.connection_context():
        collab = Group.create(kind=GROUP, name="collab", name_key="collab")
        proposal = Group.create(kind=PROPOSAL, name="SOAR2020B-008", name_key="soar2020b-008", pi_id=USERS["pi"])
        for user in ("owner", "member"):
            Membership.create(group=collab, user_id=USERS[user])
        Membership.create(group=proposal, user_id=USERS["pi"], role="pi")
        Membership.create(group=proposal, user_id=USERS["collab1"], role="collaborator")
        t = Target.create(name="T", permissions=PRIVATE, created_by=USERS["owner"])
        shown = Target.create(name="Open", permissions=OPEN, created_by=USERS["other"])
        for perm in ("view", "change"):
            Grant.create(object_type="target", object_id=t.id, grantee_type="group", grantee_id=collab.id, perm=perm)
        products = {"A": product("A", by="owner", target=t), "B": product("B", by="pi", proposal="SOAR2020B-008"),
                    "C": product("C", by="other", level=1), "D": product("D", by="owner", target=t, level=0),
                    "E": product("E", by="other", target=shown)}
        Grant.create(object_type="product", object_id=products["A"].id, grantee_type="group", grantee_id=collab.id,
                     perm="view")
        for name, item in products.items():
            Datum.create(target=item.target or t, data_product=item, data_type="photometry", timestamp_us=1,
                         value={"p": name}, value_hash=hashlib.sha256(name.encode()).digest())
        Datum.create(target=t, data_type="photometry", timestamp_us=2, value={"p": "T"}, value_hash=b"t" * 32,
                     created_by=USERS["member"])
    return app


def names(app, expression, model=Product) -> set[str]:
    with app.sciplane.database.connection_context():
        if model is Product:
            return {p.product_id for p in Product.select().where(expression)}
        return {d.value["p"] for d in Datum.select().where(expression)}


MODE_A = {"owner": "ACDE", "member": "ACDE", "other": "CE", "pi": "BCE", "collab1": "BCE", "staff": "ABCDE",
          "anonymous": ""}
MODE_B = {"owner": "ACD", "member": "AC", "other": "CE", "pi": "BC", "collab1": "BC", "staff": "ABCDE",
          "anonymous": ""}


@pytest.mark.parametrize("user", list(MODE_A))
def test_products_visible_by_target_rights(world, user):
    settings = world.sciplane.plugin_settings("dataproducts")
    assert names(world, access.visible_products(who(user), settings)) == set(MODE_A[user])


@pytest.mark.parametrize("dp_settings", [{"target_permissions_only": False}])
@pytest.mark.parametrize("user", list(MODE_B))
def test_products_visible_by_product_grants(world, user, dp_settings):
    settings = world.sciplane.plugin_settings("dataproducts")
    assert names(world, access.visible_products(who(user), settings)) == set(MODE_B[user])


@pytest.mark.parametrize("dp_settings, expected", [
    ({"anonymous_read": True}, "E"),
    ({"anonymous_read": True, "public_calibrations": "everyone"}, "CE"),
    ({"anonymous_read": True, "public_calibrations": "everyone", "target_permissions_only": False}, "C"),
    ({"public_calibrations": "none"}, ""),
])
def test_anonymous_and_public_rules(world, dp_settings, expected):
    settings = world.sciplane.plugin_settings("dataproducts")
    assert names(world, access.visible_products(who("anonymous"), settings)) == set(expected)
    if dp_settings.get("public_calibrations") == "none":
        assert names(world, access.visible_products(who("other"), settings)) == {"C", "E"}  # C is other's own
        assert names(world, access.visible_products(who("member"), settings)) == {"A", "D", "E"}


DELETE_A = {"owner": "AD", "member": "", "other": "CE", "pi": "B", "collab1": "", "staff": "ABCDE", "anonymous": ""}


@pytest.mark.parametrize("user", list(DELETE_A))
def test_delete_rights(world, user):
    settings = world.sciplane.plugin_settings("dataproducts")
    assert names(world, access.deletable_products(who(user), settings)) == set(DELETE_A[user])
    with world.sciplane.database.connection_context():
        assert access.is_raw(Product.get(Product.product_id == "D"))


def test_datums_inherit(world):
    settings = world.sciplane.plugin_settings("dataproducts")
    assert names(world, access.visible_datums(who("member"), settings), Datum) == {"A", "C", "D", "E", "T"}
    assert names(world, access.visible_datums(who("other"), settings), Datum) == {"C", "E"}
    assert names(world, access.visible_datums(who("collab1"), settings), Datum) == {"B", "C", "E"}
    assert names(world, access.visible_datums(who("anonymous"), settings), Datum) == set()
