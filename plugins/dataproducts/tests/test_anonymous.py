"""Anonymous callers (spec §3.3, scenario 15): 401 everywhere but the roots, unless ``anonymous_read``; then
reads see only what the public rules allow, a hidden object answers 401 rather than 404, writes need
credentials."""

from __future__ import annotations

import pytest

PATHS = ["/tom/api/groups/", "/tom/api/targets/", "/tom/api/targets/1/", "/tom/api/reduceddatums/",
         "/tom/api/reduceddatums/1/", "/gsp/api/proposals/", "/gsp/api/proposals/1/",
         "/gsp/api/proposals/collaborators/1/"]


def test_everything_but_the_roots_needs_credentials(app):
    from sciplane.testing import RawClient
    client = RawClient(app)
    for path in PATHS:
        result = client.simulate_request("GET", path)
        assert result.status_code == 401, path
        assert result.json["detail"] == "Authentication credentials were not provided.", path
        assert "Token" in result.headers["www-authenticate"], path
    assert client.simulate_request("GET", "/tom/api/").status_code == 200


@pytest.mark.parametrize("dp_settings", [{"anonymous_read": True}])
def test_anonymous_read_shows_open_targets_only(tom, dp_settings):
    shown = tom("POST", "targets/", body={"name": "Open", "type": "SIDEREAL", "ra": 1, "dec": 1,
                                          "permissions": "OPEN"}).json["id"]
    hidden = tom("POST", "targets/", body={"name": "Private", "type": "SIDEREAL", "ra": 2, "dec": 2}).json["id"]
    for target in (shown, hidden):
        tom("POST", "reduceddatums/", body={"target": target, "data_type": "photometry", "value": {"m": target}})
    assert [t["name"] for t in tom("GET", "targets/", user=None).json["results"]] == ["Open"]
    assert [d["target"] for d in tom("GET", "reduceddatums/", user=None).json["results"]] == [shown]
    assert tom("GET", f"targets/{shown}/", user=None).status_code == 200
    assert tom("GET", f"targets/{hidden}/", user=None).status_code == 401  # not 404: existence stays hidden
    assert tom("GET", "targets/999/", user=None).status_code == 401
    refused = tom("POST", "targets/", user=None, body={"name": "New", "type": "SIDEREAL", "ra": 3, "dec": 3})
    assert refused.status_code == 401
    assert tom("DELETE", f"targets/{shown}/", user=None).status_code == 401
