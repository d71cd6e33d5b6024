"""Schemathesis over the whole OpenAPI: no 5xx, and every answer matches its own schema.

Bounded (a dozen examples per operation) so that it runs in the suite on both databases; the
small world below gives the generated requests real rows to hit as well as missing ones.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from backend import migrations
from backend.app import create_app
from backend.core.config import Settings
from backend.entities import ENTITIES
from backend.identity import service as identity
from backend.identity.models import Role, RoleAssignment, User
from backend.identity.service import create_demo_accounts
from tests.builders import DEMO_PASSWORD, TEST_LAYOUT
from tests.conftest import fresh_database
from tests.world import make_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES_PER_OPERATION = 20


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """An app on a database of its own: as an administrator the fuzzer deletes accounts,
    rewrites the policy and changes passwords, which the other tests must never see."""
    url_source = fresh_database(tmp_path_factory)
    url = next(url_source)
    migrations.upgrade(url)
    app = create_app(Settings(database_url=url, secret_key="fuzz-secret-key-of-at-least-32-bytes"))
    with TestClient(app) as server:
        with app.state.db.session() as session:
            create_demo_accounts(session, DEMO_PASSWORD, TEST_LAYOUT)
            session.commit()
        app.state.policy_sync.notify()
        make_world(TestClient(app, headers=admin_headers(app)))
        yield app
        server.close()
    next(url_source, None)


@pytest.fixture(autouse=True)
def clean_tables():
    """The fuzzer works in its own world: nothing to empty between its tests."""
    yield


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def admin_headers(app) -> dict[str, str]:
    """Minted per request for whoever is an active administrator now: the fuzzer changes
    passwords, makes new administrators and deletes old ones (never the last one)."""
    with app.state.db.session() as session:
        user = session.execute(
            select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.is_active.is_(True), RoleAssignment.role == Role.admin,
                   RoleAssignment.area_code.is_(None), RoleAssignment.department_code.is_(None))
            .order_by(User.id).limit(1)
        ).scalar_one()
        token = identity.access_token(app.state.settings.secret_key, user)
    return {"Authorization": f"Bearer {token}"}


def operations_of(schema, group: str):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.split("/")[3] == group:
            yield operation


# Every router under /api/v1: the registry's entities and the routes written by hand.
GROUPS = sorted({*ENTITIES, "auth", "api-keys", "notifications", "imports", "kpi", "labels"})


@pytest.mark.parametrize("group", GROUPS)
def test_no_server_errors_and_answers_match_the_schema(api_schema, fuzz_app, group):
    operations = list(operations_of(api_schema, group))
    assert operations
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            # As the admin: every route, every row (scoped roles have their own tests).
            case.call_and_validate(headers=admin_headers(fuzz_app), checks=CHECKS)

        call()
