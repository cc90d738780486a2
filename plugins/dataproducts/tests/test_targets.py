"""TOM's targets (spec §7.5, scenario 26): creation rules, the shared name namespace, visibility by owner,
grants and level, filters, updates and deletion."""

from __future__ import annotations

from sciplane_dataproducts.models import Datum, Group, Product, Target

M31 = {"name": "M31", "type": "SIDEREAL", "ra": 10.684708, "dec": 41.26875}


def test_26_create_with_aliases_and_groups(tom):
    created = tom("POST", "targets/", body={**M31, "aliases": [{"name": "ZTF24aaaaaaa"}],
                                            "groups": [{"name": "collab"}],
                                            "targetextra_set": [{"key": "redshift", "value": "0.0"}]})
    assert created.status_code == 201, created.json
    record = created.json
    assert record["message"] == "Target successfully uploaded."
    assert [a["name"] for a in record["aliases"]] == ["ZTF24aaaaaaa"]
    assert [g["name"] for g in record["groups"]] == ["collab"] and record["permissions"] == "PRIVATE"
    assert record["targetextra_set"][0]["key"] == "redshift" and record["created"].endswith("Z")
    assert list(record)[:4] == ["id", "targetextra_set", "aliases", "name"]
    assert tom("GET", f"targets/{record['id']}/", user="member").status_code == 200  # through collab's grant
    hidden = tom("GET", f"targets/{record['id']}/", user="other")
    assert hidden.status_code == 404 and hidden.json["detail"] == "No Target matches the given query."
    assert tom("GET", "targets/", user="other", query="name=ztf24,nomatch").json["count"] == 0
    found = tom("GET", "targets/", query="name=ztf24,nomatch").json
    assert found["count"] == 1 and found["results"][0]["id"] == record["id"]


def test_26_name_rules(tom):
    assert tom("POST", "targets/", body={**M31, "aliases": [{"name": "Andromeda"}]}).status_code == 201
    own = tom("POST", "targets/", body={**M31, "name": "X1", "aliases": [{"name": "X1"}]})
    assert own.status_code == 400 and own.json["non_field_errors"] == ["Alias 'X1' conflicts with Target name 'X1'."]
    taken = tom("POST", "targets/", body={**M31, "name": "ANDROMEDA"})
    assert taken.status_code == 400 and taken.json["name"] == ["target with this Name already exists."]
    reused = tom("POST", "targets/", body={**M31, "name": "M32", "aliases": [{"name": "m31"}]})
    assert reused.status_code == 400 and reused.json["aliases"] == ["Alias 'm31' is already used by target 'M31'."]
    no_ra = tom("POST", "targets/", body={"name": "Z", "type": "SIDEREAL", "dec": 1})
    assert no_ra.status_code == 400
    assert no_ra.json["non_field_errors"] == ["The following fields are required for SIDEREAL targets: ['ra']"]
    comet = tom("POST", "targets/", body={"name": "C/2020 F3", "type": "NON_SIDEREAL", "scheme": "MPC_COMET",
                                          "epoch_of_elements": 59000, "inclination": 129, "lng_asc_node": 61,
                                          "arg_of_perihelion": 37, "eccentricity": 0.99})
    assert comet.json["non_field_errors"] == [
        "The following fields are required for NON_SIDEREAL targets: ['perihdist', 'epoch_of_perihelion']"]
    bad = tom("POST", "targets/", body={"name": "", "type": "PLANET", "ra": "east", "colour": 1})
    assert bad.status_code == 400 and bad.json["code"] == "validation_failed" and bad.json["detail"] == "Invalid input."
    assert bad.json["name"] == ["This field may not be blank."]
    assert bad.json["type"] == ['"PLANET" is not a valid choice.']
    assert bad.json["ra"] == ["A valid number is required."] and bad.json["colour"] == ["Unknown field."]
    assert tom("POST", "targets/", body={**M31, "name": "G", "groups": [{"name": "nope"}]}).status_code == 400


