"""``sciplane dp …`` and the demo data, against the test's database."""

from __future__ import annotations

import io
import os
import time

import pytest

from sciplane_dataproducts.models import Datum, Product
from sciplane_dataproducts.samples import goodman_fits

CSV = b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n55960.07,V,15.676,0.007\n"


@pytest.fixture
def cli(sciplane_cli, app):
    return sciplane_cli("dataproducts")


def test_upload_list_and_gc(cli, tom, world, tmp_path, app):
    target = tom("POST", "targets/", body={"name": "T", "type": "SIDEREAL", "ra": 1, "dec": 2}).json["id"]
    curve = tmp_path / "lc.csv"
    curve.write_bytes(CSV)
    done = cli("dp", "upload", str(curve), "--user", "owner", "--target", str(target), "--type", "photometry",
               "--product-id", "pid1")
    assert "lc.csv\tphotometry\t2 datums (0 duplicates skipped)" in done.output
    raw = tmp_path / "raw.fits"
    raw.write_bytes(goodman_fits("Red", extra_cards={"PROPID": "SOAR2020B-008"}))
    assert "raw.fits\tfits_file" in cli("dp", "upload", str(raw), "--dialect", "gsp").output
    listed = cli("dp", "list").output.splitlines()
    assert [line.split("\t")[-1] for line in listed] == ["raw.fits", "lc.csv"]
    # The operator's upload bound the file to the proposal: its collaborator sees it, another user does not.
    assert cli("dp", "list", "--user", "collab1", "--fits").output.split("\t")[-1].strip() == "raw.fits"
    assert cli("dp", "list", "--user", "other").output == ""
    refused = cli("dp", "upload", str(curve), "--target", str(target), "--type", "bogus", ok=False)
    assert refused.exit_code != 0 and "Not a valid data_product_type" in refused.output
    assert Product.select().count() == 2 and Datum.select().count() == 2
    store = app.sciplane.blobs.get("files")
    orphan, pipeline = "t/none/" + "ab" * 16 + "/orphan.bin", "raw/20210907/waiting.fits"
    for key in (orphan, pipeline):
        store.put(key, io.BytesIO(b"left by a crash"))
    assert "0 orphaned" in cli("dp", "gc").output  # too young: it may belong to an upload in progress
    old = time.time() - 7200
    for key in (orphan, pipeline):
        os.utime(store.local_path(key), (old, old))
    assert orphan in cli("dataproducts", "gc", "--dry-run").output and store.exists(orphan)
    assert "1 orphaned blob(s) deleted" in cli("dp", "gc").output and not store.exists(orphan)
    # A file a pipeline wrote for a later registration is not in the upload layout: never collected.
    assert store.exists(pipeline) and len(list(store.keys())) == 3


def test_demo(sciplane_cli, app, gsp, world):
    cli = sciplane_cli("dataproducts")
    output = cli("demo").output
    assert "light curve of SN2021aefx: 60 datums" in output and "6 Goodman files" in output
    assert "demo skipped" in cli("demo").output
    levels = sorted(r["data_type"] for r in gsp("GET", "files/", user="staff").json["results"])
    assert levels == ["0", "0", "0", "1", "2", "3"]
    derived = gsp("GET", "files/", user="staff", query="data_type=3").json["results"][0]
    assert derived["original_file"] == "0308_J0220-7022_06-09-2021.fits" and derived["original_file_id"]
