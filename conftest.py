"""Fixtures shared by every test suite of the repository."""

from pathlib import Path

import pytest

from sciplane.testing import install_distribution

EXAMPLE = Path(__file__).resolve().parent / "tests" / "example_plugin"


@pytest.fixture(scope="session")
def example_plugin(tmp_path_factory):
    """The example third-party plugin, pip-installed into a temporary directory."""
    return install_distribution(EXAMPLE, tmp_path_factory.mktemp("site"))
