"""Test harness: the real app over HTTP, on a SQLite file or on the real PostgreSQL.

Set GRIDLINK_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
suite on PostgreSQL: each test session then works in a fresh database of its own on that
server, dropped at the end. Without it, each session gets a new SQLite file.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import anyio.from_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, insert, select, text
from sqlalchemy.engine import make_url

from backend import migrations
from backend.app import create_app
from backend.core.config import Settings
from backend.core.db import Base, utcnow
from backend.disputes.models import DEFAULT_TYPES, DisputeType
from backend.identity import security
from backend.identity.models import RoleAssignment, User
from backend.identity.service import DEMO_ACCOUNTS, create_demo_accounts
from rbac.default_policy import default_rules
from rbac.enforcer import bump_generation
from rbac.models import PolicyRule
from tests.builders import DEMO_PASSWORD, TEST_LAYOUT

PG_ENV = "GRIDLINK_TEST_DATABASE_URL"

# The modules that take minutes (real servers, browsers, the demo's seed), longest first:
# handed out first, they run beside the many short ones instead of after them, so that the
# workers finish together. An order, not a timing assumption: any order passes.
LONGEST_FIRST = ("test_demo.py", "test_panel_roles_browser.py", "test_default_policy.py",
                 "test_seed.py", "test_dashboards_browser.py", "test_admin_browser.py",
                 "test_import_writers.py", "test_offline_browser.py", "test_login_throttle.py",
                 "test_dashboards.py", "test_policy_changes.py", "test_seed_world.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: modules whole


@pytest.fixture(scope="session", autouse=True)
def one_event_loop() -> Iterator[None]:
    """Every test client not opened with `with` sends its requests to one event loop.

    Starlette's TestClient otherwise starts a thread and an event loop for each request: about
    3 of the 7 ms a request takes here, over the tens of thousands the suite sends. A client
    opened with `with` (to run the app's lifespan) still has a loop of its own."""
    with anyio.from_thread.start_blocking_portal() as portal:
        TestClient.portal = portal
        yield
        TestClient.portal = None


def _pg_admin_url(url: str):
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg")


def fresh_database(tmp_path_factory) -> Iterator[str]:
    """A new empty database: a SQLite file, or a database of its own on the PostgreSQL server."""
    server_url = os.environ.get(PG_ENV)
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'gridlink-test.db'}"
        return
    admin_url = _pg_admin_url(server_url)
    name = f"gridlink_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    yield from fresh_database(tmp_path_factory)


@pytest.fixture
def scratch_database_url(tmp_path_factory) -> Iterator[str]:
    """An empty database for one test that migrates up and down by itself."""
    yield from fresh_database(tmp_path_factory)


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    migrations.upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def settings(migrated_url: str, tmp_path_factory) -> Settings:
    # No background deliverer or tick in the test app: tests drive them, so nothing races them.
    return Settings(database_url=migrated_url, policy_poll_seconds=0.5, sla_tick_seconds=0,
                    webhooks_enabled=False,
                    secret_key="gridlink-test-secret-key-of-at-least-32-bytes",
                    upload_dir=tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="session")
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def accounts(app) -> dict[str, str]:
    """The README's demo accounts, over the test world's codes (tests/builders.py)."""
    with app.state.db.session() as session:
        users = create_demo_accounts(session, DEMO_PASSWORD, TEST_LAYOUT)
        session.commit()
        return {user.username: user.id for user in users}


# Session tokens outlive the whole run: on a loaded machine the suite takes longer than an
# access token's 15 minutes, and every test after that would answer 401.
SESSION_TOKEN_LIFETIME = dt.timedelta(hours=12)


@pytest.fixture(scope="session")
def tokens(app, accounts) -> dict[str, str]:
    """An access token per demo account, minted directly (logging in is tested on its own)."""
    secret = app.state.settings.secret_key
    tokens = {}
    with app.state.db.session() as session:
        for name, user_id in accounts.items():
            user = session.get(User, user_id)
            stamp = security.account_stamp(user.password_hash, user.is_active)
            tokens[name] = security.issue_token(secret, user.id, "access", stamp,
                                                SESSION_TOKEN_LIFETIME)
    return tokens


@pytest.fixture(scope="session")
def baseline(app, accounts) -> dict:
    """What cleanup restores: the default policy and the demo accounts' role assignments."""
    with app.state.db.session() as session:
        return {
            "assignments": set(session.execute(select(RoleAssignment.id)).scalars()),
            "rules": sorted(default_rules()),
        }


@pytest.fixture(scope="session")
def server(app, accounts) -> Iterator[TestClient]:
    with TestClient(app) as test_client:  # runs the lifespan: policy loaded, sync started
        yield test_client


