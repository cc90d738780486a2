"""TOM's data products (spec §7.2, §7.4, §9; scenarios 1-7, 12-17, 23-25, 28-30): uploads streamed to the
blob store, processing all-or-nothing, filters, the header and the download."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from sciplane_dataproducts.models import CHANGE, GROUP, TARGET, VIEW, Datum, Grant, ObservationRecord, Product
from sciplane_dataproducts.samples import goodman_fits, spectrum_fits

CSV = b"time,filter,magnitude,error\n55959.07,r,15.582,0.005\n55960.07,V,15.676,0.007\n55960.07,r,15.676,0.007\n"
HOST = "http://falconframework.org"
TYPES = "photometry, fits_file, spectroscopy, image_file"


@pytest.fixture
def target(tom, world):
    """T, the owner's, with two aliases; collab (owner, member) holds view and change on it, not delete."""
    body = {"name": "T", "type": "SIDEREAL", "ra": 1.0, "dec": 2.0,
            "aliases": [{"name": "Alias One"}, {"name": "ZTF24abc"}]}
    ident = tom("POST", "targets/", body=body).json["id"]
    for perm in (VIEW, CHANGE):
        Grant.create(object_type=TARGET, object_id=ident, grantee_type=GROUP, grantee_id=world["collab"], perm=perm)
    return ident


@pytest.fixture
def record(target):
    return ObservationRecord.create(target=target, facility="LCO", observation_id="obs-1").id


@pytest.fixture
def store(app):
    return app.sciplane.blobs.get("files")


@pytest.fixture
def post(upload):
    def send(fields, file=("lc.csv", CSV), user="owner", **kwargs):
        return upload("/tom/api/dataproducts/", fields, file, user=user, **kwargs)
    return send


def photometry(target, **fields):
    return {"target": target, "data_product_type": "photometry", **fields}


def counts(store) -> tuple[int, int, int]:
    return Product.select().count(), Datum.select().count(), len(list(store.keys()))


def test_01_upload_photometry(post, tom, target, store):
    resp = post(photometry(target, product_id="pid1"))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["message"] == "Data product successfully uploaded." and body["datums_created"] == 3
    assert body["datums_skipped"] == 0 and body["reduceddatum_count"] == 3
    assert [list(d)[0] for d in body["reduceddatum_set"]] == ["id"] * 3
    assert list(body)[:11] == ["id", "product_id", "target", "observation_record", "data", "extra_data",
                               "data_product_type", "reduceddatum_set", "groups", "reduceddatum_count",
                               "reduceddatums"]
    assert body["data"] == f"{HOST}/tom/api/dataproducts/{body['id']}/download/"
    assert body["reduceddatums"] == f"{HOST}/tom/api/reduceddatums/?data_product__id={body['id']}"
    assert body["sha256"] == hashlib.sha256(CSV).hexdigest() and body["size"] == len(CSV)
    assert body["file_name"] == "lc.csv"
    listed = tom("GET", "dataproducts/").json
    assert [p["product_id"] for p in listed["results"]] == ["pid1"]
    datums = tom("GET", "reduceddatums/", query=f"data_product__id={body['id']}").json
    assert datums["count"] == 3
    expected = [dt.datetime(2012, 2, 2, 1, 40, 48), dt.datetime(2012, 2, 3, 1, 40, 48),
                dt.datetime(2012, 2, 3, 1, 40, 48)]
    for datum, when in zip(datums["results"], expected, strict=True):
        stamp = dt.datetime.fromisoformat(datum["timestamp"].rstrip("Z"))
        assert abs((stamp - when).total_seconds()) < 0.001
        assert set(datum["value"]) == {"time", "filter", "magnitude", "error"}
    assert counts(store) == (1, 3, 1)


def test_02_facility_from_the_observation_record(post, tom, target, record):
    resp = post(photometry(target, observation_record=record))
    assert resp.status_code == 201 and resp.json["observation_record"] == record
    assert tom("GET", "dataproducts/", query="facility=LCO").json["count"] == 1
    assert tom("GET", "dataproducts/", query="facility=SOAR").json["count"] == 0  # a facility without products
    both = post(photometry(target, observation_record=record, facility="SOAR"), file=("b.csv", CSV))
    assert both.status_code == 400 and "facility" in both.json


