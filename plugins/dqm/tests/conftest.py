"""Fixtures for the histogram store: an app with the store and both parser plugins, a data root holding
copies of the sample files, and a client allowed every dqm action."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from sciplane.testing import RawClient, install_distribution
from sciplane_dqm.testing import SAMPLES, Api

REPOSITORY = Path(__file__).resolve().parents[3]
BENCH_ROOT = REPOSITORY / "testdata" / "dqm" / "bench_run367094.root"
EXAMPLE_PARSER = Path(__file__).parent / "example_parser"
PARSER_PLUGINS = ["histograms_csv", "nanodqm"]


@pytest.fixture
def data_root(tmp_path) -> Path:
    root = tmp_path / "dqm-data"
    root.mkdir()
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, root / sample.name)
    return root


@pytest.fixture
def bench_file(data_root) -> Path:
    """The 7.7 MB DQMIO benchmark file, copied into the data root."""
    return Path(shutil.copy(BENCH_ROOT, data_root / BENCH_ROOT.name))


@pytest.fixture
def dqm_settings() -> dict[str, Any]:
    """``[plugins.dqm]`` overrides for a test (``data_roots`` is added)."""
    return {}


@pytest.fixture
def plugins() -> list[str]:
    return ["dqm", *PARSER_PLUGINS]


@pytest.fixture
def app(make_app, plugins, data_root, dqm_settings):
    return make_app(plugins=plugins, settings={
        "plugins": {"dqm": {"data_roots": [str(data_root)], **dqm_settings}},
        "auth": {"grants": {"anonymous": ["dqm.*"]}}})


@pytest.fixture
def api(app) -> Api:
    return Api(RawClient(app))


@pytest.fixture(scope="session")
def example_parser(tmp_path_factory) -> Path:
    """The third-party parser distribution, pip-installed into a temporary directory."""
    return install_distribution(EXAMPLE_PARSER, tmp_path_factory.mktemp("dqm-site"))
