"""Fuzzing every documented operation from /openapi.json: no 5xx, every response matches the document.

The app enables the bundled plugins that are installed plus the example
third-party plugin, so each plugin's routes are fuzzed as soon as it exists.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sciplane.plugins import BUNDLED, installed

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Settings that keep fuzzing quick (bounded sleeps) without changing any contract.
PLUGIN_SETTINGS = {"conditions": {"timeout_max_seconds": 1}}


@pytest.fixture
def fuzzed_app(make_app, example_plugin):
    enabled = [name for name in BUNDLED if name in installed()] + ["example"]
    sections = {name: PLUGIN_SETTINGS[name] for name in enabled if name in PLUGIN_SETTINGS}
    # Reads of the histogram store are open, so its routes are fuzzed past the permission check; its writes
    # stay refused for lack of data roots.
    return make_app(settings={"plugins": {"enabled": enabled, **sections},
                              "auth": {"grants": {"anonymous": ["dqm.*"]}}})


def test_every_operation_holds_its_contract(fuzzed_app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzzed_app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case):
            case.validate_response(case.call(), checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