def test_03_invalid_type_leaves_nothing(post, target, store):
    resp = post(photometry(target, data_product_type="invalid"))
    assert resp.status_code == 400 and resp.headers["content-type"] == "application/json"
    assert resp.json["data_product_type"] == [f"Not a valid data_product_type. Valid data_product_types are {TYPES}."]
    assert counts(store) == (0, 0, 0)


def test_04_processing_failure_rolls_back(post, target, store):
    resp = post(photometry(target, data_product_type="spectroscopy"))
    assert resp.status_code == 422 and resp.json["code"] == "processing_failed"
    message = "Spectroscopy file has no 'wavelength' and 'flux' columns."
    assert resp.json["Data processing error"] == message and resp.json["detail"] == message
    assert counts(store) == (0, 0, 0)


def test_05_07_duplicate_product_id_and_reupload(post, tom, target, store):
    assert post(photometry(target, product_id="pid1")).status_code == 201
    again = post(photometry(target, product_id="pid1"))
    assert again.status_code == 400
    assert again.json["product_id"] == ["data product with this product id already exists."]
    assert counts(store) == (1, 3, 1)
    second = post(photometry(target, product_id="pid2"))
    assert second.status_code == 201
    assert (second.json["datums_created"], second.json["datums_skipped"]) == (0, 3)
    assert tom("GET", "reduceddatums/", query=f"target__id={target}").json["count"] == 3
    assert counts(store) == (2, 3, 2)


def test_05_refusal_after_the_file_part_removes_the_blob(post, target, store):
    assert post(photometry(target, product_id="pid1")).status_code == 201
    late = post(photometry(target, product_id="pid1"), file_first=True)
    assert late.status_code == 400 and "product_id" in late.json
    assert counts(store) == (1, 3, 1)


def test_06_missing_and_empty_files(post, target, store):
    missing = post(photometry(target), file=None)
    assert missing.status_code == 400 and missing.json["file"] == ["No file was submitted."]
    empty = post(photometry(target), file=("empty.csv", b""))
    assert empty.status_code == 400 and empty.json["file"] == ["The submitted file is empty."]
    unknown = post(photometry(target, colour="blue"))
    assert unknown.status_code == 400 and unknown.json["colour"] == ["Unknown field."]
    assert counts(store) == (0, 0, 0)


def test_12_13_no_view_and_view_without_delete(post, tom, target):
    product = post(photometry(target)).json
    datum_id = product["reduceddatum_set"][0]["id"]
    assert tom("GET", "dataproducts/", user="other").json["count"] == 0
    assert tom("GET", "reduceddatums/", user="other").json["count"] == 0
    assert tom("DELETE", f"dataproducts/{product['id']}/", user="other").status_code == 404
    assert tom("DELETE", f"reduceddatums/{datum_id}/", user="other").status_code == 404
    assert tom("GET", f"reduceddatums/{datum_id}/", user="other").status_code == 404
    refused = tom("DELETE", f"dataproducts/{product['id']}/", user="member")
    assert refused.status_code == 403 and refused.json["code"] == "permission_denied"
    assert Product.select().count() == 1 and Datum.select().count() == 3


@pytest.mark.parametrize("dp_settings", [{"target_permissions_only": False}])
def test_14_groups_in_mode_b(post, tom, target, world):
    made = post(photometry(target, groups="collab"))
    assert made.status_code == 201 and made.json["groups"] == [{"id": world["collab"], "name": "collab"}]
    shared = made.json
    private = post(photometry(target), file=("other.csv", CSV.replace(b"r,", b"i,"))).json
    assert private["groups"] == []
    for user, ids in (("member", [shared["id"]]), ("other", []), ("owner", [private["id"], shared["id"]]),
                      ("staff", [private["id"], shared["id"]])):
        assert [p["id"] for p in tom("GET", "dataproducts/", user=user).json["results"]] == ids
        for product in (shared["id"], private["id"]):  # detail and download agree with the list
            for path in (f"dataproducts/{product}/", f"dataproducts/{product}/download/"):
                resp = tom("GET", path, user=user)
                assert resp.status_code == (200 if product in ids else 404), (user, path)
    hidden = tom("GET", f"dataproducts/{shared['id']}/download/", user="other")
    assert hidden.headers["content-type"] == "application/json"
    assert hidden.json["detail"] == "No DataProduct matches the given query."
    refused = post(photometry(target, groups="nope"), file=("x.csv", CSV))
    assert refused.status_code == 400
    assert refused.json["groups"] == ['Invalid group "nope": not found or you are not a member.']


