"""The plugin's own hooks, as a third-party plugin uses them (spec §9.1, scenario 54), the core's
``visibility_filter`` widening product visibility (§4.2), and the mode switch of scenario 55."""

from __future__ import annotations

import datetime as dt

import pytest
from marshmallow import Schema, fields

from sciplane import StartupError, hookimpl
from sciplane_dataproducts.api import Datum, ProcessingError, ProcessingResult, TypeSpec
from sciplane_dataproducts.models import Datum as DatumRow
from sciplane_dataproducts.models import Product
from sciplane_dataproducts.samples import goodman_fits

CSV = b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n"


class Scale(Schema):
    scale = fields.Float(load_default=1.0)


class LightCurves:
    """A third-party type with its own processor and settings, and the other hooks answering for it."""

    plugin_name = "lightcurves"

    def __init__(self):
        self.post_process_calls = []

    @hookimpl
    def dp_register_types(self):
        return [TypeSpec("lightcurve_x", "Light curve X", settings_schema=Scale)]

    @hookimpl
    def dp_process(self, product, blob, settings):
        if product.data_product_type != "lightcurve_x":
            return None
        lines = blob.read().decode().split()
        return ProcessingResult((Datum(dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i),
                                       {"flux": float(line) * settings["scale"]}) for i, line in enumerate(lines)),
                                data_type_override="photometry")

    @hookimpl
    def dp_post_upload(self, product):
        if product.file_name.startswith("refused"):
            raise ProcessingError("Refused by the observatory's policy.")

    @hookimpl
    def dp_post_process(self, product, created, skipped):
        self.post_process_calls.append((product.id, created, skipped))
        raise RuntimeError("a sharing service is down")

    @hookimpl
    def dp_storage_key(self, product, filename):
        return f"lightcurves/{filename}" if product.data_product_type == "lightcurve_x" else None

    @hookimpl
    def dp_extract_metadata(self, product, header, instrument):
        return {"object": header["OBJECT"].lower(), "seeing_source": "dimm"} if header is not None else None

    @hookimpl
    def visibility_filter(self, identity, model, action, ctx):
        # A facility whose products everyone identified may see.
        if model is Product and action == "dataproducts.view" and identity.authenticated:
            return Product.facility == "OPEN-SKY"
        return None


@pytest.fixture
def plugin():
    return LightCurves()


@pytest.fixture
def extra_plugins(plugin):
    return [plugin]


@pytest.fixture
def dp_settings():
    return {"types": {"lightcurve_x": {"scale": 2}}}


@pytest.fixture
def target(tom):
    return tom("POST", "targets/", body={"name": "T", "type": "SIDEREAL", "ra": 1, "dec": 2}).json["id"]


def test_a_third_party_type_is_processed_and_listed_last(upload, tom, target, app, plugin):
    resp = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "lightcurve_x"},
                  ("curve.txt", b"1.5\n2.5\n"))
    assert resp.status_code == 201 and resp.json["datums_created"] == 2
    assert [d["value"]["flux"] for d in resp.json["reduceddatum_set"]] == [3.0, 5.0]  # the type's settings
    assert {d["data_type"] for d in resp.json["reduceddatum_set"]} == {"photometry"}  # the override
    assert Product.get_by_id(resp.json["id"]).blob_key == "lightcurves/curve.txt"  # dp_storage_key
    assert plugin.post_process_calls == [(resp.json["id"], 2, 0)]  # it raised: logged, the answer is 201
    invalid = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "nope"}, ("x.txt", b"1"))
    assert invalid.json["data_product_type"] == ["Not a valid data_product_type. Valid data_product_types are "
                                                 "photometry, fits_file, spectroscopy, image_file, lightcurve_x."]


def test_post_upload_refusal_leaves_nothing(upload, target, app):
    resp = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "photometry"},
                  ("refused.csv", CSV))
    assert resp.status_code == 422 and resp.json["Data processing error"] == "Refused by the observatory's policy."
    assert Product.select().count() == 0 and DatumRow.select().count() == 0
    assert list(app.sciplane.blobs.get("files").keys()) == []


def test_metadata_of_another_plugin_wins(upload, gsp):
    resp = upload("/gsp/api/files/", {}, ("raw.fits", goodman_fits("Red")), user="staff")
    assert resp.status_code == 201 and resp.json["object"] == "j0220-7022"
    assert Product.get_by_id(resp.json["id"]).extra_metadata == {"seeing_source": "dimm"}


def test_visibility_filter_widens(upload, tom, target):
    made = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "photometry",
                                             "facility": "OPEN-SKY"}, ("a.csv", CSV)).json
    assert [p["id"] for p in tom("GET", "dataproducts/", user="other").json["results"]] == [made["id"]]
    assert tom("GET", f"dataproducts/{made['id']}/download/", user="other").status_code == 200
    assert tom("DELETE", f"dataproducts/{made['id']}/", user="other").status_code == 403
    # The product's datums come with it, in every view: nested, listed and alone (§4.2: never one without the other).
    datum = made["reduceddatum_set"][0]["id"]
    nested = tom("GET", f"dataproducts/{made['id']}/", user="other").json
    listed = tom("GET", "reduceddatums/", user="other", query=f"data_product__id={made['id']}").json
    assert ([d["id"] for d in nested["reduceddatum_set"]], [d["id"] for d in listed["results"]]) == ([datum], [datum])
    assert tom("GET", f"reduceddatums/{datum}/", user="other").status_code == 200


def test_a_repeated_type_key_aborts_start_up(make_app):
    class Again:
        plugin_name = "again"

        @hookimpl
        def dp_register_types(self):
            return [TypeSpec("photometry", "Photometry again")]

    with pytest.raises(StartupError, match="'dataproducts' and 'again'"):
        make_app(plugins=["dataproducts"], extra_plugins=[Again()])


def test_type_settings_are_validated(make_app):
    with pytest.raises(StartupError, match="lightcurve_x"):
        make_app(plugins=["dataproducts"], extra_plugins=[LightCurves()],
                 settings={"plugins": {"dataproducts": {"types": {"lightcurve_x": {"scale": "big"}}}}})
    with pytest.raises(StartupError, match="no data product type 'unknown'"):
        make_app(plugins=["dataproducts"], settings={"plugins": {"dataproducts": {"types": {"unknown": {}}}}})


def test_55_mode_switch_needs_no_migration(make_app, world, upload, tom, target):
    made = upload("/tom/api/dataproducts/", {"target": target, "data_product_type": "photometry",
                                             "groups": "collab"}, ("a.csv", CSV)).json
    assert tom("GET", "dataproducts/", user="member").json["count"] == 0  # mode A: member has no view on T
    from sciplane.testing import RawClient
    mode_b = make_app(plugins=["dataproducts"], settings={"plugins": {"dataproducts": {
        "target_permissions_only": False}}})
    listed = RawClient(mode_b).simulate_get("/tom/api/dataproducts/", headers={
        "Authorization": f"Token {world['tokens']['member']}"}).json
    assert [p["id"] for p in listed["results"]] == [made["id"]]
