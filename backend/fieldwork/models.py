"""Field work: daily patrols, household visits and work logs of grid staff, and the coverage
rules they are measured by.

Each record names the team member who did it (`staff_id`, backend/team), found from the login
that sent it or from the name given; the name columns keep what was written, for rows of
people without a roster entry (old imports)."""

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
from backend.ledgers.models import KeyGroup


class VisitKind(LabeledEnum):
    routine = ("routine", "常规走访")
    key_group = ("key_group", "重点人群走访")
    hardship = ("hardship", "困难群众走访")
    follow_up = ("follow_up", "回访")
    # 帮教: the visit of a resident of a special group on their schedule (SupervisionSchedule);
    # who is visited so is personal data (backend/fieldwork/entities.py: VISITS.sensitive).
    supervision = ("supervision", "帮教走访")


class WorkLogStatus(LabeledEnum):
    submitted = ("submitted", "待审阅")
    approved = ("approved", "已通过")
    returned = ("returned", "已退回")


def _staff_column(comment: str) -> Mapped[int | None]:
    return mapped_column(ForeignKey("grid_staff.id", ondelete="SET NULL"), index=True,
                         comment=comment)


class Patrol(TableBase):
    __tablename__ = "patrol"
    # A grid's walks by time: "which grids were not walked today" (backend/kpi/coverage.py).
    __table_args__ = (Index("ix_patrol__grid_code_started_at", "grid_code", "started_at"),
                      {"comment": "巡查记录"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), info=HIERARCHICAL,
        comment="网格编码"
    )
    patroller_name: Mapped[str] = mapped_column(String(50), comment="巡查人")
    staff_id: Mapped[int | None] = _staff_column("巡查人员")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, comment="开始时间")
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="结束时间")
    # GeoJSON LineString of the walked route, when the phone recorded one.
    route: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="巡查轨迹(GeoJSON)")
    distance_m: Mapped[float | None] = mapped_column(Float, comment="里程(米)")
    findings: Mapped[str | None] = mapped_column(Text, comment="发现问题")
    issues_found: Mapped[int] = mapped_column(Integer, default=0, comment="发现问题数")


class Visit(TableBase):
    __tablename__ = "visit"
    # A household's visits by date: "when was it last visited" (backend/kpi/coverage.py).
    __table_args__ = (Index("ix_visit__household_id_visit_date", "household_id", "visit_date"),
                      {"comment": "走访记录"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
    )
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="RESTRICT"), comment="走访户"
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True, comment="走访对象"
    )
    visitor_name: Mapped[str] = mapped_column(String(50), comment="走访人")
    staff_id: Mapped[int | None] = _staff_column("走访人员")
    # Home visits are made in pairs (入户访问时两人一道).
    second_visitor_name: Mapped[str | None] = mapped_column(String(50), comment="同行走访人")
    purpose: Mapped[str | None] = mapped_column(String(200), comment="走访事由")
    visit_date: Mapped[dt.date] = mapped_column(Date, index=True, comment="走访日期")
    kind: Mapped[VisitKind] = mapped_column(enum_column_type(VisitKind), comment="走访类型")
    content: Mapped[str | None] = mapped_column(Text, comment="走访内容")
    needs_follow_up: Mapped[bool] = mapped_column(default=False, comment="需跟进")


class WorkLog(TableBase):
    """One per team member per working day: submitted, then approved or returned (with a
    comment) by the community's secretary; a returned log is corrected and submitted again."""

    __tablename__ = "work_log"
    __table_args__ = (UniqueConstraint("staff_id", "log_date"), {"comment": "工作日志"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
    )
    author_name: Mapped[str] = mapped_column(String(50), comment="记录人")
    staff_id: Mapped[int | None] = _staff_column("记录人员")
    log_date: Mapped[dt.date] = mapped_column(Date, index=True, comment="日期")
    content: Mapped[str] = mapped_column(Text, comment="工作内容")
    hours: Mapped[float | None] = mapped_column(Float, comment="工作时长(小时)")
    status: Mapped[WorkLogStatus] = mapped_column(
        enum_column_type(WorkLogStatus), default=WorkLogStatus.submitted, index=True,
        comment="状态"
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(50), comment="审阅人")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="审阅时间")
    review_note: Mapped[str | None] = mapped_column(Text, comment="审阅意见")


class CoverageRule(TableBase):
    """How often the plans want each grid walked and each household visited, for an area and
    everything under it (the rule of the longest code that holds a grid applies; none: the
    plans' numbers, DEFAULT_RULE). Work logs are due every working day everywhere."""

    __tablename__ = "coverage_rule"
    __table_args__ = {"comment": "巡查走访覆盖规则"}

    area_code: Mapped[str] = mapped_column(
        String(15), unique=True, info=HIERARCHICAL, comment="适用区域代码"
    )
    patrol_every_days: Mapped[int] = mapped_column(Integer, default=1, comment="巡查周期(天)")
    key_visit_every_months: Mapped[int] = mapped_column(
        Integer, default=3, comment="重点户走访周期(月)"
    )
    household_visit_every_months: Mapped[int] = mapped_column(
        Integer, default=12, comment="普通户走访周期(月)"
    )
    note: Mapped[str | None] = mapped_column(String(200), comment="说明")


class SupervisionSchedule(TableBase):
    """How often the residents of a special group are visited for 帮教 (support and
    supervision), everywhere: a setting. A group without a row keeps the plans' schedule
    (backend/kpi/supervision.py: DEFAULT_SCHEDULE); `active` false takes it off."""

    __tablename__ = "supervision_schedule"
    __table_args__ = {"comment": "帮教周期"}

    key_group: Mapped[KeyGroup] = mapped_column(enum_column_type(KeyGroup), unique=True,
                                                comment="重点人群")
    every_days: Mapped[int] = mapped_column(Integer, comment="帮教走访周期(天)")
    active: Mapped[bool] = mapped_column(Boolean, default=True, comment="启用")
    note: Mapped[str | None] = mapped_column(String(200), comment="说明")
