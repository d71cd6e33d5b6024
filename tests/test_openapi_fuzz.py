"""Schemathesis over the whole OpenAPI: no 5xx, and every answer matches its own schema.

Bounded (a dozen examples per operation) so that it runs in the suite on both databases; the
small world below gives the generated requests real rows to hit as well as missing ones.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from backend.entities import ENTITIES
from tests.world import make_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES_PER_OPERATION = 20


@pytest.fixture(scope="module")
def api_schema(app, client):
    make_world(client)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True)
def clean_tables():
    """The fuzzer works in one shared world: no emptying between its tests."""
    yield


@pytest.fixture(scope="module", autouse=True)
def empty_after_module(app, request):
    yield
    from tests.conftest import empty_all_tables

    empty_all_tables(app)


def operations_of(schema, entity: str):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.split("/")[3] == entity:
            yield operation


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_no_server_errors_and_answers_match_the_schema(api_schema, entity):
    operations = list(operations_of(api_schema, entity))
    assert len(operations) == 5
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            case.call_and_validate(checks=CHECKS)

        call()
