"""The ``sciplane`` command line.

Core commands live in this package; plugins add theirs through
``register_commands``.  Plugin commands are discovered from the same
configuration the server uses, so enabling a plugin by configuration is all
it takes for its commands to appear.
"""

from .main import cli, main, pass_app, run_in_database

__all__ = ["cli", "main", "pass_app", "run_in_database"]