def test_visibility_levels_and_filters(tom):
    ids = {}
    for name, level, ra in (("Priv", "PRIVATE", 10.0), ("Pub", "PUBLIC", 10.5), ("Open", "OPEN", 200.0)):
        ids[name] = tom("POST", "targets/", body={"name": name, "type": "SIDEREAL", "ra": ra, "dec": 41.0,
                                                  "permissions": level}).json["id"]
    names = lambda user, query="": [t["name"] for t in tom("GET", "targets/", user=user, query=query).json["results"]]  # noqa: E731
    assert names("owner") == ["Priv", "Pub", "Open"]
    assert names("other") == ["Pub", "Open"] and names("staff") == ["Priv", "Pub", "Open"]
    assert names("owner", "permissions=OPEN") == ["Open"] and names("owner", "ordering=-name") == ["Pub", "Priv",
                                                                                                      "Open"]
    assert names("owner", "cone_search=10.2,41,1") == ["Priv", "Pub"]
    assert names("owner", "cone_search=10,41,0.01") == ["Priv"]
    for query, code in (("cone_search=1,2", "validation_failed"), ("ordering=ra", "invalid_ordering"),
                        ("permissions=SECRET", "validation_failed"), ("colour=red", "unknown_filter")):
        assert tom("GET", "targets/", query=query).json["code"] == code, query
    assert tom("GET", "targets/", user=None).status_code == 401


def test_updates_need_change_and_deletes_need_delete(tom, app):
    target = tom("POST", "targets/", body={**M31, "permissions": "PUBLIC", "aliases": [{"name": "Andromeda"}]}).json
    alias = target["aliases"][0]["id"]
    assert tom("PATCH", f"targets/{target['id']}/", user="other", body={"ra": 1}).status_code == 403
    patched = tom("PATCH", f"targets/{target['id']}/", body={"ra": 11.0, "aliases": [
        {"id": alias, "name": "Andromeda Galaxy"}, {"name": "NGC 224"}], "groups": [{"name": "collab"}]})
    assert patched.status_code == 200 and patched.json["message"] == "Target successfully updated."
    assert patched.json["ra"] == 11.0 and [a["name"] for a in patched.json["aliases"]] == ["Andromeda Galaxy",
                                                                                             "NGC 224"]
    assert tom("PATCH", f"targets/{target['id']}/", user="member", body={"dec": 40.0}).status_code == 200
    assert tom("PUT", f"targets/{target['id']}/", body={"ra": 12.0}).json["name"] == ["This field is required."]
    whole = tom("PUT", f"targets/{target['id']}/", body={"name": "M31", "type": "SIDEREAL"})
    assert whole.status_code == 200 and whole.json["ra"] == 11.0  # fields not given keep their values
    assert tom("DELETE", f"targets/{target['id']}/", user="other").status_code == 403
    with app.sciplane.database.connection_context():
        raw = Product.create(target=target["id"], data_product_type="fits_file", file_name="raw.fits",
                             blob_key="k/raw", token="r" * 32, size=1, sha256="0" * 64, reduction_level=0)
        reduced = Product.create(target=target["id"], data_product_type="fits_file", file_name="red.fits",
                                 blob_key="k/red", token="d" * 32, size=1, sha256="0" * 64, reduction_level=2)
    broker = tom("POST", "reduceddatums/", body={"target": target["id"], "data_type": "photometry",
                                                 "value": {"magnitude": 12.5}})
    assert broker.status_code == 201
    assert tom("DELETE", f"targets/{target['id']}/").status_code == 204
    assert tom("GET", f"targets/{target['id']}/").status_code == 404
    with app.sciplane.database.connection_context():  # datums go with their target (no foreign keys, 0003)
        assert not Datum.select().where(Datum.target == target["id"]).exists()
    with app.sciplane.database.connection_context():
        assert Product.get_by_id(raw.id).target_id is None  # raw files are kept, detached
        assert Product.get_or_none(Product.id == reduced.id) is None
        assert not Target.select().where(Target.id == target["id"]).exists()


def test_27_groups(tom, app, world):
    mine = tom("GET", "groups/", user="member").json
    assert mine["count"] == 1 and mine["results"] == [{"id": world["collab"], "name": "collab"}]
    for user in ("member", "other"):
        refused = tom("POST", "groups/", user=user, body={"name": "new"})
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/json"
        assert refused.json["code"] == "permission_denied"
    with app.sciplane.database.connection_context():
        assert not Group.select().where(Group.name_key == "new").exists()
        other_id = app.sciplane.accounts.find_user("other").id
    created = tom("POST", "groups/", user="staff", body={"name": "Survey", "members": [other_id, "member"]})
    assert created.status_code == 201 and created.json["name"] == "Survey"
    assert [g["name"] for g in tom("GET", "groups/", user="member").json["results"]] == ["collab", "Survey"]
    assert [g["name"] for g in tom("GET", "groups/", user="other").json["results"]] == ["Survey"]
    assert tom("POST", "groups/", user="staff", body={"name": "COLLAB"}).json["name"] == [
        "group with this name already exists."]
    assert "members" in tom("POST", "groups/", user="staff", body={"name": "x", "members": ["ghost"]}).json
