"""The 1,000-point assessment (千分制考核): schemes of items, hand scores and vetoes, runs.

A scheme is editable reference data: items worth 1,000 points together, each computed from a
KPI or coverage figure (backend/kpi) by a rule, scored by hand, or a veto (一票否决) worth
nothing that makes the result 不合格 whatever the points. A run applies a scheme to a period
and stores every unit's score with its inputs: the scheme as it stood is copied into the run,
so editing the scheme later changes no stored run. A final run is never changed; running the
period again makes a new run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type
from backend.kpi.periods import PeriodKind

FULL_MARKS = 1000


class AssessmentLevel(LabeledEnum):
    grid = ("grid", "网格")
    grid_chief = ("grid_chief", "网格长")
    community = ("community", "社区")
    department = ("department", "职能部门")


class ItemKind(LabeledEnum):
    computed = ("computed", "指标计分")
    manual = ("manual", "人工评分")
    veto = ("veto", "一票否决")


class ScoringRule(LabeledEnum):
    """How a computed item turns its figure (a rate, 0–1) into points."""

    proportional = ("proportional", "按比例计分")  # points × rate
    inverse = ("inverse", "反向计分")  # points × (1 − rate): rework, overdue
    target = ("target", "达标计分")  # full at or above target, none at or below floor


class AssessmentPeriod(LabeledEnum):
    """The periods a run is of (PeriodKind's values: the columns hold those)."""

    month = ("month", "月度")
    quarter = ("quarter", "季度")
    year = ("year", "年度")


class RunStatus(LabeledEnum):
    draft = ("draft", "草稿")
    final = ("final", "已定稿")


class Grade(LabeledEnum):
    excellent = ("excellent", "优秀")
    qualified = ("qualified", "合格")
    basic = ("basic", "基本合格")
    unqualified = ("unqualified", "不合格")


class AssessmentScheme(TableBase):
    __tablename__ = "assessment_scheme"
    __table_args__ = {"comment": "考核方案"}

    name: Mapped[str] = mapped_column(String(100), unique=True, comment="方案名称")
    level: Mapped[AssessmentLevel] = mapped_column(enum_column_type(AssessmentLevel),
                                                   comment="考核对象")
    # Grade thresholds on the 1,000 points: at least excellent_min is 优秀, and so on down.
    excellent_min: Mapped[float] = mapped_column(Float, default=900, comment="优秀分数线")
    qualified_min: Mapped[float] = mapped_column(Float, default=750, comment="合格分数线")
    basic_min: Mapped[float] = mapped_column(Float, default=600, comment="基本合格分数线")
    # Star grid workers (星级网格员): this share of a grid-chief ranking's top.
    star_share: Mapped[float] = mapped_column(Float, default=0.1, comment="星级比例")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="启用")
    note: Mapped[str | None] = mapped_column(Text, comment="说明")


class AssessmentItem(TableBase):
    __tablename__ = "assessment_item"
    __table_args__ = (UniqueConstraint("scheme_id", "name"), {"comment": "考核项目"})

    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_scheme.id", ondelete="CASCADE"), index=True, comment="考核方案")
    position: Mapped[int] = mapped_column(Integer, default=0, comment="排序")
    name: Mapped[str] = mapped_column(String(100), comment="项目名称")
    kind: Mapped[ItemKind] = mapped_column(enum_column_type(ItemKind), comment="计分方式")
    points: Mapped[int] = mapped_column(Integer, default=0, comment="分值")
    # Computed items: the figure (a rate of backend/kpi, see assessment/figures.py) and rule.
    figure: Mapped[str | None] = mapped_column(String(40), comment="考核指标")
    rule: Mapped[ScoringRule | None] = mapped_column(enum_column_type(ScoringRule),
                                                     comment="计分规则")
    target: Mapped[float | None] = mapped_column(Float, comment="达标值")
    floor: Mapped[float | None] = mapped_column(Float, comment="零分线")
    standard: Mapped[str | None] = mapped_column(Text, comment="评分标准")


