"""Field work: daily patrols, household visits and work logs of grid staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class VisitKind(LabeledEnum):
    routine = ("routine", "常规走访")
    key_group = ("key_group", "重点人群走访")
    hardship = ("hardship", "困难群众走访")
    follow_up = ("follow_up", "回访")


class Patrol(TableBase):
    __tablename__ = "patrol"
    __table_args__ = {"comment": "巡查记录"}

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
    )
    patroller_name: Mapped[str] = mapped_column(String(50), comment="巡查人")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, comment="开始时间")
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="结束时间")
    # GeoJSON LineString of the walked route, when the phone recorded one.
    route: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="巡查轨迹(GeoJSON)")
    distance_m: Mapped[float | None] = mapped_column(Float, comment="里程(米)")
    findings: Mapped[str | None] = mapped_column(Text, comment="发现问题")
    issues_found: Mapped[int] = mapped_column(Integer, default=0, comment="发现问题数")


class Visit(TableBase):
    __tablename__ = "visit"
    __table_args__ = {"comment": "走访记录"}

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
    )
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="RESTRICT"), index=True, comment="走访户"
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True, comment="走访对象"
    )
    visitor_name: Mapped[str] = mapped_column(String(50), comment="走访人")
    visit_date: Mapped[dt.date] = mapped_column(Date, index=True, comment="走访日期")
    kind: Mapped[VisitKind] = mapped_column(enum_column_type(VisitKind), comment="走访类型")
    content: Mapped[str | None] = mapped_column(Text, comment="走访内容")
    needs_follow_up: Mapped[bool] = mapped_column(default=False, comment="需跟进")


class WorkLog(TableBase):
    __tablename__ = "work_log"
    __table_args__ = {"comment": "工作日志"}

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
    )
    author_name: Mapped[str] = mapped_column(String(50), comment="记录人")
    log_date: Mapped[dt.date] = mapped_column(Date, index=True, comment="日期")
    content: Mapped[str] = mapped_column(Text, comment="工作内容")
    hours: Mapped[float | None] = mapped_column(Float, comment="工作时长(小时)")
    reviewed_by: Mapped[str | None] = mapped_column(String(50), comment="审阅人")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="审阅时间")
    review_note: Mapped[str | None] = mapped_column(Text, comment="审阅意见")
