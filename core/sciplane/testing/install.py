"""Installing a plugin distribution into a directory for the duration of a test run."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path


def install_distribution(source: str | Path, target: str | Path) -> Path:
    """``pip install`` the distribution at ``source`` into ``target`` and make it importable.

    The app then discovers it through ``importlib.metadata`` like any
    installed plugin; nothing is installed into the environment itself.
    """
    target = Path(target)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True)
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    return target
