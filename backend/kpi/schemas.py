"""What the /kpi routes answer (for the OpenAPI document; the service builds plain dicts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class PeriodRead(BaseModel):
    kind: str = Field(description="day, week, month, quarter, year 或 custom")
    from_: dt.date = Field(alias="from", description="第一天 (北京时间)")
    to: dt.date = Field(description="最后一天 (含)")
    label: str = Field(description="如 2026年11月")


class FlowCounts(BaseModel):
    reported: int = Field(description="上报数: reported_at 在时段内")
    filed: int = Field(description="立案数")
    dispatched: int = Field(description="派遣数")
    closed: int = Field(description="结案数: 时段内结案")
    cancelled: int = Field(description="作废数 (含合并重复)")


class DueCounts(BaseModel):
    due: int = Field(description="应结案数: 处置时限在时段内 (截至当前)")
    closed: int = Field(description="其中已结案")
    closed_on_time: int = Field(description="其中按期结案")
    handled: int = Field(description="其中已处置 (已处置或已结案)")
    handled_on_time: int = Field(description="其中按期处置")
    reworked: int = Field(description="其中返工过的案卷 (每卷计一次)")
    reworks: int = Field(description="返工次数合计")
    extended: int = Field(description="其中延期过的案卷")


class OpenCounts(BaseModel):
    open: int = Field(description="时段末 (或当前) 未办结案卷")
    overdue: int = Field(description="其中超期未处置")


class SatisfactionCounts(BaseModel):
    evaluated: int = Field(description="时段内结案且已评价的案卷")
    satisfied: int = Field(description="其中满意 (4 或 5 分)")
    average: float | None = Field(description="平均满意度 (1-5)")


class Rates(BaseModel):
    closure_rate: float | None = Field(description="结案率 = 已结案 / 应结案")
    on_time_closure_rate: float | None = Field(description="按期结案率 = 按期结案 / 应结案")
    handling_rate: float | None = Field(description="处置率 = 已处置 / 应结案")
    on_time_handling_rate: float | None = Field(description="按期处置率 = 按期处置 / 应结案")
    rework_rate: float | None = Field(description="返工率 = 返工案卷 / 应结案")
    extension_rate: float | None = Field(description="延期率 = 延期案卷 / 应结案")
    overdue_rate: float | None = Field(description="超期率 = 超期未处置 / 未办结")
    satisfaction_rate: float | None = Field(description="满意率 = 满意 / 已评价")


class Summary(BaseModel):
    period: PeriodRead
    area_code: str | None
    department_code: str | None
    as_of: dt.datetime = Field(description="未办结与超期的计算时刻: 时段末或当前, 取早者")
    counts: FlowCounts
    due: DueCounts
    open: OpenCounts
    satisfaction: SatisfactionCounts
    rates: Rates
    score: float | None = Field(description="综合得分 0-100 (无应结案时为空)")
    grade: str | None = Field(description="等级 A/B/C/D")


class RankingRow(DueCounts, OpenCounts):
    rank: int | None = Field(description="名次 (无应结案的单位不排名)")
    code: str = Field(description="部门或区域/网格代码")
    name: str | None
    rates: Rates
    score: float | None
    grade: str | None


class Rankings(BaseModel):
    period: PeriodRead
    by: str
    items: list[RankingRow]


class TrendPoint(BaseModel):
    bucket: dt.date = Field(description="日期, 或该周的周一")
    reported: int = Field(description="当日(周)上报数")
    closed: int = Field(description="当日(周)结案数")
    due: DueCounts = Field(description="处置时限在当日(周)的案卷")
    rates: Rates = Field(description="这些案卷的比率 (超期率、满意率按时段计, 此处为空)")


class Trends(BaseModel):
    period: PeriodRead
    interval: str
    items: list[TrendPoint]


class DepartmentOpen(BaseModel):
    code: str | None = Field(description="部门代码; 空: 尚未派遣")
    name: str | None
    open: int
    red: int


class GridOpen(BaseModel):
    code: str
    open: int
    red: int


class CommandCenter(BaseModel):
    as_of: dt.datetime
    open: int = Field(description="未办结案卷")
    by_status: dict[str, int] = Field(description="按状态")
    by_light: dict[str, int] = Field(
        description="在办案卷按亮灯: red 超期, yellow 预警, green 正常")
    by_department: list[DepartmentOpen]
    grids: list[GridOpen] = Field(description="各网格未办结与红灯数 (地图着色)")
    escalated: int = Field(description="督办中的未办结案卷")
    red_list: list[dict[str, Any]] = Field(
        description="红灯案卷, 超期最久者在前, 含部门、超期小时数与督办级别")
    newest: list[dict[str, Any]] = Field(description="最新上报")
    emergencies: list[dict[str, Any]] = Field(
        description="未办结的紧急案卷, 含已通知协助的相邻网格 (neighbour_grids)")
    points: dict[str, list[Any]] = Field(
        description="未办结案卷的位置, 按列给出 (id, status, light, grid_code, lat, lng 各一列, "
                    "同一下标为同一案卷; 最新者在前)")
    points_truncated: bool = Field(description="位置点超过上限, 只给出了最新的部分")


class LedgerUnit(BaseModel):
    code: str
    name: str | None
    grids: int
    buildings: int
    households: int
    rental_households: int
    residents: int
    key_groups: dict[str, int] = Field(description="重点人群人数 (只有人数, 没有名单)")
    organizations: int
    key_supervised_organizations: int


class LedgerCounts(BaseModel):
    area_code: str | None
    grids: int
    buildings: int
    households: int
    rental_households: int
    residents: int
    key_groups: dict[str, int]
    organizations: int
    key_supervised_organizations: int
    by: list[LedgerUnit] | None = None
