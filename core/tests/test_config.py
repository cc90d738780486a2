"""Configuration: file, environment, validation with the key named."""

import pytest
from marshmallow import Schema, fields, validate

from sciplane import StartupError, build_context, hookimpl
from sciplane.config import env_overrides, load_raw, validate_core


def test_defaults():
    settings = validate_core({})
    assert settings.database.url == "sqlite:///var/sciplane.db"
    assert settings.jobs.url == "sqlite:///var/jobs.db"
    assert settings.storage.stores["files"] == {"kind": "local"}
    assert validate_core({"logging": {"level": "debug"}}).logging.level == "DEBUG"
    assert settings.plugins.enabled is None


def test_file_then_environment(tmp_path):
    path = tmp_path / "sciplane.toml"
    path.write_text('[database]\nurl = "sqlite:///from-file.db"\n[server]\nworkers = 3\n')
    raw = load_raw(environ={"SCIPLANE_CONFIG": str(path), "SCIPLANE_DATABASE_URL": "postgresql://u@h/db",
                            "SCIPLANE__HTTP__MAX_BODY_BYTES": "1024", "SCIPLANE_PLUGINS": "a, b"})
    settings = validate_core(raw)
    assert settings.database.url == "postgresql://u@h/db"
    assert settings.server.workers == 3
    assert settings.http.max_body_bytes == 1024
    assert settings.plugins.enabled == ["a", "b"]


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(StartupError, match="configuration file not found"):
        load_raw(environ={"SCIPLANE_CONFIG": str(tmp_path / "absent.toml")})


def test_broken_toml_is_an_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[database\n")
    with pytest.raises(StartupError, match="invalid configuration file"):
        load_raw(environ={"SCIPLANE_CONFIG": str(path)})


@pytest.mark.parametrize("raw, key", [
    ({"server": {"workers": 0}}, "server.workers"),
    ({"database": {"url": "mysql://x"}}, "database.url"),
    ({"jobs": {"url": "amqp://x"}}, "jobs.url"),
    ({"http": {"max_body_bytes": "lots"}}, "http.max_body_bytes"),
    ({"logging": {"level": "LOUD"}}, "logging.level"),
    ({"databse": {}}, "databse"),
    ({"auth": {"service_tokens": [{"token": "short", "username": "x"}]}}, "auth.service_tokens.0.token"),
    ({"storage": {"default": "s3"}}, "storage.default"),
    ({"plugins": {"enabled": "conditions"}}, "plugins.enabled"),
])
def test_invalid_values_name_the_key(raw, key):
    with pytest.raises(StartupError) as info:
        validate_core(raw)
    assert key in str(info.value)


def test_generic_environment_values_are_toml():
    tree = env_overrides({"SCIPLANE__PLUGINS__CONDITIONS__WRITE_AUTH": "true",
                          "SCIPLANE__AUTH__GRANTS__ANONYMOUS": '["dqm.read"]', "SCIPLANE__HTTP__CORS_ORIGINS": "x",
                          "OTHER": "1"})
    assert tree == {"plugins": {"conditions": {"write_auth": True}}, "auth": {"grants": {"anonymous": ["dqm.read"]}},
                    "http": {"cors_origins": "x"}}


class Sectioned:
    plugin_name = "sectioned"

    class Settings(Schema):
        colour = fields.String(load_default="red", validate=validate.OneOf(["red", "blue"]))

    @hookimpl
    def config_schema(self):
        return self.Settings


def test_plugin_sections_are_validated(make_app):
    app = make_app(extra_plugins=[Sectioned()], settings={"plugins": {"sectioned": {"colour": "blue"}}})
    assert app.sciplane.plugin_settings("sectioned").colour == "blue"
    assert make_app(extra_plugins=[Sectioned()]).sciplane.plugin_settings("sectioned").colour == "red"
    with pytest.raises(StartupError, match=r"plugin 'sectioned'.*plugins.sectioned.colour"):
        make_app(extra_plugins=[Sectioned()], settings={"plugins": {"sectioned": {"colour": "green"}}})
    with pytest.raises(StartupError, match=r"plugins.sectioned.shade"):
        make_app(extra_plugins=[Sectioned()], settings={"plugins": {"sectioned": {"shade": 1}}})


def test_plugin_section_must_be_a_table(make_app):
    with pytest.raises(StartupError, match="plugins.sectioned: must be a table"):
        make_app(extra_plugins=[Sectioned()], settings={"plugins": {"sectioned": 3}})


def test_cors(make_app):
    import falcon.testing
    app = make_app(settings={"http": {"cors_origins": ["*"], "request_id_header": "X-Trace"}})
    resp = falcon.testing.TestClient(app).simulate_get("/health/live", headers={"Origin": "https://a.example"})
    assert resp.headers["access-control-allow-origin"] == "*"
    assert "X-Trace" in resp.headers["access-control-expose-headers"]


def test_plugin_without_schema_takes_no_settings(make_app):
    class Bare:
        plugin_name = "bare"

        @hookimpl
        def startup(self):
            pass

    with pytest.raises(StartupError, match="takes no settings"):
        make_app(extra_plugins=[Bare()], settings={"plugins": {"bare": {"x": 1}}})


def test_in_memory_sqlite_is_refused(tmp_path):
    with pytest.raises(StartupError, match="in-memory"):
        build_context({"database": {"url": "sqlite:///:memory:"}, "data_dir": str(tmp_path)}, plugins=[])
