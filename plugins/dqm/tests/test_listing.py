"""Scenarios 16-20 and 33-42: stored content, filters, cursor pagination, fields, runs, lumisections, titles."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from urllib.parse import urlencode

import numpy as np
import peewee
import pytest

from sciplane import database, is_postgres
from sciplane_dqm.models import Histogram
from sciplane_dqm.testing import CSV_1D, CSV_2D, ROOT_SMALL, expect, legacy_row, write_csv

ALL_KEYS = [(1, "lum"), (2, "lum"), (1, "run"), (2, "run")]
SMALL_DIGESTS = {  # spec §5.8: the small ROOT fixture's records, key by key
    (1, "lum"): "78e2142753f66c39cc10fe6650858c18fbf8a2f21275bb4354c91085bec80eb6",
    (2, "lum"): "2fb562c14e3cf4da8806dafb7cef853b7847e025b2cbba1def669eee50604b5c",
    (1, "run"): "fe2167ad87604a14db03f3984f34c71342bbf829163c8d3e7ad7958886366d39",
    (2, "run"): "3cc16827a4901cb4130c918425d3346aa77de5b7363260f1c8ce32dba6c3a80d"}


def digest(arrays) -> str:
    return hashlib.sha256(b"".join(np.asarray(a, dtype="<f8").tobytes() for a in arrays)).hexdigest()


def small_digests(api, source_file: int) -> dict[tuple[int, str], str]:
    """The digest of each key's records of run 357538 from ``source_file``, exported as one array."""
    digests = {}
    for dim, granularity in ALL_KEYS:
        exported = expect(api.get("histograms/export/", f"run_number=357538&dim={dim}&granularity={granularity}"
                                                        f"&source_file={source_file}"), 200)
        digests[dim, granularity] = digest(np.load(io.BytesIO(exported.content), allow_pickle=False))
    return digests


def test_16_17_csv_content(api, data_root):
    one = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    items = expect(api.get("histograms/", f"source_file={one['id']}"), 200)["results"]
    with (data_root / CSV_1D).open(newline="") as lines:
        in_file = [row[2] for row in csv.reader(lines)][1:]  # hname, row by row after the header
    assert len(items) == 9 and [item["title"] for item in items] == in_file
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
    file = api.ingest(data_root / ROOT_SMALL, *ALL_KEYS)[0]
    items = expect(api.get("histograms/", "run_number=357538&ls_number=1&dim=2"), 200)["results"]
    assert len(items) == 2
    first = items[0]
    assert first["title"].endswith("clusterposition_zphi_ontrack_PXLayer_1")
    assert (len(first["data"]), len(first["data"][0]), sum(map(sum, first["data"])), first["entries"]) == (
        20, 30, 495, 500)
    assert small_digests(api, file["id"]) == SMALL_DIGESTS


def test_19_lite_layout_matches(api, data_root):
    lite = pytest.importorskip("sciplane_nanodqm.lite")
    path = lite.convert(data_root / ROOT_SMALL, data_root / "lite_small.root")
    copy = api.ingest(path, *ALL_KEYS)[0]
    assert [job["histograms_created"] for job in expect(api.get(f"files/{copy['id']}"), 200)["jobs"]] == [
        12, 3, 8, 2]
    assert small_digests(api, copy["id"]) == SMALL_DIGESTS  # the real layout's (test_18)
    # The real file holds the same MEs: every one of its records is a duplicate of the lite copy's.
    real = api.ingest(data_root / ROOT_SMALL, *ALL_KEYS)[1]
    assert [(job["histograms_created"], job["entries_duplicate"]) for job in real] == [(0, 12), (0, 8), (0, 3), (0, 2)]


def test_31_csv_spellings_store_the_same_data(api, data_root):
    """The 1D fixture's rows rewritten as variant B (a leading index column, no metype), as variant C, and with
    ``histo`` as space-separated numbers with trailing dots: each stores the original's data.  Each copy is moved
    to a run of its own, or its MEs would be the original's and be kept once."""
    with (data_root / CSV_1D).open(newline="") as lines:
        header, *rows = list(csv.reader(lines))
    rows = [dict(zip(reversed(header), reversed(row), strict=True)) for row in rows]  # first of a repeated name wins
    common = ["fromrun", "fromlumi", "hname"]
    tail = ["histo", "entries", "Xmax", "Xmin", "Xbins", "Ymax", "Ymin", "Ybins"]

    def written(name: str, columns: list[str], *, run: int, index: bool = False,
                histo=lambda text: text) -> list[dict]:
        with (data_root / name).open("w", newline="") as out:
            lines = csv.writer(out)
            lines.writerow(([""] if index else []) + columns)
            for i, row in enumerate(rows):
                cells = [histo(row[c]) if c == "histo" else run if c == "fromrun" else row[c] for c in columns]
                lines.writerow(([i] if index else []) + cells)
        file = api.ingest(data_root / name, (1, "lum"))[0]
        return expect(api.get("histograms/", f"source_file={file['id']}&fields=title,type_code,data"), 200)["results"]

    original = written("a.csv", header, run=315488)
    assert len(original) == 9 and {item["type_code"] for item in original} == {3}
    expected = [(item["title"], item["data"]) for item in original]
    dotted = written("dots.csv", header, run=1, histo=lambda text: "[" + " ".join(
        f"{float(v):.0f}." for v in text.strip("[]").split(",")) + "]")
    variant_b = written("b.csv", common + tail, run=2, index=True)
    variant_c = written("c.csv", common + ["metype"] + tail, run=3)
    for items in (dotted, variant_b, variant_c):
        assert [(item["title"], item["data"]) for item in items] == expected
    assert {item["type_code"] for item in variant_b} == {None} and {item["type_code"] for item in variant_c} == {3}


