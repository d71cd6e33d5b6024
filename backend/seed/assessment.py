"""The demo's assessment: the default schemes, the office's hand scores and vetoes, and the
final runs of the quarters closed within the demo's field work.

The schemes and scores are written with the county (`enter_scores`); the runs once the year of
cases is in (`run_quarters`), since they read its figures. Drawn from a generator of their own:
the rest of the world's draws do not move.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.areas.models import Area, AreaLevel, Grid
from backend.assessment import service
from backend.assessment.defaults import install_defaults
from backend.assessment.entities import ASSESSMENT_ENTRIES
from backend.assessment.models import AssessmentItem, AssessmentLevel, AssessmentScheme
from backend.assessment.schemas import AssessmentEntryCreate, AssessmentRunCreate
from backend.cases.reference import COUNTY_CODE
from backend.core import crud
from backend.kpi.periods import Period, PeriodKind, beijing_midnight, beijing_today, period_of
from backend.seed.vocabulary import FIELDWORK_DAYS
from backend.team.models import GridStaff, TeamRole

OFFICE = crud.Caller.system("区网格化服务管理中心")
LEDGER_SHORTFALLS = ["流动人口台账未及时更新", "出租房屋台账缺项", "特殊人群台账信息不全",
                     "组织台账未录入新开商户"]
VETO_REASON = "辖区一沿街商铺发生火灾, 造成较大财产损失 (区应急管理局通报)"


def closed_quarters(now: dt.datetime) -> list[Period]:
    """The quarters that have ended and lie wholly within the demo's field work (its patrols
    and logs go back FIELDWORK_DAYS): at least the last one."""
    today = beijing_today(now)
    oldest = today - dt.timedelta(days=FIELDWORK_DAYS - 1)
    quarter = period_of(PeriodKind.quarter, oldest)
    if quarter.first < oldest:
        quarter = period_of(PeriodKind.quarter, quarter.last + dt.timedelta(days=1))
    quarters = []
    while quarter.last < today:
        quarters.append(quarter)
        quarter = period_of(PeriodKind.quarter, quarter.last + dt.timedelta(days=1))
    return quarters


def _items(session: Session) -> dict[tuple[AssessmentLevel, str], int]:
    return {(level, name): item_id for level, name, item_id in session.execute(
        select(AssessmentScheme.level, AssessmentItem.name, AssessmentItem.id)
        .join(AssessmentScheme, AssessmentScheme.id == AssessmentItem.scheme_id)).tuples()}


def _enter(session: Session, now: dt.datetime, item_id: int, quarter: Period, unit: str,
           reason: str, points: float | None = None, vetoed: bool = False) -> None:
    """Entered a week after the quarter ended, at the quarter's inspection."""
    at = min(beijing_midnight(quarter.last + dt.timedelta(days=8)), now)
    crud.create_row(session, ASSESSMENT_ENTRIES, AssessmentEntryCreate(
        item_id=item_id, period_kind="quarter", period_first=quarter.first, unit_code=unit,
        points=points, vetoed=vetoed, reason=reason), OFFICE, at=at, commit=False)


def enter_scores(session: Session, now: dt.datetime, seed: int) -> None:
    """The default schemes, and per closed quarter: every grid's and community's 双向点评, the
    ledger inspection's deductions (a third of the grids, their chiefs alike), one veto."""
    install_defaults(session, OFFICE, at=now - dt.timedelta(days=400))
    session.flush()
    r = random.Random(f"assessment-{seed}")
    items = _items(session)
    grids = list(session.execute(select(Grid.code).order_by(Grid.code)).scalars())
    chiefs = dict(session.execute(select(GridStaff.grid_code, GridStaff.id).where(
        GridStaff.team_role == TeamRole.grid_chief)).tuples().all())
    communities = list(session.execute(select(Area.code).where(
        Area.level == AreaLevel.community).order_by(Area.code)).scalars())
    ledger_points = dict(session.execute(
        select(AssessmentItem.id, AssessmentItem.points).where(
            AssessmentItem.id.in_([items[(level, "台账管理")] for level in (
                AssessmentLevel.grid, AssessmentLevel.grid_chief)]))).tuples().all())
    quarters = closed_quarters(now)
    for quarter in quarters:
        for grid in grids:
            _enter(session, now, items[(AssessmentLevel.grid, "双向点评")], quarter, grid,
                   "社区及居民代表评议", points=r.randint(78, 100))
            if r.random() < 0.33:
                missing = r.randint(1, 4)
                shortfall = r.choice(LEDGER_SHORTFALLS)
                reason = f"季度督查: {shortfall}, 缺{missing}项, 扣{5 * missing}分"
                for level, unit in ((AssessmentLevel.grid, grid),
                                    (AssessmentLevel.grid_chief, str(chiefs.get(grid, "")))):
                    if unit:
                        item_id = items[(level, "台账管理")]
                        _enter(session, now, item_id, quarter, unit, reason,
                               points=ledger_points[item_id] - 5 * missing)
        for community in communities:
            _enter(session, now, items[(AssessmentLevel.community, "双向点评")], quarter, community,
                   "街道及居民代表评议", points=r.randint(80, 100))
    if quarters and grids:
        _enter(session, now, items[(AssessmentLevel.grid, "安全生产")], quarters[0],
               r.choice(grids), VETO_REASON, vetoed=True)


def run_quarters(session: Session, now: dt.datetime) -> int:
    """Each scheme's final run of each closed quarter, as the office made them; returns how
    many."""
    schemes = list(session.execute(select(AssessmentScheme.id).order_by(AssessmentScheme.id))
                   .scalars())
    runs = 0
    for quarter in closed_quarters(now):
        for scheme_id in schemes:
            run = service.start_run(session, AssessmentRunCreate(
                scheme_id=scheme_id, period="quarter", date=quarter.first,
                area_code=COUNTY_CODE), OFFICE, now=now, commit=False)
            service.finalize(session, run.id, OFFICE, now=now, commit=False)
            runs += 1
    return runs
