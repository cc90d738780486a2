"""Scenarios 43-47: numpy export, PNG plots, stacks over lumisections and runs."""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import zipfile
from urllib.parse import urlencode

import numpy as np
import pytest

from sciplane_dqm.testing import CSV_1D, CSV_2D, ROOT_SMALL, expect, legacy_row, write_csv

DIGEST_1D = "29e87f58f7a9f6b4be3eb5e13ab5afee0ad2ebc7df60ed35e637363ea66a999a"
CHARGE_1 = "PixelPhase1/Tracks/PXBarrel/charge_PXLayer_1"


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


def load(result) -> np.ndarray:
    return np.load(io.BytesIO(result.content), allow_pickle=False)


@pytest.fixture
def dqm_settings():
    return {"export_max_histograms": 5}


def test_43_npy_export(api, data_root):
    file = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    result = api.get("histograms/export/", f"source_file={file['id']}&format=npy")
    assert result.status_code == 413  # 9 > export_max_histograms (5), scenario 45's limit
    body = expect(result, 413)
    assert (body["code"], body["count"], body["bytes"]) == ("selection_too_large", 9, 9 * 100 * 8)


def test_43_44_45_exports(make_app, data_root):
    from sciplane.testing import RawClient
    from sciplane_dqm.testing import Api
    api = Api(RawClient(make_app(plugins=["dqm", "histograms_csv", "nanodqm"], settings={
        "plugins": {"dqm": {"data_roots": [str(data_root)]}}, "auth": {"grants": {"anonymous": ["dqm.*"]}}})))
    one = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    result = expect(api.get("histograms/export/", f"source_file={one['id']}"), 200)
    assert result.headers["content-type"] == "application/octet-stream"
    assert result.headers["x-histogram-count"] == "9"
    assert result.headers["content-disposition"] == 'attachment; filename="histograms.npy"'
    array = load(result)
    assert (array.shape, array.dtype) == ((9, 100), np.float64)
    assert hashlib.sha256(array.astype("<f8").tobytes()).hexdigest() == DIGEST_1D
    single = load(expect(api.get("histograms/export/", f"source_file={one['id']}&dtype=float32"), 200))
    assert single.dtype == np.float32 and np.array_equal(single, array)

    api.ingest(data_root / ROOT_SMALL, (1, "lum"))
    archive = expect(api.get("histograms/export/", "format=npz&run_number=357538&dim=1&granularity=lum"), 200)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as members:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in members.infolist())
    npz = np.load(io.BytesIO(archive.content), allow_pickle=False)
    assert npz["data"].shape == (12, 100)
    assert npz["ls_number"].tolist() == [1, 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, 5]
    assert npz["run_number"].dtype == np.int64 and npz["title"].dtype.kind == "U"
    assert npz["title"][0] == CHARGE_1 and "y_min" not in npz.files

    api.ingest(data_root / CSV_2D, (2, "lum"))
    mixed = expect(api.get("histograms/export/", "dim=2&run_number=315488"), 422)
    assert mixed["code"] == "inhomogeneous_selection" and len(mixed["shapes"]) == 5
    assert sum(shape["count"] for shape in mixed["shapes"]) == 9
    one_title = load(expect(api.get("histograms/export/", "title=TkHMap_NumberOfOnTrackCluster_TECP_W2"), 200))
    assert one_title.shape == (1, 80, 16)
    empty = load(expect(api.get("histograms/export/", "run_number=1"), 200))
    assert (empty.shape, empty.dtype) == ((0,), np.float64)
    nothing = np.load(io.BytesIO(expect(api.get("histograms/export/", "run_number=1&format=npz"), 200).content))
    assert all(nothing[name].shape == (0,) for name in nothing.files)
    assert expect(api.get("histograms/export/", "format=csv"), 422)["code"] == "validation_failed"


def test_46_plots(api, data_root):
    api.ingest(data_root / CSV_1D, (1, "lum"))
    api.ingest(data_root / CSV_2D, (2, "lum"))
    one = expect(api.get("histograms/", "dim=1&page_size=1&fields=id"), 200)["results"][0]["id"]
    two = expect(api.get("histograms/", "dim=2&page_size=1&fields=id"), 200)["results"][0]["id"]
    for ident in (one, two):
        result = expect(api.get(f"histograms/{ident}/plot/"), 200)
        assert result.headers["content-type"] == "image/png" and png_size(result.content) == (800, 600)
        small = expect(api.get(f"histograms/{ident}/plot/", "width=640&height=480&log=true&cmap=magma"), 200)
        assert png_size(small.content) == (640, 480)
    assert expect(api.get(f"histograms/{one}/plot/", "width=5000"), 422)["code"] == "validation_failed"
    assert expect(api.get(f"histograms/{one}/plot/", "cmap=jet"), 422)["code"] == "validation_failed"
    assert expect(api.get("histograms/99999/plot/"), 404)["code"] == "not_found"


def test_a_title_with_dollar_signs_is_drawn_as_text(api, data_root):
    """matplotlib reads "$…$" as mathematics, and fails on most of it: a stored title is drawn as written."""
    titles = ["mt$x^{$", "mt$\\undefinedmacro$", "mt$$"]
    rows = [legacy_row(title, np.ones(12), bins=(10,)) for title in titles]
    rows.append(legacy_row("m2$x^{$", np.ones((4, 5)), metype=6, x=(0, 3), y=(0, 2), bins=(3, 2)))
    api.ingest(write_csv(data_root / "dollars.csv", rows), (1, "lum"), (2, "lum"))
    for item in expect(api.get("histograms/", "fields=id,title"), 200)["results"]:
        assert png_size(expect(api.get(f"histograms/{item['id']}/plot/"), 200).content) == (800, 600), item
        stack = api.get("histograms/stack/", urlencode({"title": item["title"], "format": "png"}))
        assert png_size(expect(stack, 200).content) == (800, 600), item


