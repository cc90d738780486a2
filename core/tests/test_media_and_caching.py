"""JSON encoding (numpy, NaN policy), .npy responses, validators and conditional requests."""

import datetime as dt
import io

import falcon
import falcon.testing
import numpy as np
import pytest

from sciplane import EndpointGroup, Route, conditional, hookimpl, strong_etag
from sciplane.http import cache_control, etag_matches, last_modified_header, not_modified_since
from sciplane.media import NPY, dumps
from sciplane.testing import last_modified_agrees

CHANGED = dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)


def test_numpy_and_nan_policy():
    payload = {"a": np.arange(3, dtype=np.int64), "f": np.float32(1.5), "nan": float("nan"),
               "arr": np.array([1.0, np.nan, np.inf]), "2d": np.ones((2, 2), dtype=np.float32)[:, ::-1]}
    assert dumps(payload) == b'{"a":[0,1,2],"f":1.5,"nan":null,"arr":[1.0,null,null],"2d":[[1.0,1.0],[1.0,1.0]]}'


def test_subnormals_survive():
    assert dumps(4.99006796365e-313) == b"4.99006796365e-313"


def test_etag_comparison():
    tag = strong_etag("gt", 7, 3)
    assert tag == '"gt-7-3"'
    assert etag_matches('"gt-7-3"', tag) and etag_matches('W/"gt-7-3"', tag)
    assert etag_matches('"x", "gt-7-3"', tag) and not etag_matches('"gt-7-4"', tag)
    assert etag_matches("*", tag) and not etag_matches("*", tag, exists=False)


def test_last_modified_is_the_end_of_the_second():
    later = (CHANGED + dt.timedelta(hours=1)).timestamp()
    assert last_modified_header(CHANGED, now=later) == "Fri, 02 Jan 2026 03:04:06 GMT"
    assert last_modified_header(CHANGED, now=CHANGED.timestamp()) == "Fri, 02 Jan 2026 03:04:05 GMT"  # capped at Date
    assert last_modified_header(CHANGED.replace(tzinfo=None), now=later) == "Fri, 02 Jan 2026 03:04:06 GMT"
    assert not_modified_since("Fri, 02 Jan 2026 03:04:06 GMT", CHANGED)
    assert not not_modified_since("Fri, 02 Jan 2026 03:04:05 GMT", CHANGED)
    assert not not_modified_since("yesterday", CHANGED)


def test_last_modified_of_one_state_steps_once():
    """Two responses for one state agree on Last-Modified, or the later one crossed out of the change's second."""
    changed = dt.datetime(2026, 1, 2, 3, 4, 5, 600000)
    inside, after = last_modified_header(changed, now=1767323045.9), last_modified_header(changed, now=1767323046.1)
    assert (inside, after) == ("Fri, 02 Jan 2026 03:04:05 GMT", "Fri, 02 Jan 2026 03:04:06 GMT")
    assert last_modified_agrees(inside, inside) and last_modified_agrees(inside, after)
    later = last_modified_header(changed + dt.timedelta(seconds=1), now=1767323047.5)
    assert not last_modified_agrees(inside, later)  # two seconds apart: another state
    assert not last_modified_agrees(after, inside)  # backwards
    assert not last_modified_agrees(inside, None) and last_modified_agrees(None, None)


def test_cache_control():
    assert cache_control(max_age=60) == "public, max-age=60"
    assert cache_control(max_age=0, private=True) == "private, max-age=0"
    assert cache_control(no_store=True) == "no-store"


class Cached:
    def on_get(self, req, resp):
        if conditional(req, resp, etag=strong_etag("v", 1), changed_at=CHANGED, cache=cache_control(max_age=0)):
            return
        resp.media = {"value": 1}


class Array:
    def on_get(self, req, resp):
        resp.content_type = NPY
        resp.media = np.arange(6, dtype=np.float32).reshape(2, 3)


class P:
    plugin_name = "p"

    @hookimpl
    def register_endpoint_groups(self):
        return [EndpointGroup("p", "/p", [Route("/cached", Cached(), public=True),
                                          Route("/array", Array(), public=True)])]


@pytest.fixture
def client(make_app):
    return falcon.testing.TestClient(make_app(extra_plugins=[P()]))


def test_conditional_get(client):
    first = client.simulate_get("/p/cached")
    assert first.status_code == 200 and first.headers["etag"] == '"v-1"'
    assert first.headers["last-modified"] == "Fri, 02 Jan 2026 03:04:06 GMT"
    assert first.headers["cache-control"] == "public, max-age=0"
    again = client.simulate_get("/p/cached", headers={"If-None-Match": 'W/"v-1"'})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == '"v-1"'
    assert client.simulate_get("/p/cached", headers={"If-None-Match": '"v-0"'}).status_code == 200
    ims = {"If-Modified-Since": first.headers["last-modified"]}
    assert client.simulate_get("/p/cached", headers=ims).status_code == 304
    # If-None-Match wins over If-Modified-Since
    assert client.simulate_get("/p/cached", headers={**ims, "If-None-Match": '"v-0"'}).status_code == 200
    assert client.simulate_head("/p/cached", headers={"If-None-Match": '"v-1"'}).status_code == 304


def test_npy_responses(client):
    resp = client.simulate_get("/p/array")
    assert resp.headers["content-type"] == NPY
    array = np.load(io.BytesIO(resp.content), allow_pickle=False)
    assert array.dtype == np.float32 and array.shape == (2, 3) and array[1, 2] == 5
