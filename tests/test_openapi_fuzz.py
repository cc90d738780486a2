"""Fuzzing every documented operation from /openapi.json: no 5xx, every response matches the document.

The app enables the bundled plugins that are installed plus the example
third-party plugin, so each plugin's routes are fuzzed as soon as it exists.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sciplane.plugins import BUNDLED, installed


@pytest.fixture
def fuzzed_app(make_app, example_plugin):
    enabled = [name for name in BUNDLED if name in installed()] + ["example"]
    return make_app(plugins=enabled)


def test_every_operation_holds_its_contract(fuzzed_app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzzed_app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call()
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
            case.validate_response(response)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
