"""The command center's open-case counts come from a tally the database keeps: it must count
exactly what a grouped pass over the cases counts, whoever wrote the cases and however late
the SLA tick is.

The month of test_kpi.py (cases A-J played through the real workflow) is the world; the
dispatcher's command center is asked at moments around its deadlines, before and after the
tick, and the tally (backend/kpi/tally.py `open_counts`) is compared with the recount over
the cases (`recount`), for the county, a community, a grid and a department.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import MetaData, func, insert, select, text, update
from sqlalchemy.orm import Session

from backend import migrations
from backend.areas.models import Area, AreaLevel
from backend.cases.escalation import tick
from backend.cases.models import (
    Case,
    CaseCategory,
    CasePriority,
    CaseSource,
    CaseStatus,
    CategoryKind,
    DeadlineUnit,
    HandlingType,
    Light,
)
from backend.core.crud import Caller
from backend.core.db import make_engine
from backend.kpi import tally
from backend.kpi.models import OpenCaseTally
from backend.kpi.scope import Subject, open_case_conditions
from tests.builders import COMMUNITY, COUNTY, GRID, OTHER_GRID, SANITATION, ok
from tests.test_kpi import March, bj

SUBJECTS = [Subject(), Subject(area_code=COMMUNITY), Subject(area_code=GRID),
            Subject(area_code=OTHER_GRID), Subject(department_code=SANITATION)]


def counted_both_ways(session: Session, now: dt.datetime,
                      subject: Subject = Subject()) -> tuple[dict, dict]:
    """(from the tally, from the cases) as the dispatcher's command center would count them."""
    conditions, tally_conditions = open_case_conditions(
        session, Caller.system("dispatcher"), subject)
    assert tally_conditions is not None
    return (dict(tally.open_counts(session, tally_conditions, conditions, now)),
            dict(tally.recount(session, conditions, now)))


def assert_tally_counts_right(app, now: dt.datetime) -> None:
    with app.state.db.session() as session:
        for subject in SUBJECTS:
            from_tally, from_cases = counted_both_ways(session, now, subject)
            assert from_tally == from_cases, subject


@pytest.fixture
def march(app, client) -> March:
    return March(app, client).build()


def test_the_tally_counts_the_month_as_a_recount_does_at_every_moment(app, march):
    # E is due 03-25 18:00; H waits to be filed; the rest are closed or cancelled.
    for now in (bj(3, 23, 12), bj(3, 25, 17), bj(3, 25, 19), bj(4, 2, 9)):
        assert_tally_counts_right(app, now)
    with app.state.db.session() as session:
        from_tally, _ = counted_both_ways(session, bj(3, 26, 9))
    assert from_tally == {("processing", "red", SANITATION, GRID, False): 1,
                          ("reported", None, None, GRID, False): 1}


def test_the_ticks_bulk_updates_are_counted_and_folded_into_a_row_per_key(app, march):
    with app.state.db.session() as session:
        result = tick(session, now=bj(3, 26, 9))  # E overdue: red and escalated
        session.commit()
        assert result.red == 1 and result.escalated == 1
        rows = session.execute(select(OpenCaseTally.status, OpenCaseTally.light,
                                      OpenCaseTally.escalated, OpenCaseTally.n)).all()
        # Folded: one row per key, no zero left over from the month's comings and goings.
        assert sorted(rows) == [("processing", "red", 1, 1), ("reported", None, 0, 1)]
        from_tally, from_cases = counted_both_ways(session, bj(3, 26, 9))
    assert from_tally == from_cases == {("processing", "red", SANITATION, GRID, True): 1,
                                        ("reported", None, None, GRID, False): 1}
    assert_tally_counts_right(app, bj(3, 26, 9))


def test_an_extension_after_the_tick_turns_red_back_to_green_at_once(app, march):
    with app.state.db.session() as session:
        tick(session, now=bj(3, 26, 9))
        session.commit()
        # The case's light is stored red; its due time moves a week on (as an approved
        # extension would) and no tick has run since.
        session.execute(update(Case).where(Case.id == march.ids["E"])
                        .values(due_at=bj(4, 2, 18)))
        session.commit()
        from_tally, from_cases = counted_both_ways(session, bj(3, 26, 10))
    assert from_tally == from_cases
    assert ("processing", "green", SANITATION, GRID, True) in from_tally


def test_raw_sql_writers_are_counted_too(app, march):
    """The seed, the imports and the benchmarks write with Core or raw SQL: the triggers
    count them all."""
    with app.state.db.session() as session:
        template = session.execute(select(Case.__table__).where(
            Case.id == march.ids["H"])).mappings().one()
        rows = [{**{k: v for k, v in template.items() if k != "id"},
                 "code": f"RAW{n}", "grid_code": grid} for n, grid in enumerate(
                     (GRID, OTHER_GRID, OTHER_GRID))]
        session.execute(insert(Case.__table__), rows)
        session.execute(text("UPDATE \"case\" SET status = 'filed' WHERE code = 'RAW1'"))
        session.execute(text("UPDATE \"case\" SET status = 'cancelled' WHERE code = 'RAW2'"))
        session.execute(update(Case).where(Case.id == march.ids["E"])
                        .values(department_code=None))
        session.commit()
    assert_tally_counts_right(app, bj(4, 1, 9))
    with app.state.db.session() as session:
        tally.compact(session)
        session.commit()
        from_tally, _ = counted_both_ways(session, bj(4, 1, 9), Subject(area_code=OTHER_GRID))
    assert from_tally == {("filed", None, None, OTHER_GRID, False): 1}