def test_a_stack_of_rows_with_different_limits_plots_on_bin_numbers(api, data_root):
    """One title's rows share their bin counts but not their limits: the JSON form says so (null limits), the
    PNG draws the rows on bin numbers, in 1D and in 2D."""
    rows = [legacy_row("varying", np.ones(12), lumi=lumi, x=(0, high), bins=(10,)) for lumi, high in ((1, 10), (2, 20))]
    rows += [legacy_row("varying2", np.ones((4, 5)), lumi=lumi, metype=6, x=(0, 3), y=(0, high), bins=(3, 2))
             for lumi, high in ((1, 2), (2, 4))]
    api.ingest(write_csv(data_root / "varying.csv", rows), (1, "lum"), (2, "lum"))
    stacked = expect(api.get("histograms/stack/", "title=varying"), 200)
    assert (stacked["count"], stacked["x_min"], stacked["x_max"]) == (2, 0.0, None)
    for title in ("varying", "varying2"):
        png = api.get("histograms/stack/", urlencode({"title": title, "format": "png"}))
        assert png_size(expect(png, 200).content) == (800, 600), title


def test_limits_near_the_end_of_float64_are_refused_at_ingest(api, data_root):
    """Finite limits whose difference is not (±1.7e308), or that matplotlib's ticks overflow on (1.5e308), would
    fail plots and stacks: the row is the store's ``bad_value``, so none ever meets it."""
    rows = [legacy_row("huge", np.ones(7), x=(-1.7e308, 1.7e308), bins=(5,)),
            legacy_row("high", np.ones(7), x=(0, 1.5e308), bins=(5,)),
            legacy_row("fine", np.ones(7), x=(-1e300, 1e300), bins=(5,))]
    file = api.register(write_csv(data_root / "huge.csv", rows))
    job = api.parse(file["id"], 1, on_error="skip")
    assert (job["status"], job["histograms_created"], job["entries_failed"]) == ("done", 1, 2)
    assert {error["code"] for error in job["errors"]} == {"bad_value"}
    assert "within ±1e+300" in job["errors"][0]["message"]
    fine = expect(api.get("histograms/", "fields=id"), 200)["results"][0]["id"]
    assert png_size(expect(api.get(f"histograms/{fine}/plot/"), 200).content) == (800, 600)
    assert [item["title"] for item in expect(api.get("histograms/", "fields=title"), 200)["results"]] == ["fine"]


def test_47_stack(api, data_root):
    small = api.ingest(data_root / ROOT_SMALL, (1, "lum"), (1, "run"), (2, "lum"))[0]
    stack = expect(api.get("histograms/stack/", f"title={CHARGE_1}&run_number=357538"), 200)
    assert (stack["count"], stack["ls_numbers"], stack["dim"], stack["granularity"]) == (4, [1, 2, 4, 5], 1, "lum")
    assert np.asarray(stack["data"]).shape == (4, 100)
    npy = load(expect(api.get("histograms/stack/", f"title={CHARGE_1}&run_number=357538&format=npy"), 200))
    assert np.array_equal(npy, np.asarray(stack["data"]))
    png = expect(api.get("histograms/stack/", f"title={CHARGE_1}&format=png&normalize=true"), 200)
    assert png_size(png.content) == (800, 600)
    zphi = "PixelPhase1/Tracks/PXBarrel/clusterposition_zphi_ontrack_PXLayer_1"
    assert png_size(expect(api.get("histograms/stack/", f"title={zphi}&format=png&log=true"), 200).content)
    assert expect(api.get("histograms/stack/", f"title={CHARGE_1}&granularity=run"), 200)["count"] == 1
    assert expect(api.get("histograms/stack/", "title=unknown"), 404)["code"] == "not_found"
    assert expect(api.get("histograms/stack/"), 422)["code"] == "validation_failed"
    both = write_csv(data_root / "both.csv", [
        legacy_row("shared", np.ones(12), bins=(10,)),
        legacy_row("shared", np.ones((4, 5)), metype=6, x=(0, 3), y=(0, 2), bins=(3, 2), lumi=230)])
    api.ingest(both, (1, "lum"), (2, "lum"))
    assert expect(api.get("histograms/stack/", "title=shared"), 422)["code"] == "ambiguous_title"
    assert expect(api.get("histograms/stack/", "title=shared&dim=2"), 200)["count"] == 1
    assert small["id"]


@pytest.mark.parametrize("dqm_settings", [{}])
def test_an_export_reads_one_state_of_the_store(api, app, data_root, monkeypatch):
    """A row deleted while the export is under way (after its id list, before its arrays) is still in it: the
    checks, the ids and the arrays read one snapshot, so the body is never cut off by a concurrent write."""
    from sciplane_dqm.models import Histogram
    from sciplane_dqm.services import histograms

    file = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    real_arrays_of = histograms.arrays_of

    def arrays_of(ids, shape, dtype, batch=1000):
        def delete_the_first() -> None:
            with app.sciplane.database.connection_context():
                Histogram.delete().where(Histogram.id == ids[0]).execute()
        writer = threading.Thread(target=delete_the_first)
        writer.start()
        writer.join()
        yield from real_arrays_of(ids, shape, dtype, batch)

    monkeypatch.setattr(histograms, "arrays_of", arrays_of)
    result = expect(api.get("histograms/export/", f"source_file={file['id']}"), 200)
    assert load(result).shape == (9, 100)
    assert api.count(f"source_file={file['id']}") == 8  # the delete was committed meanwhile
