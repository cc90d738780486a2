"""Scenarios 58-60: parsers come from separate distributions, installed with pip and enabled by configuration."""

from __future__ import annotations

import numpy as np
import pytest

from sciplane import ParserSpec, StartupError, hookimpl
from sciplane_dqm.testing import expect


def write_npz(path, rows: int = 6, bins: int = 20):
    rng = np.random.default_rng(7)
    np.savez(path, run=np.full(rows, 400_001), lumi=np.arange(1, rows + 1), title=np.array(["ml/occupancy"] * rows),
             entries=np.full(rows, 1000), x_min=np.zeros(rows), x_max=np.full(rows, 10.0),
             data=rng.integers(0, 50, size=(rows, bins)).astype(np.float64))
    return path


@pytest.fixture
def plugins(example_parser):
    return ["dqm", "histograms_csv", "nanodqm", "dqm_example_parser"]


def test_58_installed_parser_extends_the_map(api, data_root):
    keys = expect(api.get("parsers/"), 200)
    assert {"filetype": "npz", "dimensionality": 1, "granularity": "lum", "plugin": "dqm_example_parser",
            "version": "0.3.0", "aliases": []} in keys
    path = write_npz(data_root / "occupancy.npz")
    file = api.register(path, filetype="npz")
    assert file["filetype"] == "npz"
    job = api.parse(file["id"], 1)
    assert (job["status"], job["histograms_created"], job["parser"]) == ("done", 6, "dqm_example_parser 0.3.0")
    items = expect(api.get("histograms/", f"source_file={file['id']}"), 200)["results"]
    assert [item["ls_number"] for item in items] == [1, 2, 3, 4, 5, 6]
    with np.load(path) as archive:
        assert np.array_equal(np.array([item["data"] for item in items]), archive["data"])


def _api(make_app, data_root, plugins: list[str]):
    from sciplane.testing import RawClient
    from sciplane_dqm.testing import Api
    return Api(RawClient(make_app(plugins=plugins, settings={
        "plugins": {"dqm": {"data_roots": [str(data_root)]}}, "auth": {"grants": {"anonymous": ["dqm.*"]}}})))


def test_58_installed_but_not_enabled(make_app, example_parser, data_root):
    path = write_npz(data_root / "occupancy.npz")
    registered = _api(make_app, data_root, ["dqm", "dqm_example_parser"]).register(path, filetype="npz")
    api = _api(make_app, data_root, ["dqm", "histograms_csv"])  # the same database, the parser not enabled
    assert all(key["filetype"] != "npz" for key in expect(api.get("parsers/"), 200))
    failed = expect(api.post("files/", {"filepath": str(path), "filetype": "npz"}), 422)
    assert failed["code"] == "unknown_filetype" and failed["filetypes"] == ["csv"]
    refused = expect(api.start(registered["id"], 1), 422)
    assert refused["code"] == "parser_not_found"
    assert refused["supported"] == [{"filetype": "csv", "dimensionality": d, "granularity": "lum"} for d in (1, 2)]


def test_60_store_without_parsers(make_app, data_root):
    from sciplane_dqm.testing import CSV_1D, CSV_2D
    registered = _api(make_app, data_root, ["dqm", "histograms_csv"]).register(data_root / CSV_1D)
    api = _api(make_app, data_root, ["dqm"])  # the same database, no parser plugin
    assert expect(api.get("parsers/"), 200) == []
    failed = expect(api.post("files/", {"filepath": str(data_root / CSV_2D)}), 422)
    assert failed["code"] == "unknown_filetype" and failed["filetypes"] == []
    refused = expect(api.start(registered["id"], 1), 422)
    assert (refused["code"], refused["supported"]) == ("parser_not_found", [])


class _RootParser:
    def count(self, stream, *, key):
        return 0

    def parse(self, stream, *, key, start=0):
        return iter(())


class _ReservedName:
    @hookimpl
    def register_parsers(self):
        return [ParserSpec("root", 1, "lum", _RootParser())]


class _SecondCsv:
    def __init__(self, priority: int):
        self.priority = priority

    @hookimpl
    def register_parsers(self):
        return [ParserSpec("csv", 1, "lum", _RootParser(), priority=self.priority, version="9.9")]


def test_59_reserved_filetype_and_priorities(make_app, data_root):
    settings = {"plugins": {"dqm": {"data_roots": [str(data_root)]}}, "auth": {"grants": {"anonymous": ["dqm.*"]}}}
    with pytest.raises(StartupError, match="reserved"):
        make_app(plugins=["dqm"], extra_plugins=[_ReservedName()], settings=settings)
    with pytest.raises(StartupError, match="two parsers"):
        make_app(plugins=["dqm", "histograms_csv"], extra_plugins=[_SecondCsv(0)], settings=settings)
    app = make_app(plugins=["dqm", "histograms_csv"], extra_plugins=[_SecondCsv(1)], settings=settings)
    from sciplane.testing import RawClient
    from sciplane_dqm.testing import Api
    keys = expect(Api(RawClient(app)).get("parsers/"), 200)
    winner = next(k for k in keys if (k["filetype"], k["dimensionality"]) == ("csv", 1))
    assert winner["version"] == "9.9"