def client_as(app, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="session")
def client(server, app, tokens) -> TestClient:
    """The admin's client: the whole system, every permission."""
    return client_as(app, tokens["admin"])


@pytest.fixture(scope="session")
def as_user(server, app, tokens):
    """as_user("chief") → a client with that demo account's token."""
    clients: dict[str, TestClient] = {}

    def make(username: str) -> TestClient:
        if username not in clients:
            clients[username] = client_as(app, tokens[username])
        return clients[username]

    return make


@pytest.fixture(scope="session")
def anonymous(server, app) -> TestClient:
    return TestClient(app)


# Accounts, their roles and the policy outlive each test; everything else is emptied.
KEPT_TABLES = {"user_account", "role_assignment", "policy_rule", "policy_version",
               "policy_default_rule"}


def empty_all_tables(app, baseline: dict | None = None) -> None:
    engine = app.state.db.engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    # Last: on SQLite the cases' triggers write to it as the cases go (backend/kpi/models.py).
    tables.sort(key=lambda name: name == "open_case_tally")
    with engine.begin() as conn:
        # DELETE beats TRUNCATE on tables this small; foreign keys are off for the cleanup only,
        # since areas reference areas and rows go in one statement per table.
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))
        # Reference data a fresh install has from its migrations, as the migration left it.
        conn.execute(insert(DisputeType.__table__), [
            {"code": code, "name": name, "is_active": True, "created_at": utcnow(),
             "updated_at": utcnow(), "version": 1} for code, name in DEFAULT_TYPES])
        identity_changed = False
        if baseline is not None:
            kept = baseline["assignments"]
            identity_changed |= conn.execute(
                delete(RoleAssignment).where(RoleAssignment.id.not_in(kept))).rowcount > 0
            identity_changed |= conn.execute(
                delete(User).where(User.username.not_in([a[0] for a in DEMO_ACCOUNTS]))
            ).rowcount > 0
    if baseline is not None:
        with app.state.db.session() as session:
            rules = sorted(session.execute(select(PolicyRule.role, PolicyRule.obj, PolicyRule.act)
                                           ).all())
            rules_changed = [tuple(r) for r in rules] != baseline["rules"]
            if rules_changed:  # back to the default, as applied when the app started
                session.execute(delete(PolicyRule))
                session.add_all(PolicyRule(role=role, obj=obj, act=act)
                                for role, obj, act in baseline["rules"])
            if rules_changed or identity_changed:
                bump_generation(session)  # cached principals of this and other workers go
                session.commit()
    if hasattr(app.state, "policy"):
        app.state.policy.reload_if_changed()


@pytest.fixture(autouse=True)
def clean_tables(request) -> Iterator[None]:
    """Each test starts from empty tables (only when the test used the app's database)."""
    uses_app = "app" in request.fixturenames or "client" in request.fixturenames
    if request.node.get_closest_marker("shared_world"):
        # A module that only reads one world it built once: its fixture empties the tables
        # when the module ends (tests/test_seed_world.py).
        yield
        return
    # The baseline taken before the test runs: taken after, it would keep the role assignments
    # of users the session's first test made. Their users go, and on PostgreSQL, where the
    # cleanup runs with the foreign keys' triggers off, their assignments would stay, granting
    # nobody's user a scope (a street dispatcher changes who an escalation goes to).
    baseline = request.getfixturevalue("baseline") if uses_app else None
    yield
    if uses_app:
        empty_all_tables(request.getfixturevalue("app"), baseline)


@pytest.fixture
def new_user(app, client, anonymous):
    """new_user(role, name, area_code=..., department_code=...) → the client of a new account
    holding that one grant, logged in as its user would be."""
    made = 0

    def make(role: str, display_name: str, **scope: str) -> TestClient:
        nonlocal made
        made += 1
        username = f"{role}-{made}"
        user = client.post("/api/v1/users", json={
            "username": username, "password": DEMO_PASSWORD, "display_name": display_name})
        assert user.status_code == 201, user.text
        granted = client.post("/api/v1/role-assignments",
                              json={"user_id": user.json()["id"], "role": role} | scope)
        assert granted.status_code == 201, granted.text
        token = anonymous.post("/api/v1/auth/token",
                               data={"username": username, "password": DEMO_PASSWORD})
        assert token.status_code == 200, token.text
        return client_as(app, token.json()["access_token"])

    return make


# One seeded county behind a live API per session (per worker), whichever modules read it:
# imported here, after `fresh_database` which it uses, rather than by each module, which
# would give each module a fixture (and a seed) of its own.
from tests.live_county import live_county  # noqa: E402, F401