def test_14_groups_as_a_json_list(post, target, world):
    resp = post(photometry(target, groups=f'[{world["collab"]}, {{"name": "collab"}}]'))
    assert resp.status_code == 201 and resp.json["groups"] == [{"id": world["collab"], "name": "collab"}]


def test_15_anonymous(post, tom, target):
    product = post(photometry(target)).json
    for path in ("dataproducts/", f"dataproducts/{product['id']}/", f"dataproducts/{product['id']}/download/",
                 f"dataproducts/{product['id']}/header/"):
        resp = tom("GET", path, user=None)
        assert resp.status_code == 401 and resp.headers["www-authenticate"]
        assert resp.json["detail"] == "Authentication credentials were not provided."
    assert post(photometry(target), user=None).status_code == 401


@pytest.mark.parametrize("dp_settings", [{"anonymous_read": True}])
def test_15_anonymous_read_of_open_targets(post, tom, target):
    assert post(photometry(target)).status_code == 201
    assert tom("GET", "dataproducts/", user=None).json["count"] == 0
    tom("PATCH", f"targets/{target}/", body={"permissions": "OPEN"})
    assert tom("GET", "dataproducts/", user=None).json["count"] == 1
    assert post(photometry(target), user=None).status_code == 401


def test_16_options(tom):
    resp = tom("OPTIONS", "dataproducts/", user=None)
    assert resp.status_code == 200
    assert set(resp.json["actions"]["POST"]) >= {"file", "target", "data_product_type", "product_id",
                                                 "observation_record", "facility", "extra_data", "groups"}
    assert set(resp.json["filters"]) == {"target_name", "facility", "data_product_type", "product_id", "target__id"}
    choices = [c["value"] for c in resp.json["actions"]["POST"]["data_product_type"]["choices"]]
    assert choices == TYPES.split(", ")


def test_17_json_is_not_an_upload(tom, target):
    resp = tom("POST", "dataproducts/", body={"target": target})
    assert resp.status_code == 415 and resp.json["detail"] == 'Unsupported media type "application/json" in request.'


@pytest.mark.parametrize("dp_settings", [{"max_upload_bytes": 1 << 20}])
def test_23_upload_limit(api, encode, target, store):
    body, headers = encode(photometry(target), ("big.csv", b"x" * (2 << 20)))
    resp = api("POST", "/tom/api/dataproducts/", data=body, headers=headers)
    assert resp.status_code == 413 and resp.json["code"] == "payload_too_large" and resp.json["max_bytes"] > 0
    assert counts(store) == (0, 0, 0)


@pytest.mark.parametrize("dp_settings", [{"max_upload_bytes": 1 << 20}])
def test_23_chunked_upload_limit(app, world, encode, target, store):
    from sciplane.testing import call_wsgi

    body, headers = encode(photometry(target), ("big.csv", b"x" * (2 << 20)))
    headers.update({"Authorization": f"Token {world['tokens']['owner']}", "Transfer-Encoding": "chunked"})
    resp = call_wsgi(app, "POST", "/tom/api/dataproducts/", body=body, headers=headers, chunked=True)
    assert resp.status_code == 413 and resp.json["max_bytes"] == 1 << 20
    assert resp.headers.get("connection") == "close"
    assert counts(store) == (0, 0, 0) and not list(store.root.rglob(".upload-*"))


def test_24_fits_file_header_and_goodman_record(post, tom, gsp, target):
    resp = post({"target": target, "data_product_type": "fits_file"}, file=("red.fits", goodman_fits("Red")))
    assert resp.status_code == 201 and resp.json["reduceddatum_count"] == 0
    header = tom("GET", f"dataproducts/{resp.json['id']}/header/").json
    assert header["header"][0] == {"keyword": "SIMPLE", "value": True, "comment": header["header"][0]["comment"]}
    keywords = [card["keyword"] for card in header["header"]]
    assert keywords.index("INSTCONF") < keywords.index("GAIN")
    record = gsp("GET", f"files/{resp.json['id']}/").json
    assert (record["camera"], record["gain"], record["saturation_value"]) == ("Red", "1.48", 69257)
    csv_header = tom("GET", f"dataproducts/{post(photometry(target), file=('a.csv', CSV)).json['id']}/header/")
    assert csv_header.json["header"] == []


