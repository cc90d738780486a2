"""Scenarios N of the specification (§11, 93-94): ``user_settings/<name>/``, ``settings/<name>/``
and ``timeout``; and the configuration rules of §8 that govern them."""

from __future__ import annotations

import time

import pytest

import sciplane_conditions.resources.settings
from sciplane import StartupError
from sciplane_conditions.testing import expect

# -- 93. Settings ----------------------------------------------------------------------------------

def test_iov_mode_default(api):
    """Scenario 93: the default mode is continuous, on the legacy path and the alias."""
    for path in ("user_settings/CDB_IOV_MODE/", "settings/CDB_IOV_MODE/"):
        result = api.get(path)
        expect(result, 200, {"CDB_IOV_MODE": "continuous"})
        assert result.content == b'{"CDB_IOV_MODE":"continuous"}'
        # A database-scoped read (§6.1): validators and the catalogue lifetime.
        assert result.headers.get("etag", "").startswith('"db-')
        assert result.headers.get("cache-control") == "public, max-age=0"
        assert result.headers.get("last-modified")


@pytest.mark.parametrize("conditions_settings", [{"iov_mode": "discrete"}, {"iov_mode": "continuous"}],
                         ids=["discrete", "continuous"])
def test_iov_mode_configured(api, conditions_settings):
    """Scenario 93: the configured ``iov_mode``, on both paths."""
    mode = conditions_settings["iov_mode"]
    for path in ("user_settings/CDB_IOV_MODE/", "settings/CDB_IOV_MODE/"):
        result = api.get(path)
        expect(result, 200, {"CDB_IOV_MODE": mode})
        assert result.content == b'{"CDB_IOV_MODE":"' + mode.encode() + b'"}'


def test_other_settings_not_found(api):
    """Scenario 93: every other name is not found; only the IOV mode is exposed."""
    for name in ("CDB_AUTH_CLASS", "CDB_PERMISSION_PLUGIN_CLASS", "cdb_iov_mode", "CDB_IOV_MODEX", "SECRET_KEY",
                 "PATH"):
        for path in ("user_settings/{}/", "settings/{}/"):
            expect(api.get(path.format(name)), 404,
                   {"detail": f"Setting '{name}' not found.", "code": "setting_not_found"})


def test_settings_answer_the_same_with_data(base):
    """Scenario 93: the answer does not depend on the database's content."""
    base.ins("GT1", "Beam", "a.dat", (0, 0))
    expect(base.get("settings/CDB_IOV_MODE/"), 200, {"CDB_IOV_MODE": "continuous"})


def test_settings_methods(api):
    """Scenario 93 (§2.2): the settings routes are read-only."""
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        result = api.request(method, "user_settings/CDB_IOV_MODE/", json={"CDB_IOV_MODE": "discrete"})
        expect(result, 405, {"detail": f'Method "{method}" not allowed.', "code": "method_not_allowed"})
        assert result.headers.get("allow") == "GET, HEAD, OPTIONS"
    expect(api.get("user_settings/CDB_IOV_MODE/"), 200, {"CDB_IOV_MODE": "continuous"})


# -- 94. Timeout -----------------------------------------------------------------------------------

def test_timeout_default(api):
    """Scenario 94: ``GET timeout`` answers at once with ``{"slept":0}``, never cached, without validators."""
    started = time.monotonic()
    result = api.get("timeout")
    elapsed = time.monotonic() - started
    expect(result, 200, {"slept": 0})
    assert elapsed < 0.1, elapsed
    assert result.headers.get("cache-control") == "no-store"
    assert "etag" not in result.headers and "last-modified" not in result.headers


def test_timeout_sleeps(api):
    """Scenario 94: ``?seconds=1`` takes at least one second."""
    started = time.monotonic()
    result = api.get("timeout", "seconds=1")
    elapsed = time.monotonic() - started
    expect(result, 200, {"slept": 1})
    assert elapsed >= 1.0, elapsed
    assert result.headers.get("cache-control") == "no-store"


