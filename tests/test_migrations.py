"""The Alembic revisions are the schema: upgrade head equals the models, downgrade undoes it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from backend import migrations
from backend.areas.models import Area, AreaLevel
from backend.cases.models import (
    DeliveryStatus,
    Department,
    DepartmentKind,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from backend.cases.webhooks import DEACTIVATED, FAILED
from backend.core.db import make_engine
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


def test_the_delivery_log_written_before_keeps_no_receiver_answer(scratch_database_url):
    """Rows from before the sender stopped keeping answers: cut down to the code or a fixed
    reason by the upgrade."""
    migrations.upgrade(scratch_database_url, "0007")
    engine = make_engine(scratch_database_url)
    errors = {"a": (500, "HTTP 500: <html>internal admin, token=SECRET-7f3c</html>"),
              "b": (None, "ConnectError: [Errno 111] Connection refused to 10.0.0.8:8080"),
              "c": (None, DEACTIVATED), "d": (503, None), "e": (None, None)}
    try:
        with Session(engine) as session:
            session.add_all([Area(code="410602", name="鹤山区", level=AreaLevel.county),
                             Department(code="HW01", name="环卫处", kind=DepartmentKind.sanitation,
                                        area_code="410602")])
            session.flush()
            hook = Webhook(department_code="HW01", url="http://10.0.0.8:8080/", secret="s" * 16)
            session.add(hook)
            session.flush()
            session.add_all([WebhookDelivery(
                webhook_id=hook.id, department_code="HW01", event=WebhookEvent.dispatch,
                delivery_key=key, payload={}, status=DeliveryStatus.pending,
                last_status_code=code, last_error=error) for key, (code, error) in errors.items()])
            session.commit()
        migrations.upgrade(scratch_database_url)
        with Session(engine) as session:
            kept = dict(session.execute(select(WebhookDelivery.delivery_key,
                                               WebhookDelivery.last_error)).all())
    finally:
        engine.dispose()
    assert kept == {"a": "HTTP 500", "b": FAILED, "c": DEACTIVATED, "d": None, "e": None}
