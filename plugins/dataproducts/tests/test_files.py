"""Goodman's file catalogue (spec §8; scenarios 31-47): the record, filters and search, proposal visibility,
raw-file protection, lineage and level derivation, the header, downloads, registration."""

from __future__ import annotations

import hashlib

import pytest

from sciplane_dataproducts.fits.header import read_header
from sciplane_dataproducts.samples import goodman_fits

HOST = "http://falconframework.org"
PROPOSAL = "SOAR2020B-008"
RECORD_KEYS = [
    "id", "download_url", "created", "last_modified", "original_file", "original_file_id", "parent_file",
    "parent_file_id", "file_name", "directory_name", "full_path", "obstype", "object", "filter", "filter_2", "grating",
    "slit", "cam_targ", "grt_targ", "airmass", "obsra", "obsdec", "gain", "rdnoise", "roi", "wavmode", "exptime",
    "camera", "binning", "lamp_hg_ar", "lamp_ne", "lamp_ar", "lamp_fe_he_ar", "lamp_cu_he_ar", "lamp_quartz",
    "lamp_quartz_percent", "lamp_bulb", "lamp_dome", "lamp_dome_percent", "seeing", "proposal_id", "observation_id",
    "configuration_id", "block_id", "image_id", "date", "date_time", "data_type", "normalized", "technique",
    "is_usable", "saturation_value", "target", "data_product_type", "size", "sha256"]


def name_in(content: bytes, keyword: str = "GSP_FNAM") -> str:
    return read_header(content).value(keyword)


@pytest.fixture
def send(upload):
    """``send(content, name, user="staff", **fields)`` → the response of a Goodman upload."""
    def post(content, name, user="staff", **fields):
        return upload("/gsp/api/files/", fields, (name, content), user=user)
    return post


def raw(seed=None, camera="Red", proposal=PROPOSAL, **cards):
    return goodman_fits(camera, seed=seed, extra_cards={"PROPID": proposal, **cards})


def test_31_raw_listing_pages(send, gsp):
    for seed in range(25):
        assert send(raw(seed), f"raw{seed:02d}.fits").status_code == 201
    headers = {"Content-Type": "application/json"}
    first = gsp("GET", "files/", user="pi", query="data_type=0", headers=headers).json
    assert first["count"] == 25 and len(first["results"]) == 20
    assert first["next"] == f"{HOST}/gsp/api/files/?data_type=0&page=2" and first["previous"] is None
    assert [r["file_name"] for r in first["results"]][:2] == ["raw24.fits", "raw23.fits"]
    second = gsp("GET", "files/", user="pi", query="data_type=0&page=2").json
    assert len(second["results"]) == 5 and second["next"] is None
    assert second["previous"] == f"{HOST}/gsp/api/files/?data_type=0"
    missing = gsp("GET", "files/", user="pi", query="data_type=0&page=3")
    assert missing.status_code == 404 and missing.json["detail"] == "Invalid page."
    assert gsp("GET", "files/", user="pi", query="data_type=0&page=last").json["results"] == second["results"]


def test_32_record_fields(send, gsp):
    red = send(raw(), "0308_J0220-7022_06-09-2021.fits").json
    blue = send(raw(camera="Blue"), "blue.fits").json
    assert list(red) == RECORD_KEYS
    assert (red["data_type"], red["gain"], red["rdnoise"], red["seeing"]) == ("0", "1.48", "3.89", "-1.00")
    assert (red["saturation_value"], blue["saturation_value"]) == (69257, 49928)
    assert red["created"].endswith("Z") and red["download_url"].startswith("/gsp/downloads/")
    assert red["download_url"].endswith("/RAW/0308_J0220-7022_06-09-2021.fits")
    assert red["proposal_id"] == PROPOSAL and red["technique"] == "Spectroscopy"
    assert isinstance(red["observation_id"], int) and red["is_usable"] is True
    assert gsp("GET", f"files/{red['id']}/", user="staff").json == red


def test_33_search(send, gsp):
    send(raw(OBJECT="ZTF20actqfpc", WAVMODE="400_M2"), "a.fits")
    send(raw(1, proposal="SOAR2021A-001", OBJECT="ZTF20actqfpc", WAVMODE="400_M1"), "b.fits")
    assert gsp("GET", "files/", user="staff", query="search=SOAR2020B").json["count"] == 1
    assert gsp("GET", "files/", user="staff", query="search=ztf20actqfpc").json["count"] == 2
    assert gsp("GET", "files/", user="staff", query="search=ZTF20actqfpc%20400_M2").json["count"] == 1
    assert gsp("GET", "files/", user="staff", query='search="ZTF20actqfpc",400_M2').json["count"] == 1
    assert gsp("GET", "files/", user="staff", query="search=").json["count"] == 2