def test_regexes_and_cursors_that_would_cost_or_break_the_database_are_refused(api, data_root):
    """A back-reference (exponential in PostgreSQL's matcher), NUL, and cursors holding what no column can: 422,
    before any statement runs."""
    api.ingest(data_root / CSV_1D, (1, "lum"))
    for pattern, code in (("(.*)(.*)\\2\\1z", "invalid_regex"), ("(?P<a>w)(?P=a)", "invalid_regex"),
                          ("wheel\x00", "validation_failed")):
        for path in ("histograms/", "histograms/count/", "titles/"):
            refused = expect(api.get(path, urlencode({"title__regex": pattern})), 422)
            assert refused["code"] == code, (pattern, path, refused)
    assert api.count(urlencode({"title__regex": "wheel\\\\1|wheel__7"})) == 1  # an escaped backslash is no reference

    def token(key) -> str:
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    for path, key in (("histograms/", [2 ** 64 - 1, 0, 0]), ("runs/", [2 ** 63]), ("titles/", ["\x00", 1]),
                      ("lumisections/", [0, 2 ** 63])):
        assert expect(api.get(path, f"next_token={token(key)}"), 422)["code"] == "invalid_cursor", path


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
    big = api.all_pages("histograms/", "entries__gte=100000&run_number=315488&fields=dim,entries")
    assert sorted((item["dim"], item["entries"]) for item in big) == [
        (1, 199206), (1, 208086), (2, 134561), (2, 137167), (2, 443843)]
    assert expect(api.get("histograms/", "title__regex=("), 422)["code"] == "invalid_regex"
    # Python accepts a named group, PostgreSQL's regular expressions do not: the database's refusal is a 422 too.
    named = api.get("histograms/count/", "title__regex=(?P<n>wheel)")
    if is_postgres(database):
        assert expect(named, 422)["code"] == "invalid_regex" and "SELECT" not in named.text
    else:
        assert expect(named, 200)["count"] == api.count("title__contains=wheel")

    pages = api.pages("histograms/", f"source_file={ids['bench']}&page_size=500&fields=id,run_number,ls_number,"
                                     "title_id")
    assert [len(page["results"]) for page in pages] == [500] * 7 + [480]
    keys = [(i["run_number"], i["ls_number"], i["title_id"]) for page in pages for i in page["results"]]
    assert len(keys) == 3980 and keys == sorted(set(keys))
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
    pages = api.pages("histograms/", "page_size=500")
    with app.sciplane.database.connection_context():
        stored = dict(Histogram.select(Histogram.id, peewee.fn.LENGTH(Histogram.data)).tuples())
    sizes = [[stored[item["id"]] for item in page["results"]] for page in pages]
    assert len(pages) > 1 and sum(len(page) for page in sizes) == 9
    assert all(sum(page) <= 10_000 or len(page) == 1 for page in sizes), sizes  # one row is sent whatever its size
    assert all(page["next"] for page in pages[:-1])


def test_every_native_list_and_item_takes_fields_and_clamps_page_size(api, data_root):
    """§7.1 holds for every list, not only the histograms: ``fields=`` cuts items to the names asked for (an
    unknown name is a 422 listing the allowed ones), and a ``page_size`` above 500 is clamped however many digits
    it has."""
    from sciplane_dqm.resources.catalog import LS_FIELDS, RUN_FIELDS, TITLE_FIELDS
    from sciplane_dqm.resources.views import FILE_FIELDS, JOB_FIELDS
    from sciplane_dqm.services.histograms import ITEM_FIELDS

    file = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    job = expect(api.get("jobs/"), 200)["results"][0]
    histogram = expect(api.get("histograms/", "page_size=1"), 200)["results"][0]
    lists = {"files/": FILE_FIELDS, "jobs/": JOB_FIELDS, "runs/": RUN_FIELDS, "lumisections/": LS_FIELDS,
             "titles/": TITLE_FIELDS, "histograms/": ITEM_FIELDS}
    items = {f"files/{file['id']}": FILE_FIELDS, f"jobs/{job['id']}": JOB_FIELDS,
             f"runs/{histogram['run_number']}": RUN_FIELDS, f"histograms/{histogram['id']}": ITEM_FIELDS}
    for path, names in {**lists, **items}.items():
        whole = expect(api.get(path), 200)
        first = whole["results"][0] if path in lists else whole
        assert tuple(first) == names, path  # every field by default, in the documented order
        assert expect(api.get(path, "fields=" + ",".join(names)), 200) == whole, path
        two = names[-1], names[0]
        cut = expect(api.get(path, f"fields={two[0]},{two[1]}"), 200)
        cut_first = cut["results"][0] if path in lists else cut
        assert cut_first == {name: first[name] for name in two}, path
        refused = expect(api.get(path, f"fields={names[0]},bogus"), 422)
        assert refused["code"] == "validation_failed", path
        assert "bogus" in str(refused["errors"]) and names[-1] in str(refused["errors"]), path
    for path in lists:
        for size in ("9" * 25, "0" * 20 + "501", "1000"):
            assert expect(api.get(path, f"page_size={size}"), 200)["results"], (path, size)
        for size in ("0", "000", "-1", "1.5", "٣", ""):
            assert expect(api.get(path, f"page_size={size}"), 422)["code"] == "validation_failed", (path, size)
    runs = api.all_pages("titles/", "page_size=" + "0" * 30 + "2&fields=title")  # leading zeros: a size of 2
    assert runs and all(set(t) == {"title"} for t in runs)
    assert len(expect(api.get("titles/", "page_size=0002"), 200)["results"]) == 2