def test_timeout_zero(api):
    """Scenario 94: ``?seconds=0`` is valid."""
    expect(api.get("timeout", "seconds=0"), 200, {"slept": 0})


def test_timeout_too_long(api):
    """Scenario 94: more than ``timeout_max_seconds`` (60) → 400, at once."""
    too_long = {"seconds": ["Ensure this value is less than or equal to 60."], "code": "validation_error"}
    for seconds in ("61", "1000"):
        started = time.monotonic()
        expect(api.get("timeout", f"seconds={seconds}"), 400, too_long)
        assert time.monotonic() - started < 0.5


def test_timeout_far_too_long(api):
    """Scenario 94: a value beyond 64 bits is still just "larger" than the bound (the DRF message of §3.8)."""
    expect(api.get("timeout", "seconds=99999999999999999999"), 400,
           {"seconds": ["Ensure this value is less than or equal to 60."], "code": "validation_error"})


def test_timeout_invalid(api):
    """Scenario 94: an invalid value → 400 field error on ``seconds``, without sleeping."""
    for seconds in ("abc", "1.5", "", "-1", "1e1"):
        started = time.monotonic()
        body = expect(api.get("timeout", f"seconds={seconds}"), 400)
        assert time.monotonic() - started < 0.5
        assert set(body) == {"seconds", "code"} and body["code"] == "validation_error", (seconds, body)
        assert isinstance(body["seconds"], list) and body["seconds"], (seconds, body)
        assert all(isinstance(m, str) and m for m in body["seconds"]), (seconds, body)


def test_timeout_post(api):
    """Scenario 94: ``POST timeout`` → 405."""
    for method in ("POST", "PUT", "DELETE"):
        result = api.request(method, "timeout", json={"seconds": 0})
        expect(result, 405, {"detail": f'Method "{method}" not allowed.', "code": "method_not_allowed"})
        assert result.headers.get("allow") == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("conditions_settings", [{"timeout_max_seconds": 0}])
def test_timeout_configured_max(api, conditions_settings):
    """Scenario 94 (§3.8): the bound and its message follow ``timeout_max_seconds``."""
    expect(api.get("timeout"), 200, {"slept": 0})
    expect(api.get("timeout", "seconds=0"), 200, {"slept": 0})
    expect(api.get("timeout", "seconds=1"), 400,
           {"seconds": ["Ensure this value is less than or equal to 0."], "code": "validation_error"})


@pytest.mark.parametrize("conditions_settings", [{"timeout_default_seconds": 3, "timeout_max_seconds": 5}])
def test_timeout_configured_default(api, monkeypatch, conditions_settings):
    """Scenario 94 (§3.8): without ``seconds`` the endpoint sleeps ``timeout_default_seconds``; the query
    overrides it.  (The sleep itself is recorded, not waited for.)"""
    slept = []
    monkeypatch.setattr(sciplane_conditions.resources.settings.time, "sleep", slept.append)
    expect(api.get("timeout"), 200, {"slept": 3})
    expect(api.get("timeout", "seconds=0"), 200, {"slept": 0})
    expect(api.get("timeout", "seconds=5"), 200, {"slept": 5})
    expect(api.get("timeout", "seconds=6"), 400,
           {"seconds": ["Ensure this value is less than or equal to 5."], "code": "validation_error"})
    assert slept == [3, 0, 5]


# -- §8: the settings behind 93 and 94 -------------------------------------------------------------

@pytest.mark.parametrize("section", [
    {"timeout_default_seconds": 61},
    {"timeout_default_seconds": 5, "timeout_max_seconds": 4},
    {"timeout_max_seconds": -1},
    {"iov_mode": "weekly"},
])
def test_invalid_settings_fail_at_startup(make_app, section):
    """§8: an invalid value fails at startup, naming the plugin."""
    with pytest.raises(StartupError) as raised:
        make_app(plugins=["conditions"], settings={"plugins": {"conditions": section}})
    assert "conditions" in str(raised.value)
