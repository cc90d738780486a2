"""Hook implementations of the histogram store."""

from __future__ import annotations

import re
from pathlib import Path

from sciplane import Action, EndpointGroup, JobSpec, StartupError, hookimpl, is_sqlite
from sciplane.declare import commands_in, demo_in, provides

from . import routes
from .models import MODELS
from .resources.base import Context
from .services import ingest, parsing
from .settings import DqmSettings

NAME = "dqm"
MOUNT = "/api/dqm"
MIN_BUSY_TIMEOUT_MS = 5000
ACTIONS = [
    Action(routes.READ, "Read files, jobs, histograms, runs, lumisections, titles and parsers"),
    Action(routes.REGISTER, "Register a histogram data file by path"),
    Action(routes.DELETE, "Delete a histogram data file (its histograms stay)"),
    Action(routes.PARSE, "Start, resume or force the parsing of a file"),
    Action(routes.DISCOVER, "Register every new file under the data roots"),
]


# Hooks that hand over what this plugin declares (pluggy names a hook by its attribute).
config_schema = provides(DqmSettings)
register_models = provides(MODELS)
register_migrations = provides(Path(__file__).parent / "migrations")
register_actions = provides(ACTIONS)
register_commands = commands_in(f"{__package__}.commands")
load_demo = demo_in(f"{__package__}.demo")


@hookimpl
def prepare_database(database, ctx):
    if is_sqlite(database):
        # title__regex on SQLite: Python's re.search, unanchored like PostgreSQL's ~.
        database.register_function(_regexp, "regexp", 2)
        # Chunks of concurrent parse jobs queue behind one another on SQLite's single writer lock.
        if ctx.settings.database.busy_timeout_ms < MIN_BUSY_TIMEOUT_MS:
            raise StartupError(f"the dqm plugin needs [database] busy_timeout_ms >= {MIN_BUSY_TIMEOUT_MS} on SQLite")


def _regexp(pattern: str, value: str) -> bool:
    return value is not None and re.search(pattern, value) is not None


@hookimpl
def register_jobs():
    return [JobSpec(parsing.TASK, _parse_task, "Parse one histogram data file for one parser key")]


def _parse_task(ctx, job_id: int):
    return ingest.run_job(ctx, job_id)


@hookimpl
def register_endpoint_groups(ctx):
    context = Context(ctx, ctx.plugin_settings(NAME))
    return [EndpointGroup(NAME, MOUNT, routes.build(context, MOUNT), slashes="tolerant",
                          description="CMS DQM histogram store")]


@hookimpl
def startup(ctx):
    if any(key.filetype == "root" for key in ctx.parsers.keys()):
        raise StartupError("the filetype 'root' is reserved as an alias of 'nanodqm'; register parsers under "
                           "'nanodqm' instead")


@hookimpl
def worker_started(ctx):
    # Beside every job consumer: queue again the jobs of workers that died, and enqueues that were lost.
    from .services.reconciler import start
    start(ctx)