@pytest.fixture
def catalogue(send):
    """Proposal SOAR2020B-008's raw and reduced files (staff uploads, so bound), another proposal's raw
    file and master calibration, and other's upload claiming SOAR2020B-008."""
    files = {
        "raw": send(raw(), "raw.fits").json,
        "reduced": send(goodman_fits("Red", level=2, extra_cards={"PROPID": PROPOSAL}), "reduced.fits").json,
        "foreign_raw": send(raw(3, proposal="SOAR2019A-001"), "foreign.fits").json,
        "foreign_reduced": send(goodman_fits("Red", seed=3, level=2, extra_cards={"PROPID": "SOAR2019A-001"}),
                                "foreign_reduced.fits").json,
        "calibration": send(goodman_fits("Red", seed=4, level="combined",
                                         extra_cards={"PROPID": "SOAR2019A-001"}), "flat.fits").json,
        "claimed": send(raw(5), "claimed.fits", user="other").json,
    }
    assert all("id" in record for record in files.values()), files
    return {name: record["id"] for name, record in files.items()}


def test_34_proposal_visibility(gsp, api, catalogue):
    seen = {r["id"] for r in gsp("GET", "files/", user="collab1").json["results"]}
    assert seen == {catalogue["raw"], catalogue["reduced"], catalogue["calibration"]}
    foreign = catalogue["foreign_reduced"]
    assert gsp("GET", f"files/{foreign}/", user="collab1").status_code == 404
    assert gsp("GET", "files/header/", user="collab1", query=f"id={foreign}").status_code == 404
    assert gsp("GET", f"files/{foreign}/download/", user="collab1").status_code == 404
    assert gsp("GET", f"files/{catalogue['claimed']}/", user="collab1").status_code == 404
    assert {r["id"] for r in gsp("GET", "files/", user="other").json["results"]} == {
        catalogue["calibration"], catalogue["claimed"]}


def test_35_raw_files_cannot_be_deleted(gsp, catalogue):
    for user in ("pi", "staff"):
        by_query = gsp("DELETE", "files/", user=user, query=f"id={catalogue['raw']}")
        assert by_query.status_code == 403 and by_query.json["code"] == "raw_file_protected"
        assert by_query.json["detail"] == "Raw files cannot be deleted."
        assert gsp("DELETE", f"files/{catalogue['raw']}/", user=user).status_code == 403
    assert gsp("GET", f"files/{catalogue['raw']}/download/", user="pi").status_code == 200
    refused = gsp("DELETE", f"files/{catalogue['reduced']}/", user="collab1")
    assert refused.status_code == 403 and refused.json["code"] == "permission_denied"
    assert gsp("DELETE", "files/", user="pi", body={"id": catalogue["reduced"]}).status_code == 204
    missing = gsp("DELETE", "files/", user="pi")
    assert missing.status_code == 400 and missing.json["id"] == ["This field is required."]


def test_37_header(send, gsp, catalogue):
    resp = gsp("GET", "files/header/", user="pi", query=f"id={catalogue['raw']}")
    body = resp.json
    assert resp.status_code == 200 and body["id"] == catalogue["raw"] and body["file_name"] == "raw.fits"
    cards = {card["keyword"]: card for card in body["header"]}
    assert body["header"][0]["keyword"] == "SIMPLE" and cards["SIMPLE"]["value"] is True
    assert cards["GAIN"]["value"] == 1.48 and isinstance(cards["NAXIS"]["value"], int)
    assert gsp("GET", "files/header/", user="pi").status_code == 400
    assert gsp("GET", "files/header/", user="pi", query="id=abc").status_code == 400
    unknown = gsp("GET", "files/header/", user="pi", query="id=1&x=2")
    assert unknown.status_code == 400 and unknown.json["code"] == "unknown_filter"


def test_38_exact_filters(send, gsp):
    red = send(raw(), "red.fits").json["id"]
    blue = send(raw(camera="Blue", SLIT="0.45_LONG_SLIT"), "blue.fits").json["id"]

    def ids(query):
        resp = gsp("GET", "files/", user="staff", query=query)
        assert resp.status_code == 200, resp.json
        return [r["id"] for r in resp.json["results"]]
    assert ids("slit=1.0_LONG_SLIT&wavmode=400_M1&data_type=0") == [red]
    assert ids("saturation_value=69257") == [red] and ids("gain=1.480") == [red]
    assert ids("camera=Blue") == [blue] and ids("data_type=1") == []
    bad = gsp("GET", "files/", user="staff", query="data_type=7")
    assert bad.status_code == 400 and bad.json["data_type"] == ['"7" is not a valid choice.']
    assert gsp("GET", "files/", user="staff", query="slits=x").json["code"] == "unknown_filter"


