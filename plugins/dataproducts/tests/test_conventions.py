"""The dialects' shared conventions over HTTP (spec §3, §5, §6): roots, DRF-style errors and credentials,
unknown filters, and the pagination envelope in both modes with absolute, sorted links."""

from __future__ import annotations

import re

import pytest

from sciplane.testing import RawClient
from sciplane_dataproducts.models import Group, Membership

HOST = "http://falconframework.org"  # the host Falcon's test environ carries


@pytest.fixture
def people(app):
    """owner (member of 25 groups), staff, and tokens for both."""
    accounts = app.sciplane.accounts
    with app.sciplane.database.connection_context():
        owner = accounts.create_user("owner", email="owner@example.org")
        staff = accounts.create_user("boss", email="boss@example.org", is_staff=True)
        tokens = {"owner": accounts.create_token(owner)[0], "staff": accounts.create_token(staff)[0]}
        for i in range(25):
            group = Group.create(name=f"g{i:02d}", name_key=f"g{i:02d}")
            Membership.create(group=group, user_id=owner.id)
    return tokens


def get(app, path, query="", token=None, scheme="Token"):
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    return RawClient(app).simulate_request("GET", path, query_string=query, headers=headers)


def test_roots_need_no_credentials(app):
    root = get(app, "/tom/api/")
    assert root.status_code == 200 and root.json == {name: f"{HOST}/tom/api/{name}/" for name in (
        "groups", "targets", "dataproducts", "reduceddatums")}
    assert get(app, "/tom/api").json == root.json  # no redirect, same answer
    status = get(app, "/gsp/api/")
    assert status.status_code == 200 and status.json["status"] == "ok" and status.json["version"]


def test_credentials_are_answered_in_drf_words(app, people):
    missing = get(app, "/tom/api/groups/")
    assert missing.status_code == 401 and missing.json["detail"] == "Authentication credentials were not provided."
    assert missing.json["code"] == "not_authenticated" and "Token" in missing.headers["www-authenticate"]
    wrong = get(app, "/tom/api/groups/", token="nope" * 10)
    assert (wrong.status_code, wrong.json["detail"]) == (401, "Invalid token.")
    assert get(app, "/tom/api/groups/", token=people["owner"], scheme="Bearer").status_code == 200
    unknown = get(app, "/tom/api/nothing-here/")
    assert unknown.status_code == 404 and unknown.json["detail"] == "Not found." and unknown.json["code"]


def test_page_mode_and_limit_offset_mode(app, people):
    token = people["owner"]
    first = get(app, "/tom/api/groups/", "limit=10", token).json
    assert first["count"] == 25 and [g["name"] for g in first["results"]] == [f"g{i:02d}" for i in range(10)]
    assert first["next"] == f"{HOST}/tom/api/groups/?limit=10&offset=10" and first["previous"] is None
    second = get(app, "/tom/api/groups/", "limit=10&offset=10", token).json
    assert second["previous"] == f"{HOST}/tom/api/groups/?limit=10"
    third = get(app, "/tom/api/groups/", "limit=10&offset=20", token).json
    assert (len(third["results"]), third["next"]) == (5, None)
    beyond = get(app, "/tom/api/groups/", "limit=10&offset=40", token).json
    assert (beyond["results"], beyond["next"]) == ([], None) and beyond["previous"]
    paged = get(app, "/tom/api/groups/", "page=2&page_size=10&format=json", token).json
    assert [g["name"] for g in paged["results"]][:1] == ["g10"]
    assert paged["next"] == f"{HOST}/tom/api/groups/?format=json&page=3&page_size=10"
    assert paged["previous"] == f"{HOST}/tom/api/groups/?format=json&page_size=10"  # page 1 has no page=
    assert len(get(app, "/tom/api/groups/", "page=last&page_size=10", token).json["results"]) == 5
    assert get(app, "/tom/api/groups/", "", token).json["count"] == 25  # TOM's default: limit/offset, 100


@pytest.mark.parametrize("query, status, code", [
    ("page=9&page_size=10", 404, "invalid_page"), ("page=0", 400, "invalid_pagination"),
    ("limit=abc", 400, "invalid_pagination"), ("offset=-1", 400, "invalid_pagination"),
    ("page=2&offset=3", 400, "invalid_pagination"), ("format=xml", 400, "validation_failed"),
])
def test_bad_paging_is_a_json_error(app, people, query, status, code):
    result = get(app, "/tom/api/groups/", query, people["owner"])
    assert (result.status_code, result.json["code"]) == (status, code) and result.json["detail"]


def test_unknown_filters_are_refused_with_the_valid_names(app, people):
    result = get(app, "/tom/api/groups/", "nmae=g01", people["owner"])
    assert result.status_code == 400 and result.json["code"] == "unknown_filter"
    assert result.json["detail"].startswith("Unknown query parameter(s): nmae. Valid parameters: format, limit,")
    assert result.json["errors"] == {"nmae": ["Unknown filter."]} and result.json["nmae"] == ["Unknown filter."]
    assert "page_size" in result.json["valid_parameters"]


def test_staff_see_only_their_own_groups(app, people):
    assert get(app, "/tom/api/groups/", "", people["staff"]).json["count"] == 0


def test_head_is_served_on_downloads_only(app, people):
    """Spec §6: HEAD on a download endpoint, 405 everywhere else; OPTIONS and the 405 agree on ``Allow``, which
    names HEAD exactly where it is served."""
    downloads = {"tom-product-download", "gsp-file-download", "gsp-downloads"}
    client, token = RawClient(app), {"Authorization": f"Token {people['staff']}"}
    seen = set()
    for template, (group, route) in app.sciplane.routes.by_template.items():
        if not group.name.startswith("dataproducts-"):
            continue
        seen.add(route.name)
        path = template.replace("{token}", "t").replace("{day}", "2024-01-01")
        path = re.sub(r"\{[^}]*\}", "1", path)
        head = client.simulate_request("HEAD", path, headers=token)
        allow = client.simulate_request("OPTIONS", path).headers["allow"].split(", ")
        assert "GET" in allow and ("HEAD" in allow) is (route.name in downloads), (path, allow)
        if route.name in downloads:
            assert head.status_code in (200, 404), (path, head.status_code)  # 404: nothing stored under id 1
        else:
            assert head.status_code == 405 and head.headers["allow"].split(", ") == allow, (path, head.headers)
    assert downloads <= seen