def test_25_spectrum(post, target):
    resp = post({"target": target, "data_product_type": "spectroscopy"}, file=("spec.fits", spectrum_fits()))
    assert resp.status_code == 201 and resp.json["datums_created"] == 1
    value = resp.json["reduceddatum_set"][0]["value"]
    assert len(value["flux"]) == len(value["wavelength"]) == 100
    assert (value["wavelength"][0], value["wavelength"][99]) == (4000, 4198)
    assert value["wavelength_units"] == "Angstrom"


def test_28_29_download_and_delete(api, post, tom, target, store):
    product = post(photometry(target)).json
    path = f"/tom/api/dataproducts/{product['id']}/download/"
    got = api("GET", path)
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == product["sha256"]
    assert got.headers["content-disposition"] == 'attachment; filename="lc.csv"'
    assert got.headers["etag"] == f'"{product["sha256"]}"' and got.headers["content-type"] == "text/csv"
    part = api("GET", path, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == CSV[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(CSV)}"
    assert api("GET", path, headers={"Range": "bytes=9999-"}).status_code == 416
    head = api("HEAD", path)
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(CSV))
    assert tom("DELETE", f"dataproducts/{product['id']}/").status_code == 204
    assert tom("GET", "reduceddatums/", query=f"data_product__id={product['id']}").json["count"] == 0
    assert api("GET", path).status_code == 404
    assert counts(store) == (0, 0, 0)


class Exploding:
    """A processor that fails the way a bug would, with something secret in its message."""

    plugin_name = "exploding"

    from sciplane import hookimpl

    @hookimpl
    def dp_process(self, product, blob, settings):
        raise RuntimeError("secret sql")


@pytest.mark.parametrize("extra_plugins", [[Exploding()]])
def test_30_unexpected_processor_error(post, target, store):
    resp = post(photometry(target))
    assert resp.status_code == 422 and resp.json["code"] == "processing_failed"
    assert resp.json["detail"] == ("There was an error in processing your DataProduct into individual ReducedDatum "
                                   "objects.")
    assert resp.json["error_id"] and "secret" not in resp.text
    assert counts(store) == (0, 0, 0)


@pytest.mark.parametrize("dp_settings", [{"ingest_chunk_rows": 2}])
def test_duplicates_within_a_file_and_across_chunks(post, tom, target):
    first = post(photometry(target), file=("a.csv", CSV))
    assert (first.json["datums_created"], first.json["datums_skipped"]) == (3, 0)
    # Rows 1 and 3 are stored already, row 4 repeats row 2 of this file, in another chunk (2 rows a chunk).
    overlap = CSV + b"55961.07,r,15.7,0.01\n55961.07,r,15.7,0.01\n"
    second = post(photometry(target), file=("b.csv", overlap))
    assert (second.json["datums_created"], second.json["datums_skipped"]) == (1, 4)
    assert tom("GET", "reduceddatums/", query=f"target__id={target}").json["count"] == 4


@pytest.mark.parametrize("dp_settings", [{"ingest_chunk_rows": 2}])
def test_a_bad_row_after_stored_chunks_leaves_nothing(post, target, store):
    bad = CSV + b"55962.07,r,15.8,0.01\nsoon,r,15.9,0.01\n"
    resp = post(photometry(target), file=("bad.csv", bad))
    assert resp.status_code == 422 and resp.json["detail"] == "Row 5: time value 'soon' is not a number."
    assert counts(store) == (0, 0, 0)


@pytest.mark.parametrize("dp_settings", [{"nested_datum_limit": 2}])
def test_nested_datums_are_capped(post, tom, target):
    made = post(photometry(target), file=("a.csv", CSV)).json
    other = post(photometry(target), file=("b.csv", CSV.replace(b"55959.07", b"55950.5"))).json
    assert [len(made["reduceddatum_set"]), made["reduceddatum_count"]] == [2, 3]
    listed = {p["id"]: p for p in tom("GET", "dataproducts/").json["results"]}
    first = [d["timestamp"][:10] for d in listed[made["id"]]["reduceddatum_set"]]
    assert first == ["2012-02-02", "2012-02-03"] and listed[made["id"]]["reduceddatum_count"] == 3
    assert (len(listed[other["id"]]["reduceddatum_set"]), listed[other["id"]]["reduceddatum_count"]) == (1, 1)


