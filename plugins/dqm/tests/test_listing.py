"""Scenarios 16-20 and 33-42: stored content, filters, cursor pagination, fields, runs, lumisections, titles."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest

from sciplane import database, is_postgres
from sciplane_dqm.testing import CSV_1D, CSV_2D, ROOT_SMALL, expect, legacy_row, write_csv

ALL_KEYS = [(1, "lum"), (2, "lum"), (1, "run"), (2, "run")]


def digest(arrays) -> str:
    return hashlib.sha256(b"".join(np.asarray(a, dtype="<f8").tobytes() for a in arrays)).hexdigest()


def test_16_17_csv_content(api, data_root):
    one = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    items = expect(api.get("histograms/", f"source_file={one['id']}"), 200)["results"]
    assert len(items) == 9
    first = items[0]
    assert {k: first[k] for k in ("title", "entries", "x_min", "x_max", "x_bin", "type_code", "granularity",
                                  "dim", "run_number", "ls_number", "y_bin", "source_file")} == {
        "title": "Summary_ClusterStoNCorr__OnTrack__TEC__MINUS__wheel__7", "entries": 78001, "x_min": -0.5,
        "x_max": 99.5, "x_bin": 100, "type_code": 3, "granularity": "lum", "dim": 1, "run_number": 315488,
        "ls_number": 229, "y_bin": None, "source_file": one["id"]}
    assert len(first["data"]) == 100 and sum(first["data"]) == 75986 and first["data"][99] == 48
    assert first["data"][:10] == [0, 0, 0, 0, 0, 2, 3, 0, 5, 21]
    two = api.ingest(data_root / CSV_2D, (2, "lum"))[0]
    item = expect(api.get("histograms/", f"source_file={two['id']}&page_size=1"), 200)["results"][0]
    assert (item["y_bin"], item["x_bin"], len(item["data"]), len(item["data"][0])) == (80, 16, 80, 16)
    assert item["data"][23][1] == 1102 and item["data"][0][:4] == [960, 981, 0, 769]


def test_18_root_content_and_digest(api, data_root):
    api.ingest(data_root / ROOT_SMALL, *ALL_KEYS)
    items = expect(api.get("histograms/", "run_number=357538&ls_number=1&dim=2"), 200)["results"]
    assert len(items) == 2
    first = items[0]
    assert first["title"].endswith("clusterposition_zphi_ontrack_PXLayer_1")
    assert (len(first["data"]), len(first["data"][0]), sum(map(sum, first["data"])), first["entries"]) == (
        20, 30, 495, 500)
    exported = expect(api.get("histograms/export/", "run_number=357538&dim=1&granularity=lum"), 200)
    array = np.load(io.BytesIO(exported.content), allow_pickle=False)
    assert digest(array) == "78e2142753f66c39cc10fe6650858c18fbf8a2f21275bb4354c91085bec80eb6"


def test_19_lite_layout_matches(api, data_root):
    lite = pytest.importorskip("sciplane_nanodqm.lite")
    path = lite.convert(data_root / ROOT_SMALL, data_root / "lite_small.root")
    copy = api.ingest(path, *ALL_KEYS)[0]
    assert [job["histograms_created"] for job in expect(api.get(f"files/{copy['id']}"), 200)["jobs"]] == [
        12, 3, 8, 2]
    exported = expect(api.get("histograms/export/", "run_number=357538&dim=1&granularity=lum"), 200)
    array = np.load(io.BytesIO(exported.content), allow_pickle=False)
    assert digest(array) == "78e2142753f66c39cc10fe6650858c18fbf8a2f21275bb4354c91085bec80eb6"
    # The real file holds the same MEs: every one of its records is a duplicate of the lite copy's.
    real = api.ingest(data_root / ROOT_SMALL, *ALL_KEYS)[1]
    assert [(job["histograms_created"], job["entries_duplicate"]) for job in real] == [(0, 12), (0, 8), (0, 3), (0, 2)]


def test_20_binary_storage(api, data_root, app):
    one = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    rows = [legacy_row("tenth", [0.1] * 12, bins=(10,))]
    api.ingest(write_csv(data_root / "tenth.csv", rows), (1, "lum"))
    with app.sciplane.database.connection_context():
        dtype, data = database.execute_sql(
            "SELECT dtype, data FROM dqm_histogram WHERE source_file_id = %s ORDER BY id LIMIT 1"
            .replace("%s", database.param), (one["id"],)).fetchone()
        assert (dtype, len(bytes(data))) == ("f4", 400)
        if app.sciplane.settings.database.url.startswith("sqlite"):
            kind = database.execute_sql("SELECT typeof(data) FROM dqm_histogram LIMIT 1").fetchone()[0]
            assert kind == "blob"
        assert database.execute_sql("SELECT dtype FROM dqm_histogram h JOIN dqm_title t ON t.id = h.title_id "
                                    "WHERE t.title = 'tenth'").fetchone()[0] == "f8"


@pytest.fixture
def everything(api, data_root, bench_file):
    """Scenario 33's data set: both CSVs, the small ROOT file under four keys, the bench file under (1, lum)."""
    ids = {"csv1": api.ingest(data_root / CSV_1D, (1, "lum"))[0]["id"],
           "csv2": api.ingest(data_root / CSV_2D, (2, "lum"))[0]["id"],
           "small": api.ingest(data_root / ROOT_SMALL, *ALL_KEYS)[0]["id"],
           "bench": api.ingest(bench_file, (1, "lum"))[0]["id"]}
    return api, ids


