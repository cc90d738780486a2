"""``[plugins.dataproducts]``: defaults, and the start-up errors that name the key."""

from __future__ import annotations

import pytest

from sciplane import StartupError


def test_defaults(app):
    settings = app.sciplane.plugin_settings("dataproducts")
    assert (settings.target_permissions_only, settings.target_default_permission, settings.anonymous_read) == (
        True, "PRIVATE", False)
    assert (settings.tom.mount, settings.tom.page_size, settings.tom.default_pagination) == ("/tom", 100,
                                                                                             "limit_offset")
    assert (settings.gsp.mount, settings.gsp.page_size, settings.gsp.decimals_as_strings) == ("/gsp", 20, True)


@pytest.mark.parametrize("section, key", [
    ({"tom": {"enabled": False}, "gsp": {"enabled": False}}, "tom"),
    ({"tom": {"mount": "/api"}, "gsp": {"mount": "/api"}}, "gsp"),
    ({"gsp": {"mount": "/gsp/"}}, "mount"),
    ({"target_default_permission": "SECRET"}, "target_default_permission"),
    ({"max_page_size": 0}, "max_page_size"),
])
def test_invalid_settings_stop_start_up(make_app, section, key):
    with pytest.raises(StartupError, match=key):
        make_app(plugins=["dataproducts"], settings={"plugins": {"dataproducts": section}})
