"""/api/v1/kpi: the figures of backend/kpi over HTTP, for the dashboards and any client.

Every route takes the same subject (`area` or `department`, default the caller's whole scope)
and, where figures are of a period, the same period (`period` + `date`, or `from` + `to`).
A command-center refresh needs one call (`command-center`); its map's boundaries one more,
once (`map`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import json_response
from backend.kpi import coverage, disputes, ledgers, live, requests, schemas, service
from backend.kpi.periods import EARLIEST, LATEST, Period, PeriodKind, parse_period
from backend.kpi.scope import Subject

router = APIRouter(prefix="/kpi", tags=["考核指标 KPI"], responses=problem_docs(401, 403, 404, 422))

AREA_PATTERN = r"^\d{6}(\d{3}){0,3}$"


def subject_query(
    area: Annotated[str | None, Query(
        pattern=AREA_PATTERN,
        description="区县/街道/社区/网格代码 (6/9/12/15 位); 省略: 全部辖区")] = None,
    department: Annotated[str | None, Query(
        min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$", description="部门代码")] = None,
) -> Subject:
    return Subject(area_code=area, department_code=department)


def period_query(
    period: Annotated[PeriodKind | None, Query(
        description="时段: day, week, month (默认), quarter, year, custom")] = None,
    day: Annotated[dt.date | None, Query(
        alias="date", description="时段内的任一天 (北京时间), 默认今天")] = None,
    first: Annotated[dt.date | None, Query(alias="from", description="自定义时段第一天")] = None,
    last: Annotated[dt.date | None, Query(
        alias="to", description="自定义时段最后一天 (含)")] = None,
) -> Period:
    return parse_period(period, day, first, last)


SubjectDep = Annotated[Subject, Depends(subject_query)]
PeriodDep = Annotated[Period, Depends(period_query)]


class RankBy(enum.StrEnum):
    department = "department"
    street = "street"
    community = "community"
    grid = "grid"


class Interval(enum.StrEnum):
    day = "day"
    week = "week"


class LedgerBy(enum.StrEnum):
    street = "street"
    community = "community"
    grid = "grid"


@router.get("/summary", response_model=schemas.Summary, summary="指标汇总 All figures of a period",
            description="上报、立案、派遣、结案数, 结案率、按期结案率、处置率、按期处置率、"
                        "返工率、延期率、超期率、满意率, 综合得分与等级。"
                        "口径见 README 的 KPI definitions。")
def kpi_summary(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
                period: PeriodDep) -> Any:
    return json_response(service.summary(session, caller=caller, period=period, subject=subject))


@router.get("/rankings", response_model=schemas.Rankings,
            summary="排名 Rankings of departments, streets, communities or grids",
            description="各单位的指标与综合得分, 得分高者在前; 无应结案的单位列在最后, 不排名。")
def kpi_rankings(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
                 period: PeriodDep,
                 by: Annotated[RankBy, Query(description="按部门、街道、社区或网格")]) -> Any:
    items = service.rankings(session, caller=caller, period=period, subject=subject,
                             by=by.value)
    return json_response({"period": period.as_dict(), "by": by.value, "items": items})


@router.get("/trends", response_model=schemas.Trends, summary="趋势 Trends by day or week")
def kpi_trends(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
               period: PeriodDep,
               interval: Annotated[Interval, Query(
                   description="按日或按周 (周一起)")] = Interval.day,
               ) -> Any:
    items = service.trends(session, caller=caller, period=period, subject=subject,
                           interval=interval.value)
    return json_response({"period": period.as_dict(), "interval": interval.value,
                          "items": items})


@router.get("/command-center", response_model=schemas.CommandCenter,
            summary="指挥中心 Command center (as of now)",
            description="一次请求刷新整个指挥中心: 按状态、亮灯、部门、网格的未办结数, 红灯清单 "
                        "(含超期小时数), 督办, 最新上报, 未办结案卷位置。")
def kpi_command_center(
    session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
    limit: Annotated[int, Query(
        ge=1, le=100, description="各清单条数")] = live.DEFAULT_LIST_LIMIT,
    points: Annotated[int, Query(
        ge=0, le=20000, description="位置点上限")] = live.DEFAULT_POINTS_LIMIT,
) -> Any:
    return json_response(live.command_center(session, caller=caller, subject=subject,
                                             limit=limit, points_limit=points))


@router.get("/map", summary="网格地图 Grid boundaries (GeoJSON)",
            description="辖区内网格边界 (GeoJSON FeatureCollection), 一次请求, 不论网格多少。",
            responses={200: {"content": {"application/json": {}}}})
def kpi_map(session: SessionDep, caller: CurrentCaller, subject: SubjectDep) -> Any:
    return json_response(live.grid_map(session, caller=caller, subject=subject))


@router.get("/ledgers", response_model=schemas.LedgerCounts,
            summary="台账统计 Ledger and key-group counts",
            description="网格、楼栋、户、居民、重点人群、组织的数量 (只有数量, 没有名单)。")
def kpi_ledgers(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
                by: Annotated[LedgerBy | None, Query(description="按街道、社区或网格分列")] = None,
                ) -> Any:
    return json_response(ledgers.ledger_counts(session, caller=caller, subject=subject,
                                               by=by.value if by else None))


@router.get("/coverage", summary="巡查走访覆盖 Field-work coverage",
            description="时段内的巡查覆盖率 (网格天)、走访覆盖率 (重点户按季度, 其他户按年, "
                        "以区域覆盖规则为准)、工作日志完整率、待审阅日志数; "
                        "帮教对象及逾期人数 (帮教按期率); 可按街道、社区或网格分列。"
                        "口径见 backend/kpi/coverage.py。")
def kpi_coverage(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
                 period: PeriodDep,
                 by: Annotated[LedgerBy | None, Query(description="按街道、社区或网格分列")] = None,
                 ) -> Any:
    return json_response(coverage.coverage(session, caller=caller, period=period,
                                           subject=subject, by=by.value if by else None))


@router.get("/coverage/unpatrolled", summary="今日未巡查网格 Grids not patrolled today",
            description="按覆盖规则, 截至现在未巡查的网格: 名称、最近巡查时间、网格长及电话。")
def kpi_unpatrolled(session: SessionDep, caller: CurrentCaller, subject: SubjectDep) -> Any:
    items = coverage.unpatrolled_grids(session, caller, subject)
    return json_response({"total": len(items), "items": items})


@router.get("/coverage/due-visits", summary="逾期未走访户 Households overdue for a visit",
            description="超过走访周期未走访的户, 从未走访和最久未走访的在前。"
                        "名单属个人信息: 需要户的读取和个人信息权限 (网格长、社区书记)。")
def kpi_due_visits(
    session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
    key_only: Annotated[bool, Query(description="只列重点户")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    return json_response(coverage.due_visits(session, caller, subject, key_only=key_only,
                                             limit=limit, offset=offset))


@router.get("/coverage/due-supervision", summary="帮教逾期 Residents overdue for 帮教",
            description="特殊人群 (社区矫正、刑释解教、吸毒、精神障碍、闲散青少年、留守儿童、"
                        "独居老人等, 周期见帮教周期设置) 中超过帮教周期未走访的人, 逾期久者在前。"
                        "名单仅限本网格工作人员和有个人信息权限的角色; 其他角色见覆盖统计的人数。")
def kpi_due_supervision(
    session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
    overdue_only: Annotated[bool, Query(description="只列逾期者 (false: 全部帮教对象)")] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    return json_response(coverage.due_supervision(session, caller, subject,
                                                  overdue_only=overdue_only, limit=limit,
                                                  offset=offset))


@router.get("/coverage/work-logs", summary="工作日志缺交 Missing work logs",
            description="时段内缺交工作日志的网格工作人员 (按工作日, 请假日除外), 缺交多者在前; "
                        "含待审阅、退回数和今日是否未交。")
def kpi_missing_work_logs(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
                          period: PeriodDep) -> Any:
    return json_response({"period": period.as_dict(),
                          "items": coverage.missing_work_logs(session, caller, subject, period)})


@router.get("/disputes", summary="矛盾纠纷指标 Disputes: found, settled, screenings",
            description="时段内发现、化解的矛盾纠纷 (化解率; 网格、社区、街道化解及移交办结数, "
                        "基层化解占比), 当前未化解、高风险未化解、移交超期数, "
                        "半月排查应报、按时、逾期、未报数 (排查按时上报率); "
                        "可按街道、社区或网格分列。口径见 backend/kpi/disputes.py。")
def kpi_disputes(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
                 period: PeriodDep,
                 by: Annotated[LedgerBy | None, Query(description="按街道、社区或网格分列")] = None,
                 ) -> Any:
    return json_response(disputes.dispute_figures(session, caller=caller, period=period,
                                                  subject=subject, by=by.value if by else None))


@router.get("/requests", summary="民情诉求与代办指标 Residents' requests and errands",
            description="时段内受理的民情诉求 (办结、按时办结; 诉求按时办结率), "
                        "时点在办、超时诉求; 受理的代办 (按时应答、办结、不予代办; "
                        "代办应答及时率、办结率), 超时未应答代办; "
                        "可按街道、社区或网格分列。口径见 backend/kpi/requests.py。")
def kpi_requests(session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
                 period: PeriodDep,
                 by: Annotated[LedgerBy | None, Query(description="按街道、社区或网格分列")] = None,
                 ) -> Any:
    return json_response(requests.request_figures(session, caller=caller, period=period,
                                                  subject=subject, by=by.value if by else None))


@router.get("/disputes/screenings", summary="半月排查上报情况 Who has reported the screening",
            description="某半月 (含 date 的半月; 省略: 最近一个已到应报日的半月) 各网格的排查报告: "
                        "按时 on_time、逾期 late、未报 missing (已过应报日)、待报 waiting。")
def kpi_screenings(
    session: SessionDep, caller: CurrentCaller, subject: SubjectDep,
    day: Annotated[dt.date | None, Query(alias="date", ge=EARLIEST, le=LATEST,
                                         description="半月内的任一天")] = None,
) -> Any:
    return json_response(disputes.screening_status(session, caller, subject, day))
