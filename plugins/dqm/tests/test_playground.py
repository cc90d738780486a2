"""Scenarios 51-55: a dqm-playground client works with only its base URL changed."""

from __future__ import annotations

from sciplane_dqm.services import parsing
from sciplane_dqm.testing import CSV_1D, CSV_2D, ROOT_SMALL, expect

FILE_KEYS = {"id", "filepath", "filesize", "data_era", "entries_total", "entries_processed", "percentage_processed",
             "contents", "created", "modified", "run_histograms", "lumisection_histograms_1d",
             "lumisection_histograms_2d"}
PG = "playground"


def ids(page) -> list[int]:
    return [item["id"] for item in page["results"]]


def test_51_52_files(api, data_root):
    one = api.ingest(data_root / CSV_1D, (1, "lum"), data_era="2018A")[0]
    two = api.ingest(data_root / CSV_2D, (2, "lum"), data_era="2018A")[0]
    new = api.register(data_root / ROOT_SMALL)
    result = api.get(f"{PG}/histogram_data_files/")
    page = expect(result, 200)
    assert result.headers["cache-control"] == "no-store"
    assert {k: page[k] for k in ("total", "per_page", "total_pages", "next", "previous")} == {
        "total": 3, "per_page": 50, "total_pages": 1, "next": None, "previous": None}
    first = page["results"][0]
    assert set(first) == FILE_KEYS
    assert first["filesize"] == 5666 / 1048576 and first["contents"] == [{"granularity": "lum",
                                                                         "data_dimensionality": 1}]
    assert (first["lumisection_histograms_1d"], first["run_histograms"]) == (9, 0)
    two_pages = expect(api.get(f"{PG}/histogram_data_files/", "page_size=2"), 200)
    assert two_pages["total_pages"] == 2 and type(two_pages["total_pages"]) is int
    assert two_pages["next"] == f"/api/dqm/{PG}/histogram_data_files/?page_size=2&page=2"
    cases = {"processing_complete=true": [one["id"], two["id"]], "processing_complete=False": [new["id"]],
             "filepath__contains=zerobias": [one["id"], two["id"]], "data_era=2018A": [one["id"], two["id"]],
             "data_dimensionality=2": [two["id"]], "granularity=lum": [one["id"], two["id"]],
             "entries_total__gt=8": [one["id"], two["id"]], "entries_total__lt=1": [new["id"]],
             f"id={new['id']}": [new["id"]], "unknown=1": [one["id"], two["id"], new["id"]]}
    for query, expected in cases.items():
        assert ids(expect(api.get(f"{PG}/histogram_data_files/", query), 200)) == expected, query
    created = api.post(f"{PG}/histogram_data_files/", {"filepath": str(data_root / "x.csv")})
    assert expect(created, 422)["code"] == "file_not_found"


def test_53_54_lumisection_histograms(api, data_root):
    api.ingest(data_root / CSV_1D, (1, "lum"))
    api.ingest(data_root / ROOT_SMALL, (1, "lum"), (1, "run"))
    page = expect(api.get(f"{PG}/lumisection_histograms_1d/", "lumisection__run__run_number=315488"
                                                              "&title=NormalizedHitResiduals_TEC__wheel__8"), 200)
    assert page["total"] == 1
    item = page["results"][0]
    assert set(item) == {"id", "run", "lumisection", "title", "entries", "data", "x_min", "x_max", "x_bin",
                         "source_data_file"}
    assert (item["run"], item["lumisection"]) == (315488, 229)
    assert expect(api.get(f"{PG}/lumisection_histograms_1d/", "title=unknown"), 200)["total"] == 0
    assert expect(api.get(f"{PG}/lumisection_histograms_1d/", "page=99"), 404)["code"] == "invalid_page"
    everything = expect(api.get(f"{PG}/lumisection_histograms_1d/", "page_size=500"), 200)
    assert everything["total"] == 9 + 12 and all(h["lumisection"] >= 1 for h in everything["results"])
    assert expect(api.get(f"{PG}/lumisection_histograms_1d/", "lumisection__ls_number__in=1,2"), 200)["total"] == 6
    assert expect(api.get(f"{PG}/lumisection_histograms_1d/{item['id']}/"), 200)["title"] == item["title"]
    assert expect(api.get(f"{PG}/lumisection_histograms_2d/{item['id']}/"), 404)["code"] == "not_found"
    assert api.post(f"{PG}/lumisection_histograms_1d/", {}).status_code == 405
    assert api.get(f"{PG}/run_histograms/").status_code == 404
    runs = expect(api.get(f"{PG}/runs/"), 200)
    assert [r["run_number"] for r in runs["results"]] == [315488, 357538]
    lumis = expect(api.get(f"{PG}/lumisections/", "run=357538"), 200)
    assert [ls["ls_number"] for ls in lumis["results"]] == [1, 2, 4, 5]


def test_55_start_parsing_and_discover(api, data_root):
    found = api.get(f"{PG}/histogram_data_files/discover/")
    assert expect(found, 202)["registered"] == 3
    files = expect(api.get(f"{PG}/histogram_data_files/", "filepath__contains=.root"), 200)["results"]
    route = f"{PG}/histogram_data_files/{files[0]['id']}/start_parsing/"
    body = {"file_format": "root", "data_dimensionality": "2", "granularity": "lum"}
    job = expect(api.post(route, body), 202)
    assert expect(api.get(f"jobs/{job['id']}"), 200)["status"] == "done"
    assert expect(api.post(route, body), 409)["code"] == "already_parsed"


def test_the_completeness_filter_agrees_with_the_files_own_field(api, app, data_root):
    """One job done and one queued (not counted yet): the file's percentage is 100, so it is complete, and both
    lists' ``processing_complete`` filters say so."""
    file = api.ingest(data_root / ROOT_SMALL, (1, "lum"))[0]
    with app.sciplane.database.connection_context():
        parsing.start(app.sciplane, file["id"], parsing.ParseRequest(2, "lum"), enqueue=False)
    item = expect(api.get(f"files/{file['id']}/"), 200)
    assert (item["status"], item["percentage_processed"], item["processing_complete"]) == ("queued", 100.0, True)
    for flag, expected in (("true", [file["id"]]), ("false", [])):
        assert ids(expect(api.get(f"{PG}/histogram_data_files/", f"processing_complete={flag}"), 200)) == expected
        assert ids(expect(api.get("files/", f"processing_complete={flag}"), 200)) == expected
