"""Edge cases of uploads, downloads, filters and the CLI's neighbours: storage keys that repeat, oversized or
odd input, awkward file and directory names, ranges — each answered in JSON, and nothing lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest

from sciplane import hookimpl
from sciplane_dataproducts.api import Datum, ProcessingResult
from sciplane_dataproducts.models import Product
from sciplane_dataproducts.samples import goodman_fits
from sciplane_dataproducts.services import records

CSV = b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n55960.07,V,15.676,0.007\n"


class SameKeys:
    """A storage hook in TOM's DATA_PRODUCT_PATH manner: the key repeats when the file name does."""

    plugin_name = "samekeys"

    @hookimpl
    def dp_storage_key(self, product, filename):
        return f"by-name/{filename}"

    @hookimpl
    def dp_process(self, product, blob, settings):
        if product.data_product_type == "image_file" and product.file_name == "long-source.txt":
            return ProcessingResult([Datum(dt.datetime(2020, 1, 1), {"x": 1}, "s" * 101)])
        return None


@pytest.fixture
def extra_plugins():
    return [SameKeys()]


@pytest.fixture
def dp_settings():
    return {"max_json_bytes": 4096}


@pytest.fixture
def target(tom):
    return tom("POST", "targets/", body={"name": "T", "type": "SIDEREAL", "ra": 1, "dec": 2}).json["id"]


def tom_upload(upload, target, name="lc.csv", content=CSV, kind="photometry", **fields):
    return upload("/tom/api/dataproducts/", {"target": target, "data_product_type": kind, **fields}, (name, content))


def test_a_repeated_storage_key_never_replaces_a_stored_file(upload, tom, target):
    first = tom_upload(upload, target).json
    second = tom_upload(upload, target, content=CSV.replace(b"r,", b"g,")).json
    keys = {p.blob_key for p in Product.select()}
    assert "by-name/lc.csv" in keys and len(keys) == 2
    for made in (first, second):
        got = tom("GET", f"dataproducts/{made['id']}/download/")
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == made["sha256"]


def test_a_processor_source_name_longer_than_its_column_is_refused(upload, target, app):
    resp = tom_upload(upload, target, name="long-source.txt", content=b"x", kind="image_file")
    assert resp.status_code == 422 and "source name" in resp.json["detail"]
    assert Product.select().count() == 0 and list(app.sciplane.blobs.get("files").keys()) == []


def test_registration_reads_no_body_for_others_and_bounds_it_for_staff(gsp):
    big = b'{"blob_key": "' + b"x" * 8000 + b'"}'
    json = {"Content-Type": "application/json"}
    assert gsp("POST", "files/", user="other", data=big, headers=json).status_code == 403
    refused = gsp("POST", "files/", user="staff", data=big, headers=json)
    assert refused.status_code == 413 and refused.json["max_bytes"] == 4096
    assert refused.json["title"] == "413 Payload Too Large"
    assert gsp("POST", "files/", user="staff", data=b"{not json", headers=json).status_code == 400


def test_registered_names_are_sanitized(gsp, app):
    store = app.sciplane.blobs.get("files")
    store.put("raw/one.fits", io.BytesIO(goodman_fits("Red")))
    made = gsp("POST", "files/", user="staff", body={"blob_key": "raw/one.fits", "file_name": 'a\r\nSet-Cookie: x=1"'})
    assert made.status_code == 201 and "\r" not in made.json["file_name"] and "\n" not in made.json["file_name"]
    got = gsp("GET", f"files/{made.json['id']}/download/", user="staff")
    assert got.status_code == 200 and "\n" not in got.headers["content-disposition"]


def test_awkward_names_still_download(upload, api):
    resp = upload("/gsp/api/files/", {"directory_name": "20210907/RED?x#y"}, ("b%41c é.fits", goodman_fits("Red")),
                  user="staff")
    assert resp.status_code == 201, resp.json
    made = resp.json
    assert made["full_path"] == "20210907/RED?x#y/b%41c é.fits"
    got = api("GET", made["download_url"], user="staff")
    disposition = got.headers["content-disposition"]
    assert got.status_code == 200 and disposition.startswith('attachment; filename="b%41c _.fits"')


def test_byte_ranges_and_missing_blobs(upload, tom, target, app):
    made = tom_upload(upload, target).json
    path = f"dataproducts/{made['id']}/download/"
    assert tom("GET", path, headers={"Range": "bytes=5-2"}).status_code == 200  # not a valid range: ignored
    assert tom("GET", path, headers={"Range": "BYTES=0-0"}).content == CSV[:1]
    unsatisfiable = tom("GET", path, headers={"Range": "bytes=9999-"})
    assert unsatisfiable.status_code == 416 and "content-disposition" not in unsatisfiable.headers
    app.sciplane.blobs.get("files").delete(Product.get_by_id(made["id"]).blob_key)
    for method in ("GET", "HEAD"):
        assert tom(method, path).status_code == 404


def test_numbers_beyond_the_columns_and_other_digits(tom, gsp, upload, target):
    huge = "99999999999999999999"
    for query in (f"target__id={huge}", f"offset={huge}", f"limit=10&offset={huge}"):
        resp = tom("GET", "dataproducts/", query=query)
        assert resp.status_code == 400, query
    for query in (f"id={huge}", f"observation_id={huge}", f"parent_file_id={huge}"):
        assert gsp("GET", "files/", user="staff", query=query).status_code == 400, query
    assert gsp("DELETE", "files/", user="staff", query="id=²").status_code == 400
    assert tom_upload(upload, "²").json["target"][0].startswith("Incorrect type.")
    datum = tom("POST", "reduceddatums/", body={"target": target, "data_type": ["photometry"], "value": {"m": 1}})
    assert datum.status_code == 400 and "data_type" in datum.json


def test_search_terms_are_bounded(gsp):
    many = "%20".join(f"t{i}" for i in range(21))
    resp = gsp("GET", "files/", user="staff", query=f"search={many}")
    assert resp.status_code == 400 and "search" in resp.json


def test_nested_datums_across_statements(upload, tom, target, monkeypatch):
    monkeypatch.setattr(records, "NESTED_BRANCHES", 2)
    made = [tom_upload(upload, target, name=f"{i}.csv", content=CSV.replace(b"55959", f"{50000 + i}".encode())).json
            for i in range(5)]
    listed = {p["id"]: p for p in tom("GET", "dataproducts/").json["results"]}
    assert all(len(listed[m["id"]]["reduceddatum_set"]) == listed[m["id"]]["reduceddatum_count"] for m in made)
    assert [listed[m["id"]]["reduceddatum_count"] for m in made] == [2, 1, 1, 1, 1]