class AssessmentEntry(TableBase):
    """A hand score or a veto for one unit and period, with its evidence."""

    __tablename__ = "assessment_entry"
    __table_args__ = (
        UniqueConstraint("item_id", "period_kind", "period_first", "unit_code"),
        {"comment": "考核评分录入"},
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_item.id", ondelete="CASCADE"), index=True, comment="考核项目")
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column_type(PeriodKind),
                                                    comment="考核周期")
    period_first: Mapped[dt.date] = mapped_column(Date, comment="周期首日")
    # The unit: a grid, community or department code, or a grid chief's roster id.
    unit_code: Mapped[str] = mapped_column(String(20), comment="考核对象")
    # Where the unit is (its grid or community; a department's area): the scope of the row.
    area_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="区域编码")
    department_code: Mapped[str | None] = mapped_column(String(20), comment="部门")
    points: Mapped[float | None] = mapped_column(Float, comment="得分")
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False, comment="否决")
    reason: Mapped[str] = mapped_column(Text, comment="评分理由")
    # The stored evidence photo's file name (backend/core/images.py).
    evidence: Mapped[str | None] = mapped_column(String(40), comment="佐证材料")
    entered_by: Mapped[str | None] = mapped_column(String(50), comment="录入人")


class AssessmentRun(TableBase):
    __tablename__ = "assessment_run"
    __table_args__ = (
        Index("ix_assessment_run__scheme_id_period_first", "scheme_id", "period_first"),
        {"comment": "考核批次"},
    )

    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_scheme.id", ondelete="RESTRICT"), comment="考核方案")
    level: Mapped[AssessmentLevel] = mapped_column(enum_column_type(AssessmentLevel),
                                                   comment="考核对象")
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column_type(PeriodKind),
                                                    comment="考核周期")
    period_first: Mapped[dt.date] = mapped_column(Date, comment="周期首日")
    period_last: Mapped[dt.date] = mapped_column(Date, comment="周期末日")
    period_label: Mapped[str] = mapped_column(String(40), comment="考核期")
    # The area assessed (its units within it): the scope of the run.
    area_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="区域编码")
    status: Mapped[RunStatus] = mapped_column(enum_column_type(RunStatus), comment="状态")
    # The scheme's items and thresholds as they stood: what the scores were computed by.
    scheme_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, comment="方案快照")
    # When the figures were taken: a later run of the same period may see later data.
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="计算时间")
    created_by: Mapped[str] = mapped_column(String(50), comment="发起人")
    finalized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="定稿时间")
    finalized_by: Mapped[str | None] = mapped_column(String(50), comment="定稿人")
    # Of the same scheme, period and area: the run this one re-ran, and what changed.
    previous_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_run.id", ondelete="SET NULL"), comment="上一批次")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list,
                                                          comment="与上一批次的差异")
    units: Mapped[int] = mapped_column(Integer, default=0, comment="考核对象数")


class AssessmentScore(TableBase):
    __tablename__ = "assessment_score"
    __table_args__ = (UniqueConstraint("run_id", "unit_code"), {"comment": "考核得分"})

    run_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_run.id", ondelete="CASCADE"), index=True, comment="考核批次")
    unit_code: Mapped[str] = mapped_column(String(20), comment="考核对象编码")
    unit_name: Mapped[str] = mapped_column(String(100), comment="考核对象")
    area_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="区域编码")
    department_code: Mapped[str | None] = mapped_column(String(20), index=True, comment="部门")
    # The figures the computed items read (name -> value; None: nothing to measure).
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, comment="指标数据")
    # Per item: {"item", "name", "kind", "max", "points", "note"}.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment="分项得分")
    total: Mapped[float] = mapped_column(Float, comment="总分")
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False, comment="被否决")
    veto_reason: Mapped[str | None] = mapped_column(Text, comment="否决理由")
    grade: Mapped[Grade] = mapped_column(enum_column_type(Grade), comment="等级")
    rank: Mapped[int] = mapped_column(Integer, comment="名次")
    # Star grid worker (grid-chief runs): in the ranking's top share, not vetoed.
    star: Mapped[bool] = mapped_column(Boolean, default=False, comment="星级网格员")
    # Community runs: quarters running in the bottom two (this one included), and the flag
    # raised at three.
    bottom_streak: Mapped[int] = mapped_column(Integer, default=0, comment="连续末两位季度数")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, comment="末位预警")
