"""Plugin discovery, enabling by configuration, and start-up errors."""

import types

import falcon.testing
import pytest

from sciplane import Action, EndpointGroup, ParserSpec, Route, StartupError, hookimpl, hookspec


class Plain:
    def on_get(self, req, resp):
        resp.media = {"ok": True}


def group_plugin(name, mount, path="/x"):
    class P:
        plugin_name = name

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup(name, mount, [Route(path, Plain())])]
    return P()


def test_each_app_has_its_own_plugin_manager(make_app):
    first, second = make_app(), make_app(extra_plugins=[group_plugin("x", "/x")])
    assert first.sciplane.pm is not second.sciplane.pm
    assert [p.name for p in first.sciplane.plugins] == ["core"]
    assert [p.name for p in second.sciplane.plugins] == ["core", "x"]


def test_enabled_plugin_not_installed(make_app):
    with pytest.raises(StartupError, match=r"plugin 'calcatt' is enabled but not installed"):
        make_app(plugins=["calcatt"])


def test_plugin_enabled_by_configuration(make_app, example_plugin):
    app = make_app(settings={"plugins": {"enabled": ["example"]}})
    info = app.sciplane.plugin("example")
    assert info.version == "1.2.0" and info.distribution == "sciplane-example"
    assert falcon.testing.TestClient(app).simulate_get("/example/hello").json == {"message": "hello"}


def test_enabled_by_environment(example_plugin, tmp_path, monkeypatch):
    from sciplane import build_context
    monkeypatch.chdir(tmp_path)
    ctx = build_context(environ={"SCIPLANE_PLUGINS": "example", "SCIPLANE_DATA_DIR": str(tmp_path)})
    assert [p.name for p in ctx.plugins] == ["core", "example"]
    ctx = build_context(environ={"SCIPLANE_PLUGINS": "", "SCIPLANE_DATA_DIR": str(tmp_path)})
    assert [p.name for p in ctx.plugins] == ["core"]


def test_version_specifiers(make_app, example_plugin):
    assert make_app(plugins=["example>=1.0,<2"]).sciplane.plugin("example").version == "1.2.0"
    with pytest.raises(StartupError, match=r"plugin 'example' version 1.2.0 does not satisfy example>=2"):
        make_app(plugins=["example>=2"])
    with pytest.raises(StartupError, match="bad version specifier"):
        make_app(plugins=["example>>1"])


def test_misspelt_hook_is_rejected(make_app):
    class Typo:
        plugin_name = "typo"

        @hookimpl
        def register_parser(self):  # the hook is register_parsers
            return []

    with pytest.raises(StartupError, match="register_parser"):
        make_app(extra_plugins=[Typo()])


def test_hook_with_unknown_argument_is_rejected(make_app):
    class BadArgs:
        plugin_name = "badargs"

        @hookimpl
        def register_endpoint_groups(self, context):
            return []

    with pytest.raises(StartupError, match="badargs"):
        make_app(extra_plugins=[BadArgs()])


def test_two_groups_on_the_same_path(make_app):
    with pytest.raises(StartupError, match="two endpoint groups on the same path '/a/x'"):
        make_app(extra_plugins=[group_plugin("one", "/a"), group_plugin("two", "", "/a/x")])


def test_overlapping_mounts(make_app):
    with pytest.raises(StartupError, match="endpoint groups overlap"):
        make_app(extra_plugins=[group_plugin("one", "/api/one"), group_plugin("two", "/api/one/two")])


def test_routes_differing_only_in_field_names_conflict(make_app):
    class A:
        plugin_name = "a"

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup("a", "/a", [Route("/{x}", Plain()), Route("/{y}", Plain())])]

    with pytest.raises(StartupError, match="same path"):
        make_app(extra_plugins=[A()])


def parser_plugin(name, key=("csv", 1, "lum"), priority=0):
    class Parser:
        def count(self, stream, *, key):
            return 0

        def parse(self, stream, *, key, start=0):
            return iter(())

    class P:
        plugin_name = name

        @hookimpl
        def register_parsers(self):
            return [ParserSpec(*key, Parser(), priority=priority)]
    return P()


def test_two_parsers_for_one_key(make_app):
    with pytest.raises(StartupError, match=r"two parsers for \(csv, 1, lum\) at priority 0: plugins 'p1' and 'p2'"):
        make_app(extra_plugins=[parser_plugin("p1"), parser_plugin("p2")])