def test_the_command_center_figures_equal_a_full_recount(app, march, as_user):
    """What the screen shows: the API's figures, against the grouped pass over the cases."""
    center = ok(as_user("dispatcher").get("/api/v1/kpi/command-center"))
    with app.state.db.session() as session:
        conditions, _ = open_case_conditions(session, Caller.system("dispatcher"), Subject())
        expected = tally.breakdown(tally.recount(session, conditions, center_now(center)))
    assert center["open"] == expected["open"] == 2
    assert center["by_status"] == expected["by_status"]
    assert center["by_light"] == expected["by_light"] == {"green": 0, "yellow": 0, "red": 1}
    assert {g["code"]: {"open": g["open"], "red": g["red"]}
            for g in center["grids"]} == expected["by_grid"]


def center_now(center: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(center["as_of"].replace("Z", "+00:00"))


def test_a_department_is_counted_from_its_cases_not_from_the_tally(app, march, as_user):
    """A department's cases include those it was summoned to (吹哨报到), which the tally's key
    does not hold: its figures are a grouped pass over its own cases, the same as before."""
    department = ok(as_user("dept-sanitation").get("/api/v1/kpi/command-center"))
    assert department["open"] == 1  # E, dispatched to it and long overdue; H is nobody's yet
    assert department["by_light"] == {"green": 0, "yellow": 0, "red": 1}
    assert [d["code"] for d in department["by_department"]] == [SANITATION]


def test_an_upgrade_counts_the_open_cases_already_there(scratch_database_url):
    migrations.upgrade(scratch_database_url, "0013_category_time")
    engine = make_engine(scratch_database_url)
    reported = dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)
    try:
        with Session(engine) as session:
            for code, level, parent in ((COUNTY, AreaLevel.county, None),
                                        (COUNTY + "001", AreaLevel.street, COUNTY),
                                        (COMMUNITY, AreaLevel.community, COUNTY + "001")):
                session.add(Area(code=code, name=f"区域{code}", level=level, parent_code=parent))
                session.flush()
            # The grid as the schema of that revision has it (its own team fields then).
            old = MetaData()
            old.reflect(engine, only=("grid",))
            session.execute(old.tables["grid"].insert().values(
                code=GRID, name="第一网格", community_code=COMMUNITY, level="grid", members=[],
                created_at=reported, updated_at=reported, version=1))
            session.add_all([
                CaseCategory(code="07011", kind=CategoryKind.event, big_class_code="07",
                             big_class_name="市容环境", name="积存垃圾渣土", deadline_value=6,
                             deadline_unit=DeadlineUnit.working_hours)])
            session.flush()
            statuses = [CaseStatus.reported, CaseStatus.dispatched, CaseStatus.dispatched,
                        CaseStatus.closed, CaseStatus.handled]
            session.add_all(Case(
                code=f"C{n}", title="积存垃圾", category_code="07011", grid_code=GRID,
                source=CaseSource.patrol, priority=CasePriority.normal,
                handling_type=HandlingType.coordination, status=status, reported_at=reported,
                due_at=reported + dt.timedelta(days=1), light=Light.green)
                for n, status in enumerate(statuses))
            session.commit()
        migrations.upgrade(scratch_database_url)
        with Session(engine) as session:
            counted = {(status, light): n for status, light, n in session.execute(
                select(OpenCaseTally.status, OpenCaseTally.light, func.sum(OpenCaseTally.n))
                .group_by(OpenCaseTally.status, OpenCaseTally.light))}
    finally:
        engine.dispose()
    assert counted == {("reported", None): 1, ("dispatched", "green"): 2, ("handled", None): 1}


def test_folding_beside_writers_loses_no_change(app, march):
    """The tick folds the tally while the workflow writes: every change lands exactly once
    (on PostgreSQL they truly overlap; SQLite takes them one at a time)."""
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(40):
                with app.state.db.session() as session:
                    session.execute(update(Case).where(Case.id == march.ids["E"]).values(
                        light=(Light.yellow, Light.green)[n % 2], escalation_level=n % 3))
                    session.execute(update(Case).where(Case.id == march.ids["H"]).values(
                        status=(CaseStatus.filed, CaseStatus.reported)[n % 2]))
                    session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    def fold() -> None:
        try:
            for _ in range(40):
                with app.state.db.session() as session:
                    tally.compact(session)
                    session.commit()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    workers = [threading.Thread(target=write), threading.Thread(target=write),
               threading.Thread(target=fold), threading.Thread(target=fold)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert_tally_counts_right(app, bj(3, 24, 9))
    with app.state.db.session() as session:
        tally.compact(session)
        session.commit()
        keys = session.execute(select(func.count()).select_from(OpenCaseTally)).scalar()
    assert keys == 2  # E and H, one row each once folded