def test_39_lineage(send, gsp):
    raw_bytes = raw()
    original = name_in(goodman_fits("Red", level=2), "GSP_ONAM")
    r = send(raw_bytes, original).json
    assert r["original_file_id"] == r["parent_file_id"] == r["id"]
    assert r["original_file"] == r["parent_file"] == original
    reduced = goodman_fits("Red", level=2, extra_cards={"PROPID": PROPOSAL})
    derived = send(reduced, name_in(reduced)).json
    assert (derived["parent_file_id"], derived["original_file_id"]) == (r["id"], r["id"])
    extracted = goodman_fits("Red", level=3, extra_cards={"PROPID": PROPOSAL})
    child = send(extracted, name_in(extracted)).json
    assert child["parent_file_id"] == derived["id"] and child["original_file_id"] == r["id"]
    flat = send(goodman_fits("Red", level="combined"), "flat.fits").json
    assert (flat["parent_file"], flat["parent_file_id"], flat["data_type"]) == ("combined", None, "1")
    assert flat["original_file_id"] == flat["id"]
    assert gsp("DELETE", f"files/{derived['id']}/", user="staff").status_code == 204
    assert gsp("GET", f"files/{r['id']}/", user="staff").json == r
    orphan = gsp("GET", f"files/{child['id']}/", user="staff").json
    assert orphan["parent_file_id"] is None and orphan["parent_file"] == derived["file_name"]


@pytest.mark.parametrize(("content", "fields", "level"), [
    (goodman_fits("Red"), {}, "0"),
    (goodman_fits("Red", level="combined"), {}, "1"),
    (goodman_fits("Red", level=2, drop=["GSP_PNAM", "GSP_ONAM"]), {}, "2"),
    (goodman_fits("Red", level=3), {}, "3"),
    (goodman_fits("Red", level=4), {}, "4"),
    (goodman_fits("Red", extra_cards={"RLEVEL": 62}), {}, "2"),
    (goodman_fits("Red"), {"data_type": "5"}, "5"),
])
def test_40_level_derivation(send, content, fields, level):
    resp = send(content, "file.fits", **fields)
    assert resp.status_code == 201 and resp.json["data_type"] == level


@pytest.mark.parametrize(("cards", "drop", "technique"), [
    ({"ROI": "Spectroscopic 2x2"}, [], "Spectroscopy"),
    ({"OBSTYPE": "EXPOSE", "SLIT": "<NO MASK>", "GRATING": "<NO GRATING>", "WAVMODE": "IMAGING",
      "ROI": "user-defined"}, [], "Imaging"),
    ({"OBSTYPE": "BIAS", "ROI": "user-defined", "WAVMODE": "400_M1", "OBJECT": "bias"}, ["SLIT", "GRATING"],
     "Unknown"),
])
def test_41_technique(send, cards, drop, technique):
    resp = send(goodman_fits("Red", extra_cards=cards, drop=drop), "t.fits")
    assert resp.status_code == 201 and resp.json["technique"] == technique


def test_42_download_path(send, api, catalogue):
    record = send(raw(9), "path.fits").json
    url = record["download_url"]
    got = api("GET", url, user="pi")
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == record["sha256"]
    assert got.headers["content-type"] == "application/fits"
    for path in (url, f"/gsp/api/files/{record['id']}/download/"):  # HEAD: the headers of that answer, no body
        head = api("HEAD", path, user="pi")
        assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", str(len(got.content)))
    parts = url.split("/")
    parts[4] = "19990101"
    assert api("GET", "/".join(parts), user="pi").status_code == 404
    assert api("GET", url, user="other").status_code == 404
    assert api("GET", url, user=None).status_code == 401


def test_43_44_not_fits_and_duplicates(send, app):
    not_fits = send(b"time,mag\n1,2\n", "lc.csv")
    assert not_fits.status_code == 400 and not_fits.json["file"] == ["Not a FITS file."]
    first = send(raw(), "same.fits")
    again = send(raw(), "same.fits")
    assert first.status_code == 201 and again.status_code == 409
    assert again.json["code"] == "duplicate_file" and again.json["existing_id"] == first.json["id"]
    assert len(list(app.sciplane.blobs.get("files").keys())) == 1


def test_45_registration(gsp, app):
    store = app.sciplane.blobs.get("files")
    content = raw()
    import io
    store.put("raw/20210907/0308_J0220-7022_06-09-2021.fits", io.BytesIO(content))
    body = {"blob_key": "raw/20210907/0308_J0220-7022_06-09-2021.fits", "proposal_id": PROPOSAL}
    assert gsp("POST", "files/", user="pi", body=body).status_code == 403
    made = gsp("POST", "files/", user="staff", body=body)
    assert made.status_code == 201, made.json
    assert made.json["sha256"] == hashlib.sha256(content).hexdigest()
    assert made.json["file_name"] == "0308_J0220-7022_06-09-2021.fits"
    unknown = gsp("POST", "files/", user="staff", body={"blob_key": "raw/none.fits"})
    assert unknown.status_code == 400 and unknown.json["blob_key"] == ["No such blob."]
    assert gsp("POST", "files/", user="staff", body=body).json["code"] == "duplicate_file"
    assert gsp("POST", "files/", user="staff", data=b"x", headers={"Content-Type": "text/plain"}).status_code == 415


