"""Scenarios 1-5: the parser map, file registration by path, and discovery."""

from __future__ import annotations

import os
import threading

import pytest

from sciplane_dqm.testing import CSV_1D, CSV_2D, ROOT_SMALL, expect, file_row_held

KEYS = [("csv", 1, "lum"), ("csv", 2, "lum"), ("nanodqm", 1, "lum"), ("nanodqm", 1, "run"), ("nanodqm", 2, "lum"),
        ("nanodqm", 2, "run")]


def test_01_parsers(api):
    parsers = expect(api.get("parsers/"), 200)
    assert [(p["filetype"], p["dimensionality"], p["granularity"]) for p in parsers] == KEYS
    assert {p["plugin"] for p in parsers} == {"histograms_csv", "nanodqm"}
    assert all(p["aliases"] == (["root"] if p["filetype"] == "nanodqm" else []) for p in parsers)
    assert all(p["version"] == "1.0.0" for p in parsers)


def test_02_register_csv(api, data_root):
    result = api.post("files/", {"filepath": str(data_root / CSV_1D), "data_era": "2018A"})
    file = expect(result, 201)
    assert result.headers["location"] == f"/api/dqm/files/{file['id']}/"
    assert result.headers["cache-control"] == "no-store"
    assert {k: file[k] for k in ("filetype", "filesize", "status", "entries_total", "percentage_processed",
                                 "jobs", "data_era")} == {
        "filetype": "csv", "filesize": 5666, "status": "new", "entries_total": 0, "percentage_processed": 0.0,
        "jobs": [], "data_era": "2018A"}
    assert file["histograms"] == {"lum_1d": 0, "lum_2d": 0, "run_1d": 0, "run_2d": 0}
    assert file["created"].endswith("Z")
    again = expect(api.post("files/", {"filepath": str(data_root / CSV_1D)}), 409)
    assert again["code"] == "file_exists" and again["existing_id"] == file["id"]
    assert expect(api.get(f"files/{file['id']}"), 200) == expect(api.get(f"files/{file['id']}/"), 200)


def test_03_root_files_are_nanodqm(api, data_root):
    assert api.register(data_root / ROOT_SMALL)["filetype"] == "nanodqm"
    copy = data_root / "copy.root"
    copy.write_bytes((data_root / ROOT_SMALL).read_bytes())
    assert api.register(copy, filetype="root")["filetype"] == "nanodqm"
    assert len(expect(api.get("files/", "filetype=root"), 200)["results"]) == 2


def test_04_paths_outside_roots_and_bad_input(api, data_root, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_bytes((data_root / CSV_1D).read_bytes())
    link = data_root / "link.csv"
    os.symlink(outside, link)
    for path in (outside, f"{data_root}/../outside.csv", link):
        assert expect(api.post("files/", {"filepath": str(path)}), 422)["code"] == "path_not_allowed"
    assert expect(api.post("files/", {"filepath": str(data_root / "nope.csv")}), 422)["code"] == "file_not_found"
    text = data_root / "foo.txt"
    text.write_text("x")
    unknown = expect(api.post("files/", {"filepath": str(text)}), 422)
    assert unknown["code"] == "unknown_filetype" and unknown["filetypes"] == ["csv", "nanodqm"]
    missing = expect(api.post("files/", {"data_era": "2018A"}), 422)
    assert missing["code"] == "validation_failed" and "filepath" in missing["errors"]["json"]
    extra = expect(api.post("files/", {"filepath": str(data_root / CSV_1D), "filesize": 3}), 422)
    assert extra["code"] == "validation_failed"
    relative = expect(api.post("files/", {"filepath": CSV_1D}), 422)
    assert relative["code"] == "validation_failed"
    deep = data_root.joinpath(*["\U0001F600" * 60] * 9, "x.csv")  # 549 characters, 2,171 bytes
    assert expect(api.post("files/", {"filepath": str(deep)}), 422)["code"] == "path_too_long"
    good = str(data_root / CSV_1D)
    for body in ({"filepath": f"{good}\x00.root"}, {"filepath": good, "data_era": "\x00"},
                 {"filepath": good, "filetype": "csv\x00"}):
        nul = expect(api.post("files/", body), 422)
        assert nul["code"] == "validation_failed" and "must not contain NUL" in str(nul["errors"]), body
        if "filetype" not in body:  # the playground reads filepath and data_era only
            assert expect(api.post("playground/histogram_data_files/", body), 422)["code"] == "validation_failed"
    assert expect(api.get("files/"), 200)["results"] == []


def test_05_discover(api, data_root, bench_file):
    """The data root holds the fixtures: two CSVs and two ROOT files."""
    result = api.post("files/discover/")
    found = expect(result, 200)
    assert result.headers["cache-control"] == "no-store"
    assert (found["registered"], found["truncated"]) == (4, False)
    listed = {os.path.basename(f["filepath"]): f for f in expect(api.get("files/"), 200)["results"]}
    assert set(listed) == {CSV_1D, CSV_2D, ROOT_SMALL, bench_file.name}
    assert [listed[name]["data_era"] for name in (CSV_1D, CSV_2D, ROOT_SMALL, bench_file.name)] == [
        "2018A", "2018A", "", ""]
    assert [listed[name]["filetype"] for name in (CSV_1D, ROOT_SMALL, bench_file.name)] == ["csv", "nanodqm",
                                                                                          "nanodqm"]
    assert expect(api.post("files/discover/"), 200)["registered"] == 0
    assert expect(api.get("playground/histogram_data_files/discover/"), 202) is not None
    assert expect(api.post("files/discover/", query="root=/etc"), 422)["code"] == "validation_failed"  # none taken


def test_file_list_filters_and_delete(api, data_root):
    one = api.register(data_root / CSV_1D, data_era="2018A")
    two = api.register(data_root / ROOT_SMALL)
    assert [f["id"] for f in expect(api.get("files/", "filepath__contains=zerobias"), 200)["results"]] == [one["id"]]
    assert [f["id"] for f in expect(api.get("files/", "data_era=2018A"), 200)["results"]] == [one["id"]]
    assert [f["id"] for f in expect(api.get("files/", "status=new&page_size=1"), 200)["results"]] == [one["id"]]
    page = expect(api.get("files/", "page_size=1"), 200)
    assert page["next"] and page["previous"] is None
    assert expect(api.get("files/", "bogus=1"), 422)["code"] == "validation_failed"
    assert api.delete(f"files/{two['id']}/").status_code == 204
    assert expect(api.get(f"files/{two['id']}/"), 404)["code"] == "not_found"
    assert expect(api.delete("files/999/"), 404)["code"] == "not_found"
    assert api.get("files/abc/").status_code == 404


@pytest.mark.pg
def test_concurrent_deletes_of_one_file_answer_204_once(api, app, data_root):
    """Two DELETEs of one file, both under way before either commits: one deletes (204), the other then finds no
    file (404)."""
    file = api.register(data_root / CSV_1D)
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(api.delete(f"files/{file['id']}/").status_code))
               for _ in range(2)]
    with file_row_held(app.sciplane.database, file["id"], waiters=2):
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(statuses) == [204, 404]