def test_higher_priority_parser_wins(make_app):
    app = make_app(extra_plugins=[parser_plugin("p1"), parser_plugin("p2", priority=1)])
    assert app.sciplane.parsers.get(("csv", 1, "lum")).plugin == "p2"
    app = make_app(extra_plugins=[parser_plugin("p2", priority=1), parser_plugin("p1")])
    assert app.sciplane.parsers.get(("csv", 1, "lum")).plugin == "p2"


@pytest.mark.parametrize("key, message", [
    (("CSV", 1, "lum"), "filetype"), (("csv", 3, "lum"), "dimensionality"), (("csv", True, "lum"), "dimensionality"),
    (("csv", 1, "hour"), "granularity"), (("c" * 33, 1, "lum"), "filetype"),
])
def test_invalid_parser_keys(make_app, key, message):
    with pytest.raises(StartupError, match=message):
        make_app(extra_plugins=[parser_plugin("bad", key)])


def test_plugin_declared_hooks(make_app):
    specs = types.ModuleType("specs")

    @hookspec
    def demo_colour():
        """A hook declared by a plugin."""
    specs.demo_colour = demo_colour

    class Declares:
        plugin_name = "declares"

        @hookimpl
        def add_hookspecs(self, pm):
            pm.add_hookspecs(specs)

    class Implements:
        plugin_name = "implements"

        @hookimpl
        def demo_colour(self):
            return "blue"

    app = make_app(extra_plugins=[Implements(), Declares()])
    assert app.sciplane.pm.hook.demo_colour() == ["blue"]


def test_startup_hook_can_refuse(make_app):
    seen = []

    class Refuses:
        plugin_name = "refuses"

        @hookimpl
        def startup(self, ctx):
            seen.append(ctx)
            raise StartupError("refusing: no detector configured")

    with pytest.raises(StartupError, match="no detector configured"):
        make_app(extra_plugins=[Refuses()])
    assert seen and seen[0].routes is not None


def test_actions_must_carry_the_plugin_prefix(make_app):
    from sciplane import Action

    class Wrong:
        plugin_name = "wrong"

        @hookimpl
        def register_actions(self):
            return [Action("other.read")]

    with pytest.raises(StartupError, match="must be named 'wrong.<verb>'"):
        make_app(extra_plugins=[Wrong()])


def test_middleware_and_error_handlers_from_plugins(make_app):
    class DomainError(Exception):
        pass

    class Raises:
        def on_get(self, req, resp):
            raise DomainError("gone")

    class Stamp:
        def process_response(self, req, resp, resource, ok):
            resp.set_header("X-Stamp", "yes")

    class P:
        plugin_name = "mw"

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup("mw", "/mw", [Route("/x", Raises())])]

        @hookimpl
        def register_middleware(self):
            return [Stamp()]

        @hookimpl
        def register_error_handlers(self):
            from sciplane import Conflict
            return {DomainError: lambda exc: Conflict(str(exc), code="domain_gone")}

    client = falcon.testing.TestClient(make_app(extra_plugins=[P()]))
    resp = client.simulate_get("/mw/x")
    assert resp.status_code == 409 and resp.json["code"] == "domain_gone" and resp.json["description"] == "gone"
    assert resp.headers["x-stamp"] == "yes"


def test_declared_hooks_hand_over_their_values(make_app, tmp_path):
    import sys
    import types

    from sciplane.declare import commands_in, demo_in, provides

    loaded = []
    demo = types.ModuleType("declared_demo")
    demo.load = lambda ctx, echo: loaded.append(echo)
    demo.COMMANDS = ["a command"]
    sys.modules["declared_demo"] = demo
    plugin = types.SimpleNamespace(register_actions=provides([Action("declared.read", "Read")]),
                                   register_commands=commands_in("declared_demo"), load_demo=demo_in("declared_demo"))
    try:
        app = make_app(extra_plugins=[("declared", plugin)])
        assert "declared.read" in app.sciplane.actions
        assert app.sciplane.pm.hook.register_commands() == [["a command"]]
        app.sciplane.pm.hook.load_demo(ctx=app.sciplane, echo=print)
        assert loaded == [print]
    finally:
        del sys.modules["declared_demo"]
