"""Scenarios 6-15 and 21-26, 32: start_parsing, job states and counters, malformed input, resume."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from typing import Any

import numpy as np
import pytest

from sciplane import HistogramRecord
from sciplane.testing import call_wsgi
from sciplane_dqm.services import store
from sciplane_dqm.testing import CSV_1D, CSV_2D, ROOT_SMALL, expect, file_row_held, legacy_row, write_csv


def synthetic(path, rows: int = 10, *, bad: dict[int, str] | None = None, lumi0: tuple[int, ...] = ()):
    """A 1D CSV of ``rows`` rows (titles t1…); ``bad`` replaces the text of some rows (1-based)."""
    lines = []
    for i in range(1, rows + 1):
        values = np.arange(102) % 7
        lines.append((bad or {}).get(i) or legacy_row(f"t{i}", values, lumi=0 if i in lumi0 else 229,
                                                      bins=(100,)))
    return write_csv(path, lines)


def test_06_parse_the_1d_csv(api, data_root):
    file = api.register(data_root / CSV_1D)
    result = api.start(file["id"], 1, "lum")
    started = expect(result, 202)
    assert result.headers["location"] == f"/api/dqm/jobs/{started['id']}/"
    assert result.headers["cache-control"] == "no-store"
    job = expect(api.get(f"jobs/{started['id']}"), 200)
    assert {k: job[k] for k in ("status", "entries_total", "entries_processed", "histograms_created",
                                "entries_skipped", "percentage_processed", "parser", "attempts")} == {
        "status": "done", "entries_total": 9, "entries_processed": 9, "histograms_created": 9, "entries_skipped": 0,
        "percentage_processed": 100.0, "parser": "histograms_csv 1.0.0", "attempts": 1}
    file = expect(api.get(f"files/{file['id']}"), 200)
    assert (file["status"], file["processing_complete"], file["histograms"]["lum_1d"]) == ("done", True, 9)


def test_07_already_parsed_and_force(api, data_root):
    file = api.register(data_root / CSV_1D)
    api.parse(file["id"], 1)
    again = expect(api.start(file["id"], 1), 409)
    assert again["code"] == "already_parsed" and "is already parsed" in again["description"]
    assert again["job"]["status"] == "done"
    job = api.parse(file["id"], 1, force=True)
    assert (job["status"], job["histograms_created"], job["entries_duplicate"]) == ("done", 9, 9)
    assert api.count(f"source_file={file['id']}") == 9


def test_08_parameter_errors(api, data_root):
    file = api.register(data_root / CSV_1D)
    missing = expect(api.start(file["id"], 1, "run"), 422)
    assert missing["code"] == "parser_not_found"
    assert [tuple(key.values()) for key in missing["supported"]] == [
        ("csv", 1, "lum"), ("csv", 2, "lum"), ("nanodqm", 1, "lum"), ("nanodqm", 1, "run"), ("nanodqm", 2, "lum"),
        ("nanodqm", 2, "run")]
    assert missing["description"] == "No parser is registered for (csv, 1, run)"
    assert list(missing["errors"]) == ["json"]
    # The errors are filed under where the parameters came from.
    in_query = expect(api.get(f"files/{file['id']}/start_parsing/", "dimensionality=1&granularity=run"), 422)
    in_form = expect(api.client.simulate_post(f"{api.root}/files/{file['id']}/start_parsing/",
                                              body="dimensionality=1&granularity=run",
                                              headers={"Content-Type": "application/x-www-form-urlencoded"}), 422)
    assert [(list(r["errors"]), r["code"]) for r in (in_query, in_form)] == [
        (["query"], "parser_not_found"), (["form"], "parser_not_found")]
    for body in ({"dimensionality": 3, "granularity": "lum"}, {"dimensionality": 1},
                 {"dimensionality": 1, "granularity": "lum", "on_error": "maybe"},
                 {"dimensionality": 1, "data_dimensionality": 2, "granularity": "lum"}):
        assert expect(api.post(f"files/{file['id']}/start_parsing/", body), 422)["code"] == "validation_failed"
    mismatch = expect(api.start(file["id"], 1, filetype="nanodqm"), 422)
    assert mismatch["code"] == "filetype_mismatch"
    assert expect(api.start(999, 1), 404)["code"] == "not_found"
    # A filetype and its playground alias agree when they name one filetype; booleans ignore case.
    job = expect(api.post(f"files/{file['id']}/start_parsing/", {"dimensionality": 1, "granularity": "lum",
                                                                 "filetype": "csv", "file_format": "CSV"}), 202)
    again = expect(api.get(f"files/{file['id']}/start_parsing/", "dimensionality=1&granularity=lum&force=tRue"), 202)
    assert again["id"] == job["id"]
    # Native routes refuse unknown and repeated parameters, item routes included.
    for path, query in ((f"files/{file['id']}/", "bogus=1"), (f"jobs/{job['id']}/", "bogus=1"),
                        ("histograms/", "page_size=2&page_size=3"), ("histograms/", "fields=id&fields=title"),
                        ("files/", "page_size=1&page_size=1")):
        assert expect(api.get(path, query), 422)["code"] == "validation_failed", (path, query)


def test_09_get_and_form_posts(api, data_root):
    file = api.register(data_root / CSV_1D)
    result = api.get(f"files/{file['id']}/start_parsing", "data_dimensionality=1&granularity=lum&file_format=csv")
    assert expect(result, 202) and result.headers["cache-control"] == "no-store"
    two = api.register(data_root / CSV_2D)
    form = api.request("POST", f"files/{two['id']}/start_parsing/", body="data_dimensionality=2&granularity=lum",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert expect(form, 202)["dimensionality"] == 2
    # A chunked body (no Content-Length) is still the body, and it wins over a query string.
    root = api.register(data_root / ROOT_SMALL)
    chunked = call_wsgi(api.client.app, "POST", f"/api/dqm/files/{root['id']}/start_parsing/",
                        query_string="dimensionality=1&granularity=lum", chunked=True,
                        headers={"Content-Type": "application/json"},
                        body=b'{"dimensionality": 2, "granularity": "run"}')
    assert chunked.status_code == 202 and (chunked.json["dimensionality"], chunked.json["granularity"]) == (2, "run")
    empty = call_wsgi(api.client.app, "POST", f"/api/dqm/files/{root['id']}/start_parsing/",
                      query_string="dimensionality=1&granularity=run", chunked=True, body=b"")
    assert empty.status_code == 202 and (empty.json["dimensionality"], empty.json["granularity"]) == (1, "run")


@pytest.fixture
def queued_app(make_app, data_root):
    from sciplane.testing import RawClient
    from sciplane_dqm.testing import Api
    app = make_app(plugins=["dqm", "histograms_csv", "nanodqm"], settings={
        "plugins": {"dqm": {"data_roots": [str(data_root)]}}, "jobs": {"immediate": False, "url": "memory:"},
        "auth": {"grants": {"anonymous": ["dqm.*"]}}})
    return Api(RawClient(app))


def test_10_queued_without_worker(queued_app, data_root):
    api = queued_app
    file = api.register(data_root / CSV_1D)
    queued = expect(api.start(file["id"], 1), 202)
    assert queued["status"] == "queued"
    for job in (queued, expect(api.get(f"jobs/{queued['id']}"), 200)):  # scenario 15: the keys before any count
        assert {k: job[k] for k in ("id", "status", "entries_total", "entries_processed", "error")} == {
            "id": queued["id"], "status": "queued", "entries_total": None, "entries_processed": 0, "error": None}
    busy = expect(api.start(file["id"], 1), 409)
    assert busy["code"] == "parse_in_progress" and busy["job"]["status"] == "queued"
    assert expect(api.delete(f"files/{file['id']}/"), 409)["code"] == "parse_in_progress"
    assert expect(api.get(f"files/{file['id']}"), 200)["status"] == "queued"


def test_concurrent_starts_of_one_key_queue_one_job(queued_app, data_root):
    """Eight requests at once for a key without a job: one 202, and every other a 409 naming that job (on
    PostgreSQL the losers' inserts collide with the winner's)."""
    api = queued_app
    file = api.register(data_root / CSV_1D)
    barrier, answers = threading.Barrier(8), []

    def start() -> None:
        barrier.wait()
        answers.append(api.start(file["id"], 1))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [202] + [409] * 7, [a.content for a in answers]
    job = next(answer.json for answer in answers if answer.status_code == 202)
    assert all(answer.json["code"] == "parse_in_progress" and answer.json["job"]["id"] == job["id"]
               for answer in answers if answer.status_code == 409)


@pytest.mark.pg
def test_a_start_and_a_delete_of_one_file_take_turns(queued_app, data_root):
    """A forced start of a parsed file and a DELETE of the file, both under way at once: whichever takes the file's
    row first wins, and the other is answered for that outcome (the start 404 after the delete, or the delete 409
    ``parse_in_progress`` after the start); never a deadlock.  Both take the file's row before the job's."""
    from sciplane_dqm.models import ParseJob
    api = queued_app
    database = api.client.app.sciplane.database

    def race(file_id: int) -> tuple[Any, Any]:
        answers: dict[str, Any] = {}
        threads = [threading.Thread(target=lambda: answers.update(start=api.start(file_id, 1, force=True))),
                   threading.Thread(target=lambda: answers.update(delete=api.delete(f"files/{file_id}/")))]
        with file_row_held(database, file_id, waiters=2):
            for thread in threads:
                thread.start()
        for thread in threads:
            thread.join(10)
        return answers["start"], answers["delete"]

    for round_ in range(4):
        path = data_root / f"round{round_}.csv"
        shutil.copy(data_root / CSV_1D, path)
        file = api.register(path)
        job = expect(api.start(file["id"], 1), 202)
        with database.connection_context():
            ParseJob.update(status="done").where(ParseJob.id == job["id"]).execute()
        started, deleted = race(file["id"])
        if deleted.status_code == 204:
            assert expect(started, 404)["code"] == "not_found"
            assert expect(api.get("jobs/", f"file={file['id']}"), 200)["results"] == []
        else:
            assert expect(deleted, 409)["code"] == "parse_in_progress", deleted.content
            assert expect(started, 202)["status"] == "queued"



def test_11_other_dimensionality_is_skipped(api, data_root):
    two = api.register(data_root / CSV_2D)
    assert api.parse(two["id"], 2)["histograms_created"] == 9
    skipped = api.parse(two["id"], 1)
    assert (skipped["status"], skipped["entries_skipped"], skipped["histograms_created"]) == ("done", 9, 0)
    one = api.register(data_root / CSV_1D)
    assert api.parse(one["id"], 2)["entries_skipped"] == 9


def test_12_13_14_small_root_file(api, data_root):
    file = api.register(data_root / ROOT_SMALL)
    first = api.parse(file["id"], 1, "lum")
    assert (first["status"], first["histograms_created"]) == ("done", 12)
    assert expect(api.get(f"files/{file['id']}"), 200)["percentage_processed"] == 100.0
    job = expect(api.post(f"files/{file['id']}/start_parsing/", {"file_format": "root", "data_dimensionality": 2,
                                                                 "granularity": "lum"}), 202)
    second = expect(api.get(f"jobs/{job['id']}"), 200)
    assert (second["status"], second["histograms_created"]) == ("done", 8)
    totals = expect(api.get(f"files/{file['id']}"), 200)
    assert (totals["entries_total"], totals["entries_processed"]) == (20, 20)
    runs = [api.parse(file["id"], dim, "run") for dim in (1, 2)]
    assert [(job["status"], job["histograms_created"]) for job in runs] == [("done", 3), ("done", 2)]
    lumis = expect(api.get("lumisections/", "run_number=357538"), 200)["results"]
    assert [ls["ls_number"] for ls in lumis] == [1, 2, 4, 5]
    run = expect(api.get("runs/357538/"), 200)
    assert (run["ls_count"], run["has_run_histograms"]) == (4, True)


def test_15_job_resource_and_list(api, data_root):
    one, (first, second) = api.ingest(data_root / CSV_1D, (1, "lum"), (2, "lum"))
    broken = api.register(synthetic(data_root / "bad.csv", bad={3: legacy_row("t3", [0] * 102, histo="[0, 1")}))
    failed = api.parse(broken["id"], 1)
    assert (first["status"], second["status"], failed["status"]) == ("done", "done", "failed")

    def ids(query: str) -> list[int]:
        jobs = expect(api.get("jobs/", query), 200)["results"]
        for job in jobs:
            assert {"id", "status", "entries_total", "entries_processed", "error"} <= set(job)
        return [job["id"] for job in jobs]

    assert ids("") == [failed["id"], second["id"], first["id"]]  # newest first
    assert ids(f"file={one['id']}") == ids(f"file={one['id']}&status=done") == [second["id"], first["id"]]
    assert ids("status=failed") == ids(f"file={broken['id']}") == [failed["id"]]
    assert ids(f"file={one['id']}&status=failed") == []
    assert expect(api.get("jobs/999"), 404)["code"] == "not_found"
    bad = expect(api.get("jobs/", "dimensionality=x"), 422)
    assert bad["errors"]["query"]["dimensionality"] == ["must be an integer"]


@pytest.fixture
def dqm_settings():
    return {"chunk_entries_1d": 2}


def test_21_bad_json_discards_the_open_chunk(api, data_root):
    path = synthetic(data_root / "bad.csv", bad={7: legacy_row("t7", [0] * 102, histo="[0, 1, 2")})
    file = api.register(path)
    job = api.parse(file["id"], 1)
    assert job["status"] == "failed"
    assert (job["error"]["code"], job["error"]["entry"], job["error"]["line"]) == ("bad_json", 7, 8)
    assert job["entries_processed"] == 6 and api.count(f"source_file={file['id']}") == 6


@pytest.mark.parametrize("dqm_settings", [{"chunk_entries_1d": 2, "chunk_entries_2d": 2}])
def test_22_bad_length(api, data_root):
    path = synthetic(data_root / "bad.csv", bad={5: legacy_row("t5", [1] * 101, bins=(100,))})
    file = api.register(path)
    job = api.parse(file["id"], 1)
    assert (job["error"]["code"], job["error"]["entry"]) == ("bad_length", 5)
    assert api.count(f"source_file={file['id']}") == 4
    rows = [legacy_row(f"m{i}", np.ones((12, 10)), metype=6, x=(0, 8), y=(0, 10), bins=(8, 10)) for i in range(1, 7)]
    rows[4] = legacy_row("m5", np.ones((12, 10)), metype=6, x=(0, 8), y=(0, 10), bins=(8, 11))
    two = api.register(write_csv(data_root / "bad2d.csv", rows))
    job = api.parse(two["id"], 2)
    assert (job["error"]["code"], job["error"]["entry"]) == ("bad_length", 5)
    assert (job["entries_processed"], api.count(f"source_file={two['id']}")) == (4, 4)


def test_23_missing_and_extra_columns(api, data_root):
    good = legacy_row("t3", [0] * 102)
    file = api.register(synthetic(data_root / "short.csv", bad={3: good.rsplit(",", 1)[0]}))
    job = api.parse(file["id"], 1)
    assert (job["error"]["code"], job["error"]["entry"], api.count(f"source_file={file['id']}")) == (
        "missing_column", 3, 2)
    file = api.register(synthetic(data_root / "long.csv", bad={3: good + ",1"}))
    assert api.parse(file["id"], 1)["error"]["code"] == "extra_column"


def test_24_file_level_errors(api, data_root):
    header = data_root / "header.csv"
    write_csv(header, [legacy_row("t1", [0] * 102)], header="fromrun,fromlumi,hname,metype,entries,Xmax,Xmin,Xbins")
    job = api.parse(api.register(header)["id"], 1)
    assert (job["status"], job["error"]["code"], job["error"]["entry"], job["error"]["line"]) == (
        "failed", "bad_header", 0, 1)
    assert job["histograms_created"] == 0 and api.count(f"source_file={job['file']}") == 0
    empty = data_root / "empty.csv"
    empty.write_bytes(b"")
    assert api.parse(api.register(empty)["id"], 1)["error"]["code"] == "empty_file"
    only = write_csv(data_root / "only.csv", [])
    job = api.parse(api.register(only)["id"], 1)
    assert (job["status"], job["entries_total"], job["histograms_created"]) == ("done", 0, 0)


def test_numbers_beyond_their_columns_are_the_rows_errors(api, data_root):
    """A run or lumisection too large for its column is a ``bad_value`` of that entry, the same on both engines
    (PostgreSQL's COPY would refuse the whole chunk; SQLite would store it).  An ME type the CSV does not know is
    skipped by the parser; one beyond its column from another parser is refused by the store (last lines)."""
    bad = {3: legacy_row("t3", [0] * 102, lumi=3_000_000_000, bins=(100,)),
           5: legacy_row("t5", [0] * 102, run=2 ** 31, bins=(100,)),
           7: legacy_row("t7", [0] * 102, metype=70_000, bins=(100,))}
    file = api.register(synthetic(data_root / "huge.csv", bad=bad))
    failed = api.parse(file["id"], 1)
    assert (failed["status"], failed["error"]["code"], failed["error"]["entry"], failed["error"]["line"]) == (
        "failed", "bad_value", 3, 4)
    assert "lumi must be at most 2147483647" in failed["error"]["message"]
    skipped = api.parse(file["id"], 1, on_error="skip")
    counts = ("status", "entries_failed", "entries_skipped", "histograms_created")
    assert [skipped[name] for name in counts] == ["done", 2, 1, 7]
    assert [error["entry"] for error in skipped["errors"]] == [3, 5]
    record = HistogramRecord(entry=1, run=1, lumi=1, title="t", entries=0, x_bin=1, x_min=0.0, x_max=1.0,
                             data=np.zeros(1), type_code=70_000)
    refused = store.check(record, dimensionality=1, granularity="lum", max_bins=10)
    assert (refused.code, refused.message) == ("bad_value", "type_code must be from -32768 to 32767")
    undecodable = dataclasses.replace(record, type_code=3, title="ME_\udcff")  # a ROOT name that was not UTF-8
    refused = store.check(undecodable, dimensionality=1, granularity="lum", max_bins=10)
    assert (refused.code, refused.message) == ("bad_value", "title is not valid UTF-8")


def test_a_title_too_long_for_the_index_is_the_rows_error(api, data_root):
    """1,024 characters are allowed, but not 4 KiB of UTF-8: PostgreSQL's index would refuse the whole chunk."""
    rows = [legacy_row("\U0001F600" * 1024, np.ones(12), bins=(10,)), legacy_row("é" * 1024, np.ones(12), bins=(10,))]
    job = api.parse(api.register(write_csv(data_root / "wide.csv", rows))["id"], 1, on_error="skip")
    assert (job["status"], job["histograms_created"], [e["entry"] for e in job["errors"]]) == ("done", 1, [1])
    assert job["errors"][0]["message"] == "title must take at most 2048 bytes in UTF-8"
    assert expect(api.get("histograms/", "fields=title"), 200)["results"] == [{"title": "é" * 1024}]


def test_25_skip_errors(api, data_root):
    path = synthetic(data_root / "bad.csv", bad={7: legacy_row("t7", [0] * 102, histo="[0, 1, 2")})
    job = api.parse(api.register(path)["id"], 1, on_error="skip")
    assert (job["status"], job["histograms_created"], job["entries_failed"]) == ("done", 9, 1)
    assert job["errors"][0]["entry"] == 7 and job["entries_skipped"] == 0


def test_26_resume_needs_force_after_a_fix(api, data_root):
    path = synthetic(data_root / "bad.csv", bad={7: legacy_row("t7", [0] * 102, histo="[0, 1, 2")})
    file = api.register(path)
    assert api.parse(file["id"], 1)["status"] == "failed"
    synthetic(path)
    changed = api.parse(file["id"], 1)
    assert (changed["status"], changed["error"]["code"]) == ("failed", "file_changed")
    done = api.parse(file["id"], 1, force=True)
    assert (done["status"], done["histograms_created"], done["entries_duplicate"]) == ("done", 10, 6)
    assert api.count(f"source_file={file['id']}") == 10


def test_32_run_level_rows_and_rows_without_flows(api, data_root):
    rows = [legacy_row("a", np.arange(102)), legacy_row("b", np.arange(102), lumi=0),
            legacy_row("c", np.arange(100), bins=(100,))]
    job = api.parse(api.register(write_csv(data_root / "mixed.csv", rows))["id"], 1)
    assert (job["status"], job["histograms_created"], job["entries_skipped"]) == ("done", 2, 1)
    items = expect(api.get("histograms/", "title=c"), 200)["results"]
    assert items[0]["data"] == list(range(100))


def test_resume_after_failure_continues_where_it_stopped(api, data_root):
    path = synthetic(data_root / "bad.csv", bad={7: legacy_row("t7", [0] * 102, histo="[0, 1, 2")})
    file = api.register(path)
    assert api.parse(file["id"], 1)["entries_processed"] == 6
    job = api.parse(file["id"], 1, on_error="skip")  # resume, now skipping: nothing before entry 7 is re-read
    assert (job["status"], job["entries_duplicate"], job["histograms_created"], job["attempts"]) == ("done", 0, 9, 2)


def test_a_repeated_me_keeps_the_first_record(api, data_root):
    rows = [legacy_row("same", np.arange(102)), legacy_row("other", np.arange(102)),
            legacy_row("same", np.ones(102))]
    file = api.register(write_csv(data_root / "repeated.csv", rows))
    job = api.parse(file["id"], 1)
    assert (job["status"], job["histograms_created"], job["entries_duplicate"]) == ("done", 2, 1)
    kept = expect(api.get("histograms/", "title=same"), 200)["results"]
    assert len(kept) == 1 and kept[0]["data"] == list(range(1, 101))


def test_29_file_level_root_errors_fail_the_job(api, data_root):
    fake = data_root / "not_root.root"
    fake.write_bytes(b"this is not a ROOT file\n" * 100)
    job = api.parse(api.register(fake)["id"], 1)
    assert (job["status"], job["error"]["code"], job["histograms_created"]) == ("failed", "not_root", 0)
    import uproot  # a real ROOT file, but no DQMIO one: it has no Indices tree
    plain = data_root / "events.root"
    with uproot.recreate(plain) as output:
        output["Events"] = {"x": np.arange(3)}
    job = api.parse(api.register(plain)["id"], 1)
    assert (job["status"], job["error"]["code"], job["histograms_created"]) == ("failed", "not_dqmio", 0)


@pytest.mark.parametrize("dqm_settings", [{"chunk_entries_1d": 4}])
def test_29_an_index_beyond_its_tree_fails_the_job_before_any_chunk(api, data_root):
    """Indices row 9 (lumi 5, TH1F) ends at TH1Fs[15] of 15 entries: entry 10 of (1, lum) is ``bad_index``.  Every
    row is checked against its tree before the first record, so even chunks of four entries store nothing."""
    from sciplane_nanodqm.lite import convert
    from sciplane_nanodqm.testing import indices_tree, read_indices, tree_columns, write_root

    lite = convert(data_root / ROOT_SMALL, data_root / "lite.root")
    indices = read_indices(lite)
    indices["LastIndex"][9] = 15
    broken = write_root(data_root / "beyond.root", {"Indices": indices_tree(indices),
                                                   **{tree: tree_columns(lite, tree) for tree in ("TH1Fs", "TH2Fs")}})
    job = api.parse(api.register(broken)["id"], 1)
    assert (job["status"], job["error"]["code"], job["error"]["entry"]) == ("failed", "bad_index", 10)
    assert "TH1Fs[15]" in job["error"]["message"]
    assert (job["entries_total"], job["entries_processed"], job["histograms_created"]) == (13, 0, 0)
    assert api.count() == 0


def test_a_fifo_put_in_the_files_place_fails_the_job_without_holding_the_worker(queued_app, data_root):
    """Between the start and the worker, the registered file became a FIFO: opening it would block until a
    writer came.  The job fails ``file_missing`` at once."""
    import os

    from sciplane_dqm.services import ingest
    api = queued_app
    path = data_root / "soon_a_fifo.csv"
    shutil.copy(data_root / CSV_1D, path)
    file = api.register(path)
    job = expect(api.start(file["id"], 1), 202)
    path.unlink()
    os.mkfifo(path)
    ctx = api.client.app.sciplane

    def work() -> None:
        with ctx.database.connection_context():
            ingest.run_job(ctx, job["id"])

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the worker is held by the FIFO"
    failed = expect(api.get(f"jobs/{job['id']}"), 200)
    assert (failed["status"], failed["error"]["code"]) == ("failed", "file_missing"), failed


def test_a_resumed_job_that_had_stored_nothing_counts_the_file_again(api, data_root):
    """A job that failed in its first chunk resumes without ``force`` on a file rewritten meanwhile: its total is
    the new file's, not the old one's."""
    path = data_root / "rewritten.csv"
    file = api.register(synthetic(path, 3, bad={1: legacy_row("t1", [0] * 102, histo="[0, 1")}))
    failed = api.parse(file["id"], 1)
    assert (failed["status"], failed["entries_total"]) == ("failed", 3)
    synthetic(path, 7)
    done = api.parse(file["id"], 1)
    assert (done["status"], done["entries_total"], done["entries_processed"], done["histograms_created"]) == (
        "done", 7, 7, 7)
    assert done["entries_skipped"] == 0


@pytest.mark.parametrize("dqm_settings", [{"chunk_entries_1d": 50}])
def test_a_run_of_failed_entries_commits_progress_chunk_by_chunk(api, app, data_root):
    """With ``on_error=skip``, failed entries count toward a chunk: 300 bad rows in a row commit six chunks
    (progress and heartbeat move), and the job keeps the first 100 errors only."""
    from sciplane_dqm.models import ParseJob
    bad = {i: legacy_row(f"t{i}", [0] * 102, histo="[x]") for i in range(1, 301)}
    file = api.register(synthetic(data_root / "bad_run.csv", 305, bad=bad))
    job = api.parse(file["id"], 1, on_error="skip")
    assert (job["status"], job["entries_failed"], job["histograms_created"], len(job["errors"])) == (
        "done", 300, 5, 100)
    assert job["errors"][-1]["entry"] == 100
    with app.sciplane.database.connection_context():
        assert ParseJob.get_by_id(job["id"]).chunks_committed == 7  # six of failures, then one of records
