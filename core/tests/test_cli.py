"""The command line: accounts, migrations, inspection, plugin commands, demo data."""


import pytest


@pytest.fixture
def run(sciplane_cli):
    """``sciplane`` against this test's database, with the core alone."""
    return sciplane_cli("")


@pytest.fixture
def migrated(run, make_app):
    make_app()  # migrates and, on PostgreSQL, empties the shared test database
    return run


def test_help_lists_every_core_command(run):
    out = run("--help").output
    for name in ("serve", "worker", "migrate", "plugins", "parsers", "openapi", "users", "groups", "tokens",
                 "clients", "demo"):
        assert f"  {name} " in out
    for sub in ("serve", "users", "tokens", "clients"):
        assert "Usage:" in run(sub, "--help").output


def test_migrate(run, sciplane_database_url):
    if sciplane_database_url:
        pytest.skip("the shared PostgreSQL test database is already migrated")
    assert "core: 1 pending (0001_accounts_and_jobs)" in run("migrate", "--check", ok=False).output
    assert "applied 1 migration(s)" in run("migrate").output
    assert "database is up to date" in run("migrate").output


def test_accounts(migrated):
    run = migrated
    added = run("users", "add", "ada", "--email", "ada@example.org", "--role", "writers")
    assert "created user ada (id" in added.output
    token = run("tokens", "create", "ada", "--name", "laptop").stdout.strip().splitlines()[0]
    assert len(token) >= 40
    listing = run("tokens", "list").output
    assert token[:8] in listing and token not in listing
    assert "revoked 1 token(s)" in run("tokens", "revoke", token[:8]).output
    out = run("clients", "create", "pipeline", "--role", "writers").output
    assert "client_id: " in out and "client_secret: " in out
    assert "pipeline" in run("clients", "list").output
    run("groups", "create", "observers")
    run("groups", "add-member", "observers", "ada")
    assert "ada" in run("groups", "list").output
    assert "ada removed from observers" in run("groups", "remove-member", "observers", "ada").output
    users = run("users", "list").output
    assert "ada@example.org" in users and "service" in users
    run("users", "deactivate", "ada")
    assert "inactive" in run("users", "list").output
    duplicate = run("users", "add", "ada", ok=False)
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_inspection(migrated):
    assert "core" in migrated("plugins").output
    assert "no parsers registered" in migrated("parsers").output
    assert '"openapi":"3.1.0"' in migrated("openapi").output


def test_config_option_reaches_plugin_commands(run, tmp_path, example_plugin, monkeypatch):
    monkeypatch.delenv("SCIPLANE_PLUGINS")
    (tmp_path / "site.toml").write_text('[plugins]\nenabled = ["example"]\n')
    assert run("--config", str(tmp_path / "site.toml"), "example-greet", "Ida").output == "hello, Ida\n"


def test_worker_urls_are_redacted():
    from sciplane.cli.server import redact
    assert redact("redis://:s3cret@queue.example:6379/0") == "redis://:***@queue.example:6379/0"
    assert redact("redis://user:pw@h/1") == "redis://user:***@h/1"
    assert redact("sqlite:///var/jobs.db") == "sqlite:///var/jobs.db"


def test_worker_calls_worker_started_before_consuming(migrated, monkeypatch, example_plugin, make_app, tmp_path):
    from sciplane.jobs import JobQueue

    class Consumer:
        def run(self):
            marks.append((tmp_path / "var" / "example-worker-started").exists())

    marks = []
    monkeypatch.setattr(JobQueue, "consumer", lambda self, **options: Consumer())
    make_app(plugins=["example"])
    monkeypatch.setenv("SCIPLANE_PLUGINS", "example")
    migrated("worker")
    assert marks == [True]


def test_invalid_configuration_is_reported(run, monkeypatch):
    monkeypatch.setenv("SCIPLANE__SERVER__WORKERS", "0")
    result = run("plugins", ok=False)
    assert result.exit_code != 0 and "server.workers" in result.output


def test_plugin_commands_and_demo(migrated, monkeypatch, example_plugin, make_app):
    run = migrated
    assert "example-greet" not in run("--help").output
    monkeypatch.setenv("SCIPLANE_PLUGINS", "example")
    assert "example-greet" in run("--help").output
    assert run("example-greet", "Vera").output == "hello, Vera\n"
    make_app(plugins=["example"])  # migrate the example tables
    assert "example: 1 note" in run("demo", "--if-empty").output
    assert "already holds data" in run("demo", "--if-empty").output
    monkeypatch.setenv("SCIPLANE_PLUGINS", "")
    assert run("example-greet", "Vera", ok=False).exit_code != 0