def test_10_distinct_names_on_products(post, tom, target):
    """A product whose target matches by name and by both aliases is listed once (D4)."""
    made = post(photometry(target)).json
    for query in ("target_name=T", "target_name=ztf24", "target_name=alias one", "target_name=a"):
        listed = tom("GET", "dataproducts/", query=query).json
        assert (listed["count"], [p["id"] for p in listed["results"]]) == (1, [made["id"]]), query
    assert tom("GET", "dataproducts/", query="target_name=nomatch").json["count"] == 0
    assert tom("GET", "dataproducts/", query=f"target__id={target}&product_id=none").json["count"] == 0


def test_the_stored_datum_count_follows_every_write(post, tom, target, app):
    """``reduceddatum_count`` is stored on the product: an upload, a bulk post (new datums, duplicates, datums of
    another product and of none) and a delete each move it by what they stored or removed; migration 0004 counts
    the datums already there."""
    import importlib

    from sciplane import database

    first = post(photometry(target), file=("a.csv", CSV)).json
    second = post(photometry(target), file=("b.csv", CSV.replace(b"5595", b"5585").replace(b"5596", b"5586"))).json

    def point(product, day, magnitude):
        return {"target": target, "data_product": product, "data_type": "photometry", "source_name": "",
                "timestamp": f"2013-01-{day:02d}T00:00:00Z", "value": {"magnitude": magnitude}}

    bulk = [point(first["id"], 1, 14.0), point(first["id"], 2, 14.1), point(first["id"], 1, 14.0),
            point(second["id"], 3, 14.2), point(None, 4, 14.3)]
    posted = tom("POST", "reduceddatums/", body=bulk)
    assert posted.status_code == 201 and (posted.json["created"], posted.json["duplicates"]) == (4, 1)
    some = tom("GET", "reduceddatums/", query=f"data_product__id={first['id']}&limit=1").json["results"][0]
    assert tom("DELETE", f"reduceddatums/{some['id']}/").status_code == 204
    assert tom("DELETE", f"reduceddatums/{some['id']}/").status_code == 404  # counted once

    def listed() -> dict[int, int]:
        return {p["id"]: p["reduceddatum_count"] for p in tom("GET", "dataproducts/").json["results"]}

    def stored(product: int) -> int:
        return tom("GET", "reduceddatums/", query=f"data_product__id={product}").json["count"]

    assert listed() == {first["id"]: 3 + 2 - 1, second["id"]: 3 + 1}
    assert all(count == stored(product) for product, count in listed().items())
    assert tom("GET", f"dataproducts/{first['id']}/").json["reduceddatum_count"] == 4

    migration = importlib.import_module("sciplane_dataproducts.migrations.0004_product_datum_count")
    with app.sciplane.database.connection_context():
        migration.down(None, database)
        migration.up(None, database)
    assert listed() == {first["id"]: 4, second["id"]: 4}


def test_writers_of_one_products_datums_take_turns(post, tom, target):
    """Six bulk posts to one product at once, and deletes of one of its datums and of another product racing
    them: every post lands (each product row is locked before its datums, in every writer), and the stored
    counts equal the datums."""
    import threading

    product = post(photometry(target), file=("a.csv", CSV)).json
    doomed = post(photometry(target), file=("b.csv", CSV.replace(b"5595", b"5585").replace(b"5596", b"5586"))).json
    victim = tom("GET", "reduceddatums/", query=f"data_product__id={product['id']}&limit=1").json["results"][0]

    def points(batch: int) -> list[dict]:
        return [{"target": target, "data_product": product["id"], "data_type": "photometry", "source_name": "",
                 "timestamp": f"2014-01-01T{batch:02d}:{minute:02d}:00Z", "value": {"m": 1}} for minute in range(40)]

    answers: list[int] = []
    calls = [lambda batch=batch: answers.append(tom("POST", "reduceddatums/", body=points(batch)).status_code)
             for batch in range(6)]
    calls += [lambda: answers.append(tom("DELETE", f"reduceddatums/{victim['id']}/").status_code),
              lambda: answers.append(tom("DELETE", f"dataproducts/{doomed['id']}/").status_code)]
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [201] * 6 + [204, 204], answers
    stored = tom("GET", "reduceddatums/", query=f"data_product__id={product['id']}").json["count"]
    assert stored == 3 + 6 * 40 - 1
    assert tom("GET", f"dataproducts/{product['id']}/").json["reduceddatum_count"] == stored