def test_discovery_skips_a_name_that_is_not_utf8_and_registers_the_rest(api, data_root):
    """A file name of bytes that are not UTF-8 cannot be catalogued (paths are text): discovery leaves it out
    and goes on; registering it by path is a 422."""
    odd = os.path.join(os.fsencode(data_root), b"odd\x80name.csv")
    with open(odd, "wb") as out:
        out.write((data_root / CSV_1D).read_bytes())
    found = expect(api.post("files/discover/"), 200)
    listed = {os.path.basename(f["filepath"]) for f in expect(api.get("files/", "page_size=500"), 200)["results"]}
    assert found["registered"] == len(listed) and {CSV_1D, CSV_2D, ROOT_SMALL} <= listed
    assert not any(name.startswith("odd") for name in listed)
    assert expect(api.get("playground/histogram_data_files/discover/"), 202)["registered"] == 0


def test_head_is_refused_where_get_changes_state(api, data_root):
    """The reference's GET actions (start_parsing, the playground's discover) change state; HEAD must not, so it
    is a 405 there, and nothing is queued or registered."""
    file = api.register(data_root / CSV_1D)
    for path in (f"files/{file['id']}/start_parsing/", f"playground/histogram_data_files/{file['id']}/start_parsing/",
                 "playground/histogram_data_files/discover/"):
        refused = api.request("HEAD", path, query="dimensionality=1&granularity=lum")
        assert refused.status_code == 405 and "HEAD" not in refused.headers["allow"], path
    assert expect(api.get("jobs/"), 200)["results"] == []
    assert [f["id"] for f in expect(api.get("files/"), 200)["results"]] == [file["id"]]
    assert api.request("HEAD", "files/").status_code == 200  # reads keep HEAD


def test_bodies_that_cannot_be_read_say_what_they_are(api, data_root):
    """A registration without a body lacks its fields (422); a form body that is not UTF-8 is not called JSON."""
    for path in ("files/", "playground/histogram_data_files/"):
        empty = expect(api.post(path, body=b"", headers={"Content-Type": "application/json"}), 422)
        assert empty["code"] == "validation_failed" and "filepath" in str(empty["errors"]), path
    file = api.register(data_root / CSV_1D)
    form = api.request("POST", f"files/{file['id']}/start_parsing/", body=b"\xff\xfe=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    refused = expect(form, 400)
    assert refused["code"] == "invalid_body" and "JSON" not in refused["description"], refused
    assert refused["description"].startswith("Could not parse URL-encoded body")
    npy = api.request("POST", "files/", body=b"\x93NUMPY garbage", headers={"Content-Type": "application/x-npy"})
    assert expect(npy, 415)["code"] == "unsupported_media_type"  # arrays are answered, never read
