"""The Alembic revisions are the schema: upgrade head equals the models, downgrade undoes it."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, select
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
from backend.fieldwork.models import Patrol, WorkLog
from backend.models import Base
from backend.team.models import GridStaff


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


def test_the_grids_teams_become_the_roster_and_their_records_find_their_authors(
        scratch_database_url):
    """A database from before the roster: each grid's chief and members become its team, the
    patrols and logs find their team member by name, reviewed logs are approved."""
    migrations.upgrade(scratch_database_url, "0015_case_queues")
    engine = make_engine(scratch_database_url)
    now = dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC)
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    try:
        old = MetaData()
        old.reflect(engine, only=("area", "grid", "patrol", "work_log"))
        area, grid, patrol, log = (old.tables[n] for n in ("area", "grid", "patrol", "work_log"))
        with engine.begin() as conn:
            for code, level, parent in (("410602", "county", None),
                                        ("410602001", "street", "410602"),
                                        ("410602001002", "community", "410602001")):
                conn.execute(area.insert().values(code=code, name=code, level=level,
                                                  parent_code=parent, **stamps))
            conn.execute(grid.insert().values(
                code="410602001002007", name="第七网格", community_code="410602001002",
                level="grid", chief_name="王建国", chief_phone="13812345678", members=[
                    {"name": "李秀英", "role": "网格员", "phone": "13987654321",
                     "duty": "人口信息采集"},
                    {"name": "张环卫", "role": "环卫", "duty": "道路保洁"},
                    {"name": "王建国", "role": "楼栋长"}], **stamps))
            conn.execute(patrol.insert().values(
                grid_code="410602001002007", patroller_name="李秀英", started_at=now,
                issues_found=0, **stamps))
            day = dt.date(2026, 11, 27)
            conn.execute(log.insert(), [
                {"grid_code": "410602001002007", "author_name": "王建国", "log_date": day,
                 "content": "巡查", "reviewed_by": "书记", "reviewed_at": now, **stamps},
                {"grid_code": "410602001002007", "author_name": "王建国", "log_date": day,
                 "content": "同一天的第二份", "reviewed_by": None, "reviewed_at": None,
                 **stamps},
                {"grid_code": "410602001002007", "author_name": "临时工", "log_date": day,
                 "content": "不在名册", "reviewed_by": None, "reviewed_at": None, **stamps}])
        migrations.upgrade(scratch_database_url)
        with Session(engine) as session:
            team = {s.name: s for s in session.execute(select(GridStaff)).scalars()}
            logs = session.execute(select(WorkLog).order_by(WorkLog.id)).scalars().all()
            walk = session.execute(select(Patrol)).scalar_one()
    finally:
        engine.dispose()
    assert {n: (s.team_role.value, s.keeps_work_log) for n, s in team.items()} == {
        "王建国": ("grid_chief", True), "李秀英": ("full_time", True),
        "张环卫": ("part_time", False)}
    assert team["张环卫"].duties == "环卫; 道路保洁"
    assert walk.staff_id == team["李秀英"].id
    assert [(w.staff_id, w.status.value) for w in logs] == [
        (team["王建国"].id, "approved"), (None, "submitted"), (None, "submitted")]


def test_a_grids_own_team_fields_fold_into_the_roster(scratch_database_url):
    """A grid written after the roster came, its chief and members only on the grid: they join
    its roster (not twice), and the grid's own fields go."""
    migrations.upgrade(scratch_database_url, "0025_meetings")
    engine = make_engine(scratch_database_url)
    now = dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC)
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    try:
        old = MetaData()
        old.reflect(engine, only=("area", "grid", "grid_staff"))
        area, grid, staff = (old.tables[n] for n in ("area", "grid", "grid_staff"))
        with engine.begin() as conn:
            for code, level, parent in (("410602", "county", None),
                                        ("410602001", "street", "410602"),
                                        ("410602001002", "community", "410602001")):
                conn.execute(area.insert().values(code=code, name=code, level=level,
                                                  parent_code=parent, **stamps))
            conn.execute(grid.insert().values(
                code="410602001002008", name="第八网格", community_code="410602001002",
                level="grid", chief_name="赵敏", chief_phone="13812340000", members=[
                    {"name": "孙丽", "role": "网格员"}, {"name": "钱楼长", "role": "楼栋长"}],
                **stamps))
            conn.execute(staff.insert().values(
                grid_code="410602001002008", name="孙丽", team_role="full_time",
                keeps_work_log=True, is_public=True, is_active=True, **stamps))
        migrations.upgrade(scratch_database_url)
        with Session(engine) as session:
            team = {s.name: s.team_role.value for s in session.execute(select(GridStaff))
                    .scalars()}
            columns = {c["name"] for c in inspect(engine).get_columns("grid")}
    finally:
        engine.dispose()
    assert team == {"赵敏": "grid_chief", "孙丽": "full_time", "钱楼长": "building_head"}
    assert not {"chief_name", "chief_phone", "members"} & columns
