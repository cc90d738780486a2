"""pytest plugin: apps on a temporary SQLite file, or on PostgreSQL.

Set ``SCIPLANE_TEST_DATABASE_URL=postgresql://…`` to run the same tests on
PostgreSQL.  The database is dedicated to tests: its ``public`` schema is
rebuilt at the start of each session, tables are migrated as plugins are
enabled, and emptied before each test (rows that migrations seed are put
back).  When the
variable is set and the server is unreachable the run stops with an error
instead of skipping.  Tests marked ``pg`` run only on PostgreSQL;
``sqlite_only`` only on SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import pytest

from ..config import merge

ENV = "SCIPLANE_TEST_DATABASE_URL"
# Rows migrations seeded in the shared PostgreSQL test database, by table: put
# back after each test's truncation.
_SEEDS: dict[str, tuple] = {}
_REBUILT: set[str] = set()
# What ``loaded_once`` recorded, by its key: the row counts it started from and every table's rows after the load.
_LOADED: dict[Hashable, tuple[dict[str, int], dict[str, tuple]]] = {}


def _rebuild_schema(database) -> None:
    """Start the session from an empty schema, so migrations (and their seed rows) run in it."""
    with database.connection_context():
        database.execute_sql("DROP SCHEMA public CASCADE")
        database.execute_sql("CREATE SCHEMA public")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pg: runs only when SCIPLANE_TEST_DATABASE_URL names a PostgreSQL database")
    config.addinivalue_line("markers", "sqlite_only: runs only on the SQLite default")


def pytest_sessionstart(session: pytest.Session) -> None:
    url = os.environ.get(ENV)
    if not url:
        return
    import peewee

    from ..db import connect
    database = connect(url)
    try:
        database.connect()
        database.close()
    except peewee.OperationalError as exc:
        raise pytest.UsageError(f"{ENV} is set but PostgreSQL is unreachable: {exc}") from None
    finally:
        database.close_all()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_pg = bool(os.environ.get(ENV))
    for item in items:
        if "pg" in item.keywords and not on_pg:
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL ({ENV})"))
        if "sqlite_only" in item.keywords and on_pg:
            item.add_marker(pytest.mark.skip(reason="SQLite-specific"))


@pytest.fixture(scope="session")
def sciplane_database_url() -> str | None:
    """The PostgreSQL URL of this run, or None for per-test SQLite files."""
    return os.environ.get(ENV) or None


@pytest.fixture
def make_app(tmp_path, sciplane_database_url):
    """Factory: ``make_app(plugins=[…], settings={…}, extra_plugins=[…], migrate=True, serving=False)``.

    ``plugins`` defaults to ``settings["plugins"]["enabled"]``, else to none
    (the core alone).  ``settings`` is merged
    over the test defaults: a temporary data directory, the test database,
    jobs in immediate mode, no access log.  The database is migrated; on
    PostgreSQL it is emptied before the first app of each test.
    """
    from ..app import build_context
    from ..db import table_rows, truncate_all

    contexts = []
    state = {"fresh": False}

    def factory(plugins: Iterable[str] | None = None, settings: Mapping[str, Any] | None = None,
                extra_plugins: Iterable[Any] = (), migrate: bool = True, serving: bool = False):
        if plugins is None and (settings or {}).get("plugins", {}).get("enabled") is None:
            plugins = ()
        url = sciplane_database_url or f"sqlite:///{tmp_path}/sciplane.db"
        base = {"data_dir": str(tmp_path / "var"), "database": {"url": url},
                "jobs": {"immediate": True}, "logging": {"access_log": False}}
        ctx = build_context(merge(base, settings or {}), plugins=None if plugins is None else list(plugins),
                            extra_plugins=extra_plugins, serving=serving)
        contexts.append(ctx)
        if sciplane_database_url and sciplane_database_url not in _REBUILT:
            _rebuild_schema(ctx.database)
            _REBUILT.add(sciplane_database_url)
        if migrate:
            applied = ctx.migrate()
            if sciplane_database_url:
                for plugin in applied:  # fresh tables: whatever they hold was seeded by the migrations
                    _SEEDS.update(table_rows(ctx.database, ctx.models_by_plugin.get(plugin, ())))
                if not state["fresh"]:
                    truncate_all(ctx.database, ctx.models, _SEEDS)
                    state["fresh"] = True
        return ctx.app

    yield factory
    for ctx in contexts:
        for database in (ctx.database, *ctx.replicas.replicas):
            try:
                database.close_all()
            except Exception:
                pass


@pytest.fixture
def loaded_once():
    """Factory: ``loaded_once(key, app, load)`` runs ``load()``, data written through the real code paths
    (a plugin's demo catalogue, say), in full only once per session and ``key``.

    The first call records every table's rows after the load.  A later call with the same key, on a database
    that holds what it held when the first one began (the rows migrations seed, nothing a fixture wrote),
    empties the tables and copies those rows back: one statement per thousand rows instead of the load's
    hundreds of service calls.  Anywhere else, and whenever the copy fails, ``load()`` runs.  "What it held"
    is judged by each table's row count: a fixture that wrote first must change a count (it adds rows), which
    is what fixtures do.
    """
    import peewee

    from ..db import table_rows, truncate_all

    def factory(key: Hashable, app, load: Callable[[], None]) -> None:
        ctx = app.sciplane
        counts = _row_counts(ctx.database, ctx.models)
        key = (key, tuple(counts))  # the same tables, too
        known = _LOADED.get(key)
        if known is not None and known[0] == counts:
            try:
                truncate_all(ctx.database, ctx.models, known[1])
                return
            except peewee.DatabaseError:  # a schema the copy cannot rebuild: load for real
                pass
        load()
        if known is None:
            _LOADED[key] = (counts, table_rows(ctx.database, ctx.models))

    return factory


def _row_counts(database, models) -> dict[str, int]:
    tables = [model._meta.table_name for model in models]
    if not tables:
        return {}
    sql = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM \"{table}\"" for table in tables)
    with database.connection_context():
        return dict(database.execute_sql(sql).fetchall())


@pytest.fixture
def sciplane_cli(tmp_path, monkeypatch, sciplane_database_url):
    """Factory: ``invoke = sciplane_cli("conditions,…")``; ``invoke(*args, ok=True, input=None)`` runs
    the ``sciplane`` command against this test's database (the one ``make_app`` uses), configured
    only through the environment, and asserts exit code 0 unless ``ok=False``."""
    from click.testing import CliRunner

    from ..cli.main import cli

    def factory(plugins: str = ""):
        monkeypatch.chdir(tmp_path)
        for name in [n for n in os.environ if n.startswith("SCIPLANE_") and n != ENV]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("SCIPLANE_DATA_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("SCIPLANE_PLUGINS", plugins)
        monkeypatch.setenv("SCIPLANE_DATABASE_URL", sciplane_database_url or f"sqlite:///{tmp_path}/sciplane.db")

        def invoke(*args: str, ok: bool = True, input: str | None = None):
            result = CliRunner().invoke(cli, list(args), catch_exceptions=False, input=input)
            if ok:
                assert result.exit_code == 0, result.output
            return result
        return invoke

    return factory


@pytest.fixture
def app(make_app):
    """An app with the core alone; plugin suites override this fixture."""
    return make_app()


@pytest.fixture
def client(app):
    """A ``falcon.testing.TestClient`` for ``app``."""
    import falcon.testing
    return falcon.testing.TestClient(app)


@pytest.fixture
def db(app):
    """The app's database; queries connect on demand."""
    return app.sciplane.database


@pytest.fixture
def ctx(app):
    """The app's :class:`~sciplane.AppContext`."""
    return app.sciplane
