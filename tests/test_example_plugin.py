"""A third-party plugin, pip-installed and enabled by configuration alone, brings its
routes, parser, model, migration, permission rules and CLI command; disabling it removes them."""

from pathlib import Path

import falcon.testing
import pytest

from sciplane import ParserKey
from sciplane.testing import ParserContract

SAMPLES = Path(__file__).parent / "example_plugin" / "samples"


@pytest.fixture
def enabled(make_app, example_plugin):
    return falcon.testing.TestClient(make_app(settings={"plugins": {"enabled": ["example"],
                                                                    "example": {"greeting": "bonjour"}}}))


def token(ctx, username, **kwargs):
    with ctx.database.connection_context():
        user = ctx.accounts.create_user(username, **kwargs)
        key, _ = ctx.accounts.create_token(user)
    return {"Authorization": f"Token {key}"}


def test_routes_and_settings(enabled):
    assert enabled.simulate_get("/example/hello/").json == {"message": "bonjour"}
    assert enabled.simulate_get("/example/notes").json == []


def test_model_and_migration(enabled):
    db = enabled.app.sciplane.database
    with db.connection_context():
        assert "example_note" in db.get_tables() and "migrations_example" in db.get_tables()


def test_permission_rules(enabled):
    ctx = enabled.app.sciplane
    writer = token(ctx, "writer", roles=["example-writer"])
    nobody = token(ctx, "nobody")
    root = token(ctx, "root", is_superuser=True)
    assert enabled.simulate_post("/example/notes", json={"text": "hi"}).status_code == 401
    assert enabled.simulate_post("/example/notes", json={"text": "hi"}, headers=nobody).status_code == 403
    invalid = enabled.simulate_post("/example/notes", json={"text": ""}, headers=writer)
    assert invalid.status_code == 422 and invalid.json["errors"] == {"text": ["Length must be between 1 and 1000."]}
    created = enabled.simulate_post("/example/notes", json={"text": "hi"}, headers=writer)
    assert created.status_code == 201 and created.json["author"] == "writer"
    # the plugin's veto holds even for a superuser
    assert enabled.simulate_post("/example/notes", json={"text": "forbidden"}, headers=root).status_code == 403
    assert [n["text"] for n in enabled.simulate_get("/example/notes").json] == ["hi"]


def test_parser_is_registered(enabled):
    index = enabled.simulate_get("/api").json
    assert {"filetype": "jsonl", "dimensionality": 1, "granularity": "lum", "plugin": "example",
            "version": "1.2.0", "priority": 0} in index["parsers"]
    example = next(p for p in index["plugins"] if p["name"] == "example")
    assert example["mounts"] == ["/example"] and example["actions"] == ["example.read", "example.write"]


def test_openapi_covers_the_plugin(enabled):
    from openapi_spec_validator import validate
    document = enabled.simulate_get("/openapi.json").json
    validate(document)
    assert document["paths"]["/example/notes"]["get"]["x-permission"] == "example.read"
    assert document["paths"]["/example/hello"]["get"]["security"] == []


def test_disabled_plugin_leaves_no_trace(make_app, example_plugin):
    client = falcon.testing.TestClient(make_app(settings={"plugins": {"enabled": []}}))
    assert client.simulate_get("/example/hello").status_code == 404
    index = client.simulate_get("/api").json
    assert index["parsers"] == [] and [p["name"] for p in index["plugins"]] == ["core"]
    assert "/example/notes" not in client.simulate_get("/openapi.json").json["paths"]


def test_installed_but_not_bundled_is_not_enabled_by_default(make_app, example_plugin):
    app = make_app(plugins=None, settings={"plugins": {"enabled": None}})
    assert "example" not in [p.name for p in app.sciplane.plugins]


@pytest.fixture(scope="module")
def example_parser(example_plugin):
    from sciplane_example.parser import JsonLinesParser
    return JsonLinesParser()


class TestExampleParser(ParserContract):
    """The contract test class applied to a third-party parser."""

    keys = [ParserKey("jsonl", 1, "lum")]
    sample_files = [SAMPLES / "histograms.jsonl"]

    @pytest.fixture(autouse=True)
    def _parser(self, example_parser):
        self.parser = example_parser


def test_example_parser_reports_bad_rows(example_parser):
    with (SAMPLES / "histograms.jsonl").open("rb") as stream:
        items = list(example_parser.parse(stream, key=ParserKey("jsonl", 1, "lum")))
    assert [type(i).__name__ for i in items] == ["HistogramRecord", "HistogramRecord", "EntryError",
                                                 "HistogramRecord"]
    assert items[2].entry == 3 and items[2].line == 4 and items[2].code == "bad_row"
