"""Every hook is documented with its exact signature and exercised by a test."""

import inspect
import re
from pathlib import Path

import pytest

from sciplane import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = [name for name, fn in vars(hookspecs).items()
         if callable(fn) and hasattr(fn, "sciplane_spec")]
TEST_SOURCES = "\n".join(p.read_text() for base in (ROOT / "core" / "tests", ROOT / "tests")
                         for p in base.rglob("*.py") if p.name != Path(__file__).name)


def test_hooks_are_discovered():
    assert len(HOOKS) >= 20 and "register_endpoint_groups" in HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_signature(name):
    signature = f"{name}{inspect.signature(getattr(hookspecs, name))}"
    assert f"### `{signature}`" in (ROOT / "docs" / "hooks.md").read_text(), f"docs/hooks.md lacks ### `{signature}`"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test(name):
    assert re.search(rf"def {name}\(", TEST_SOURCES), f"no test implements the hook {name}"
