"""Test harness: the real app over HTTP, on a SQLite file or on the real PostgreSQL.

Set GRIDLINK_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
suite on PostgreSQL: each test session then works in a fresh database of its own on that
server, dropped at the end. Without it, each session gets a new SQLite file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend import migrations
from backend.app import create_app
from backend.config import Settings
from backend.db import Base

PG_ENV = "GRIDLINK_TEST_DATABASE_URL"


def _pg_admin_url(url: str):
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg")


def _fresh_database(tmp_path_factory) -> Iterator[str]:
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
    yield from _fresh_database(tmp_path_factory)


@pytest.fixture
def scratch_database_url(tmp_path_factory) -> Iterator[str]:
    """An empty database for one test that migrates up and down by itself."""
    yield from _fresh_database(tmp_path_factory)


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    migrations.upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url)


@pytest.fixture(scope="session")
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def empty_all_tables(app) -> None:
    engine = app.state.db.engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        # DELETE beats TRUNCATE on tables this small; foreign keys are off for the cleanup only,
        # since areas reference areas and rows go in one statement per table.
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
def clean_tables(request) -> Iterator[None]:
    """Each test starts from empty tables (only when the test used the app's database)."""
    yield
    if "app" in request.fixturenames or "client" in request.fixturenames:
        empty_all_tables(request.getfixturevalue("app"))
