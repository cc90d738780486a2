"""The permission matrix (spec §12 scenarios 48-52): every actor against list, detail, header, download and
delete in both permission modes and in the Goodman dialect, each delete on a fresh object, then a sweep of
every list for anything an actor must not see."""

from __future__ import annotations

import pytest

from sciplane_dataproducts.models import CHANGE, GROUP, TARGET, VIEW, Grant
from sciplane_dataproducts.samples import goodman_fits

CSV = b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n55960.07,V,15.676,0.007\n"
PROPOSAL = "SOAR2020B-008"
ACTORS = ("owner", "member", "other", "staff", None)


@pytest.fixture
def target(tom, world):
    ident = tom("POST", "targets/", body={"name": "T", "type": "SIDEREAL", "ra": 1.0, "dec": 2.0}).json["id"]
    for perm in (VIEW, CHANGE):
        Grant.create(object_type=TARGET, object_id=ident, grantee_type=GROUP, grantee_id=world["collab"], perm=perm)
    return ident


@pytest.fixture
def product(upload, target):
    """A fresh photometry product of owner's on T, shared with collab (the grants matter in mode B only)."""
    def make(name="lc.csv", content=CSV):
        resp = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "photometry",
                                                 "groups": "collab"}, (name, content))
        assert resp.status_code == 201, resp.json
        return resp.json
    return make


def tom_cells(tom, actor, made, fresh, collection="dataproducts"):
    """An actor's row: list, detail, download (products only) of ``made``, and delete of ``fresh``."""
    listed = tom("GET", f"{collection}/", user=actor)
    ident = made["id"]
    cells = {"list": listed.status_code if listed.status_code != 200 else
             ("yes" if ident in [p["id"] for p in listed.json["results"]] else "no"),
             "detail": tom("GET", f"{collection}/{ident}/", user=actor).status_code}
    if collection == "dataproducts":
        cells["download"] = tom("GET", f"{collection}/{ident}/download/", user=actor).status_code
    cells["delete"] = tom("DELETE", f"{collection}/{fresh['id']}/", user=actor).status_code
    if listed.status_code == 200:
        assert listed.json["count"] == len(listed.json["results"])
    return cells


MODE_B = {"owner": ("yes", 200, 200, 204), "member": ("yes", 200, 200, 204), "other": ("no", 404, 404, 404),
          "staff": ("yes", 200, 200, 204), None: (401, 401, 401, 401)}
MODE_A = {"owner": ("yes", 200, 200, 204), "member": ("yes", 200, 200, 403), "other": ("no", 404, 404, 404),
          "staff": ("yes", 200, 200, 204), None: (401, 401, 401, 401)}


def without_download(row: tuple) -> tuple:
    """A product's row of scenarios 48-49 as its datums' row: list, detail, delete."""
    return row[:2] + row[3:]


@pytest.mark.parametrize("dp_settings", [{"target_permissions_only": False}])
@pytest.mark.parametrize("actor", ACTORS)
def test_48_mode_b_matrix(tom, product, actor):
    made, fresh = product(), product("fresh.csv", CSV.replace(b"r,", b"g,"))
    cells = tom_cells(tom, actor, made, fresh)
    assert tuple(cells.values()) == MODE_B[actor]


@pytest.mark.parametrize("actor", ACTORS)
def test_49_mode_a_matrix(tom, product, actor):
    made, fresh = product(), product("fresh.csv", CSV.replace(b"r,", b"g,"))
    cells = tom_cells(tom, actor, made, fresh)
    assert tuple(cells.values()) == MODE_A[actor]


@pytest.fixture
def goodman(upload):
    def send(content, name, user="staff"):
        resp = upload("/gsp/api/files/", {}, (name, content), user=user)
        assert resp.status_code == 201, resp.json
        return resp.json["id"]

    def make():
        return {"reduced": send(goodman_fits("Red", level=2, extra_cards={"PROPID": PROPOSAL}), "reduced.fits"),
                "raw": send(goodman_fits("Red", extra_cards={"PROPID": PROPOSAL}), "raw.fits"),
                "calibration": send(goodman_fits("Red", seed=4, level="combined",
                                                 extra_cards={"PROPID": "SOAR2019A-001"}), "flat.fits")}
    return make, send


GOODMAN = {"pi": ("yes", 200, 200, 200, 204, 403), "collab1": ("yes", 200, 200, 200, 403, 403),
           "other": ("no", 404, 404, 404, 404, 404), "staff": ("yes", 200, 200, 200, 204, 403),
           None: (401, 401, 401, 401, 401, 401)}