def test_46_unported_actions(gsp):
    resp = gsp("POST", "files/reduce/", user="pi")
    assert resp.status_code == 501 and resp.json["code"] == "not_implemented"
    assert gsp("GET", "files/spectrum/calibrate/wavelength/", user="pi").status_code == 501


def test_47_tolerant_headers(send):
    resp = send(goodman_fits("Red", noncompliant=True, with_end=False), "odd.fits")
    assert resp.status_code == 201, resp.json
    assert (resp.json["camera"], resp.json["gain"], resp.json["saturation_value"]) == ("Red", "1.48", 69257)


def test_files_admitted_by_several_rules_are_listed_once(send, gsp):
    """pi's own uploads to pi's proposal are admitted as pi's and as the proposal's; a master calibration of
    the proposal also as a public calibration: each is counted and listed once, pages in order."""
    for seed in range(4):
        assert send(raw(seed), f"own{seed}.fits", user="pi").status_code == 201
        assert send(raw(10 + seed), f"staff{seed}.fits").status_code == 201
    assert send(goodman_fits("Red", level="combined", extra_cards={"PROPID": PROPOSAL}), "flat.fits",
                user="pi").status_code == 201
    names = []
    for page in (1, 2, 3):
        body = gsp("GET", "files/", user="pi", query=f"page={page}&page_size=4").json
        assert body["count"] == 9
        names += [r["file_name"] for r in body["results"]]
    assert names == ["flat.fits", "staff3.fits", "own3.fits", "staff2.fits", "own2.fits", "staff1.fits", "own1.fits",
                     "staff0.fits", "own0.fits"]
    offsets = gsp("GET", "files/", user="pi", query="limit=3&offset=6&ordering=file_name").json
    assert [r["file_name"] for r in offsets["results"]] == ["staff1.fits", "staff2.fits", "staff3.fits"]


@pytest.mark.parametrize(("ordering", "expected"), [("date", ["early", "late", "undated"]),
                                                    ("-date", ["undated", "late", "early"])])
def test_files_without_a_date_sort_as_the_latest(send, gsp, ordering, expected):
    """A file whose header has no date sorts after every dated one (before them, descending), on both engines."""
    for name, seed, dates in (("late", 1, {"DATE": "2021-06-09", "DATE-OBS": "2021-06-09T01:00:00"}),
                              ("undated", 2, None),
                              ("early", 3, {"DATE": "2020-01-02", "DATE-OBS": "2020-01-02T01:00:00"})):
        content = raw(seed, **dates) if dates else goodman_fits("Red", seed=seed, extra_cards={"PROPID": PROPOSAL},
                                                                drop=("DATE", "DATE-OBS"))
        assert send(content, f"{name}.fits").status_code == 201
    body = gsp("GET", "files/", user="pi", query=f"ordering={ordering}").json
    assert [r["file_name"] for r in body["results"]] == [f"{name}.fits" for name in expected]
    assert [r["date"] is None for r in body["results"]] == [name == "undated" for name in expected]


def test_undated_files_sort_last_for_every_caller_and_page(send, gsp):
    """A caller who is not staff sees files admitted by several rules (its own, public calibrations), merged
    page by page: the merge keeps the ordering's NULL placement."""
    for number, day in enumerate(("2021-01-01", "2021-01-02", "2021-01-03")):
        cards = {"DATE": day, "DATE-OBS": f"{day}T00:00:00"}
        assert send(goodman_fits("Red", seed=20 + number, level=2, extra_cards=cards), f"d{number}.fits",
                    user="other").status_code == 201
    assert send(goodman_fits("Red", seed=30, level="combined", drop={"DATE", "DATE-OBS"}), "undated.fits",
                user="staff").status_code == 201
    for user in ("staff", "other"):
        pages = [[r["file_name"] for r in gsp("GET", "files/", user=user,
                                               query=f"ordering=date&page_size=2&page={page}").json["results"]]
                 for page in (1, 2)]
        assert pages == [["d0.fits", "d1.fits"], ["d2.fits", "undated.fits"]], user
        first = gsp("GET", "files/", user=user, query="ordering=-date&page_size=2").json["results"]
        assert [r["file_name"] for r in first] == ["undated.fits", "d2.fits"], user
