"""Hook implementations that only hand over what a plugin declares, so a plugin module says *what* it
registers rather than repeating the same three-line functions::

    config_schema = provides(MySettings)
    register_models = provides(MODELS)
    register_commands = commands_in("my_plugin.commands")   # imported when the CLI asks
    load_demo = demo_in("my_plugin.demo")

pluggy takes a hook's name from the module attribute, so the attribute names above are the hook names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .hookspecs import hookimpl


def provides(value: Any) -> Callable[[], Any]:
    """A hook implementation without arguments that returns ``value``."""
    def implementation():
        return value
    return hookimpl(implementation)


def commands_in(module: str) -> Callable[[], Any]:
    """``register_commands``: the ``COMMANDS`` of ``module``, imported only when the command line runs."""
    def register_commands():
        return importlib.import_module(module).COMMANDS
    return hookimpl(register_commands)


def demo_in(module: str) -> Callable[..., None]:
    """``load_demo``: ``module.load(ctx, echo)``, imported only when demo data is loaded."""
    def load_demo(ctx, echo):
        importlib.import_module(module).load(ctx, echo)
    return hookimpl(load_demo)