@pytest.mark.parametrize("actor", ("pi", "collab1", "other", "staff", None))
def test_50_goodman_matrix(gsp, goodman, actor):
    make, send = goodman
    files = make()
    fresh = send(goodman_fits("Red", seed=8, level=2, extra_cards={"PROPID": PROPOSAL}), "fresh.fits")
    reduced = files["reduced"]
    listed = gsp("GET", "files/", user=actor)
    if listed.status_code == 200:
        ids = {r["id"] for r in listed.json["results"]}
        seen = "yes" if reduced in ids else "no"
        assert (files["calibration"] in ids) is True  # public master calibrations, for every identified actor
    else:
        seen = listed.status_code
    cells = (seen, gsp("GET", f"files/{reduced}/", user=actor).status_code,
             gsp("GET", "files/header/", user=actor, query=f"id={reduced}").status_code,
             gsp("GET", f"files/{reduced}/download/", user=actor).status_code,
             gsp("DELETE", f"files/{fresh}/", user=actor).status_code,
             gsp("DELETE", f"files/{files['raw']}/", user=actor).status_code)
    assert cells == GOODMAN[actor]


@pytest.mark.parametrize("dp_settings", [{"target_permissions_only": False}, {"target_permissions_only": True}])
@pytest.mark.parametrize("actor", ACTORS)
def test_51_datums_inherit(tom, product, target, dp_settings, actor):
    rows = MODE_A if dp_settings["target_permissions_only"] else MODE_B
    made = product()
    # The product's two datums: one to look at, a fresh one to delete; they follow the product's row.
    assert tuple(tom_cells(tom, actor, *made["reduceddatum_set"], "reduceddatums").values()) == without_download(
        rows[actor])
    # Broker datums with no product follow T's rules in both modes: view and change for collab, no delete; those
    # are mode A's product rules.
    broker = [tom("POST", "reduceddatums/", body={"target": target, "data_type": "photometry",
                                                  "value": {"magnitude": m}}).json for m in (1, 2)]
    assert tuple(tom_cells(tom, actor, *broker, "reduceddatums").values()) == without_download(MODE_A[actor])
    if actor == "member":
        # A datum's creator may delete it: member holds no delete on T, nor (in mode A) on the product.
        for extra in ({"data_product": made["id"]}, {}):
            own = tom("POST", "reduceddatums/", user="member", body={"target": target, "data_type": "photometry",
                                                                    "value": {"magnitude": 3}, **extra})
            assert own.status_code == 201 and own.json["data_product"] == extra.get("data_product"), own.json
            assert tom("DELETE", f"reduceddatums/{own.json['id']}/", user="member").status_code == 204


def test_52_leak_sweep(tom, gsp, product, goodman, world):
    secret = product("secret-name.csv", b"time,filter,magnitude,error\n51000.5,z,99.125,0.5\n")
    make, send = goodman
    files = make()
    foreign = send(goodman_fits("Red", seed=11, level=2, extra_cards={"PROPID": "SOAR2019A-001"}),
                   "foreign-secret.fits")
    secret_datums = {d["id"] for d in secret["reduceddatum_set"]}
    hidden = {"other": {"products": {secret["id"]}, "datums": secret_datums,
                        "files": {foreign, files["reduced"], files["raw"]}},
              "collab1": {"products": {secret["id"]}, "datums": secret_datums, "files": {foreign}}}
    for actor, invisible in hidden.items():
        responses = {"products": [tom("GET", "dataproducts/", user=actor, query=q) for q in (
                         "", "target_name=T", "data_product_type=photometry", "product_id=x")],
                     "datums": [tom("GET", "reduceddatums/", user=actor, query=q) for q in (
                         "", "target_name=t", "data_product_name=secret", f"data_product__id={secret['id']}",
                         "data_type=photometry")],
                     "files": [gsp("GET", "files/", user=actor, query=q) for q in (
                         "", "search=secret", "search=SOAR2019A", "data_type=2", "file_name=foreign-secret.fits")]}
        for kind, answers in responses.items():
            for resp in answers:
                assert resp.status_code == 200
                ids = {row["id"] for row in resp.json["results"]}
                assert not ids & invisible[kind], (actor, kind, ids)
                assert resp.json["count"] == len(resp.json["results"])
                assert "secret-name.csv" not in resp.text and "99.125" not in resp.text
                assert "foreign-secret.fits" not in resp.text


def test_a_member_cannot_grant_itself_the_delete_right(tom, product, target):
    """member holds view and change on T through collab; adding collab to T in a PATCH grants what member holds,
    so member still cannot delete T or its products (§4.4: delete needs a delete right)."""
    made = product()
    patched = tom("PATCH", f"targets/{target}/", user="member", body={"groups": [{"name": "collab"}]})
    assert patched.status_code == 200, patched.json
    assert tom("DELETE", f"dataproducts/{made['id']}/", user="member").status_code == 403
    assert tom("DELETE", f"targets/{target}/", user="member").status_code == 403
    # The owner holds every right: the group it adds gets every right, delete included, as TOM grants them.
    assert tom("PATCH", f"targets/{target}/", user="owner", body={"groups": [{"name": "collab"}]}).status_code == 200
    assert tom("DELETE", f"dataproducts/{made['id']}/", user="member").status_code == 204
