"""Test kit for sciplane and its plugins.

The pytest plugin (``sciplane.testing.plugin``, loaded automatically through
the ``pytest11`` entry point) provides the ``make_app``, ``app``, ``client``
and ``db`` fixtures; the contract classes check parsers and blob stores.
"""

from .contracts import BlobStoreContract, ParserContract
from .install import install_distribution
from .server import LiveServer, settings_to_env
from .statements import count_statements
from .validators import last_modified_agrees
from .wsgi import MountClient, RawClient, RawResult, call_wsgi

__all__ = ["BlobStoreContract", "LiveServer", "MountClient", "ParserContract", "RawClient", "RawResult", "call_wsgi",
           "count_statements", "install_distribution", "last_modified_agrees", "settings_to_env"]
