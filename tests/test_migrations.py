"""The Alembic revisions are the schema: upgrade head equals the models, downgrade undoes it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from backend import migrations
from backend.db import make_engine
from backend.models import Base


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_head_matches_the_models_and_downgrade_removes_everything(scratch_database_url):
    migrations.upgrade(scratch_database_url)
    assert table_names(scratch_database_url) == set(Base.metadata.tables)
    assert schema_differences(scratch_database_url) == []

    migrations.downgrade(scratch_database_url, "base")
    assert table_names(scratch_database_url) == set()

    migrations.upgrade(scratch_database_url)  # and back up again, cleanly
    assert schema_differences(scratch_database_url) == []


def test_no_production_path_creates_tables_behind_alembics_back():
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    offenders = [
        str(path.relative_to(root))
        for folder in ("backend", "admin", "dashboards", "rbac")
        for path in (root / folder).rglob("*.py")
        if "create_all(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