def test_33_to_42_listing(everything):
    api, ids = everything
    counts = {"": 4023, "dim=2": 19, "granularity=run": 5, "run_number=315488": 18,
              "run_number__gte=357000&run_number__lte=360000": 25, "run_number__in=315488,367094": 3998,
              "run_number=1": 0, "ls_number=229": 9, "ls_number__gte=2&ls_number__lte=4&run_number=357538": 10,
              "ls_number__in=1,5&run_number=357538": 10, "ls_number=0": 5,
              "title=NormalizedHitResiduals_TEC__wheel__8": 1,
              "title=NormalizedHitResiduals_TEC__wheel__8&title=NormalizedHitResiduals_TEC__wheel__9": 2,
              "title=nope": 0, "title__contains=wheel__8": 2, "title__contains=WHEEL": 0,
              "title__regex=PXLayer_(1|2)$&run_number=367094": 398,
              "entries__gte=100000&run_number=315488": 5, "entries__lte=500&run_number=357538": 25}
    for query, expected in counts.items():
        assert api.count(query) == expected, query
        assert len(api.all_pages("histograms/", query + "&page_size=500&fields=id")) == expected, query
    assert expect(api.get("histograms/", "title__regex=("), 422)["code"] == "invalid_regex"
    # Python accepts a named group, PostgreSQL's regular expressions do not: the database's refusal is a 422 too.
    named = api.get("histograms/count/", "title__regex=(?P<n>wheel)")
    if is_postgres(database):
        assert expect(named, 422)["code"] == "invalid_regex" and "SELECT" not in named.text
    else:
        assert expect(named, 200)["count"] == api.count("title__contains=wheel")

    items = api.all_pages("histograms/", f"source_file={ids['bench']}&page_size=500&fields=id,run_number,"
                                         "ls_number,title_id")
    keys = [(i["run_number"], i["ls_number"], i["title_id"]) for i in items]
    assert len(items) == 3980 and keys == sorted(set(keys))
    clamped = expect(api.get("histograms/", "page_size=1000&fields=id"), 200)
    assert len(clamped["results"]) == 500
    assert clamped["next"].startswith("/api/dqm/histograms/?page_size=1000&fields=id&next_token=")  # the slashed form
    assert expect(api.get("histograms/", "page_size=0"), 422)["code"] == "validation_failed"
    assert expect(api.get("histograms/", "next_token=garbage"), 422)["code"] == "invalid_cursor"

    chosen = expect(api.get("histograms/", "fields=id,run_number,ls_number,title,entries&page_size=3"), 200)
    assert all(set(item) == {"id", "run_number", "ls_number", "title", "entries"} for item in chosen["results"])
    assert expect(api.get("histograms/", "fields=id,bogus"), 422)["code"] == "validation_failed"
    for query in ("lumi=3", "run_number=abc", "run_number=1&run_number=2"):
        assert expect(api.get("histograms/", query), 422)["code"] == "validation_failed", query

    one = chosen["results"][0]
    assert expect(api.get(f"histograms/{one['id']}"), 200)["entries"] == one["entries"]
    assert set(expect(api.get(f"histograms/{one['id']}", "fields=data"), 200)) == {"data"}
    assert expect(api.get("histograms/99999999"), 404)["code"] == "not_found"
    assert api.put(f"histograms/{one['id']}", {}).status_code == 405
    assert api.delete(f"histograms/{one['id']}").status_code == 405

    runs = expect(api.get("runs/"), 200)["results"]
    assert [(r["run_number"], r["ls_count"]) for r in runs] == [(315488, 2), (357538, 4), (367094, 199)]
    lumis = expect(api.get("lumisections/", "run_number=357538"), 200)["results"]
    assert [(ls["ls_number"], ls["th1_count"], ls["th2_count"]) for ls in lumis] == [
        (1, 3, 2), (2, 3, 2), (4, 3, 2), (5, 3, 2)]
    assert expect(api.get("lumisections/count/", "run_number=357538"), 200)["count"] == 4
    assert expect(api.get("runs/count/"), 200)["count"] == 3
    assert len(expect(api.get("titles/", "run_number=357538"), 200)["results"]) == 5
    assert len(expect(api.get("titles/", "dim=2&title__contains=TkHMap"), 200)["results"]) == 9
    titles = api.all_pages("titles/", "page_size=7")
    assert [(t["title"], t["dim"]) for t in titles] == sorted((t["title"], t["dim"]) for t in titles)


def test_39_pages_stop_at_the_byte_limit(make_app, data_root):
    from sciplane.testing import RawClient
    from sciplane_dqm.testing import Api
    app = make_app(plugins=["dqm", "histograms_csv"], settings={
        "plugins": {"dqm": {"data_roots": [str(data_root)], "max_page_bytes": 10_000}},
        "auth": {"grants": {"anonymous": ["dqm.*"]}}})
    api = Api(RawClient(app))
    api.ingest(data_root / CSV_2D, (2, "lum"))
    page = expect(api.get("histograms/", "page_size=500"), 200)
    assert 1 <= len(page["results"]) < 9 and page["next"]
    assert len(api.all_pages("histograms/", "page_size=500")) == 9
